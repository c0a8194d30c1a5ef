import { describe, expect, it } from 'vitest';
import { LOCALES, t, setLocale, detectLocale } from '../src/i18n';

function shape(v: unknown): string {
  return typeof v === 'string' ? 'string' : 'plural';
}

describe('locales', () => {
  const names = Object.keys(LOCALES) as (keyof typeof LOCALES)[];
  for (const a of names) {
    for (const b of names) {
      if (a === b) continue;
      it(`every ${a} key exists in ${b}`, () => {
        const missing = Object.keys(LOCALES[a]).filter((k) => !(k in LOCALES[b]));
        expect(missing).toEqual([]);
      });
    }
  }

  it('entries have the same kind and placeholders in every locale', () => {
    const base = LOCALES.en as Record<string, unknown>;
    for (const name of names) {
      const dict = LOCALES[name] as Record<string, unknown>;
      for (const k of Object.keys(base)) {
        expect(shape(dict[k]), `${name}:${k}`).toBe(shape(base[k]));
        const ph = (v: unknown) => [...JSON.stringify(v).matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(new Set(ph(dict[k])), `${name}:${k}`).toEqual(new Set(ph(base[k])));
      }
    }
  });

  it('no value is empty', () => {
    for (const dict of Object.values(LOCALES)) {
      for (const [k, v] of Object.entries(dict)) expect(JSON.stringify(v).length > 2, k).toBe(true);
    }
  });

  it('formats plurals and placeholders through Intl', () => {
    setLocale('en');
    expect(t('msg.replies', { n: 1 })).toBe('1 reply');
    expect(t('msg.replies', { n: 1200 })).toBe('1,200 replies');
    setLocale('zh-CN');
    expect(t('msg.receipts_summary', { read: 3, unread: 2 })).toBe('3 人已读 · 2 人未读');
    expect(t('msg.replies', { n: 2 })).toBe('2 条回复');
  });

  it('picks the locale from the browser languages', () => {
    expect(detectLocale(['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLocale(['de-DE', 'en-GB'])).toBe('en');
    expect(detectLocale(['fr'])).toBe('en');
  });
});
