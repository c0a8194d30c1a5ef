// A small built-in emoji set for the picker and reactions (no network, no font files).
export const EMOJI: readonly [string, string][] = [
  ['👍', 'thumbsup yes ok like'], ['👎', 'thumbsdown no'], ['😀', 'grin smile happy'], ['😂', 'joy laugh tears'],
  ['🤣', 'rofl laugh'], ['😊', 'blush smile'], ['😍', 'love heart eyes'], ['😘', 'kiss'], ['😉', 'wink'],
  ['😎', 'cool sunglasses'], ['🤔', 'thinking hmm'], ['😅', 'sweat smile'], ['😭', 'sob cry'], ['😢', 'cry sad'],
  ['😡', 'angry rage'], ['😱', 'scream shock'], ['😴', 'sleep tired'], ['🙄', 'eyeroll'], ['😬', 'grimace'],
  ['🤯', 'mind blown'], ['🥳', 'party celebrate'], ['😇', 'innocent angel'], ['🤝', 'handshake deal'], ['🙏', 'pray thanks please'],
  ['👏', 'clap applause'], ['🙌', 'raised hands hooray'], ['👋', 'wave hello bye'], ['💪', 'muscle strong'], ['👀', 'eyes look'],
  ['❤️', 'heart love red'], ['💔', 'broken heart'], ['🔥', 'fire hot lit'], ['✨', 'sparkles'], ['⭐', 'star'],
  ['🎉', 'tada party'], ['🎂', 'cake birthday'], ['🎁', 'gift present'], ['✅', 'check done yes'], ['❌', 'cross no wrong'],
  ['⚠️', 'warning'], ['❓', 'question'], ['❗', 'exclamation'], ['💯', 'hundred perfect'], ['🚀', 'rocket ship launch'],
  ['🐛', 'bug'], ['💡', 'idea bulb'], ['📌', 'pin'], ['📎', 'paperclip attach'], ['📅', 'calendar date'],
  ['⏰', 'alarm clock time'], ['☕', 'coffee tea'], ['🍵', 'tea'], ['🍺', 'beer'], ['🍜', 'noodles ramen'],
  ['🧧', 'red envelope hongbao'], ['🏮', 'lantern'], ['🐶', 'dog'], ['🐱', 'cat'], ['🐼', 'panda'],
  ['🌞', 'sun'], ['🌧️', 'rain'], ['🌈', 'rainbow'], ['🍀', 'clover luck'], ['👌', 'ok perfect'],
  ['🤷', 'shrug'], ['🤦', 'facepalm'], ['💬', 'speech comment'], ['📈', 'chart up growth'], ['📉', 'chart down'],
];

export const QUICK_REACTIONS = ['👍', '❤️', '😂', '🎉', '👀', '🙏'];

export function searchEmoji(q: string): string[] {
  const s = q.trim().toLowerCase();
  if (!s) return EMOJI.map((e) => e[0]);
  return EMOJI.filter(([e, k]) => k.includes(s) || e === s).map((e) => e[0]);
}
