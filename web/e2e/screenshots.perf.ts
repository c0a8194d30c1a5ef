// Seeds a small, realistic organisation through the public API and writes the
// screenshots in docs/screenshots/ (npm run screenshots).
import { afterAll, beforeAll, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { Api, launch, OWNER, SAMPLE, Server, signIn, openChannel } from './harness';

const OUT = resolve(__dirname, '../../docs/screenshots');
let server: Server;
let browser: Browser;
let general: number;

beforeAll(async () => {
  server = new Server();
  await server.start();
  const owner = await server.client();
  const li = await owner.createUser('li.lei', '李雷', 'correct-horse-battery-3');
  const han = await owner.createUser('han.meimei', '韩梅梅', 'correct-horse-battery-4');
  const bob = await owner.createUser('bob', 'Bob Builder', 'correct-horse-battery-5');
  general = (await owner.createChannel('general', [li.id, han.id, bob.id])).id;
  await owner.call('PATCH', `/channels/${general}`, { topic: 'Company-wide announcements · 全员公告' });
  const eng = (await owner.createChannel('engineering', [li.id, bob.id])).id;
  await owner.createChannel('design', [han.id]);
  const liApi = await server.client('li.lei', 'correct-horse-battery-3');
  const hanApi = await server.client('han.meimei', 'correct-horse-battery-4');
  const bobApi = await server.client('bob', 'correct-horse-battery-5');
  await owner.post(general, 'Welcome to **Parley**! 欢迎大家 🎉');
  await liApi.post(general, '早上好！今天下午三点开周会，议程见 https://example.com/agenda');
  await liApi.post(general, '记得带上 *季度数据*。');
  const q = await hanApi.post(general, '@li.lei 会议室订好了吗？');
  await liApi.call('POST', `/channels/${general}/messages`, { client_id: 'r1', text: '订好了，3 楼大会议室。', root_id: q.id });
  await owner.call('POST', `/channels/${general}/messages`, { client_id: 'r2', text: '👍 谢谢', root_id: q.id });
  const code = await bobApi.post(general, 'Deploy checklist:\n\n1. `make test`\n2. `make release`\n3. Tag the release\n\n> Remember to update the changelog.');
  await hanApi.call('PUT', `/messages/${code.id}/reactions/${encodeURIComponent('👍')}`);
  await liApi.call('PUT', `/messages/${code.id}/reactions/${encodeURIComponent('👍')}`);
  await liApi.call('PUT', `/messages/${code.id}/reactions/${encodeURIComponent('🚀')}`);
  const oops = await bobApi.post(general, 'oops, wrong channel');
  await bobApi.call('POST', `/messages/${oops.id}/recall`);
  const deck = await hanApi.upload(general, '季度数据.pdf', SAMPLE.pdf(), 'application/pdf');
  const logo = await hanApi.upload(general, 'logo.png', SAMPLE.png(), 'image/png');
  await hanApi.postFiles(general, '会议材料 / slides for 3 pm', [logo.id, deck.id]);
  await owner.post(general, 'Thanks everyone — see you at 3 pm.');
  await liApi.post(eng, 'CI is green again ✅');
  await bobApi.post(eng, 'Reviewing #42 now');
  const dm = await liApi.call<{ id: number }>('POST', '/dms', { user_ids: [1] });
  await liApi.post(dm.id, '有空聊一下预算吗？');
  void Api;
  browser = await launch();
  mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

it('takes the screenshots', async () => {
  const shots: [string, string, { width: number; height: number }, string][] = [
    ['channel-en-light.png', 'en-US', { width: 1280, height: 800 }, 'light'],
    ['channel-zh-dark.png', 'zh-CN', { width: 1280, height: 800 }, 'dark'],
    ['mobile-zh-375.png', 'zh-CN', { width: 375, height: 740 }, 'light'],
  ];
  for (const [file, locale, viewport, theme] of shots) {
    const s = await signIn(browser, server, OWNER.username, OWNER.password, { locale, viewport });
    await s.page.evaluate((th) => localStorage.setItem('parley.theme', th), theme);
    await s.page.reload();
    await openChannel(s.page, server, general);
    await s.page.locator('main .msg').first().waitFor();
    await s.page.waitForTimeout(400);
    await s.page.screenshot({ path: resolve(OUT, file) });
    if (file === 'channel-en-light.png') {
      await s.page.locator('main .thread-summary').first().click();
      await s.page.locator('aside.panel .msg').nth(2).waitFor();
      await s.page.waitForTimeout(300);
      await s.page.screenshot({ path: resolve(OUT, 'thread-en.png') });
    }
    if (file === 'channel-zh-dark.png') {
      // Search in the sidebar: results with highlighted snippets in the right panel.
      await s.page.locator('#search-input').fill('会议');
      await s.page.locator('#search-input').press('Enter');
      await s.page.locator('aside.panel .search-hit').first().waitFor();
      await s.page.waitForTimeout(300);
      await s.page.screenshot({ path: resolve(OUT, 'search-zh-dark.png') });
      await s.page.keyboard.press('Escape');
      await s.page.keyboard.press('Control+k');
      await s.page.locator('[role="dialog"] input').fill('e');
      await s.page.waitForTimeout(300);
      await s.page.screenshot({ path: resolve(OUT, 'switcher-zh-dark.png') });
    }
    await s.context.close();
  }
});
