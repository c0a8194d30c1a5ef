// The sidebar: starred, channels and direct messages with unread and mention
// badges, mute and star, drag to reorder starred, and the entry points to dialogs.
import { useState } from 'preact/hooks';
import type { Channel, ID } from '../api/types';
import { t } from '../i18n';
import * as chatStore from '../state/chat';
import { sidebar, type SidebarSection } from '../state/chat-model';
import { channelTitle } from '../state/notify';
import { channelPath, navigate, route } from '../state/router';
import { me, logout } from '../state/session';
import { dialog, sidebarOpen } from '../state/view';
import { Avatar, Icon, PresenceDot } from './common';
import { SearchBox } from './Search';

/** The order channels appear in the sidebar, for keyboard navigation. */
export function sidebarOrder(meId: ID): Channel[] {
  const sb = sidebar(chatStore.chat.value, (c) => channelTitle(c, meId));
  return [...sb.starred, ...sb.channels, ...sb.direct];
}

export function Sidebar({ meId }: { meId: ID }) {
  const sb = sidebar(chatStore.chat.value, (c) => channelTitle(c, meId));
  const r = route.value;
  const current = r.name === 'channel' ? r.channelId : null;
  const u = me.value;
  const sections: [SidebarSection, string][] = [['starred', t('sidebar.starred')], ['channels', t('sidebar.channels')], ['direct', t('sidebar.direct')]];
  return (
    <nav class={'sidebar' + (sidebarOpen.value ? ' open' : '')} aria-label={t('sidebar.label')}>
      <div class="sidebar-top">
        <span class="brand">{t('app.name')}</span>
        <button class="icon-btn" aria-label={t('sidebar.settings')} title={t('sidebar.settings')} onClick={() => (dialog.value = { kind: 'settings' })}><Icon name="gear" /></button>
        <button class="icon-btn only-mobile" aria-label={t('a11y.close')} onClick={() => (sidebarOpen.value = false)}><Icon name="close" /></button>
      </div>
      <button class="switcher-btn" onClick={() => (dialog.value = { kind: 'switcher' })}>
        <Icon name="search" size={16} /> <span>{t('sidebar.switcher')}</span> <kbd>Ctrl K</kbd>
      </button>
      <SearchBox />
      <div class="side-links">
        <button class="link-btn" onClick={() => navigate('/people')}>{t('dir.open')}</button>
        {(u?.role === 'owner' || u?.role === 'admin' || u?.role === 'dept_admin') && (
          <button class="link-btn" onClick={() => navigate('/admin/departments')}>{t('admin.directory')}</button>
        )}
      </div>
      <div class="sidebar-scroll">
        {sections.map(([key, label]) =>
          key === 'starred' && sb.starred.length === 0 ? null : (
            <section key={key} class="side-section" aria-label={label}>
              <h2 class="side-heading">
                <span>{label}</span>
                {key === 'channels' && (
                  <>
                    <button class="icon-btn small" aria-label={t('sidebar.browse')} title={t('sidebar.browse')} onClick={() => (dialog.value = { kind: 'browser' })}><Icon name="search" size={14} /></button>
                    <button class="icon-btn small" aria-label={t('sidebar.create')} title={t('sidebar.create')} onClick={() => (dialog.value = { kind: 'create' })}><Icon name="plus" size={14} /></button>
                  </>
                )}
                {key === 'direct' && (
                  <button class="icon-btn small" aria-label={t('sidebar.new_dm')} title={t('sidebar.new_dm')} onClick={() => (dialog.value = { kind: 'dm' })}><Icon name="plus" size={14} /></button>
                )}
              </h2>
              <ul class="side-list">
                {sb[key].map((c, i) => (
                  <SideItem key={c.id} c={c} meId={meId} active={c.id === current} starredIndex={key === 'starred' ? i : -1} starred={sb.starred} />
                ))}
              </ul>
            </section>
          ),
        )}
      </div>
      {u && (
        <div class="sidebar-me">
          <Avatar userId={u.id} size={28} />
          <span class="me-name" data-uc="">{u.display_name || u.username}</span>
          <a class="link-btn" href="/settings/security" onClick={(e) => { e.preventDefault(); navigate('/settings/security'); }}>{t('security.link')}</a>
          {(u.role === 'owner' || u.role === 'admin') && (
            <a class="link-btn" href="/admin/users" onClick={(e) => { e.preventDefault(); navigate('/admin/users'); }}>{t('admin.link')}</a>
          )}
          <button class="link-btn" onClick={() => void logout()}>{t('login.logout')}</button>
        </div>
      )}
    </nav>
  );
}

