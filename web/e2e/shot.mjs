// Quick manual check: node e2e/shot.mjs URL USER PASS OUT.png [width] [path]
import { chromium } from 'playwright-core';
const [url, user, pass, out, width = '1280', path = '', locale = 'en-US'] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const ctx = await b.newContext({ viewport: { width: Number(width), height: 800 }, locale });
const p = await ctx.newPage();
p.on('pageerror', (e) => console.log('pageerror', e));
p.on('console', (m) => console.log('console', m.type(), m.text()));
await p.goto(url + '/login');
await p.fill('input[name="login"]', user);
await p.fill('input[name="password"]', pass);
await p.click('button[type="submit"]');
await p.waitForSelector('nav.sidebar');
if (path) await p.goto(url + path);
await p.waitForTimeout(1500);
await p.screenshot({ path: out });
await b.close();
