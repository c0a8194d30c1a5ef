// What the screen shows besides the route: side panel, dialogs, the message being edited.
import { signal } from '@preact/signals';
import type { ID } from '../api/types';

export type Panel =
  | { kind: 'thread'; channelId: ID; rootId: ID }
  | { kind: 'pins'; channelId: ID }
  | { kind: 'files'; channelId: ID }
  | { kind: 'members'; channelId: ID }
  | { kind: 'search' }
  | null;
export type Dialog =
  | { kind: 'switcher' }
  | { kind: 'browser' }
  | { kind: 'create' }
  | { kind: 'dm' }
  | { kind: 'settings' }
  | { kind: 'invite'; channelId: ID }
  | { kind: 'profile'; userId: ID }
  | { kind: 'receipts'; messageId: ID; channelId: ID }
  | { kind: 'history'; messageId: ID }
  | null;

export const panel = signal<Panel>(null);
export const dialog = signal<Dialog>(null);
export const sidebarOpen = signal(false);
/** The message being edited in the composer of a channel or thread. */
export const editing = signal<{ id: ID; channelId: ID; rootId: ID; text: string } | null>(null);
export const flash = signal<string | null>(null);

/** Users shown on a surface ('history', 'thread', 'members'), for the presence subscription. */
export const shownUsers = signal<ReadonlyMap<string, readonly ID[]>>(new Map());

export function showUsers(surface: string, ids: readonly ID[] | null): void {
  const prev = shownUsers.value.get(surface);
  const uniq = ids ? [...new Set(ids)] : null;
  if (!uniq && !prev) return;
  if (uniq && prev && prev.length === uniq.length && prev.every((x, k) => x === uniq[k])) return;
  const next = new Map(shownUsers.value);
  if (uniq) next.set(surface, uniq);
  else next.delete(surface);
  shownUsers.value = next;
}

export function showFlash(text: string): void {
  flash.value = text;
  setTimeout(() => {
    if (flash.value === text) flash.value = null;
  }, 2500);
}

/** An in-app confirmation (alertdialog) in place of window.confirm. */
export interface ConfirmRequest {
  title: string;
  body: string;
  confirm: string;
  danger?: boolean;
  resolve(ok: boolean): void;
}
export const confirmation = signal<ConfirmRequest | null>(null);

/** Asks the user; resolves false on Cancel, Escape or a click outside. */
export function askConfirm(p: Omit<ConfirmRequest, 'resolve'>): Promise<boolean> {
  confirmation.value?.resolve(false);
  return new Promise((resolve) => {
    confirmation.value = {
      ...p,
      resolve: (ok) => {
        confirmation.value = null;
        resolve(ok);
      },
    };
  });
}
