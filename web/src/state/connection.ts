// Owns the realtime connection for the signed-in session and exposes its state.
import { computed, effect, signal } from '@preact/signals';
import type { ID } from '../api/types';
import { Stream, type ConnState } from '../realtime/stream';
import * as chatStore from './chat';
import { applyPresence, setTyping } from './directory';
import { presenceWanted } from './presence-sub';
import { signedOut } from './session';
import { dialog, shownUsers } from './view';

export const conn = signal<ConnState>('connecting');
export const online = signal(typeof navigator === 'undefined' ? true : navigator.onLine);

let stream: Stream | null = null;
let unsubscribe: (() => void) | null = null;

/** The users whose presence is on screen; the stream subscribes to exactly these. */
export const presenceSubscription = computed(() => {
  const s = chatStore.chat.value;
  const d = dialog.value;
  return presenceWanted({
    meId: s.meId,
    channels: Object.values(s.channels),
    shown: shownUsers.value,
    profileUserId: d?.kind === 'profile' ? d.userId : null,
  });
});
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
    onPresence: applyPresence,
    onState: (s) => {
      const was = conn.value;
      conn.value = s;
      if (s === 'live' && was !== 'live') chatStore.retryAll();
    },
    onUnauthenticated: () => signedOut(),
  });
  const st = stream;
  // The stream sends it on every ready and, debounced, whenever it changes.
  unsubscribe = effect(() => st.subscribePresence(presenceSubscription.value));
  st.start();
}

export function stopConnection(): void {
  unsubscribe?.();
  unsubscribe = null;
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
