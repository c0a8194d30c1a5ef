// Pure state transitions of the chat domain: channels, timelines, threads and
// the outbox of optimistic sends. No I/O here, so every rule is unit-tested
// (test/chat-model.test.ts); src/state/chat.ts wires it to signals and the API.
import type { Attachment, Channel, ID, Message, MessagePage, ReadEvent, StreamEvent } from '../api/types';

export type SendStatus = 'pending' | 'failed';

/** A message the user sent that the server has not confirmed yet. */
export interface Outgoing {
  client_id: string;
  channel_id: ID;
  root_id: ID;
  also_in_channel: boolean;
  text: string;
  /** Files uploaded before sending (already on the server, attached by this message). */
  files?: Attachment[];
  created_at: string;
  status: SendStatus;
}

/** One contiguous window of a channel's history (or a thread's replies). */
export interface Timeline {
  messages: Message[];
  hasMoreBefore: boolean;
  hasMoreAfter: boolean;
}

export interface ChatState {
  meId: ID;
  channels: Readonly<Record<ID, Channel>>;
  timelines: Readonly<Record<ID, Timeline>>;
  /** Thread replies keyed by root message id; the root itself is not included. */
  threads: Readonly<Record<ID, Timeline>>;
  outbox: readonly Outgoing[];
  /** Members' read positions per channel, from receipt.updated. */
  reads: Readonly<Record<ID, Readonly<Record<ID, number>>>>;
}

export function emptyChat(meId: ID = 0): ChatState {
  return { meId, channels: {}, timelines: {}, threads: {}, outbox: [], reads: {} };
}

// ---- channels -------------------------------------------------------------

export function setChannels(s: ChatState, list: Channel[]): ChatState {
  const channels: Record<ID, Channel> = {};
  for (const c of list) channels[c.id] = c;
  // Timelines of channels we are no longer in are dropped.
  const timelines: Record<ID, Timeline> = {};
  for (const [id, t] of Object.entries(s.timelines)) if (channels[Number(id)]) timelines[Number(id)] = t;
  return { ...s, channels, timelines };
}

export function upsertChannel(s: ChatState, c: Channel): ChatState {
  const prev = s.channels[c.id];
  const next: Channel = { ...c };
  if (!next.membership && prev?.membership) next.membership = prev.membership;
  if (prev && prev.last_seq > next.last_seq) next.last_seq = prev.last_seq;
  return { ...s, channels: { ...s.channels, [c.id]: next } };
}

export function removeChannel(s: ChatState, id: ID): ChatState {
  if (!s.channels[id]) return s;
  const channels = { ...s.channels };
  delete channels[id];
  const timelines = { ...s.timelines };
  delete timelines[id];
  return { ...s, channels, timelines };
}

function patchMembership(s: ChatState, id: ID, patch: Partial<NonNullable<Channel['membership']>>): ChatState {
  const c = s.channels[id];
  if (!c?.membership) return s;
  return { ...s, channels: { ...s.channels, [id]: { ...c, membership: { ...c.membership, ...patch } } } };
}

/** Local effect of marking a channel read up to seq (the server confirms with read.updated). */
export function markReadLocal(s: ChatState, id: ID, seq: number): ChatState {
  const m = s.channels[id]?.membership;
  if (!m || (seq <= m.last_read_seq && m.unread_count === 0 && m.mention_count === 0)) return s;
  return patchMembership(s, id, { last_read_seq: Math.max(seq, m.last_read_seq), unread_count: 0, mention_count: 0 });
}

/** Applies a read state (from read.updated or a preferences/read/unread response). */
export function applyReadState(s: ChatState, r: ReadEvent): ChatState {
  const patch: Partial<NonNullable<Channel['membership']>> = {
    last_read_seq: r.last_read_seq,
    unread_count: r.unread_count,
    mention_count: r.mention_count,
  };
  if (r.muted !== undefined) patch.muted = r.muted;
  if (r.starred !== undefined) patch.starred = r.starred;
  if (r.star_order !== undefined) patch.star_order = r.star_order;
  if (r.role !== undefined) patch.role = r.role;
  return patchMembership(s, r.channel_id, patch);
}

export function setPreferences(s: ChatState, id: ID, p: { muted?: boolean; starred?: boolean; star_order?: number }): ChatState {
  return patchMembership(s, id, p);
}

