// Starts the real server binary (PARLEY_BIN) on a temp data dir, and drives
// Chromium (playwright-core with the system browser) against it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { en } from '../src/i18n/en';
import { zhCN } from '../src/i18n/zh-CN';

export const OWNER = { email: 'owner@example.com', username: 'owner', password: 'correct-horse-battery-1', name: 'Olivia Owner' };

export function bin(): string {
  const b = process.env.PARLEY_BIN;
  if (!b) throw new Error('set PARLEY_BIN to the parley binary (go build -o /tmp/parley ./cmd/parley)');
  return b;
}

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0]} ${args[1] ?? ''}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export class Server {
  dir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  /** bootstrap: false leaves the installation empty, for the first-run setup page. */
  constructor(private readonly opts: { bootstrap?: boolean } = {}) {}
  port = 0;
  proc: ChildProcess | null = null;
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) {
      this.port = await freePort();
      if (this.opts.bootstrap !== false) {
        // Async with a timeout: a hung command must fail the test, not freeze the runner.
        await run(bin(), ['admin', 'bootstrap', '--data', this.dir, '--org', 'Acme', '--email', OWNER.email, '--password', OWNER.password, '--username', OWNER.username, '--name', OWNER.name]);
      }
    }
    const log = openSync(join(this.dir, 'server.log'), 'a');
    this.proc = spawn(bin(), ['serve', '--data', this.dir, '--addr', `127.0.0.1:${this.port}`], { stdio: ['ignore', log, log] });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(this.url + '/readyz');
        if (r.ok) return;
      } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('server did not become ready; see ' + join(this.dir, 'server.log'));
  }

  /** The setup link the server logs while no organisation exists. */
  setupLink(): string {
    const log = readFileSync(join(this.dir, 'server.log'), 'utf8');
    const m = /(\/setup\?token=[A-Za-z0-9_-]+)/.exec(log);
    if (!m) throw new Error('no setup link in the server log');
    return this.url + m[1];
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
      setTimeout(() => p.kill('SIGKILL'), 10_000);
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (!process.env.PARLEY_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A bearer-token API client for seeding through the public API. */
  async client(login = OWNER.username, password = OWNER.password): Promise<Api> {
    const r = await fetch(this.url + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login, password }) });
    if (!r.ok) throw new Error('login failed: ' + r.status + ' ' + (await r.text()));
    const { token } = (await r.json()) as { token: string };
    return new Api(this.url, token);
  }
}

