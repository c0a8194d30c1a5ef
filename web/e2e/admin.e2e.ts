// End-to-end: the admin console's directory edits that used to be API-only,
// each done through the UI with the keyboard (move up/down buttons, check
// boxes, a dialog) and checked through the API or a reload: a group's handle
// and description, profile field order and admin-only flag, the sibling
// order of departments, a department head and the member order. Then axe on
// every admin section (light and dark) and on the dialogs they open, and no
// untranslated string on any of them in 中文.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { en } from '../src/i18n/en';
import { zhCN } from '../src/i18n/zh-CN';
import { Api, axe, launch, OWNER, Server, signIn, untranslated } from './harness';

let server: Server;
let browser: Browser;
let owner: Api;
const ids: Record<string, number> = {};

type Dept = { id: number; name: string; parent_id: number };
type Member = { user_id: number; head: boolean };

beforeAll(async () => {
  server = new Server();
  await server.start();
  owner = await server.client();
  for (const [u, name] of [['lisi', '李四'], ['wangwu', '王五'], ['zhaoliu', '赵六']] as const) {
    ids[u] = (await owner.createUser(u, name, 'correct-horse-battery-5')).id;
  }
  ids.alpha = (await owner.call<Dept>('POST', '/departments', { name: 'Alpha', parent_id: 0 })).id;
  ids.beta = (await owner.call<Dept>('POST', '/departments', { name: 'Beta', parent_id: 0 })).id;
  for (const u of ['lisi', 'wangwu', 'zhaoliu']) await owner.call('PUT', `/departments/${ids.alpha}/members/${ids[u]}`, {});
  ids.group = (await owner.call<{ id: number }>('POST', '/groups', { handle: 'design', name: 'Design' })).id;
  await owner.call('POST', '/profile-fields', { name: 'Desk', admin_only: false });
  await owner.call('POST', '/profile-fields', { name: 'Floor', admin_only: false });
  // Content on the pages axe looks at: an open invitation, a sign-on provider.
  await owner.call('POST', '/invitations', { role: 'member', email: 'new@example.com', expires_in_days: 7, max_uses: 1 });
  await owner.call('POST', '/sso/providers', { kind: 'ldap', name: 'Corp directory', secret: 'bind-password',
    ldap: { url: 'ldap://127.0.0.1:1', bind_dn: 'cn=admin,dc=example,dc=org', base_dn: 'dc=example,dc=org' } });
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

/** Presses a key on a control, as a keyboard user would after tabbing to it. */
async function press(control: Locator, key: string) {
  await control.focus();
  await control.press(key);
}

/** What shows once each section has loaded its data (in any language). */
const ready = (a: Page): Record<string, Locator> => ({
  users: a.getByRole('cell', { name: 'new@example.com' }), // the users list and the open invitation
  security: a.locator('main.admin input[type=number]'),
  audit: a.locator('main.admin table tbody tr').first(),
  sso: a.getByText('Corp directory').first(),
  departments: a.getByRole('group', { name: 'Alpha' }),
  groups: a.locator('main.admin .dir-node').first(),
  fields: a.getByRole('group', { name: 'Desk' }),
  permissions: a.locator('#perm-mention_all'),
});

/** The ids of every section in the console's tabs; fails when one is added without a ready check here. */
async function sections(a: Page): Promise<string[]> {
  await go(a, '/admin/users');
  const tabs = await a.locator('nav.tabs a').evaluateAll((els) => els.map((e) => e.getAttribute('href')!.replace('/admin/', '')));
  expect(tabs).toEqual(Object.keys(ready(a)));
  return tabs;
}

/** Opens a section and waits for its data. */
async function open(a: Page, id: string) {
  await go(a, '/admin/' + id);
  await a.locator(`nav.tabs a[href="/admin/${id}"][aria-current="page"]`).waitFor();
  await ready(a)[id]!.waitFor();
}

const focusedLabel = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));

