// Cards for the links a message carries (`previews`, fetched by the server).
// Everything is plain text: rendered as text nodes, never as HTML, and no
// remote image is ever loaded: the only image shown is the thumbnail the
// server re-encoded and serves itself (docs/api.md, Link previews).
import type { LinkPreview } from '../api/types';
import { t } from '../i18n';

const WEB = /^https?:\/\//i;
// Only our own endpoint: a preview pointing anywhere else shows no image.
const IMAGE = /^\/api\/v1\/link-previews\/images\/[0-9a-f]{32}\.(jpg|png)$/;
const MAX_W = 320;
const MAX_H = 180;

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
          {p.image_url && IMAGE.test(p.image_url) && <PreviewImage p={p} />}
        </li>
      ))}
    </ul>
  );
}

function PreviewImage({ p }: { p: LinkPreview }) {
  const w = p.image_width || MAX_W;
  const h = p.image_height || MAX_H;
  // Fit in MAX_W × MAX_H keeping the ratio; the size is set before it loads,
  // so the timeline does not jump.
  const scale = Math.min(1, MAX_W / w, MAX_H / h);
  return (
    <img class="lp-image" src={p.image_url} width={Math.max(1, Math.round(w * scale))} height={Math.max(1, Math.round(h * scale))}
      alt={t('msg.link_preview_image', { site: p.site_name || hostOf(p.url) })} loading="lazy" decoding="async" />
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}
