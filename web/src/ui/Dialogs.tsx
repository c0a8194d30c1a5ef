// Dialogs: quick switcher, channel browser, create channel, new DM, invite,
// profile card, read receipts, settings.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client';
import type { Channel, EditEntry, ID, Message, Receipts, User } from '../api/types';
import { formatDateTime, locale, t, type Locale } from '../i18n';
import * as chatStore from '../state/chat';
import { displayName, users, presence } from '../state/directory';
import { channelTitle, permission, requestPermission, setSound, soundOn } from '../state/notify';
import { channelPath, navigate } from '../state/router';
import { changeLocale, me } from '../state/session';
import { setTheme, theme, type ThemePref } from '../state/theme';
import { dialog } from '../state/view';
import { Avatar, Icon, Modal, PresenceDot } from './common';
import { Markdown } from './Markdown';

const close = () => (dialog.value = null);

export function Dialogs({ meId }: { meId: ID }) {
  const d = dialog.value;
  if (!d) return null;
  switch (d.kind) {
    case 'switcher': return <Switcher meId={meId} />;
    case 'browser': return <Browser />;
    case 'create': return <CreateChannel />;
    case 'dm': return <PeoplePicker meId={meId} title={t('dm.title')} submit={t('dm.start')} max={15} onSubmit={async (ids) => {
      const c = await api.openDM(ids);
      chatStore.putChannel(c);
      navigate(channelPath(c.id));
    }} />;
    case 'invite': {
      const c = chatStore.chat.value.channels[d.channelId];
      return <PeoplePicker meId={meId} title={t('invite.title', { name: c ? '#' + c.name : '' })} submit={t('invite.submit')} max={100} exclude={c?.member_ids} onSubmit={async (ids) => {
        await api.invite(d.channelId, ids);
      }} />;
    }
    case 'profile': return <Profile userId={d.userId} meId={meId} />;
    case 'receipts': return <ReceiptsDialog messageId={d.messageId} channelId={d.channelId} meId={meId} />;
    case 'history': return <EditHistory messageId={d.messageId} />;
    case 'settings': return <Settings />;
  }
}

function Switcher({ meId }: { meId: ID }) {
  const [q, setQ] = useState('');
  const [sel, setSel] = useState(0);
  const items = useMemo(() => {
    const s = q.trim().toLowerCase();
    const chans = Object.values(chatStore.chat.value.channels)
      .map((c) => ({ key: 'c' + c.id, label: channelTitle(c, meId), channel: c as Channel | null, user: null as User | null }))
      .filter((x) => x.label.toLowerCase().includes(s));
    const people = [...users.value.values()]
      .filter((u) => u.id !== meId && u.active && (u.username.toLowerCase().includes(s) || u.display_name.toLowerCase().includes(s)))
      .slice(0, 8)
      .map((u) => ({ key: 'u' + u.id, label: u.display_name || u.username, channel: null, user: u }));
    return [...chans.sort((a, b) => (b.channel!.membership?.unread_count ?? 0) - (a.channel!.membership?.unread_count ?? 0)), ...people].slice(0, 20);
  }, [q]);
  const open = async (i: number) => {
    const it = items[i];
    if (!it) return;
    close();
    if (it.channel) navigate(channelPath(it.channel.id));
    else if (it.user) {
      const c = await api.openDM([it.user.id]);
      chatStore.putChannel(c);
      navigate(channelPath(c.id));
    }
  };
  return (
    <Modal title={t('switcher.title')} onClose={close}>
      <input class="input" type="search" value={q} placeholder={t('switcher.placeholder')} aria-label={t('switcher.placeholder')}
        aria-controls="switcher-list" aria-activedescendant={items[sel] ? 'sw-' + items[sel]!.key : undefined}
        onInput={(e) => { setQ(e.currentTarget.value); setSel(0); }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') { e.preventDefault(); setSel(Math.min(sel + 1, items.length - 1)); }
          if (e.key === 'ArrowUp') { e.preventDefault(); setSel(Math.max(sel - 1, 0)); }
          if (e.key === 'Enter') { e.preventDefault(); void open(sel); }
        }} />
      <ul class="pick-list" id="switcher-list" role="listbox" aria-label={t('switcher.title')}>
        {items.length === 0 && <li class="muted">{t('switcher.empty')}</li>}
        {items.map((it, i) => (
          <li key={it.key} id={'sw-' + it.key} role="option" aria-selected={i === sel} class={i === sel ? 'active' : ''} onClick={() => void open(i)}>
            {it.user ? <PresenceDot userId={it.user.id} /> : <Icon name={it.channel?.kind === 'private' ? 'lock' : 'hash'} size={14} />}
            <span data-uc="">{it.label}</span>
            {(it.channel?.membership?.unread_count ?? 0) > 0 && <span class="badge">{it.channel!.membership!.unread_count}</span>}
          </li>
        ))}
      </ul>
    </Modal>
  );
}

