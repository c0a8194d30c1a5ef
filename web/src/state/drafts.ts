// Drafts per channel (and per thread) in localStorage, so they survive reloads,
// crashes and offline periods. Keys are scoped to the user.
import type { ID } from '../api/types';

const PREFIX = 'parley.draft.';

export function draftKey(userId: ID, channelId: ID, rootId: ID = 0): string {
  return `${PREFIX}${userId}.${channelId}${rootId ? '.t' + rootId : ''}`;
}

export function loadDraft(key: string, storage: Storage = localStorage): string {
  try {
    return storage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

export function saveDraft(key: string, text: string, storage: Storage = localStorage): void {
  try {
    if (text.trim() === '') storage.removeItem(key);
    else storage.setItem(key, text);
  } catch {
    // Storage full or disabled: the text stays in the composer.
  }
}

/** Channel ids (not threads) that have a saved draft for this user. */
export function channelsWithDrafts(userId: ID, storage: Storage = localStorage): Set<ID> {
  const out = new Set<ID>();
  const p = `${PREFIX}${userId}.`;
  for (let i = 0; i < storage.length; i++) {
    const k = storage.key(i);
    if (k?.startsWith(p) && !k.includes('.t', p.length)) out.add(Number(k.slice(p.length)));
  }
  return out;
}
