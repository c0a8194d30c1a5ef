// End-to-end: two-step verification set up on the Security page, the
// two-step login, and the admin console's audit log, in a real browser
// against the real server; axe on the new pages.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { launch, OWNER, Server, signIn } from './harness';

let server: Server;
let browser: Browser;

beforeAll(async () => {
  server = new Server();
  await server.start();
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** RFC 6238 (SHA-1, 6 digits, 30 s), as an authenticator app computes it. */
function totp(secretB32: string, at: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32.replace(/\s+/g, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const h = createHmac('sha1', key).update(msg).digest();
  const off = h[h.length - 1]! & 15;
  return String((h.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function axe(page: Page): Promise<string[]> {
  const require = createRequire(import.meta.url);
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string }[] }> } }).axe.run({ resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact})`);
  });
}

it('sets up two-step verification, signs in with a code, and shows it in the audit log', async () => {
  const s = await signIn(browser, server, OWNER.username, OWNER.password);
  const page = s.page;
  await page.getByRole('link', { name: 'Security' }).click();
  await page.locator('h1', { hasText: 'Security' }).waitFor();
  expect(await axe(page)).toEqual([]);
  await page.getByRole('button', { name: 'Set up' }).click();
  await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
  const secret = (await page.locator('code.secret').textContent())!;
  await page.getByLabel('Code from the app').fill(totp(secret, Date.now()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.locator('.recovery-codes li').first().waitFor();
  expect(await page.locator('.recovery-codes li').count()).toBe(10);
  await page.getByText('On. 10 recovery codes left.').waitFor();
  await page.getByRole('button', { name: 'Sign out' }).first().click();

  // Two steps now. The code of the current window was spent on enrolment;
  // the next window's code is within the allowed drift.
  await page.locator('input[name="login"]').fill(OWNER.username);
  await page.locator('input[name="password"]').fill(OWNER.password);
  await page.locator('button[type="submit"]').click();
  await page.locator('h1', { hasText: 'Two-step verification' }).waitFor();
  await page.locator('input[name="code"]').fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.getByRole('alert').waitFor();
  await page.locator('input[name="code"]').fill(totp(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Verify' }).click();
  await page.locator('nav.sidebar').waitFor();

  await page.getByRole('link', { name: 'Admin console' }).click();
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('table code', { hasText: '2fa.enable' }).waitFor();
  expect(await page.locator('table code', { hasText: 'auth.login_failed' }).count()).toBeGreaterThan(0);
  expect(await axe(page)).toEqual([]);
  await page.getByRole('link', { name: 'Users' }).click();
  await page.locator('table td', { hasText: OWNER.email }).waitFor();
  expect(await axe(page)).toEqual([]);
  expect(s.errors).toEqual([]);
  await s.context.close();
});
