// The right-hand panel: a thread, the channel's pinned messages, files or members, or search results.
import { useEffect, useState } from 'preact/hooks';
import { api, downloadUrl } from '../api/client';
import type { ChannelRole, FileInfo, ID, Member, Message } from '../api/types';
import { formatBytes, formatDateTime, t } from '../i18n';
import * as chatStore from '../state/chat';
import { findMessage } from '../state/chat-model';
import { displayName } from '../state/directory';
import { me } from '../state/session';
import { dialog, panel, showUsers } from '../state/view';
import { Composer } from './Composer';
import { Avatar, Icon, PresenceDot } from './common';
import { MessageRow, PendingRow } from './MessageRow';
import { SearchResults } from './Search';

export function SidePanel({ meId }: { meId: ID }) {
  const p = panel.value;
  if (!p) return null;
  const title = p.kind === 'thread' ? t('thread.title') : p.kind === 'pins' ? t('channel.pins') : p.kind === 'files' ? t('files.title') : p.kind === 'members' ? t('members.title') : t('search.title');
  return (
    <aside class="panel" aria-label={title}
      onKeyDown={(e) => e.key === 'Escape' && (panel.value = null)}>
      <header class="panel-head">
        <h2>{title}</h2>
        <button class="icon-btn" aria-label={p.kind === 'thread' ? t('thread.close') : t('common.close')} onClick={() => (panel.value = null)}><Icon name="close" /></button>
      </header>
      {p.kind === 'thread' ? <Thread channelId={p.channelId} rootId={p.rootId} meId={meId} />
        : p.kind === 'pins' ? <Pins channelId={p.channelId} meId={meId} />
        : p.kind === 'files' ? <Files key={p.channelId} channelId={p.channelId} />
        : p.kind === 'members' ? <Members key={p.channelId} channelId={p.channelId} meId={meId} />
        : <SearchResults meId={meId} />}
    </aside>
  );
}

const ROLES: ChannelRole[] = ['owner', 'admin', 'member', 'readonly'];

