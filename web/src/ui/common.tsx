// Small shared pieces: avatar, presence dot, modal dialog, icons.
import type { ComponentChildren } from 'preact';
import { useId, useLayoutEffect, useRef } from 'preact/hooks';
import type { ID } from '../api/types';
import { users, presence } from '../state/directory';
import { t } from '../i18n';
import { confirmation } from '../state/view';

const HUES = [210, 260, 330, 20, 140, 180, 45, 290];

/** The pending askConfirm() question, as an accessible alertdialog. */
export function ConfirmDialog() {
  const c = confirmation.value;
  const bodyId = useId();
  if (!c) return null;
  return (
    <Modal key={c.title + c.body} title={c.title} role="alertdialog" describedBy={bodyId} initialFocus=".confirm-cancel" onClose={() => c.resolve(false)}>
      <p id={bodyId}>{c.body}</p>
      <div class="form-actions">
        <button class="btn confirm-cancel" onClick={() => c.resolve(false)}>{t('common.cancel')}</button>
        <button class={'btn confirm-ok ' + (c.danger ? 'btn-danger' : 'btn-primary')} onClick={() => c.resolve(true)}>{c.confirm}</button>
      </div>
    </Modal>
  );
}

export function Avatar({ userId, size = 36 }: { userId: ID; size?: number }) {
  const u = users.value.get(userId);
  const name = u ? u.display_name || u.username : '?';
  const hue = HUES[userId % HUES.length]!;
  const style = { width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.42)}px`, '--avatar-hue': String(hue) };
  return (
    <span class="avatar" style={style} aria-hidden="true" data-uc="">
      {Array.from(name)[0]?.toUpperCase() ?? '?'}
    </span>
  );
}

/** A user's status; `decorative` inside a control that already names the user (no accessible name of its own). */
export function PresenceDot({ userId, decorative }: { userId: ID; decorative?: boolean }) {
  const s = presence.value.get(userId) ?? 'offline';
  if (decorative) return <span class={`presence presence-${s}`} data-user-id={userId} aria-hidden="true" />;
  return <span class={`presence presence-${s}`} data-user-id={userId} role="img" aria-label={t(`presence.${s}`)} title={t(`presence.${s}`)} />;
}

/**
 * A modal dialog: focus moves in (to `initialFocus`, or the first field or
 * button) and back out on close, Tab is trapped, Escape closes the topmost one.
 */
export function Modal(p: { title: string; onClose(): void; children: ComponentChildren; wide?: boolean; role?: 'dialog' | 'alertdialog'; describedBy?: string; initialFocus?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const onClose = useRef(p.onClose);
  onClose.current = p.onClose;
  // A layout effect: focus is inside before the browser paints or takes the next key.
  useLayoutEffect(() => {
    const prev = document.activeElement as HTMLElement | null;
    const initial = () => ref.current?.querySelector<HTMLElement>(p.initialFocus ?? 'input, textarea, select, button:not(.modal-close)') ?? ref.current;
    initial()?.focus();
    const topmost = () => {
      const all = document.querySelectorAll('[aria-modal="true"]');
      return all[all.length - 1] === ref.current;
    };
    // Escape closes the dialog wherever the focus is, but only the topmost one.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || !topmost()) return;
      e.stopImmediatePropagation();
      onClose.current();
    };
    // Focus that escapes (a click outside, a programmatic focus) comes back.
    const onFocus = (e: FocusEvent) => {
      if (topmost() && e.target instanceof Node && !ref.current?.contains(e.target)) initial()?.focus();
    };
    addEventListener('keydown', onKey, true);
    document.addEventListener('focusin', onFocus, true);
    return () => {
      removeEventListener('keydown', onKey, true);
      document.removeEventListener('focusin', onFocus, true);
      if (prev?.isConnected) prev.focus();
    };
  }, []);
  return (
    <div class="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && p.onClose()}>
      <div
        ref={ref}
        class={'modal' + (p.wide ? ' modal-wide' : '')}
        role={p.role ?? 'dialog'}
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={p.describedBy}
        tabIndex={-1}
        onKeyDown={(e) => {
          if (e.key === 'Tab') trapFocus(e, ref.current);
        }}
      >
        <header class="modal-head">
          <h2 id={titleId}>{p.title}</h2>
          <button class="icon-btn modal-close" onClick={p.onClose} aria-label={t('common.close')}>
            <Icon name="close" />
          </button>
        </header>
        <div class="modal-body">{p.children}</div>
      </div>
    </div>
  );
}

function trapFocus(e: KeyboardEvent, root: HTMLElement | null): void {
  if (!root) return;
  const items = [...root.querySelectorAll<HTMLElement>('button, input, textarea, select, a[href], [tabindex="0"]')].filter((x) => !x.hasAttribute('disabled'));
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const at = document.activeElement;
  if (e.shiftKey && (at === first || at === root)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !root.contains(at))) {
    e.preventDefault();
    first.focus();
  }
}

const PATHS: Record<string, string> = {
  close: 'M6 6l12 12M18 6L6 18',
  hash: 'M5 9h14M4 15h14M10 3L8 21M16 3l-2 18',
  lock: 'M6 11h12v9H6zM9 11V8a3 3 0 016 0v3',
  plus: 'M12 5v14M5 12h14',
  search: 'M11 4a7 7 0 110 14 7 7 0 010-14zM20 20l-4-4',
  star: 'M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1L3.2 9.5l6.1-.9z',
  smile: 'M12 3a9 9 0 110 18 9 9 0 010-18zM8.5 14.5a4.5 4.5 0 007 0M9 10h.01M15 10h.01',
  reply: 'M10 8L4 13l6 5M4 13h10a6 6 0 016 6',
  more: 'M5 12h.01M12 12h.01M19 12h.01',
  pin: 'M9 4h6l-1 6 4 3H6l4-3zM12 13v7',
  bell: 'M6 16V11a6 6 0 0112 0v5l2 2H4zM10 20a2 2 0 004 0',
  bellOff: 'M6 16V11a6 6 0 019-5M18 11v5l2 2H8M10 20a2 2 0 004 0M4 4l16 16',
  menu: 'M4 6h16M4 12h16M4 18h16',
  send: 'M4 12l16-8-6 16-3-7z',
  gear: 'M12 9a3 3 0 110 6 3 3 0 010-6zM12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1',
  users: 'M9 11a4 4 0 100-8 4 4 0 000 8zM2 21a7 7 0 0114 0M17 11a3 3 0 000-6M22 21a6 6 0 00-5-6',
  eye: 'M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12zM12 9a3 3 0 110 6 3 3 0 010-6z',
  down: 'M12 5v14M6 13l6 6 6-6',
  clip: 'M21 11l-8.5 8.5a5 5 0 01-7-7L14 4a3.5 3.5 0 015 5l-8.5 8.5a2 2 0 01-3-3L15 7',
  file: 'M6 2h8l6 6v14H6zM14 2v6h6',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
  files: 'M4 5h6l2 2h8v12H4zM4 9h16',
};

export function Icon({ name, size = 18 }: { name: keyof typeof PATHS | string; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      <path d={PATHS[name] ?? ''} />
    </svg>
  );
}
