// A channel: header, virtualised history with date separators, grouping, the
// "new messages" line, permalinks, typing indicator and the composer.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Channel, ID } from '../api/types';
import { t } from '../i18n';
import { api } from '../api/client';
import * as chatStore from '../state/chat';
import { displayName, typing } from '../state/directory';
import { channelTitle } from '../state/notify';
import { channelPath, navigate } from '../state/router';
import { dialog, panel, showUsers, sidebarOpen } from '../state/view';
import { Composer } from './Composer';
import { Icon, PresenceDot } from './common';
import { MessageRow, PendingRow } from './MessageRow';
import { VirtualList, type VirtualListHandle, type VisibleRange } from './VirtualList';

import { buildRows } from './rows';

export function ChannelView({ channelId, seq, meId }: { channelId: ID; seq: number | null; meId: ID }) {
  const state = chatStore.chat.value;
  const channel = state.channels[channelId];
  const [preview, setPreview] = useState<Channel | null>(null);
  const [missing, setMissing] = useState(false);
  const c = channel ?? preview;

  // Not a member: preview a public channel.
  useEffect(() => {
    setMissing(false);
    if (channel) return;
    setPreview(null);
    api.channel(channelId).then(setPreview, () => setMissing(true));
  }, [channelId, !!channel]);

  useEffect(() => {
    chatStore.viewing.value = { ...chatStore.viewing.value, channelId };
    sidebarOpen.value = false;
    return () => (chatStore.viewing.value = { ...chatStore.viewing.value, channelId: null });
  }, [channelId]);

  if (missing) return <main class="main empty-state" id="main"><p>{t('channel.not_found')}</p></main>;
  if (!c) return <main class="main empty-state" id="main"><p>{t('common.loading')}</p></main>;
  return <ChannelLoaded key={channelId} channel={c} seq={seq} meId={meId} />;
}

