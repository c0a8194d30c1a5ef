import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import { inviteTokenOf } from '../src/api/invite';
import { locale } from '../src/i18n';
import { parseRoute } from '../src/state/router';
import { InviteAccept } from '../src/ui/Invite';
import { InviteDialog } from '../src/ui/admin/AdminInvites';

function stubFetch(status: number, body: unknown) {
  const f = vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', f);
  return f;
}

afterEach(() => { vi.unstubAllGlobals(); locale.value = 'en'; });

describe('invitation links', () => {
  it('routes /invite/<token> to the public page, and nothing else', () => {
    expect(parseRoute('/invite/inv_abc-DEF_1', '')).toEqual({ name: 'invite', token: 'inv_abc-DEF_1' });
    expect(parseRoute('/invite/', '').name).toBe('home');
    expect(parseRoute('/invite/a%2Fb', '').name).toBe('home');
    expect(inviteTokenOf('/invite/inv_x')).toBe('inv_x');
  });

  it('shows the organisation and role, with the bound e-mail read-only', async () => {
    locale.value = 'zh-CN';
    const f = stubFetch(200, { org_name: 'Acme', role: 'guest', email: 'bo@ext.test', expires_at: '2026-12-01T00:00:00.000Z' });
    const root = document.createElement('div');
    render(<InviteAccept token="inv_abc" />, root);
    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('加入 Parley 上的「Acme」'));
    expect((f.mock.calls[0] as unknown as [string])[0]).toBe('/api/v1/invites/inv_abc');
    const email = root.querySelector<HTMLInputElement>('input[name=email]')!;
    expect(email.value).toBe('bo@ext.test');
    expect(email.readOnly).toBe(true);
    expect(root.textContent).toContain('访客');
    expect(root.querySelector('form')?.getAttribute('aria-labelledby')).toBe('invite-title');
  });

  it('says why a link is refused, in the server\'s words, and offers no form', async () => {
    stubFetch(409, { error: { code: 'invite_revoked', message: 'This invitation was withdrawn by an admin.' } });
    const root = document.createElement('div');
    render(<InviteAccept token="inv_gone" />, root);
    await vi.waitFor(() => expect(root.querySelector('[role=alert]')?.textContent).toBe('This invitation was withdrawn by an admin.'));
    expect(root.querySelector('input[name=password]')).toBeNull();
  });
});

describe('invite dialog', () => {
  it('creates a single-use link when an e-mail is given and shows the link to copy', async () => {
    const f = stubFetch(201, { id: 7, role: 'member', email: 'bo@ext.test', max_uses: 1, uses: 0, state: 'open', created_by: 1,
      created_at: '2026-11-25T00:00:00.000Z', expires_at: '2026-12-02T00:00:00.000Z', revoked_at: null,
      url: 'https://chat.acme.test/invite/inv_new', email_sent: false });
    const root = document.createElement('div');
    document.body.appendChild(root);
    const created = vi.fn();
    render(<InviteDialog onClose={() => {}} onCreated={created} />, root);
    const email = root.querySelector<HTMLInputElement>('input[type=email]')!;
    email.value = 'bo@ext.test';
    email.dispatchEvent(new Event('input', { bubbles: true }));
    await vi.waitFor(() => expect(root.querySelectorAll('input[type=number]').length).toBe(1)); // no use count with an e-mail
    root.querySelector('form')!.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    await vi.waitFor(() => expect(root.querySelector<HTMLInputElement>('#invite-link')?.value).toBe('https://chat.acme.test/invite/inv_new'));
    const init = (f.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(JSON.parse(String(init.body))).toEqual({ role: 'member', email: 'bo@ext.test', expires_in_days: 7, max_uses: 1 });
    expect(root.textContent).toContain('No e-mail was sent');
    expect(created).toHaveBeenCalledOnce();
    root.remove();
  });
});
