// Measures the figures the web client is held to, against the real binary:
//  - first-load JS size, gzipped (also checked on every build);
//  - time from clicking a channel until its messages are visible;
//  - average frame time while scrolling up through a channel of N messages
//    (PARLEY_MEASURE_MESSAGES, default 100000), seeded through the public API.
// Writes e2e/.out/measure.json and prints a summary.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { Api, launch, OWNER, Server, signIn, openChannel } from './harness';

const N = Number(process.env.PARLEY_MEASURE_MESSAGES ?? 100_000);
const SCROLL_SECONDS = Number(process.env.PARLEY_SCROLL_SECONDS ?? 600);
const CONCURRENCY = 8;

let server: Server;
let browser: Browser;
let owner: Api;
let big: number;
let small: number;

async function seed(api: Api, channel: number, n: number): Promise<void> {
  let next = 0;
  const started = Date.now();
  const words = ['deploy', 'review', '会议', 'lunch', 'PR', '上线', 'bug', 'docs', 'coffee', '测试'];
  async function worker(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const lines = 1 + (i % 4);
      const text = Array.from({ length: lines }, (_, k) => `message ${i} ${words[(i + k) % words.length]} ${k % 2 ? '**bold** `code`' : ''}`).join('\n');
      await api.call('POST', `/channels/${channel}/messages`, { client_id: `seed-${channel}-${i}`, text });
      if (i % 10_000 === 0 && i) console.log(`seeded ${i}/${n} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

beforeAll(async () => {
  server = new Server();
  await server.start();
  owner = await server.client();
  big = (await owner.createChannel('big')).id;
  small = (await owner.createChannel('small')).id;
  await seed(owner, small, 200);
  await seed(owner, big, N);
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

it('measures size, time to messages and scroll frame time', async () => {
  const size = execFileSync('node', [resolve(__dirname, '../scripts/size-check.mjs')], { encoding: 'utf8' }).trim();
  const s = await signIn(browser, server, OWNER.username, OWNER.password);
  const page = s.page;

  // Time to messages: from the click in the sidebar to the newest message rendered.
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    await openChannel(page, server, small);
    await page.locator('main .msg').first().waitFor();
    await page.reload(); // cold: nothing of the big channel in memory
    await page.locator('nav.sidebar').waitFor();
    await page.locator('main .msg').first().waitFor();
    const ms = await page.evaluate(async (id) => {
      const link = document.querySelector<HTMLAnchorElement>(`.side-item[data-channel-id="${id}"] a`)!;
      const t0 = performance.now();
      link.click();
      return new Promise<number>((done) => {
        const check = () => {
          const rows = document.querySelectorAll('main .msg[data-seq]');
          const last = rows[rows.length - 1] as HTMLElement | undefined;
          if (last && document.querySelector('.channel-title h1')?.textContent?.includes('big')) done(performance.now() - t0);
          else requestAnimationFrame(check);
        };
        check();
      });
    }, big);
    times.push(ms);
  }
  times.sort((x, y) => x - y);

  // Scroll: move up by a fixed distance every frame and record frame durations.
  await openChannel(page, server, big);
  await page.locator('main .msg').first().waitFor();
  const scroll = await page.evaluate(async (seconds) => {
    const el = document.querySelector<HTMLElement>('.history-list')!;
    const frames: number[] = [];
    let minSeq = Infinity;
    const end = performance.now() + seconds * 1000;
    let last = performance.now();
    await new Promise<void>((done) => {
      const step = (now: number) => {
        frames.push(now - last);
        last = now;
        el.scrollTop -= 600;
        if (frames.length % 5 === 0) {
          // Count only rows actually inside the viewport (not the overscan).
          const box = el.getBoundingClientRect();
          for (const r of el.querySelectorAll<HTMLElement>('.msg[data-seq]')) {
            const b = r.getBoundingClientRect();
            if (b.bottom > box.top && b.top < box.bottom) minSeq = Math.min(minSeq, Number(r.dataset.seq));
          }
        }
        const atStart = !!document.querySelector('.channel-intro') && el.scrollTop === 0;
        if (now > end || atStart) done();
        else requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
    frames.shift();
    const sorted = [...frames].sort((a, b) => a - b);
    const avg = frames.reduce((a, b) => a + b, 0) / frames.length;
    return { frames: frames.length, pixels: frames.length * 600, avgMs: avg, p95Ms: sorted[Math.floor(sorted.length * 0.95)] ?? 0, over50: frames.filter((f) => f > 50).length, minSeqSeen: minSeq };
  }, SCROLL_SECONDS);

  const report = {
    messages: N,
    size,
    timeToMessagesMs: { median: times[2], all: times.map((t) => Math.round(t)) },
    scroll: { ...scroll, avgMs: Math.round(scroll.avgMs * 10) / 10, p95Ms: Math.round(scroll.p95Ms * 10) / 10, messagesTraversed: N - scroll.minSeqSeen + 1 },
  };
  mkdirSync(resolve(__dirname, '.out'), { recursive: true });
  writeFileSync(resolve(__dirname, '.out/measure.json'), JSON.stringify(report, null, 2));
  console.log(JSON.stringify(report, null, 2));
  expect(s.errors).toEqual([]);
});
