// The service worker: the app starts from its cached shell when the server is
// unreachable and shows the offline banner, API responses are never cached,
// and a new deploy is offered as a reload.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launch, OWNER, Server, signIn, openChannel, messages } from './harness';

let server: Server;
let browser: Browser;
let channel: number;

beforeAll(async () => {
  server = new Server();
  await server.start();
  const owner = await server.client();
  channel = (await owner.createChannel('offline')).id;
  await owner.post(channel, 'before the outage');
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** Waits until the page is controlled by an active service worker. */
async function controlled(page: Page): Promise<void> {
  await page.waitForFunction(async () => {
    await navigator.serviceWorker.ready;
    return !!navigator.serviceWorker.controller;
  });
}

/** The paths stored in the service worker's caches, by cache name. */
function cached(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const name of await caches.keys()) {
      const c = await caches.open(name);
      out[name] = (await c.keys()).map((r) => new URL(r.url).pathname).sort();
    }
    return out;
  });
}

it('starts from the cached shell while the server is down, shows the offline banner, and never caches the API', async () => {
  const s = await signIn(browser, server, OWNER.username, OWNER.password);
  const page = s.page;
  await controlled(page);
  await openChannel(page, server, channel);
  await messages(page).filter({ hasText: 'before the outage' }).waitFor();

  const caches1 = await cached(page);
  const names = Object.keys(caches1);
  expect(names).toHaveLength(1);
  const paths = caches1[names[0]!]!;
  expect(paths).toContain('/');
  expect(paths.some((p) => /^\/assets\/index-[\w-]+\.js$/.test(p))).toBe(true);
  expect(paths).toContain('/manifest.webmanifest');
  expect(paths.filter((p) => p.startsWith('/api'))).toEqual([]);

  await server.stop();
  await page.reload();
  await expect.poll(() => page.locator('.banner-offline').textContent()).toContain('You are offline');
  expect(await page.locator('.splash').textContent()).toContain('cannot reach the server');

  // The server comes back: the same page signs in again by itself.
  await server.start();
  await page.locator('nav.sidebar').waitFor({ timeout: 20_000 });
  await messages(page).filter({ hasText: 'before the outage' }).waitFor();
  expect(page.url()).toContain(`/c/${channel}`);
  await s.context.close();
});

it('offers a reload when a new version is deployed, and the new version takes over', async () => {
  const s = await signIn(browser, server, OWNER.username, OWNER.password);
  const page = s.page;
  await controlled(page);
  expect(await page.locator('.banner-update').count()).toBe(0);

  // A deploy, as the browser sees it: the registration's script changes. A new
  // script URL makes the browser install a new worker even for the same bytes
  // (a real deploy changes the bytes: vite.config.ts stamps the build into sw.js).
  // Pages loaded from now on register the "deployed" script, as they would after a real deploy.
  await s.context.addInitScript(() => {
    const register = ServiceWorkerContainer.prototype.register;
    ServiceWorkerContainer.prototype.register = function (url, opts) {
      return register.call(this, url === '/sw.js' ? '/sw.js?deploy=2' : url, opts);
    };
  });
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('/sw.js?deploy=2');
  });
  const banner = page.locator('.banner-update');
  await banner.waitFor();
  expect(await banner.textContent()).toContain('A new version of Parley is available');

  await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Reload' }).click()]);
  await page.locator('nav.sidebar').waitFor();
  expect(await page.locator('.banner-update').count()).toBe(0);
  // The new worker controls the page, and the page did not offer the update again.
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toContain('/sw.js?deploy=2');
  await controlled(page);
  expect(await page.locator('.banner-update').count()).toBe(0);
  await s.context.close();
});
