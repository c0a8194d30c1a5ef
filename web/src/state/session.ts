// The session domain: who is signed in, the organisation, and the app's phase.
import { signal } from '@preact/signals';
import { api, ApiError, setApiLanguage, setUnauthenticatedHandler } from '../api/client';
import type { Org, User } from '../api/types';
import { locale, setLocale } from '../i18n';

export type Phase = 'loading' | 'anonymous' | 'ready';

export const phase = signal<Phase>('loading');
export const me = signal<User | null>(null);
export const org = signal<Org | null>(null);
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
    await signedIn(u);
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

export async function signedIn(u: User): Promise<void> {
  me.value = u;
  if ((u.locale === 'en' || u.locale === 'zh-CN') && !localStorage.getItem('parley.locale')) setLocale(u.locale);
  api.org().then((o) => (org.value = o), () => {});
  await onSignedIn(u);
  phase.value = 'ready';
}

export function signedOut(): void {
  if (phase.value === 'anonymous') return;
  me.value = null;
  phase.value = 'anonymous';
  onSignedOut();
}

export async function login(loginName: string, password: string): Promise<void> {
  const r = await api.login(loginName, password);
  await signedIn(r.user ?? (await api.me()));
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
