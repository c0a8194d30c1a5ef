import { describe, expect, it } from 'vitest';
import { cacheable, cacheName, route, staleCaches } from '../src/sw/policy';

const O = 'https://chat.example.com';
const shell = ['/assets/index-abc.js', '/manifest.webmanifest', '/icon.svg'];
const r = (method: string, path: string, mode = 'cors', origin = O) => route(method, origin + path, mode, O, shell);

describe('service worker routing', () => {
  it('never intercepts the API, files, the stream or health checks', () => {
    expect(r('GET', '/api/v1/channels/1/messages')).toBe('pass');
    expect(r('GET', '/api/v1/files/7/content')).toBe('pass');
    expect(r('GET', '/api/v1/files/7/content', 'navigate')).toBe('pass'); // a download opened in a tab
    expect(r('GET', '/api/v1/stream', 'websocket')).toBe('pass');
    expect(r('GET', '/api')).toBe('pass');
    expect(r('GET', '/readyz')).toBe('pass');
  });
  it('leaves writes and other origins alone', () => {
    expect(r('POST', '/assets/index-abc.js')).toBe('pass');
    expect(r('POST', '/c/1', 'navigate')).toBe('pass');
    expect(route('GET', 'https://cdn.example.net/assets/x.js', 'cors', O, shell)).toBe('pass');
  });
  it('serves navigations network-first and the shell from the cache', () => {
    expect(r('GET', '/c/7/m/42', 'navigate')).toBe('navigate');
    expect(r('GET', '/', 'navigate')).toBe('navigate');
    expect(r('GET', '/assets/index-abc.js')).toBe('asset');
    expect(r('GET', '/assets/lazy-123.js')).toBe('asset');
    expect(r('GET', '/manifest.webmanifest')).toBe('asset');
    expect(r('GET', '/unknown.txt')).toBe('pass');
  });
  it('stores only complete same-origin hashed assets', () => {
    expect(cacheable('/assets/lazy-123.js', 200, 'basic')).toBe(true);
    expect(cacheable('/assets/lazy-123.js', 206, 'basic')).toBe(false);
    expect(cacheable('/assets/lazy-123.js', 404, 'basic')).toBe(false);
    expect(cacheable('/assets/x.js', 200, 'opaque')).toBe(false);
    expect(cacheable('/api/v1/files/7/content', 200, 'basic')).toBe(false);
  });
  it('deletes only the caches of other builds', () => {
    const b = { version: 'v2', shell };
    expect(cacheName(b)).toBe('parley-shell-v2');
    expect(staleCaches(['parley-shell-v1', 'parley-shell-v2', 'other-app'], b)).toEqual(['parley-shell-v1']);
  });
});
