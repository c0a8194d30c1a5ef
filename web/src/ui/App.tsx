// The application shell: routes between setup, login and the chat layout, and
// owns the global keyboard shortcuts.
import { useEffect } from 'preact/hooks';
import { t } from '../i18n';
import { conn, online } from '../state/connection';
import * as chatStore from '../state/chat';
import { askBanner, dismissAsk, requestPermission } from '../state/notify';
import { channelPath, navigate, route } from '../state/router';
import { me, mustEnrol, phase, unreachable } from '../state/session';
import { applyUpdate, updateReady } from '../state/update';
import { confirmation, dialog, flash, panel, sidebarOpen } from '../state/view';
import { AdminConsole } from './admin/Admin';
import { Login, Setup } from './Auth';
import { InviteAccept } from './Invite';
import { ChannelView } from './ChannelView';
import { AddressBook } from './directory/AddressBook';
import { ConfirmDialog } from './common';
import { Dialogs } from './Dialogs';
import { focusSearch, isEditable } from './Search';
import { SidePanel } from './Panels';
import { EnrolRequired, SecurityPage } from './Security';
import { neighbourChannel, Sidebar, sidebarOrder } from './Sidebar';

export function App() {
  const r = route.value;
  const ph = phase.value;
  if (r.name === 'setup') return <Setup token={r.token} />;
  if (r.name === 'invite' && ph !== 'loading') return <InviteAccept token={r.token} />;
  if (ph === 'loading') {
    // Started without the server (the service worker served the shell): say so, keep retrying.
    const away = unreachable.value || !online.value;
    return (
      <div class="splash-wrap">
        {away && <div class="banner banner-offline" role="status">{t('conn.offline')}</div>}
        <div class="splash" role="status">{away ? t('conn.unreachable') : t('common.loading')}</div>
      </div>
    );
  }
  if (ph === 'anonymous' || !me.value) return <Login />;
  if (mustEnrol.value) return <EnrolRequired />;
  return <Chat meId={me.value.id} />;
}

function Chat({ meId }: { meId: number }) {
  const r = route.value;
  const channelId = r.name === 'channel' ? r.channelId : null;

  // Home: open the first channel.
  useEffect(() => {
    if (r.name === 'home' || r.name === 'login') {
      const first = sidebarOrder(meId)[0];
      if (first) navigate(channelPath(first.id), true);
    }
  }, [r.name, Object.keys(chatStore.chat.value.channels).length]);

  // Global shortcuts.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        dialog.value = dialog.value?.kind === 'switcher' ? null : { kind: 'switcher' };
      } else if (e.altKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
        e.preventDefault();
        const c = neighbourChannel(meId, channelId, e.key === 'ArrowUp' ? -1 : 1, e.shiftKey);
        if (c) navigate(channelPath(c.id));
      } else if (e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !isEditable(e.target) && !dialog.value && !confirmation.value) {
        // "/" searches, as in many web apps; Ctrl/Cmd+F is left to the browser's find.
        e.preventDefault();
        focusSearch();
      } else if (e.key === 'Escape' && !dialog.value && !confirmation.value && panel.value) {
        panel.value = null;
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [meId, channelId]);

  const offline = !online.value || conn.value === 'offline';
  return (
    <div class={'layout' + (panel.value ? ' with-panel' : '')}>
      <a class="skip-link" href="#main">{t('a11y.skip')}</a>
      {offline && <div class="banner banner-offline" role="status">{t('conn.offline')}</div>}
      {!offline && conn.value === 'connecting' && <div class="banner banner-info" role="status">{t('conn.reconnecting')}</div>}
      {updateReady.value && (
        <div class="banner banner-info banner-update" role="status">
          <span>{t('update.ready')}</span>
          <button class="btn btn-primary" onClick={applyUpdate}>{t('update.reload')}</button>
        </div>
      )}
      {askBanner.value && (
        <div class="banner banner-info" role="region" aria-label={t('settings.notifications')}>
          <span>{t('notify.prompt')}</span>
          <button class="btn btn-primary" onClick={() => void requestPermission()}>{t('notify.enable')}</button>
          <button class="btn" onClick={dismissAsk}>{t('notify.later')}</button>
        </div>
      )}
      <Sidebar meId={meId} />
      {sidebarOpen.value && <div class="scrim only-mobile" onClick={() => (sidebarOpen.value = false)} />}
      {r.name === 'people' ? <AddressBook /> : r.name === 'security' ? <SecurityPage /> : r.name === 'admin' ? <AdminConsole section={r.section} /> : channelId !== null ? (
        <ChannelView channelId={channelId} seq={r.name === 'channel' ? r.seq : null} meId={meId} />
      ) : (
        <main class="main empty-state" id="main"><p>{t('channel.select')}</p></main>
      )}
      <SidePanel meId={meId} />
      <Dialogs meId={meId} />
      <ConfirmDialog />
      {(flash.value || chatStore.notice.value) && (
        <div class="toast" role="status" onClick={() => { flash.value = null; chatStore.notice.value = null; }}>{flash.value ?? chatStore.notice.value}</div>
      )}
    </div>
  );
}
