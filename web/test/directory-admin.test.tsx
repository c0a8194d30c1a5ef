import { afterEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import type { User } from '../src/api/types';
import { locale } from '../src/i18n';
import { putUsers } from '../src/state/directory';
import { me } from '../src/state/session';
import { AdminDepartments, AdminGroups, AdminProfileFields } from '../src/ui/directory/DirectoryAdmin';

type Call = { method: string; path: string; body: unknown };

/** A fake server: answers by "METHOD /path" and records every call. */
function server(routes: Record<string, unknown>) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
    const method = init.method ?? 'GET';
    const path = url.replace('/api/v1', '');
    calls.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const key = `${method} ${path}`;
    if (!(key in routes)) return new Response(null, { status: method === 'DELETE' ? 204 : 200 });
    const body = routes[key];
    if (body instanceof Response) return body;
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  }));
  return calls;
}

const user = (id: number, display_name: string) => ({ id, username: 'u' + id, display_name }) as unknown as User;
const group = { id: 7, handle: 'design', name: 'Design', description: '', created_by: 1, created_at: '2026-11-25T00:00:00Z', member_ids: [] };

const mounted: HTMLElement[] = [];
function mount(el: preact.VNode) {
  const root = document.createElement('div');
  mounted.push(root);
  document.body.appendChild(root);
  render(el, root);
  return root;
}
const button = (root: ParentNode, text: string) =>
  [...root.querySelectorAll('button')].find((b) => b.textContent === text || b.getAttribute('aria-label') === text)!;
/** Types into a field and lets Preact re-render, so handlers see the new state. */
const type = async (input: HTMLInputElement, v: string) => {
  input.value = v;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise((r) => setTimeout(r, 0));
};
const submit = (form: HTMLFormElement) => form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
const dialog = () => document.querySelector<HTMLElement>('[role=dialog]');

afterEach(() => {
  for (const r of mounted.splice(0)) render(null, r);
  vi.unstubAllGlobals(); locale.value = 'en'; document.body.innerHTML = ''; me.value = null; });