function Browser() {
  const [q, setQ] = useState('');
  const [list, setList] = useState<Channel[] | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => api.browse(q, 100).then((r) => setList(r.channels), () => setList([])), 200);
    return () => clearTimeout(timer);
  }, [q]);
  const mine = chatStore.chat.value.channels;
  return (
    <Modal title={t('browser.title')} onClose={close} wide>
      <input class="input" type="search" value={q} placeholder={t('browser.search')} aria-label={t('browser.search')} onInput={(e) => setQ(e.currentTarget.value)} />
      <ul class="pick-list">
        {list === null && <li class="muted">{t('common.loading')}</li>}
        {list?.length === 0 && <li class="muted">{t('browser.empty')}</li>}
        {list?.map((c) => (
          <li key={c.id} class="browse-item">
            <div>
              <strong data-uc="">#{c.name}</strong> <span class="muted">{t('channel.members', { n: c.member_count })}</span>
              {c.topic && <p class="muted" data-uc="">{c.topic}</p>}
            </div>
            {mine[c.id] ? (
              <button class="btn" onClick={() => { close(); navigate(channelPath(c.id)); }}>{t('browser.open')}</button>
            ) : (
              <button class="btn btn-primary" onClick={() => void api.join(c.id).then((ch) => { chatStore.putChannel(ch ?? c); close(); navigate(channelPath(c.id)); }, () => {})}>{t('browser.join')}</button>
            )}
          </li>
        ))}
      </ul>
    </Modal>
  );
}

function CreateChannel() {
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [priv, setPriv] = useState(false);
  const [err, setErr] = useState('');
  return (
    <Modal title={t('create.title')} onClose={close}>
      <form class="form" onSubmit={async (e) => {
        e.preventDefault();
        try {
          const c = await api.createChannel({ name: name.trim(), kind: priv ? 'private' : 'public', ...(topic.trim() ? { topic: topic.trim() } : {}) });
          chatStore.putChannel(c);
          close();
          navigate(channelPath(c.id));
        } catch (x) {
          setErr(x instanceof Error ? x.message : String(x));
        }
      }}>
        <label>{t('create.name')}<input class="input" required maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
        <label>{t('create.topic')}<input class="input" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} /></label>
        <label class="check"><input type="checkbox" checked={priv} onChange={(e) => setPriv(e.currentTarget.checked)} /> {t('create.private')}</label>
        <p class="muted small">{t('create.private_hint')}</p>
        {err && <p class="error-text" role="alert">{err}</p>}
        <div class="form-actions">
          <button type="button" class="btn" onClick={close}>{t('common.cancel')}</button>
          <button type="submit" class="btn btn-primary" disabled={!name.trim()}>{t('common.create')}</button>
        </div>
      </form>
    </Modal>
  );
}

