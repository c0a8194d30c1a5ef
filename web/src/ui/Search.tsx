// Message search: the box in the sidebar ("/" focuses it) and the results in
// the right-hand panel. Snippets are text nodes with <mark> for the matches,
// built by Preact as DOM nodes: a snippet is never parsed as HTML.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Channel, SearchResult, SearchSort, SnippetSegment } from '../api/types';
import { formatDateTime, t } from '../i18n';
import * as chatStore from '../state/chat';
import { displayName } from '../state/directory';
import { channelTitle } from '../state/notify';
import { channelPath, navigate } from '../state/router';
import { foreignChannels, loadMore, runSearch, search, setSort } from '../state/search';
import { panel, sidebarOpen } from '../state/view';
import { Icon } from './common';

export const SEARCH_INPUT_ID = 'search-input';

/** True when a key press goes to something the user types into. */
export function isEditable(el: EventTarget | null): boolean {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
}

/** "/" outside a text field focuses the search box (Ctrl/Cmd+F stays the browser's find). */
export function focusSearch(): void {
  sidebarOpen.value = true; // the sidebar is a drawer on phones
  requestAnimationFrame(() => {
    const el = document.getElementById(SEARCH_INPUT_ID) as HTMLInputElement | null;
    el?.focus();
    el?.select();
  });
}

export function SearchBox() {
  const [q, setQ] = useState(search.value.q);
  // Keep the box in step when the query changes elsewhere (e.g. cleared).
  useEffect(() => setQ(search.value.q), [search.value.q]);
  return (
    <form class="search-box" role="search" onSubmit={(e) => {
      e.preventDefault();
      if (!q.trim()) return;
      void runSearch(q);
      panel.value = { kind: 'search' };
    }}>
      <Icon name="search" size={16} />
      <input id={SEARCH_INPUT_ID} class="search-input" type="search" value={q} enterKeyHint="search" maxLength={500}
        placeholder={t('search.placeholder')} aria-label={t('search.label')} aria-keyshortcuts="/"
        onInput={(e) => setQ(e.currentTarget.value)}
        onKeyDown={(e) => { if (e.key === 'Escape' && q) { e.stopPropagation(); setQ(''); } }} />
      <kbd aria-hidden="true">/</kbd>
    </form>
  );
}

export function SearchResults({ meId }: { meId: number }) {
  const s = search.value;
  const listRef = useRef<HTMLDivElement>(null);
  const sorts: [SearchSort, string][] = [['relevance', t('search.sort_relevance')], ['date', t('search.sort_date')]];
  return (
    <div class="panel-body search-panel" ref={listRef}>
      <div class="search-tools">
        <div class="segmented" role="group" aria-label={t('search.sort')}>
          {sorts.map(([k, label]) => (
            <button key={k} type="button" class="seg-btn" aria-pressed={s.sort === k} onClick={() => void setSort(k)}>{label}</button>
          ))}
        </div>
      </div>
      <p class="muted small search-help">{t('search.help')}</p>
      {s.error && <p class="error-text search-note" role="alert">{s.error}</p>}
      <div role="status" class="search-note muted">
        {s.loading && s.results.length === 0 ? t('common.loading') : s.done && !s.error && s.results.length === 0 ? t('search.empty', { q: s.q }) : s.done && !s.error ? t('search.count', { n: s.results.length, more: s.cursor ? '+' : '' }) : ''}
      </div>
      <ol class="search-results" aria-label={t('search.results')}>
        {s.results.map((r) => <Hit key={r.message.id} r={r} meId={meId} />)}
      </ol>
      {s.cursor && (
        <div class="edge">
          <button class="btn" disabled={s.loading} onClick={() => void loadMore()}>{s.loading ? t('common.loading') : t('search.more')}</button>
        </div>
      )}
    </div>
  );
}

function Hit({ r, meId }: { r: SearchResult; meId: number }) {
  const c: Channel | undefined = chatStore.chat.value.channels[r.channel_id] ?? foreignChannels.value.get(r.channel_id);
  const where = c ? (c.kind === 'public' || c.kind === 'private' ? '#' + c.name : channelTitle(c, meId)) : '…';
  const href = channelPath(r.channel_id, r.message.seq);
  return (
    <li class="search-hit">
      <a href={href} data-seq={r.message.seq} onClick={(e) => {
        e.preventDefault();
        navigate(href);
        if (matchMedia('(max-width: 768px)').matches) panel.value = null;
      }}>
        <span class="search-meta">
          <strong data-uc="">{where}</strong>
          <span data-uc="">{displayName(r.message.author_id)}</span>
          <time class="muted" dateTime={r.message.created_at ?? undefined}>{formatDateTime(r.message.created_at)}</time>
        </span>
        <Snippet segments={r.snippet} />
      </a>
    </li>
  );
}

/** The snippet as text nodes; highlighted segments in <mark>. */
export function Snippet({ segments }: { segments: readonly SnippetSegment[] }) {
  return (
    <span class="snippet" data-uc="">
      {segments.map((g, i) => (g.highlight ? <mark key={i}>{g.text}</mark> : g.text))}
    </span>
  );
}
