// Wire types of the public REST API (docs/api.md). Hand-written until
// internal/httpapi/openapi.json exists; then `npm run gen:api` produces
// schema.gen.ts and these become aliases of the generated components.

export type ID = number;

export type Role = 'owner' | 'admin' | 'member' | 'guest' | 'bot';

export interface User {
  id: ID;
  email: string;
  username: string;
  display_name: string;
  avatar_url: string;
  locale: string;
  time_zone: string;
  status_text: string;
  role: Role;
  active: boolean;
  created_at: string;
}

export interface Org {
  id: ID;
  name: string;
  recall_window_seconds: number;
  receipt_max_members: number;
  created_at: string;
}

export type ChannelKind = 'public' | 'private' | 'dm' | 'group';
export type ChannelRole = 'owner' | 'admin' | 'member' | 'readonly';

export interface Membership {
  role: ChannelRole;
  last_read_seq: number;
  unread_count: number;
  mention_count: number;
  muted: boolean;
  starred: boolean;
  star_order: number;
}

export interface Channel {
  id: ID;
  kind: ChannelKind;
  name: string;
  topic: string;
  purpose: string;
  announcement: boolean;
  archived: boolean;
  created_by: ID;
  created_at: string;
  member_count: number;
  last_seq: number;
  last_message_at: string | null;
  member_ids?: ID[];
  membership?: Membership;
}

export interface Reaction {
  emoji: string;
  count: number;
  user_ids: ID[];
}

export interface Message {
  id: ID;
  channel_id: ID;
  seq: number;
  client_id: string;
  author_id: ID;
  text: string;
  root_id: ID;
  also_in_channel: boolean;
  reply_count: number;
  last_reply_at: string | null;
  thread_participants: ID[];
  mentions: ID[];
  mention_channel: boolean;
  mention_here: boolean;
  reactions: Reaction[];
  pinned: boolean;
  created_at: string;
  edited_at: string | null;
  deleted: boolean;
  recalled: boolean;
  recalled_by: ID;
}

export interface MessagePage {
  messages: Message[];
  has_more_before: boolean;
  has_more_after: boolean;
}

export interface RepliesPage {
  messages: Message[];
  has_more_after: boolean;
}

export interface Member {
  user_id: ID;
  role: ChannelRole;
  last_read_seq: number;
}

export interface Receipts {
  read: ID[];
  unread: ID[];
}

export type PresenceStatus = 'online' | 'away' | 'offline' | 'dnd';

export interface ApiErrorBody {
  error: { code: string; message: string };
}

// Realtime payloads (docs/realtime.md).
export interface MemberEvent { channel_id: ID; user_id: ID; role: ChannelRole }
export interface ReadEvent { channel_id: ID; last_read_seq: number; unread_count: number; mention_count: number }
export interface ReceiptEvent { channel_id: ID; user_id: ID; last_read_seq: number }

export type StreamEvent =
  | { seq: number; type: 'message.posted' | 'message.updated' | 'message.deleted' | 'message.recalled' | 'reaction.updated'; data: Message }
  | { seq: number; type: 'channel.created' | 'channel.updated'; data: Channel }
  | { seq: number; type: 'member.joined' | 'member.left'; data: MemberEvent }
  | { seq: number; type: 'read.updated'; data: ReadEvent }
  | { seq: number; type: 'receipt.updated'; data: ReceiptEvent }
  | { seq: number; type: 'user.updated'; data: User };
