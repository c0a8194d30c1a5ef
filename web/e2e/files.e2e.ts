// End-to-end: one user attaches files three ways (the button, a drop, a paste),
// with progress, and sends them; the other sees the image inline, the PDF and
// the text file as cards, downloads the bytes, and finds them in the channel's
// file list. A file the server refuses shows its error and can be removed.
// A PDF shows its first page (pdf.js, under the app's real CSP) and opens a
// preview dialog that pages, traps focus and closes with the keyboard.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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
  // The uploads finish in any order: the cards follow it.
  expect((await cards.allInnerTexts()).sort()).toEqual([expect.stringContaining('minutes.pdf'), expect.stringContaining('notes.txt')]);
  // This PDF has no pages: pdf.js cannot draw it, the card says so and still downloads.
  const pdfCard = row.locator('.att-pdf');
  await expect.poll(() => pdfCard.locator('.pdf-thumb').getAttribute('data-state')).toBe('error');
  expect(await pdfCard.locator('.pdf-no-preview').innerText()).toContain('无预览');
  expect(await pdfCard.locator('.att-download').getAttribute('download')).toBe('minutes.pdf');

  // Download the text file: the bytes that were pasted.
  const [download] = await Promise.all([b.page.waitForEvent('download'), cards.filter({ hasText: 'notes.txt' }).locator('.att-download').click()]);
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

