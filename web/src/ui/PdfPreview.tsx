// PDF attachments: a card with the first page as a thumbnail, and a preview
// dialog to page through the document. The browser's own PDF viewer cannot be
// used (the server serves file bytes under a `sandbox` CSP, where Chrome's
// viewer does not run) and the server cannot render PDFs (no pure-Go
// renderer), so pdf.js draws them here. pdf.js is loaded on demand by
// loadRenderer(): the first load of the app does not carry it (ADR 0016).
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Attachment } from '../api/types';
import { downloadUrl } from '../api/client';
import { formatBytes, t } from '../i18n';
import { Icon, Modal } from './common';
import type { PdfHandle } from './pdf-render';

/** Thumbnails are drawn only for files up to this size (the whole file is fetched). */
export const THUMB_MAX_BYTES = 10 << 20;
/** The dialog previews files up to this size; bigger ones are downloaded. */
export const PREVIEW_MAX_BYTES = 50 << 20;
/** At most this many pages can be browsed in the dialog; the rest need a download. */
export const MAX_PAGES = 100;
/** CSS pixels inside the 72 × 96 thumbnail button. */
const THUMB_BOX: [number, number] = [70, 94];

/** The dynamic import that keeps pdf.js out of the first load. */
const loadRenderer = () => import('./pdf-render');

type PdfState =
  | { s: 'loading' }
  | { s: 'ready'; pdf: PdfHandle }
  | { s: 'error'; kind: 'http' | 'pdf' }
  | { s: 'too-large' };

/** Opens the PDF at url while mounted (and enabled), and closes it after. */
function usePdf(url: string, size: number, maxBytes: number): PdfState {
  const [state, setState] = useState<PdfState>(size > maxBytes ? { s: 'too-large' } : { s: 'loading' });
  useEffect(() => {
    if (size > maxBytes) return;
    const ctl = new AbortController();
    let pdf: PdfHandle | null = null;
    loadRenderer()
      .then((m) => m.openPdf(url, ctl.signal))
      .then((h) => {
        pdf = h;
        if (ctl.signal.aborted) h.close();
        else setState({ s: 'ready', pdf: h });
      })
      .catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        const kind = e && typeof e === 'object' && 'kind' in e && e.kind === 'pdf' ? 'pdf' : 'http';
        setState({ s: 'error', kind });
      });
    return () => {
      ctl.abort();
      pdf?.close();
    };
  }, [url, size, maxBytes]);
  return state;
}

/** The attachment card of a PDF: the first page, the name, size and a download. */
export function PdfCard({ f }: { f: Attachment }) {
  const [open, setOpen] = useState(false);
  const [noPreview, setNoPreview] = useState(false);
  return (
    <div class="att-card att-pdf">
      <button type="button" class="att-pdf-thumb" onClick={() => setOpen(true)} aria-label={t('files.preview_name', { name: f.name })} aria-haspopup="dialog">
        <PdfThumb f={f} onFailed={() => setNoPreview(true)} />
      </button>
      <span class="att-text">
        <a class="att-name" href={downloadUrl(f.url)} download={f.name} data-uc="">{f.name}</a>
        <span class="muted small">
          {formatBytes(f.size)} · {t('files.kind_pdf')}
          {noPreview && <span class="pdf-no-preview"> · {t('files.pdf_no_preview')}</span>}
        </span>
      </span>
      <a class="icon-btn att-download" href={downloadUrl(f.url)} download={f.name} aria-label={t('files.download_name', { name: f.name })} title={t('files.download')}>
        <Icon name="download" />
      </a>
      {open && <PdfDialog f={f} onClose={() => setOpen(false)} />}
    </div>
  );
}

/**
 * The first page, drawn small; a file icon while loading or when it cannot be
 * drawn (then onFailed: the card says so outside the button, whose accessible
 * name must match its visible text).
 */
