// The public page of an invitation link (/invite/<token>): shows the
// organisation and the role, and creates the account.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { inviteApi, type InvitationPreview } from '../api/invite';
import { t } from '../i18n';
import { navigate } from '../state/router';
import { signedIn } from '../state/session';
import { LangSwitch } from './Auth';

export function InviteAccept({ token }: { token: string }) {
  const [pv, setPv] = useState<InvitationPreview | null>(null);
  const [refused, setRefused] = useState('');
  const [f, setF] = useState({ email: '', username: '', display_name: '', password: '' });
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!token) { setRefused(t('invite.not_found')); return; }
    inviteApi.preview(token).then((p) => { setPv(p); setF((x) => ({ ...x, email: p.email })); },
      (x) => setRefused(x instanceof ApiError ? x.message : t('common.error')));
  }, [token]);
  const field = (k: keyof typeof f, label: string, type: 'text' | 'email' | 'password', auto: string, required = true, readOnly = false) => (
    <label>{label}<input class="input" name={k} type={type as 'text'} autoComplete={auto} required={required} readOnly={readOnly}
      value={f[k]} onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} /></label>
  );
  return (
    <main class="auth" id="main">
      <form class="auth-card form" aria-labelledby="invite-title" onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr('');
        try {
          const r = await inviteApi.accept(token, f);
          await signedIn(r.user);
          navigate('/', true);
        } catch (x) {
          setErr(x instanceof ApiError ? x.message : t('common.error'));
        } finally {
          setBusy(false);
        }
      }}>
        <h1 id="invite-title">{pv ? t('invite.page_title', { org: pv.org_name }) : t('invite.title_plain')}</h1>
        {refused && <p class="error-text" role="alert">{refused}</p>}
        {!pv && !refused && <p class="muted" role="status">{t('common.loading')}</p>}
        {pv && (
          <>
            <p class="muted">{pv.role === 'guest' ? t('invite.as_guest') : t('invite.as_member')}</p>
            {field('email', t('setup.email'), 'email', 'email', true, pv.email !== '')}
            {field('display_name', t('setup.display'), 'text', 'name', false)}
            {field('username', t('setup.username'), 'text', 'username')}
            {field('password', t('setup.password'), 'password', 'new-password')}
            {err && <p class="error-text" role="alert">{err}</p>}
            <button class="btn btn-primary" type="submit" disabled={busy}>{t('invite.accept_submit')}</button>
          </>
        )}
        <LangSwitch />
      </form>
    </main>
  );
}
