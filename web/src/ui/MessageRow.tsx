// One message in a history or thread: author, time, body, reactions, thread summary, actions.
import { useState } from 'preact/hooks';
import { memo } from 'preact/compat';
import type { Channel, Message } from '../api/types';
import { formatDateTime, formatDay, formatTime, t } from '../i18n';
import * as chatStore from '../state/chat';
import { displayName, users } from '../state/directory';
import { org } from '../state/session';
import { askConfirm, dialog, editing, panel, showFlash } from '../state/view';
import { channelPath, navigate } from '../state/router';
import { Attachments } from './Attachments';
import { LinkPreviews } from './LinkPreviews';
import { Avatar, Icon, PresenceDot } from './common';
import { EmojiPicker } from './EmojiPicker';
import { Markdown } from './Markdown';
import { QUICK_REACTIONS } from './emoji';

import type { RowFlags } from './rows';

export function openProfileByUsername(username: string): void {
  for (const u of users.value.values()) {
    if (u.username === username) {
      dialog.value = { kind: 'profile', userId: u.id };
      return;
    }
  }
}

export function openChannelByName(name: string): void {
  const c = Object.values(chatStore.chat.value.channels).find((x) => x.name === name);
  if (c) navigate(channelPath(c.id));
}

function canRecall(m: Message, meId: number, isAdmin: boolean): boolean {
  if (isAdmin) return true;
  if (m.author_id !== meId) return false;
  const win = org.value?.recall_window_seconds ?? 120;
  return Date.now() - Date.parse(m.created_at ?? '') <= win * 1000;
}

