// Admin console: the audit trail with filters (actor, action, target,
// outcome, time range), newest first, paged.
import { useEffect, useState } from 'preact/hooks';
import { securityApi, type AuditEntry, type AuditFilter } from '../../api/security';
import type { User } from '../../api/types';
import { request } from '../../api/client';
import { formatDateTime, t } from '../../i18n';
import { errorText } from '../Security';

/** The actions the server records today; others show as their raw name. */
export const AUDIT_ACTIONS = ['auth.', 'auth.login', 'auth.login_failed', 'auth.logout', 'session.revoke', 'token.create', 'token.revoke',
  'user.create', 'user.deactivate', 'user.reactivate', 'user.role_change', 'user.password_change', 'org.update', 'org.security_policy',
  '2fa.', '2fa.enable', '2fa.disable', '2fa.reset', '2fa.recovery_codes', 'sso.', 'scim.',
  'permissions.update', 'department.', 'department.create', 'department.update', 'department.move', 'department.delete',
  'department.member_set', 'department.member_remove', 'department.admin_grant', 'department.admin_revoke',
  'group.', 'group.create', 'group.update', 'group.delete', 'group.member_add', 'group.member_remove',
  'profile_field.', 'channel.department_bind'];

/** A datetime-local value (local time) as RFC 3339, or ''. */
export function localToRFC3339(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return isNaN(d.getTime()) ? '' : d.toISOString();
}

export function AdminAudit() {
  const [f, setF] = useState<AuditFilter & { since_local?: string; until_local?: string }>({ outcome: '' });
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState('');
  const [names, setNames] = useState<Record<number, User>>({});
  const [err, setErr] = useState('');
  const query = (): AuditFilter => ({
    actor_id: f.actor_id, action: f.action, target_type: f.target_type, target_id: f.target_id, outcome: f.outcome,
    since: localToRFC3339(f.since_local ?? ''), until: localToRFC3339(f.until_local ?? ''),
  });
  const load = async (more = false) => {
    setErr('');
    try {
      const r = await securityApi.audit({ ...query(), cursor: more ? cursor : undefined });
      const all = more ? [...entries, ...r.entries] : r.entries;
      setEntries(all);
      setCursor(r.next_cursor);
      const ids = [...new Set(all.flatMap((e) => [e.actor_id, e.target_type === 'user' ? e.target_id : 0]).filter((id) => id > 0 && !names[id]))];
      if (ids.length) {
        const got = await fetchUsers(ids.slice(0, 200));
        setNames((n) => ({ ...n, ...got }));
      }
    } catch (x) { setErr(errorText(x)); }
  };
  useEffect(() => { void load(); }, []);
  const who = (id: number) => (id === 0 ? t('audit.anonymous') : names[id] ? names[id]!.display_name : '#' + id);
  const set = (k: keyof typeof f) => (e: { currentTarget: HTMLInputElement | HTMLSelectElement }) => setF({ ...f, [k]: e.currentTarget.value });
  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">{t('admin.audit')}</h2>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); void load(); }}>
        <label>{t('audit.action')}
          <select class="input" value={f.action ?? ''} onChange={set('action')}>
            <option value="">{t('audit.any')}</option>
            {AUDIT_ACTIONS.map((a) => <option key={a} value={a}>{a.endsWith('.') ? a + '*' : a}</option>)}
          </select>
        </label>
        <label>{t('audit.outcome')}
          <select class="input" value={f.outcome ?? ''} onChange={set('outcome')}>
            <option value="">{t('audit.any')}</option>
            <option value="success">{t('audit.success')}</option>
            <option value="failure">{t('audit.failure')}</option>
          </select>
        </label>
        <label>{t('audit.actor_id')}<input class="input" inputMode="numeric" pattern="[0-9]*" value={f.actor_id ?? ''} onInput={set('actor_id')} /></label>
        <label>{t('audit.target_type')}
          <select class="input" value={f.target_type ?? ''} onChange={set('target_type')}>
            <option value="">{t('audit.any')}</option>
            {['user', 'session', 'token', 'org', 'sso_provider', 'scim_token', 'department', 'group', 'profile_field', 'channel'].map((x) => <option key={x} value={x}>{x}</option>)}
          </select>
        </label>
        <label>{t('audit.target_id')}<input class="input" inputMode="numeric" pattern="[0-9]*" value={f.target_id ?? ''} onInput={set('target_id')} /></label>
        <label>{t('audit.since')}<input class="input" type="datetime-local" value={f.since_local ?? ''} onInput={set('since_local')} /></label>
        <label>{t('audit.until')}<input class="input" type="datetime-local" value={f.until_local ?? ''} onInput={set('until_local')} /></label>
        <div class="form-actions"><button class="btn btn-primary" type="submit">{t('audit.apply')}</button></div>
      </form>
      {err && <p class="error-text" role="alert">{err}</p>}
      <table class="table">
        <thead><tr><th scope="col">{t('audit.time')}</th><th scope="col">{t('audit.actor')}</th><th scope="col">{t('audit.action')}</th><th scope="col">{t('audit.target')}</th><th scope="col">{t('audit.address')}</th><th scope="col">{t('audit.outcome')}</th><th scope="col">{t('audit.details')}</th></tr></thead>
        <tbody>
          {entries.map((e) => (
            <tr key={e.id} class={e.outcome === 'failure' ? 'failure' : ''}>
              <td>{formatDateTime(e.at)}</td>
              <td>{who(e.actor_id)}</td>
              <td><code>{e.action}</code></td>
              <td>{e.target_type ? (e.target_type === 'user' ? who(e.target_id) : `${e.target_type} #${e.target_id}`) : '—'}</td>
              <td>{e.address}</td>
              <td>{e.outcome === 'success' ? t('audit.success') : t('audit.failure')}</td>
              {/* The details are the stored record, shown verbatim (keys and values as written), not interface text. */}
              <td class="details" data-uc="">{Object.entries(e.details).map(([k, v]) => <div key={k}><span class="muted">{k}:</span> {v}</div>)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {entries.length === 0 && !err && <p class="muted">{t('audit.empty')}</p>}
      {cursor && <button class="btn" onClick={() => void load(true)}>{t('admin.more')}</button>}
    </section>
  );
}

async function fetchUsers(ids: number[]): Promise<Record<number, User>> {
  const r = await request<{ users: User[] }>('GET', '/users?ids=' + ids.join(','));
  return Object.fromEntries(r.users.map((u) => [u.id, u]));
}
