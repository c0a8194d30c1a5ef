import { describe, expect, it } from 'vitest';
import { render } from 'preact';
import { Snippet } from '../src/ui/Search';

describe('search snippets', () => {
  it('renders segments as text with <mark> for highlights, never as HTML', () => {
    const root = document.createElement('div');
    render(<Snippet segments={[
      { text: '企业<img src=x onerror="window.__x=1">', highlight: false },
      { text: '合规', highlight: true },
      { text: '<b>要求</b>…', highlight: false },
    ]} />, root);
    const snip = root.querySelector('.snippet')!;
    expect(snip.querySelectorAll('img, b').length).toBe(0);
    expect([...snip.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['合规']);
    expect(snip.textContent).toBe('企业<img src=x onerror="window.__x=1">合规<b>要求</b>…');
  });
});
