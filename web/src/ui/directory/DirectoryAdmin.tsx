// Admin console sections of the directory: the department tree editor (sibling
// order, members with their head flag and order, department admins), user
// groups (handle, name, description, members), custom profile fields (order,
// admin-only flag) and the permission scheme (listed in admin/Admin.tsx).
// Reordering is done with move up/down buttons (Reorder.tsx), never by drag
// only. The server
// decides who may change what; its errors are shown as they come, in the
// user's language. Changes go through dialogs with labelled fields (the
// shared Modal: focus moves in, Tab stays in, Escape closes, focus returns).
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import type { User } from '../../api/types';
import { t } from '../../i18n';
import {
  childrenOf, directoryApi, flatTree, moved, subtreeIds, WHO_LEVELS, WHO_SETTINGS, type Department, type Group, type GroupPatch, type Permissions,
  type ProfileField,
} from '../../state/addressbook';
import { ensureUsers, putUsers, users } from '../../state/directory';
import { me } from '../../state/session';
import { Modal } from '../common';
import { MoveButtons, saveOrder, useMover } from './Reorder';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

/** Owners and admins; department admins may not grant department-admin scopes. */
const isOrgAdmin = () => me.value?.role === 'owner' || me.value?.role === 'admin';

type Edit = { kind: 'child' | 'rename' | 'move' | 'members' | 'admins'; dept: Department };

