// The one renderer for user content. markdown-it parses with raw HTML disabled,
// DOMPurify then sanitises the output with a small allow-list as a second wall.
// This module and ui/Markdown.tsx are the only places that produce HTML strings;
// a unit test (test/no-innerhtml.test.ts) fails when anything else writes HTML into the DOM.
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });

// Images would let any message load third-party URLs (tracking); show them as links.
md.disable(['image']);

const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#)/i;
md.validateLink = (url: string) => SAFE_URL.test(url.trim());

// @mentions and #channels become inert spans the UI styles and can click.
const defaultText = md.renderer.rules.text!;
md.renderer.rules.text = (tokens, idx, options, env, self) => {
  const content = tokens[idx]!.content;
  if (!/[@#]/.test(content)) return defaultText(tokens, idx, options, env, self);
  const esc = md.utils.escapeHtml;
  return content
    .split(/((?:^|(?<=[\s(（]))[@#][\p{L}\p{N}._-]+)/u)
    .map((part) => {
      const m = /^([@#])([\p{L}\p{N}._-]+)$/u.exec(part);
      if (!m) return esc(part);
      const kind = m[1] === '@' ? 'mention' : 'channel-ref';
      return `<span class="${kind}" data-ref="${esc(m[2]!)}">${esc(part)}</span>`;
    })
    .join('');
};

const ALLOWED_TAGS = [
  'p', 'br', 'strong', 'em', 's', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li',
  'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'data-ref', 'start', 'align', 'target', 'rel'];

let hooked = false;
function purifier(): typeof DOMPurify {
  if (!hooked) {
    DOMPurify.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        const href = node.getAttribute('href') ?? '';
        if (!SAFE_URL.test(href.trim())) node.removeAttribute('href');
        node.setAttribute('target', '_blank');
        node.setAttribute('rel', 'noopener noreferrer');
      }
      for (const name of node.getAttributeNames()) {
        if (name.startsWith('data-') && name !== 'data-ref') node.removeAttribute(name);
      }
      const cls = node.getAttribute('class');
      if (cls !== null && !/^(mention|channel-ref|language-[\w-]+)$/.test(cls)) node.removeAttribute('class');
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Renders user markdown to sanitised HTML. */
export function renderMarkdown(text: string): string {
  const html = md.render(text);
  return purifier().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: true, // only data-ref survives the hook above
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/(?!\/)|#)/i,
  }) as unknown as string;
}

const cache = new Map<string, string>();
/** renderMarkdown with a bounded cache: scrolling re-renders the same rows often. */
export function renderMarkdownCached(text: string): string {
  let html = cache.get(text);
  if (html === undefined) {
    html = renderMarkdown(text);
    if (cache.size > 2000) cache.delete(cache.keys().next().value!);
    cache.set(text, html);
  }
  return html;
}