function SideItem({ c, meId, active, starredIndex, starred }: { c: Channel; meId: ID; active: boolean; starredIndex: number; starred: Channel[] }) {
  const [over, setOver] = useState(false);
  const [menu, setMenu] = useState(false);
  const m = c.membership;
  const unread = m?.unread_count ?? 0;
  const mentions = m?.mention_count ?? 0;
  const title = channelTitle(c, meId);
  const dmOther = c.kind === 'dm' ? (c.member_ids ?? []).find((id) => id !== meId) ?? meId : undefined;
  const draggable = starredIndex >= 0;
  const label = [title, unread > 0 ? t('sidebar.unread', { n: unread }) : '', mentions > 0 ? t('sidebar.mentions', { n: mentions }) : '', m?.muted ? t('sidebar.muted') : ''].filter(Boolean).join(', ');
  return (
    <li
      class={'side-item' + (active ? ' active' : '') + (unread > 0 && !m?.muted ? ' unread' : '') + (m?.muted ? ' muted' : '') + (over ? ' drop' : '')}
      draggable={draggable}
      data-channel-id={c.id}
      onDragStart={draggable ? (e) => e.dataTransfer?.setData('text/x-parley-star', String(starredIndex)) : undefined}
      onDragOver={draggable ? (e) => { e.preventDefault(); setOver(true); } : undefined}
      onDragLeave={draggable ? () => setOver(false) : undefined}
      onDrop={draggable ? (e) => {
        e.preventDefault();
        setOver(false);
        const from = Number(e.dataTransfer?.getData('text/x-parley-star'));
        if (Number.isFinite(from) && from !== starredIndex) void chatStore.reorderStarred(starred, from, starredIndex);
      } : undefined}
    >
      <a
        href={channelPath(c.id)}
        aria-current={active ? 'page' : undefined}
        aria-label={label}
        onClick={(e) => { e.preventDefault(); navigate(channelPath(c.id)); }}
      >
        {dmOther !== undefined ? <PresenceDot userId={dmOther} /> : <Icon name={c.kind === 'private' ? 'lock' : c.kind === 'group' ? 'users' : 'hash'} size={14} />}
        <span class="side-name" data-uc="">{title}</span>
        {m?.muted && <Icon name="bellOff" size={12} />}
        {mentions > 0 ? <span class="badge badge-mention" aria-hidden="true">{mentions}</span> : unread > 0 && !m?.muted ? <span class="badge" aria-hidden="true">{unread}</span> : null}
      </a>
      {m && (
        <button class="icon-btn small side-more" aria-label={t('sidebar.options', { name: title })} aria-expanded={menu} onClick={() => setMenu(!menu)}>
          <Icon name="more" size={14} />
        </button>
      )}
      {m && menu && (
        <div class="popover menu side-menu" role="menu" onClick={() => setMenu(false)} onKeyDown={(e) => e.key === 'Escape' && setMenu(false)}>
          <button role="menuitem" class="menu-item" onClick={() => void chatStore.setPreferences(c.id, { starred: !m.starred, ...(m.starred ? {} : { star_order: starred.length }) })}>
            {m.starred ? t('sidebar.unstar') : t('sidebar.star')}
          </button>
          <button role="menuitem" class="menu-item" onClick={() => void chatStore.setPreferences(c.id, { muted: !m.muted })}>
            {m.muted ? t('sidebar.unmute') : t('sidebar.mute')}
          </button>
        </div>
      )}
    </li>
  );
}

/** Alt+Up/Down moves between channels; with Shift, between unread ones. */
export function neighbourChannel(meId: ID, current: ID | null, dir: 1 | -1, unreadOnly: boolean): Channel | undefined {
  const list = sidebarOrder(meId);
  const i = list.findIndex((c) => c.id === current);
  for (let k = 1; k <= list.length; k++) {
    const c = list[(i + dir * k + list.length * 2) % list.length];
    if (!c) continue;
    if (!unreadOnly || ((c.membership?.unread_count ?? 0) > 0 && !c.membership?.muted) || (c.membership?.mention_count ?? 0) > 0) return c;
  }
  return undefined;
}