function ChannelLoaded({ channel, seq, meId }: { channel: Channel; seq: number | null; meId: ID }) {
  const s = chatStore.chat.value;
  const tl = s.timelines[channel.id];
  const list = useRef<VirtualListHandle>(null);
  // The "new messages" line stays where it was when the channel was opened.
  const [lineAfter] = useState(() => (channel.membership && channel.membership.unread_count > 0 ? channel.membership.last_read_seq : -1));
  const [highlight, setHighlight] = useState<number | null>(seq);
  const [atBottom, setAtBottom] = useState(true);
  const [lineVisible, setLineVisible] = useState(false);
  const scrolledFor = useRef<number | null | undefined>(undefined);
  useEffect(() => () => showUsers('history', null), [channel.id]);

  // Load: a permalink loads around its seq, otherwise the newest page.
  useEffect(() => {
    if (seq !== null) {
      const have = tl?.messages.some((m) => m.seq === seq);
      if (!have) void chatStore.loadAround(channel.id, seq);
      setHighlight(seq);
      scrolledFor.current = undefined;
    } else if (!tl) {
      void chatStore.loadLatest(channel.id);
    }
  }, [channel.id, seq, !tl]);

  const pending = useMemo(() => s.outbox.filter((o) => o.channel_id === channel.id && (o.root_id === 0 || o.also_in_channel)), [s.outbox, channel.id]);
  const rows = useMemo(
    () => buildRows(tl?.messages ?? [], pending, { lineAfterSeq: lineAfter, meId, highlightSeq: highlight, hasMoreBefore: tl?.hasMoreBefore ?? false, hasMoreAfter: tl?.hasMoreAfter ?? false }),
    [tl, pending, lineAfter, meId, highlight],
  );

  // Scroll to the permalinked message once it is loaded.
  useEffect(() => {
    if (seq === null || scrolledFor.current === seq) return;
    const i = rows.findIndex((r) => r.kind === 'msg' && r.m.seq === seq);
    if (i < 0) return;
    scrolledFor.current = seq;
    requestAnimationFrame(() => list.current?.scrollToIndex(i, 'center'));
    const timer = setTimeout(() => setHighlight(null), 4000);
    return () => clearTimeout(timer);
  }, [rows, seq]);

  const keyAt = useCallback((i: number) => {
    const r = rows[i]!;
    return r.kind === 'msg' ? r.m.id : r.kind === 'pending' ? 'p:' + r.o.client_id : 'e:' + r.which;
  }, [rows]);

  const renderRow = useCallback((i: number) => {
    const r = rows[i]!;
    if (r.kind === 'msg') return <MessageRow m={r.m} channel={channel} flags={r.flags} meId={meId} />;
    if (r.kind === 'pending') return <PendingRow o={r.o} />;
    const more = r.which === 'top' ? tl?.hasMoreBefore : tl?.hasMoreAfter;
    if (r.which === 'top' && !more) {
      return tl ? <ChannelIntro channel={channel} meId={meId} empty={tl.messages.length === 0} /> : <div class="edge">{t('common.loading')}</div>;
    }
    return (
      <div class="edge">
        <button class="link-btn" onClick={() => void (r.which === 'top' ? chatStore.loadOlder(channel.id) : chatStore.loadNewer(channel.id))}>
          {r.which === 'top' ? t('msg.load_older') : t('msg.load_newer')}
        </button>
      </div>
    );
  }, [rows, channel, meId, tl]);

  const onRange = useCallback((r: VisibleRange) => {
    setAtBottom(r.atBottom && !(tl?.hasMoreAfter ?? false));
    // Fetch the next page well before the edge so fast scrolling rarely reaches it.
    if (r.start <= 15 && tl?.hasMoreBefore) void chatStore.loadOlder(channel.id);
    if (r.end >= rows.length - 15 && tl?.hasMoreAfter) void chatStore.loadNewer(channel.id);
    let seen = false;
    const authors: ID[] = [];
    for (let i = r.start; i <= r.end; i++) {
      const row = rows[i];
      if (row?.kind === 'msg') {
        if (row.flags.firstUnread) seen = true;
        if (!authors.includes(row.m.author_id)) authors.push(row.m.author_id);
      }
    }
    setLineVisible(seen);
    showUsers('history', authors);
    if (r.atBottom && !tl?.hasMoreAfter && document.visibilityState === 'visible') chatStore.markRead(channel.id);
  }, [rows, tl, channel.id]);

  // New messages while at the bottom and visible are read at once.
  useEffect(() => {
    if (atBottom && !tl?.hasMoreAfter && document.visibilityState === 'visible') chatStore.markRead(channel.id);
  }, [channel.last_seq, atBottom]);
  useEffect(() => {
    const on = () => document.visibilityState === 'visible' && list.current?.isAtBottom() && chatStore.markRead(channel.id);
    document.addEventListener('visibilitychange', on);
    addEventListener('focus', on);
    return () => {
      document.removeEventListener('visibilitychange', on);
      removeEventListener('focus', on);
    };
  }, [channel.id]);

  function jumpToUnread(): void {
    const i = rows.findIndex((r) => r.kind === 'msg' && r.flags.firstUnread);
    if (i >= 0) list.current?.scrollToIndex(i, 'start');
    else if (lineAfter >= 0) navigate(channelPath(channel.id, lineAfter + 1));
  }

  function jumpToLatest(): void {
    if (tl?.hasMoreAfter) {
      navigate(channelPath(channel.id), true);
      void chatStore.loadLatest(channel.id).then(() => list.current?.scrollToBottom());
    } else list.current?.scrollToBottom();
  }

  const title = channelTitle(channel, meId);
  const placeholder = t('composer.placeholder', { name: channel.kind === 'public' || channel.kind === 'private' ? '#' + title : title });

  return (
    <main class="main" id="main" aria-label={t('a11y.main')}>
      <ChannelHeader channel={channel} meId={meId} />
      <div class="history">
        {lineAfter >= 0 && !lineVisible && (
          <button class="jump-pill jump-unread" onClick={jumpToUnread}>{t('msg.jump_unread')}</button>
        )}
        <VirtualList
          handle={list}
          count={rows.length}
          keyAt={keyAt}
          renderRow={renderRow}
          estimate={56}
          onRange={onRange}
          label={t('msg.list')}
          className="history-list"
        />
        {!atBottom && (
          <button class="jump-pill jump-latest" onClick={jumpToLatest}><Icon name="down" size={14} /> {t('msg.jump_latest')}</button>
        )}
      </div>
      <TypingLine channelId={channel.id} meId={meId} />
      {channel.membership ? (
        <Composer channel={channel} meId={meId} placeholder={placeholder} />
      ) : (
        <div class="composer-note">
          <span>{t('channel.not_member')}</span>
          <button class="btn btn-primary" onClick={() => void api.join(channel.id).then(chatStore.putChannel, () => {})}>{t('channel.join')}</button>
        </div>
      )}
    </main>
  );
}

