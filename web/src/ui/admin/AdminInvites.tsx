// Admin console: invitations. The Invite dialog (role, optional e-mail,
// expiry, uses) shows the new link once with a copy button and says whether
// it was e-mailed; the list shows every invitation's state with revoke.
import { useEffect, useState } from 'preact/hooks';
import { inviteApi, type Invitation, type InvitationCreated } from '../../api/invite';
import { t } from '../../i18n';
import { askConfirm } from '../../state/view';
import { Modal } from '../common';
import { errorText } from '../Security';

function stateLabel(s: Invitation['state']): string {
  switch (s) {
    case 'expired': return t('invite.state_expired');
    case 'revoked': return t('invite.state_revoked');
    case 'used_up': return t('invite.state_used_up');
  }
  return t('invite.state_open');
}

export function InviteDialog({ onClose, onCreated }: { onClose(): void; onCreated(i: InvitationCreated): void }) {
  const [f, setF] = useState({ role: 'member' as 'member' | 'guest', email: '', days: 7, uses: 1 });
  const [made, setMade] = useState<InvitationCreated | null>(null);
  const [err, setErr] = useState('');
  const [copied, setCopied] = useState(false);
  return (
    <Modal title={t('invite.dialog_title')} onClose={onClose} initialFocus={made ? '#invite-link' : '#invite-role'}>
      {made ? (
        <div class="form">
          <label>{t('invite.link')}<input id="invite-link" class="input" readOnly value={made.url} onFocus={(e) => e.currentTarget.select()} /></label>
          <p class="muted small" role="status">{made.email_sent ? t('invite.emailed', { email: made.email }) : made.email_error ? t('invite.email_failed') : t('invite.share_by_hand')}</p>
          <div class="form-actions">
            <button class="btn" type="button" onClick={() => { void navigator.clipboard?.writeText(made.url).then(() => setCopied(true), () => {}); }}>
              {copied ? t('invite.copied') : t('invite.copy')}
            </button>
            <button class="btn btn-primary" type="button" onClick={onClose}>{t('common.close')}</button>
          </div>
        </div>
      ) : (
        <form class="form" onSubmit={async (e) => {
          e.preventDefault();
          setErr('');
          try {
            const email = f.email.trim();
            const r = await inviteApi.create({ role: f.role, email, expires_in_days: f.days, max_uses: email ? 1 : f.uses });
            setMade(r);
            onCreated(r);
          } catch (x) { setErr(errorText(x)); }
        }}>
          <label>{t('admin.role')}
            <select id="invite-role" class="input" value={f.role} onChange={(e) => setF({ ...f, role: e.currentTarget.value as 'member' | 'guest' })}>
              <option value="member">{t('admin.role_member')}</option>
              <option value="guest">{t('admin.role_guest')}</option>
            </select>
          </label>
          <label>{t('invite.email_optional')}<input class="input" type="email" autoComplete="off" value={f.email} onInput={(e) => setF({ ...f, email: e.currentTarget.value })} /></label>
          <label>{t('invite.expires_days')}<input class="input" type="number" min={1} max={30} required value={f.days} onInput={(e) => setF({ ...f, days: Number(e.currentTarget.value) })} /></label>
          {!f.email.trim() && (
            <label>{t('invite.max_uses')}<input class="input" type="number" min={1} max={1000} required value={f.uses} onInput={(e) => setF({ ...f, uses: Number(e.currentTarget.value) })} /></label>
          )}
          {err && <p class="error-text" role="alert">{err}</p>}
          <div class="form-actions">
            <button class="btn" type="button" onClick={onClose}>{t('common.cancel')}</button>
            <button class="btn btn-primary" type="submit">{t('invite.create')}</button>
          </div>
        </form>
      )}
    </Modal>
  );
}

export function InvitationList({ version }: { version: number }) {
  const [list, setList] = useState<Invitation[]>([]);
  const [msg, setMsg] = useState('');
  const load = () => inviteApi.list().then((r) => setList(r.invitations), (x) => setMsg(errorText(x)));
  useEffect(() => { void load(); }, [version]);
  if (list.length === 0 && !msg) return null;
  return (
    <section aria-labelledby="invites-title">
      <h3 id="invites-title">{t('invite.list_title')}</h3>
      {msg && <p class="error-text" role="alert">{msg}</p>}
      <table class="table">
        <thead><tr><th scope="col">{t('admin.role')}</th><th scope="col">{t('admin.email')}</th><th scope="col">{t('invite.uses')}</th><th scope="col">{t('security.expires')}</th><th scope="col">{t('admin.status')}</th><th scope="col"><span class="sr-only">{t('security.actions')}</span></th></tr></thead>
        <tbody>
          {list.map((i) => (
            <tr key={i.id}>
              <td>{i.role === 'guest' ? t('admin.role_guest') : t('admin.role_member')}</td>
              <td>{i.email || '—'}</td>
              <td>{i.uses} / {i.max_uses}</td>
              <td>{new Date(i.expires_at).toLocaleString()}</td>
              <td>{stateLabel(i.state)}</td>
              <td class="row-actions">
                {i.state === 'open' && (
                  <button class="btn btn-small" onClick={async () => {
                    if (await askConfirm({ title: t('invite.revoke_q'), body: t('invite.revoke_body'), danger: true, confirm: t('invite.revoke') })) {
                      try { await inviteApi.revoke(i.id); await load(); } catch (x) { setMsg(errorText(x)); }
                    }
                  }}>{t('invite.revoke')}</button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
