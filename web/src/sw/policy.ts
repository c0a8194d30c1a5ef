// What the service worker does with a request. Pure, so the rule that matters
// most — API responses and user files are never cached — is a unit test
// (test/sw-policy.test.ts).

/** pass: straight to the network, never cached. navigate: network first, the cached shell when offline. asset: cache first. */
export type Route = 'pass' | 'navigate' | 'asset';

/** The build's identity and the files of its app shell, injected into sw.js at build time (vite.config.ts). */
export interface Build {
  version: string;
  /** Absolute paths: the hashed /assets/ files and the public files (manifest, icons). */
  shell: string[];
}

export const CACHE_PREFIX = 'parley-shell-';

export function cacheName(b: Build): string {
  return CACHE_PREFIX + b.version;
}

/** The URL the shell (index.html) is cached under; the server answers every client route with it. */
export const SHELL_URL = '/';

export function route(method: string, url: string, mode: string, origin: string, shell: readonly string[]): Route {
  if (method !== 'GET') return 'pass';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'pass';
  }
  if (u.origin !== origin) return 'pass';
  const p = u.pathname;
  // The API (JSON, the event stream, uploaded files and their thumbnails) and
  // the health checks always go to the server.
  if (p === '/api' || p.startsWith('/api/') || p === '/healthz' || p === '/readyz') return 'pass';
  if (mode === 'navigate') return 'navigate';
  if (p.startsWith('/assets/') || shell.includes(p)) return 'asset';
  return 'pass';
}

/** Whether a fetched response may be stored: a complete, same-origin 200 of a hashed asset. */
export function cacheable(path: string, status: number, type: string): boolean {
  return status === 200 && type === 'basic' && path.startsWith('/assets/');
}

/** Caches of other builds, to delete once this one is active. */
export function staleCaches(names: readonly string[], b: Build): string[] {
  return names.filter((n) => n.startsWith(CACHE_PREFIX) && n !== cacheName(b));
}
