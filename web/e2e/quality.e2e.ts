// End-to-end: XSS corpus renders inert, 中文 has no untranslated strings, axe finds no serious issues.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { Api, launch, OWNER, SAMPLE, Server, signIn, openChannel, untranslated } from './harness';

let server: Server;
let browser: Browser;
let owner: Api;
let xss: number;
let general: number;

beforeAll(async () => {
  server = new Server();
  await server.start();
  owner = await server.client();
  const bob = await owner.createUser('bob', 'Bob Builder', 'correct-horse-battery-2');
  general = (await owner.createChannel('general', [bob.id])).id;
  xss = (await owner.createChannel('xss', [])).id;
  await owner.post(general, 'Welcome to **general**, @bob! See #xss and https://example.com');
  const root = await owner.post(general, 'A thread root');
  await owner.call('POST', `/channels/${general}/messages`, { client_id: 'reply-1', text: 'a reply', root_id: root.id });
  await owner.call('PUT', `/messages/${root.id}/reactions/${encodeURIComponent('👍')}`);
  // Every kind of attachment, so axe and the 中文 check see them in both themes and at 375 px.
  const files = [
    await owner.upload(general, 'diagram.png', SAMPLE.png(), 'image/png'),
    await owner.upload(general, 'minutes.pdf', SAMPLE.pdf(), 'application/pdf'),
    await owner.upload(general, 'agenda.pdf', SAMPLE.pdfPages(2), 'application/pdf'),
    await owner.upload(general, 'memo.wav', SAMPLE.wav(), 'audio/wav'),
    await owner.upload(general, 'notes.txt', new TextEncoder().encode('plain notes'), 'text/plain'),
  ];
  await owner.postFiles(general, 'Files for the meeting', files.map((f) => f.id));
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('security', () => {
  it('renders the XSS corpus inert (even without the CSP)', async () => {
    const corpus = readFileSync(resolve(__dirname, '../test/xss-corpus.txt'), 'utf8').split('\n').filter((l) => l.trim());
    for (const [i, line] of corpus.entries()) await owner.post(xss, line, `xss-${i}`);
    // bypassCSP: the renderer itself must be safe, the CSP is only the second wall.
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(server.url + '/login');
    await page.fill('input[name="login"]', OWNER.username);
    await page.fill('input[name="password"]', OWNER.password);
    await page.click('button[type="submit"]');
    await page.locator('nav.sidebar').waitFor();
    await openChannel(page, server, xss);
    await expect.poll(() => page.locator('main .msg').count()).toBeGreaterThan(10);
    // Scroll through everything so every row has rendered at least once.
    for (let y = 0; y < 40; y++) {
      await page.locator('.history-list').evaluate((el) => (el.scrollTop -= 400));
      await page.waitForTimeout(30);
    }
    await page.locator('.md a').first().hover().catch(() => {});
    await page.waitForTimeout(500);
    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    const bad = await page.evaluate(() => {
      const out: string[] = [];
      for (const el of document.querySelectorAll('.md *')) {
        if (/^(SCRIPT|IFRAME|OBJECT|EMBED|IMG|SVG|MATH|STYLE|FORM|INPUT|BASE|META|LINK)$/i.test(el.tagName)) out.push(el.tagName);
        for (const a of el.getAttributeNames()) if (a.startsWith('on') || a === 'style' || a === 'src') out.push(el.tagName + '@' + a);
        const href = el.getAttribute('href');
        if (href && !/^(https?:|mailto:|\/|#)/i.test(href)) out.push('href:' + href);
      }
      return out;
    });
    expect(bad).toEqual([]);
    await context.close();
  });
});

describe('中文 interface', () => {
  it('shows no untranslated strings after switching to 中文', async () => {
    const s = await signIn(browser, server, OWNER.username, OWNER.password, { locale: 'en-US' });
    await s.page.getByRole('button', { name: 'Settings' }).click();
    await s.page.locator('select').first().selectOption('zh-CN');
    await s.page.getByRole('button', { name: '关闭' }).click();
    await openChannel(s.page, server, general);
    await s.page.locator('main .msg').first().waitFor();
    expect(await s.page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await untranslated(s.page)).toEqual([]);
    // Open the surfaces with the most text and check them too.
    const root = s.page.locator('main article.msg', { hasText: 'A thread root' });
    await root.hover();
    await root.getByRole('button', { name: '更多操作' }).click();
    expect(await untranslated(s.page)).toEqual([]);
    await s.page.keyboard.press('Escape');
    await root.locator('.thread-summary').click();
    await s.page.locator('aside.panel .msg').first().waitFor();
    expect(await untranslated(s.page)).toEqual([]);
    for (const name of ['浏览频道', '创建频道', '发起私信', '设置']) {
      await s.page.getByRole('button', { name, exact: true }).first().click();
      await s.page.locator('[role="dialog"]').waitFor();
      await s.page.waitForTimeout(300);
      expect(await untranslated(s.page), name).toEqual([]);
      await s.page.keyboard.press('Escape');
    }
    // The PDF preview: card and dialog.
    await s.page.getByRole('button', { name: '预览 agenda.pdf' }).click();
    await s.page.locator('[role="dialog"] .pdf-status').waitFor();
    expect(await untranslated(s.page), 'pdf preview').toEqual([]);
    await s.page.keyboard.press('Escape');
    // Search results, the member list and a confirmation.
    await s.page.locator('#search-input').fill('thread');
    await s.page.locator('#search-input').press('Enter');
    await s.page.locator('aside.panel .search-hit').first().waitFor();
    expect(await untranslated(s.page), 'search').toEqual([]);
    await s.page.locator('main .member-count').click();
    await s.page.locator('aside.panel .member-item').first().waitFor();
    expect(await untranslated(s.page), 'members').toEqual([]);
    await root.hover();
    await root.getByRole('button', { name: '更多操作' }).click();
    await s.page.getByRole('menuitem', { name: '删除' }).click();
    await s.page.getByRole('alertdialog').waitFor();
    expect(await untranslated(s.page), 'confirm').toEqual([]);
    await s.page.keyboard.press('Escape');
    await s.context.close();
  });
});

describe('accessibility', () => {
  it('axe reports no serious or critical violations', async () => {
    const require = createRequire(import.meta.url);
    const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    const results: string[] = [];
    for (const viewport of [{ width: 1280, height: 800 }, { width: 375, height: 740 }]) {
      const s = await signIn(browser, server, OWNER.username, OWNER.password, { viewport });
      await openChannel(s.page, server, general);
      await s.page.locator('main .msg').first().waitFor();
      const run = async (label: string) => {
        await s.page.evaluate(axeSource);
        const violations = await s.page.evaluate(async () => {
          const r = await (window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
          return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
        });
        results.push(...violations.map((v) => `${viewport.width}px ${label}: ${v}`));
      };
      await run('channel');
      for (const theme of ['dark']) {
        await s.page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
        await run('channel ' + theme);
        await s.page.evaluate(() => document.documentElement.removeAttribute('data-theme'));
      }
      // The PDF preview dialog, light and dark.
      await s.page.locator('main .att-pdf-thumb').last().click();
      await s.page.locator('[role="dialog"] .pdf-status').waitFor();
      await run('pdf preview');
      await s.page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      await run('pdf preview dark');
      await s.page.evaluate(() => document.documentElement.removeAttribute('data-theme'));
      await s.page.keyboard.press('Escape');
      await s.page.keyboard.press('Control+k');
      await s.page.locator('[role="dialog"]').waitFor();
      await run('switcher');
      await s.page.keyboard.press('Escape');
      if (viewport.width > 768) {
        await s.page.locator('#search-input').fill('thread');
        await s.page.locator('#search-input').press('Enter');
        await s.page.locator('aside.panel .search-hit').first().waitFor();
        await run('search');
        await s.page.locator('main .files-btn').click();
        await s.page.locator('aside.panel .file-item').first().waitFor();
        await run('files');
        await s.page.locator('main .member-count').click();
        await s.page.locator('aside.panel .member-item').first().waitFor();
        await run('members');
        const root = s.page.locator('main article.msg', { hasText: 'A thread root' });
        await root.hover();
        // Language-neutral: the 中文 test above saved zh-CN as this user's locale.
        await root.locator('.msg-actions button[aria-expanded]').click();
        await root.locator('.menu-item.danger').click();
        await s.page.getByRole('alertdialog').waitFor();
        await run('confirm');
        await s.page.keyboard.press('Escape');
      }
      await s.context.close();
    }
    const login = await browser.newPage();
    await login.goto(server.url + '/login');
    await login.locator('input[name="login"]').waitFor();
    await login.evaluate(axeSource);
    const lv = await login.evaluate(async () => (await (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run()).violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id));
    results.push(...lv.map((v) => 'login: ' + v));
    await login.close();
    expect(results).toEqual([]);
  });
});