function PeoplePicker(p: { meId: ID; title: string; submit: string; max: number; exclude?: ID[] | undefined; onSubmit(ids: ID[]): Promise<void> }) {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<ID[]>([]);
  const [err, setErr] = useState('');
  const [found, setFound] = useState<User[]>([]);
  useEffect(() => {
    const timer = setTimeout(() => api.users(q, 30).then((r) => setFound(r.users), () => {}), 150);
    return () => clearTimeout(timer);
  }, [q]);
  const list = found.filter((u) => u.id !== p.meId && u.active && !p.exclude?.includes(u.id));
  const toggle = (id: ID) => setPicked(picked.includes(id) ? picked.filter((x) => x !== id) : [...picked, id]);
  return (
    <Modal title={p.title} onClose={close}>
      <input class="input" type="search" value={q} placeholder={t('dm.search')} aria-label={t('dm.search')} onInput={(e) => setQ(e.currentTarget.value)} />
      {picked.length > 0 && (
        <div class="chips">{picked.map((id) => <button key={id} class="chip" onClick={() => toggle(id)} data-uc="">{displayName(id)} ×</button>)}</div>
      )}
      <ul class="pick-list">
        {list.map((u) => (
          <li key={u.id}>
            <label class="check">
              <input type="checkbox" checked={picked.includes(u.id)} onChange={() => toggle(u.id)} />
              <Avatar userId={u.id} size={22} /> <span data-uc="">{u.display_name || u.username}</span> <span class="muted" data-uc="">@{u.username}</span>
            </label>
          </li>
        ))}
      </ul>
      {picked.length > p.max && <p class="error-text">{t('dm.too_many')}</p>}
      {err && <p class="error-text" role="alert">{err}</p>}
      <div class="form-actions">
        <button class="btn" onClick={close}>{t('common.cancel')}</button>
        <button class="btn btn-primary" disabled={picked.length === 0 || picked.length > p.max}
          onClick={() => void p.onSubmit(picked).then(close, (x: unknown) => setErr(x instanceof Error ? x.message : String(x)))}>{p.submit}</button>
      </div>
    </Modal>
  );
}

