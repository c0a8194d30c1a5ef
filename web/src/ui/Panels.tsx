// The right-hand panel: a thread, or the channel's pinned messages.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { ID, Message } from '../api/types';
import { t } from '../i18n';
import * as chatStore from '../state/chat';
import { findMessage } from '../state/chat-model';
import { panel } from '../state/view';
import { Composer } from './Composer';
import { Icon } from './common';
import { MessageRow, PendingRow } from './MessageRow';

export function SidePanel({ meId }: { meId: ID }) {
  const p = panel.value;
  if (!p) return null;
  return (
    <aside class="panel" aria-label={p.kind === 'thread' ? t('thread.title') : t('channel.pins')}
      onKeyDown={(e) => e.key === 'Escape' && (panel.value = null)}>
      <header class="panel-head">
        <h2>{p.kind === 'thread' ? t('thread.title') : t('channel.pins')}</h2>
        <button class="icon-btn" aria-label={p.kind === 'thread' ? t('thread.close') : t('common.close')} onClick={() => (panel.value = null)}><Icon name="close" /></button>
      </header>
      {p.kind === 'thread' ? <Thread channelId={p.channelId} rootId={p.rootId} meId={meId} /> : <Pins channelId={p.channelId} meId={meId} />}
    </aside>
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
