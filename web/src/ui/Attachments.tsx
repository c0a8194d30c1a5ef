// The files a message carries: images inline (the thumbnail, linking to the
// full image), video and audio players, PDFs as a card with their first page
// that opens a preview (PdfPreview.tsx), and a download card for everything
// else. Sizes are fixed before anything loads, so the virtual list
// does not jump when an image arrives.
import type { Attachment } from '../api/types';
import { downloadUrl } from '../api/client';
import { formatBytes, t } from '../i18n';
import { fitBox } from '../state/uploads-model';
import { Icon } from './common';
import { PdfCard } from './PdfPreview';

const IMAGE_BOX: [number, number] = [360, 240];

export function Attachments({ files }: { files: readonly Attachment[] | undefined }) {
  if (!files?.length) return null;
  return (
    <ul class="attachments" aria-label={t('files.attachments')}>
      {files.map((f) => (
        <li key={f.id} class={'att att-' + (f.preview || 'file')}>
          <AttachmentView f={f} />
        </li>
      ))}
    </ul>
  );
}

function AttachmentView({ f }: { f: Attachment }) {
  switch (f.preview) {
    case 'image': {
      const [w, h] = fitBox(f.width, f.height, IMAGE_BOX[0], IMAGE_BOX[1]);
      return (
        <a class="att-image" href={f.url} target="_blank" rel="noopener noreferrer" title={f.name}>
          <img src={f.has_thumbnail && f.thumbnail_url ? f.thumbnail_url : f.url} width={w} height={h} alt={t('files.open_image', { name: f.name })} loading="lazy" decoding="async" data-uc="" />
        </a>
      );
    }
    case 'video':
      // preload=metadata fetches the header (a range request), not the file;
      // the #t fragment makes the browser seek to the first frame and show it
      // instead of a black box (Safari shows nothing without it). No autoplay.
      return (
        <figure class="att-media">
          <video class="att-video" controls preload="metadata" src={f.url + '#t=0.001'} aria-label={f.name} />
          <FileLine f={f} />
        </figure>
      );
    case 'audio':
      return (
        <figure class="att-media">
          <FileLine f={f} />
          <audio class="att-audio" controls preload="none" src={f.url} aria-label={f.name} />
        </figure>
      );
    case 'pdf':
      return <PdfCard f={f} />;
    default:
      return <FileCard f={f} />;
  }
}

/** Name, size and a download link under a player. */
function FileLine({ f }: { f: Attachment }) {
  return (
    <figcaption class="att-line">
      <span class="att-name" data-uc="">{f.name}</span>
      <span class="muted">{formatBytes(f.size)}</span>
      <a class="link-btn" href={downloadUrl(f.url)} download={f.name} aria-label={t('files.download_name', { name: f.name })}>{t('files.download')}</a>
    </figcaption>
  );
}

export function FileCard({ f }: { f: Attachment }) {
  return (
    <div class="att-card">
      <span class="att-icon" aria-hidden="true"><Icon name="file" size={22} /></span>
      <span class="att-text">
        <a class="att-name" href={downloadUrl(f.url)} download={f.name} data-uc="">{f.name}</a>
        <span class="muted small">{formatBytes(f.size)} · {f.preview === 'pdf' ? t('files.kind_pdf') : t('files.kind_file')}</span>
      </span>
      {f.preview === 'pdf' && (
        <a class="btn att-open" href={f.url} target="_blank" rel="noopener noreferrer" aria-label={`${t('files.open')} ${f.name}`}>{t('files.open')}</a>
      )}
      <a class="icon-btn att-download" href={downloadUrl(f.url)} download={f.name} aria-label={t('files.download_name', { name: f.name })} title={t('files.download')}>
        <Icon name="download" />
      </a>
    </div>
  );
}