function Profile({ userId, meId }: { userId: ID; meId: ID }) {
  const u = users.value.get(userId);
  const status = presence.value.get(userId) ?? 'offline';
  let local = '';
  if (u?.time_zone) {
    try {
      local = new Intl.DateTimeFormat(locale.value, { timeZone: u.time_zone, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(new Date());
    } catch { local = ''; }
  }
  return (
    <Modal title={u ? u.display_name || u.username : '…'} onClose={close}>
      {u && (
        <div class="profile">
          <div class="profile-top">
            <Avatar userId={u.id} size={64} />
            <div>
              <p class="profile-name" data-uc="">{u.display_name || u.username}</p>
              <p><PresenceDot userId={u.id} /> {t(`presence.${status}`)}</p>
              {u.status_text && <p class="muted" data-uc="">{u.status_text}</p>}
            </div>
          </div>
          <dl class="profile-facts">
            <dt>{t('profile.username')}</dt><dd data-uc="">@{u.username}</dd>
            <dt>{t('profile.email')}</dt><dd data-uc="">{u.email}</dd>
            <dt>{t('profile.role')}</dt><dd>{t(`role.${u.role}`)}</dd>
            {local && <><dt>{t('profile.local_time')}</dt><dd>{local}</dd></>}
          </dl>
          {u.id !== meId && (
            <button class="btn btn-primary" onClick={() => void api.openDM([u.id]).then((c) => { chatStore.putChannel(c); close(); navigate(channelPath(c.id)); }, () => {})}>{t('profile.message')}</button>
          )}
        </div>
      )}
    </Modal>
  );
}

function ReceiptsDialog({ messageId, channelId, meId }: { messageId: ID; channelId: ID; meId: ID }) {
  const [r, setR] = useState<Receipts | null>(null);
  const [err, setErr] = useState('');
  const reads = chatStore.chat.value.reads[channelId];
  useEffect(() => {
    api.receipts(messageId).then(setR, (e: unknown) => setErr(e instanceof ApiError && e.code === 'channel_too_large_for_receipts' ? t('msg.receipts_too_large') : e instanceof Error ? e.message : String(e)));
  }, [messageId, reads]);
  const names = (ids: ID[]) => ids.filter((id) => id !== meId);
  return (
    <Modal title={t('msg.receipts')} onClose={close}>
      {err ? <p class="error-text">{err}</p> : !r ? <p class="muted">{t('common.loading')}</p> : (
        <div class="receipts" data-testid="receipts">
          <p class="receipts-summary">{t('msg.receipts_summary', { read: names(r.read).length, unread: names(r.unread).length })}</p>
          <div class="receipts-cols">
            <section><h3>{t('msg.receipts_read')}</h3><ul>{names(r.read).map((id) => <li key={id}><Avatar userId={id} size={20} /> <span data-uc="">{displayName(id)}</span></li>)}</ul></section>
            <section><h3>{t('msg.receipts_unread')}</h3><ul>{names(r.unread).map((id) => <li key={id}><Avatar userId={id} size={20} /> <span data-uc="">{displayName(id)}</span></li>)}</ul></section>
          </div>
        </div>
      )}
    </Modal>
  );
}

/** Earlier texts of an edited message, oldest first, then the current one. */
function EditHistory({ messageId }: { messageId: ID }) {
  const [edits, setEdits] = useState<EditEntry[] | null>(null);
  const [current, setCurrent] = useState<Message | null>(null);
  const [err, setErr] = useState('');
  useEffect(() => {
    const fail = (e: unknown) => setErr(e instanceof Error ? e.message : String(e));
    api.edits(messageId).then((r) => setEdits(r.edits), fail);
    api.message(messageId).then(setCurrent, fail);
  }, [messageId]);
  return (
    <Modal title={t('msg.history')} onClose={close} wide>
      {err ? <p class="error-text" role="alert">{err}</p> : !edits || !current ? <p class="muted">{t('common.loading')}</p> : (
        <ol class="edit-history" data-testid="edit-history">
          {edits.map((e, i) => (
            <li key={i} class="edit-entry">
              <p class="muted small">{t('msg.history_version', { n: i + 1 })}{e.edited_at ? ' · ' + t('msg.history_replaced', { time: formatDateTime(e.edited_at) }) : ''}</p>
              <Markdown text={e.text} />
            </li>
          ))}
          <li class="edit-entry edit-current">
            <p class="muted small">{t('msg.history_current')}{current.edited_at ? ' · ' + formatDateTime(current.edited_at) : ''}</p>
            <Markdown text={current.text} />
          </li>
        </ol>
      )}
    </Modal>
  );
}

function Settings() {
  const u = me.value;
  const [name, setName] = useState(u?.display_name ?? '');
  const [status, setStatus] = useState(u?.status_text ?? '');
  return (
    <Modal title={t('settings.title')} onClose={close}>
      <div class="form">
        <label>{t('settings.language')}
          <select class="input" value={locale.value} onChange={(e) => changeLocale(e.currentTarget.value as Locale)}>
            <option value="zh-CN">简体中文</option>
            <option value="en">English</option>
          </select>
        </label>
        <label>{t('settings.theme')}
          <select class="input" value={theme.value} onChange={(e) => setTheme(e.currentTarget.value as ThemePref)}>
            <option value="system">{t('settings.theme_system')}</option>
            <option value="light">{t('settings.theme_light')}</option>
            <option value="dark">{t('settings.theme_dark')}</option>
          </select>
        </label>
        <fieldset>
          <legend>{t('settings.notifications')}</legend>
          {permission.value === 'granted' ? <p>{t('settings.notif_on')}</p> : permission.value === 'denied' ? <p class="muted">{t('settings.notif_denied')}</p> : permission.value === 'default' ? (
            <button class="btn" onClick={() => void requestPermission()}>{t('settings.notif_enable')}</button>
          ) : null}
          <label class="check"><input type="checkbox" checked={soundOn.value} onChange={(e) => setSound(e.currentTarget.checked)} /> {t('settings.sound')}</label>
        </fieldset>
        <fieldset>
          <legend>{t('settings.profile')}</legend>
          <label>{t('settings.display_name')}<input class="input" value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
          <label>{t('settings.status')}<input class="input" value={status} onInput={(e) => setStatus(e.currentTarget.value)} /></label>
          <div class="form-actions">
            <button class="btn btn-primary" onClick={() => void api.updateMe({ display_name: name, status_text: status }).then((nu) => { me.value = nu; users.value = new Map(users.value).set(nu.id, nu); }, () => {})}>{t('common.save')}</button>
          </div>
        </fieldset>
      </div>
    </Modal>
  );
}