describe('admin console', () => {
  it('edits groups, profile fields, department order, heads and member order from the keyboard', async () => {
    const s = await signIn(browser, server, OWNER.username, OWNER.password);
    const a = s.page;
    const violations: string[] = [];

    // A group's handle and description, in a dialog.
    await go(a, '/admin/groups');
    const design = a.getByRole('group', { name: '@design', exact: true });
    await press(design.getByRole('button', { name: en['admin.edit'], exact: true }), 'Enter');
    const dialog = a.getByRole('dialog');
    await dialog.getByLabel(en['admin.group_handle']).fill('designers');
    await dialog.getByLabel(en['admin.group_description']).fill('设计与体验');
    violations.push(...(await axe(a)).map((v) => 'group dialog: ' + v));
    await dialog.getByLabel(en['admin.group_handle']).press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await a.getByRole('group', { name: '@designers', exact: true }).getByText('设计与体验').waitFor();
    const group = await owner.call<{ handle: string; name: string; description: string }>('GET', `/groups/${ids.group}`);
    expect(group).toMatchObject({ handle: 'designers', name: 'Design', description: '设计与体验' });

    // Profile fields: Floor moves above Desk; the focus stays on the row (its other button at the top).
    await go(a, '/admin/fields');
    const fields = a.locator('section[aria-labelledby="fields-title"]');
    await press(fields.getByRole('button', { name: 'Move Floor up' }), 'Enter');
    await fields.getByRole('status').filter({ hasText: 'Floor moved to position 1 of 2.' }).waitFor();
    expect(await focusedLabel(a)).toBe('Move Floor down');
    await press(fields.getByRole('group', { name: 'Desk' }).getByRole('checkbox', { name: en['admin.field_admin_only'] }), ' ');
    await fields.getByRole('status').filter({ hasText: 'Only admins may now set Desk.' }).waitFor();
    const fl = await owner.call<{ fields: { name: string; admin_only: boolean }[] }>('GET', '/profile-fields');
    expect(fl.fields.map((f) => `${f.name}:${f.admin_only}`)).toEqual(['Floor:false', 'Desk:true']);

    // Departments: Beta moves above Alpha, and stays there after a reload.
    await go(a, '/admin/departments');
    const depts = a.locator('section[aria-labelledby="dept-title"]');
    await press(depts.getByRole('button', { name: 'Move Beta up' }), 'Enter');
    await depts.getByRole('status').filter({ hasText: 'Beta moved to position 1 of 2.' }).waitFor();
    const tree = await owner.call<{ departments: Dept[] }>('GET', '/departments');
    expect(tree.departments.map((d) => d.name)).toEqual(['Beta', 'Alpha']);
    await a.reload();
    await depts.getByRole('group', { name: 'Alpha' }).waitFor();
    expect(await depts.locator('.dir-node > span[data-uc]').allTextContents()).toEqual(['Beta', 'Alpha']);

    // Alpha's members: 王五 becomes a head (listed first), then 赵六 moves above 李四.
    await press(depts.getByRole('group', { name: 'Alpha' }).getByRole('button', { name: en['admin.members'], exact: true }), 'Enter');
    await dialog.getByRole('checkbox', { name: 'Head: 王五' }).waitFor();
    await press(dialog.getByRole('checkbox', { name: 'Head: 王五' }), ' ');
    await dialog.getByRole('status').filter({ hasText: '王五 is now a head of this department.' }).waitFor();
    expect(await focusedLabel(a)).toBe('Head: 王五');
    expect(await dialog.getByRole('button', { name: 'Move 李四 up' }).isDisabled()).toBe(true); // not above the head
    await press(dialog.getByRole('button', { name: 'Move 赵六 up' }), 'Enter');
    await dialog.getByRole('status').filter({ hasText: '赵六 moved to position 2 of 3.' }).waitFor();
    expect(await focusedLabel(a)).toBe('Move 赵六 down'); // its up button is disabled now: a head is above
    violations.push(...(await axe(a)).map((v) => 'members dialog: ' + v));
    const ms = await owner.call<{ members: Member[] }>('GET', `/departments/${ids.alpha}/members`);
    expect(ms.members.map((m) => `${m.user_id}:${m.head}`)).toEqual([`${ids.wangwu}:true`, `${ids.zhaoliu}:false`, `${ids.lisi}:false`]);

    expect(violations).toEqual([]);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('axe finds nothing serious on any admin section, light or dark', async () => {
    const s = await signIn(browser, server, OWNER.username, OWNER.password);
    const a = s.page;
    const violations: string[] = [];
    const tabs = await sections(a);
    // The forms and dialogs the sections open, checked in the light theme (same tokens as the pages).
    const dialog = a.getByRole('dialog');
    const extras: Record<string, [string, () => Promise<void>][]> = {
      users: [
        ['new user form', async () => { await a.getByRole('button', { name: en['admin.add_user'] }).click(); await a.getByLabel(en['admin.initial_password']).waitFor(); }],
        ['deactivate confirmation', async () => { await a.getByRole('button', { name: en['admin.deactivate'] }).first().click(); await a.getByRole('alertdialog').waitFor(); }],
      ],
      sso: [['provider form', async () => { await a.getByRole('button', { name: en['sso.admin.edit_button'] }).first().click(); await a.getByRole('heading', { name: 'Edit Corp directory' }).waitFor(); }]],
      departments: [
        ['department admins dialog', async () => { await a.getByRole('group', { name: 'Alpha' }).getByRole('button', { name: en['admin.dept_admins'] }).click(); await dialog.waitFor(); }],
        ['move dialog', async () => { await a.getByRole('group', { name: 'Alpha' }).getByRole('button', { name: en['admin.move'], exact: true }).click(); await dialog.waitFor(); }],
      ],
    };
    for (const id of tabs) {
      await open(a, id);
      violations.push(...(await axe(a)).map((v) => `${id}: ${v}`));
      await a.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
      violations.push(...(await axe(a)).map((v) => `${id} dark: ${v}`));
      await a.evaluate(() => document.documentElement.removeAttribute('data-theme'));
      for (const [name, open] of extras[id] ?? []) {
        await open();
        violations.push(...(await axe(a)).map((v) => `${id} ${name}: ${v}`));
        await a.keyboard.press('Escape');
      }
    }
    expect(violations).toEqual([]);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });

  it('shows no untranslated strings on any admin section in 中文', async () => {
    const s = await signIn(browser, server, OWNER.username, OWNER.password, { locale: 'zh-CN' });
    const a = s.page;
    const found: string[] = [];
    for (const id of await sections(a)) {
      await open(a, id);
      found.push(...(await untranslated(a)).map((w) => `${id}: ${w}`));
    }
    // The new controls' dialogs too: a group's edit dialog and a department's members.
    await open(a, 'groups');
    await a.locator('main.admin .dir-node').first().getByRole('button', { name: zhCN['admin.edit'] as string, exact: true }).click();
    await a.getByRole('dialog').waitFor();
    found.push(...(await untranslated(a)).map((w) => `group dialog: ${w}`));
    await a.keyboard.press('Escape');
    await open(a, 'departments');
    await a.getByRole('group', { name: 'Alpha' }).getByRole('button', { name: zhCN['admin.members'] as string, exact: true }).click();
    await a.getByRole('dialog').locator('input[type=checkbox]').first().waitFor();
    found.push(...(await untranslated(a)).map((w) => `members dialog: ${w}`));
    expect(found).toEqual([]);
    expect(s.errors).toEqual([]);
    await s.context.close();
  });
});
