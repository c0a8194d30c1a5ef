// The message composer: markdown with preview, emoji, @/# autocomplete, drafts
// that survive reloads, Enter to send, Shift+Enter for a newline, Up to edit;
// files attached with the button, by pasting or by dropping, with progress.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Channel, ID } from '../api/types';
import { formatBytes, t } from '../i18n';
import * as chatStore from '../state/chat';
import { sendTyping } from '../state/connection';
import { draftKey, loadDraft, saveDraft } from '../state/drafts';
import { users } from '../state/directory';
import { removeUpload, retryUpload, startUploads, takeFiles, uploads } from '../state/uploads';
import { inComposer, readiness, type Upload } from '../state/uploads-model';
import { editing, showFlash } from '../state/view';
import { Icon } from './common';
import { EmojiPicker } from './EmojiPicker';
import { Markdown } from './Markdown';

interface Props {
  channel: Channel;
  meId: ID;
  rootId?: ID;
  placeholder: string;
}

interface Suggestion {
  insert: string;
  label: string;
  detail: string;
}

const TOKEN = /(^|\s)([@#])([\p{L}\p{N}._-]*)$/u;
const TYPING_EVERY_MS = 3000;

export function Composer({ channel, meId, rootId = 0, placeholder }: Props) {
  const key = draftKey(meId, channel.id, rootId);
  const [text, setText] = useState(() => loadDraft(key));
  const [preview, setPreview] = useState(false);
  const [picker, setPicker] = useState(false);
  const [also, setAlso] = useState(false);
  const [sugs, setSugs] = useState<Suggestion[]>([]);
  const [sel, setSel] = useState(0);
  const area = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const ed = editing.value;
  const isEditing = !!ed && ed.channelId === channel.id && ed.rootId === rootId;
  const [editText, setEditText] = useState('');
  const [dragging, setDragging] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const tray = inComposer(uploads.value, channel.id, rootId);
  const ready = readiness(uploads.value, channel.id, rootId);

  function attach(files: readonly File[]): void {
    if (!files.length) return;
    const err = startUploads(channel.id, rootId, files);
    if (err) showFlash(err);
  }

  // Switching channel: load that channel's draft.
  useEffect(() => {
    setText(loadDraft(key));
    setPreview(false);
    setSugs([]);
  }, [key]);

  // A layout effect, so the message's text is in the box before the browser
  // handles the next key: with a plain effect, keys typed right after Up
  // were overwritten by the old text.
  useLayoutEffect(() => {
    if (isEditing && ed) {
      setEditText(ed.text);
      setPreview(false);
      requestAnimationFrame(() => area.current?.focus());
    }
  }, [isEditing, ed?.id]);

  const value = isEditing ? editText : text;

  function setValue(v: string): void {
    if (isEditing) setEditText(v);
    else {
      setText(v);
      saveDraft(key, v);
    }
  }

  function updateSuggestions(v: string, caret: number): void {
    const m = TOKEN.exec(v.slice(0, caret));
    if (!m) return setSugs([]);
    const q = m[3]!.toLowerCase();
    let list: Suggestion[];
    if (m[2] === '@') {
      list = [...users.value.values()]
        .filter((u) => u.active && (u.username.toLowerCase().includes(q) || u.display_name.toLowerCase().includes(q)))
        .slice(0, 8)
        .map((u) => ({ insert: '@' + u.username, label: u.display_name || u.username, detail: '@' + u.username }));
    } else {
      list = Object.values(chatStore.chat.value.channels)
        .filter((c) => (c.kind === 'public' || c.kind === 'private') && c.name.toLowerCase().includes(q))
        .slice(0, 8)
        .map((c) => ({ insert: '#' + c.name, label: '#' + c.name, detail: c.topic }));
    }
    setSugs(list);
    setSel(0);
  }

  function accept(s: Suggestion): void {
    const el = area.current;
    if (!el) return;
    const caret = el.selectionStart;
    const before = value.slice(0, caret).replace(TOKEN, (_all, pre: string) => pre + s.insert + ' ');
    const next = before + value.slice(caret);
    setValue(next);
    setSugs([]);
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(before.length, before.length);
    });
  }

  function insertAtCaret(s: string): void {
    const el = area.current;
    const caret = el?.selectionStart ?? value.length;
    const next = value.slice(0, caret) + s + value.slice(caret);
    setValue(next);
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(caret + s.length, caret + s.length);
    });
  }

  function submit(): void {
    const v = value.trim();
    if (isEditing && ed) {
      if (v && v !== ed.text) void chatStore.editMessage(ed.id, v);
      editing.value = null;
      return;
    }
    if (ready.busy) {
      showFlash(t('files.wait'));
      return;
    }
    if (!v && ready.files.length === 0) return;
    chatStore.send(channel.id, v, rootId, rootId ? also : false, takeFiles(channel.id, rootId));
    setValue('');
    setPreview(false);
  }

  function editLastOwn(): boolean {
    const s = chatStore.chat.value;
    const list = rootId ? s.threads[rootId]?.messages : s.timelines[channel.id]?.messages;
    if (!list) return false;
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (m.author_id === meId && !m.deleted && !m.recalled) {
        editing.value = { id: m.id, channelId: channel.id, rootId, text: m.text };
        return true;
      }
    }
    return false;
  }

  const readOnly = channel.archived || (channel.announcement && channel.membership?.role !== 'owner' && channel.membership?.role !== 'admin') || channel.membership?.role === 'readonly';
  const listId = useMemo(() => `sug-${channel.id}-${rootId}`, [channel.id, rootId]);

  if (!channel.membership) return null;
  if (channel.archived) return <div class="composer-note">{t('channel.archived')}</div>;

  return (
    <div class={'composer' + (isEditing ? ' composer-editing' : '') + (dragging ? ' composer-drop' : '')}
      onDragOver={(e) => {
        if (isEditing || readOnly || !e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        if (!dragging) setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!(e.relatedTarget instanceof Node && e.currentTarget.contains(e.relatedTarget))) setDragging(false);
      }}
      onDrop={(e) => {
        if (isEditing || readOnly || !e.dataTransfer?.files.length) return;
        e.preventDefault();
        setDragging(false);
        attach([...e.dataTransfer.files]);
      }}
    >
      {dragging && <div class="drop-hint" aria-hidden="true">{t('files.drop')}</div>}
      {isEditing && (
        <div class="composer-banner">
          <span>{t('composer.editing')}</span>
          <button class="link-btn" onClick={() => (editing.value = null)}>{t('common.cancel')}</button>
        </div>
      )}
      {sugs.length > 0 && (
        <ul class="popover suggestions" id={listId} role="listbox" aria-label={t('composer.suggestions')}>
          {sugs.map((s, i) => (
            <li
              key={s.insert}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === sel}
              class={i === sel ? 'active' : ''}
              onMouseDown={(e) => (e.preventDefault(), accept(s))}
            >
              <span class="sug-label" data-uc="">{s.label}</span> <span class="sug-detail" data-uc="">{s.detail}</span>
            </li>
          ))}
        </ul>
      )}
      {!isEditing && tray.length > 0 && (
        <ul class="upload-tray" aria-label={t('files.attachments')}>
          {tray.map((u) => <UploadChip key={u.key} u={u} />)}
        </ul>
      )}
      {preview ? (
        <div class="composer-preview">{value.trim() ? <Markdown text={value} /> : <p class="muted">{t('composer.nothing')}</p>}</div>
      ) : (
        <textarea
          ref={area}
          class="composer-input"
          rows={1}
          value={value}
          disabled={readOnly}
          placeholder={placeholder}
          aria-label={t('composer.label')}
          aria-autocomplete="list"
          aria-controls={sugs.length ? listId : undefined}
          aria-activedescendant={sugs.length ? `${listId}-${sel}` : undefined}
          onInput={(e) => {
            const el = e.currentTarget;
            setValue(el.value);
            updateSuggestions(el.value, el.selectionStart);
            const now = Date.now();
            if (!isEditing && el.value && now - lastTyping.current > TYPING_EVERY_MS) {
              lastTyping.current = now;
              sendTyping(channel.id);
            }
          }}
          onKeyDown={(e) => {
            if (e.isComposing || e.keyCode === 229) return; // IME (e.g. Pinyin) is choosing characters
            if (sugs.length) {
              if (e.key === 'ArrowDown') return (e.preventDefault(), setSel((sel + 1) % sugs.length));
              if (e.key === 'ArrowUp') return (e.preventDefault(), setSel((sel - 1 + sugs.length) % sugs.length));
              if (e.key === 'Enter' || e.key === 'Tab') return (e.preventDefault(), accept(sugs[sel]!));
              if (e.key === 'Escape') return (e.preventDefault(), setSugs([]));
            }
            if (e.key === 'Enter' && !e.shiftKey && !e.altKey) {
              e.preventDefault();
              submit();
            } else if (e.key === 'ArrowUp' && value === '' && !isEditing) {
              if (editLastOwn()) e.preventDefault();
            } else if (e.key === 'Escape' && isEditing) {
              e.preventDefault();
              editing.value = null;
            }
          }}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])];
            if (!files.length || isEditing) return;
            e.preventDefault();
            attach(files);
          }}
          onBlur={() => setTimeout(() => setSugs([]), 150)}
        />
      )}
      <div class="composer-bar">
        <button class={'tab-btn' + (!preview ? ' active' : '')} aria-pressed={!preview} onClick={() => setPreview(false)}>{t('composer.write')}</button>
        <button class={'tab-btn' + (preview ? ' active' : '')} aria-pressed={preview} onClick={() => setPreview(true)}>{t('composer.preview')}</button>
        {!isEditing && !readOnly && (
          <>
            <button class="icon-btn attach-btn" aria-label={t('files.attach')} title={t('files.attach')} onClick={() => fileInput.current?.click()}><Icon name="clip" /></button>
            <input ref={fileInput} type="file" multiple class="visually-hidden" tabIndex={-1} aria-hidden="true"
              onChange={(e) => {
                const el = e.currentTarget;
                attach([...(el.files ?? [])]);
                el.value = '';
              }} />
          </>
        )}
        <span class="composer-emoji">
          <button class="icon-btn" aria-label={t('composer.emoji')} title={t('composer.emoji')} onClick={() => setPicker(!picker)}><Icon name="smile" /></button>
          {picker && <EmojiPicker onClose={() => setPicker(false)} onPick={(e) => { setPicker(false); insertAtCaret(e); }} />}
        </span>
        {rootId !== 0 && (
          <label class="check">
            <input type="checkbox" checked={also} onChange={(e) => setAlso(e.currentTarget.checked)} /> {t('composer.also_channel')}
          </label>
        )}
        <span class="composer-hint">{t('composer.hint')}</span>
        <button class="btn btn-primary send-btn" onClick={submit} disabled={(!value.trim() && (isEditing || ready.files.length === 0)) || readOnly || (!isEditing && ready.busy)} aria-label={isEditing ? t('composer.save') : t('composer.send')}>
          <Icon name="send" size={16} />
        </button>
      </div>
    </div>
  );
}

function UploadChip({ u }: { u: Upload }) {
  return (
    <li class={'upload upload-' + u.status}>
      <Icon name="file" size={16} />
      <span class="upload-text">
        <span class="upload-name" data-uc="">{u.name}</span>
        <span class="muted small">{formatBytes(u.size)}</span>
        {u.status === 'uploading' && (
          <progress class="upload-progress" max={Math.max(1, u.size)} value={u.loaded} aria-label={t('files.uploading', { name: u.name })} />
        )}
        {u.status === 'failed' && <span class="error-text small" role="alert">{t('files.failed')}: {u.error}</span>}
      </span>
      {u.status === 'failed' && (
        <button class="link-btn" aria-label={t('files.retry', { name: u.name })} onClick={() => retryUpload(u.key)}>{t('common.retry')}</button>
      )}
      <button class="icon-btn" aria-label={u.status === 'uploading' ? t('files.cancel', { name: u.name }) : t('files.remove', { name: u.name })}
        title={u.status === 'uploading' ? t('common.cancel') : t('files.remove', { name: u.name })} onClick={() => removeUpload(u.key)}>
        <Icon name="close" size={14} />
      </button>
    </li>
  );
}
