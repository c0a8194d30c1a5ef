import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_PRESENCE_SUB, normalizePresenceIds, parsePresenceFrame, PRESENCE_SUB_DEBOUNCE_MS, Stream, type StreamHandlers } from '../src/realtime/stream';
import type { StreamEvent } from '../src/api/types';

class FakeSocket {
  static all: FakeSocket[] = [];
  static OPEN = 1;
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: { code: number }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  recv(msg: unknown) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  send(s: string) {
    this.sent.push(s);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function posted(seq: number): StreamEvent {
  return { seq, type: 'message.posted', data: { id: seq } as never };
}

function setup() {
  const events: number[] = [];
  const presence: Map<number, string>[] = [];
  const fresh: number[] = [];
  let unauth = 0;
  let release: () => void = () => {};
  const h: StreamHandlers = {
    onFresh: () => new Promise<void>((r) => { fresh.push(1); release = r; }),
    onEvent: (ev) => events.push(ev.seq),
    onTyping: () => {},
    onPresence: (m) => presence.push(new Map(m)),
    onState: () => {},
    onUnauthenticated: () => unauth++,
  };
  const s = new Stream(h, (since) => `ws://x/api/v1/stream${since ? '?since=' + since : ''}`);
  return { s, events, fresh, presence, release: () => release(), unauth: () => unauth };
}

describe('Stream', () => {
  beforeEach(() => {
    FakeSocket.all = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('loads state on a fresh connection and applies events that arrive meanwhile afterwards, once', async () => {
    const t = setup();
    t.s.start();
    const ws = FakeSocket.all[0]!;
    expect(ws.url).toBe('ws://x/api/v1/stream');
    ws.open();
    ws.recv({ type: 'hello', seq: 10 });
    expect(t.fresh).toHaveLength(1);
    ws.recv(posted(11));
    ws.recv(posted(10)); // already in the REST state
    expect(t.events).toEqual([]);
    t.release();
    await vi.runAllTicks();
    await Promise.resolve();
    expect(t.events).toEqual([11]);
    ws.recv({ type: 'ready' });
    ws.recv(posted(12));
    ws.recv(posted(12));
    expect(t.events).toEqual([11, 12]);
  });

  it('resumes with since after a restart or a slow-consumer close', async () => {
    const t = setup();
    t.s.start();
    let ws = FakeSocket.all[0]!;
    ws.open();
    ws.recv({ type: 'hello', seq: 5 });
    t.release();
    await Promise.resolve();
    await Promise.resolve();
    ws.recv(posted(6));
    ws.close(4000);
    await vi.advanceTimersByTimeAsync(1000);
    ws = FakeSocket.all[1]!;
    expect(ws.url).toBe('ws://x/api/v1/stream?since=6');
    ws.open();
    ws.recv({ type: 'hello', seq: 9 });
    expect(t.fresh).toHaveLength(1); // resumed, no reload
    ws.recv(posted(7));
    ws.close(4008);
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeSocket.all[2]!.url).toBe('ws://x/api/v1/stream?since=7');
  });

  it('reconnects without since after resync and reloads state', async () => {
    const t = setup();
    t.s.start();
    let ws = FakeSocket.all[0]!;
    ws.open();
    ws.recv({ type: 'hello', seq: 5 });
    t.release();
    await Promise.resolve();
    ws.recv({ type: 'resync' });
    ws.close(4002);
    await vi.advanceTimersByTimeAsync(10);
    ws = FakeSocket.all[1]!;
    expect(ws.url).toBe('ws://x/api/v1/stream');
    ws.open();
    ws.recv({ type: 'hello', seq: 50 });
    expect(t.fresh).toHaveLength(2);
  });

  it('pings and drops a connection that went silent', async () => {
    const t = setup();
    t.s.start();
    const ws = FakeSocket.all[0]!;
    ws.open();
    ws.recv({ type: 'hello', seq: 1, presence_interval: 25 });
    await vi.advanceTimersByTimeAsync(25_000);
    expect(ws.sent).toContain('{"type":"ping"}');
    await vi.advanceTimersByTimeAsync(30_000);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(FakeSocket.all.length).toBeGreaterThan(1);
    expect(FakeSocket.all[1]!.url).toBe('ws://x/api/v1/stream?since=1');
    void t;
  });

  it('stops and reports when the session is gone', async () => {
    const t = setup();
    t.s.start();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.close(4001);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.unauth()).toBe(1);
    expect(FakeSocket.all).toHaveLength(1);
  });

  describe('presence subscription', () => {
    const subs = (ws: FakeSocket) => ws.sent.map((x) => JSON.parse(x) as { type: string; user_ids?: number[] }).filter((m) => m.type === 'presence_sub');

    async function live(t: ReturnType<typeof setup>, ws: FakeSocket, seq = 1) {
      ws.open();
      ws.recv({ type: 'hello', seq });
      t.release();
      await Promise.resolve();
      ws.recv({ type: 'ready' });
    }

    it('sends the subscription on ready, not before', async () => {
      const t = setup();
      t.s.subscribePresence([12, 13]);
      t.s.start();
      const ws = FakeSocket.all[0]!;
      ws.open();
      ws.recv({ type: 'hello', seq: 1 });
      expect(subs(ws)).toEqual([]);
      t.release();
      await Promise.resolve();
      ws.recv({ type: 'ready' });
      expect(subs(ws)).toEqual([{ type: 'presence_sub', user_ids: [12, 13] }]);
    });

    it('resends a changed set once, debounced, and ignores an unchanged one', async () => {
      const t = setup();
      t.s.subscribePresence([1, 2]);
      t.s.start();
      const ws = FakeSocket.all[0]!;
      await live(t, ws);
      t.s.subscribePresence([2, 1]); // same set
      t.s.subscribePresence([1, 2, 3]);
      t.s.subscribePresence([1, 2, 3, 4]);
      expect(subs(ws)).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(PRESENCE_SUB_DEBOUNCE_MS + 10);
      expect(subs(ws)).toEqual([{ type: 'presence_sub', user_ids: [1, 2] }, { type: 'presence_sub', user_ids: [1, 2, 3, 4] }]);
      t.s.subscribePresence([]);
      await vi.advanceTimersByTimeAsync(PRESENCE_SUB_DEBOUNCE_MS + 10);
      expect(subs(ws).at(-1)).toEqual({ type: 'presence_sub', user_ids: [] });
    });

    it('does not send an empty subscription to a new connection', async () => {
      const t = setup();
      t.s.start();
      const ws = FakeSocket.all[0]!;
      await live(t, ws);
      expect(subs(ws)).toEqual([]);
    });

    it('subscribes again after every reconnect', async () => {
      const t = setup();
      t.s.subscribePresence([7]);
      t.s.start();
      let ws = FakeSocket.all[0]!;
      await live(t, ws, 3);
      ws.close(4000);
      t.s.subscribePresence([7, 8]); // changed while offline: goes with the next ready
      await vi.advanceTimersByTimeAsync(1000);
      ws = FakeSocket.all[1]!;
      ws.open();
      ws.recv({ type: 'hello', seq: 3 });
      expect(subs(ws)).toEqual([]);
      ws.recv({ type: 'ready' });
      expect(subs(ws)).toEqual([{ type: 'presence_sub', user_ids: [7, 8] }]);
      await vi.advanceTimersByTimeAsync(PRESENCE_SUB_DEBOUNCE_MS * 4);
      expect(subs(ws)).toHaveLength(1);
    });

    it('applies the snapshot and changes as "set", skipping junk', async () => {
      const t = setup();
      t.s.start();
      const ws = FakeSocket.all[0]!;
      await live(t, ws);
      ws.recv({ type: 'presence', users: { '12': 'online', '13': 'offline', '14': 'sleepy', x: 'online' } });
      ws.recv({ type: 'presence', user_id: 12, status: 'away' });
      ws.recv({ type: 'presence', user_id: 12, status: 'away' });
      ws.recv({ type: 'presence', users: {} });
      ws.recv({ type: 'presence', user_id: '5', status: 'bogus' });
      expect(t.presence).toEqual([new Map([[12, 'online'], [13, 'offline']]), new Map([[12, 'away']]), new Map([[12, 'away']])]);
    });
  });
});

describe('presence frames and ids', () => {
  it('parses both frame shapes', () => {
    expect(parsePresenceFrame({ type: 'presence', users: { '1': 'dnd', '2': 'online' } })).toEqual(new Map([[1, 'dnd'], [2, 'online']]));
    expect(parsePresenceFrame({ type: 'presence', user_id: 9, status: 'offline' })).toEqual(new Map([[9, 'offline']]));
    expect(parsePresenceFrame({ type: 'presence', users: [] })).toEqual(new Map());
  });

  it('keeps positive integer ids once, in order, at most 500', () => {
    expect(normalizePresenceIds([3, 1, 3, 0, -2, 1.5, 2])).toEqual([3, 1, 2]);
    const many = Array.from({ length: 800 }, (_, i) => i + 1);
    const out = normalizePresenceIds(many);
    expect(out).toHaveLength(MAX_PRESENCE_SUB);
    expect(out[0]).toBe(1);
    expect(out.at(-1)).toBe(500);
  });
});
