// Client-side routes. The Go server falls back to index.html for these paths.
import { signal } from '@preact/signals';

export type Route =
  | { name: 'home' }
  | { name: 'login' }
  | { name: 'setup'; token: string }
  | { name: 'invite'; token: string }
  | { name: 'channel'; channelId: number; seq: number | null }
  | { name: 'security' }
  | { name: 'admin'; section: string }
  | { name: 'people' };

export function parseRoute(pathname: string, search: string): Route {
  if (pathname === '/login') return { name: 'login' };
  if (pathname === '/people') return { name: 'people' };
  if (pathname === '/setup') return { name: 'setup', token: new URLSearchParams(search).get('token') ?? '' };
  const inv = /^\/invite\/([A-Za-z0-9_-]{1,128})\/?$/.exec(pathname);
  if (inv?.[1]) return { name: 'invite', token: inv[1] };
  if (pathname === '/settings/security') return { name: 'security' };
  const a = /^\/admin(?:\/([a-z-]+))?\/?$/.exec(pathname);
  if (a) return { name: 'admin', section: a[1] ?? '' };
  const m = /^\/c\/(\d+)(?:\/m\/(\d+))?\/?$/.exec(pathname);
  if (m) return { name: 'channel', channelId: Number(m[1]), seq: m[2] ? Number(m[2]) : null };
  return { name: 'home' };
}

export const route = signal<Route>(parseRoute(location.pathname, location.search));

export function navigate(path: string, replace = false): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route.value = parseRoute(location.pathname, location.search);
}

addEventListener('popstate', () => {
  route.value = parseRoute(location.pathname, location.search);
});

export function channelPath(id: number, seq?: number): string {
  return seq ? `/c/${id}/m/${seq}` : `/c/${id}`;
}
