// The one HTTP client for the public REST API (/api/v1). Cookie sessions with
// the CSRF header on every state-changing request; errors become ApiError.
import type {
  Channel, ChannelRole, EditEntry, FileInfo, FilePage, LoginResponse, Member, Message, MessagePage, Org, ReadState, Receipts, RepliesPage, SearchPage, SearchSort, User, PresenceStatus, ID,
} from './types';

export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
  /** True when the request never reached the server or the server is away. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

/** Called on 401 so the session layer can send the user to the login page. */
let onUnauthenticated: () => void = () => {};
export function setUnauthenticatedHandler(fn: () => void): void {
  onUnauthenticated = fn;
}

let acceptLanguage = 'en';
export function setApiLanguage(lang: string): void {
  acceptLanguage = lang;
}

function csrfToken(): string {
  const m = /(?:^|;\s*)parley_csrf=([^;]*)/.exec(document.cookie);
  return m?.[1] ? decodeURIComponent(m[1]) : '';
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'Accept': 'application/json', 'Accept-Language': acceptLanguage };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = null;
  const text = await res.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
    if (res.status === 401 && !path.startsWith('/auth/') && !path.startsWith('/setup')) onUnauthenticated();
    throw new ApiError(res.status, err?.code ?? 'http_' + res.status, err?.message ?? res.statusText);
  }
  return data as T;
}

