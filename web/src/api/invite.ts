// Invitations: admins create, list and revoke links; anyone holding a link
// previews and accepts it (no session needed).
import { request } from './client';
import type { components } from './schema.gen';
import type { LoginResponse } from './types';

type S = components['schemas'];
export type Invitation = S['Invitation'];
export type InvitationCreated = S['InvitationCreated'];
export type InvitationPreview = S['InvitationPreview'];
export type NewInvitation = S['NewInvitation'];

const enc = encodeURIComponent;

export const inviteApi = {
  list: () => request<S['InvitationList']>('GET', '/invitations'),
  create: (b: NewInvitation) => request<InvitationCreated>('POST', '/invitations', b),
  revoke: (id: number) => request<void>('DELETE', `/invitations/${id}`),
  preview: (token: string) => request<InvitationPreview>('GET', `/invites/${enc(token)}`),
  accept: (token: string, b: { email: string; username: string; display_name: string; password: string }) =>
    request<LoginResponse>('POST', `/invites/${enc(token)}/accept`, { ...b, cookie: true }),
};

/** The token at the end of an invitation link's path, or "" when it has none. */
export function inviteTokenOf(pathname: string): string {
  const m = /^\/invite\/([A-Za-z0-9_-]{1,128})\/?$/.exec(pathname);
  return m?.[1] ?? '';
}
