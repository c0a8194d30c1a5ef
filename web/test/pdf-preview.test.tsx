// The PDF card and preview dialog through their states (loading, ready,
// broken, unreachable, too large) with pdf.js replaced by a stand-in: the real
// renderer is exercised in the browser by e2e/files.e2e.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { render } from 'preact';
import type { Attachment } from '../src/api/types';
import type { PdfHandle } from '../src/ui/pdf-render';

const opened: { url: string; signal: AbortSignal }[] = [];
const rendered: number[] = [];
let closed = 0;
let next: () => Promise<PdfHandle>;

vi.mock('../src/ui/pdf-render', () => ({
  MAX_CANVAS_PIXELS: 4096 * 4096,
  openPdf: (url: string, signal: AbortSignal) => {
    opened.push({ url, signal });
    return next();
  },
}));

const { PdfCard, PdfDialog, MAX_PAGES } = await import('../src/ui/PdfPreview');

function handle(pages: number, failPage = 0): PdfHandle {
  return {
    pages,
    render: async (n: number, canvas: HTMLCanvasElement) => {
      rendered.push(n);
      if (n === failPage) throw new Error('bad page');
      canvas.width = 10;
    },
    close: () => void closed++,
  };
}

function pdf(over: Partial<Attachment> = {}): Attachment {
  return {
    id: 9, name: 'report.pdf', content_type: 'application/pdf', size: 4096, width: 0, height: 0, preview: 'pdf', has_thumbnail: false,
    url: '/api/v1/files/9/content', thumbnail_url: '', ...over,
  };
}

let root: HTMLElement;
beforeEach(() => {
  opened.length = 0;
  rendered.length = 0;
  closed = 0;
  root = document.createElement('div');
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
});

const thumbState = () => root.querySelector('.pdf-thumb')!.getAttribute('data-state');

describe('PDF card', () => {
  it('draws the first page as the thumbnail of a button that opens the preview', async () => {
    next = async () => handle(3);
    render(<PdfCard f={pdf()} />, root);
    expect(thumbState()).toBe('loading');
    await vi.waitFor(() => expect(thumbState()).toBe('ready'));
    expect(opened.map((o) => o.url)).toEqual(['/api/v1/files/9/content']);
    expect(rendered).toEqual([1]);
    expect(root.querySelector('.pdf-thumb canvas')!.hasAttribute('hidden')).toBe(false);
    const btn = root.querySelector<HTMLButtonElement>('button.att-pdf-thumb')!;
    expect(btn.getAttribute('aria-label')).toBe('Preview report.pdf');
    btn.click();
    await vi.waitFor(() => expect(document.querySelector('[role="dialog"]')).not.toBeNull());
    expect(document.querySelector('[role="dialog"] h2')!.textContent).toBe('report.pdf');
  });

  it('shows "No preview" for a file pdf.js cannot read, and the card still works', async () => {
    next = async () => Promise.reject(Object.assign(new Error('x'), { kind: 'pdf' }));
    render(<PdfCard f={pdf()} />, root);
    await vi.waitFor(() => expect(thumbState()).toBe('error'));
    // Said beside the button, not in it: its name stays "Preview report.pdf".
    await vi.waitFor(() => expect(root.querySelector('.pdf-no-preview')?.textContent).toBe(' · No preview'));
    expect(root.querySelector('button.att-pdf-thumb')!.textContent).toBe('');
    expect(root.querySelector('canvas')).toBeNull();
    expect(root.querySelector('.att-download')!.getAttribute('href')).toBe('/api/v1/files/9/content?download=1');
  });

  it('does not fetch a file too big for a thumbnail', () => {
    next = async () => handle(1);
    render(<PdfCard f={pdf({ size: 11 << 20 })} />, root);
    expect(thumbState()).toBe('too-large');
    expect(opened).toEqual([]);
  });

  it('stops loading and frees the document when it leaves the screen', async () => {
    next = async () => handle(2);
    render(<PdfCard f={pdf()} />, root);
    await vi.waitFor(() => expect(thumbState()).toBe('ready'));
    render(null, root);
    await vi.waitFor(() => expect(opened[0]!.signal.aborted).toBe(true));
    expect(closed).toBe(1);
  });
});