export class Api {
  constructor(readonly base: string, readonly token: string) {}
  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await fetch(this.base + '/api/v1' + path, {
      method,
      headers: { Authorization: 'Bearer ' + this.token, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  createUser(username: string, displayName: string, password: string) {
    return this.call<{ id: number }>('POST', '/users', { email: `${username}@example.com`, username, display_name: displayName, password, role: 'member' });
  }
  createChannel(name: string, userIds: number[] = []) {
    return this.call<{ id: number }>('POST', '/channels', { name, kind: 'public', user_ids: userIds });
  }
  post(channelId: number, text: string, clientId = 'seed-' + Math.random().toString(36).slice(2)) {
    return this.call<{ id: number; seq: number }>('POST', `/channels/${channelId}/messages`, { client_id: clientId, text });
  }
  /** Uploads a file to a channel (POST /channels/{id}/files, multipart). */
  async upload(channelId: number, name: string, bytes: Uint8Array, type = 'application/octet-stream'): Promise<{ id: number }> {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
    const r = await fetch(`${this.base}/api/v1/channels/${channelId}/files`, { method: 'POST', headers: { Authorization: 'Bearer ' + this.token }, body: form });
    const text = await r.text();
    if (!r.ok) throw new Error(`upload ${name}: ${r.status} ${text}`);
    return JSON.parse(text) as { id: number };
  }
  /** Posts a message carrying already uploaded files. */
  postFiles(channelId: number, text: string, fileIds: number[]) {
    return this.call<{ id: number; seq: number }>('POST', `/channels/${channelId}/messages`, { client_id: 'seed-' + Math.random().toString(36).slice(2), text, file_ids: fileIds });
  }
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface Session {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

/** Opens a fresh browser context and signs in through the login page. */
export async function signIn(browser: Browser, server: Server, login: string, password: string, opts: { locale?: string; viewport?: { width: number; height: number } } = {}): Promise<Session> {
  const context = await browser.newContext({ locale: opts.locale ?? 'en-US', viewport: opts.viewport ?? { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) errors.push(m.text());
  });
  await page.goto(server.url + '/login');
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('button[type="submit"]').click();
  await page.locator('nav.sidebar').waitFor({ timeout: 15_000 });
  return { context, page, errors };
}

export async function openChannel(page: Page, server: Server, channelId: number): Promise<void> {
  await page.evaluate((p) => {
    history.pushState(null, '', p);
    dispatchEvent(new PopStateEvent('popstate'));
  }, `/c/${channelId}`);
  await page.locator('.composer-input').waitFor();
  void server;
}

export async function send(page: Page, text: string, scope = 'main'): Promise<void> {
  const box = page.locator(`${scope} .composer-input`);
  await box.click();
  await box.fill(text);
  await box.press('Enter');
}

/** A real PNG (the app icon), PDFs (valid, and one with no pages) and a WAV second of silence, for upload tests. */
export const SAMPLE = {
  png: () => new Uint8Array(readFileSync(join(__dirname, '../public/icon-192.png'))),
  /** A valid PDF of `pages` pages; each has a black bar and its number in Helvetica, so a rendered page has dark pixels. */
  pdfPages: (pages: number): Uint8Array => {
    const objs: string[] = [];
    const kids = Array.from({ length: pages }, (_, i) => `${4 + 2 * i} 0 R`).join(' ');
    objs.push('<</Type/Catalog/Pages 2 0 R>>');
    objs.push(`<</Type/Pages/Kids[${kids}]/Count ${pages}>>`);
    objs.push('<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>');
    for (let i = 0; i < pages; i++) {
      const content = `0 0 0 rg 60 600 480 120 re f BT /F1 48 Tf 60 400 Td (Page ${i + 1}) Tj ET`;
      objs.push(`<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 3 0 R>>>>/Contents ${5 + 2 * i} 0 R>>`);
      objs.push(`<</Length ${content.length}>>\nstream\n${content}\nendstream`);
    }
    let out = '%PDF-1.4\n';
    const offsets: number[] = [];
    objs.forEach((body, i) => {
      offsets.push(out.length);
      out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    });
    const xref = out.length;
    out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n` + offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
    out += `trailer\n<</Size ${objs.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
    return new TextEncoder().encode(out);
  },
  /** A PDF with no pages: the server takes it, pdf.js cannot show it. */
  pdf: () => new TextEncoder().encode('%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'),
  wav: () => {
    const rate = 8000;
    const b = Buffer.alloc(44 + rate);
    b.write('RIFF', 0); b.writeUInt32LE(36 + rate, 4); b.write('WAVE', 8); b.write('fmt ', 12);
    b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate, 28);
    b.writeUInt16LE(1, 32); b.writeUInt16LE(8, 34); b.write('data', 36); b.writeUInt32LE(rate, 40); b.fill(128, 44);
    return new Uint8Array(b);
  },
};

/** The text of the message rows currently rendered in the main history. */
export function messages(page: Page) {
  return page.locator('main .msg .msg-body');
}

/** Serious and critical axe violations on the current page (axe-core injected into it), with up to three offending nodes each. */
export async function axe(page: Page): Promise<string[]> {
  const require = createRequire(import.meta.url);
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** English interface strings (those with a different Chinese translation) shown on a 中文 page outside user content. */
export function untranslated(page: Page): Promise<string[]> {
  // English strings that have a different Chinese translation must not appear outside user content.
  const english = Object.entries(en)
    .filter(([k, v]) => JSON.stringify(v) !== JSON.stringify((zhCN as Record<string, unknown>)[k]))
    .flatMap(([, v]) => (typeof v === 'string' ? [v] : Object.values(v)))
    .map((s) => s.replace(/\{\w+\}/g, '').trim())
    .filter((s) => s.length > 2);
  return page.evaluate((words) => {
    const found = new Set<string>();
    const check = (text: string | null, where: string) => {
      const t = (text ?? '').trim();
      if (!t) return;
      if (/[A-Za-z]{3,}/.test(t) && words.some((w) => t === w || (w.length > 6 && t.includes(w)))) found.add(`${where}: ${t}`);
    };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement?.closest('[data-uc], code, kbd, option')) continue;
      check(n.textContent, 'text');
    }
    for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
      if (el.closest('[data-uc]')) continue;
      for (const a of ['aria-label', 'placeholder', 'title']) check(el.getAttribute(a), a);
    }
    return [...found];
  }, english);
}
