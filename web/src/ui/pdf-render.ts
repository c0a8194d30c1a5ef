// PDF rendering with pdf.js. This module is only ever loaded with a dynamic
// import (see PdfPreview.tsx), so pdf.js (~130 KB gzipped) and its worker stay
// out of the first load; Vite emits the worker as a file on our own origin
// (the CSP allows worker-src 'self' and has no unsafe-eval; pdf.js 6 no longer
// has eval code paths, and WebAssembly decoders are turned off because the CSP
// has no wasm-unsafe-eval). See docs/adr/0016-pdf-previews-in-the-browser.md.
import { getDocument, GlobalWorkerOptions, PDFWorker, type PDFDocumentProxy, type RenderTask } from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

/**
 * One worker for every document on the page: a channel with ten PDFs starts
 * one 1.2 MB worker, not ten. Destroying a document leaves a worker it was
 * given running; it is made again if it ever died.
 */
let shared: PDFWorker | null = null;
function worker(): PDFWorker {
  if (!shared || shared.destroyed) shared = new PDFWorker();
  return shared;
}

/** A canvas never has more device pixels than this (a 4096 × 4096 square). */
export const MAX_CANVAS_PIXELS = 4096 * 4096;

export interface PdfHandle {
  /** Pages in the document (not capped). */
  readonly pages: number;
  /**
   * Draws page `n` (1-based) into the canvas, scaled to fit a CSS box of
   * width × height, sharp on high-density screens, within MAX_CANVAS_PIXELS.
   */
  render(n: number, canvas: HTMLCanvasElement, width: number, height: number): Promise<void>;
  /** Stops any rendering and frees the worker's memory. */
  close(): void;
}

/**
 * Fetches the file with the user's session and opens it. Rejects with
 * 'http' when the server refuses the bytes and 'pdf' when they are not a PDF
 * pdf.js can read, so the caller can say which.
 */
export async function openPdf(url: string, signal: AbortSignal): Promise<PdfHandle> {
  const r = await fetch(url, { credentials: 'same-origin', signal });
  if (!r.ok) throw new PdfError('http');
  const data = new Uint8Array(await r.arrayBuffer());
  let doc: PDFDocumentProxy;
  const task = getDocument({ data, worker: worker(), useWasm: false, enableXfa: false, stopAtErrors: false, maxImageSize: MAX_CANVAS_PIXELS });
  signal.addEventListener('abort', () => void task.destroy(), { once: true });
  try {
    doc = await task.promise;
  } catch {
    throw new PdfError('pdf');
  }
  if (doc.numPages < 1) {
    void task.destroy();
    throw new PdfError('pdf');
  }
  let current: RenderTask | null = null;
  return {
    pages: doc.numPages,
    async render(n, canvas, width, height) {
      current?.cancel();
      const page = await doc.getPage(n);
      const base = page.getViewport({ scale: 1 });
      const fit = Math.min(width / base.width, height / base.height);
      const dpr = Math.min(globalThis.devicePixelRatio || 1, 2);
      let scale = fit * dpr;
      const area = base.width * base.height * scale * scale;
      if (area > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / area);
      const vp = page.getViewport({ scale });
      canvas.width = Math.max(1, Math.floor(vp.width));
      canvas.height = Math.max(1, Math.floor(vp.height));
      canvas.style.width = `${Math.round(base.width * fit)}px`;
      canvas.style.height = `${Math.round(base.height * fit)}px`;
      const job = page.render({ canvas, viewport: vp });
      current = job;
      try {
        await job.promise;
      } finally {
        if (current === job) current = null;
        page.cleanup();
      }
    },
    close() {
      current?.cancel();
      void task.destroy(); // ends the document (the shared worker stays)
    },
  };
}

export class PdfError extends Error {
  constructor(readonly kind: 'http' | 'pdf') {
    super(kind === 'http' ? 'the file could not be fetched' : 'not a readable PDF');
  }
}