export function mentionsMe(s: ChatState, m: Message): boolean {
  return m.mentions.includes(s.meId) || m.mention_channel || m.mention_here;
}

/** Whether a message shows in the channel's main history (not only in a thread). */
export function inChannel(m: Message): boolean {
  return m.root_id === 0 || m.also_in_channel;
}

// ---- timelines ------------------------------------------------------------

function bySeq(a: Message, b: Message): number {
  return a.seq - b.seq;
}

/** Merges messages into a sorted, id-unique list; incoming copies win. */
export function mergeMessages(base: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return base as Message[];
  const last = base[base.length - 1];
  const sortedIn = [...incoming].sort(bySeq);
  const first = sortedIn[0]!;
  const head = base[0];
  if (head && sortedIn[sortedIn.length - 1]!.seq < head.seq) return [...sortedIn, ...base]; // prepend (older page)
  if (!last || first.seq > last.seq) {
    // Fast path: append (the live case).
    const out = base.slice();
    for (const m of sortedIn) if (out.length === 0 || out[out.length - 1]!.id !== m.id) out.push(m);
    return out;
  }
  const map = new Map<ID, Message>();
  for (const m of base) map.set(m.id, m);
  for (const m of sortedIn) map.set(m.id, m);
  return [...map.values()].sort(bySeq);
}

export type PageMode = 'latest' | 'before' | 'after' | 'around';

/**
 * At most this many messages of a channel are kept in memory. Paging further
 * drops the far end and marks it as "more" again, so a 100,000-message history
 * costs the same as a 3,000-message one.
 */
export const MAX_WINDOW = 3000;

function trim(t: Timeline, keep: 'start' | 'end'): Timeline {
  if (t.messages.length <= MAX_WINDOW) return t;
  return keep === 'start'
    ? { messages: t.messages.slice(0, MAX_WINDOW), hasMoreBefore: t.hasMoreBefore, hasMoreAfter: true }
    : { messages: t.messages.slice(t.messages.length - MAX_WINDOW), hasMoreBefore: true, hasMoreAfter: t.hasMoreAfter };
}

/** Applies a history page: 'latest' and 'around' replace the window, 'before'/'after' extend it. */
export function applyPage(s: ChatState, channelId: ID, page: MessagePage, mode: PageMode): ChatState {
  const prev = s.timelines[channelId];
  let t: Timeline;
  if (!prev || mode === 'latest' || mode === 'around') {
    t = { messages: [...page.messages].sort(bySeq), hasMoreBefore: page.has_more_before, hasMoreAfter: page.has_more_after };
  } else if (mode === 'before') {
    t = trim({ messages: mergeMessages(prev.messages, page.messages), hasMoreBefore: page.has_more_before, hasMoreAfter: prev.hasMoreAfter }, 'start');
  } else {
    t = trim({ messages: mergeMessages(prev.messages, page.messages), hasMoreBefore: prev.hasMoreBefore, hasMoreAfter: page.has_more_after }, 'end');
  }
  let next: ChatState = { ...s, timelines: { ...s.timelines, [channelId]: t } };
  const newest = t.messages[t.messages.length - 1];
  const c = next.channels[channelId];
  if (c && newest && newest.seq > c.last_seq) next = upsertChannel(next, { ...c, last_seq: newest.seq });
  return next;
}

export function applyReplies(s: ChatState, rootId: ID, messages: Message[], hasMoreAfter: boolean, append: boolean): ChatState {
  const prev = s.threads[rootId];
  const base = append && prev ? prev.messages : [];
  const t: Timeline = { messages: mergeMessages(base, messages), hasMoreBefore: false, hasMoreAfter };
  return { ...s, threads: { ...s.threads, [rootId]: t } };
}

function replaceIn(t: Timeline | undefined, m: Message): Timeline | undefined {
  if (!t) return t;
  const i = indexOfId(t.messages, m);
  if (i < 0) return t;
  const messages = t.messages.slice();
  messages[i] = m;
  return { ...t, messages };
}

/** Binary search by seq, then confirm the id. */
function indexOfId(list: readonly Message[], m: Message): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = list[mid]!;
    if (x.seq === m.seq) return x.id === m.id ? mid : list.findIndex((y) => y.id === m.id);
    if (x.seq < m.seq) lo = mid + 1;
    else hi = mid - 1;
  }
  return list.findIndex((y) => y.id === m.id);
}