export function AdminDepartments() {
  const [tree, setTree] = useState<Department[]>([]);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [edit, setEdit] = useState<Edit | null>(null);
  const reload = () => directoryApi.departments().then((r) => setTree(r.departments), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  const mover = useMover((e) => setError(message(e)));
  // A dialog's action: on success the dialog closes and the tree reloads;
  // on failure the dialog stays open with the server's message.
  const act = async (p: Promise<unknown>) => { await p; setEdit(null); setError(''); await reload(); };
  const kids = childrenOf(tree);
  // Siblings are renumbered in their new order; only the ones whose number changes are saved.
  const reorder = (sibs: Department[], i: number, delta: -1 | 1) => void mover.move('dept-' + sibs[i]!.id, delta, sibs[i]!.name, i + 1 + delta, sibs.length,
    () => saveOrder(moved(sibs, i, delta), (d) => d.sort_order, (d, o) => directoryApi.orderDepartment(d.id, o)).finally(reload).then(() => setError('')));
  const level = (parent: number, sibs = kids.get(parent) ?? []) => (
    <ul class="dir-tree">
      {sibs.map((d, i) => (
        <li key={d.id}>
          <div class="dir-node" role="group" aria-label={d.name}>
            <span data-uc="">{d.name}</span>
            {/* The top level's order is the organisation admins' (department admins manage no top-level siblings). */}
            {(parent !== 0 || isOrgAdmin()) && (
              <MoveButtons rowKey={'dept-' + d.id} name={d.name} up={i > 0} down={i < sibs.length - 1} onMove={(delta) => reorder(sibs, i, delta)} />
            )}
            <button class="link-btn" onClick={() => setEdit({ kind: 'child', dept: d })}>{t('admin.add_child')}</button>
            <button class="link-btn" onClick={() => setEdit({ kind: 'members', dept: d })}>{t('admin.members')}</button>
            {/* Only organisation admins grant department-admin scopes; the server refuses anyone else. */}
            {isOrgAdmin() && <button class="link-btn" onClick={() => setEdit({ kind: 'admins', dept: d })}>{t('admin.dept_admins')}</button>}
            <button class="link-btn" onClick={() => setEdit({ kind: 'rename', dept: d })}>{t('admin.rename')}</button>
            <button class="link-btn" onClick={() => setEdit({ kind: 'move', dept: d })}>{t('admin.move')}</button>
            <button class="link-btn danger" onClick={() => run(directoryApi.deleteDepartment(d.id))}>{t('admin.delete')}</button>
          </div>
          {kids.has(d.id) && level(d.id)}
        </li>
      ))}
    </ul>
  );
  const close = () => setEdit(null);
  return (
    <section aria-labelledby="dept-title">
      <h2 id="dept-title">{t('admin.departments')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <form class="dir-form" onSubmit={(e) => { e.preventDefault(); if (name.trim()) { run(directoryApi.createDepartment(name.trim(), 0)); setName(''); } }}>
        <label>{t('admin.top_level')} <input class="input" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <button class="btn btn-primary" type="submit">{t('common.create')}</button>
      </form>
      {tree.length ? level(0) : <p class="muted">{t('dir.no_departments')}</p>}
      <p role="status" class="muted small">{mover.status}</p>
      {edit?.kind === 'child' && (
        <NameDialog title={t('admin.add_child_of', { name: edit.dept.name })} label={t('admin.new_child')} initial="" submit={t('common.create')}
          onSubmit={(n) => act(directoryApi.createDepartment(n, edit.dept.id))} onClose={close} />
      )}
      {edit?.kind === 'rename' && (
        <NameDialog title={t('admin.rename_title', { name: edit.dept.name })} label={t('admin.dept_name')} initial={edit.dept.name} submit={t('common.save')}
          onSubmit={(n) => (n === edit.dept.name ? Promise.resolve(close()) : act(directoryApi.renameDepartment(edit.dept.id, n)))} onClose={close} />
      )}
      {edit?.kind === 'move' && <MoveDialog dept={edit.dept} tree={tree} onSubmit={(to) => act(directoryApi.moveDepartment(edit.dept.id, to))} onClose={close} />}
      {edit?.kind === 'members' && <PeopleDialog set={deptMembers(edit.dept)} onClose={close} />}
      {edit?.kind === 'admins' && <PeopleDialog set={deptAdmins(edit.dept)} onClose={close} />}
    </section>
  );
}

/** A dialog asking for one name (a new sub-department, a new name). */
function NameDialog(p: { title: string; label: string; initial: string; submit: string; onSubmit(name: string): Promise<unknown>; onClose(): void }) {
  const [name, setName] = useState(p.initial);
  const [err, setErr] = useState('');
  return (
    <Modal title={p.title} onClose={p.onClose}>
      <form class="form" onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) p.onSubmit(name.trim()).catch((x) => setErr(message(x)));
      }}>
        <label>{p.label}<input class="input" required maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        {err && <p class="error-text" role="alert">{err}</p>}
        <div class="form-actions">
          <button type="button" class="btn" onClick={p.onClose}>{t('common.cancel')}</button>
          <button type="submit" class="btn btn-primary" disabled={!name.trim()}>{p.submit}</button>
        </div>
      </form>
    </Modal>
  );
}

/** Moving a department: the new parent is picked by name among the departments outside its subtree. */
function MoveDialog(p: { dept: Department; tree: Department[]; onSubmit(parent: number): Promise<unknown>; onClose(): void }) {
  const [to, setTo] = useState(p.dept.parent_id);
  const [err, setErr] = useState('');
  const inside = subtreeIds(p.tree, p.dept.id);
  const options = flatTree(p.tree).filter((o) => !inside.has(o.dept.id));
  return (
    <Modal title={t('admin.move_title', { name: p.dept.name })} onClose={p.onClose}>
      <form class="form" onSubmit={(e) => { e.preventDefault(); p.onSubmit(to).catch((x) => setErr(message(x))); }}>
        <label>{t('admin.move_to')}
          <select class="input" value={String(to)} onChange={(e) => setTo(Number(e.currentTarget.value))}>
            <option value="0">{t('admin.top_level_option')}</option>
            {options.map((o) => <option key={o.dept.id} value={String(o.dept.id)}>{'\u00a0\u00a0'.repeat(o.depth + 1) + o.dept.name}</option>)}
          </select>
        </label>
        {err && <p class="error-text" role="alert">{err}</p>}
        <div class="form-actions">
          <button type="button" class="btn" onClick={p.onClose}>{t('common.cancel')}</button>
          <button type="submit" class="btn btn-primary" disabled={to === p.dept.parent_id}>{t('admin.move')}</button>
        </div>
      </form>
    </Modal>
  );
}

