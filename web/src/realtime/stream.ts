// The one module that speaks the realtime protocol (docs/realtime.md):
// GET /api/v1/stream?since=SEQ as a WebSocket. It owns reconnecting, resuming
// from the last seen seq, keep-alive pings, and the close codes. Everything
// above it sees only callbacks, so protocol changes stay in this file.
import type { StreamEvent, PresenceStatus, ID } from '../api/types';

export type ConnState = 'connecting' | 'live' | 'offline';

export interface StreamHandlers {
  /** A fresh (non-resumed) connection: the caller must (re)load REST state. */
  onFresh(): Promise<void>;
  onEvent(ev: StreamEvent): void;
  onTyping(channelId: ID, userId: ID): void;
  /** Statuses to set (a snapshot of the subscription, or one change). */
  onPresence(statuses: ReadonlyMap<ID, PresenceStatus>): void;
  onState(state: ConnState): void;
  onUnauthenticated(): void;
}

const CLOSE_RESTARTING = 4000;
const CLOSE_UNAUTHENTICATED = 4001;
const CLOSE_RESYNC = 4002;
const CLOSE_REVOKED = 4004;
const CLOSE_SLOW = 4008;

const DEFAULT_PING_S = 25;
/** The most ids one presence_sub may list; more closes the stream with 4009. */
export const MAX_PRESENCE_SUB = 500;
/** Changes to the subscription within this time are sent as one presence_sub. */
export const PRESENCE_SUB_DEBOUNCE_MS = 250;

const STATUSES: ReadonlySet<string> = new Set(['online', 'away', 'dnd', 'offline']);

/**
 * The ids of a presence_sub: positive integers, first occurrence kept, at most
 * MAX_PRESENCE_SUB (callers order by priority; the rest is dropped here rather
 * than letting the server close the stream).
 */
