// The user's own account security: password, two-factor authentication
// (enrolment with a QR code, recovery codes, turning it off), the sessions
// list with revoke, and personal access tokens.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { securityApi, type SecurityPolicy, type SessionInfo, type TokenInfo, type TwoFactorSetup, type TwoFactorStatus } from '../api/security';
import { formatDateTime, t } from '../i18n';
import { enrolled, logout, me } from '../state/session';
import { QRCode } from './QRCode';

/** The server's localised message, or a generic one. */
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : t('common.error');
}

export function SecurityPage() {
  return (
    <main class="main page" id="main" aria-labelledby="security-title">
      <div class="page-body">
        <h1 id="security-title">{t('security.title')}</h1>
        <PasswordSection />
        <TwoFactorSection />
        <SessionsSection />
        <TokensSection />
      </div>
    </main>
  );
}

function policyHint(p: SecurityPolicy | null): string {
  if (!p) return '';
  return t('security.password_rules', { min: p.password_min_length, classes: p.password_min_classes });
}

function PasswordSection() {
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const [policy, setPolicy] = useState<SecurityPolicy | null>(null);
  useEffect(() => { securityApi.policy().then(setPolicy, () => {}); }, []);
  return (
    <section class="card" aria-labelledby="pw-title">
      <h2 id="pw-title">{t('security.password')}</h2>
      <form class="form" onSubmit={async (e) => {
        e.preventDefault();
        if (next !== again) { setMsg({ ok: false, text: t('security.password_mismatch') }); return; }
        try {
          await securityApi.changePassword(cur, next);
          setCur(''); setNext(''); setAgain('');
          setMsg({ ok: true, text: t('security.password_changed') });
        } catch (x) { setMsg({ ok: false, text: errorText(x) }); }
      }}>
        <input type="text" name="username" autoComplete="username" value={me.value?.email ?? ''} hidden readOnly />
        <label>{t('security.current_password')}<input class="input" type="password" autoComplete="current-password" required value={cur} onInput={(e) => setCur(e.currentTarget.value)} /></label>
        <label>{t('security.new_password')}<input class="input" type="password" autoComplete="new-password" required aria-describedby="pw-hint" value={next} onInput={(e) => setNext(e.currentTarget.value)} /></label>
        <p class="muted small" id="pw-hint">{policyHint(policy)}</p>
        <label>{t('security.repeat_password')}<input class="input" type="password" autoComplete="new-password" required value={again} onInput={(e) => setAgain(e.currentTarget.value)} /></label>
        {msg && <p class={msg.ok ? 'ok-text' : 'error-text'} role={msg.ok ? 'status' : 'alert'}>{msg.text}</p>}
        <div class="form-actions"><button class="btn btn-primary" type="submit">{t('security.change_password')}</button></div>
      </form>
    </section>
  );
}

/** Recovery codes, shown once, with a copy button. */
function RecoveryCodes({ codes }: { codes: string[] }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="recovery" role="region" aria-label={t('security.recovery_codes')}>
      <p><strong>{t('security.recovery_save')}</strong></p>
      <ul class="recovery-codes">{codes.map((c) => <li key={c}><code>{c}</code></li>)}</ul>
      <button class="btn" type="button" onClick={() => { void navigator.clipboard?.writeText(codes.join('\n')).then(() => setCopied(true), () => {}); }}>
        {copied ? t('security.copied') : t('security.copy')}
      </button>
    </div>
  );
}

/**
 * Enrolment: a QR code and the secret for typing, then a code from the app.
 * Used by the settings page and by the page a user sees when their
 * organisation requires 2FA.
 */