it('draws a PDF\'s first page and pages through it in a dialog, by keyboard', async () => {
  const fresh = (await (await server.client()).createChannel('agenda')).id;
  const a = await signIn(browser, server, OWNER.username, OWNER.password, { viewport: { width: 375, height: 740 } });
  // A full load of a channel without PDFs: pdf.js is not part of it, it
  // arrives when a PDF is on screen.
  await a.page.goto(`${server.url}/c/${fresh}`);
  await a.page.locator('main .composer-input').waitFor();
  const scripts = () => a.page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /\/assets\/pdf/.test(n)));
  expect(await scripts()).toEqual([]);
  await give(a.page, 'drop', 'agenda.pdf', SAMPLE.pdfPages(2), 'application/pdf');
  await expect.poll(() => a.page.locator('main .upload-tray progress').count()).toBe(0);
  await a.page.locator('main .composer-input').fill('The agenda');
  await a.page.locator('main .composer-input').press('Enter');

  const row = a.page.locator('main article.msg', { hasText: 'The agenda' });
  const thumb = row.locator('.pdf-thumb');
  await expect.poll(() => thumb.getAttribute('data-state'), { timeout: 15_000 }).toBe('ready');
  // The thumbnail canvas holds the page: white paper and the black bar drawn on it.
  const pixels = await thumb.locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    let light = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i]! < 60 && d[i + 3]! > 200) dark++;
      else if (d[i]! > 200) light++;
    }
    return { w: c.width, dark, light };
  });
  expect(pixels.w).toBeGreaterThan(0);
  expect(pixels.dark).toBeGreaterThan(0);
  expect(pixels.light).toBeGreaterThan(0);
  const worker = (await scripts()).find((n) => /pdf\.worker/.test(n));
  expect(worker).toBeDefined();
  // The 1.2 MB worker travels precompressed (scripts/compress.mjs).
  const w = await fetch(worker!, { headers: { 'Accept-Encoding': 'gzip' } });
  expect(w.headers.get('content-encoding')).toBe('gzip');
  expect(w.headers.get('content-type')).toMatch(/^text\/javascript/);

  // Keyboard only: focus the card's preview button, Enter opens the dialog.
  const open = row.getByRole('button', { name: 'Preview agenda.pdf' });
  await open.focus();
  await a.page.keyboard.press('Enter');
  const dialog = a.page.getByRole('dialog', { name: 'agenda.pdf' });
  await dialog.waitFor();
  const status = dialog.locator('.pdf-status');
  await expect.poll(() => status.innerText()).toBe('Page 1 of 2');
  expect(await a.page.evaluate(() => document.activeElement?.className)).toContain('pdf-page');
  await expect.poll(() => dialog.locator('canvas').evaluate((c: HTMLCanvasElement) => c.width)).toBeGreaterThan(0);
  // The dialog fits the 375 px screen.
  const box = (await dialog.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(375);
  expect(await dialog.getByRole('button', { name: 'Previous page' }).isDisabled()).toBe(true);
  await a.page.keyboard.press('ArrowRight');
  await expect.poll(() => status.innerText()).toBe('Page 2 of 2');
  expect(await dialog.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
  // Tab stays inside the dialog.
  for (let i = 0; i < 6; i++) {
    await a.page.keyboard.press('Tab');
    expect(await a.page.evaluate(() => !!document.activeElement?.closest('[role="dialog"]'))).toBe(true);
  }
  // axe on the open dialog, light and dark.
  const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await a.page.evaluate(axeSource);
  for (const theme of ['light', 'dark']) {
    await a.page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
    const violations = await a.page.evaluate(async () => {
      const r = await (window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run({ resultTypes: ['violations'] });
      return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id);
    });
    expect(violations, theme).toEqual([]);
  }
  await a.page.keyboard.press('Escape');
  await expect.poll(() => dialog.count()).toBe(0);
  // Focus returns to the button that opened it.
  expect(await a.page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Preview agenda.pdf');
  expect(a.errors).toEqual([]);
  await a.context.close();
});

it('shows a video\'s first frame in the message, paused, without autoplay', async () => {
  const a = await signIn(browser, server, OWNER.username, OWNER.password);
  await openChannel(a.page, server, channel);
  // A real WebM recorded in the page from a red canvas, dropped on the composer.
  await a.page.locator('main .composer').evaluate(async (composer) => {
    const c = document.createElement('canvas');
    c.width = 160;
    c.height = 90;
    const g = c.getContext('2d')!;
    const rec = new MediaRecorder(c.captureStream(25), { mimeType: 'video/webm' });
    const chunks: Blob[] = [];
    rec.ondataavailable = (e) => chunks.push(e.data);
    const done = new Promise((r) => (rec.onstop = r));
    rec.start();
    for (let i = 0; i < 15; i++) {
      g.fillStyle = '#e00000';
      g.fillRect(0, 0, 160, 90);
      await new Promise((r) => requestAnimationFrame(r));
    }
    rec.stop();
    await done;
    const dt = new DataTransfer();
    dt.items.add(new File(chunks, 'clip.webm', { type: 'video/webm' }));
    composer.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    composer.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await expect.poll(() => a.page.locator('main .upload-tray progress').count()).toBe(0);
  expect(await a.page.locator('main .upload-failed').count()).toBe(0);
  await a.page.locator('main .composer-input').fill('The clip');
  await a.page.locator('main .composer-input').press('Enter');
  const video = a.page.locator('main article.msg', { hasText: 'The clip' }).locator('video');
  await video.waitFor();
  // A frame is decoded (HAVE_CURRENT_DATA) and painted red, not black; nothing plays.
  // (Chromium does this for preload="metadata" alone, and fails it with
  // preload="none"; the #t fragment in the src is for Safari, unit-tested.)
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
  const seen = await video.evaluate((v: HTMLVideoElement) => {
    const c = document.createElement('canvas');
    c.width = 16;
    c.height = 9;
    c.getContext('2d')!.drawImage(v, 0, 0, 16, 9);
    const [r, g, b] = c.getContext('2d')!.getImageData(8, 4, 1, 1).data;
    return { r, g, b, paused: v.paused, autoplay: v.autoplay, preload: v.preload };
  });
  expect(seen).toEqual({ r: expect.any(Number), g: expect.any(Number), b: expect.any(Number), paused: true, autoplay: false, preload: 'metadata' });
  expect(seen.r).toBeGreaterThan(150);
  expect(seen.g).toBeLessThan(80);
  expect(a.errors).toEqual([]);
  await a.context.close();
});
