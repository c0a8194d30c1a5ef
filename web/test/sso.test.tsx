import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { SSOLogin, ssoErrorText } from '../src/ui/SSOLogin';
import { requestOf } from '../src/ui/admin/AdminSSO';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe('SSO on the login page', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('shows a button per OIDC or SAML provider and offers LDAP accounts', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ providers: [
      { id: 1, org_id: 1, kind: 'oidc', name: 'Okta', start_url: '/api/v1/auth/sso/1/start' },
      { id: 2, org_id: 1, kind: 'saml', name: 'ADFS', start_url: '/api/v1/auth/saml/2/start' },
      { id: 3, org_id: 1, kind: 'ldap', name: 'Corp directory' },
    ] }), { status: 200 })));
    const root = document.createElement('div');
    const picked: number[] = [];
    await act(async () => {
      render(<SSOLogin ldap={0} onLdap={(id) => picked.push(id)} />, root);
    });
    await act(tick); // the providers' fetch resolves and the list renders
    const links = [...root.querySelectorAll('a.btn')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['/api/v1/auth/sso/1/start', '/api/v1/auth/saml/2/start']);
    const select = root.querySelector('select')!;
    expect([...select.options].map((o) => o.textContent)).toEqual(['Parley account', 'Corp directory']);
    select.value = '3';
    await act(() => { select.dispatchEvent(new Event('change')); });
    expect(picked).toEqual([3]);
  });

  it('explains a refused sign-in by its code', () => {
    expect(ssoErrorText('sso_state_mismatch')).toContain('another browser');
    expect(ssoErrorText('sso_weird')).toContain('sso_weird');
    expect(ssoErrorText('too_many_attempts')).toContain('Too many wrong codes');
  });

  it('sends the secret only when typed and settings as whole objects', () => {
    const f = { kind: 'ldap' as const, name: 'Dir', secret: '', issuer: '', clientId: '', url: 'ldaps://x', bindDn: 'cn=a',
      baseDn: 'dc=x', userFilter: '', loginAttr: 'uid', groupAttr: '', syncMinutes: '15', departments: true, idpMetadata: '', adminGroup: 'admins' };
    const b = requestOf(f, false);
    expect('secret' in b).toBe(false);
    expect(b.kind).toBeUndefined();
    expect(b.ldap?.sync_interval_seconds).toBe(900);
    expect(b.mapping?.rules).toEqual([{ group: 'admins', role: 'admin' }]);
    expect(requestOf({ ...f, secret: 's3cret' }, true)).toMatchObject({ kind: 'ldap', secret: 's3cret' });
  });
});