export function TwoFactorEnrol({ onDone }: { onDone(codes: string[]): void }) {
  const [setup, setSetup] = useState<TwoFactorSetup | null>(null);
  const [code, setCode] = useState('');
  const [err, setErr] = useState('');
  useEffect(() => { securityApi.setupTwoFactor().then(setSetup, (x) => setErr(errorText(x))); }, []);
  if (!setup) return err ? <p class="error-text" role="alert">{err}</p> : <p class="muted" role="status">{t('common.loading')}</p>;
  return (
    <form class="form enrol" onSubmit={async (e) => {
      e.preventDefault();
      setErr('');
      try { onDone((await securityApi.enableTwoFactor(code)).recovery_codes); } catch (x) { setErr(errorText(x)); }
    }}>
      <ol class="steps">
        <li>{t('security.enrol_scan')}</li>
        <li>{t('security.enrol_type')}</li>
      </ol>
      <QRCode text={setup.otpauth_uri} label={t('security.qr_label')} />
      <p class="muted small">{t('security.enrol_manual')} <code class="secret">{setup.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
      <label>{t('security.code')}<input class="input code-input" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9 ]{6,7}" maxLength={7} required value={code} onInput={(e) => setCode(e.currentTarget.value)} /></label>
      {err && <p class="error-text" role="alert">{err}</p>}
      <div class="form-actions"><button class="btn btn-primary" type="submit">{t('security.enable')}</button></div>
    </form>
  );
}

function TwoFactorSection() {
  const [st, setSt] = useState<TwoFactorStatus | null>(null);
  const [mode, setMode] = useState<'idle' | 'enrol' | 'disable' | 'codes'>('idle');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [pw, setPw] = useState('');
  const [err, setErr] = useState('');
  const load = () => securityApi.twoFactor().then(setSt, (x) => setErr(errorText(x)));
  useEffect(() => { void load(); }, []);
  return (
    <section class="card" aria-labelledby="tf-title">
      <h2 id="tf-title">{t('security.two_factor')}</h2>
      {st && <p role="status">{st.enabled ? t('security.tf_on', { n: st.recovery_codes_left }) : t('security.tf_off')}{st.required ? ' ' + t('security.tf_required') : ''}</p>}
      {codes && <RecoveryCodes codes={codes} />}
      {mode === 'enrol' && <TwoFactorEnrol onDone={(c) => { setCodes(c); setMode('idle'); void load(); }} />}
      {(mode === 'disable' || mode === 'codes') && (
        <form class="form" onSubmit={async (e) => {
          e.preventDefault();
          setErr('');
          try {
            if (mode === 'disable') await securityApi.disableTwoFactor(pw);
            else setCodes((await securityApi.newRecoveryCodes(pw)).recovery_codes);
            setPw(''); setMode('idle'); void load();
          } catch (x) { setErr(errorText(x)); }
        }}>
          <label>{t('security.confirm_password')}<input class="input" type="password" autoComplete="current-password" required value={pw} onInput={(e) => setPw(e.currentTarget.value)} /></label>
          <div class="form-actions">
            <button class="btn" type="button" onClick={() => setMode('idle')}>{t('common.cancel')}</button>
            <button class={'btn ' + (mode === 'disable' ? 'btn-danger' : 'btn-primary')} type="submit">{mode === 'disable' ? t('security.disable') : t('security.new_codes')}</button>
          </div>
        </form>
      )}
      {err && <p class="error-text" role="alert">{err}</p>}
      {st && mode === 'idle' && (
        <div class="form-actions start">
          {!st.enabled && <button class="btn btn-primary" onClick={() => { setCodes(null); setMode('enrol'); }}>{t('security.set_up')}</button>}
          {st.enabled && <button class="btn" onClick={() => { setCodes(null); setMode('codes'); }}>{t('security.new_codes')}</button>}
          {st.enabled && !st.required && <button class="btn btn-danger" onClick={() => setMode('disable')}>{t('security.disable')}</button>}
        </div>
      )}
    </section>
  );
}

