import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { searchEmoji } from './emoji';

/** A small popover grid of emoji with a search box. */
export function EmojiPicker(p: { onPick(emoji: string): void; onClose(): void }) {
  const [q, setQ] = useState('');
  const list = searchEmoji(q);
  return (
    <div class="popover emoji-picker" role="dialog" aria-label={t('composer.emoji')} onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), p.onClose())}>
      <input
        class="input"
        type="search"
        value={q}
        aria-label={t('common.search')}
        placeholder={t('common.search')}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        ref={(el) => el?.focus()}
      />
      <div class="emoji-grid">
        {list.map((e) => (
          <button key={e} class="emoji-btn" type="button" aria-label={e} onClick={() => p.onPick(e)}>
            {e}
          </button>
        ))}
      </div>
    </div>
  );
}
