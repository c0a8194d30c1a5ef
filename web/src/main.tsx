// Entry point: theme, session boot, realtime connection, notifications.
import { render } from 'preact';
import { effect } from '@preact/signals';
import './styles/tokens.css';
import './styles/app.css';
import './styles/admin.css';
import { locale } from './i18n';
import * as chatStore from './state/chat';
import { startConnection, stopConnection, sendPresence } from './state/connection';
import { loadDirectory } from './state/directory';
import { startNotifications } from './state/notify';
import { boot, setSessionHooks } from './state/session';
import { applyTheme } from './state/theme';
import { registerServiceWorker } from './state/update';
import { App } from './ui/App';
import { navigate } from './state/router';

applyTheme();
effect(() => {
  document.documentElement.lang = locale.value;
});

async function loadState(): Promise<void> {
  await Promise.all([chatStore.loadChannels(), loadDirectory().catch(() => {})]);
}

setSessionHooks(
  async (u) => {
    chatStore.resetChat(u.id);
    await loadState();
    startConnection(loadState);
  },
  () => {
    stopConnection();
    chatStore.resetChat(0);
    // The query stays: an SSO sign-in comes back to /?sso_error=CODE or
    // /?sso_2fa=1, which the login page reads.
    if (location.pathname !== '/login' && !location.pathname.startsWith('/setup') && !location.pathname.startsWith('/invite/')) navigate('/login' + location.search, true);
  },
);

startNotifications();
document.addEventListener('visibilitychange', () => sendPresence(document.hidden ? 'away' : 'online'));

render(<App />, document.getElementById('app')!);
void boot();

// The service worker keeps the app shell for offline start (src/sw/sw.ts).
if (import.meta.env.PROD) registerServiceWorker();