function SessionsSection() {
  const [list, setList] = useState<SessionInfo[] | null>(null);
  const [err, setErr] = useState('');
  const load = () => securityApi.sessions().then((r) => setList(r.sessions), (x) => setErr(errorText(x)));
  useEffect(() => { void load(); }, []);
  return (
    <section class="card" aria-labelledby="sess-title">
      <h2 id="sess-title">{t('security.sessions')}</h2>
      {err && <p class="error-text" role="alert">{err}</p>}
      {list && (
        <table class="table">
          <thead><tr><th scope="col">{t('security.device')}</th><th scope="col">{t('security.address')}</th><th scope="col">{t('security.signed_in')}</th><th scope="col">{t('security.last_used')}</th><th scope="col"><span class="sr-only">{t('security.actions')}</span></th></tr></thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id}>
                <td>{s.user_agent || (s.kind === 'token' ? t('security.api_login') : '—')}{s.current && <span class="tag">{t('security.this_session')}</span>}</td>
                <td>{s.address}</td>
                <td>{formatDateTime(s.created_at)}</td>
                <td>{s.last_used_at ? formatDateTime(s.last_used_at) : '—'}</td>
                <td><button class="btn btn-small" onClick={async () => {
                  try {
                    await securityApi.revokeSession(s.id);
                    if (s.current) void logout(); else void load();
                  } catch (x) { setErr(errorText(x)); }
                }}>{s.current ? t('login.logout') : t('security.revoke')}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function TokensSection() {
  const [list, setList] = useState<TokenInfo[] | null>(null);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'write'>('read');
  const [days, setDays] = useState(30);
  const [secret, setSecret] = useState<string | null>(null);
  const [err, setErr] = useState('');
  const load = () => securityApi.tokens().then((r) => setList(r.tokens), (x) => setErr(errorText(x)));
  useEffect(() => { void load(); }, []);
  return (
    <section class="card" aria-labelledby="tok-title">
      <h2 id="tok-title">{t('security.tokens')}</h2>
      <p class="muted small">{t('security.tokens_intro')}</p>
      <form class="form inline-form" onSubmit={async (e) => {
        e.preventDefault();
        setErr('');
        try {
          const r = await securityApi.createToken(name, scope, days);
          setSecret(r.token); setName(''); void load();
        } catch (x) { setErr(errorText(x)); }
      }}>
        <label>{t('security.token_name')}<input class="input" required maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('security.token_scope')}
          <select class="input" value={scope} onChange={(e) => setScope(e.currentTarget.value as 'read' | 'write')}>
            <option value="read">{t('security.scope_read')}</option>
            <option value="write">{t('security.scope_write')}</option>
          </select>
        </label>
        <label>{t('security.token_days')}<input class="input" type="number" min={1} max={366} required value={days} onInput={(e) => setDays(Number(e.currentTarget.value))} /></label>
        <div class="form-actions"><button class="btn btn-primary" type="submit">{t('common.create')}</button></div>
      </form>
      {secret && (
        <div class="token-secret" role="status">
          <p><strong>{t('security.token_once')}</strong></p>
          <code class="secret">{secret}</code>
          <button class="btn" onClick={() => void navigator.clipboard?.writeText(secret)}>{t('security.copy')}</button>
        </div>
      )}
      {err && <p class="error-text" role="alert">{err}</p>}
      {list && list.length > 0 && (
        <table class="table">
          <thead><tr><th scope="col">{t('security.token_name')}</th><th scope="col">{t('security.token_scope')}</th><th scope="col">{t('security.expires')}</th><th scope="col">{t('security.last_used')}</th><th scope="col"><span class="sr-only">{t('security.actions')}</span></th></tr></thead>
          <tbody>
            {list.map((tk) => (
              <tr key={tk.id}>
                <td>{tk.name}</td>
                <td>{tk.scope === 'read' ? t('security.scope_read') : t('security.scope_write')}</td>
                <td>{formatDateTime(tk.expires_at)}{tk.expired && <span class="tag tag-warn">{t('security.expired')}</span>}</td>
                <td>{tk.last_used_at ? formatDateTime(tk.last_used_at) : '—'}</td>
                <td><button class="btn btn-small" onClick={async () => {
                  try { await securityApi.revokeToken(tk.id); void load(); } catch (x) { setErr(errorText(x)); }
                }}>{t('security.revoke')}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Shown instead of the app while the organisation requires 2FA and the user has none. */
export function EnrolRequired() {
  const [codes, setCodes] = useState<string[] | null>(null);
  return (
    <main class="auth" id="main">
      <div class="auth-card form">
        <h1>{t('security.enrol_required_title')}</h1>
        <p>{t('security.enrol_required')}</p>
        {codes ? (
          <>
            <RecoveryCodes codes={codes} />
            <button class="btn btn-primary" onClick={() => void enrolled()}>{t('security.continue')}</button>
          </>
        ) : <TwoFactorEnrol onDone={setCodes} />}
        <button class="link-btn" onClick={() => void logout()}>{t('login.logout')}</button>
      </div>
    </main>
  );
}
