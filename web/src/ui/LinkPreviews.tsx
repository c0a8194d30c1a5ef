// Cards for the links a message carries (`previews`, fetched by the server).
// Everything is plain text: rendered as text nodes, never as HTML, and no
// remote image is ever loaded (docs/api.md, Link previews).
import type { LinkPreview } from '../api/types';
import { t } from '../i18n';

const WEB = /^https?:\/\//i;

export function LinkPreviews({ previews }: { previews: readonly LinkPreview[] | undefined }) {
  const list = (previews ?? []).filter((p) => WEB.test(p.url) && (p.title || p.description));
  if (!list.length) return null;
  return (
    <ul class="link-previews" aria-label={t('msg.link_previews')}>
      {list.map((p) => (
        <li key={p.url} class="link-preview" data-uc="">
          <span class="lp-site">{p.site_name || hostOf(p.url)}</span>
          <a class="lp-title" href={p.url} target="_blank" rel="noopener noreferrer">{p.title || p.url}</a>
          {p.description && <p class="lp-desc">{p.description}</p>}
        </li>
      ))}
    </ul>
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