const enc = encodeURIComponent;
function qs(params: Record<string, string | number | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${enc(String(v))}`);
  return parts.length ? '?' + parts.join('&') : '';
}

/** Every endpoint the client uses, named after the domain noun it touches. */
export const api = {
  setupNeeded: () => request<{ needed: boolean }>('GET', '/setup'),
  setup: (b: { setup_token: string; org_name: string; email: string; username: string; display_name: string; password: string }) =>
    request<LoginResponse>('POST', '/setup', { ...b, cookie: true }),
  login: (login: string, password: string) =>
    request<LoginResponse>('POST', '/auth/login', { login, password, cookie: true }),
  logout: () => request<void>('POST', '/auth/logout'),

  me: () => request<User>('GET', '/users/me'),
  updateMe: (b: Partial<Pick<User, 'display_name' | 'avatar_url' | 'locale' | 'time_zone' | 'status_text'>>) =>
    request<User>('PATCH', '/users/me', b),
  users: (q = '', limit = 50, cursor = '') =>
    request<{ users: User[]; next_cursor: string }>('GET', '/users' + qs({ q, limit, cursor })),
  user: (id: ID) => request<User>('GET', `/users/${id}`),
  presence: (ids: ID[]) =>
    request<{ presence: Record<string, PresenceStatus> }>('GET', '/presence' + qs({ user_ids: ids.join(',') })),
  org: () => request<Org>('GET', '/org'),

  channels: () => request<{ channels: Channel[] }>('GET', '/channels'),
  browse: (q = '', limit = 50, cursor = '') =>
    request<{ channels: Channel[]; next_cursor: string }>('GET', '/channels/browse' + qs({ q, limit, cursor })),
  createChannel: (b: { name: string; kind: 'public' | 'private'; topic?: string; purpose?: string; user_ids?: ID[] }) =>
    request<Channel>('POST', '/channels', b),
  openDM: (userIds: ID[]) => request<Channel>('POST', '/dms', { user_ids: userIds }),
  channel: (id: ID) => request<Channel>('GET', `/channels/${id}`),
  updateChannel: (id: ID, b: { name?: string; topic?: string; purpose?: string }) =>
    request<Channel>('PATCH', `/channels/${id}`, b),
  archive: (id: ID) => request<Channel>('POST', `/channels/${id}/archive`),
  unarchive: (id: ID) => request<Channel>('POST', `/channels/${id}/unarchive`),
  join: (id: ID) => request<Channel>('POST', `/channels/${id}/join`),
  leave: (id: ID) => request<void>('POST', `/channels/${id}/leave`),
  members: (id: ID) => request<{ members: Member[] }>('GET', `/channels/${id}/members`),
  setMemberRole: (id: ID, userId: ID, role: ChannelRole) => request<Member>('PATCH', `/channels/${id}/members/${userId}`, { role }),
  invite: (id: ID, userIds: ID[]) => request<{ added: number }>('POST', `/channels/${id}/members`, { user_ids: userIds }),
  preferences: (id: ID, b: { muted?: boolean; starred?: boolean; star_order?: number }) =>
    request<ReadState>('PUT', `/channels/${id}/preferences`, b),
  markRead: (id: ID, seq: number) => request<ReadState>('POST', `/channels/${id}/read`, { seq }),
  markUnread: (id: ID, seq: number) => request<ReadState>('POST', `/channels/${id}/unread`, { seq }),
  pins: (id: ID) => request<{ messages: Message[] }>('GET', `/channels/${id}/pins`),

  messages: (id: ID, cursor: { before?: number; after?: number; around?: number } = {}, limit = 50) =>
    request<MessagePage>('GET', `/channels/${id}/messages` + qs({ ...cursor, limit })),
  post: (channelId: ID, b: { client_id: string; text: string; root_id?: ID; also_in_channel?: boolean; file_ids?: ID[] }) =>
    request<Message>('POST', `/channels/${channelId}/messages`, b),
  message: (id: ID) => request<Message>('GET', `/messages/${id}`),
  edit: (id: ID, text: string) => request<Message>('PATCH', `/messages/${id}`, { text }),
  remove: (id: ID) => request<void>('DELETE', `/messages/${id}`),
  recall: (id: ID) => request<Message>('POST', `/messages/${id}/recall`),
  replies: (id: ID, after = 0, limit = 100) =>
    request<RepliesPage>('GET', `/messages/${id}/replies` + qs({ after, limit })),
  react: (id: ID, emoji: string) => request<Message>('PUT', `/messages/${id}/reactions/${enc(emoji)}`),
  unreact: (id: ID, emoji: string) => request<Message>('DELETE', `/messages/${id}/reactions/${enc(emoji)}`),
  pin: (id: ID) => request<Message>('POST', `/messages/${id}/pin`),
  unpin: (id: ID) => request<Message>('DELETE', `/messages/${id}/pin`),
  receipts: (id: ID) => request<Receipts>('GET', `/messages/${id}/receipts`),
  edits: (id: ID) => request<{ edits: EditEntry[] }>('GET', `/messages/${id}/history`),

  search: (p: { q: string; sort?: SearchSort; tz?: string; limit?: number; cursor?: string }) =>
    request<SearchPage>('GET', '/search' + qs(p)),

  channelFiles: (id: ID, cursor = '', limit = 30) =>
    request<FilePage>('GET', `/channels/${id}/files` + qs({ cursor, limit })),
};

/** A running upload: its result, and a way to stop it. */
export interface UploadTask {
  done: Promise<FileInfo>;
  abort(): void;
}

/**
 * Uploads one file to a channel (multipart, part `file`). XMLHttpRequest
 * because fetch cannot report upload progress; same session, CSRF header and
 * error mapping as request(). An aborted upload rejects with code `aborted`.
 */
export function uploadFile(channelId: ID, file: Blob, name: string, onProgress: (loaded: number) => void): UploadTask {
  const xhr = new XMLHttpRequest();
  const done = new Promise<FileInfo>((resolve, reject) => {
    xhr.open('POST', BASE + `/channels/${channelId}/files`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', acceptLanguage);
    xhr.setRequestHeader('X-CSRF-Token', csrfToken());
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      let data: unknown = null;
      try { data = JSON.parse(xhr.responseText); } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data as FileInfo);
      const err = (data as { error?: { code?: string; message?: string } } | null)?.error;
      if (xhr.status === 401) onUnauthenticated();
      reject(new ApiError(xhr.status, err?.code ?? 'http_' + xhr.status, err?.message ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    const form = new FormData();
    form.append('file', file, name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/** The URL that always downloads a file (Content-Disposition: attachment). */
export function downloadUrl(url: string): string {
  return url + (url.includes('?') ? '&' : '?') + 'download=1';
}
