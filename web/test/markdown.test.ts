import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderMarkdown } from '../src/markdown/render';

const corpus = readFileSync(resolve(__dirname, 'xss-corpus.txt'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '');

function parse(html: string): HTMLElement {
  const div = document.createElement('div');
  // Parsing the sanitiser's output into a detached element is the point of this test.
  div.innerHTML = html;
  return div;
}

describe('renderMarkdown', () => {
  it('renders basic markdown', () => {
    const html = renderMarkdown('**bold** _it_ `code`\n\n- a\n- b');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>it</em>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<li>a</li>');
  });

  it('opens links in a new tab without an opener', () => {
    const el = parse(renderMarkdown('[x](https://example.com) and https://example.org'));
    const links = el.querySelectorAll('a');
    expect(links.length).toBe(2);
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('marks mentions and channel references', () => {
    const el = parse(renderMarkdown('hi @li.lei see #general, mail a@b.c'));
    expect(el.querySelector('.mention')?.getAttribute('data-ref')).toBe('li.lei');
    expect(el.querySelector('.channel-ref')?.getAttribute('data-ref')).toBe('general');
    expect(el.querySelectorAll('.mention').length).toBe(1);
  });

  it('does not render images', () => {
    expect(renderMarkdown('![x](https://example.com/a.png)')).not.toContain('<img');
  });

  it.each(corpus)('neutralises %s', (payload) => {
    const el = parse(renderMarkdown(payload));
    for (const node of el.querySelectorAll('*')) {
      expect(['SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'IMG', 'SVG', 'MATH', 'FORM', 'INPUT', 'META', 'BASE', 'LINK', 'VIDEO', 'SOURCE', 'DETAILS', 'BODY', 'MARQUEE', 'TEMPLATE', 'NOSCRIPT'])
        .not.toContain(node.tagName.toUpperCase());
      for (const attr of node.getAttributeNames()) {
        expect(attr.startsWith('on')).toBe(false);
        expect(['style', 'xlink:href', 'src', 'action', 'formaction']).not.toContain(attr);
      }
      const href = node.getAttribute('href');
      if (href !== null) expect(href.trim()).toMatch(/^(https?:|mailto:|\/(?!\/)|#)/i);
    }
  });
});
