// End-to-end: an admin invites from the admin console's Users page, copies
// the link, and a new person opens it in another browser, creates their
// account in Chinese and lands in the chat; axe on both pages.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { launch, OWNER, Server, signIn } from './harness';

let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = new Server();
  await server.start();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

async function axe(page: Page): Promise<string[]> {
  const require = createRequire(import.meta.url);
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact})`);
  });
}

it('invites by link from the admin console and accepts it on the public page', async () => {
  const s = await signIn(browser, server, OWNER.username, OWNER.password);
  const page = s.page;
  await page.getByRole('link', { name: 'Admin console' }).click();
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('button', { name: 'Invite', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Invite people' });
  await dialog.waitFor();
  await dialog.getByLabel('Role').selectOption('guest');
  await dialog.getByRole('button', { name: 'Create link' }).click();
  const link = await dialog.getByLabel('Invitation link').inputValue();
  expect(link).toMatch(/\/invite\/inv_[A-Za-z0-9_-]{43}$/);
  await dialog.getByText('No e-mail was sent').waitFor();
  expect(await axe(page)).toEqual([]);
  await dialog.getByRole('button', { name: 'Close' }).first().click();
  await page.getByRole('heading', { name: 'Invitations' }).waitFor();

  // Someone else, in Chinese, with the link.
  const guest = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
  const gp = await guest.newPage();
  await gp.goto(link);
  await gp.locator('h1', { hasText: '加入 Parley 上的' }).waitFor();
  expect(await axe(gp)).toEqual([]);
  await gp.locator('input[name="email"]').fill('newguest@ext.test');
  await gp.locator('input[name="username"]').fill('newguest');
  await gp.locator('input[name="password"]').fill('short');
  await gp.locator('button[type="submit"]').click();
  await gp.getByRole('alert').waitFor();
  await gp.locator('input[name="password"]').fill(OWNER.password);
  await gp.locator('button[type="submit"]').click();
  await gp.locator('nav.sidebar').waitFor({ timeout: 15_000 });

  // The link was single-use: opening it again says so.
  const again = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await again.goto(link);
  await again.getByRole('alert').filter({ hasText: 'already been used' }).waitFor();
  expect(s.errors).toEqual([]);
  await s.context.close();
  await guest.close();
});