describe('PDF preview dialog', () => {
  it('pages with the buttons and the keyboard, and Escape closes it', async () => {
    next = async () => handle(3);
    const onClose = vi.fn();
    render(<PdfDialog f={pdf()} onClose={onClose} />, root);
    expect(root.querySelector('[role="status"]')!.textContent).toBe('Loading the preview…');
    const status = () => root.querySelector('.pdf-status')?.textContent;
    await vi.waitFor(() => expect(status()).toBe('Page 1 of 3'));
    const page = root.querySelector<HTMLElement>('.pdf-page')!;
    await vi.waitFor(() => expect(document.activeElement).toBe(page));
    const prev = root.querySelector<HTMLButtonElement>('.pdf-prev')!;
    const nextBtn = root.querySelector<HTMLButtonElement>('.pdf-next')!;
    expect(prev.textContent).toContain('Previous page');
    expect(prev.disabled).toBe(true);
    nextBtn.click();
    await vi.waitFor(() => expect(status()).toBe('Page 2 of 3'));
    expect(page.getAttribute('aria-label')).toBe('report.pdf, Page 2 of 3');
    page.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    await vi.waitFor(() => expect(status()).toBe('Page 3 of 3'));
    expect(nextBtn.disabled).toBe(true);
    page.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }));
    await vi.waitFor(() => expect(status()).toBe('Page 2 of 3'));
    expect(rendered).toEqual([1, 2, 3, 2]);
    document.activeElement!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it(`caps browsing at ${MAX_PAGES} pages and says so`, async () => {
    next = async () => handle(MAX_PAGES + 50);
    render(<PdfDialog f={pdf()} onClose={() => {}} />, root);
    await vi.waitFor(() => expect(root.querySelector('.pdf-page')).not.toBeNull());
    root.querySelector('.pdf-page')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'End', bubbles: true }));
    await vi.waitFor(() => expect(root.querySelector('.pdf-status')!.textContent).toBe(`Page ${MAX_PAGES} of ${MAX_PAGES + 50}`));
    expect(root.querySelector<HTMLButtonElement>('.pdf-next')!.disabled).toBe(true);
    expect(root.textContent).toContain(`The preview shows the first ${MAX_PAGES} pages.`);
  });

  it('explains a broken PDF, a page that fails, and a failed fetch, offering the download', async () => {
    next = async () => Promise.reject(Object.assign(new Error('x'), { kind: 'pdf' }));
    render(<PdfDialog f={pdf()} onClose={() => {}} />, root);
    await vi.waitFor(() => expect(root.querySelector('[role="alert"]')!.textContent).toBe('This PDF cannot be shown here. Download it to open it in another app.'));
    expect(root.querySelector('.pdf-download')!.getAttribute('href')).toBe('/api/v1/files/9/content?download=1');
    render(null, root);

    next = async () => handle(2, 1);
    render(<PdfDialog f={pdf()} onClose={() => {}} />, root);
    await vi.waitFor(() => expect(root.querySelector('[role="alert"]')?.textContent).toBe('This PDF cannot be shown here. Download it to open it in another app.'));
    render(null, root);

    next = async () => Promise.reject(new TypeError('Failed to fetch'));
    render(<PdfDialog f={pdf()} onClose={() => {}} />, root);
    await vi.waitFor(() => expect(root.querySelector('[role="alert"]')!.textContent).toBe('The file could not be loaded. Check your connection and try again.'));
  });

  it('does not fetch a file too large to preview', () => {
    next = async () => handle(1);
    render(<PdfDialog f={pdf({ size: 60 << 20 })} onClose={() => {}} />, root);
    expect(root.querySelector('[role="alert"]')!.textContent).toBe('This file is too large to preview here. Download it instead.');
    expect(opened).toEqual([]);
  });
});
