import { describe, expect, it } from 'vitest';
import { channelsWithDrafts, draftKey, loadDraft, saveDraft } from '../src/state/drafts';

describe('drafts', () => {
  it('saves, loads and clears drafts per user, channel and thread', () => {
    localStorage.clear();
    saveDraft(draftKey(1, 7), 'hello');
    saveDraft(draftKey(1, 7, 99), 'thread reply');
    saveDraft(draftKey(2, 7), 'other user');
    expect(loadDraft(draftKey(1, 7))).toBe('hello');
    expect(loadDraft(draftKey(1, 7, 99))).toBe('thread reply');
    expect([...channelsWithDrafts(1)]).toEqual([7]);
    saveDraft(draftKey(1, 7), '   ');
    expect(loadDraft(draftKey(1, 7))).toBe('');
  });
});
