// The address book (通讯录): browse people by department, search by name,
// e-mail, phone or pinyin ("zhangsan", "zs"), open a profile card and start a
// direct message from it. Everything is buttons and lists, so it works with
// the keyboard and a screen reader.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client';
import type { User } from '../../api/types';
import { t } from '../../i18n';
import { childrenOf, directoryApi, type Department, type Profile } from '../../state/addressbook';
import * as chatStore from '../../state/chat';
import { ensureUsers, putUsers, users } from '../../state/directory';
import { channelPath, navigate } from '../../state/router';
import { me } from '../../state/session';
import { Avatar } from '../common';

export function AddressBook() {
  const [tree, setTree] = useState<Department[]>([]);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const [dept, setDept] = useState<Department | null>(null);
  const [people, setPeople] = useState<number[]>([]);
  const [q, setQ] = useState('');
  const [card, setCard] = useState<number | null>(null);
  const [error, setError] = useState('');
  const guest = me.value?.is_guest ?? false;

  useEffect(() => {
    if (guest) return;
    directoryApi.departments().then((r) => setTree(r.departments), (e) => setError(String(e)));
  }, [guest]);

  // Search as the user types; an empty query shows the selected department.
  useEffect(() => {
    const query = q.trim();
    if (!query) {
      if (!dept) { setPeople([]); return; }
      let live = true;
      directoryApi.subtreeMembers(dept.id).then((r) => {
        if (!live) return;
        const ids = r.members.map((m) => m.user_id);
        ensureUsers(ids);
        setPeople(ids);
      }, (e) => setError(e instanceof ApiError ? e.message : String(e)));
      return () => { live = false; };
    }
    let live = true;
    const timer = setTimeout(() => {
      directoryApi.search(query, 'users').then((r) => {
        if (!live) return;
        putUsers(r.users);
        setPeople(r.users.map((u) => u.id));
        setError('');
      }, (e) => live && setError(e instanceof ApiError ? e.message : String(e)));
    }, 150);
    return () => { live = false; clearTimeout(timer); };
  }, [q, dept?.id]);

  const kids = childrenOf(tree);
  const toggle = (id: number) => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id); else next.add(id);
    setOpen(next);
  };
  const renderLevel = (parent: number) => (
    <ul role={parent === 0 ? 'tree' : 'group'} aria-label={parent === 0 ? t('dir.departments') : undefined} class="dir-tree">
      {(kids.get(parent) ?? []).map((d) => {
        const has = kids.has(d.id);
        return (
          <li key={d.id} role="treeitem" aria-expanded={has ? open.has(d.id) : undefined} aria-selected={dept?.id === d.id}>
            <div class="dir-node">
              {has ? (
                <button class="icon-btn small" aria-label={(open.has(d.id) ? t('dir.collapse') : t('dir.expand')) + ' ' + d.name} onClick={() => toggle(d.id)}>
                  {open.has(d.id) ? '▾' : '▸'}
                </button>
              ) : <span class="dir-spacer" aria-hidden="true" />}
              <button class={'link-btn' + (dept?.id === d.id ? ' active' : '')} onClick={() => { setDept(d); setQ(''); }}>{d.name}</button>
            </div>
            {has && open.has(d.id) && renderLevel(d.id)}
          </li>
        );
      })}
    </ul>
  );

  return (
    <main id="main" class="main addressbook" aria-label={t('dir.title')}>
      <header class="channel-header"><h1>{t('dir.title')}</h1></header>
      <div class="dir-body">
        {!guest && <aside class="dir-aside">{tree.length ? renderLevel(0) : <p class="muted">{t('dir.no_departments')}</p>}</aside>}
        <section class="dir-main">
          <input class="input" type="search" value={q} placeholder={t('dir.search')} aria-label={t('dir.search')}
            onInput={(e) => setQ(e.currentTarget.value)} />
          {error && <p class="error" role="alert">{error}</p>}
          <h2 class="side-heading">{q.trim() ? t('dir.results') : dept ? dept.name : t('dir.pick')}</h2>
          <ul class="dir-people" aria-live="polite">
            {people.map((id) => <PersonRow key={id} user={users.value.get(id)} id={id} onOpen={() => setCard(id)} />)}
          </ul>
          {people.length === 0 && (q.trim() || dept) && <p class="muted">{t('dir.nobody')}</p>}
        </section>
        {card !== null && <ProfileCard id={card} onClose={() => setCard(null)} />}
      </div>
    </main>
  );
}

function PersonRow({ user, id, onOpen }: { user?: User; id: number; onOpen: () => void }) {
  return (
    <li class="dir-person">
      <button class="dir-person-btn" onClick={onOpen}>
        <Avatar userId={id} size={28} />
        <span data-uc="">{user ? user.display_name || user.username : '#' + id}</span>
        {user?.title && <span class="muted"> · {user.title}</span>}
        {user?.is_guest && <span class="guest-badge">{t('role.guest')}</span>}
      </button>
    </li>
  );
}

/** The profile card: title, departments, manager, contact and custom fields; "Send message" opens a DM. */
export function ProfileCard({ id, onClose }: { id: number; onClose: () => void }) {
  const [p, setP] = useState<Profile | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setP(null);
    directoryApi.profile(id).then(setP, (e) => setError(e instanceof ApiError ? e.message : String(e)));
  }, [id]);
  const dm = () => void api.openDM([id]).then((c) => { chatStore.putChannel(c); navigate(channelPath(c.id)); }, (e) => setError(String(e)));
  return (
    <aside class="dir-card" aria-label={t('dir.card')}>
      <button class="icon-btn dir-card-close" aria-label={t('a11y.close')} onClick={onClose}>×</button>
      {error && <p class="error" role="alert">{error}</p>}
      {!p ? <p class="muted">{t('common.loading')}</p> : (
        <>
          <div class="dir-card-head">
            <Avatar userId={id} size={56} />
            <div>
              <h2 data-uc="">{p.user.display_name || p.user.username}{p.user.is_guest && <span class="guest-badge">{t('role.guest')}</span>}</h2>
              {p.user.title && <p>{p.user.title}</p>}
            </div>
          </div>
          <dl class="dir-facts">
            {p.departments.length > 0 && <><dt>{t('dir.departments')}</dt><dd>{p.departments.map((d) => d.name + (p.head_of.includes(d.id) ? ' (' + t('dir.head') + ')' : '')).join('、')}</dd></>}
            {p.manager && <><dt>{t('dir.manager')}</dt><dd data-uc="">{p.manager.display_name || p.manager.username}</dd></>}
            {p.user.email && <><dt>{t('profile.email')}</dt><dd>{p.user.email}</dd></>}
            {p.user.phone && <><dt>{t('dir.phone')}</dt><dd>{p.user.phone}</dd></>}
            {p.user.employee_no && <><dt>{t('dir.employee_no')}</dt><dd>{p.user.employee_no}</dd></>}
            {p.fields.map((f) => <><dt data-uc="">{f.name}</dt><dd data-uc="">{f.value}</dd></>)}
          </dl>
          {id !== me.value?.id && <button class="btn btn-primary" onClick={dm}>{t('profile.message')}</button>}
        </>
      )}
    </aside>
  );
}
