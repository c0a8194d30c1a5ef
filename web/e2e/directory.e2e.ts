// End-to-end: an admin builds departments in the console's tree editor
// (dialogs, not prompt()), adds a member found by pinyin; a colleague finds
// 张三 in the address book by "zs", opens the profile card and starts a DM;
// axe finds nothing serious on the address book or the directory section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { en } from '../src/i18n/en';
import { Api, axe, launch, OWNER, Server, signIn } from './harness';

let server: Server;
let browser: Browser;
let owner: Api;
let zhangID: number;

beforeAll(async () => {
  server = new Server();
  await server.start();
  owner = await server.client();
  zhangID = (await owner.createUser('zhangsan', '张三', 'correct-horse-battery-3')).id;
  await owner.createUser('lisi', '李四', 'correct-horse-battery-4');
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  await server?.dispose();
});

/** Client-side navigation, as a link in the app would do it. */
async function go(page: Page, path: string) {
  await page.evaluate((p) => { history.pushState(null, '', p); dispatchEvent(new PopStateEvent('popstate')); }, path);
}

describe('directory', () => {
  it('admin builds the tree with dialogs; a colleague finds 张三 by "zs" and messages them', async () => {
    const admin = await signIn(browser, server, OWNER.username, OWNER.password);
    const a = admin.page;
    // The old address keeps working and lands on the console's departments section.
    await go(a, '/admin/directory');
    await a.getByRole('heading', { name: en['admin.departments'], exact: true }).waitFor();
    expect(await a.locator('nav.tabs [aria-current="page"]').textContent()).toBe(en['admin.departments']);

    await a.getByLabel(en['admin.top_level']).fill('研发部');
    await a.getByRole('button', { name: en['common.create'], exact: true }).click();
    const rd = a.getByRole('group', { name: '研发部', exact: true });
    await rd.waitFor();

    // A dialog with a labelled field takes the focus; Escape closes it and gives the focus back.
    await rd.getByRole('button', { name: en['admin.add_child'] }).click();
    const dialog = a.getByRole('dialog');
    await dialog.waitFor();
    expect(await a.evaluate(() => document.activeElement?.closest('label')?.textContent)).toContain(en['admin.new_child']);
    await a.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await a.evaluate(() => document.activeElement?.textContent)).toBe(en['admin.add_child']);

    await rd.getByRole('button', { name: en['admin.add_child'] }).click();
    await dialog.getByLabel(en['admin.new_child']).fill('后端组');
    await dialog.getByLabel(en['admin.new_child']).press('Enter');
    await dialog.waitFor({ state: 'detached' });
    const be = a.getByRole('group', { name: '后端组', exact: true });
    await be.waitFor();

    // Move offers departments by name, never its own subtree.
    await rd.getByRole('button', { name: en['admin.move'], exact: true }).click();
    const options = await dialog.getByLabel(en['admin.move_to']).locator('option').allTextContents();
    expect(options.map((o) => o.trim())).toEqual([en['admin.top_level_option']]);
    await a.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });

    // Members: find 张三 by pinyin initials and add them.
    await be.getByRole('button', { name: en['admin.members'], exact: true }).click();
    await dialog.getByLabel(en['admin.find_people']).fill('zs');
    await dialog.getByRole('button', { name: en['admin.find'], exact: true }).click();
    await dialog.getByRole('button', { name: 'Add 张三' }).click();
    await dialog.getByRole('button', { name: 'Remove 张三' }).waitFor();
    expect(await dialog.getByRole('status').textContent()).toBe('张三 added.');
    const violations = (await axe(a)).map((v) => 'members dialog: ' + v);
    await a.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    violations.push(...(await axe(a)).map((v) => 'departments: ' + v));

    // The server has it, and the audit trail says who did it.
    const depts = await owner.call<{ departments: { id: number; name: string; parent_id: number }[] }>('GET', '/departments');
    const rdID = depts.departments.find((d) => d.name === '研发部')!.id;
    const child = depts.departments.find((d) => d.name === '后端组')!;
    expect(child.parent_id).toBe(rdID);
    const ms = await owner.call<{ members: { user_id: number }[] }>('GET', `/departments/${child.id}/members`);
    expect(ms.members.map((m) => m.user_id)).toEqual([zhangID]);
    const trail = await owner.call<{ entries: { action: string; target_id: number; details: Record<string, string> }[] }>('GET', '/audit?action=department.');
    expect(trail.entries.map((e) => e.action)).toEqual(['department.member_set', 'department.create', 'department.create']);
    await admin.context.close();

    // A colleague searches the address book by pinyin initials.
    const li = await signIn(browser, server, 'lisi', 'correct-horse-battery-4');
    const p = li.page;
    await go(p, '/people');
    await p.getByLabel(en['dir.search']).fill('zs');
    const hit = p.locator('.dir-people').getByRole('button', { name: '张三' });
    await hit.waitFor();
    violations.push(...(await axe(p)).map((v) => 'people: ' + v));
    await hit.click();
    const card = p.getByRole('complementary', { name: en['dir.card'] });
    await card.getByText('后端组').waitFor();
    violations.push(...(await axe(p)).map((v) => 'profile card: ' + v));
    await card.getByRole('button', { name: en['profile.message'] }).click();
    await p.waitForURL(/\/c\/\d+$/);
    await p.locator('.composer-input').waitFor();
    expect(violations).toEqual([]);
    expect([...admin.errors, ...li.errors]).toEqual([]);
    await li.context.close();
  });
});