const userName = (u: User | undefined, id: number) => (u ? u.display_name || u.username : '#' + id);

/** One person in a people dialog; head and order matter for department members only. */
interface Person {
  id: number;
  head: boolean;
  order: number;
}

const people = (ids: number[]): Person[] => ids.map((id) => ({ id, head: false, order: 0 }));

/** What a people dialog edits: a department's members or admins, a group's members. */
interface PeopleSet {
  title: string;
  heading: string;
  /** The people in the server's order. */
  load(): Promise<Person[]>;
  add(userId: number): Promise<unknown>;
  remove(userId: number): Promise<unknown>;
  /** Saves a person's head flag and place: department members only, who are listed heads first. */
  arrange?(p: Person): Promise<unknown>;
}

/** A department's own members, heads first. */
const deptMembers = (d: Department): PeopleSet => ({
  title: t('admin.members_of', { name: d.name }), heading: t('admin.members'),
  load: () => directoryApi.members(d.id).then((r) => r.members.map((m) => ({ id: m.user_id, head: m.head, order: m.sort_order }))),
  add: (id) => directoryApi.addMember(d.id, id), remove: (id) => directoryApi.removeMember(d.id, id),
  arrange: (p) => directoryApi.setMember(d.id, p.id, p.head, p.order),
});

/** The users who administer a department's subtree (role dept_admin). */
const deptAdmins = (d: Department): PeopleSet => ({
  title: t('admin.admins_of', { name: d.name }), heading: t('admin.dept_admins'),
  load: () => directoryApi.department(d.id).then((r) => people(r.admin_ids)),
  add: (id) => directoryApi.grantDeptAdmin(d.id, id), remove: (id) => directoryApi.revokeDeptAdmin(d.id, id),
});

/** A user group's members. */
const groupMembers = (g: Group): PeopleSet => ({
  title: t('admin.members_of', { name: g.name }), heading: t('admin.members'),
  load: () => directoryApi.group(g.id).then((r) => people(r.member_ids)),
  add: (id) => directoryApi.addGroupMember(g.id, id), remove: (id) => directoryApi.removeGroupMember(g.id, id),
});

/**
 * A set of people: remove one, or find people by name or pinyin and add them.
 * For department members also the head flag and the order, heads first: a
 * member moves up or down among the heads or among the others.
 */
