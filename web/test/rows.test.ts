import { describe, expect, it } from 'vitest';
import type { Message } from '../src/api/types';
import { buildRows } from '../src/ui/rows';

function msg(seq: number, author: number, at: string, over: Partial<Message> = {}): Message {
  return {
    id: seq, channel_id: 1, seq, client_id: 'c' + seq, author_id: author, text: 't' + seq, root_id: 0,
    also_in_channel: false, reply_count: 0, last_reply_at: null, thread_participants: [], mentions: [],
    mention_channel: false, mention_here: false, reactions: [], previews: [], files: [], pinned: false, created_at: at, edited_at: null,
    deleted: false, recalled: false, recalled_by: 0, ...over,
  };
}

describe('buildRows', () => {
  const list = [
    msg(1, 2, '2026-03-01T10:00:00.000Z'),
    msg(2, 2, '2026-03-01T10:01:00.000Z'),
    msg(3, 2, '2026-03-01T10:30:00.000Z'),
    msg(4, 3, '2026-03-01T10:31:00.000Z'),
    msg(5, 3, '2026-03-03T10:31:00.000Z'),
    msg(6, 3, '2026-03-03T10:32:00.000Z'),
  ];
  const base = { lineAfterSeq: -1, meId: 1, highlightSeq: null, hasMoreBefore: false, hasMoreAfter: false };

  it('groups consecutive messages by author within five minutes and separates days', () => {
    const rows = buildRows(list, [], base).filter((r) => r.kind === 'msg');
    const flags = rows.map((r) => (r.kind === 'msg' ? [r.m.seq, r.flags.grouped, r.flags.showDate] : []));
    expect(flags).toEqual([[1, false, true], [2, true, false], [3, false, false], [4, false, false], [5, false, true], [6, true, false]]);
  });

  it('draws the new-messages line once, before the first unread message of someone else', () => {
    const rows = buildRows(list, [], { ...base, lineAfterSeq: 3 });
    const lines = rows.filter((r) => r.kind === 'msg' && r.flags.firstUnread).map((r) => (r.kind === 'msg' ? r.m.seq : 0));
    expect(lines).toEqual([4]);
  });

  it('puts pending sends at the end only when the window reaches the newest message', () => {
    const o = { client_id: 'x', channel_id: 1, root_id: 0, also_in_channel: false, text: 'hi', created_at: '', status: 'pending' as const };
    expect(buildRows(list, [o], base).at(-1)).toMatchObject({ kind: 'pending' });
    expect(buildRows(list, [o], { ...base, hasMoreAfter: true }).at(-1)).toMatchObject({ kind: 'edge', which: 'bottom' });
  });
});
