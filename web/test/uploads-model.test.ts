import { describe, expect, it } from 'vitest';
import type { FileInfo } from '../src/api/types';
import { add, clearSent, fail, finish, fitBox, inComposer, progress, readiness, remove, restart, type Upload } from '../src/state/uploads-model';
import { formatBytes } from '../src/i18n';

function up(key: string, over: Partial<Upload> = {}): Upload {
  return { key, channelId: 1, rootId: 0, name: key + '.png', size: 1000, loaded: 0, status: 'uploading', file: null, error: '', ...over };
}

function info(id: number): FileInfo {
  return {
    id, name: `f${id}.png`, content_type: 'image/png', size: 1000, width: 800, height: 600, preview: 'image', has_thumbnail: true,
    url: `/api/v1/files/${id}/content`, thumbnail_url: `/api/v1/files/${id}/thumbnail`, channel_id: 1, message_id: 0, uploader_id: 7, created_at: '2026-11-25T06:00:00Z',
  };
}

describe('uploads', () => {
  it('tracks progress, never past the size, and only while uploading', () => {
    let l = add([], up('a'));
    l = progress(l, 'a', 400);
    expect(l[0]!.loaded).toBe(400);
    l = progress(l, 'a', 5000);
    expect(l[0]!.loaded).toBe(1000);
    l = fail(l, 'a', 'too large');
    expect(progress(l, 'a', 10)[0]!.loaded).toBe(1000);
    l = restart(l, 'a');
    expect(l[0]).toMatchObject({ status: 'uploading', loaded: 0, error: '' });
  });

  it('sends only finished files, waits while any upload runs, and keeps other composers apart', () => {
    let l = [up('a'), up('b'), up('t', { rootId: 9 }), up('x', { channelId: 2 })];
    expect(readiness(l, 1, 0)).toEqual({ files: [], busy: true, failed: 0 });
    l = finish(l, 'a', info(11));
    l = fail(l, 'b', 'network');
    const r = readiness(l, 1, 0);
    expect(r.busy).toBe(false);
    expect(r.failed).toBe(1);
    expect(r.files.map((f) => f.id)).toEqual([11]);
    // The attachment is the message's view of the file: no uploader or channel fields.
    expect(Object.keys(r.files[0]!)).not.toContain('uploader_id');
    expect(inComposer(l, 1, 9).map((u) => u.key)).toEqual(['t']);
    // Sending clears the finished ones; the failed one stays for a retry or removal.
    l = clearSent(l, 1, 0);
    expect(inComposer(l, 1, 0).map((u) => u.key)).toEqual(['b']);
    expect(remove(l, 'b').map((u) => u.key)).toEqual(['t', 'x']);
  });

  it('fits images in a box without enlarging them', () => {
    expect(fitBox(800, 600, 360, 240)).toEqual([320, 240]);
    expect(fitBox(4000, 1000, 360, 240)).toEqual([360, 90]);
    expect(fitBox(100, 50, 360, 240)).toEqual([100, 50]);
    expect(fitBox(0, 0, 360, 240)).toEqual([360, 270]);
  });

  it('formats sizes in both languages', () => {
    expect(formatBytes(980, 'en')).toBe('980 bytes');
    expect(formatBytes(1536, 'en')).toBe('1.5 kB');
    expect(formatBytes(25 * 1024 * 1024, 'en')).toBe('25 MB');
    expect(formatBytes(1536, 'zh-CN')).toMatch(/^1\.5\s?kB$/);
    expect(formatBytes(980, 'zh-CN')).toContain('980');
  });
});