describe('groups page', () => {
  it('edits a group\'s handle, name and description in a dialog, sends only what changed, keeps the dialog open with the server\'s error', async () => {
    const calls = server({
      'GET /groups': { groups: [group] },
      'PATCH /groups/7': new Response(JSON.stringify({ error: { code: 'group_handle_taken', message: 'That handle is taken.' } }), { status: 409 }),
    });
    const root = mount(<AdminGroups />);
    await vi.waitFor(() => expect(root.textContent).toContain('@design'));
    button(root, 'Edit').click();
    await vi.waitFor(() => expect(dialog()).not.toBeNull());
    const field = (label: string) => [...dialog()!.querySelectorAll('label')].find((l) => l.textContent!.startsWith(label))!
      .querySelector<HTMLInputElement>('input, textarea')!;
    expect(field('Handle').value).toBe('design');
    expect(field('Name').value).toBe('Design');
    await type(field('Handle'), 'designers');
    await type(field('Description'), 'UI and UX ');
    submit(dialog()!.querySelector('form')!);
    await vi.waitFor(() => expect(dialog()!.querySelector('[role=alert]')?.textContent).toBe('That handle is taken.'));
    expect(calls.find((c) => c.method === 'PATCH')).toEqual({ method: 'PATCH', path: '/groups/7', body: { handle: 'designers', description: 'UI and UX' } });
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await vi.waitFor(() => expect(dialog()).toBeNull());
  });

  it('lists, adds and removes members found by the people search', async () => {
    putUsers([user(2, '张三'), user(5, '李四')]);
    locale.value = 'zh-CN';
    let members = [2];
    const calls = server({ 'GET /groups': { groups: [group] } });
    const f = globalThis.fetch as ReturnType<typeof vi.fn>;
    const inner = f.getMockImplementation() as (url: string, init: RequestInit) => Promise<Response>;
    f.mockImplementation(async (url: string, init: RequestInit) => {
      const path = url.replace('/api/v1', '');
      if (path === '/groups/7' && (init.method ?? 'GET') === 'GET') {
        calls.push({ method: 'GET', path, body: undefined });
        return new Response(JSON.stringify({ ...group, member_ids: members }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      }
      if (path.startsWith('/directory/search')) {
        calls.push({ method: 'GET', path, body: undefined });
        return new Response(JSON.stringify({ users: [user(2, '张三'), user(5, '李四')], channels: [], departments: [] }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      }
      if (path === '/groups/7/members/5') members = [2, 5];
      if (path === '/groups/7/members/2') members = members.filter((m) => m !== 2);
      return inner(url, init);
    });
    const root = mount(<AdminGroups />);
    await vi.waitFor(() => expect(root.textContent).toContain('@design'));
    button(root, '成员').click();
    await vi.waitFor(() => expect(dialog()?.textContent).toContain('张三'));
    expect(dialog()!.querySelector('h2, [id]')?.textContent).toContain('Design 的成员');
    await type(dialog()!.querySelector<HTMLInputElement>('input[type=search]')!, 'lisi');
    submit(dialog()!.querySelector('form')!);
    await vi.waitFor(() => expect(button(dialog()!, '添加 李四')).toBeTruthy());
    expect(button(dialog()!, '添加 张三')).toBeUndefined(); // already a member
    button(dialog()!, '添加 李四').click();
    await vi.waitFor(() => expect(dialog()!.querySelector('[role=status]')?.textContent).toBe('已添加 李四。'));
    await vi.waitFor(() => expect(button(dialog()!, '移除 李四')).toBeTruthy());
    button(dialog()!, '移除 张三').click();
    await vi.waitFor(() => expect(button(dialog()!, '移除 张三')).toBeUndefined());
    expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`))
      .toEqual(['PUT /groups/7/members/5', 'DELETE /groups/7/members/2']);
    expect(calls.some((c) => c.path === '/directory/search?q=lisi&kind=users')).toBe(true);
  });
});

describe('custom profile fields page', () => {
  it('lists, creates, renames and deletes field definitions', async () => {
    let fields = [{ id: 1, name: '工位', sort_order: 0, admin_only: false }];
    const calls = server({});
    const f = globalThis.fetch as ReturnType<typeof vi.fn>;
    const inner = f.getMockImplementation() as (url: string, init: RequestInit) => Promise<Response>;
    f.mockImplementation(async (url: string, init: RequestInit) => {
      const path = url.replace('/api/v1', '');
      const method = init.method ?? 'GET';
      if (method === 'GET' && path === '/profile-fields') {
        return new Response(JSON.stringify({ fields }), { status: 200, headers: { 'Content-Type': 'application/json' } });
      }
      if (method === 'POST') fields = [...fields, { id: 2, name: '入职日期', sort_order: 1, admin_only: true }];
      if (method === 'PATCH') fields = fields.map((x) => (x.id === 1 ? { ...x, name: '座位' } : x));
      if (method === 'DELETE') fields = fields.filter((x) => x.id !== 2);
      return inner(url, init);
    });
    const root = mount(<AdminProfileFields />);
    await vi.waitFor(() => expect(root.textContent).toContain('工位'));
    const form = root.querySelector('form')!;
    await type(form.querySelector<HTMLInputElement>('input:not([type=checkbox])')!, '入职日期');
    const check = form.querySelector<HTMLInputElement>('input[type=checkbox]')!;
    check.checked = true;
    check.dispatchEvent(new Event('change', { bubbles: true }));
    await new Promise((r) => setTimeout(r, 0));
    expect(form.querySelector('label')?.textContent).toContain('Field name');
    submit(form);
    await vi.waitFor(() => expect(root.querySelector<HTMLInputElement>('[aria-label="入职日期"] input[type=checkbox]')?.checked).toBe(true));
    expect(root.querySelector<HTMLInputElement>('[aria-label="工位"] input[type=checkbox]')?.checked).toBe(false);
    button(root.querySelector('[aria-label="工位"]')!, 'Rename').click();
    await vi.waitFor(() => expect(dialog()).not.toBeNull());
    await type(dialog()!.querySelector<HTMLInputElement>('input')!, '座位');
    submit(dialog()!.querySelector('form')!);
    await vi.waitFor(() => expect(dialog()).toBeNull());
    await vi.waitFor(() => expect(root.textContent).toContain('座位'));
    button(root.querySelector('[aria-label="入职日期"]')!, 'Delete').click();
    await vi.waitFor(() => expect(root.textContent).not.toContain('入职日期'));
    expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body ?? null)}`)).toEqual([
      'POST /profile-fields {"name":"入职日期","admin_only":true}',
      'PATCH /profile-fields/1 {"name":"座位"}',
      'DELETE /profile-fields/2 null',
    ]);
  });
});

describe('department admins', () => {
  const tree = { departments: [{ id: 3, parent_id: 0, name: 'R&D', sort_order: 0, created_at: '2026-11-25T00:00:00Z' }] };

  it('lets organisation admins grant and revoke a department-admin scope', async () => {
    me.value = user(1, 'Admin');
    me.value.role = 'admin';
    putUsers([user(5, 'Li Si'), user(6, 'Wang Wu')]);
    let admins = [6];
    const calls = server({ 'GET /departments': tree });
    const f = globalThis.fetch as ReturnType<typeof vi.fn>;
    const inner = f.getMockImplementation() as (url: string, init: RequestInit) => Promise<Response>;
    f.mockImplementation(async (url: string, init: RequestInit) => {
      const path = url.replace('/api/v1', '');
      const method = init.method ?? 'GET';
      const json = (b: unknown) => new Response(JSON.stringify(b), { status: 200, headers: { 'Content-Type': 'application/json' } });
      if (method === 'GET' && path === '/departments/3') return json({ ...tree.departments[0], members: [], admin_ids: admins });
      if (method === 'GET' && path.startsWith('/directory/search')) return json({ users: [user(5, 'Li Si')], channels: [], departments: [] });
      if (method === 'PUT') admins = [...admins, 5];
      if (method === 'DELETE') admins = admins.filter((a) => a !== 6);
      return inner(url, init);
    });
    const root = mount(<AdminDepartments />);
    await vi.waitFor(() => expect(root.textContent).toContain('R&D'));
    button(root, 'Department admins').click();
    await vi.waitFor(() => expect(dialog()?.textContent).toContain('Wang Wu'));
    expect(dialog()!.textContent).toContain('Department admins of R&D');
    await type(dialog()!.querySelector<HTMLInputElement>('input[type=search]')!, 'li');
    submit(dialog()!.querySelector('form')!);
    await vi.waitFor(() => expect(button(dialog()!, 'Add Li Si')).toBeTruthy());
    button(dialog()!, 'Add Li Si').click();
    await vi.waitFor(() => expect(button(dialog()!, 'Remove Li Si')).toBeTruthy());
    button(dialog()!, 'Remove Wang Wu').click();
    await vi.waitFor(() => expect(button(dialog()!, 'Remove Wang Wu')).toBeUndefined());
    expect(calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path}`))
      .toEqual(['PUT /departments/3/admins/5', 'DELETE /departments/3/admins/6']);
  });

  it('does not offer the grant to department admins, whom the server refuses', async () => {
    me.value = user(1, 'Dept');
    me.value.role = 'dept_admin';
    server({ 'GET /departments': tree });
    const root = mount(<AdminDepartments />);
    await vi.waitFor(() => expect(root.textContent).toContain('R&D'));
    expect(button(root, 'Department admins')).toBeUndefined();
    expect(button(root, 'Move R&D down')).toBeUndefined(); // top-level order is the organisation admins'
    expect(button(root, 'Members')).toBeTruthy();
  });
});

/** A fake server holding rows: GET lists them sorted as the server does, PATCH and PUT change them. */
function rows<T extends { sort_order: number }>(items: T[], sort: (a: T, b: T) => number) {
  const calls = server({});
  const f = globalThis.fetch as ReturnType<typeof vi.fn>;
  const inner = f.getMockImplementation() as (url: string, init: RequestInit) => Promise<Response>;
  return {
    calls,
    items,
    route(match: (method: string, path: string) => ((body: any) => unknown) | undefined) {
      f.mockImplementation(async (url: string, init: RequestInit) => {
        const path = url.replace('/api/v1', '');
        const handle = match(init.method ?? 'GET', path);
        if (!handle) return inner(url, init);
        await inner(url, init); // records the call
        const out = handle(init.body ? JSON.parse(String(init.body)) : undefined);
        items.sort(sort);
        return new Response(JSON.stringify(out), { status: 200, headers: { 'Content-Type': 'application/json' } });
      });
    },
  };
}
const writes = (calls: Call[]) => calls.filter((c) => c.method !== 'GET').map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body)}`);
const status = (root: ParentNode) => root.querySelector('[role=status]')?.textContent;
const names = (root: ParentNode, sel: string) => [...root.querySelectorAll(sel)].map((e) => e.textContent);

describe('reordering and flags', () => {
  it('moves profile fields up and down with buttons, announces the place, keeps the focus, and switches the admin-only flag', async () => {
    const db = rows([
      { id: 1, name: 'Desk', sort_order: 0, admin_only: false },
      { id: 2, name: 'Floor', sort_order: 0, admin_only: false },
      { id: 3, name: 'Start date', sort_order: 0, admin_only: false },
    ], (a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name));
    db.route((method, path) => {
      if (method === 'GET' && path === '/profile-fields') return () => ({ fields: db.items });
      const m = /^\/profile-fields\/(\d+)$/.exec(path);
      if (method === 'PATCH' && m) return (body) => Object.assign(db.items.find((x) => x.id === Number(m[1]))!, body);
      return undefined;
    });
    const root = mount(<AdminProfileFields />);
    await vi.waitFor(() => expect(names(root, '.dir-node > span[data-uc]')).toEqual(['Desk', 'Floor', 'Start date']));
    expect(button(root, 'Move Desk up').disabled).toBe(true);
    expect(button(root, 'Move Start date down').disabled).toBe(true);
    button(root, 'Move Start date up').focus();
    button(root, 'Move Start date up').click();
    await vi.waitFor(() => expect(names(root, '.dir-node > span[data-uc]')).toEqual(['Desk', 'Start date', 'Floor']));
    await vi.waitFor(() => expect(status(root)).toBe('Start date moved to position 2 of 3.'));
    expect(document.activeElement).toBe(button(root, 'Move Start date up'));
    // At the top the up button is disabled: the focus goes to the row's other button.
    button(root, 'Move Start date up').click();
    await vi.waitFor(() => expect(status(root)).toBe('Start date moved to position 1 of 3.'));
    expect(document.activeElement).toBe(button(root, 'Move Start date down'));
    expect(names(root, '.dir-node > span[data-uc]')).toEqual(['Start date', 'Desk', 'Floor']);

    root.querySelector<HTMLInputElement>('[aria-label="Floor"] input[type=checkbox]')!.click();
    await vi.waitFor(() => expect(status(root)).toBe('Only admins may now set Floor.'));
    expect(root.querySelector<HTMLInputElement>('[aria-label="Floor"] input[type=checkbox]')!.checked).toBe(true);
    expect(writes(db.calls)).toEqual([
      'PATCH /profile-fields/3 {"sort_order":1}',
      'PATCH /profile-fields/2 {"sort_order":2}',
      'PATCH /profile-fields/3 {"sort_order":0}',
      'PATCH /profile-fields/1 {"sort_order":1}',
      'PATCH /profile-fields/2 {"admin_only":true}',
    ]);
  });

  it('ignores a second press while a move is saving, and reloads the list when a move fails half-way', async () => {
    const db = rows([
      { id: 1, name: 'Desk', sort_order: 0, admin_only: false },
      { id: 2, name: 'Floor', sort_order: 0, admin_only: false },
      { id: 3, name: 'Start date', sort_order: 0, admin_only: false },
    ], (a, b) => a.sort_order - b.sort_order || a.name.localeCompare(b.name));
    let refuse = false;
    db.route((method, path) => {
      if (method === 'GET' && path === '/profile-fields') return () => ({ fields: db.items });
      const m = /^\/profile-fields\/(\d+)$/.exec(path);
      if (method === 'PATCH' && m) {
        if (refuse && m[1] === '3') throw new Error('refused'); // the fake's way to answer with an error below
        return (body) => Object.assign(db.items.find((x) => x.id === Number(m[1]))!, body);
      }
      return undefined;
    });
    const f = globalThis.fetch as ReturnType<typeof vi.fn>;
    const routed = f.getMockImplementation() as (url: string, init: RequestInit) => Promise<Response>;
    f.mockImplementation(async (url: string, init: RequestInit) => {
      try {
        return await routed(url, init);
      } catch {
        return new Response(JSON.stringify({ error: { code: 'permission_denied', message: 'Not allowed.' } }), { status: 403 });
      }
    });
    const root = mount(<AdminProfileFields />);
    await vi.waitFor(() => expect(names(root, '.dir-node > span[data-uc]')).toEqual(['Desk', 'Floor', 'Start date']));
    button(root, 'Move Start date up').click();
    button(root, 'Move Start date up').click(); // while the first is saving
    await vi.waitFor(() => expect(status(root)).toBe('Start date moved to position 2 of 3.'));
    expect(writes(db.calls)).toEqual(['PATCH /profile-fields/3 {"sort_order":1}', 'PATCH /profile-fields/2 {"sort_order":2}']);
    // Floor up: its own number is saved, Start date's is refused. The list shows what the server has
    // (Floor and Start date both 1, so by name), not the order from before the press.
    refuse = true;
    button(root, 'Move Floor up').click();
    await vi.waitFor(() => expect(root.querySelector('[role=alert]')?.textContent).toBe('Not allowed.'));
    await vi.waitFor(() => expect(names(root, '.dir-node > span[data-uc]')).toEqual(['Desk', 'Floor', 'Start date']));
    expect(status(root)).toBe('Start date moved to position 2 of 3.'); // no announcement of a move that failed
  });

  it('reorders sibling departments, not across parents', async () => {
    me.value = user(1, 'Admin');
    me.value.role = 'owner';
    const d = (id: number, parent_id: number, name: string) => ({ id, parent_id, name, sort_order: 0, created_at: '2026-11-25T00:00:00Z' });
    const db = rows([d(1, 0, 'Ops'), d(2, 0, 'Sales'), d(3, 1, 'Infra'), d(4, 1, 'SRE')],
      (a, b) => a.parent_id - b.parent_id || a.sort_order - b.sort_order || a.name.localeCompare(b.name));
    db.route((method, path) => {
      if (method === 'GET' && path === '/departments') return () => ({ departments: db.items });
      const m = /^\/departments\/(\d+)$/.exec(path);
      if (method === 'PATCH' && m) return (body) => Object.assign(db.items.find((x) => x.id === Number(m[1]))!, body);
      return undefined;
    });
    const root = mount(<AdminDepartments />);
    await vi.waitFor(() => expect(root.textContent).toContain('SRE'));
    // The first child of Ops cannot go up (out of its parent); the last top-level one cannot go down.
    expect(button(root, 'Move Infra up').disabled).toBe(true);
    expect(button(root, 'Move Sales down').disabled).toBe(true);
    button(root, 'Move SRE up').click();
    await vi.waitFor(() => expect(status(root)).toBe('SRE moved to position 1 of 2.'));
    button(root, 'Move Ops down').click();
    await vi.waitFor(() => expect(status(root)).toBe('Ops moved to position 2 of 2.'));
    expect(names(root, '.dir-node > span[data-uc]')).toEqual(['Sales', 'Ops', 'SRE', 'Infra']);
    // All at the default 0 (sorted by name): only the ones whose place changed are saved.
    expect(writes(db.calls)).toEqual(['PATCH /departments/3 {"sort_order":1}', 'PATCH /departments/1 {"sort_order":1}']);
  });

  it('sets a department head and orders members among heads and among the others', async () => {
    me.value = user(1, 'Admin');
    me.value.role = 'admin';
    putUsers([user(5, 'Li Si'), user(6, 'Wang Wu'), user(7, 'Zhao Liu')]);
    const tree = { departments: [{ id: 3, parent_id: 0, name: 'R&D', sort_order: 0, created_at: '2026-11-25T00:00:00Z' }] };
    const m = (user_id: number, head: boolean) => ({ department_id: 3, user_id, head, sort_order: 0 });
    const db = rows([m(5, true), m(6, false), m(7, false)],
      (a, b) => Number(b.head) - Number(a.head) || a.sort_order - b.sort_order || a.user_id - b.user_id);
    db.route((method, path) => {
      if (method === 'GET' && path === '/departments') return () => tree;
      if (method === 'GET' && path === '/departments/3/members') return () => ({ members: db.items });
      const p = /^\/departments\/3\/members\/(\d+)$/.exec(path);
      if (method === 'PUT' && p) return (body) => Object.assign(db.items.find((x) => x.user_id === Number(p[1]))!, body);
      return undefined;
    });
    const root = mount(<AdminDepartments />);
    await vi.waitFor(() => expect(root.textContent).toContain('R&D'));
    button(root, 'Members').click();
    await vi.waitFor(() => expect(dialog()?.textContent).toContain('Zhao Liu'));
    const dlg = dialog()!;
    const head = (name: string) => dlg.querySelector<HTMLInputElement>(`input[aria-label="Head: ${name}"]`)!;
    expect(head('Li Si').checked).toBe(true);
    expect(head('Wang Wu').checked).toBe(false);
    // Heads come first: Wang Wu cannot move above the head.
    expect(button(dlg, 'Move Wang Wu up').disabled).toBe(true);
    button(dlg, 'Move Zhao Liu up').click();
    await vi.waitFor(() => expect(status(dlg)).toBe('Zhao Liu moved to position 2 of 3.'));
    expect(names(dlg, '.dir-node > span[data-uc]')).toEqual(['Li Si', 'Zhao Liu', 'Wang Wu']);
    head('Wang Wu').click();
    await vi.waitFor(() => expect(status(dlg)).toBe('Wang Wu is now a head of this department.'));
    expect(head('Wang Wu').checked).toBe(true);
    expect(document.activeElement).toBe(head('Wang Wu'));
    expect(names(dlg, '.dir-node > span[data-uc]')).toEqual(['Li Si', 'Wang Wu', 'Zhao Liu']);
    expect(writes(db.calls)).toEqual([
      'PUT /departments/3/members/7 {"head":false,"sort_order":1}',
      'PUT /departments/3/members/6 {"head":false,"sort_order":2}',
      'PUT /departments/3/members/6 {"head":true,"sort_order":2}',
    ]);
  });
});