export function normalizePresenceIds(ids: Iterable<ID>): ID[] {
  const out: ID[] = [];
  const seen = new Set<ID>();
  for (const id of ids) {
    if (out.length >= MAX_PRESENCE_SUB) break;
    if (!Number.isSafeInteger(id) || id <= 0 || seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

/**
 * Reads a presence frame: the snapshot `{"users":{"12":"online"}}` or a change
 * `{"user_id":12,"status":"away"}`. Both are "set" operations; entries with an
 * unknown status or a bad id are skipped.
 */
export function parsePresenceFrame(msg: Record<string, unknown>): Map<ID, PresenceStatus> {
  const out = new Map<ID, PresenceStatus>();
  const put = (id: unknown, status: unknown) => {
    const n = typeof id === 'string' ? Number(id) : id;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0 && typeof status === 'string' && STATUSES.has(status)) {
      out.set(n, status as PresenceStatus);
    }
  };
  const users = msg.users;
  if (users && typeof users === 'object' && !Array.isArray(users)) {
    for (const [k, v] of Object.entries(users as Record<string, unknown>)) put(k, v);
  } else {
    put(msg.user_id, msg.status);
  }
  return out;
}

function sameIds(a: readonly ID[], b: readonly ID[]): boolean {
  if (a.length !== b.length) return false;
  const sa = [...a].sort((x, y) => x - y);
  const sb = [...b].sort((x, y) => x - y);
  return sa.every((x, i) => x === sb[i]);
}
/** Grace beyond the ping period before a silent connection counts as dead. */
const DEAD_AFTER_MS = 10_000;

export class Stream {
  private ws: WebSocket | null = null;
  /** Highest event seq applied; 0 means "no baseline, connect fresh". */
  lastSeq = 0;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ping: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  /** Events that arrive while a fresh connection is still loading REST state. */
  private buffer: StreamEvent[] | null = null;
  private lastFrameAt = 0;
  private pingMs = DEFAULT_PING_S * 1000;
  /** The users whose presence the UI shows; sent as presence_sub on every ready. */
  private presenceIds: ID[] = [];
  /** What this connection's server side holds (null: nothing sent on it yet). */
  private sentPresence: ID[] | null = null;
  private ready = false;
  private subTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly h: StreamHandlers, private readonly url = defaultURL) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000);
  }

  send(msg: { type: 'typing'; channel_id: ID } | { type: 'presence'; status: PresenceStatus } | { type: 'ping' } | { type: 'presence_sub'; user_ids: ID[] }): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  /**
   * Sets the users whose presence the UI shows (docs/realtime.md "Presence").
   * Sent on every `ready` and, while live, again (debounced) when it changes.
   */
  subscribePresence(ids: Iterable<ID>): void {
    const next = normalizePresenceIds(ids);
    if (sameIds(next, this.presenceIds)) return;
    this.presenceIds = next;
    if (!this.ready || this.subTimer) return;
    this.subTimer = setTimeout(() => {
      this.subTimer = null;
      this.flushPresenceSub();
    }, PRESENCE_SUB_DEBOUNCE_MS);
  }

  private flushPresenceSub(): void {
    if (this.subTimer) clearTimeout(this.subTimer);
    this.subTimer = null;
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return;
    if (this.sentPresence && sameIds(this.sentPresence, this.presenceIds)) return;
    // An empty list is only worth sending to drop an earlier subscription.
    if (!this.sentPresence && this.presenceIds.length === 0) return;
    this.sentPresence = this.presenceIds;
    this.send({ type: 'presence_sub', user_ids: this.presenceIds });
  }

  /** Reconnects now (e.g. when the browser comes back online). */
  kick(): void {
    if (this.stopped) return;
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) return;
    this.attempt = 0;
    this.clearTimers();
    this.connect();
  }

  private clearTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.ping) clearInterval(this.ping);
    if (this.subTimer) clearTimeout(this.subTimer);
    this.timer = null;
    this.ping = null;
    this.subTimer = null;
    // The subscription belongs to the connection: the next one starts empty.
    this.ready = false;
    this.sentPresence = null;
  }

  private connect(): void {
    this.h.onState('connecting');
    const since = this.lastSeq;
    const ws = new WebSocket(this.url(since));
    this.ws = ws;
    this.ready = false;
    this.sentPresence = null;
    let fresh = since === 0;
    ws.onmessage = (e) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let msg: { type: string; seq?: number; [k: string]: unknown };
      try {
        msg = JSON.parse(String(e.data));
      } catch {
        return;
      }
      this.onMessage(ws, msg, fresh);
      if (msg.type === 'hello') fresh = false;
    };
    ws.onopen = () => {
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.startPing(ws);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      this.buffer = null;
      if (this.stopped) return;
      switch (e.code) {
        case CLOSE_UNAUTHENTICATED:
        case CLOSE_REVOKED:
          this.stopped = true;
          this.h.onState('offline');
          this.h.onUnauthenticated();
          return;
        case CLOSE_RESYNC:
          this.lastSeq = 0;
          this.schedule(0);
          return;
        case CLOSE_RESTARTING:
        case CLOSE_SLOW:
        default:
          this.h.onState('offline');
          this.schedule(this.backoff());
      }
    };
  }

  /**
   * Browsers hide WebSocket ping frames, so liveness is checked with the
   * application-level ping: a connection silent for a ping period plus a grace
   * is dropped and reopened with since.
   */
  private startPing(ws: WebSocket): void {
    if (this.ping) clearInterval(this.ping);
    this.ping = setInterval(() => {
      if (this.ws !== ws) return;
      if (Date.now() - this.lastFrameAt > this.pingMs + DEAD_AFTER_MS) {
        this.drop(ws);
        return;
      }
      this.send({ type: 'ping' });
    }, this.pingMs);
  }

  /** Gives up on a connection at once, without waiting for a closing handshake. */
  private drop(ws: WebSocket): void {
    ws.onclose = null;
    ws.onmessage = null;
    this.ws = null;
    this.clearTimers();
    this.buffer = null;
    try { ws.close(); } catch { /* already closed */ }
    if (this.stopped) return;
    this.h.onState('offline');
    this.schedule(this.backoff());
  }

  private onMessage(ws: WebSocket, msg: { type: string; seq?: number; [k: string]: unknown }, fresh: boolean): void {
    switch (msg.type) {
      case 'hello': {
        const latest = Number(msg.seq ?? 0);
        const interval = Number(msg.presence_interval ?? 0);
        if (interval > 0 && interval * 1000 !== this.pingMs) {
          this.pingMs = interval * 1000;
          this.startPing(ws);
        }
        if (fresh) {
          // Baseline: REST state as of now, then every event after `latest`.
          this.lastSeq = latest;
          this.buffer = [];
          this.h.onFresh().then(
            () => {
              const queued = this.buffer ?? [];
              this.buffer = null;
              for (const ev of queued) this.deliver(ev);
            },
            () => {
              // Could not load state: start over with a fresh connection.
              this.lastSeq = 0;
              if (this.ws === ws) this.drop(ws);
            },
          );
        }
        return;
      }
      case 'ready':
        this.ready = true;
        this.sentPresence = null;
        this.flushPresenceSub();
        this.h.onState('live');
        return;
      case 'resync':
        this.lastSeq = 0;
        return; // the server closes with 4002 next
      case 'typing':
        this.h.onTyping(Number(msg.channel_id), Number(msg.user_id));
        return;
      case 'presence': {
        const statuses = parsePresenceFrame(msg);
        if (statuses.size > 0) this.h.onPresence(statuses);
        return;
      }
      case 'pong':
        return;
      default:
        if (typeof msg.seq === 'number') {
          const ev = msg as unknown as StreamEvent;
          if (this.buffer) this.buffer.push(ev);
          else this.deliver(ev);
        }
    }
  }

  private deliver(ev: StreamEvent): void {
    if (ev.seq <= this.lastSeq) return; // replay of something already applied
    this.lastSeq = ev.seq;
    try {
      this.h.onEvent(ev);
    } catch (e) {
      console.error('stream event failed', ev.type, e);
    }
  }

  private backoff(): number {
    const base = Math.min(30_000, 500 * 2 ** this.attempt);
    this.attempt++;
    return base / 2 + Math.random() * (base / 2);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.connect(), ms);
  }
}

function defaultURL(since: number): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${location.host}/api/v1/stream${since > 0 ? `?since=${since}` : ''}`;
}
