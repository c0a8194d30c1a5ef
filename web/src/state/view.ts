// What the screen shows besides the route: side panel, dialogs, the message being edited.
import { signal } from '@preact/signals';
import type { ID } from '../api/types';

export type Panel = { kind: 'thread'; channelId: ID; rootId: ID } | { kind: 'pins'; channelId: ID } | null;
export type Dialog =
  | { kind: 'switcher' }
  | { kind: 'browser' }
  | { kind: 'create' }
  | { kind: 'dm' }
  | { kind: 'settings' }
  | { kind: 'invite'; channelId: ID }
  | { kind: 'profile'; userId: ID }
  | { kind: 'receipts'; messageId: ID; channelId: ID }
  | null;

export const panel = signal<Panel>(null);
export const dialog = signal<Dialog>(null);
export const sidebarOpen = signal(false);
/** The message being edited in the composer of a channel or thread. */
export const editing = signal<{ id: ID; channelId: ID; rootId: ID; text: string } | null>(null);
export const flash = signal<string | null>(null);

export function showFlash(text: string): void {
  flash.value = text;
  setTimeout(() => {
    if (flash.value === text) flash.value = null;
  }, 2500);
}
