// The session domain: who is signed in, the organisation, and the app's phase.
import { signal } from '@preact/signals';
import { api, ApiError, setApiLanguage, setUnauthenticatedHandler } from '../api/client';
import { isChallenge, securityApi } from '../api/security';
import { ssoApi } from '../api/sso';
import type { LoginResponse, Org, User } from '../api/types';
import { locale, setLocale } from '../i18n';

export type Phase = 'loading' | 'anonymous' | 'ready';

export const phase = signal<Phase>('loading');
export const me = signal<User | null>(null);
export const org = signal<Org | null>(null);
/**
 * The organisation requires two-factor authentication and this user has
 * none: the session may only set it up (the app shows the enrolment page).
 */
export const mustEnrol = signal(false);
/** The last attempt to load the session could not reach the server (offline start). */
export const unreachable = signal(false);

setApiLanguage(locale.value);

let onSignedIn: (u: User) => Promise<void> = async () => {};
let onSignedOut: () => void = () => {};
/** The app shell registers what to start and stop around a session. */
export function setSessionHooks(inFn: (u: User) => Promise<void>, outFn: () => void): void {
  onSignedIn = inFn;
  onSignedOut = outFn;
}

export async function boot(): Promise<void> {
  setUnauthenticatedHandler(() => signedOut());
  try {
    const u = await api.me();
    unreachable.value = false;
    // A session that must enrol in 2FA can read only its own account. The
    // session says so itself: an SSO sign-in need not enrol even when the
    // organisation requires 2FA (unless it asks that of SSO too).
    const tf = await securityApi.twoFactor().catch(() => null);
    await signedIn(u, !!tf && tf.enrolment_required);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      unreachable.value = false;
      signedOut();
    } else {
      unreachable.value = true;
      // Server unreachable: retry shortly, keep the loading screen.
      setTimeout(() => void boot(), 2000);
    }
  }
}

export async function signedIn(u: User, enrol = false): Promise<void> {
  me.value = u;
  if ((u.locale === 'en' || u.locale === 'zh-CN') && !localStorage.getItem('parley.locale')) setLocale(u.locale);
  mustEnrol.value = enrol;
  if (!enrol) {
    api.org().then((o) => (org.value = o), () => {});
    await onSignedIn(u);
  }
  phase.value = 'ready';
}

/** Called once a session that had to enrol in 2FA has done so. */
export async function enrolled(): Promise<void> {
  if (me.value) await signedIn(me.value, false);
}

async function afterLogin(r: LoginResponse): Promise<void> {
  await signedIn(r.user ?? (await api.me()), r.two_factor_enrolment_required);
}

export function signedOut(): void {
  if (phase.value === 'anonymous') return;
  me.value = null;
  mustEnrol.value = false;
  phase.value = 'anonymous';
  onSignedOut();
}

/**
 * Logs in with a password. Returns the challenge when the user has 2FA: the
 * caller then asks for a code and calls loginSecondFactor.
 */
export async function login(loginName: string, password: string): Promise<string | null> {
  const r = await securityApi.login(loginName, password);
  if (isChallenge(r)) return r.challenge;
  await afterLogin(r);
  return null;
}

/**
 * Logs in with directory (LDAP) credentials; like login, returns the
 * challenge when the organisation asks SSO sign-ins for Parley's 2FA and the
 * user has it.
 */
export async function loginDirectory(providerId: number, loginName: string, password: string): Promise<string | null> {
  const r = await ssoApi.ldapLogin(providerId, loginName, password);
  if (isChallenge(r)) return r.challenge;
  await afterLogin(r);
  return null;
}

/** The challenge of an SSO sign-in is in a cookie the page cannot read: pass ''. */
export async function loginSecondFactor(challenge: string, code: { code?: string; recovery_code?: string }): Promise<void> {
  await afterLogin(await securityApi.loginSecondFactor(challenge, code));
}

export async function logout(): Promise<void> {
  try { await api.logout(); } catch { /* ending the session locally anyway */ }
  signedOut();
}

/** Switches the UI language and remembers it on the account. */
export function changeLocale(l: 'en' | 'zh-CN'): void {
  setLocale(l);
  setApiLanguage(l);
  if (me.value) void api.updateMe({ locale: l }).then((u) => (me.value = u), () => {});
}
