// Account security and administration endpoints: two-step login, password,
// two-factor authentication, sessions, access tokens, the organisation's
// policy, users administration and the audit trail.
import { request } from './client';
import type { components } from './schema.gen';
import type { ID, LoginResponse, User } from './types';

type S = components['schemas'];
export type TwoFactorChallenge = S['TwoFactorChallenge'];
export type SecurityPolicy = S['SecurityPolicy'];
export type TwoFactorStatus = S['TwoFactorStatus'];
export type TwoFactorSetup = S['TwoFactorSetup'];
export type SessionInfo = S['SessionInfo'];
export type TokenInfo = S['TokenInfo'];
export type NewTokenResponse = S['NewTokenResponse'];
export type AuditEntry = S['AuditEntry'];
export type AuditPage = S['AuditPage'];

/** A password login answers a session (200) or a second-factor challenge (202). */
export function isChallenge(r: LoginResponse | TwoFactorChallenge): r is TwoFactorChallenge {
  return (r as TwoFactorChallenge).two_factor_required === true;
}

export interface AuditFilter {
  actor_id?: string;
  action?: string;
  target_type?: string;
  target_id?: string;
  outcome?: '' | 'success' | 'failure';
  since?: string; // RFC 3339
  until?: string;
  cursor?: string;
}

function qs(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

export const securityApi = {
  login: (login: string, password: string) =>
    request<LoginResponse | TwoFactorChallenge>('POST', '/auth/login', { login, password, cookie: true }),
  /** An empty challenge: the server takes the one an SSO sign-in left in its HttpOnly cookie. */
  loginSecondFactor: (challenge: string, code: { code?: string; recovery_code?: string }) =>
    request<LoginResponse>('POST', '/auth/login/2fa', challenge ? { challenge, ...code } : code),

  policy: () => request<SecurityPolicy>('GET', '/org/security-policy'),
  updatePolicy: (p: Partial<SecurityPolicy>) => request<SecurityPolicy>('PATCH', '/org/security-policy', p),

  changePassword: (current_password: string, new_password: string) =>
    request<void>('POST', '/users/me/password', { current_password, new_password }),
  twoFactor: () => request<TwoFactorStatus>('GET', '/users/me/2fa'),
  setupTwoFactor: () => request<TwoFactorSetup>('POST', '/users/me/2fa/setup', {}),
  enableTwoFactor: (code: string) => request<{ recovery_codes: string[] }>('POST', '/users/me/2fa/enable', { code }),
  disableTwoFactor: (password: string) => request<void>('POST', '/users/me/2fa/disable', { password }),
  newRecoveryCodes: (password: string) => request<{ recovery_codes: string[] }>('POST', '/users/me/2fa/recovery-codes', { password }),

  sessions: () => request<{ sessions: SessionInfo[] }>('GET', '/users/me/sessions'),
  revokeSession: (id: ID) => request<void>('DELETE', `/users/me/sessions/${id}`),
  tokens: () => request<{ tokens: TokenInfo[] }>('GET', '/users/me/tokens'),
  createToken: (name: string, scope: 'read' | 'write', expires_in_days: number) =>
    request<NewTokenResponse>('POST', '/users/me/tokens', { name, scope, expires_in_days }),
  revokeToken: (id: ID) => request<void>('DELETE', `/users/me/tokens/${id}`),

  users: (q = '', cursor = '') => request<{ users: User[]; next_cursor: string }>('GET', '/users' + qs({ q, cursor, limit: 50 })),
  createUser: (b: { email: string; username: string; display_name: string; password: string; role: string }) =>
    request<User>('POST', '/users', b),
  deactivate: (id: ID) => request<User>('POST', `/users/${id}/deactivate`, {}),
  reactivate: (id: ID) => request<User>('POST', `/users/${id}/reactivate`, {}),
  resetTwoFactor: (id: ID) => request<void>('POST', `/users/${id}/2fa/reset`, {}),

  audit: (f: AuditFilter, limit = 50) =>
    request<AuditPage>('GET', '/audit' + qs({ ...f, limit } as Record<string, string | number | undefined>)),
};
