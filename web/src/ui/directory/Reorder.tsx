// Keyboard-friendly reordering for the directory admin lists (departments
// among their siblings, department members, profile fields): a "move up" and
// a "move down" button on each row instead of drag and drop, the new place
// announced through a live region, and the focus kept on the moved row's
// button after the list reloads in its new order.
import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../i18n';
import { renumbered } from '../../state/addressbook';

// Row keys are our own ids ("dept-3", "field-7"), safe in a selector.
const moveButton = (key: string, delta: number) => `[data-move="${key}:${delta}"]`;

export interface Mover {
  /**
   * Runs a move; on success announces the row's new place and refocuses its
   * button. Ignored while another change is saving. save should reload the
   * list whether it succeeds or not (a reorder can fail half-way).
   */
  move(key: string, delta: -1 | 1, name: string, place: number, count: number, save: () => Promise<unknown>): Promise<void>;
  /**
   * Runs another change of a row (a toggle that may move it); on success
   * announces text and puts the focus on the first enabled element of focus.
   */
  change(save: () => Promise<unknown>, text: string, ...focus: string[]): Promise<void>;
  /** What the live region says. */
  status: string;
  /** Announces something through the same live region. */
  announce(text: string): void;
}

export function useMover(onError: (e: unknown) => void): Mover {
  const [status, setStatus] = useState('');
  // Bumped on every change so the effect runs even when the message repeats.
  const [, setTick] = useState(0);
  const pending = useRef<string[] | null>(null);
  // One change at a time: a second press while the first is saving would
  // renumber from the list as it was before the first.
  const busy = useRef(false);
  // Keyed rows are moved in the DOM, which drops the focus; put it back on the
  // same control of the moved row (for a move at either end, its other button).
  useLayoutEffect(() => {
    const wanted = pending.current;
    if (!wanted) return;
    pending.current = null;
    for (const sel of wanted) {
      const el = document.querySelector<HTMLButtonElement | HTMLInputElement>(sel);
      if (el && !el.disabled) {
        el.focus();
        return;
      }
    }
  });
  const change: Mover['change'] = async (save, text, ...focus) => {
    if (busy.current) return;
    busy.current = true;
    try {
      await save();
    } catch (e) {
      onError(e);
      return;
    } finally {
      busy.current = false;
    }
    pending.current = focus;
    setStatus(text);
    setTick((n) => n + 1);
  };
  return {
    status,
    announce: setStatus,
    change,
    move: (key, delta, name, place, count, save) =>
      change(save, t('admin.moved', { name, n: place, total: count }), moveButton(key, delta), moveButton(key, -delta)),
  };
}

/** The two buttons of one row; a button is disabled where the row cannot go further. */
export function MoveButtons(p: { rowKey: string; name: string; up: boolean; down: boolean; onMove(delta: -1 | 1): void }) {
  return (
    <span class="move-btns">
      <button type="button" class="icon-btn move-btn" data-move={p.rowKey + ':-1'} disabled={!p.up}
        aria-label={t('admin.move_up', { name: p.name })} title={t('admin.move_up', { name: p.name })} onClick={() => p.onMove(-1)}>
        <span aria-hidden="true">↑</span>
      </button>
      <button type="button" class="icon-btn move-btn" data-move={p.rowKey + ':1'} disabled={!p.down}
        aria-label={t('admin.move_down', { name: p.name })} title={t('admin.move_down', { name: p.name })} onClick={() => p.onMove(1)}>
        <span aria-hidden="true">↓</span>
      </button>
    </span>
  );
}

/**
 * Saves a list's new order, one item at a time: each item whose stored
 * order is not its place gets its place (see renumbered).
 */
export async function saveOrder<T>(list: readonly T[], order: (x: T) => number, put: (x: T, order: number) => Promise<unknown>): Promise<void> {
  for (const { item, order: o } of renumbered(list, order)) await put(item, o);
}
