// The login page's single sign-on part: a button per OIDC or SAML
// provider (a plain link: the server redirects to the identity provider),
// the directory (LDAP) accounts the password form can use instead, and the
// reason an SSO sign-in came back refused (?sso_error=CODE).
import { useEffect, useState } from 'preact/hooks';
import { ssoApi, type SSOOption } from '../api/sso';
import { t, type Key } from '../i18n';

/** The message for an sso_error code, or a generic one. */
export function ssoErrorText(code: string): string {
  const known: Record<string, Key> = {
    sso_state_mismatch: 'sso.error.state',
    sso_email_taken: 'sso.error.email_taken',
    user_deactivated: 'sso.error.deactivated',
    sso_denied: 'sso.error.denied',
    // Parley's second step owed after the sign-in, locked by wrong codes.
    too_many_attempts: 'sso.error.too_many',
  };
  return t(known[code] ?? 'sso.error.generic', { code });
}

export function SSOLogin({ ldap, onLdap }: { ldap: number; onLdap: (id: number) => void }) {
  const [options, setOptions] = useState<SSOOption[]>([]);
  const error = new URLSearchParams(location.search).get('sso_error');
  useEffect(() => {
    ssoApi.loginOptions().then((r) => setOptions(r.providers), () => setOptions([]));
  }, []);
  const redirects = options.filter((o) => o.start_url);
  const directories = options.filter((o) => o.kind === 'ldap');
  return (
    <div class="sso-login">
      {error && <p class="error-text" role="alert">{ssoErrorText(error)}</p>}
      {directories.length > 0 && (
        <label>{t('sso.account_kind')}
          <select class="input" name="account" value={String(ldap)} onChange={(e) => onLdap(Number(e.currentTarget.value))}>
            <option value="0">{t('sso.account_parley')}</option>
            {directories.map((d) => <option key={d.id} value={String(d.id)}>{d.name}</option>)}
          </select>
        </label>
      )}
      {redirects.length > 0 && (
        <nav class="sso-buttons" aria-label={t('sso.or')}>
          <p class="muted">{t('sso.or')}</p>
          {redirects.map((o) => (
            <a key={o.id} class="btn" href={o.start_url}>{t('sso.continue_with', { name: o.name })}</a>
          ))}
        </nav>
      )}
    </div>
  );
}
