// Message search (GET /api/v1/search, docs/search.md): the query as typed
// (operators are plain text), the sort, the pages loaded so far and the names
// of channels the results are in.
import { signal } from '@preact/signals';
import { api, ApiError } from '../api/client';
import type { Channel, ID, SearchResult, SearchSort } from '../api/types';
import { chat } from './chat';
import { ensureUsers } from './directory';

export interface SearchState {
  q: string;
  sort: SearchSort;
  results: SearchResult[];
  cursor: string;
  loading: boolean;
  error: string;
  /** A page has been answered for this query and sort. */
  done: boolean;
}

const PAGE = 20;
export const search = signal<SearchState>({ q: '', sort: 'relevance', results: [], cursor: '', loading: false, error: '', done: false });
/** Channels of results that are not in the sidebar (public channels the user is not in). */
export const foreignChannels = signal<ReadonlyMap<ID, Channel>>(new Map());

let generation = 0;

function timeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

async function fetchPage(q: string, sort: SearchSort, cursor: string) {
  const tz = timeZone();
  try {
    return await api.search({ q, sort, limit: PAGE, ...(tz ? { tz } : {}), ...(cursor ? { cursor } : {}) });
  } catch (e) {
    // A browser zone the server does not know: dates in the query count in UTC.
    if (tz && e instanceof ApiError && e.code === 'time_zone_invalid') return api.search({ q, sort, limit: PAGE, ...(cursor ? { cursor } : {}) });
    throw e;
  }
}

/** Runs a new search (first page); a newer call wins over an older one still on its way. */
export async function runSearch(q: string, sort: SearchSort = search.value.sort): Promise<void> {
  const query = q.trim();
  const gen = ++generation;
  search.value = { q: query, sort, results: [], cursor: '', loading: query !== '', error: '', done: false };
  if (!query) return;
  await load(gen, query, sort, '');
}

export async function loadMore(): Promise<void> {
  const s = search.value;
  if (s.loading || !s.cursor) return;
  search.value = { ...s, loading: true };
  await load(generation, s.q, s.sort, s.cursor);
}

export function setSort(sort: SearchSort): Promise<void> {
  return runSearch(search.value.q, sort);
}

async function load(gen: number, q: string, sort: SearchSort, cursor: string): Promise<void> {
  try {
    const page = await fetchPage(q, sort, cursor);
    if (gen !== generation) return;
    ensureUsers(page.results.map((r) => r.message.author_id));
    void loadChannelNames(page.results.map((r) => r.channel_id));
    const s = search.value;
    search.value = { ...s, results: cursor ? [...s.results, ...page.results] : page.results, cursor: page.next_cursor, loading: false, error: '', done: true };
  } catch (e) {
    if (gen !== generation) return;
    search.value = { ...search.value, loading: false, error: e instanceof Error ? e.message : String(e), done: true };
  }
}

async function loadChannelNames(ids: ID[]): Promise<void> {
  const missing = [...new Set(ids)].filter((id) => !chat.value.channels[id] && !foreignChannels.value.has(id));
  if (missing.length === 0) return;
  const got = await Promise.allSettled(missing.map((id) => api.channel(id)));
  const next = new Map(foreignChannels.value);
  for (const r of got) if (r.status === 'fulfilled') next.set(r.value.id, r.value);
  foreignChannels.value = next;
}

export function clearSearch(): void {
  generation++;
  search.value = { q: '', sort: search.value.sort, results: [], cursor: '', loading: false, error: '', done: false };
}
