// A windowed list for long histories with rows of unknown, changing height.
// Heights are measured with ResizeObserver and kept per key, offsets are prefix
// sums in a Float64Array, and the first visible row is kept in place (anchored)
// when rows are prepended or re-measured, so loading older pages never jumps.
import { Component, type ComponentChildren, type Ref } from 'preact';
import { useEffect, useImperativeHandle, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';

export interface VirtualListHandle {
  scrollToIndex(i: number, align?: 'start' | 'center' | 'end'): void;
  scrollToBottom(): void;
  isAtBottom(): boolean;
}

export interface VisibleRange {
  start: number;
  end: number;
  atTop: boolean;
  atBottom: boolean;
}

interface Props {
  count: number;
  keyAt(i: number): string | number;
  renderRow(i: number): ComponentChildren;
  estimate?: number;
  /** Keep the view pinned to the bottom when new rows arrive there. */
  followBottom?: boolean;
  onRange?(r: VisibleRange): void;
  handle?: Ref<VirtualListHandle>;
  overscanPx?: number;
  className?: string;
  label?: string;
}

const BOTTOM_SLACK = 4;

export function VirtualList(p: Props) {
  const estimate = p.estimate ?? 64;
  const overscan = p.overscanPx ?? 800;
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string | number, number>());
  const [version, setVersion] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const anchor = useRef<{ key: string | number; delta: number } | null>(null);
  const stick = useRef(true);
  const frame = useRef(0);

  // Keys and their positions; rebuilt when the rows change.
  const keys = useMemo(() => {
    const arr = new Array<string | number>(p.count);
    const index = new Map<string | number, number>();
    for (let i = 0; i < p.count; i++) {
      const k = p.keyAt(i);
      arr[i] = k;
      index.set(k, i);
    }
    return { arr, index };
    // keyAt identity changes with the data it reads
  }, [p.count, p.keyAt]);

  const offsets = useMemo(() => {
    const o = new Float64Array(p.count + 1);
    const h = heights.current;
    for (let i = 0; i < p.count; i++) o[i + 1] = o[i]! + (h.get(keys.arr[i]!) ?? estimate);
    return o;
  }, [keys, version, estimate]);

  const total = offsets[p.count] ?? 0;

  function indexAt(y: number): number {
    let lo = 0;
    let hi = p.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  const start = p.count === 0 ? 0 : indexAt(Math.max(0, scrollTop - overscan));
  let end = start;
  while (end < p.count && offsets[end]! < scrollTop + viewport + overscan) end++;

  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver((entries) => {
            let changed = false;
            for (const e of entries) {
              const el = e.target as HTMLElement;
              const key = el.dataset.vkey;
              if (key === undefined) continue;
              const k = el.dataset.vnum === '1' ? Number(key) : key;
              const h = e.borderBoxSize?.[0]?.blockSize ?? el.offsetHeight;
              if (h > 0 && Math.abs((heights.current.get(k) ?? -1) - h) > 0.5) {
                heights.current.set(k, h);
                changed = true;
              }
            }
            if (changed) setVersion((v) => v + 1);
          }),
    [],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);

  function rememberAnchor(el: HTMLDivElement): void {
    const top = el.scrollTop;
    stick.current = el.scrollHeight - top - el.clientHeight <= BOTTOM_SLACK;
    if (p.count === 0) return;
    // Never anchor on the first row: it is the list's edge (a "load older"
    // row), and rows prepended above a message must push it down, not stay below it.
    let i = indexAt(top);
    if (i === 0 && p.count > 1) i = 1;
    anchor.current = { key: keys.arr[i]!, delta: top - offsets[i]! };
  }

  // Keep the anchor (or the bottom) in place after rows or heights change.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (viewport !== el.clientHeight && el.clientHeight > 0) setViewport(el.clientHeight);
    if (stick.current && p.followBottom !== false) {
      const target = Math.max(0, total - el.clientHeight);
      if (Math.abs(el.scrollTop - target) > 1) el.scrollTop = target;
    } else if (anchor.current) {
      const i = keys.index.get(anchor.current.key);
      if (i !== undefined) {
        const target = offsets[i]! + anchor.current.delta;
        if (Math.abs(el.scrollTop - target) > 1) el.scrollTop = target;
      }
    }
    if (el.scrollTop !== scrollTop) setScrollTop(el.scrollTop);
  }, [offsets, total]);

  useEffect(() => {
    const el = scroller.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      setViewport(el.clientHeight);
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Report the visible range (not the overscan) to the owner.
  const onRange = p.onRange;
  useEffect(() => {
    if (!onRange) return;
    const el = scroller.current;
    const first = indexAt(scrollTop);
    let last = first;
    while (last < p.count - 1 && offsets[last + 1]! < scrollTop + viewport) last++;
    const atBottom = !el || el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK + 40;
    onRange({ start: first, end: last, atTop: scrollTop < 200, atBottom });
  }, [scrollTop, viewport, p.count, offsets]);

  useImperativeHandle(p.handle ?? null, () => ({
    scrollToIndex(i: number, align: 'start' | 'center' | 'end' = 'center') {
      const el = scroller.current;
      if (!el || i < 0 || i >= p.count) return;
      const h = offsets[i + 1]! - offsets[i]!;
      let top = offsets[i]!;
      if (align === 'center') top = offsets[i]! - el.clientHeight / 2 + h / 2;
      if (align === 'end') top = offsets[i + 1]! - el.clientHeight;
      top = Math.max(0, Math.min(top, total - el.clientHeight));
      stick.current = false;
      anchor.current = { key: keys.arr[i]!, delta: top - offsets[i]! };
      el.scrollTop = top;
      setScrollTop(top);
    },
    scrollToBottom() {
      const el = scroller.current;
      if (!el) return;
      stick.current = true;
      el.scrollTop = el.scrollHeight;
      setScrollTop(el.scrollTop);
    },
    isAtBottom() {
      return stick.current;
    },
  }), [offsets, total, keys, p.count]);

  const rows: ComponentChildren[] = [];
  for (let i = start; i < end; i++) {
    const k = keys.arr[i]!;
    rows.push(
      <VRow key={k} vkey={k} index={i} render={p.renderRow} observer={observer} />,
    );
  }

  return (
    <div
      ref={scroller}
      class={'vlist ' + (p.className ?? '')}
      role="log"
      aria-label={p.label}
      aria-live="polite"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        rememberAnchor(el);
        if (!frame.current) {
          frame.current = requestAnimationFrame(() => {
            frame.current = 0;
            setScrollTop(el.scrollTop);
          });
        }
      }}
    >
      <div class="vlist-spacer" style={{ height: `${total}px` }}>
        <div class="vlist-window" style={{ transform: `translateY(${offsets[start] ?? 0}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}

interface VRowProps {
  vkey: string | number;
  index: number;
  render(i: number): ComponentChildren;
  observer: ResizeObserver | null;
}

/**
 * One row. It re-renders only when its index or the render function changes
 * (the rows changed), not on every scroll frame: most frames only move the
 * window, and re-rendering the 30-40 rows already on screen each frame was
 * wasted work.
 */
class VRow extends Component<VRowProps> {
  private el: HTMLDivElement | null = null;
  private readonly setEl = (el: HTMLDivElement | null) => {
    if (el === this.el) return;
    if (this.el) this.props.observer?.unobserve(this.el);
    this.el = el;
    if (el) this.props.observer?.observe(el);
  };
  override shouldComponentUpdate(next: VRowProps): boolean {
    return next.index !== this.props.index || next.render !== this.props.render || next.vkey !== this.props.vkey;
  }
  override componentWillUnmount(): void {
    this.setEl(null);
  }
  override render(p: VRowProps) {
    return (
      <div ref={this.setEl} class="vrow" data-vkey={String(p.vkey)} data-vnum={typeof p.vkey === 'number' ? '1' : '0'}>
        {p.render(p.index)}
      </div>
    );
  }
}