export function findMessage(s: ChatState, channelId: ID, id: ID): Message | undefined {
  const t = s.timelines[channelId];
  const inTl = t?.messages.find((m) => m.id === id);
  if (inTl) return inTl;
  for (const th of Object.values(s.threads)) {
    const m = th.messages.find((x) => x.id === id);
    if (m) return m;
  }
  return undefined;
}

/** A changed message (edit, delete, recall, reaction, pin, reply count) replaces every copy. */
export function replaceMessage(s: ChatState, m: Message): ChatState {
  const tl = replaceIn(s.timelines[m.channel_id], m);
  let next = s;
  if (tl !== s.timelines[m.channel_id]) next = { ...next, timelines: { ...next.timelines, [m.channel_id]: tl! } };
  if (m.root_id !== 0) {
    const th = replaceIn(next.threads[m.root_id], m);
    if (th !== next.threads[m.root_id]) next = { ...next, threads: { ...next.threads, [m.root_id]: th! } };
  }
  return next;
}

// ---- posting and the outbox ----------------------------------------------

/** Adds a confirmed message wherever it belongs; safe to call twice for the same message. */
export function addMessage(s: ChatState, m: Message): ChatState {
  let next = s;
  // The optimistic copy, if any, is done.
  if (m.author_id === s.meId && s.outbox.some((o) => o.client_id === m.client_id)) {
    next = { ...next, outbox: next.outbox.filter((o) => o.client_id !== m.client_id) };
  }
  const c = next.channels[m.channel_id];
  const isNew = !!c && m.seq > c.last_seq;
  if (c && isNew) {
    const mem = c.membership;
    let membership = mem;
    if (mem && m.author_id !== s.meId && inChannel(m) && m.seq > mem.last_read_seq) {
      membership = {
        ...mem,
        unread_count: mem.unread_count + 1,
        mention_count: mem.mention_count + (mentionsMe(next, m) ? 1 : 0),
      };
    } else if (mem && m.author_id === s.meId && inChannel(m)) {
      // Writing in a channel reads it.
      membership = { ...mem, last_read_seq: Math.max(mem.last_read_seq, m.seq), unread_count: 0, mention_count: 0 };
    }
    next = {
      ...next,
      channels: { ...next.channels, [c.id]: { ...c, last_seq: m.seq, last_message_at: m.created_at, ...(membership ? { membership } : {}) } },
    };
  }
  if (inChannel(m)) {
    const t = next.timelines[m.channel_id];
    if (t && !t.hasMoreAfter) {
      next = { ...next, timelines: { ...next.timelines, [m.channel_id]: { ...t, messages: mergeMessages(t.messages, [m]) } } };
    } else if (t && !isNew) {
      const r = replaceIn(t, m);
      if (r !== t) next = { ...next, timelines: { ...next.timelines, [m.channel_id]: r! } };
    }
  }
  if (m.root_id !== 0) {
    const th = next.threads[m.root_id];
    const known = th?.messages.some((x) => x.id === m.id) ?? false;
    if (th && !known) next = { ...next, threads: { ...next.threads, [m.root_id]: { ...th, messages: mergeMessages(th.messages, [m]) } } };
    const root = findMessage(next, m.channel_id, m.root_id);
    if (root && m.created_at && (root.last_reply_at === null || root.last_reply_at < m.created_at)) {
      const participants = root.thread_participants.includes(m.author_id)
        ? root.thread_participants
        : [...root.thread_participants, m.author_id];
      next = replaceMessage(next, { ...root, reply_count: root.reply_count + 1, last_reply_at: m.created_at, thread_participants: participants });
    }
  }
  return next;
}

export function queueOutgoing(s: ChatState, o: Outgoing): ChatState {
  return { ...s, outbox: [...s.outbox.filter((x) => x.client_id !== o.client_id), o] };
}

export function setOutgoingStatus(s: ChatState, clientId: string, status: SendStatus): ChatState {
  if (!s.outbox.some((o) => o.client_id === clientId && o.status !== status)) return s;
  return { ...s, outbox: s.outbox.map((o) => (o.client_id === clientId ? { ...o, status } : o)) };
}

export function dropOutgoing(s: ChatState, clientId: string): ChatState {
  return { ...s, outbox: s.outbox.filter((o) => o.client_id !== clientId) };
}

