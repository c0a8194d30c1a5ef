// Single sign-on endpoints: the providers on the login page, LDAP login,
// and the organisation's provider settings and SCIM tokens (admins).
import { request } from './client';
import type { components } from './schema.gen';
import type { ID, LoginResponse } from './types';

type S = components['schemas'];
export type SSOOption = S['SSOOption'];
export type SSOProvider = S['SSOProvider'];
export type SSOProviderRequest = S['SSOProviderRequest'];
export type SSOTestResult = S['SSOTestResult'];
export type SSOSyncResult = S['SSOSyncResult'];
type TwoFactorChallenge = S['TwoFactorChallenge'];
export type SCIMToken = S['SCIMToken'];

export const ssoApi = {
  loginOptions: () => request<{ providers: SSOOption[] }>('GET', '/auth/sso/providers'),
  ldapLogin: (providerId: ID, login: string, password: string) =>
    request<LoginResponse | TwoFactorChallenge>('POST', '/auth/ldap/login', { provider_id: providerId, login, password, cookie: true }),

  providers: () => request<{ providers: SSOProvider[] }>('GET', '/sso/providers'),
  create: (b: SSOProviderRequest) => request<SSOProvider>('POST', '/sso/providers', b),
  update: (id: ID, b: SSOProviderRequest) => request<SSOProvider>('PATCH', `/sso/providers/${id}`, b),
  remove: (id: ID) => request<void>('DELETE', `/sso/providers/${id}`),
  test: (id: ID) => request<SSOTestResult>('POST', `/sso/providers/${id}/test`),
  sync: (id: ID) => request<SSOSyncResult>('POST', `/sso/providers/${id}/sync`),

  scimTokens: () => request<{ tokens: SCIMToken[] }>('GET', '/sso/scim-tokens'),
  createScimToken: (name: string) => request<SCIMToken>('POST', '/sso/scim-tokens', { name }),
  deleteScimToken: (id: ID) => request<void>('DELETE', `/sso/scim-tokens/${id}`),
};
