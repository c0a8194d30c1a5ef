import { describe, expect, it } from 'vitest';
import type { Channel, Message } from '../src/api/types';
import {
  MAX_WINDOW, addMessage, applyEvent, applyPage, emptyChat, markReadLocal, queueOutgoing, setChannels,
  setOutgoingStatus, totals, reorderStarred, sidebar, type ChatState,
} from '../src/state/chat-model';

const ME = 1;
const OTHER = 2;

function channel(id: number, over: Partial<Channel> = {}): Channel {
  return {
    id, kind: 'public', name: 'c' + id, topic: '', purpose: '', announcement: false, archived: false,
    created_by: ME, created_at: '2026-01-01T00:00:00.000Z', member_count: 2, last_seq: 10,
    last_message_at: null, department_id: 0,
    membership: { role: 'member', last_read_seq: 10, unread_count: 0, mention_count: 0, muted: false, starred: false, star_order: 0 },
    ...over,
  };
}

let nextId = 1000;
function msg(channelId: number, seq: number, over: Partial<Message> = {}): Message {
  return {
    id: over.id ?? nextId++, channel_id: channelId, seq, client_id: 'c-' + seq, author_id: OTHER, text: 'm' + seq,
    root_id: 0, also_in_channel: false, reply_count: 0, last_reply_at: null, thread_participants: [],
    mentions: [], mention_channel: false, mention_here: false, reactions: [], previews: [], files: [], pinned: false,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(), edited_at: null,
    deleted: false, recalled: false, recalled_by: 0, ...over,
  };
}

function base(): ChatState {
  let s = setChannels(emptyChat(ME), [channel(7), channel(8, { membership: { role: 'member', last_read_seq: 10, unread_count: 0, mention_count: 0, muted: true, starred: false, star_order: 0 } })]);
  s = applyPage(s, 7, { messages: [msg(7, 9), msg(7, 10)], has_more_before: true, has_more_after: false }, 'latest');
  return s;
}

describe('event application', () => {
  it('appends posted messages and counts unread and mentions', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 11) });
    s = applyEvent(s, { seq: 2, type: 'message.posted', data: msg(7, 12, { mentions: [ME] }) });
    expect(s.timelines[7]!.messages.map((m) => m.seq)).toEqual([9, 10, 11, 12]);
    expect(s.channels[7]!.membership!.unread_count).toBe(2);
    expect(s.channels[7]!.membership!.mention_count).toBe(1);
    expect(s.channels[7]!.last_seq).toBe(12);
  });

  it('is idempotent when an event is replayed', () => {
    let s = base();
    const m = msg(7, 11);
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: m });
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: m });
    expect(s.timelines[7]!.messages.filter((x) => x.id === m.id)).toHaveLength(1);
    expect(s.channels[7]!.membership!.unread_count).toBe(1);
  });

  it('does not count own messages and marks the channel read', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 11) });
    s = applyEvent(s, { seq: 2, type: 'message.posted', data: msg(7, 12, { author_id: ME }) });
    expect(s.channels[7]!.membership!.unread_count).toBe(0);
    expect(s.channels[7]!.membership!.last_read_seq).toBe(12);
  });

  it('leaves a window that does not reach the newest message alone', () => {
    let s = base();
    s = applyPage(s, 7, { messages: [msg(7, 3)], has_more_before: true, has_more_after: true }, 'around');
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 11) });
    expect(s.timelines[7]!.messages.map((m) => m.seq)).toEqual([3]);
    expect(s.channels[7]!.last_seq).toBe(11);
  });

  it('replaces edited, recalled and reacted messages in place', () => {
    let s = base();
    const m = s.timelines[7]!.messages[1]!;
    s = applyEvent(s, { seq: 1, type: 'message.updated', data: { ...m, text: 'edited', edited_at: m.created_at } });
    expect(s.timelines[7]!.messages[1]!.text).toBe('edited');
    s = applyEvent(s, { seq: 2, type: 'message.recalled', data: { ...m, text: '', recalled: true, recalled_by: OTHER } });
    expect(s.timelines[7]!.messages[1]!.recalled).toBe(true);
    expect(s.timelines[7]!.messages).toHaveLength(2);
  });

  it('applies read.updated from the server', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 11, { mentions: [ME] }) });
    s = applyEvent(s, { seq: 2, type: 'read.updated', data: { channel_id: 7, last_read_seq: 11, unread_count: 0, mention_count: 0 } });
    expect(s.channels[7]!.membership).toMatchObject({ unread_count: 0, mention_count: 0, last_read_seq: 11 });
  });

  it('ignores new channels I am not a member of', () => {
    let s = base();
    const { membership: _m, ...noMembership } = channel(99);
    s = applyEvent(s, { seq: 1, type: 'channel.created', data: noMembership });
    expect(s.channels[99]).toBeUndefined();
    s = applyEvent(s, { seq: 2, type: 'channel.created', data: channel(100) });
    expect(s.channels[100]).toBeDefined();
  });

  it('syncs mute and star from another device through read.updated', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'read.updated', data: { channel_id: 7, last_read_seq: 10, unread_count: 0, mention_count: 0, muted: true, starred: true, star_order: 3 } });
    expect(s.channels[7]!.membership).toMatchObject({ muted: true, starred: true, star_order: 3 });
  });

  it('removes a channel I left and adds members to others', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'member.joined', data: { channel_id: 7, user_id: 5, role: 'member', by: ME } });
    expect(s.channels[7]!.member_count).toBe(3);
    s = applyEvent(s, { seq: 2, type: 'member.left', data: { channel_id: 7, user_id: ME, role: 'member', by: ME } });
    expect(s.channels[7]).toBeUndefined();
    expect(s.timelines[7]).toBeUndefined();
  });

  it('puts thread replies in the thread and counts them on the root', () => {
    let s = base();
    const root = s.timelines[7]!.messages[0]!;
    s = { ...s, threads: { [root.id]: { messages: [], hasMoreBefore: false, hasMoreAfter: false } } };
    const reply = msg(7, 11, { root_id: root.id });
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: reply });
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: reply });
    expect(s.threads[root.id]!.messages.map((m) => m.id)).toEqual([reply.id]);
    expect(s.timelines[7]!.messages.map((m) => m.seq)).toEqual([9, 10]);
    expect(s.timelines[7]!.messages[0]!.reply_count).toBe(1);
    expect(s.channels[7]!.membership!.unread_count).toBe(0);
  });
});

