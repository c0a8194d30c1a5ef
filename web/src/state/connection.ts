// Owns the realtime connection for the signed-in session and exposes its state.
import { signal } from '@preact/signals';
import type { ID } from '../api/types';
import { Stream, type ConnState } from '../realtime/stream';
import * as chatStore from './chat';
import { loadPresence, setPresence, setTyping } from './directory';
import { signedOut } from './session';

export const conn = signal<ConnState>('connecting');
export const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine);

let stream: Stream | null = null;
let loadState: () => Promise<void> = async () => {};

/** Starts the stream; `reload` refreshes REST state on every fresh (non-resumed) connection. */
export function startConnection(reload: () => Promise<void>): void {
  loadState = reload;
  stopConnection();
  stream = new Stream({
    onFresh: async () => {
      chatStore.invalidateTimelines();
      await loadState();
    },
    onEvent: chatStore.handleEvent,
    onTyping: (c, u) => setTyping(c, u),
    onPresence: (u, s) => setPresence(u, s),
    onState: (s) => {
      const was = conn.value;
      conn.value = s;
      if (s === 'live' && was !== 'live') {
        chatStore.retryAll();
        const ids = new Set<ID>();
        for (const c of Object.values(chatStore.chat.value.channels)) for (const id of c.member_ids ?? []) ids.add(id);
        void loadPresence([...ids]).catch(() => {});
      }
    },
    onUnauthenticated: () => signedOut(),
  });
  stream.start();
}

export function stopConnection(): void {
  stream?.stop();
  stream = null;
}

export function sendTyping(channelId: ID): void {
  stream?.send({ type: 'typing', channel_id: channelId });
}

export function sendPresence(status: 'online' | 'away'): void {
  stream?.send({ type: 'presence', status });
}

if (typeof window !== 'undefined') {
  addEventListener('online', () => {
    online.value = true;
    stream?.kick();
  });
  addEventListener('offline', () => (online.value = false));
}
