// Attention: unread count in the title and favicon, a short sound, and desktop
// notifications (permission asked only when the user chooses to turn them on).
import { effect, signal } from '@preact/signals';
import type { Channel, Message } from '../api/types';
import { t } from '../i18n';
import { onChatEvent, totals, viewing } from './chat';
import { displayName } from './directory';

const SOUND_KEY = 'parley.sound';
const ASKED_KEY = 'parley.notify.asked';

export const soundOn = signal(localStorage.getItem(SOUND_KEY) !== 'off');
export const permission = signal<NotificationPermission | 'unsupported'>(
  typeof Notification === 'undefined' ? 'unsupported' : Notification.permission,
);
/** Whether to show the polite "turn on notifications?" banner. */
export const askBanner = signal(false);

export function setSound(on: boolean): void {
  soundOn.value = on;
  localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
}

export async function requestPermission(): Promise<void> {
  localStorage.setItem(ASKED_KEY, '1');
  askBanner.value = false;
  if (typeof Notification === 'undefined') return;
  permission.value = await Notification.requestPermission();
}

export function dismissAsk(): void {
  localStorage.setItem(ASKED_KEY, '1');
  askBanner.value = false;
}

export function channelTitle(c: Channel, meId: number): string {
  if (c.kind === 'dm' || c.kind === 'group') {
    const others = (c.member_ids ?? []).filter((id) => id !== meId);
    if (others.length === 0) return displayName(meId);
    return others.map(displayName).join(', ');
  }
  return c.name;
}

let baseTitle = 'Parley';
let iconBase: HTMLImageElement | null = null;

function drawFavicon(count: number, mention: boolean): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  if (!iconBase) {
    iconBase = new Image();
    iconBase.src = '/icon.svg';
    iconBase.onload = () => drawFavicon(count, mention);
    return;
  }
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const ctx = canvas.getContext('2d');
  if (!ctx || !iconBase.complete) return;
  ctx.drawImage(iconBase, 0, 0, 64, 64);
  if (count > 0) {
    ctx.fillStyle = mention ? '#d93025' : '#1a73e8';
    ctx.beginPath();
    ctx.arc(46, 18, 18, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#fff';
    ctx.font = 'bold 26px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(count > 99 ? '99' : String(count), 46, 19);
  }
  link.href = canvas.toDataURL('image/png');
}

function beep(): void {
  try {
    const ac = new AudioContext();
    const o = ac.createOscillator();
    const g = ac.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.08, ac.currentTime);
    g.gain.exponentialRampToValueAtTime(0.0001, ac.currentTime + 0.25);
    o.connect(g).connect(ac.destination);
    o.start();
    o.stop(ac.currentTime + 0.25);
    o.onended = () => void ac.close();
  } catch { /* audio not allowed yet */ }
}

function shouldAlert(m: Message, c: Channel, meId: number): boolean {
  if (m.author_id === meId || !c.membership) return false;
  const direct = c.kind === 'dm' || c.kind === 'group';
  const mention = m.mentions.includes(meId) || m.mention_channel || m.mention_here;
  if (c.membership.muted && !m.mentions.includes(meId)) return false;
  return direct || mention;
}

/** Starts the title/favicon effect and the per-message alerts; call once. */
export function startNotifications(): void {
  baseTitle = document.title || 'Parley';
  effect(() => {
    const tot = totals.value;
    const n = tot.unread + 0;
    document.title = n > 0 || tot.mentions > 0 ? `(${tot.mentions > 0 ? tot.mentions + '!' : n}) ${baseTitle}` : baseTitle;
    drawFavicon(Math.max(n, tot.mentions), tot.mentions > 0);
  });
  onChatEvent((ev, before, after) => {
    if (ev.type !== 'message.posted') return;
    const m = ev.data;
    const c = after.channels[m.channel_id];
    if (!c || !before.channels[m.channel_id] || m.seq <= before.channels[m.channel_id]!.last_seq) return;
    if (!shouldAlert(m, c, after.meId)) return;
    const looking = !document.hidden && viewing.value.channelId === m.channel_id;
    if (looking) return;
    if (soundOn.value) beep();
    if (permission.value === 'granted' && document.hidden) {
      const n = new Notification(t('notify.title', { channel: channelTitle(c, after.meId) }), {
        body: m.text.slice(0, 140),
        tag: `parley-${m.channel_id}`,
        icon: '/icon.svg',
      });
      n.onclick = () => {
        window.focus();
        location.assign(`/c/${m.channel_id}/m/${m.seq}`);
      };
    } else if (permission.value === 'default' && localStorage.getItem(ASKED_KEY) !== '1') {
      // Ask politely: only after the first message that would have notified, never on load.
      askBanner.value = true;
    }
  });
}
