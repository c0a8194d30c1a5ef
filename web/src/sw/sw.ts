// The service worker (built to /sw.js by the plugin in vite.config.ts, with
// this build's BUILD constant prepended). It keeps the app shell — index.html,
// the hashed assets, the manifest and icons — so Parley starts without the
// network and shows its offline banner; it never stores API responses or
// files. A new deploy changes BUILD, so the browser installs the new worker
// beside the old one; the page offers a reload (state/update.ts), which tells
// the waiting worker to take over. See docs/adr/0015-service-worker.md.
import { cacheName, cacheable, route, SHELL_URL, staleCaches, type Build } from './policy';

declare const BUILD: Build;
declare const self: ServiceWorkerGlobalScope;

const CACHE = cacheName(BUILD);

self.addEventListener('install', (e) => {
  e.waitUntil(
    caches.open(CACHE).then((c) =>
      // 'reload' bypasses the HTTP cache so the shell matches this build's assets.
      c.addAll([new Request(SHELL_URL, { cache: 'reload' }), ...BUILD.shell.map((p) => new Request(p, { cache: 'reload' }))]),
    ),
  );
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    (async () => {
      for (const name of staleCaches(await caches.keys(), BUILD)) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (e) => {
  if ((e.data as { type?: string } | null)?.type === 'skip-waiting') void self.skipWaiting();
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const kind = route(req.method, req.url, req.mode, self.location.origin, BUILD.shell);
  if (kind === 'pass') return;
  e.respondWith(kind === 'navigate' ? navigate(req) : asset(req));
});

/** Network first, so an online user always gets the current page; the cached shell when the server is unreachable. */
async function navigate(req: Request): Promise<Response> {
  try {
    return await fetch(req);
  } catch (err) {
    const cached = await caches.match(SHELL_URL, { cacheName: CACHE });
    if (cached) return cached;
    throw err;
  }
}

/** Hashed assets never change, so the cache answers; a miss (a lazily loaded chunk) is fetched and kept. */
async function asset(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(req);
  if (hit) return hit;
  const res = await fetch(req);
  if (cacheable(new URL(req.url).pathname, res.status, res.type)) await cache.put(req, res.clone());
  return res;
}
