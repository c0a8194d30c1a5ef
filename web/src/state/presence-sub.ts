// Which users' presence the UI shows, i.e. the presence subscription of the
// stream (docs/realtime.md "Presence"). Pure, so the rule is a unit test; the
// signals feeding it are wired in state/connection.ts.
import type { Channel, ID } from '../api/types';
import { normalizePresenceIds } from '../realtime/stream';

export interface PresenceInputs {
  meId: ID;
  channels: readonly Channel[];
  /** Users shown on a surface (visible message authors, thread, member list), by surface name. */
  shown: ReadonlyMap<string, readonly ID[]>;
  /** The user of an open profile card. */
  profileUserId: ID | null;
}

/** Surfaces in priority order: what is on screen first, then the sidebar. */
const SURFACE_ORDER = ['history', 'thread', 'members'];

/**
 * The subscription, most important first and capped at 500: the open profile
 * card, the authors of visible messages, thread and member list, then the
 * DM and group DM partners in sidebar order (newest conversation first).
 * Your own id is left out (the UI does not show your own status).
 */
export function presenceWanted(i: PresenceInputs): ID[] {
  const out: ID[] = [];
  if (i.profileUserId) out.push(i.profileUserId);
  const surfaces = [...i.shown.keys()].sort((a, b) => rank(a) - rank(b));
  for (const k of surfaces) out.push(...(i.shown.get(k) ?? []));
  const direct = i.channels
    .filter((c) => (c.kind === 'dm' || c.kind === 'group') && (!c.archived || c.membership?.starred))
    .sort((a, b) => (b.last_message_at ?? b.created_at ?? '').localeCompare(a.last_message_at ?? a.created_at ?? ''));
  for (const c of direct) out.push(...(c.member_ids ?? []));
  return normalizePresenceIds(out.filter((id) => id !== i.meId));
}

function rank(surface: string): number {
  const r = SURFACE_ORDER.indexOf(surface);
  return r < 0 ? SURFACE_ORDER.length : r;
}

/** Returns the same array when the content did not change, so signals stay quiet. */
export function sameOrNew(prev: readonly ID[] | undefined, next: ID[]): readonly ID[] {
  if (prev && prev.length === next.length && prev.every((x, k) => x === next[k])) return prev;
  return next;
}
