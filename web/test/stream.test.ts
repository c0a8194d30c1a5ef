import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Stream, type StreamHandlers } from '../src/realtime/stream';
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
  const fresh: number[] = [];
  let unauth = 0;
  let release: () => void = () => {};
  const h: StreamHandlers = {
    onFresh: () => new Promise<void>((r) => { fresh.push(1); release = r; }),
    onEvent: (ev) => events.push(ev.seq),
    onTyping: () => {},
    onPresence: () => {},
    onState: () => {},
    onUnauthenticated: () => unauth++,
  };
  const s = new Stream(h, (since) => `ws://x/api/v1/stream${since ? '?since=' + since : ''}`);
  return { s, events, fresh, release: () => release(), unauth: () => unauth };
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
});
