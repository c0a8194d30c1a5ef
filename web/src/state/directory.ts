// The directory domain: users of the organisation, their presence and who is typing.
import { signal } from '@preact/signals';
import { api } from '../api/client';
import type { ID, PresenceStatus, User } from '../api/types';

export const users = signal<ReadonlyMap<ID, User>>(new Map());
export const presence = signal<ReadonlyMap<ID, PresenceStatus>>(new Map());
/** channelId -> userId -> expiry timestamp (ms). */
export const typing = signal<ReadonlyMap<ID, ReadonlyMap<ID, number>>>(new Map());

export function putUsers(list: User[]): void {
  if (list.length === 0) return;
  const next = new Map(users.value);
  for (const u of list) next.set(u.id, u);
  users.value = next;
}

export function displayName(id: ID): string {
  const u = users.value.get(id);
  return u ? u.display_name || u.username : '#' + id;
}

/** Loads the directory (first pages) so names and autocomplete work offline of the server. */
export async function loadDirectory(max = 2000): Promise<void> {
  let cursor = '';
  let loaded = 0;
  do {
    const page = await api.users('', 200, cursor);
    putUsers(page.users);
    loaded += page.users.length;
    cursor = page.next_cursor;
  } while (cursor && loaded < max);
}

const pending = new Set<ID>();
let flushTimer: ReturnType<typeof setTimeout> | null = null;
/** Fetches users not yet known, batched per tick. */
export function ensureUsers(ids: Iterable<ID>): void {
  for (const id of ids) if (id > 0 && !users.value.has(id)) pending.add(id);
  if (pending.size === 0 || flushTimer) return;
  flushTimer = setTimeout(() => {
    flushTimer = null;
    const batch = [...pending];
    pending.clear();
    void Promise.allSettled(batch.map((id) => api.user(id))).then((rs) => {
      putUsers(rs.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
    });
  }, 0);
}

/** Sets statuses from a presence frame (snapshot or change): idempotent, never toggles. */
export function applyPresence(statuses: ReadonlyMap<ID, PresenceStatus>): void {
  let next: Map<ID, PresenceStatus> | null = null;
  for (const [id, st] of statuses) {
    if ((next ?? presence.value).get(id) === st) continue;
    next ??= new Map(presence.value);
    next.set(id, st);
  }
  if (next) presence.value = next;
}

const TYPING_MS = 6000;
export function setTyping(channelId: ID, userId: ID, now = Date.now()): void {
  const next = new Map(typing.value);
  const ch = new Map(next.get(channelId) ?? []);
  ch.set(userId, now + TYPING_MS);
  next.set(channelId, ch);
  typing.value = next;
  setTimeout(expireTyping, TYPING_MS + 50);
}

export function clearTyping(channelId: ID, userId: ID): void {
  const ch = typing.value.get(channelId);
  if (!ch?.has(userId)) return;
  const next = new Map(typing.value);
  const c = new Map(ch);
  c.delete(userId);
  next.set(channelId, c);
  typing.value = next;
}

function expireTyping(): void {
  const now = Date.now();
  let changed = false;
  const next = new Map<ID, ReadonlyMap<ID, number>>();
  for (const [cid, ch] of typing.value) {
    const c = new Map([...ch].filter(([, exp]) => exp > now));
    if (c.size !== ch.size) changed = true;
    next.set(cid, c);
  }
  if (changed) typing.value = next;
}