export function PeopleDialog({ set, onClose }: { set: PeopleSet; onClose(): void }) {
  const [members, setMembers] = useState<Person[]>([]);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<User[]>([]);
  const [err, setErr] = useState('');
  const mover = useMover((x) => setErr(message(x)));
  const setStatus = mover.announce;
  const reload = () => set.load().then((ps) => {
    ensureUsers(ps.map((p) => p.id));
    setMembers(ps);
    setErr('');
  }, (x) => setErr(message(x)));
  useEffect(() => { void reload(); }, [set.title]);
  const find = (e: Event) => {
    e.preventDefault();
    if (!q.trim()) return;
    directoryApi.search(q.trim(), 'users').then((r) => { putUsers(r.users); setFound(r.users); setErr(''); setStatus(t('admin.found', { n: r.users.length })); },
      (x) => setErr(message(x)));
  };
  const change = (id: number, add: boolean) => void (add ? set.add(id) : set.remove(id)).then(() => {
    setErr('');
    setStatus(t(add ? 'admin.member_added' : 'admin.member_removed', { name: userName(users.value.get(id), id) }));
    return reload();
  }, (x) => setErr(message(x)));
  const arrange = set.arrange;
  const row = (p: Person, i: number) => {
    const name = userName(users.value.get(p.id), p.id);
    if (!arrange) return <span data-uc="">{name}</span>;
    const same = (j: number) => members[j]?.head === p.head;
    return (
      <>
        <span data-uc="">{name}</span>
        <label class="small">
          <input type="checkbox" data-head={p.id} checked={p.head} aria-label={t('admin.head_of', { name })}
            onChange={() => void mover.change(() => arrange({ ...p, head: !p.head }).then(reload),
              t(p.head ? 'admin.head_unset' : 'admin.head_set', { name }), `[data-head="${p.id}"]`)} /> {t('admin.head')}
        </label>
        <MoveButtons rowKey={'member-' + p.id} name={name} up={same(i - 1)} down={same(i + 1)}
          onMove={(delta) => void mover.move('member-' + p.id, delta, name, i + 1 + delta, members.length,
            () => saveOrder(moved(members, i, delta), (m) => m.order, (m, o) => arrange({ ...m, order: o })).finally(reload))} />
      </>
    );
  };
  return (
    <Modal title={set.title} onClose={onClose} wide>
      <h3 class="side-heading">{set.heading}</h3>
      {members.length === 0 ? <p class="muted">{t('dir.nobody')}</p> : (
        <ul class="dir-people">
          {members.map((p, i) => (
            <li key={p.id} class="dir-node">
              {row(p, i)}
              <button class="link-btn danger" onClick={() => change(p.id, false)}
                aria-label={t('admin.remove_member', { name: userName(users.value.get(p.id), p.id) })}>{t('admin.remove')}</button>
            </li>
          ))}
        </ul>
      )}
      <form class="dir-form" role="search" onSubmit={find}>
        <label>{t('admin.find_people')}<input class="input" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} /></label>
        <button class="btn" type="submit">{t('admin.find')}</button>
      </form>
      <ul class="dir-people">
        {found.filter((u) => !members.some((m) => m.id === u.id)).map((u) => (
          <li key={u.id} class="dir-node">
            <span data-uc="">{userName(u, u.id)}</span>
            <button class="link-btn" onClick={() => change(u.id, true)} aria-label={t('admin.add_member', { name: userName(u, u.id) })}>{t('admin.add')}</button>
          </li>
        ))}
      </ul>
      {err && <p class="error-text" role="alert">{err}</p>}
      <p role="status" class="muted small">{mover.status}</p>
      <div class="form-actions"><button type="button" class="btn" onClick={onClose}>{t('common.close')}</button></div>
    </Modal>
  );
}

type GroupEdit = { kind: 'edit' | 'members'; group: Group };

export function AdminGroups() {
  const [groups, setGroups] = useState<Group[]>([]);
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [error, setError] = useState('');
  const [edit, setEdit] = useState<GroupEdit | null>(null);
  const reload = () => directoryApi.groups().then((r) => setGroups(r.groups), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  const close = () => setEdit(null);
  return (
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">{t('admin.groups')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <form class="dir-form" onSubmit={(e) => {
        e.preventDefault();
        run(directoryApi.createGroup(handle, name, description.trim()).then(() => { setHandle(''); setName(''); setDescription(''); }));
      }}>
        <label>{t('admin.group_handle')} <input class="input" maxLength={40} value={handle} onInput={(e) => setHandle(e.currentTarget.value)} /></label>
        <label>{t('admin.group_name')} <input class="input" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('admin.group_description')} <input class="input" maxLength={140} value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
        <button class="btn btn-primary" type="submit">{t('common.create')}</button>
      </form>
      <ul class="dir-people">
        {groups.map((g) => (
          // The group role sits inside the list item: a ul may only hold list items (axe: list).
          <li key={g.id}><div class="dir-node" role="group" aria-label={'@' + g.handle}>
            <strong>@{g.handle}</strong> <span data-uc="">{g.name}</span>
            {g.description && <span class="muted small" data-uc="">{g.description}</span>}
            <button class="link-btn" onClick={() => setEdit({ kind: 'members', group: g })}>{t('admin.members')}</button>
            <button class="link-btn" onClick={() => setEdit({ kind: 'edit', group: g })}>{t('admin.edit')}</button>
            <button class="link-btn danger" onClick={() => run(directoryApi.deleteGroup(g.id))}>{t('admin.delete')}</button>
          </div></li>
        ))}
      </ul>
      {edit?.kind === 'edit' && (
        <GroupDialog group={edit.group} onClose={close}
          onSubmit={(patch) => (Object.keys(patch).length === 0 ? Promise.resolve(close())
            : directoryApi.updateGroup(edit.group.id, patch).then(() => { close(); setError(''); return reload(); }))} />
      )}
      {edit?.kind === 'members' && <PeopleDialog set={groupMembers(edit.group)} onClose={close} />}
    </section>
  );
}

