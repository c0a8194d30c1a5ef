import { describe, expect, it } from 'vitest';
import { render } from 'preact';
import type { Attachment, LinkPreview } from '../src/api/types';
import { Attachments } from '../src/ui/Attachments';
import { LinkPreviews } from '../src/ui/LinkPreviews';

function att(id: number, preview: Attachment['preview'], over: Partial<Attachment> = {}): Attachment {
  return {
    id, name: `file-${id}`, content_type: 'application/octet-stream', size: 2048, width: 0, height: 0, preview, has_thumbnail: false,
    url: `/api/v1/files/${id}/content`, thumbnail_url: '', ...over,
  };
}

function show(files: Attachment[]): HTMLElement {
  const root = document.createElement('div');
  render(<Attachments files={files} />, root);
  return root;
}

describe('attachments', () => {
  it('shows an image by its thumbnail at a fixed size, linking to the full image', () => {
    const root = show([att(1, 'image', { name: 'cat.png', width: 1600, height: 1200, has_thumbnail: true, thumbnail_url: '/api/v1/files/1/thumbnail' })]);
    const img = root.querySelector('img')!;
    expect(img.getAttribute('src')).toBe('/api/v1/files/1/thumbnail');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['320', '240']);
    expect(img.getAttribute('alt')).toContain('cat.png');
    const a = root.querySelector('a.att-image')!;
    expect(a.getAttribute('href')).toBe('/api/v1/files/1/content');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('plays video and audio inline and offers a download', () => {
    const root = show([att(2, 'video', { name: 'demo.mp4' }), att(3, 'audio', { name: 'memo.ogg' })]);
    // The first frame shows (the #t fragment), only the metadata is fetched, nothing autoplays.
    const video = root.querySelector('video')!;
    expect(video.getAttribute('src')).toBe('/api/v1/files/2/content#t=0.001');
    expect(video.hasAttribute('controls')).toBe(true);
    expect(video.getAttribute('preload')).toBe('metadata');
    expect(video.hasAttribute('autoplay')).toBe(false);
    expect(root.querySelector('audio')!.getAttribute('src')).toBe('/api/v1/files/3/content');
    const downloads = [...root.querySelectorAll('a[download]')].map((a) => a.getAttribute('href'));
    expect(downloads).toEqual(['/api/v1/files/2/content?download=1', '/api/v1/files/3/content?download=1']);
  });

  it('shows PDFs as preview cards and other files as download cards; names are text, never HTML', () => {
    const root = show([att(4, 'pdf', { name: 'report.pdf', size: 20 << 20 }), att(5, '', { name: '<img src=x onerror=alert(1)>.html' })]);
    const cards = root.querySelectorAll('.att-card');
    expect(cards.length).toBe(2);
    expect(cards[0]!.querySelector('button.att-pdf-thumb')!.getAttribute('aria-label')).toBe('Preview report.pdf');
    expect(cards[0]!.querySelector('.att-download')!.getAttribute('href')).toBe('/api/v1/files/4/content?download=1');
    expect(cards[1]!.querySelector('.att-pdf-thumb')).toBeNull();
    expect(cards[1]!.querySelector('.att-download')!.getAttribute('href')).toBe('/api/v1/files/5/content?download=1');
    expect(root.querySelectorAll('img').length).toBe(0);
    expect(cards[1]!.textContent).toContain('<img src=x onerror=alert(1)>.html');
    expect(root.querySelectorAll('video, audio').length).toBe(0);
  });

  it('renders nothing without files', () => {
    expect(show([]).innerHTML).toBe('');
  });
});

describe('link previews', () => {
  it('renders site, title and description as text and links only http(s)', () => {
    const root = document.createElement('div');
    const previews: LinkPreview[] = [
      { url: 'https://example.com/a', title: 'A <b>title</b>', description: 'About <script>x</script>', site_name: '' },
      { url: 'javascript:alert(1)', title: 'bad', description: '', site_name: 'x' },
      { url: 'https://example.com/empty', title: '', description: '', site_name: 'x' },
    ];
    render(<LinkPreviews previews={previews} />, root);
    const cards = root.querySelectorAll('.link-preview');
    expect(cards.length).toBe(1);
    expect(root.querySelectorAll('b, script').length).toBe(0);
    const a = cards[0]!.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com/a');
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    expect(a.textContent).toBe('A <b>title</b>');
    expect(cards[0]!.querySelector('.lp-site')!.textContent).toBe('example.com');
  });

  it('shows the server-kept image lazily, sized and with alt text, and no other image', () => {
    const root = document.createElement('div');
    const name = '0123456789abcdef0123456789abcdef';
    const previews: LinkPreview[] = [
      { url: 'https://example.com/a', title: 'A', description: '', site_name: 'Example', image_url: `/api/v1/link-previews/images/${name}.jpg`, image_width: 400, image_height: 100 },
      { url: 'https://example.com/b', title: 'B', description: '', site_name: '', image_url: 'https://tracker.example/pixel.png', image_width: 1, image_height: 1 },
      { url: 'https://example.com/c', title: 'C', description: '', site_name: '' },
    ];
    render(<LinkPreviews previews={previews} />, root);
    const imgs = root.querySelectorAll('img');
    expect(imgs.length).toBe(1);
    const img = imgs[0]!;
    expect(img.getAttribute('src')).toBe(`/api/v1/link-previews/images/${name}.jpg`);
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.getAttribute('alt')).toBe('Image from Example');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['320', '80']);
  });
});
