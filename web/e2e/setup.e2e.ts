// End-to-end: first run through /setup?token=..., then sign out and in again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launch, Server } from './harness';

let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = new Server({ bootstrap: false });
  await server.start();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

it('creates the organisation from the setup link, then signs out and in', async () => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(server.setupLink());
  await page.locator('h1', { hasText: '设置 Parley' }).waitFor();
  await page.fill('input[name="org_name"]', '示例公司');
  await page.fill('input[name="display_name"]', '王芳');
  await page.fill('input[name="username"]', 'wang.fang');
  await page.fill('input[name="email"]', 'wang@example.com');
  await page.fill('input[name="password"]', 'a-long-password-123');
  await page.click('button[type="submit"]');
  await page.locator('nav.sidebar').waitFor();
  expect(await page.locator('.me-name').textContent()).toBe('王芳');
  await page.getByRole('button', { name: '退出登录' }).click();
  await page.locator('input[name="login"]').waitFor();
  expect(new URL(page.url()).pathname).toBe('/login');
  // The setup link is single-use.
  await page.goto(server.setupLink());
  await page.fill('input[name="org_name"]', 'again');
  await page.fill('input[name="display_name"]', 'x');
  await page.fill('input[name="username"]', 'x');
  await page.fill('input[name="email"]', 'x@example.com');
  await page.fill('input[name="password"]', 'a-long-password-123');
  await page.click('button[type="submit"]');
  await page.locator('[role="alert"]').waitFor();
  await page.goto(server.url + '/login');
  await page.fill('input[name="login"]', 'wang.fang');
  await page.fill('input[name="password"]', 'a-long-password-123');
  await page.click('button[type="submit"]');
  await page.locator('nav.sidebar').waitFor();
  await context.close();
});
