import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { SSOLogin, ssoErrorText } from '../src/ui/SSOLogin';
import { DeptRules, requestOf } from '../src/ui/admin/AdminSSO';

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
      baseDn: 'dc=x', userFilter: '', loginAttr: 'uid', groupAttr: '', syncMinutes: '15', departments: true, idpMetadata: '', adminGroup: 'admins',
      deptRules: [{ group: ' eng ', departmentId: 7 }, { group: 'half-filled', departmentId: 0 }] };
    const b = requestOf(f, false);
    expect('secret' in b).toBe(false);
    expect(b.kind).toBeUndefined();
    expect(b.ldap?.sync_interval_seconds).toBe(900);
    expect(b.mapping?.rules).toEqual([{ group: 'admins', role: 'admin' }]);
    // Department rules go as {group, department_id}; unfinished rows are not sent.
    expect(b.mapping?.departments).toEqual([{ group: 'eng', department_id: 7 }]);
    expect(requestOf({ ...f, secret: 's3cret' }, true)).toMatchObject({ kind: 'ldap', secret: 's3cret' });
  });

  it('edits department rules: pick a department by path, add and remove rows, keep a deleted one visible', async () => {
    const root = document.createElement('div');
    let rules = [{ group: 'eng', departmentId: 2 }, { group: 'old', departmentId: 99 }];
    const departments = [
      { id: 1, parent_id: 0, name: 'R&D', sort_order: 0, created_at: '' }, { id: 2, parent_id: 1, name: 'Backend', sort_order: 0, created_at: '' },
    ];
    const draw = () => render(<DeptRules rules={rules} departments={departments} onChange={(r) => { rules = r; draw(); }} />, root);
    await act(() => { draw(); });
    const selects = () => [...root.querySelectorAll('select')] as [HTMLSelectElement, HTMLSelectElement];
    expect([...selects()[0].options].map((o) => o.textContent)).toEqual(['Choose a department', 'R&D', 'R&D / Backend']);
    expect(selects()[0].value).toBe('2');
    // The rule naming a deleted department shows it, so the admin sees what to fix.
    expect(selects()[1].selectedOptions[0]?.textContent).toBe('Deleted department #99');
    await act(() => { root.querySelector<HTMLButtonElement>('button[aria-label="Remove rule 2"]')!.click(); });
    expect(rules).toEqual([{ group: 'eng', departmentId: 2 }]);
    const add = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Add department rule')!;
    await act(() => { add.click(); });
    const group = root.querySelector<HTMLInputElement>('input[aria-label="Group of rule 2"]')!;
    await act(() => { group.value = 'sales'; group.dispatchEvent(new Event('input')); });
    const sel = root.querySelector<HTMLSelectElement>('select[aria-label="Department of rule 2"]')!;
    await act(() => { sel.value = '1'; sel.dispatchEvent(new Event('change')); });
    expect(rules).toEqual([{ group: 'eng', departmentId: 2 }, { group: 'sales', departmentId: 1 }]);
  });
});
