// End-to-end: two people chatting in real time through the real server binary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Api, launch, messages, OWNER, send, Server, signIn, type Session, openChannel } from './harness';

const BOB = { username: 'bob', password: 'correct-horse-battery-2', name: 'Bob Builder' };

let server: Server;
let browser: Browser;
let owner: Api;
let bobId: number;
let general: number;
let random: number;
let a: Session;
let b: Session;

function row(page: Page, text: string) {
  return page.locator('main article.msg', { hasText: text });
}

beforeAll(async () => {
  server = new Server();
  await server.start();
  owner = await server.client();
  bobId = (await owner.createUser(BOB.username, BOB.name, BOB.password)).id;
  general = (await owner.createChannel('general', [bobId])).id;
  random = (await owner.createChannel('random', [bobId])).id;
  browser = await launch();
  a = await signIn(browser, server, OWNER.username, OWNER.password);
  b = await signIn(browser, server, BOB.username, BOB.password);
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

describe('chat between two people', () => {
  it('delivers messages in real time both ways', async () => {
    await openChannel(a.page, server, general);
    await openChannel(b.page, server, general);
    await send(a.page, 'hello from owner');
    await expect.poll(() => messages(b.page).allInnerTexts()).toContain('hello from owner');
    await send(b.page, 'hi owner, bob here');
    await expect.poll(() => messages(a.page).allInnerTexts()).toContain('hi owner, bob here');
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('shows an unread badge that clears when the channel is read', async () => {
    await openChannel(b.page, server, random);
    await send(a.page, 'are you there, bob?');
    const badge = b.page.locator(`.side-item[data-channel-id="${general}"] .badge`);
    await expect.poll(() => badge.textContent()).toBe('1');
    await expect.poll(() => b.page.title()).toMatch(/^\(1\)/);
    await b.page.locator(`.side-item[data-channel-id="${general}"] a`).click();
    await expect.poll(() => badge.count()).toBe(0);
    await expect.poll(() => b.page.title()).not.toMatch(/^\(/);
  });

  it('replies in a thread', async () => {
    await openChannel(b.page, server, general);
    const root = row(a.page, 'hi owner, bob here');
    await root.hover();
    await root.getByRole('button', { name: 'Reply in thread' }).click();
    await a.page.locator('aside.panel .composer-input').waitFor();
    await send(a.page, 'a reply in the thread', 'aside.panel');
    await expect.poll(() => a.page.locator('aside.panel .msg-body').allInnerTexts()).toContain('a reply in the thread');
    await expect.poll(() => row(b.page, 'hi owner, bob here').locator('.thread-summary').textContent()).toContain('1 reply');
    await a.page.getByRole('button', { name: 'Close thread' }).click();
  });

  it('adds a reaction that the other person sees', async () => {
    const m = row(b.page, 'hello from owner');
    await m.hover();
    await m.getByRole('button', { name: 'Add reaction 👍' }).click();
    await expect.poll(() => row(a.page, 'hello from owner').locator('.reaction').allInnerTexts()).toEqual(['👍 1']);
  });

  it('edits the last own message with the Up key', async () => {
    await a.page.locator('main .composer-input').click();
    await a.page.locator('main .composer-input').press('ArrowUp');
    await a.page.locator('.composer-editing').waitFor();
    await a.page.locator('main .composer-input').fill('are you there, bob? (edited text)');
    await a.page.locator('main .composer-input').press('Enter');
    const edited = row(b.page, 'are you there, bob? (edited text)');
    await expect.poll(() => edited.locator('.msg-edited').count()).toBe(1);
  });

  it('shows read receipts with both lists', async () => {
    await send(a.page, 'please read this');
    await expect.poll(() => messages(b.page).allInnerTexts()).toContain('please read this');
    const m = row(a.page, 'please read this');
    await m.hover();
    await m.getByRole('button', { name: 'More actions' }).click();
    await a.page.getByRole('menuitem', { name: 'Read receipts' }).click();
    await expect.poll(() => a.page.locator('.receipts-summary').textContent()).toBe('1 read · 0 unread');
    expect(await a.page.locator('.receipts-cols section').first().innerText()).toContain(BOB.name);
    await a.page.keyboard.press('Escape');
  });

  it('recalls a message', async () => {
    await send(a.page, 'oops, wrong channel');
    const m = row(a.page, 'oops, wrong channel');
    await m.waitFor();
    await expect.poll(() => messages(b.page).allInnerTexts()).toContain('oops, wrong channel');
    await m.hover();
    await m.getByRole('button', { name: 'More actions' }).click();
    await a.page.getByRole('menuitem', { name: 'Recall' }).click();
    // The in-app confirmation: focus starts on Cancel, Escape would cancel.
    const ask = a.page.getByRole('alertdialog');
    await ask.waitFor();
    expect(await a.page.evaluate(() => document.activeElement?.classList.contains('confirm-cancel'))).toBe(true);
    await ask.getByRole('button', { name: 'Recall', exact: true }).click();
    await ask.waitFor({ state: 'detached' });
    await expect.poll(() => b.page.locator('main .msg-tombstone').allInnerTexts()).toContain(`${OWNER.name} recalled a message`);
    expect(await messages(b.page).allInnerTexts()).not.toContain('oops, wrong channel');
  });

  it('loses and duplicates nothing when the server restarts mid-conversation', async () => {
    await send(a.page, 'before restart');
    await expect.poll(() => messages(b.page).allInnerTexts()).toContain('before restart');
    await server.stop();
    await send(a.page, 'sent while the server was down');
    await a.page.locator('main .msg-pending', { hasText: 'sent while the server was down' }).waitFor();
    await a.page.locator('.banner-offline').waitFor({ timeout: 20_000 });
    await server.start();
    await send(b.page, 'after restart');
    for (const s of [a, b]) {
      await expect.poll(() => messages(s.page).allInnerTexts(), { timeout: 30_000 }).toEqual(expect.arrayContaining(['before restart', 'sent while the server was down', 'after restart']));
      const texts = await messages(s.page).allInnerTexts();
      for (const t of ['before restart', 'sent while the server was down', 'after restart']) expect(texts.filter((x) => x === t)).toHaveLength(1);
      await expect.poll(() => s.page.locator('.msg-pending').count()).toBe(0);
    }
    // The server agrees: exactly one copy of each.
    const page = await owner.call<{ messages: { text: string }[] }>('GET', `/channels/${general}/messages?limit=200`);
    for (const t of ['before restart', 'sent while the server was down', 'after restart']) expect(page.messages.filter((m) => m.text === t)).toHaveLength(1);
  });

  it('keeps a draft across a reload', async () => {
    await a.page.locator('main .composer-input').fill('half-written thought');
    await a.page.reload();
    await a.page.locator('main .composer-input').waitFor();
    expect(await a.page.locator('main .composer-input').inputValue()).toBe('half-written thought');
    await a.page.locator('main .composer-input').fill('');
  });

  it('opens a permalink and highlights the message', async () => {
    const seeded = await owner.post(general, 'permalink target');
    await a.page.goto(`${server.url}/c/${general}/m/${seeded.seq}`);
    await a.page.locator(`main article.msg-highlight[data-seq="${seeded.seq}"]`).waitFor();
  });

  it("shows a DM partner's presence turning online and offline as their browser opens and closes", async () => {
    const carolId = (await owner.createUser('carol', 'Carol Chen', 'correct-horse-battery-3')).id;
    const dm = await owner.call<{ id: number }>('POST', '/dms', { user_ids: [carolId] });
    const dot = a.page.locator(`.side-item[data-channel-id="${dm.id}"] .presence`);
    await dot.waitFor({ timeout: 15_000 });
    await expect.poll(() => dot.getAttribute('class')).toContain('presence-offline');
    const carol = await signIn(browser, server, 'carol', 'correct-horse-battery-3');
    await expect.poll(() => dot.getAttribute('class'), { timeout: 15_000 }).toContain('presence-online');
    await carol.context.close();
    await expect.poll(() => dot.getAttribute('class'), { timeout: 15_000 }).toContain('presence-offline');
    // Again, to be sure the subscription outlives one change.
    const again = await signIn(browser, server, 'carol', 'correct-horse-battery-3');
    await expect.poll(() => dot.getAttribute('class'), { timeout: 15_000 }).toContain('presence-online');
    await again.context.close();
    expect(a.errors).toEqual([]);
  });
});
