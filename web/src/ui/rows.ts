// Turns a window of messages into list rows: date separators, grouping of
// consecutive messages, the "new messages" line, and pending sends at the end.
import type { ID, Message } from '../api/types';
import { dayKey } from '../i18n';
import type { Outgoing } from '../state/chat-model';

export interface RowFlags {
  showDate: boolean;
  grouped: boolean;
  firstUnread: boolean;
  highlight: boolean;
  inThread?: boolean;
}

export type Row =
  | { kind: 'msg'; m: Message; flags: RowFlags }
  | { kind: 'pending'; o: Outgoing }
  | { kind: 'edge'; which: 'top' | 'bottom' };

const GROUP_MS = 5 * 60 * 1000;

type MsgRow = Extract<Row, { kind: 'msg' }>;
const rowCache = new WeakMap<Message, MsgRow>();

export function buildRows(messages: readonly Message[], pending: readonly Outgoing[], opts: { lineAfterSeq: number; meId: ID; highlightSeq: number | null; hasMoreBefore: boolean; hasMoreAfter: boolean }): Row[] {
  const rows: Row[] = [{ kind: 'edge', which: 'top' }];
  let prev: Message | undefined;
  let lineShown = false;
  for (const m of messages) {
    const showDate = !prev || dayKey(prev.created_at) !== dayKey(m.created_at);
    const firstUnread = !lineShown && opts.lineAfterSeq >= 0 && m.seq > opts.lineAfterSeq && m.author_id !== opts.meId;
    if (firstUnread) lineShown = true;
    const grouped = !!prev && !showDate && !firstUnread && prev.author_id === m.author_id && !prev.deleted && !prev.recalled && !m.recalled
      && Date.parse(m.created_at ?? '') - Date.parse(prev.created_at ?? '') < GROUP_MS;
    const highlight = m.seq === opts.highlightSeq;
    // Reuse the previous row object when nothing changed, so memoised rows skip re-rendering.
    const cached = rowCache.get(m);
    if (cached && cached.flags.showDate === showDate && cached.flags.grouped === grouped && cached.flags.firstUnread === firstUnread && cached.flags.highlight === highlight) rows.push(cached);
    else {
      const row: MsgRow = { kind: 'msg', m, flags: { showDate, grouped, firstUnread, highlight } };
      rowCache.set(m, row);
      rows.push(row);
    }
    prev = m;
  }
  if (!opts.hasMoreAfter) for (const o of pending) rows.push({ kind: 'pending', o });
  if (opts.hasMoreAfter) rows.push({ kind: 'edge', which: 'bottom' });
  return rows;
}