export const MessageRow = memo(function MessageRow({ m, channel, flags, meId }: { m: Message; channel: Channel; flags: RowFlags; meId: number }) {
  const [picker, setPicker] = useState(false);
  const [menu, setMenu] = useState(false);
  // The action toolbar is built the first time the pointer or the focus enters
  // the row: it is most of a row's DOM (six buttons, three SVG icons), and
  // building it for every row that scrolls past was the largest part of the
  // per-frame work while scrolling (docs/benchmarks.md, "Web client").
  const [tools, setTools] = useState(false);
  const wantTools = () => {
    if (!tools) setTools(true);
  };
  const mine = m.author_id === meId;
  const role = channel.membership?.role;
  const isAdmin = role === 'owner' || role === 'admin';
  const gone = m.deleted || m.recalled;
  const name = displayName(m.author_id);
  const archived = channel.archived;

  const openProfile = () => (dialog.value = { kind: 'profile', userId: m.author_id });

  const body = m.recalled ? (
    <p class="msg-tombstone">{t('msg.recalled', { name: m.recalled_by === meId ? t('common.you') : displayName(m.recalled_by || m.author_id) })}</p>
  ) : m.deleted ? (
    <p class="msg-tombstone">{t('msg.deleted')}</p>
  ) : (
    <>
      {m.text && <Markdown text={m.text} onMention={openProfileByUsername} onChannelRef={openChannelByName} />}
      <Attachments files={m.files} />
      <LinkPreviews previews={m.previews} />
    </>
  );

  return (
    <div class="msg-wrap">
      {flags.showDate && (
        <div class="date-sep" role="separator">
          <span>{formatDay(m.created_at)}</span>
        </div>
      )}
      {flags.firstUnread && (
        <div class="new-line" role="separator" data-testid="new-messages-line">
          <span>{t('msg.new')}</span>
        </div>
      )}
      <article
        class={'msg' + (flags.grouped ? ' msg-grouped' : '') + (flags.highlight ? ' msg-highlight' : '') + (gone ? ' msg-gone' : '')}
        data-seq={m.seq}
        data-id={m.id}
        aria-label={`${name} ${formatDateTime(m.created_at)}`}
        onMouseEnter={wantTools}
        onFocusIn={wantTools}
      >
        <div class="msg-gutter">
          {flags.grouped ? (
            <a class="msg-time-hover" href={channelPath(m.channel_id, m.seq)} onClick={(e) => (e.preventDefault(), navigate(channelPath(m.channel_id, m.seq)))}>
              {formatTime(m.created_at)}
            </a>
          ) : (
            <button class="avatar-btn" onClick={openProfile} aria-label={name}>
              <Avatar userId={m.author_id} />
              <PresenceDot userId={m.author_id} decorative />
            </button>
          )}
        </div>
        <div class="msg-main">
          {!flags.grouped && (
            <header class="msg-head">
              <button class="msg-author" onClick={openProfile} data-uc="">{name}</button>
              <a class="msg-time" href={channelPath(m.channel_id, m.seq)} title={formatDateTime(m.created_at)} onClick={(e) => (e.preventDefault(), navigate(channelPath(m.channel_id, m.seq)))}>
                <time dateTime={m.created_at ?? undefined}>{formatTime(m.created_at)}</time>
              </a>
              {m.pinned && <span class="msg-pinned"><Icon name="pin" size={12} /> {t('msg.pinned')}</span>}
            </header>
          )}
          <div class="msg-body">
            {body}
            {m.edited_at && !gone && (
              <button class="msg-edited" title={t('msg.history')} onClick={() => (dialog.value = { kind: 'history', messageId: m.id })}>{t('msg.edited')}</button>
            )}
          </div>
          {!gone && m.reactions.length > 0 && (
            <div class="reactions">
              {m.reactions.map((r) => {
                const mineR = r.user_ids.includes(meId);
                return (
                  <button
                    key={r.emoji}
                    class={'reaction' + (mineR ? ' reaction-mine' : '')}
                    aria-pressed={mineR}
                    title={t('msg.reacted_by', { names: r.user_ids.map(displayName).join(', '), emoji: r.emoji })}
                    onClick={() => void chatStore.toggleReaction(m, r.emoji)}
                  >
                    <span>{r.emoji}</span> <span class="reaction-count">{r.count}</span>
                  </button>
                );
              })}
            </div>
          )}
          {!flags.inThread && m.root_id === 0 && m.reply_count > 0 && (
            <button class="thread-summary" onClick={() => (panel.value = { kind: 'thread', channelId: m.channel_id, rootId: m.id })}>
              {m.thread_participants.slice(0, 3).map((id) => <Avatar key={id} userId={id} size={18} />)}
              <span>{t('msg.replies', { n: m.reply_count })}</span>
            </button>
          )}
          {flags.inThread && m.root_id !== 0 && m.also_in_channel && <span class="msg-also">{t('msg.also_in_channel')}</span>}
        </div>
        {tools && !gone && !archived && (
          <div class="msg-actions" role="toolbar" aria-label={t('msg.more')} onKeyDown={(e) => { if (e.key === 'Escape' && (menu || picker)) { e.stopPropagation(); setMenu(false); setPicker(false); } }}>
            {QUICK_REACTIONS.slice(0, 3).map((e) => (
              <button key={e} class="icon-btn" aria-label={`${t('msg.react')} ${e}`} onClick={() => void chatStore.toggleReaction(m, e)}>{e}</button>
            ))}
            <button class="icon-btn" aria-label={t('msg.react')} title={t('msg.react')} onClick={() => setPicker(!picker)}><Icon name="smile" /></button>
            {!flags.inThread && m.root_id === 0 && (
              <button class="icon-btn" aria-label={t('msg.reply')} title={t('msg.reply')} onClick={() => (panel.value = { kind: 'thread', channelId: m.channel_id, rootId: m.id })}><Icon name="reply" /></button>
            )}
            <button class="icon-btn" aria-label={t('msg.more')} title={t('msg.more')} aria-expanded={menu} onClick={() => setMenu(!menu)}><Icon name="more" /></button>
            {picker && (
              <EmojiPicker onClose={() => setPicker(false)} onPick={(e) => { setPicker(false); void chatStore.toggleReaction(m, e); }} />
            )}
            {menu && (
              <div class="popover menu" role="menu">
                {mine && <MenuItem label={t('msg.edit')} onClick={() => { setMenu(false); editing.value = { id: m.id, channelId: m.channel_id, rootId: flags.inThread ? m.root_id : 0, text: m.text }; }} />}
                {canRecall(m, meId, isAdmin) && (
                  <MenuItem label={t('msg.recall')} onClick={() => {
                    setMenu(false);
                    void askConfirm({ title: t('msg.recall_title'), body: t('msg.confirm_recall'), confirm: t('msg.recall') }).then((ok) => ok && chatStore.recallMessage(m.id));
                  }} />
                )}
                {(mine || isAdmin) && (
                  <MenuItem label={t('msg.delete')} danger onClick={() => {
                    setMenu(false);
                    void askConfirm({ title: t('msg.delete_title'), body: t('msg.confirm_delete'), confirm: t('msg.delete'), danger: true }).then((ok) => ok && chatStore.deleteMessage(m.id));
                  }} />
                )}
                <MenuItem label={m.pinned ? t('msg.unpin') : t('msg.pin')} onClick={() => { setMenu(false); void chatStore.pinMessage(m); }} />
                <MenuItem label={t('msg.receipts')} onClick={() => { setMenu(false); dialog.value = { kind: 'receipts', messageId: m.id, channelId: m.channel_id }; }} />
                <MenuItem label={t('msg.copy_link')} onClick={() => {
                  setMenu(false);
                  void navigator.clipboard?.writeText(location.origin + channelPath(m.channel_id, m.seq)).then(() => showFlash(t('msg.link_copied')), () => {});
                }} />
                {!flags.inThread && <MenuItem label={t('msg.mark_unread')} onClick={() => { setMenu(false); void chatStore.markUnread(m.channel_id, m.seq); }} />}
              </div>
            )}
          </div>
        )}
      </article>
    </div>
  );
});

function MenuItem(p: { label: string; onClick(): void; danger?: boolean }) {
  return (
    <button role="menuitem" class={'menu-item' + (p.danger ? ' danger' : '')} onClick={p.onClick}>
      {p.label}
    </button>
  );
}

export function PendingRow({ o }: { o: import('../state/chat-model').Outgoing }) {
  return (
    <div class="msg-wrap">
      <article class={'msg msg-pending' + (o.status === 'failed' ? ' msg-failed' : '')} data-client-id={o.client_id}>
        <div class="msg-gutter" />
        <div class="msg-main">
          <div class="msg-body">
            {o.text && <Markdown text={o.text} />}
            {o.files?.length ? <ul class="attachments">{o.files.map((f) => <li key={f.id} class="att att-pending" data-uc="">{f.name}</li>)}</ul> : null}
          </div>
          <div class="msg-status" role="status">
            {o.status === 'pending' ? (
              <span>{t('msg.sending')}</span>
            ) : (
              <>
                <span class="error-text">{t('msg.failed')}</span>
                <button class="link-btn" onClick={() => chatStore.retry(o.client_id)}>{t('common.retry')}</button>
                <button class="link-btn" onClick={() => chatStore.discard(o.client_id)}>{t('msg.discard')}</button>
              </>
            )}
          </div>
        </div>
      </article>
    </div>
  );
}
