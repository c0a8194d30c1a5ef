import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// Only the markdown renderer may produce HTML that reaches the DOM.
const ALLOWED = new Set(['src/ui/Markdown.tsx']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(tsx?|js)$/.test(n) ? [p] : [];
  });
}

describe('HTML sinks', () => {
  it('nothing but ui/Markdown.tsx touches innerHTML', () => {
    const root = resolve(__dirname, '..');
    const offenders = files(join(root, 'src'))
      .filter((f) => /innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f))
      .filter((f) => !ALLOWED.has(f));
    expect(offenders).toEqual([]);
  });
});
