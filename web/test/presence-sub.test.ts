import { describe, expect, it } from 'vitest';
import type { Channel } from '../src/api/types';
import { presenceWanted } from '../src/state/presence-sub';

function ch(id: number, kind: Channel['kind'], member_ids: number[], last: string, extra: Partial<Channel> = {}): Channel {
  return { id, kind, name: '', topic: '', purpose: '', announcement: false, archived: false, created_by: 1, created_at: '2026-01-01T00:00:00.000Z',
    member_count: member_ids.length, last_seq: 0, last_message_at: last, member_ids, ...extra } as Channel;
}

describe('presence subscription set', () => {
  const me = 1;
  const channels = [
    ch(10, 'public', [], '2026-01-05T00:00:00.000Z'),
    ch(11, 'dm', [1, 2], '2026-01-02T00:00:00.000Z'),
    ch(12, 'dm', [1, 3], '2026-01-04T00:00:00.000Z'),
    ch(13, 'group', [1, 4, 5], '2026-01-03T00:00:00.000Z'),
  ];

  it('lists DM and group partners newest first, without me or channel members', () => {
    expect(presenceWanted({ meId: me, channels, shown: new Map(), profileUserId: null })).toEqual([3, 4, 5, 2]);
  });

  it('puts the profile card, then what is on screen, before the sidebar', () => {
    const shown = new Map([['members', [8, 9]], ['history', [7, 3, 1]], ['thread', [6]]]);
    expect(presenceWanted({ meId: me, channels, shown, profileUserId: 42 })).toEqual([42, 7, 3, 6, 8, 9, 4, 5, 2]);
  });

  it('caps at 500, dropping the lowest priority', () => {
    const history = Array.from({ length: 499 }, (_, i) => 1000 + i);
    const out = presenceWanted({ meId: me, channels, shown: new Map([['history', history]]), profileUserId: 42 });
    expect(out).toHaveLength(500);
    expect(out[0]).toBe(42);
    expect(out).not.toContain(2);
  });

  it('skips archived conversations unless starred', () => {
    const list = [ch(20, 'dm', [1, 2], 'x', { archived: true }), ch(21, 'dm', [1, 3], 'x', { archived: true, membership: { starred: true } as Channel['membership'] })];
    expect(presenceWanted({ meId: me, channels: list, shown: new Map(), profileUserId: null })).toEqual([3]);
  });
});