function ChannelIntro({ channel, meId, empty }: { channel: Channel; meId: ID; empty: boolean }) {
  return (
    <div class="channel-intro">
      <h2 data-uc="">{channel.kind === 'public' || channel.kind === 'private' ? '#' + channel.name : channelTitle(channel, meId)}</h2>
      {channel.purpose && <p data-uc="">{channel.purpose}</p>}
      {empty && <p class="muted">{t('msg.empty')}</p>}
    </div>
  );
}

function TypingLine({ channelId, meId }: { channelId: ID; meId: ID }) {
  const now = Date.now();
  const who = [...(typing.value.get(channelId) ?? new Map<ID, number>())].filter(([u, exp]) => u !== meId && exp > now).map(([u]) => displayName(u));
  let text = '';
  if (who.length === 1) text = t('typing.one', { a: who[0]! });
  else if (who.length === 2) text = t('typing.two', { a: who[0]!, b: who[1]! });
  else if (who.length > 2) text = t('typing.many');
  return <div class="typing" aria-live="polite">{text}</div>;
}

function ChannelHeader({ channel, meId }: { channel: Channel; meId: ID }) {
  const [menu, setMenu] = useState(false);
  const [topic, setTopic] = useState<string | null>(null);
  const m = channel.membership;
  const isAdmin = m?.role === 'owner' || m?.role === 'admin';
  const direct = channel.kind === 'dm' || channel.kind === 'group';
  const other = channel.kind === 'dm' ? (channel.member_ids ?? []).find((id) => id !== meId) : undefined;
  // Members who may post set the topic (docs/api.md: PATCH /channels/{id}).
  const canTopic = !direct && !channel.archived && !!m && m.role !== 'readonly';
  const saveTopic = async (value: string) => {
    try {
      chatStore.putChannel(await api.updateChannel(channel.id, { topic: value.trim() }));
      setTopic(null);
    } catch (e) {
      chatStore.notice.value = e instanceof Error ? e.message : String(e);
    }
  };
  return (
    <header class="channel-head">
      <button class="icon-btn only-mobile" aria-label={t('a11y.menu')} onClick={() => (sidebarOpen.value = true)}><Icon name="menu" /></button>
      <div class="channel-title">
        <h1 data-uc="">
          {other !== undefined && <PresenceDot userId={other} />}
          {!direct && <Icon name={channel.kind === 'private' ? 'lock' : 'hash'} size={16} />}
          {channelTitle(channel, meId)}
        </h1>
        {!direct && topic !== null && (
          <form class="topic-form" onSubmit={(e) => { e.preventDefault(); void saveTopic(topic); }}>
            <input class="input topic-input" value={topic} maxLength={250} aria-label={t('channel.topic')} ref={(el) => el?.focus()}
              onInput={(e) => setTopic(e.currentTarget.value)}
              onKeyDown={(e) => { if (e.key === 'Escape') { e.stopPropagation(); setTopic(null); } }} />
            <button type="submit" class="btn btn-primary">{t('common.save')}</button>
            <button type="button" class="btn" onClick={() => setTopic(null)}>{t('common.cancel')}</button>
          </form>
        )}
        {!direct && topic === null && (
          canTopic ? (
            <button class="channel-topic topic-btn" title={t('channel.edit_topic')} onClick={() => setTopic(channel.topic)}>
              {channel.topic ? <span data-uc="">{channel.topic}</span> : <span class="muted">{t('channel.add_topic')}</span>}
              <span class="visually-hidden"> ({t('channel.edit_topic')})</span>
            </button>
          ) : (
            <p class="channel-topic" data-uc="">{channel.topic || <span class="muted">{t('channel.no_topic')}</span>}</p>
          )
        )}
      </div>
      <div class="channel-tools">
        {!direct && (
          <button class="link-btn member-count" aria-label={t('members.open', { n: channel.member_count })}
            onClick={() => (panel.value = panel.value?.kind === 'members' && panel.value.channelId === channel.id ? null : { kind: 'members', channelId: channel.id })}>
            <Icon name="users" size={14} /> {channel.member_count}
          </button>
        )}
        {m && (
          <button class="icon-btn" aria-pressed={m.starred} aria-label={m.starred ? t('sidebar.unstar') : t('sidebar.star')} title={m.starred ? t('sidebar.unstar') : t('sidebar.star')}
            onClick={() => void chatStore.setPreferences(channel.id, { starred: !m.starred })}>
            <Icon name="star" />
          </button>
        )}
        <button class="icon-btn" aria-label={t('channel.pins')} title={t('channel.pins')} onClick={() => (panel.value = { kind: 'pins', channelId: channel.id })}><Icon name="pin" /></button>
        <button class="icon-btn files-btn" aria-label={t('files.open_panel')} title={t('files.title')} aria-pressed={panel.value?.kind === 'files' && panel.value.channelId === channel.id}
          onClick={() => (panel.value = panel.value?.kind === 'files' && panel.value.channelId === channel.id ? null : { kind: 'files', channelId: channel.id })}><Icon name="files" /></button>
        {m && (
          <span class="menu-anchor">
            <button class="icon-btn" aria-label={t('msg.more')} aria-expanded={menu} onClick={() => setMenu(!menu)}><Icon name="more" /></button>
            {menu && (
              <div class="popover menu menu-right" role="menu" onClick={() => setMenu(false)}>
                {canTopic && <button role="menuitem" class="menu-item" onClick={() => setTopic(channel.topic)}>{t('channel.edit_topic')}</button>}
                {!direct && <button role="menuitem" class="menu-item" onClick={() => (panel.value = { kind: 'members', channelId: channel.id })}>{t('members.title')}</button>}
                {!direct && !channel.archived && <button role="menuitem" class="menu-item" onClick={() => (dialog.value = { kind: 'invite', channelId: channel.id })}>{t('channel.invite')}</button>}
                <button role="menuitem" class="menu-item" onClick={() => void chatStore.setPreferences(channel.id, { muted: !m.muted })}>{m.muted ? t('sidebar.unmute') : t('sidebar.mute')}</button>
                {!direct && isAdmin && (
                  <button role="menuitem" class="menu-item" onClick={() => void (channel.archived ? api.unarchive(channel.id) : api.archive(channel.id)).then(chatStore.putChannel, () => {})}>
                    {channel.archived ? t('channel.unarchive') : t('channel.archive')}
                  </button>
                )}
                {!direct && (
                  <button role="menuitem" class="menu-item danger" onClick={() => void api.leave(channel.id).then(() => { chatStore.dropChannel(channel.id); navigate('/'); }, () => {})}>
                    {t('channel.leave')}
                  </button>
                )}
              </div>
            )}
          </span>
        )}
      </div>
    </header>
  );
}
