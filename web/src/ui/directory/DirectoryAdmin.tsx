// Admin console sections of the directory: the department tree editor, user
// groups and the permission scheme (listed in admin/Admin.tsx). The server
// decides who may change what; its errors are shown as they come, in the
// user's language. Changes go through dialogs with labelled fields (the
// shared Modal: focus moves in, Tab stays in, Escape closes, focus returns).
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import type { User } from '../../api/types';
import { t } from '../../i18n';
import {
  childrenOf, directoryApi, flatTree, subtreeIds, WHO_LEVELS, WHO_SETTINGS, type Department, type Group, type Permissions,
} from '../../state/addressbook';
import { ensureUsers, putUsers, users } from '../../state/directory';
import { Modal } from '../common';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

type Edit = { kind: 'child' | 'rename' | 'move' | 'members'; dept: Department };

export function AdminDepartments() {
  const [tree, setTree] = useState<Department[]>([]);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const [edit, setEdit] = useState<Edit | null>(null);
  const reload = () => directoryApi.departments().then((r) => setTree(r.departments), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  // A dialog's action: on success the dialog closes and the tree reloads;
  // on failure the dialog stays open with the server's message.
  const act = async (p: Promise<unknown>) => { await p; setEdit(null); setError(''); await reload(); };
  const kids = childrenOf(tree);
  const level = (parent: number) => (
    <ul class="dir-tree">
      {(kids.get(parent) ?? []).map((d) => (
        <li key={d.id}>
          <div class="dir-node" role="group" aria-label={d.name}>
            <span data-uc="">{d.name}</span>
            <button class="link-btn" onClick={() => setEdit({ kind: 'child', dept: d })}>{t('admin.add_child')}</button>
            <button class="link-btn" onClick={() => setEdit({ kind: 'members', dept: d })}>{t('admin.members')}</button>
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
      {edit?.kind === 'child' && (
        <NameDialog title={t('admin.add_child_of', { name: edit.dept.name })} label={t('admin.new_child')} initial="" submit={t('common.create')}
          onSubmit={(n) => act(directoryApi.createDepartment(n, edit.dept.id))} onClose={close} />
      )}
      {edit?.kind === 'rename' && (
        <NameDialog title={t('admin.rename_title', { name: edit.dept.name })} label={t('admin.dept_name')} initial={edit.dept.name} submit={t('common.save')}
          onSubmit={(n) => (n === edit.dept.name ? Promise.resolve(close()) : act(directoryApi.renameDepartment(edit.dept.id, n)))} onClose={close} />
      )}
      {edit?.kind === 'move' && <MoveDialog dept={edit.dept} tree={tree} onSubmit={(to) => act(directoryApi.moveDepartment(edit.dept.id, to))} onClose={close} />}
      {edit?.kind === 'members' && <MembersDialog dept={edit.dept} onClose={close} />}
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

/** A department's own members: remove one, or find people by name or pinyin and add them. */
function MembersDialog(p: { dept: Department; onClose(): void }) {
  const [members, setMembers] = useState<number[]>([]);
  const [q, setQ] = useState('');
  const [found, setFound] = useState<User[]>([]);
  const [err, setErr] = useState('');
  const [status, setStatus] = useState('');
  const reload = () => directoryApi.members(p.dept.id).then((r) => {
    const ids = r.members.map((m) => m.user_id);
    ensureUsers(ids);
    setMembers(ids);
  }, (x) => setErr(message(x)));
  useEffect(() => { void reload(); }, [p.dept.id]);
  const find = (e: Event) => {
    e.preventDefault();
    if (!q.trim()) return;
    directoryApi.search(q.trim(), 'users').then((r) => { putUsers(r.users); setFound(r.users); setErr(''); setStatus(t('admin.found', { n: r.users.length })); },
      (x) => setErr(message(x)));
  };
  const change = (id: number, add: boolean) => void (add ? directoryApi.addMember(p.dept.id, id) : directoryApi.removeMember(p.dept.id, id)).then(() => {
    setErr('');
    setStatus(t(add ? 'admin.member_added' : 'admin.member_removed', { name: userName(users.value.get(id), id) }));
    return reload();
  }, (x) => setErr(message(x)));
  return (
    <Modal title={t('admin.members_of', { name: p.dept.name })} onClose={p.onClose} wide>
      <h3 class="side-heading">{t('admin.members')}</h3>
      {members.length === 0 ? <p class="muted">{t('dir.nobody')}</p> : (
        <ul class="dir-people">
          {members.map((id) => (
            <li key={id} class="dir-node">
              <span data-uc="">{userName(users.value.get(id), id)}</span>
              <button class="link-btn danger" onClick={() => change(id, false)}
                aria-label={t('admin.remove_member', { name: userName(users.value.get(id), id) })}>{t('admin.remove')}</button>
            </li>
          ))}
        </ul>
      )}
      <form class="dir-form" role="search" onSubmit={find}>
        <label>{t('admin.find_people')}<input class="input" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} /></label>
        <button class="btn" type="submit">{t('admin.find')}</button>
      </form>
      <ul class="dir-people">
        {found.filter((u) => !members.includes(u.id)).map((u) => (
          <li key={u.id} class="dir-node">
            <span data-uc="">{userName(u, u.id)}</span>
            <button class="link-btn" onClick={() => change(u.id, true)} aria-label={t('admin.add_member', { name: userName(u, u.id) })}>{t('admin.add')}</button>
          </li>
        ))}
      </ul>
      {err && <p class="error-text" role="alert">{err}</p>}
      <p role="status" class="muted small">{status}</p>
      <div class="form-actions"><button type="button" class="btn" onClick={p.onClose}>{t('common.close')}</button></div>
    </Modal>
  );
}

export function AdminGroups() {
  const [groups, setGroups] = useState<Group[]>([]);
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const reload = () => directoryApi.groups().then((r) => setGroups(r.groups), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  return (
    <section aria-labelledby="groups-title">
      <h2 id="groups-title">{t('admin.groups')}</h2>
      {error && <p class="error" role="alert">{error}</p>}
      <form class="dir-form" onSubmit={(e) => { e.preventDefault(); run(directoryApi.createGroup(handle, name)); }}>
        <label>{t('admin.group_handle')} <input class="input" maxLength={40} value={handle} onInput={(e) => setHandle(e.currentTarget.value)} /></label>
        <label>{t('admin.group_name')} <input class="input" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <button class="btn btn-primary" type="submit">{t('common.create')}</button>
      </form>
      <ul class="dir-people">
        {groups.map((g) => (
          <li key={g.id} class="dir-node">
            <strong>@{g.handle}</strong> <span data-uc="">{g.name}</span>
            <button class="link-btn danger" onClick={() => run(directoryApi.deleteGroup(g.id))}>{t('admin.delete')}</button>
          </li>
        ))}
      </ul>
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