describe('optimistic send', () => {
  it('dedupes the confirmed message by client_id whether the response or the event comes first', () => {
    for (const order of ['response-first', 'event-first']) {
      let s = base();
      s = queueOutgoing(s, { client_id: 'abc', channel_id: 7, root_id: 0, also_in_channel: false, text: 'hi', created_at: '', status: 'pending' });
      expect(s.outbox).toHaveLength(1);
      const confirmed = msg(7, 11, { client_id: 'abc', author_id: ME, text: 'hi' });
      s = addMessage(s, confirmed);
      s = applyEvent(s, { seq: 3, type: 'message.posted', data: confirmed });
      expect(s.outbox, order).toHaveLength(0);
      expect(s.timelines[7]!.messages.filter((m) => m.client_id === 'abc'), order).toHaveLength(1);
    }
  });

  it('keeps a failed message with the same client_id for retry', () => {
    let s = base();
    s = queueOutgoing(s, { client_id: 'x1', channel_id: 7, root_id: 0, also_in_channel: false, text: 'hi', created_at: '', status: 'pending' });
    s = setOutgoingStatus(s, 'x1', 'failed');
    expect(s.outbox[0]).toMatchObject({ client_id: 'x1', status: 'failed', text: 'hi' });
    s = setOutgoingStatus(s, 'x1', 'pending');
    expect(s.outbox[0]!.status).toBe('pending');
  });
});

describe('unread counting', () => {
  it('totals skip muted channels except for mentions', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 11) });
    s = applyEvent(s, { seq: 2, type: 'message.posted', data: msg(8, 11) });
    s = applyEvent(s, { seq: 3, type: 'message.posted', data: msg(8, 12, { mentions: [ME] }) });
    expect(totals(s)).toEqual({ unread: 1, mentions: 1, unreadChannels: 1 });
    s = markReadLocal(s, 7, 11);
    expect(totals(s)).toEqual({ unread: 0, mentions: 1, unreadChannels: 0 });
  });

  it('does not count messages at or below the read position', () => {
    let s = base();
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 10) });
    expect(s.channels[7]!.membership!.unread_count).toBe(0);
  });
});

describe('sidebar', () => {
  it('orders starred channels and reorders by drag', () => {
    const star = (id: number, order: number) => channel(id, { membership: { role: 'member', last_read_seq: 0, unread_count: 0, mention_count: 0, muted: false, starred: true, star_order: order } });
    const s = setChannels(emptyChat(ME), [star(1, 2), star(2, 0), star(3, 1), channel(4, { kind: 'dm' })]);
    const sb = sidebar(s, (c) => c.name);
    expect(sb.starred.map((c) => c.id)).toEqual([2, 3, 1]);
    expect(sb.direct.map((c) => c.id)).toEqual([4]);
    expect(reorderStarred(sb.starred, 2, 0)).toEqual([{ id: 1, star_order: 0 }, { id: 2, star_order: 1 }, { id: 3, star_order: 2 }]);
  });
});

describe('history window', () => {
  it('keeps at most MAX_WINDOW messages and re-opens the far end', () => {
    let s = setChannels(emptyChat(ME), [channel(7, { last_seq: 100000 })]);
    const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => msg(7, from + i, { id: from + i }));
    s = applyPage(s, 7, { messages: page(99901, 100), has_more_before: true, has_more_after: false }, 'latest');
    for (let before = 99901; before > 99901 - MAX_WINDOW * 2; before -= 100) {
      s = applyPage(s, 7, { messages: page(before - 100, 100), has_more_before: true, has_more_after: false }, 'before');
    }
    const t = s.timelines[7]!;
    expect(t.messages).toHaveLength(MAX_WINDOW);
    expect(t.hasMoreAfter).toBe(true);
    expect(t.messages[0]!.seq).toBeLessThan(t.messages[1]!.seq);
    // A live message is not appended to a window that no longer reaches the end.
    s = applyEvent(s, { seq: 1, type: 'message.posted', data: msg(7, 100001) });
    expect(s.timelines[7]!.messages).toHaveLength(MAX_WINDOW);
  });
});

describe('member.updated', () => {
  it('changes my own role and ignores others', async () => {
    const M = await import('../src/state/chat-model');
    const base = M.setChannels(M.emptyChat(1), [{ id: 7, kind: 'public', name: 'g', topic: '', purpose: '', announcement: false, archived: false, created_by: 1, created_at: null, member_count: 2, last_seq: 0, last_message_at: null,
      membership: { role: 'member', last_read_seq: 0, unread_count: 0, mention_count: 0, muted: false, starred: false, star_order: 0 } } as never]);
    const other = M.applyEvent(base, { seq: 1, type: 'member.updated', data: { channel_id: 7, user_id: 2, role: 'admin', by: 1 } });
    expect(other).toBe(base);
    const mine = M.applyEvent(base, { seq: 2, type: 'member.updated', data: { channel_id: 7, user_id: 1, role: 'admin', by: 3 } });
    expect(mine.channels[7]!.membership!.role).toBe('admin');
  });
});
