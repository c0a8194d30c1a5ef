// Pure state of the files a user is attaching in a composer: each upload's
// progress, result or error. src/state/uploads.ts runs the uploads; this file
// holds the rules, so they are unit tests (test/uploads-model.test.ts).
import type { Attachment, FileInfo, ID } from '../api/types';

export type UploadStatus = 'uploading' | 'done' | 'failed';

export interface Upload {
  key: string;
  channelId: ID;
  /** Thread root of the composer, 0 for the channel's own composer. */
  rootId: ID;
  name: string;
  size: number;
  loaded: number;
  status: UploadStatus;
  file: FileInfo | null;
  error: string;
}

/** The server attaches at most this many files to one message. */
export const MAX_FILES_PER_MESSAGE = 10;

export function inComposer(list: readonly Upload[], channelId: ID, rootId: ID): Upload[] {
  return list.filter((u) => u.channelId === channelId && u.rootId === rootId);
}

export function add(list: readonly Upload[], u: Upload): Upload[] {
  return [...list, u];
}

function patch(list: readonly Upload[], key: string, p: Partial<Upload>): Upload[] {
  return list.map((u) => (u.key === key ? { ...u, ...p } : u));
}

export function progress(list: readonly Upload[], key: string, loaded: number): Upload[] {
  const u = list.find((x) => x.key === key);
  if (!u || u.status !== 'uploading') return list as Upload[];
  return patch(list, key, { loaded: Math.min(loaded, u.size) });
}

export function finish(list: readonly Upload[], key: string, file: FileInfo): Upload[] {
  return patch(list, key, { status: 'done', file, loaded: file.size, error: '' });
}

export function fail(list: readonly Upload[], key: string, error: string): Upload[] {
  return patch(list, key, { status: 'failed', error });
}

export function restart(list: readonly Upload[], key: string): Upload[] {
  return patch(list, key, { status: 'uploading', loaded: 0, error: '' });
}

export function remove(list: readonly Upload[], key: string): Upload[] {
  return list.filter((u) => u.key !== key);
}

/** What a composer can send: the finished files, and whether it must wait for others. */
export function readiness(list: readonly Upload[], channelId: ID, rootId: ID): { files: Attachment[]; busy: boolean; failed: number } {
  const mine = inComposer(list, channelId, rootId);
  return {
    files: mine.filter((u) => u.status === 'done' && u.file).map((u) => toAttachment(u.file!)),
    busy: mine.some((u) => u.status === 'uploading'),
    failed: mine.filter((u) => u.status === 'failed').length,
  };
}

/** Drops the finished uploads of a composer once its message is queued. */
export function clearSent(list: readonly Upload[], channelId: ID, rootId: ID): Upload[] {
  return list.filter((u) => !(u.channelId === channelId && u.rootId === rootId && u.status === 'done'));
}

export function toAttachment(f: FileInfo): Attachment {
  return {
    id: f.id, name: f.name, content_type: f.content_type, size: f.size, width: f.width, height: f.height,
    preview: f.preview, has_thumbnail: f.has_thumbnail, url: f.url, thumbnail_url: f.thumbnail_url,
  };
}

/** Scales an image's size to fit a box, never enlarging; unknown sizes get the box's width and a 4:3 height. */
export function fitBox(width: number, height: number, maxW: number, maxH: number): [number, number] {
  if (width <= 0 || height <= 0) return [maxW, Math.round((maxW * 3) / 4)];
  const k = Math.min(1, maxW / width, maxH / height);
  return [Math.max(1, Math.round(width * k)), Math.max(1, Math.round(height * k))];
}
