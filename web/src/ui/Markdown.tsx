// The only component that inserts HTML, and only the sanitised output of
// markdown/render.ts. Mentions and channel references inside it are clickable.
import { memo } from 'preact/compat';
import { renderMarkdownCached } from '../markdown/render';

interface Props {
  text: string;
  onMention?(username: string, el: HTMLElement): void;
  onChannelRef?(name: string): void;
}

export const Markdown = memo(function Markdown({ text, onMention, onChannelRef }: Props) {
  return (
    <div
      class="md"
      data-uc=""
      onClick={(e) => {
        const el = (e.target as HTMLElement).closest<HTMLElement>('.mention, .channel-ref');
        const ref = el?.dataset.ref;
        if (!el || !ref) return;
        if (el.classList.contains('mention')) onMention?.(ref, el);
        else onChannelRef?.(ref);
      }}
      dangerouslySetInnerHTML={{ __html: renderMarkdownCached(text) }}
    />
  );
});
