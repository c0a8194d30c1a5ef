// Admin console: users. Search, invite by link or e-mail, create with an
// initial password, change role, deactivate and reactivate, reset
// two-factor authentication.
import { useEffect, useState } from 'preact/hooks';
import { securityApi } from '../../api/security';
import type { User } from '../../api/types';
import { t } from '../../i18n';
import { me } from '../../state/session';
import { askConfirm } from '../../state/view';
import { request } from '../../api/client';
import { errorText } from '../Security';
import { InvitationList, InviteDialog } from './AdminInvites';

const ROLES = ['owner', 'admin', 'member', 'guest'] as const;

function roleLabel(r: string): string {
  switch (r) {
    case 'owner': return t('admin.role_owner');
    case 'admin': return t('admin.role_admin');
    case 'guest': return t('admin.role_guest');
    case 'dept_admin': return t('admin.role_dept_admin');
    case 'bot': return t('admin.role_bot');
  }
  return t('admin.role_member');
}

export function AdminUsers() {
  const [q, setQ] = useState('');
  const [users, setUsers] = useState<User[]>([]);
  const [cursor, setCursor] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [creating, setCreating] = useState(false);
  const [inviting, setInviting] = useState(false);
  const [invites, setInvites] = useState(0);
  const load = async (more = false) => {
    try {
      const r = await securityApi.users(q.trim(), more ? cursor : '');
      setUsers(more ? [...users, ...r.users] : r.users);
      setCursor(r.next_cursor);
    } catch (x) { setMsg({ ok: false, text: errorText(x) }); }
  };
  useEffect(() => { void load(); }, [q]);
  const replace = (u: User) => setUsers(users.map((x) => (x.id === u.id ? u : x)));
  const act = async (fn: () => Promise<unknown>, ok: string) => {
    setMsg(null);
    try { await fn(); setMsg({ ok: true, text: ok }); } catch (x) { setMsg({ ok: false, text: errorText(x) }); }
  };
  const owner = me.value?.role === 'owner';
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">{t('admin.users')}</h2>
      <div class="toolbar">
        <input class="input" type="search" aria-label={t('admin.search_users')} placeholder={t('admin.search_users')} value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        <button class="btn btn-primary" onClick={() => setInviting(true)} aria-haspopup="dialog">{t('invite.button')}</button>
        <button class="btn" onClick={() => setCreating(!creating)} aria-expanded={creating}>{t('admin.add_user')}</button>
      </div>
      {inviting && <InviteDialog onClose={() => setInviting(false)} onCreated={() => setInvites(invites + 1)} />}
      {creating && <NewUser onCreated={(u) => { setUsers([u, ...users]); setCreating(false); setMsg({ ok: true, text: t('admin.user_created') }); }} />}
      {msg && <p class={msg.ok ? 'ok-text' : 'error-text'} role={msg.ok ? 'status' : 'alert'}>{msg.text}</p>}
      <table class="table">
        <thead><tr><th scope="col">{t('admin.name')}</th><th scope="col">{t('admin.email')}</th><th scope="col">{t('admin.role')}</th><th scope="col">{t('admin.status')}</th><th scope="col"><span class="sr-only">{t('security.actions')}</span></th></tr></thead>
        <tbody>
          {users.map((u) => {
            const self = u.id === me.value?.id;
            const locked = self || (u.role === 'owner' && !owner);
            return (
              <tr key={u.id} class={u.active ? '' : 'inactive'}>
                <td>{u.display_name} <span class="muted">@{u.username}</span></td>
                <td>{u.email}</td>
                <td>
                  {locked || u.role === 'dept_admin' || u.role === 'bot' ? roleLabel(u.role) : (
                    <select class="input input-small" aria-label={t('admin.role_of', { name: u.display_name })} value={u.role}
                      onChange={(e) => {
                        const role = e.currentTarget.value;
                        void act(async () => replace(await request<User>('PUT', `/users/${u.id}/role`, { role })), t('admin.role_changed'));
                      }}>
                      {ROLES.filter((r) => r !== 'owner' || owner).map((r) => <option key={r} value={r}>{roleLabel(r)}</option>)}
                    </select>
                  )}
                </td>
                <td>{u.active ? t('admin.active') : t('admin.deactivated')}</td>
                <td class="row-actions">
                  {!locked && (u.active ? (
                    <button class="btn btn-small" onClick={async () => {
                      if (await askConfirm({ title: t('admin.deactivate_q', { name: u.display_name }), body: t('admin.deactivate_body'), danger: true, confirm: t('admin.deactivate') })) {
                        await act(async () => replace(await securityApi.deactivate(u.id)), t('admin.deactivated'));
                      }
                    }}>{t('admin.deactivate')}</button>
                  ) : (
                    <button class="btn btn-small" onClick={() => void act(async () => replace(await securityApi.reactivate(u.id)), t('admin.active'))}>{t('admin.reactivate')}</button>
                  ))}
                  {!locked && (
                    <button class="btn btn-small" onClick={async () => {
                      if (await askConfirm({ title: t('admin.reset_2fa_q', { name: u.display_name }), body: t('admin.reset_2fa_body'), confirm: t('admin.reset_2fa') })) {
                        await act(() => securityApi.resetTwoFactor(u.id), t('admin.reset_2fa_done'));
                      }
                    }}>{t('admin.reset_2fa')}</button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {cursor && <button class="btn" onClick={() => void load(true)}>{t('admin.more')}</button>}
      <InvitationList version={invites} />
    </section>
  );
}

function NewUser({ onCreated }: { onCreated(u: User): void }) {
  const [f, setF] = useState({ email: '', username: '', display_name: '', password: '', role: 'member' });
  const [err, setErr] = useState('');
  const field = (k: 'email' | 'username' | 'display_name' | 'password', label: string, type: 'text' | 'email' | 'password' = 'text') => (
    <label>{label}<input class="input" type={type as 'text'} required={k !== 'display_name'} autoComplete="off" value={f[k]} onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} /></label>
  );
  return (
    <form class="form card" onSubmit={async (e) => {
      e.preventDefault();
      setErr('');
      try { onCreated(await securityApi.createUser(f)); } catch (x) { setErr(errorText(x)); }
    }}>
      <p class="muted small">{t('admin.invite_note')}</p>
      {field('email', t('admin.email'), 'email')}
      {field('username', t('setup.username'))}
      {field('display_name', t('setup.display'))}
      {field('password', t('admin.initial_password'), 'password')}
      <label>{t('admin.role')}
        <select class="input" value={f.role} onChange={(e) => setF({ ...f, role: e.currentTarget.value })}>
          {(['admin', 'member', 'guest'] as const).map((r) => <option key={r} value={r}>{roleLabel(r)}</option>)}
        </select>
      </label>
      {err && <p class="error-text" role="alert">{err}</p>}
      <div class="form-actions"><button class="btn btn-primary" type="submit">{t('common.create')}</button></div>
    </form>
  );
}