/** The channel's members with their presence; channel admins change roles here. */
function Members({ channelId, meId }: { channelId: ID; meId: ID }) {
  const channel = chatStore.chat.value.channels[channelId];
  const [list, setList] = useState<Member[] | null>(null);
  const [err, setErr] = useState('');
  const reload = () => api.members(channelId).then((r) => setList(r.members), (e: unknown) => setErr(e instanceof Error ? e.message : String(e)));
  useEffect(() => {
    void reload();
    const off = chatStore.onChatEvent((ev) => {
      if ((ev.type === 'member.joined' || ev.type === 'member.left' || ev.type === 'member.updated') && ev.data.channel_id === channelId) void reload();
    });
    return () => { off(); showUsers('members', null); };
  }, [channelId]);
  useEffect(() => showUsers('members', list ? list.map((m) => m.user_id) : null), [list]);
  const myRole = channel?.membership?.role;
  const orgAdmin = me.value?.role === 'owner' || me.value?.role === 'admin';
  const canManage = myRole === 'owner' || myRole === 'admin' || orgAdmin;
  const canMakeOwner = myRole === 'owner' || orgAdmin;
  const change = async (m: Member, role: ChannelRole) => {
    setErr('');
    try {
      const updated = await api.setMemberRole(channelId, m.user_id, role);
      setList((l) => l?.map((x) => (x.user_id === updated.user_id ? updated : x)) ?? l);
    } catch (e) {
      setErr(e instanceof Error ? e.message : String(e));
      void reload();
    }
  };
  return (
    <div class="panel-body members">
      {err && <p class="error-text" role="alert">{err}</p>}
      {list === null ? <p class="muted">{t('common.loading')}</p> : (
        <ul class="member-list">
          {list.map((m) => {
            const name = displayName(m.user_id);
            return (
              <li key={m.user_id} class="member-item">
                <button class="member-who" onClick={() => (dialog.value = { kind: 'profile', userId: m.user_id })}>
                  <Avatar userId={m.user_id} size={24} />
                  <PresenceDot userId={m.user_id} />
                  <span data-uc="">{name}</span>
                </button>
                {canManage && m.user_id !== meId && (m.role !== 'owner' || canMakeOwner) ? (
                  <select class="input role-select" value={m.role} aria-label={t('members.role_of', { name })} onChange={(e) => void change(m, e.currentTarget.value as ChannelRole)}>
                    {ROLES.filter((r) => r !== 'owner' || canMakeOwner).map((r) => <option key={r} value={r}>{t(`channel_role.${r}`)}</option>)}
                  </select>
                ) : (
                  <span class="muted small">{t(`channel_role.${m.role}`)}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

function Thread({ channelId, rootId, meId }: { channelId: ID; rootId: ID; meId: ID }) {
  const s = chatStore.chat.value;
  const channel = s.channels[channelId];
  const [fetched, setFetched] = useState<Message | null>(null);
  const root = findMessage(s, channelId, rootId) ?? fetched;
  const replies = s.threads[rootId];

  useEffect(() => {
    chatStore.viewing.value = { ...chatStore.viewing.value, threadRootId: rootId };
    void chatStore.loadThread(rootId);
    if (!findMessage(chatStore.chat.value, channelId, rootId)) void chatStore.fetchMessage(rootId).then(setFetched, () => {});
    return () => (chatStore.viewing.value = { ...chatStore.viewing.value, threadRootId: null });
  }, [rootId]);

  const pending = s.outbox.filter((o) => o.root_id === rootId);
  const authors = [root?.author_id ?? 0, ...(replies?.messages ?? []).map((m) => m.author_id)].filter((id) => id > 0);
  useEffect(() => showUsers('thread', authors), [authors.join(',')]);
  useEffect(() => () => showUsers('thread', null), []);
  if (!channel || !root) return <p class="panel-body muted">{t('common.loading')}</p>;
  const plain = { showDate: false, grouped: false, firstUnread: false, highlight: false, inThread: true };
  return (
    <>
      <div class="panel-body thread-list" role="log" aria-label={t('thread.title')}>
        <MessageRow m={root} channel={channel} flags={plain} meId={meId} />
        <div class="thread-count">{t('msg.replies', { n: root.reply_count })}</div>
        {(replies?.messages ?? []).map((m) => <MessageRow key={m.id} m={m} channel={channel} flags={plain} meId={meId} />)}
        {pending.map((o) => <PendingRow key={o.client_id} o={o} />)}
      </div>
      <Composer channel={channel} meId={meId} rootId={rootId} placeholder={t('composer.reply_placeholder')} />
    </>
  );
}

function Pins({ channelId, meId }: { channelId: ID; meId: ID }) {
  const channel = chatStore.chat.value.channels[channelId];
  const [pins, setPins] = useState<Message[] | null>(null);
  // Reload whenever a message in this channel changes (pin, unpin, edit).
  const tl = chatStore.chat.value.timelines[channelId];
  useEffect(() => {
    api.pins(channelId).then((r) => setPins(r.messages), () => setPins([]));
  }, [channelId, tl]);
  if (!channel) return null;
  const plain = { showDate: false, grouped: false, firstUnread: false, highlight: false, inThread: true };
  return (
    <div class="panel-body">
      {pins === null ? <p class="muted">{t('common.loading')}</p> : pins.length === 0 ? <p class="muted">{t('channel.no_pins')}</p> : pins.map((m) => <MessageRow key={m.id} m={m} channel={channel} flags={plain} meId={meId} />)}
    </div>
  );
}

/** The channel's files, newest first, a page at a time; reloaded when the channel gets a new message. */
function Files({ channelId }: { channelId: ID }) {
  const channel = chatStore.chat.value.channels[channelId];
  const [files, setFiles] = useState<FileInfo[] | null>(null);
  const [cursor, setCursor] = useState('');
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const load = async (from: string) => {
    setLoading(true);
    try {
      const page = await api.channelFiles(channelId, from);
      setFiles((prev) => (from && prev ? [...prev, ...page.files] : page.files));
      setCursor(page.next_cursor);
      setError('');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setFiles((prev) => prev ?? []);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(''), [channelId, channel?.last_seq]);
  return (
    <div class="panel-body files-panel">
      {error && <p class="error-text" role="alert">{error}</p>}
      {files === null ? <p class="muted">{t('common.loading')}</p> : files.length === 0 && !error ? <p class="muted">{t('files.empty')}</p> : (
        <ul class="file-list" aria-label={t('files.open_panel')}>
          {files.map((f) => (
            <li key={f.id} class="file-item">
              {f.preview === 'image' && f.has_thumbnail ? (
                <img class="file-thumb" src={f.thumbnail_url} alt="" width={40} height={40} loading="lazy" />
              ) : (
                <span class="file-thumb file-thumb-icon" aria-hidden="true"><Icon name="file" /></span>
              )}
              <span class="file-text">
                <a class="file-name" href={f.preview ? f.url : downloadUrl(f.url)} target={f.preview ? '_blank' : undefined} rel="noopener noreferrer" data-uc="">{f.name}</a>
                <span class="muted small">{formatBytes(f.size)} · <span data-uc="">{t('files.by', { name: displayName(f.uploader_id) })}</span> · {formatDateTime(f.created_at)}</span>
              </span>
              <a class="icon-btn" href={downloadUrl(f.url)} download={f.name} aria-label={t('files.download_name', { name: f.name })} title={t('files.download')}><Icon name="download" /></a>
            </li>
          ))}
        </ul>
      )}
      {cursor && (
        <div class="edge">
          <button class="btn" disabled={loading} onClick={() => void load(cursor)}>{loading ? t('common.loading') : t('files.more')}</button>
        </div>
      )}
    </div>
  );
}
