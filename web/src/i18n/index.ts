// The i18n layer: every UI string goes through t(). Locales are complete
// dictionaries (test/i18n.test.ts fails when one lacks a key of the other);
// dates, times, numbers and plurals come from Intl.
import { signal } from '@preact/signals';
import { en, type Dict } from './en';
import { zhCN } from './zh-CN';

export type Locale = 'en' | 'zh-CN';
export const LOCALES: Record<Locale, Dict> = { en, 'zh-CN': zhCN };
export type Key = keyof typeof en;

const STORAGE_KEY = 'parley.locale';

/** Picks zh-CN for any Chinese browser language, English otherwise. */
export function detectLocale(langs: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  for (const l of langs) {
    const low = l.toLowerCase();
    if (low.startsWith('zh')) return 'zh-CN';
    if (low.startsWith('en')) return 'en';
  }
  return 'en';
}

function initial(): Locale {
  try {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved === 'en' || saved === 'zh-CN') return saved;
  } catch { /* ignore */ }
  return detectLocale();
}

export const locale = signal<Locale>(initial());

export function setLocale(l: Locale): void {
  locale.value = l;
  try { localStorage.setItem(STORAGE_KEY, l); } catch { /* ignore */ }
  document.documentElement.lang = l;
}

type Params = Record<string, string | number>;

/** Translates key, filling {name} placeholders; a numeric `n` selects the plural form. */
export function t(key: Key, params?: Params): string {
  const l = locale.value;
  const v = LOCALES[l][key] ?? LOCALES.en[key] ?? key;
  let s: string;
  if (typeof v === 'string') s = v;
  else {
    const n = typeof params?.n === 'number' ? params.n : 0;
    const form = new Intl.PluralRules(l).select(n);
    s = (v as Record<string, string>)[form] ?? v.other;
  }
  if (!params) return s;
  return s.replace(/\{(\w+)\}/g, (m, name: string) => {
    const p = params[name];
    if (p === undefined) return m;
    return typeof p === 'number' ? new Intl.NumberFormat(l).format(p) : p;
  });
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function dtf(opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const k = locale.value + JSON.stringify(opts);
  let f = fmtCache.get(k);
  if (!f) {
    f = new Intl.DateTimeFormat(locale.value, opts);
    fmtCache.set(k, f);
  }
  return f;
}

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
/** A file size in the user's language: 980 bytes, 1.5 MB, 2 GB (powers of 1024, one decimal under 10). */
export function formatBytes(n: number, l: string = locale.value): string {
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 10 ? 0 : 1;
  return new Intl.NumberFormat(l, { style: 'unit', unit: UNITS[u], unitDisplay: u === 0 ? 'long' : 'short', maximumFractionDigits: digits }).format(v);
}

export function formatTime(iso: string | null): string {
  if (!iso) return '';
  return dtf({ hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

export function formatDateTime(iso: string | null): string {
  if (!iso) return '';
  return dtf({ dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

/** "Today", "Yesterday" or a full date, for the separators in the history. */
export function formatDay(iso: string | null, now: Date = new Date()): string {
  if (!iso) return '';
  const d = new Date(iso);
  const day = (x: Date) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(now) - day(d)) / 86400000);
  if (diff === 0 || diff === 1) {
    const rtf = new Intl.RelativeTimeFormat(locale.value, { numeric: 'auto' });
    return rtf.format(-diff, 'day');
  }
  return dtf({ weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(d);
}

export function dayKey(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

export function formatList(items: string[]): string {
  return new Intl.ListFormat(locale.value, { style: 'short', type: 'conjunction' }).format(items);
}
