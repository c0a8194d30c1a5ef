// Runs the uploads started from a composer (attach button, paste, drop) and
// keeps their state in a signal; the rules are in uploads-model.ts.
import { signal } from '@preact/signals';
import { ApiError, uploadFile, type UploadTask } from '../api/client';
import type { Attachment, ID } from '../api/types';
import { t } from '../i18n';
import * as M from './uploads-model';

export const uploads = signal<readonly M.Upload[]>([]);

/** What only the running upload needs: the bytes (for a retry) and the request (for cancel). */
const running = new Map<string, { blob: Blob; task: UploadTask | null }>();
let seq = 0;

function update(fn: (l: readonly M.Upload[]) => readonly M.Upload[]): void {
  uploads.value = fn(uploads.value);
}

/** Starts uploading files into a composer; refuses those over the per-message limit. */
export function startUploads(channelId: ID, rootId: ID, files: readonly File[]): string | null {
  const room = M.MAX_FILES_PER_MESSAGE - M.inComposer(uploads.value, channelId, rootId).length;
  const take = files.slice(0, Math.max(0, room));
  for (const f of take) {
    const key = `u${++seq}`;
    // Pasted screenshots arrive as "image.png"; keep whatever name the browser gives.
    const name = f.name || 'file';
    update((l) => M.add(l, { key, channelId, rootId, name, size: f.size, loaded: 0, status: 'uploading', file: null, error: '' }));
    running.set(key, { blob: f, task: null });
    run(key, channelId, name);
  }
  return take.length < files.length ? t('files.too_many', { n: M.MAX_FILES_PER_MESSAGE }) : null;
}

function run(key: string, channelId: ID, name: string): void {
  const r = running.get(key);
  if (!r) return;
  const task = uploadFile(channelId, r.blob, name, (loaded) => update((l) => M.progress(l, key, loaded)));
  r.task = task;
  task.done.then(
    (file) => {
      update((l) => M.finish(l, key, file));
      running.delete(key);
    },
    (e: unknown) => {
      if (e instanceof ApiError && e.code === 'aborted') return;
      const msg = e instanceof ApiError ? (e.status === 0 ? t('files.network_error') : e.message) : String(e);
      update((l) => M.fail(l, key, msg));
    },
  );
}

export function retryUpload(key: string): void {
  const u = uploads.value.find((x) => x.key === key);
  if (!u || u.status !== 'failed') return;
  update((l) => M.restart(l, key));
  run(key, u.channelId, u.name);
}

/** Cancels a running upload or removes a finished or failed one from the composer. */
export function removeUpload(key: string): void {
  running.get(key)?.task?.abort();
  running.delete(key);
  update((l) => M.remove(l, key));
}

/** The finished files of a composer, removed from it: they go with the message being sent. */
export function takeFiles(channelId: ID, rootId: ID): Attachment[] {
  const { files } = M.readiness(uploads.value, channelId, rootId);
  update((l) => M.clearSent(l, channelId, rootId));
  return files;
}
