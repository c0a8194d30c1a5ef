// The chat domain store: one immutable ChatState in a signal, changed only
// through the pure functions of chat-model.ts, plus the API calls and the
// outbox that make optimistic sending survive failures and reloads.
import { computed, signal } from '@preact/signals';
import { api, ApiError } from '../api/client';
import type { Attachment, Channel, ID, Message, ReadState, StreamEvent } from '../api/types';
import * as M from './chat-model';
import { ensureUsers, clearTyping, putUsers } from './directory';

export const chat = signal<M.ChatState>(M.emptyChat());
export const totals = computed(() => M.totals(chat.value));
/** Which channel and thread the user is looking at (for unread and notifications). */
export const viewing = signal<{ channelId: ID | null; threadRootId: ID | null }>({ channelId: null, threadRootId: null });
/** Transient notice for the user (errors of background actions). */
export const notice = signal<string | null>(null);

function update(fn: (s: M.ChatState) => M.ChatState): void {
  const prev = chat.value;
  const next = fn(prev);
  if (next !== prev) {
    chat.value = next;
    if (next.outbox !== prev.outbox) persistOutbox(next);
  }
}

// ---- outbox persistence: a message typed is never lost -----------------------

function outboxKey(me: ID): string {
  return `parley.outbox.${me}`;
}

function persistOutbox(s: M.ChatState): void {
  try {
    if (s.outbox.length === 0) localStorage.removeItem(outboxKey(s.meId));
    else localStorage.setItem(outboxKey(s.meId), JSON.stringify(s.outbox));
  } catch { /* storage unavailable */ }
}

function restoreOutbox(me: ID): M.Outgoing[] {
  try {
    const raw = localStorage.getItem(outboxKey(me));
    const list = raw ? (JSON.parse(raw) as M.Outgoing[]) : [];
    return list.map((o) => ({ ...o, status: 'failed' as const }));
  } catch {
    return [];
  }
}

// ---- lifecycle -------------------------------------------------------------

export function resetChat(meId: ID): void {
  chat.value = { ...M.emptyChat(meId), outbox: restoreOutbox(meId) };
}

/** (Re)loads the channel list; called on start and on every fresh stream connection. */
export async function loadChannels(): Promise<void> {
  const { channels } = await api.channels();
  update((s) => M.setChannels(s, channels));
  ensureUsers(channels.flatMap((c) => c.member_ids ?? []));
}

/** Drops loaded histories after a resync so they are fetched again. */
export function invalidateTimelines(): void {
  update((s) => ({ ...s, timelines: {}, threads: {} }));
}

// ---- history -----------------------------------------------------------------

