// Admin console pages of the directory: the department tree editor, user
// groups and the permission scheme. The server decides who may change what;
// its errors are shown as they come, in the user's language.
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../api/client';
import { t } from '../../i18n';
import {
  childrenOf, directoryApi, WHO_LEVELS, WHO_SETTINGS, type Department, type Group, type Permissions,
} from '../../state/addressbook';

function message(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function DirectoryAdmin() {
  const [tab, setTab] = useState<'tree' | 'groups' | 'permissions'>('tree');
  const tabs = [['tree', t('admin.departments')], ['groups', t('admin.groups')], ['permissions', t('admin.permissions')]] as const;
  return (
    <main id="main" class="main addressbook" aria-label={t('admin.directory')}>
      <header class="channel-header"><h1>{t('admin.directory')}</h1></header>
      <div role="tablist" class="dir-tabs">
        {tabs.map(([k, label]) => (
          <button key={k} role="tab" aria-selected={tab === k} class={'btn' + (tab === k ? ' btn-primary' : '')} onClick={() => setTab(k)}>{label}</button>
        ))}
      </div>
      <div role="tabpanel" class="dir-panel">
        {tab === 'tree' && <TreeEditor />}
        {tab === 'groups' && <Groups />}
        {tab === 'permissions' && <Scheme />}
      </div>
    </main>
  );
}

function TreeEditor() {
  const [tree, setTree] = useState<Department[]>([]);
  const [error, setError] = useState('');
  const [name, setName] = useState('');
  const reload = () => directoryApi.departments().then((r) => setTree(r.departments), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  const kids = childrenOf(tree);
  const level = (parent: number) => (
    <ul class="dir-tree">
      {(kids.get(parent) ?? []).map((d) => (
        <li key={d.id}>
          <div class="dir-node">
            <span data-uc="">{d.name}</span>
            <button class="link-btn" onClick={() => { const n = prompt(t('admin.new_child'), ''); if (n) run(directoryApi.createDepartment(n, d.id)); }}>{t('admin.add_child')}</button>
            <button class="link-btn" onClick={() => { const n = prompt(t('admin.rename'), d.name); if (n && n !== d.name) run(directoryApi.renameDepartment(d.id, n)); }}>{t('admin.rename')}</button>
            <button class="link-btn" onClick={() => {
              const to = prompt(t('admin.move_to'), String(d.parent_id));
              if (to !== null && /^\d+$/.test(to.trim())) run(directoryApi.moveDepartment(d.id, Number(to.trim())));
            }}>{t('admin.move')}</button>
            <button class="link-btn danger" onClick={() => run(directoryApi.deleteDepartment(d.id))}>{t('admin.delete')}</button>
            <span class="muted"> #{d.id}</span>
          </div>
          {kids.has(d.id) && level(d.id)}
        </li>
      ))}
    </ul>
  );
  return (
    <section aria-label={t('admin.departments')}>
      {error && <p class="error" role="alert">{error}</p>}
      <form class="dir-form" onSubmit={(e) => { e.preventDefault(); if (name.trim()) { run(directoryApi.createDepartment(name.trim(), 0)); setName(''); } }}>
        <label>{t('admin.top_level')} <input class="input" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <button class="btn btn-primary" type="submit">{t('common.create')}</button>
      </form>
      {level(0)}
    </section>
  );
}

function Groups() {
  const [groups, setGroups] = useState<Group[]>([]);
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const reload = () => directoryApi.groups().then((r) => setGroups(r.groups), (e) => setError(message(e)));
  useEffect(() => { void reload(); }, []);
  const run = (p: Promise<unknown>) => void p.then(() => { setError(''); return reload(); }, (e) => setError(message(e)));
  return (
    <section aria-label={t('admin.groups')}>
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

function Scheme() {
  const [p, setP] = useState<Permissions | null>(null);
  const [error, setError] = useState('');
  const [saved, setSaved] = useState(false);
  useEffect(() => { directoryApi.permissions().then(setP, (e) => setError(message(e))); }, []);
  if (!p) return <p class="muted">{error || t('common.loading')}</p>;
  const save = () => void directoryApi.savePermissions(p).then((np) => { setP(np); setSaved(true); setError(''); }, (e) => setError(message(e)));
  return (
    <section aria-label={t('admin.permissions')}>
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