/**
 * Editing a group: its handle (the @mention name), name and description.
 * Only what changed is sent, so a refused handle leaves the rest untouched.
 */
function GroupDialog(p: { group: Group; onSubmit(patch: GroupPatch): Promise<unknown>; onClose(): void }) {
  const [handle, setHandle] = useState(p.group.handle);
  const [name, setName] = useState(p.group.name);
  const [description, setDescription] = useState(p.group.description);
  const [err, setErr] = useState('');
  const submit = (e: Event) => {
    e.preventDefault();
    const patch: GroupPatch = {};
    if (handle.trim() !== p.group.handle) patch.handle = handle.trim();
    if (name.trim() !== p.group.name) patch.name = name.trim();
    if (description.trim() !== p.group.description) patch.description = description.trim();
    p.onSubmit(patch).catch((x) => setErr(message(x)));
  };
  return (
    <Modal title={t('admin.edit_title', { name: '@' + p.group.handle })} onClose={p.onClose}>
      <form class="form" onSubmit={submit}>
        <label>{t('admin.group_handle')}<input class="input" required maxLength={40} value={handle} onInput={(e) => setHandle(e.currentTarget.value)} /></label>
        <label>{t('admin.group_name')}<input class="input" required maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        {/* One line of at most 140 characters, as the server takes it. */}
        <label>{t('admin.group_description')}<input class="input" maxLength={140} value={description} onInput={(e) => setDescription(e.currentTarget.value)} /></label>
        {err && <p class="error-text" role="alert">{err}</p>}
        <div class="form-actions">
          <button type="button" class="btn" onClick={p.onClose}>{t('common.cancel')}</button>
          <button type="submit" class="btn btn-primary" disabled={!handle.trim() || !name.trim()}>{t('common.save')}</button>
        </div>
      </form>
    </Modal>
  );
}