const inflight = new Map<string, Promise<void>>();
function once(key: string, fn: () => Promise<void>): Promise<void> {
  let p = inflight.get(key);
  if (!p) {
    p = fn().finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p;
}

function authorsOf(msgs: Message[]): ID[] {
  return msgs.flatMap((m) => [m.author_id, ...m.mentions, ...m.reactions.flatMap((r) => r.user_ids)]);
}

export function loadLatest(channelId: ID): Promise<void> {
  return once(`latest:${channelId}`, async () => {
    const page = await api.messages(channelId, {}, 50);
    ensureUsers(authorsOf(page.messages));
    update((s) => M.applyPage(s, channelId, page, 'latest'));
  });
}

export function loadAround(channelId: ID, seq: number): Promise<void> {
  return once(`around:${channelId}:${seq}`, async () => {
    const page = await api.messages(channelId, { around: seq }, 50);
    ensureUsers(authorsOf(page.messages));
    update((s) => M.applyPage(s, channelId, page, 'around'));
  });
}

export function loadOlder(channelId: ID): Promise<void> {
  const t = chat.value.timelines[channelId];
  const first = t?.messages[0];
  if (!t || !first || !t.hasMoreBefore) return Promise.resolve();
  return once(`before:${channelId}:${first.seq}`, async () => {
    const page = await api.messages(channelId, { before: first.seq }, 200);
    ensureUsers(authorsOf(page.messages));
    update((s) => M.applyPage(s, channelId, page, 'before'));
  });
}

export function loadNewer(channelId: ID): Promise<void> {
  const t = chat.value.timelines[channelId];
  const last = t?.messages[t.messages.length - 1];
  if (!t || !last || !t.hasMoreAfter) return Promise.resolve();
  return once(`after:${channelId}:${last.seq}`, async () => {
    const page = await api.messages(channelId, { after: last.seq }, 200);
    ensureUsers(authorsOf(page.messages));
    update((s) => M.applyPage(s, channelId, page, 'after'));
  });
}

export function loadThread(rootId: ID): Promise<void> {
  return once(`thread:${rootId}`, async () => {
    let after = 0;
    let append = false;
    for (let i = 0; i < 20; i++) {
      const page = await api.replies(rootId, after, 200);
      ensureUsers(authorsOf(page.messages));
      update((s) => M.applyReplies(s, rootId, page.messages, page.has_more_after, append));
      const last = page.messages[page.messages.length - 1];
      if (!page.has_more_after || !last) break;
      after = last.seq;
      append = true;
    }
  });
}

export async function fetchMessage(id: ID): Promise<Message> {
  const m = await api.message(id);
  ensureUsers([m.author_id]);
  return m;
}

// ---- sending -----------------------------------------------------------------

export function newClientId(): string {
  const rnd = crypto.getRandomValues(new Uint8Array(12));
  return 'w-' + Array.from(rnd, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Sends optimistically: the message shows as pending at once, failed if the server can't be reached. */
export function send(channelId: ID, text: string, rootId: ID = 0, alsoInChannel = false, files: Attachment[] = []): string {
  const o: M.Outgoing = {
    client_id: newClientId(), channel_id: channelId, root_id: rootId, also_in_channel: alsoInChannel,
    text, created_at: new Date().toISOString(), status: 'pending',
  };
  if (files.length) o.files = files;
  update((s) => M.queueOutgoing(s, o));
  void deliver(o);
  return o.client_id;
}

async function deliver(o: M.Outgoing): Promise<void> {
  try {
    const body: { client_id: string; text: string; root_id?: ID; also_in_channel?: boolean; file_ids?: ID[] } = { client_id: o.client_id, text: o.text };
    if (o.files?.length) body.file_ids = o.files.map((f) => f.id);
    if (o.root_id) {
      body.root_id = o.root_id;
      if (o.also_in_channel) body.also_in_channel = true;
    }
    const m = await api.post(o.channel_id, body);
    update((s) => M.addMessage(s, m));
  } catch (e) {
    update((s) => M.setOutgoingStatus(s, o.client_id, 'failed'));
    if (e instanceof ApiError && !e.transient && e.status !== 0) notice.value = e.message;
  }
}

/** Retries with the same client_id, so the server never stores it twice. */
export function retry(clientId: string): void {
  const o = chat.value.outbox.find((x) => x.client_id === clientId);
  if (!o) return;
  update((s) => M.setOutgoingStatus(s, clientId, 'pending'));
  void deliver({ ...o, status: 'pending' });
}

/** Retries every failed message (after reconnecting). */
export function retryAll(): void {
  for (const o of chat.value.outbox) if (o.status === 'failed') retry(o.client_id);
}

export function discard(clientId: string): void {
  update((s) => M.dropOutgoing(s, clientId));
}

// ---- message actions -----------------------------------------------------------

async function act(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    const r = await fn();
    if (r && typeof r === 'object' && 'channel_id' in r) {
      if ('seq' in r && 'author_id' in r) update((s) => M.replaceMessage(s, r as Message));
      else if ('unread_count' in r) update((s) => M.applyReadState(s, r as ReadState));
    }
    return true;
  } catch (e) {
    notice.value = e instanceof Error ? e.message : String(e);
    return false;
  }
}

export const editMessage = (id: ID, text: string) => act(() => api.edit(id, text));
export const deleteMessage = (id: ID) => act(() => api.remove(id));
export const recallMessage = (id: ID) => act(() => api.recall(id));
export const pinMessage = (m: Message) => act(() => (m.pinned ? api.unpin(m.id) : api.pin(m.id)));

export function toggleReaction(m: Message, emoji: string): Promise<boolean> {
  const me = chat.value.meId;
  const mine = m.reactions.some((r) => r.emoji === emoji && r.user_ids.includes(me));
  return act(() => (mine ? api.unreact(m.id, emoji) : api.react(m.id, emoji)));
}

// ---- read state ------------------------------------------------------------------

const readTimers = new Map<ID, ReturnType<typeof setTimeout>>();
/** Marks a channel read up to its newest message; batched so scrolling does not flood the server. */
export function markRead(channelId: ID): void {
  const c = chat.value.channels[channelId];
  const m = c?.membership;
  if (!c || !m) return;
  if (m.last_read_seq >= c.last_seq && m.unread_count === 0 && m.mention_count === 0) return;
  const seq = c.last_seq;
  update((s) => M.markReadLocal(s, channelId, seq));
  const t = readTimers.get(channelId);
  if (t) clearTimeout(t);
  readTimers.set(channelId, setTimeout(() => {
    readTimers.delete(channelId);
    void api.markRead(channelId, seq).catch(() => {});
  }, 300));
}

export async function markUnread(channelId: ID, seq: number): Promise<void> {
  await act(() => api.markUnread(channelId, seq));
}

// ---- channels --------------------------------------------------------------------

export async function setPreferences(channelId: ID, p: { muted?: boolean; starred?: boolean; star_order?: number }): Promise<void> {
  update((s) => M.setPreferences(s, channelId, p));
  await act(() => api.preferences(channelId, p));
}

export async function reorderStarred(list: Channel[], from: number, to: number): Promise<void> {
  const orders = M.reorderStarred(list, from, to);
  update((s) => orders.reduce((acc, o) => M.setPreferences(acc, o.id, { star_order: o.star_order }), s));
  await Promise.all(orders.map((o) => api.preferences(o.id, { star_order: o.star_order }).catch(() => {})));
}

export function putChannel(c: Channel): void {
  update((s) => M.upsertChannel(s, c));
}

export function dropChannel(id: ID): void {
  update((s) => M.removeChannel(s, id));
}

// ---- realtime ----------------------------------------------------------------------

type Listener = (ev: StreamEvent, before: M.ChatState, after: M.ChatState) => void;
const listeners: Listener[] = [];
/** Listens to applied stream events; returns the function that stops listening. */
export function onChatEvent(fn: Listener): () => void {
  listeners.push(fn);
  return () => {
    const i = listeners.indexOf(fn);
    if (i >= 0) listeners.splice(i, 1);
  };
}

export function handleEvent(ev: StreamEvent): void {
  const before = chat.value;
  if (ev.type === 'user.updated') {
    putUsers([ev.data]);
    return;
  }
  update((s) => M.applyEvent(s, ev));
  const after = chat.value;
  if (ev.type === 'message.posted') {
    clearTyping(ev.data.channel_id, ev.data.author_id);
    ensureUsers([ev.data.author_id]);
  }
  if (ev.type === 'member.joined' && ev.data.user_id === after.meId && !after.channels[ev.data.channel_id]) {
    void api.channel(ev.data.channel_id).then(putChannel, () => {});
  }
  // A DM or group DM someone else opened with me: the event carries no membership
  // of mine, so it is not applied above; fetch my view of it.
  if (ev.type === 'channel.created' && !after.channels[ev.data.id] && ev.data.member_ids?.includes(after.meId)) {
    ensureUsers(ev.data.member_ids);
    void api.channel(ev.data.id).then(putChannel, () => {});
  }
  if (ev.type === 'member.joined') ensureUsers([ev.data.user_id]);
  for (const l of listeners) l(ev, before, after);
}
