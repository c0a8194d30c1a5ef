// End-to-end: one user attaches files three ways (the button, a drop, a paste),
// with progress, and sends them; the other sees the image inline, the PDF and
// the text file as cards, downloads the bytes, and finds them in the channel's
// file list. A file the server refuses shows its error and can be removed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launch, messages, OWNER, SAMPLE, Server, signIn, openChannel } from './harness';

let server: Server;
let browser: Browser;
let channel: number;

beforeAll(async () => {
  server = new Server();
  await server.start();
  const owner = await server.client();
  const li = await owner.createUser('li.lei', '李雷', 'correct-horse-battery-3');
  channel = (await owner.createChannel('files', [li.id])).id;
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** Drops (or pastes) a file into the channel's composer, as the browser would. */
async function give(page: Page, how: 'drop' | 'paste', name: string, bytes: Uint8Array, type: string): Promise<void> {
  const arg = { how, name, data: [...bytes], type };
  await page.locator('main .composer').evaluate((composer, a) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(a.data)], a.name, { type: a.type }));
    if (a.how === 'drop') {
      composer.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      composer.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    } else {
      composer.querySelector('textarea')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }
  }, arg);
}

it('uploads by button, drop and paste; the other member sees, plays and downloads them', async () => {
  const a = await signIn(browser, server, OWNER.username, OWNER.password);
  const b = await signIn(browser, server, 'li.lei', 'correct-horse-battery-3', { locale: 'zh-CN' });
  await openChannel(a.page, server, channel);
  await openChannel(b.page, server, channel);

  // The attach button opens the file chooser.
  const [chooser] = await Promise.all([a.page.waitForEvent('filechooser'), a.page.locator('main .attach-btn').click()]);
  await chooser.setFiles({ name: 'diagram.png', mimeType: 'image/png', buffer: Buffer.from(SAMPLE.png()) });
  await give(a.page, 'drop', 'minutes.pdf', SAMPLE.pdf(), 'application/pdf');
  const notes = new TextEncoder().encode('action items: 1. ship files 2. 下载测试\n');
  await give(a.page, 'paste', 'notes.txt', notes, 'text/plain');

  const tray = a.page.locator('main .upload-tray .upload');
  await expect.poll(() => tray.count()).toBe(3);
  // Finished uploads have no progress bar left and nothing failed.
  await expect.poll(() => a.page.locator('main .upload-tray progress').count()).toBe(0);
  expect(await a.page.locator('main .upload-failed').count()).toBe(0);
  expect(await a.page.locator('main .send-btn').isEnabled()).toBe(true);

  await a.page.locator('main .composer-input').fill('Files for the review');
  await a.page.locator('main .composer-input').press('Enter');
  await expect.poll(() => tray.count()).toBe(0);

  // The other member sees the message in real time.
  const row = b.page.locator('main article.msg', { hasText: 'Files for the review' });
  await row.waitFor();
  const img = row.locator('.att-image img');
  await img.waitFor();
  await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth)).toBeGreaterThan(0);
  expect(await img.getAttribute('alt')).toContain('diagram.png');
  const cards = row.locator('.att-card');
  expect(await cards.allInnerTexts()).toEqual([expect.stringContaining('minutes.pdf'), expect.stringContaining('notes.txt')]);
  expect(await cards.nth(0).locator('.att-open').count()).toBe(1); // the PDF opens in the browser's viewer

  // Download the text file: the bytes that were pasted.
  const [download] = await Promise.all([b.page.waitForEvent('download'), cards.nth(1).locator('.att-download').click()]);
  expect(download.suggestedFilename()).toBe('notes.txt');
  expect(readFileSync((await download.path())!)).toEqual(Buffer.from(notes));

  // The channel's file list, newest first, in Chinese.
  await b.page.locator('main .files-btn').click();
  const items = b.page.locator('aside.panel .file-item');
  await expect.poll(() => items.count()).toBe(3);
  expect(await b.page.locator('aside.panel header').innerText()).toContain('文件');
  expect((await items.locator('.file-name').allInnerTexts()).sort()).toEqual(['diagram.png', 'minutes.pdf', 'notes.txt']);
  expect(await items.first().innerText()).toContain('Olivia Owner');

  expect(a.errors).toEqual([]);
  expect(b.errors).toEqual([]);
  await a.context.close();
  await b.context.close();
});

it('shows the server refusing a file, and lets the user remove it and send the rest', async () => {
  const a = await signIn(browser, server, OWNER.username, OWNER.password);
  await openChannel(a.page, server, channel);
  // An HTML page named like an image: the server checks the bytes (400 file_type_mismatch).
  await give(a.page, 'drop', 'cat.png', new TextEncoder().encode('<html><script>alert(1)</script></html>'), 'image/png');
  await give(a.page, 'drop', 'memo.wav', SAMPLE.wav(), 'audio/wav');
  const failed = a.page.locator('main .upload-failed');
  await failed.waitFor();
  expect(await failed.locator('[role="alert"]').innerText()).toMatch(/Upload failed: .+/);
  await expect.poll(() => a.page.locator('main .upload-tray progress').count()).toBe(0);
  await failed.getByRole('button', { name: 'Remove cat.png' }).click();
  await expect.poll(() => a.page.locator('main .upload-tray .upload').count()).toBe(1);
  // Files alone, without text.
  await a.page.locator('main .send-btn').click();
  const audio = messages(a.page).locator('audio');
  await audio.waitFor();
  expect(await audio.getAttribute('src')).toMatch(/^\/api\/v1\/files\/\d+\/content$/);
  await a.context.close();
});