/** The organisation's custom profile fields (工位, 入职日期...): list, create, rename, reorder, switch the admin-only flag, delete. Admins only. */
export function AdminProfileFields() {
  const [fields, setFields] = useState<ProfileField[]>([]);
  const [name, setName] = useState('');
  const [adminOnly, setAdminOnly] = useState(false);
  const [error, setError] = useState('');
  const [renaming, setRenaming] = useState<ProfileField | null>(null);
  const reload = () => directoryApi.profileFields().then((r) => setFields(r.fields), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  const close = () => setRenaming(null);
  const mover = useMover((e) => setError(message(e)));
  const done = () => { setError(''); return reload(); };
  const reorder = (i: number, delta: -1 | 1) => void mover.move('field-' + fields[i]!.id, delta, fields[i]!.name, i + 1 + delta, fields.length,
    () => saveOrder(moved(fields, i, delta), (f) => f.sort_order, (f, o) => directoryApi.updateProfileField(f.id, { sort_order: o })).finally(reload).then(() => setError('')));
  const toggle = (f: ProfileField) => void mover.change(() => directoryApi.updateProfileField(f.id, { admin_only: !f.admin_only }).then(done),
    t(f.admin_only ? 'admin.field_admin_only_off' : 'admin.field_admin_only_on', { name: f.name }), `[data-admin-only="${f.id}"]`);
  return (
    <section aria-labelledby="fields-title">
      <h2 id="fields-title">{t('admin.fields')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <form class="dir-form" onSubmit={(e) => {
        e.preventDefault();
        if (name.trim()) { run(directoryApi.createProfileField(name.trim(), adminOnly)); setName(''); setAdminOnly(false); }
      }}>
        <label>{t('admin.field_name')} <input class="input" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label><input type="checkbox" checked={adminOnly} onChange={(e) => setAdminOnly(e.currentTarget.checked)} /> {t('admin.field_admin_only')}</label>
        <button class="btn btn-primary" type="submit">{t('common.create')}</button>
      </form>
      {fields.length === 0 ? <p class="muted">{t('admin.no_fields')}</p> : (
        <ul class="dir-people">
          {fields.map((f, i) => (
            <li key={f.id}><div class="dir-node" role="group" aria-label={f.name}>
              <span data-uc="">{f.name}</span>
              <MoveButtons rowKey={'field-' + f.id} name={f.name} up={i > 0} down={i < fields.length - 1} onMove={(delta) => reorder(i, delta)} />
              <label class="small">
                <input type="checkbox" data-admin-only={f.id} checked={f.admin_only} onChange={() => toggle(f)} /> {t('admin.field_admin_only')}
              </label>
              <button class="link-btn" onClick={() => setRenaming(f)}>{t('admin.rename')}</button>
              <button class="link-btn danger" onClick={() => run(directoryApi.deleteProfileField(f.id))}>{t('admin.delete')}</button>
            </div></li>
          ))}
        </ul>
      )}
      {renaming && (
        <NameDialog title={t('admin.rename_title', { name: renaming.name })} label={t('admin.field_name')} initial={renaming.name} submit={t('common.save')}
          onSubmit={(n) => (n === renaming.name ? Promise.resolve(close())
            : directoryApi.updateProfileField(renaming.id, { name: n }).then(() => { close(); setError(''); return reload(); }))} onClose={close} />
      )}
      <p role="status" class="muted small">{mover.status}</p>
    </section>
  );
}

export function AdminPermissions() {
  const [p, setP] = useState<Permissions | null>(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => { directoryApi.permissions().then(setP, (e) => setError(message(e))); }, []);
  if (!p) return <p class="muted">{error || t('common.loading')}</p>;
  const save = () => void directoryApi.savePermissions(p).then((np) => { setP(np); setSaved(true); setError(''); }, (e) => setError(message(e)));
  return (
    <section aria-labelledby="perm-title">
      <h2 id="perm-title">{t('admin.permissions')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <table class="dir-scheme">
        <tbody>
          {WHO_SETTINGS.map((k) => (
            <tr key={k}>
              <th scope="row"><label for={'perm-' + k}>{t(('perm.' + k) as 'perm.mention_all')}</label></th>
              <td>
                <select id={'perm-' + k} class="input" value={p[k]} onChange={(e) => { setSaved(false); setP({ ...p, [k]: e.currentTarget.value }); }}>
                  {WHO_LEVELS.map((w) => <option key={w} value={w}>{t(('perm.who.' + w) as 'perm.who.members')}</option>)}
                </select>
              </td>
            </tr>
          ))}
          {(['edit_window_seconds', 'delete_window_seconds'] as const).map((k) => (
            <tr key={k}>
              <th scope="row"><label for={'perm-' + k}>{t(('perm.' + k) as 'perm.edit_window_seconds')}</label></th>
              <td><input id={'perm-' + k} class="input" type="number" min={0} max={31536000} value={p[k]}
                onInput={(e) => { setSaved(false); setP({ ...p, [k]: Number(e.currentTarget.value) || 0 }); }} /></td>
            </tr>
          ))}
        </tbody>
      </table>
      <button class="btn btn-primary" onClick={save}>{t('common.save')}</button>
      {saved && <span role="status" class="muted"> {t('admin.saved')}</span>}
    </section>
  );
}