export function PdfThumb({ f, onFailed }: { f: Attachment; onFailed?: () => void }) {
  const state = usePdf(f.url, f.size, THUMB_MAX_BYTES);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState<'no' | 'yes' | 'failed'>('no');
  useEffect(() => {
    if (state.s !== 'ready' || !canvas.current) return;
    let live = true;
    state.pdf.render(1, canvas.current, THUMB_BOX[0], THUMB_BOX[1]).then(
      () => live && setDrawn('yes'),
      () => live && setDrawn('failed'),
    );
    return () => {
      live = false;
    };
  }, [state]);
  const failed = state.s === 'error' || drawn === 'failed';
  const failedRef = useRef(onFailed);
  failedRef.current = onFailed;
  useEffect(() => {
    if (failed) failedRef.current?.();
  }, [failed]);
  return (
    <span class="pdf-thumb" data-state={failed ? 'error' : drawn === 'yes' ? 'ready' : state.s === 'ready' ? 'drawing' : state.s}>
      {state.s === 'ready' && <canvas ref={canvas} class="pdf-thumb-canvas" aria-hidden="true" hidden={drawn !== 'yes'} />}
      {drawn !== 'yes' && (
        <span class="pdf-thumb-icon" aria-hidden="true">
          <Icon name="file" size={28} />
        </span>
      )}
    </span>
  );
}

/** Pages through a PDF, one page at a time, at most MAX_PAGES of them. */
export function PdfDialog({ f, onClose }: { f: Attachment; onClose(): void }) {
  const state = usePdf(f.url, f.size, PREVIEW_MAX_BYTES);
  const [page, setPage] = useState(1);
  const [renderFailed, setRenderFailed] = useState(false);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const total = state.s === 'ready' ? state.pdf.pages : 0;
  const last = Math.min(total, MAX_PAGES);
  useLayoutEffect(() => {
    if (state.s !== 'ready' || !canvas.current || !box.current) return;
    let live = true;
    // The box's padding (2 × 8 px) is not page.
    const width = Math.max(200, (box.current.clientWidth || 600) - 16);
    const height = Math.max(240, Math.round(innerHeight * 0.8) - 200);
    setRenderFailed(false);
    state.pdf.render(page, canvas.current, width, height).catch((e: unknown) => {
      // A newer render cancels this one: only a real failure is shown.
      if (live && !(e instanceof Error && e.name === 'RenderingCancelledException')) setRenderFailed(true);
    });
    return () => {
      live = false;
    };
  }, [state, page]);
  // While loading, the dialog focuses the download link; once the page is
  // there, focus moves to it (where the arrow keys turn pages), unless the
  // user has moved on already.
  useEffect(() => {
    if (state.s === 'ready' && document.activeElement?.classList.contains('pdf-download')) box.current?.focus();
  }, [state.s]);
  const go = (n: number) => setPage(Math.max(1, Math.min(last, n)));
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowRight' || e.key === 'PageDown') go(page + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') go(page - 1);
    else if (e.key === 'Home') go(1);
    else if (e.key === 'End') go(last);
    else return;
    e.preventDefault();
  };
  const pageLabel = t('files.pdf_page', { n: page, total });
  return (
    <Modal title={f.name} onClose={onClose} wide initialFocus=".pdf-page, .pdf-download">
      <div class="pdf-view">
        {state.s === 'loading' && <p class="muted" role="status">{t('files.pdf_loading')}</p>}
        {state.s === 'too-large' && <p role="alert">{t('files.pdf_too_large')}</p>}
        {state.s === 'error' && <p role="alert" class="pdf-error">{t(state.kind === 'pdf' ? 'files.pdf_broken' : 'files.pdf_fetch_failed')}</p>}
        {state.s === 'ready' && (
          <>
            <div ref={box} class="pdf-page" tabIndex={0} role="img" aria-label={`${f.name}, ${pageLabel}`} onKeyDown={onKey}>
              <canvas ref={canvas} class="pdf-canvas" />
            </div>
            {renderFailed && <p role="alert" class="pdf-error">{t('files.pdf_broken')}</p>}
            <div class="pdf-nav">
              <button type="button" class="btn pdf-prev" onClick={() => go(page - 1)} disabled={page <= 1}>
                <span aria-hidden="true">‹</span> {t('files.pdf_prev')}
              </button>
              <span class="pdf-status" role="status">{pageLabel}</span>
              <button type="button" class="btn pdf-next" onClick={() => go(page + 1)} disabled={page >= last}>
                {t('files.pdf_next')} <span aria-hidden="true">›</span>
              </button>
            </div>
            {total > MAX_PAGES && <p class="muted small">{t('files.pdf_capped', { n: MAX_PAGES })}</p>}
          </>
        )}
        <a class="link-btn pdf-download" href={downloadUrl(f.url)} download={f.name}>{t('files.download_name', { name: f.name })}</a>
      </div>
    </Modal>
  );
}
