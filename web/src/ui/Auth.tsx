// Sign-in and first-run setup pages.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import { locale, t, type Locale } from '../i18n';
import { changeLocale, login, loginDirectory, loginSecondFactor, signedIn } from '../state/session';
import { navigate } from '../state/router';
import { SSOLogin } from './SSOLogin';

export function LangSwitch() {
  return (
    <select class="input lang-switch" aria-label={t('settings.language')} value={locale.value} onChange={(e) => changeLocale(e.currentTarget.value as Locale)}>
      <option value="zh-CN">简体中文</option>
      <option value="en">English</option>
    </select>
  );
}

/**
 * The second step of a login: a code from the authenticator app, or a
 * recovery code. The challenge is '' after an SSO sign-in (?sso_2fa=1): the
 * server keeps it in an HttpOnly cookie.
 */
function SecondFactor({ challenge, onRestart }: { challenge: string; onRestart(): void }) {
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main class="auth" id="main">
      <form class="auth-card form" onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr('');
        try {
          await loginSecondFactor(challenge, recovery ? { recovery_code: code } : { code });
          // Leaves ?sso_2fa=1 behind too.
          navigate(location.pathname === '/login' ? '/' : location.pathname, true);
        } catch (x) {
          if (x instanceof ApiError && x.code === 'challenge_invalid') onRestart();
          setErr(x instanceof Error ? x.message : String(x));
        } finally {
          setBusy(false);
        }
      }}>
        <h1>{t('login.two_factor')}</h1>
        {!challenge && <p class="muted">{t('login.sso_two_factor')}</p>}
        <p class="muted">{recovery ? t('login.recovery_hint') : t('login.code_hint')}</p>
        <label>{recovery ? t('login.recovery_code') : t('login.code')}
          <input class="input code-input" name="code" autoFocus required autoComplete="one-time-code" inputMode={recovery ? 'text' : 'numeric'}
            maxLength={recovery ? 40 : 7} value={code} onInput={(e) => setCode(e.currentTarget.value)} />
        </label>
        {err && <p class="error-text" role="alert">{err}</p>}
        <button class="btn btn-primary" type="submit" disabled={busy}>{t('login.verify')}</button>
        <button class="link-btn" type="button" onClick={() => { setRecovery(!recovery); setCode(''); setErr(''); }}>
          {recovery ? t('login.use_code') : t('login.use_recovery')}
        </button>
      </form>
    </main>
  );
}

/** Whether the page was reached from an SSO sign-in that owes the second step. */
export function ssoChallengePending(): boolean {
  return new URLSearchParams(location.search).get('sso_2fa') === '1';
}

export function Login() {
  const [name, setName] = useState('');
  const [pw, setPw] = useState('');
  const [err, setErr] = useState('');
  const [busy, setBusy] = useState(false);
  // After an SSO sign-in that owes Parley's second step (?sso_2fa=1) the
  // challenge is '' (in a cookie); after a password, the one answered.
  const [challenge, setChallenge] = useState<string | null>(() => (ssoChallengePending() ? '' : null));
  const [ldap, setLdap] = useState(0); // an LDAP provider id, or 0 for a Parley password
  useEffect(() => {
    api.setupNeeded().then((r) => r.needed && setErr(t('setup.no_token')), () => {});
  }, []);
  if (challenge !== null) {
    return <SecondFactor challenge={challenge} onRestart={() => {
      setChallenge(null);
      setPw('');
      setErr(t('login.expired'));
      if (ssoChallengePending()) navigate('/login', true); // a dead SSO challenge: sign in again
    }} />;
  }
  return (
    <main class="auth" id="main">
      <form class="auth-card form" onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr('');
        try {
          const ch = ldap ? await loginDirectory(ldap, name.trim(), pw) : await login(name.trim(), pw);
          if (ch) { setChallenge(ch); return; }
          navigate(location.pathname === '/login' ? '/' : location.pathname, true);
        } catch (x) {
          setErr(x instanceof ApiError && x.status === 401 ? t('login.failed') : x instanceof Error ? x.message : String(x));
        } finally {
          setBusy(false);
        }
      }}>
        <h1>{t('login.title')}</h1>
        <label>{t('login.login')}<input class="input" name="login" autoComplete="username" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('login.password')}<input class="input" name="password" type="password" autoComplete="current-password" required value={pw} onInput={(e) => setPw(e.currentTarget.value)} /></label>
        {err && <p class="error-text" role="alert">{err}</p>}
        <button class="btn btn-primary" type="submit" disabled={busy}>{t('login.submit')}</button>
        <SSOLogin ldap={ldap} onLdap={setLdap} />
        <LangSwitch />
      </form>
    </main>
  );
}

export function Setup({ token }: { token: string }) {
  const [f, setF] = useState({ org_name: '', email: '', username: '', display_name: '', password: '' });
  const [err, setErr] = useState(token ? '' : t('setup.no_token'));
  const [busy, setBusy] = useState(false);
  const field = (k: keyof typeof f, label: string, type: 'text' | 'email' | 'password' = 'text', auto = 'off') => (
    <label>{label}<input class="input" name={k} type={type as 'text'} autoComplete={auto} required value={f[k]} onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} /></label>
  );
  return (
    <main class="auth" id="main">
      <form class="auth-card form" onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setErr('');
        try {
          const r = await api.setup({ setup_token: token, ...f });
          await signedIn(r.user ?? (await api.me()));
          navigate('/', true);
        } catch (x) {
          if (x instanceof ApiError && x.code === 'setup_token_invalid') setErr(t('setup.token_invalid'));
          else if (x instanceof ApiError && x.code === 'already_set_up') setErr(t('setup.done'));
          else setErr(x instanceof Error ? x.message : String(x));
        } finally {
          setBusy(false);
        }
      }}>
        <h1>{t('setup.title')}</h1>
        <p class="muted">{t('setup.intro')}</p>
        {field('org_name', t('setup.org'), 'text', 'organization')}
        {field('display_name', t('setup.display'), 'text', 'name')}
        {field('username', t('setup.username'), 'text', 'username')}
        {field('email', t('setup.email'), 'email', 'email')}
        {field('password', t('setup.password'), 'password', 'new-password')}
        {err && <p class="error-text" role="alert">{err}</p>}
        <button class="btn btn-primary" type="submit" disabled={busy || !token}>{t('setup.submit')}</button>
        <LangSwitch />
      </form>
    </main>
  );
}
