// The service worker's side in the page: registers /sw.js (production builds
// only), and when a new deploy's worker has installed beside the running one,
// raises `updateReady` so the app can offer a reload. Reloading tells the
// waiting worker to take over and reloads once it controls the page; drafts
// live in localStorage, so nothing typed is lost.
import { signal } from '@preact/signals';

/** A new version is installed and waiting for the user's go-ahead. */
export const updateReady = signal(false);

let waiting: ServiceWorker | null = null;
/** Set when the user chose to reload: only then does a change of worker reload the page. */
let reloadOnChange = false;

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const sw = navigator.serviceWorker;
  // The first install takes control silently (clients.claim); a later change
  // of worker reloads only when the user asked for it.
  sw.addEventListener('controllerchange', () => {
    if (!reloadOnChange) return;
    reloadOnChange = false;
    location.reload();
  });
  sw.register('/sw.js').then((reg) => {
    // Only a worker replacing another one is an update; the first install is silent.
    const offer = (w: ServiceWorker | null) => {
      if (!w || !sw.controller) return;
      waiting = w;
      updateReady.value = true;
    };
    if (reg.waiting) offer(reg.waiting);
    reg.addEventListener('updatefound', () => {
      const w = reg.installing;
      w?.addEventListener('statechange', () => {
        if (w.state === 'installed') offer(w);
      });
    });
    // A tab left open for days still learns about deploys.
    setInterval(() => void reg.update().catch(() => {}), 60 * 60 * 1000);
  }, () => {});
}

/** Switches to the waiting version; the page reloads when it takes control. */
export function applyUpdate(): void {
  if (waiting && waiting.state === 'installed') {
    reloadOnChange = true;
    waiting.postMessage({ type: 'skip-waiting' });
  } else location.reload();
}