// ---- realtime events --------------------------------------------------------

/** Applies one stream event. Idempotent for replays of events already reflected in state. */
export function applyEvent(s: ChatState, ev: StreamEvent): ChatState {
  switch (ev.type) {
    case 'message.posted':
      return addMessage(s, ev.data);
    case 'message.updated':
    case 'message.deleted':
    case 'message.recalled':
    case 'reaction.updated':
      return replaceMessage(s, ev.data);
    case 'channel.created':
    case 'channel.updated':
      // Channels I am not in (e.g. a new public channel) stay out of the sidebar.
      if (!s.channels[ev.data.id] && !ev.data.membership) return s;
      return upsertChannel(s, ev.data);
    case 'member.joined': {
      const c = s.channels[ev.data.channel_id];
      if (!c) return s;
      const ids = c.member_ids && !c.member_ids.includes(ev.data.user_id) ? [...c.member_ids, ev.data.user_id] : c.member_ids;
      const known = c.member_ids?.includes(ev.data.user_id) ?? false;
      return upsertChannel(s, { ...c, member_count: known ? c.member_count : c.member_count + 1, ...(ids ? { member_ids: ids } : {}) });
    }
    case 'member.left': {
      if (ev.data.user_id === s.meId) return removeChannel(s, ev.data.channel_id);
      const c = s.channels[ev.data.channel_id];
      if (!c) return s;
      const ids = c.member_ids?.filter((x) => x !== ev.data.user_id);
      return upsertChannel(s, { ...c, member_count: Math.max(0, c.member_count - 1), ...(ids ? { member_ids: ids } : {}) });
    }
    case 'member.updated': {
      // A role change; only my own role is part of the channel object.
      if (ev.data.user_id !== s.meId || !ev.data.role) return s;
      return patchMembership(s, ev.data.channel_id, { role: ev.data.role });
    }
    case 'read.updated':
      return applyReadState(s, ev.data);
    case 'receipt.updated': {
      const r = { ...(s.reads[ev.data.channel_id] ?? {}), [ev.data.user_id]: ev.data.last_read_seq };
      return { ...s, reads: { ...s.reads, [ev.data.channel_id]: r } };
    }
    case 'user.updated':
      return s; // directory's concern
    default:
      return s;
  }
}

// ---- derived ----------------------------------------------------------------

export interface Totals {
  unread: number;
  mentions: number;
  unreadChannels: number;
}

/** Sums unread counts over unmuted channels (muted channels only count mentions). */
export function totals(s: ChatState): Totals {
  let unread = 0;
  let mentions = 0;
  let unreadChannels = 0;
  for (const c of Object.values(s.channels)) {
    const m = c.membership;
    if (!m) continue;
    mentions += m.mention_count;
    if (m.muted) continue;
    unread += m.unread_count;
    if (m.unread_count > 0) unreadChannels++;
  }
  return { unread, mentions, unreadChannels };
}

export type SidebarSection = 'starred' | 'channels' | 'direct';

export function sectionOf(c: Channel): SidebarSection {
  if (c.membership?.starred) return 'starred';
  return c.kind === 'dm' || c.kind === 'group' ? 'direct' : 'channels';
}

/** The sidebar order: starred by star_order, channels by name, DMs by recent activity. */
export function sidebar(s: ChatState, nameOf: (c: Channel) => string): Record<SidebarSection, Channel[]> {
  const out: Record<SidebarSection, Channel[]> = { starred: [], channels: [], direct: [] };
  for (const c of Object.values(s.channels)) if (!c.archived || c.membership?.starred) out[sectionOf(c)].push(c);
  out.starred.sort((a, b) => (a.membership!.star_order - b.membership!.star_order) || a.id - b.id);
  out.channels.sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  out.direct.sort((a, b) => (b.last_message_at ?? b.created_at ?? '').localeCompare(a.last_message_at ?? a.created_at ?? ''));
  return out;
}

/** New star_order values after dragging the starred item `from` onto position `to`. */
export function reorderStarred(list: readonly Channel[], from: number, to: number): { id: ID; star_order: number }[] {
  const ids = list.map((c) => c.id);
  const [moved] = ids.splice(from, 1);
  if (moved === undefined) return [];
  ids.splice(Math.max(0, Math.min(to, ids.length)), 0, moved);
  return ids.map((id, i) => ({ id, star_order: i }));
}
