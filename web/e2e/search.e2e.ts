// End-to-end: search in Chinese (two-character word), open the result in its channel;
// topic editing, member roles, edit history and the in-app confirmation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { Api, launch, OWNER, Server, signIn, type Session, openChannel, send } from './harness';

let server: Server;
let browser: Browser;
let owner: Api;
let general: number;
let other: number;
let bobId: number;
let a: Session;

beforeAll(async () => {
  server = new Server();
  await server.start();
  owner = await server.client();
  bobId = (await owner.createUser('bob', 'Bob Builder', 'correct-horse-battery-2')).id;
  general = (await owner.createChannel('general', [bobId])).id;
  other = (await owner.createChannel('compliance', [bobId])).id;
  for (let i = 0; i < 30; i++) await owner.post(other, `filler message ${i}`);
  browser = await launch();
  a = await signIn(browser, server, OWNER.username, OWNER.password);
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('search', () => {
  it('finds a Chinese message by a two-character word and opens it highlighted in its channel', async () => {
    const bob = await server.client('bob', 'correct-horse-battery-2');
    const target = await bob.post(other, '请大家在周五前完成数据安全合规要求的自查');
    for (let i = 0; i < 30; i++) await owner.post(other, `later message ${i}`);
    await openChannel(a.page, server, general);
    // "/" focuses the search box from anywhere but a text field.
    await a.page.locator('main .msg-body, main .channel-intro').first().click();
    await a.page.keyboard.press('/');
    await expect.poll(() => a.page.evaluate(() => document.activeElement?.id)).toBe('search-input');
    await a.page.keyboard.type('合规');
    await a.page.keyboard.press('Enter');
    const hit = a.page.locator('aside.panel .search-hit', { hasText: '数据安全' });
    await hit.waitFor({ timeout: 15_000 });
    expect(await hit.locator('mark').allInnerTexts()).toEqual(['合规']);
    expect(await hit.innerText()).toContain('#compliance');
    await hit.locator('a').click();
    await a.page.waitForURL(`**/c/${other}/m/${target.seq}`);
    await a.page.locator(`main article.msg-highlight[data-seq="${target.seq}"]`).waitFor();
    expect(a.errors).toEqual([]);
  });

  it('pages and sorts results', async () => {
    for (let i = 0; i < 25; i++) await owner.post(general, `quarterly budget item ${i}`);
    const box = a.page.locator('#search-input');
    await box.fill('budget in:#general');
    await box.press('Enter');
    const hits = a.page.locator('aside.panel .search-hit');
    await expect.poll(() => hits.count()).toBe(20);
    await a.page.getByRole('button', { name: 'Newest' }).click();
    await expect.poll(() => a.page.getByRole('button', { name: 'Newest' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => hits.first().innerText()).toContain('quarterly budget item 24');
    await a.page.getByRole('button', { name: 'More results' }).click();
    await expect.poll(() => hits.count()).toBe(25);
    await a.page.getByRole('button', { name: 'Close' }).first().click();
  });
});

describe('channel management', () => {
  it('edits the topic inline', async () => {
    await openChannel(a.page, server, general);
    await a.page.locator('main .topic-btn').click();
    const input = a.page.locator('main .topic-input');
    await input.fill('Quarterly planning 季度计划');
    await input.press('Enter');
    await expect.poll(() => a.page.locator('main .topic-btn').innerText()).toContain('Quarterly planning 季度计划');
    const ch = await owner.call<{ topic: string }>('GET', `/channels/${general}`);
    expect(ch.topic).toBe('Quarterly planning 季度计划');
  });

  it('changes a member role from the member list', async () => {
    await a.page.locator('main .member-count').click();
    const select = a.page.getByRole('combobox', { name: 'Channel role of Bob Builder' });
    await select.waitFor();
    await select.selectOption('admin');
    await expect.poll(async () => (await owner.call<{ members: { user_id: number; role: string }[] }>('GET', `/channels/${general}/members`)).members.find((m) => m.user_id === bobId)?.role).toBe('admin');
    await a.page.getByRole('button', { name: 'Close' }).first().click();
  });

  it('shows the edit history of a message', async () => {
    await send(a.page, 'first draft of the plan');
    const row = a.page.locator('main article.msg[data-id]', { hasText: 'first draft of the plan' }); // confirmed, not pending
    await row.waitFor();
    const id = Number(await row.getAttribute('data-id'));
    await owner.call('PATCH', `/messages/${id}`, { text: 'final plan' });
    const edited = a.page.locator(`main article.msg[data-id="${id}"] .msg-edited`);
    await edited.click();
    const dlg = a.page.getByRole('dialog', { name: 'Edit history' });
    await dlg.locator('.edit-entry').nth(1).waitFor();
    expect(await dlg.locator('.edit-entry').allInnerTexts()).toEqual([expect.stringContaining('first draft of the plan'), expect.stringContaining('final plan')]);
    await a.page.keyboard.press('Escape');
    await dlg.waitFor({ state: 'detached' });
  });

  it('asks before deleting, and Escape cancels', async () => {
    await send(a.page, 'to be deleted');
    const row = a.page.locator('main article.msg[data-id]', { hasText: 'to be deleted' });
    await row.waitFor();
    await row.hover();
    await row.getByRole('button', { name: 'More actions' }).click();
    await a.page.getByRole('menuitem', { name: 'Delete' }).click();
    const ask = a.page.getByRole('alertdialog', { name: 'Delete message' });
    await ask.waitFor();
    // Focus starts on Cancel and Tab cycles inside the dialog.
    const where = () => a.page.evaluate(() => (document.activeElement?.closest('[role="alertdialog"]') ? '' : 'outside:') + (document.activeElement?.textContent || document.activeElement?.getAttribute('aria-label')));
    const trail = [await where()];
    for (let i = 0; i < 4; i++) {
      await a.page.keyboard.press('Tab');
      trail.push(await where());
    }
    expect(trail).toEqual(['Cancel', 'Delete', 'Close', 'Cancel', 'Delete']);
    await a.page.keyboard.press('Escape');
    await ask.waitFor({ state: 'detached' });
    expect(await row.count()).toBe(1);
    await row.hover();
    await row.getByRole('button', { name: 'More actions' }).click();
    await a.page.getByRole('menuitem', { name: 'Delete' }).click();
    await ask.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect.poll(() => a.page.locator('main article.msg', { hasText: 'to be deleted' }).count()).toBe(0);
  });
});
