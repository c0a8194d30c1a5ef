// Light/dark theme preference; the tokens live in styles/tokens.css.
import { signal } from '@preact/signals';

export type ThemePref = 'system' | 'light' | 'dark';
const KEY = 'parley.theme';

function read(): ThemePref {
  const v = localStorage.getItem(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

export const theme = signal<ThemePref>(read());

export function applyTheme(pref: ThemePref = theme.value): void {
  const root = document.documentElement;
  if (pref === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', pref);
}

export function setTheme(pref: ThemePref): void {
  theme.value = pref;
  localStorage.setItem(KEY, pref);
  applyTheme(pref);
}
