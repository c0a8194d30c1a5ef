// Wire types of the public REST API, taken from the OpenAPI document
// (internal/httpapi/openapi.json → schema.gen.ts via `npm run gen:api`).
// Only the realtime event union is written here: the document describes a
// frame's `data` as untyped.
import type { components } from './schema.gen';

type S = components['schemas'];

export type ID = number;
export type User = S['User'];
export type Role = User['role'];
export type Org = S['Org'];
export type Membership = S['Membership'];
export type ReadState = S['ReadState'];
export type Channel = Omit<S['Channel'], 'member_ids'> & { member_ids?: ID[] };
export type ChannelKind = Channel['kind'];
export type ChannelRole = Membership['role'];
export type Reaction = S['Reaction'];
export type Message = S['Message'];
export type MessagePage = S['HistoryPage'];
export type RepliesPage = S['ReplyPage'];
export type Member = S['Member'];
export type Receipts = S['ReceiptList'];
export type PresenceStatus = S['PresenceList']['presence'][string];
export type ApiErrorBody = S['ErrorBody'];
export type LoginResponse = S['LoginResponse'];
export type SearchPage = S['SearchPage'];
export type SearchResult = S['SearchResult'];
export type SnippetSegment = S['SnippetSegment'];
export type SearchSort = 'relevance' | 'date';
export type EditEntry = S['EditEntry'];
/** A file as a message carries it. */
export type Attachment = S['Attachment'];
/** An uploaded file with its channel, message and uploader. */
export type FileInfo = S['File'];
export type FilePage = S['FilePage'];
export type LinkPreview = S['LinkPreview'];

// Realtime payloads (docs/realtime.md): the same wire objects as REST.
export type MemberEvent = S['MemberChange'];
export type ReadEvent = Pick<ReadState, 'channel_id' | 'last_read_seq' | 'unread_count' | 'mention_count'> & Partial<ReadState>;
export type ReceiptEvent = S['Receipt'];

export type StreamEvent =
  | { seq: number; type: 'message.posted' | 'message.updated' | 'message.deleted' | 'message.recalled' | 'reaction.updated'; data: Message }
  | { seq: number; type: 'channel.created' | 'channel.updated'; data: Channel }
  | { seq: number; type: 'member.joined' | 'member.left' | 'member.updated'; data: MemberEvent }
  | { seq: number; type: 'read.updated'; data: ReadEvent }
  | { seq: number; type: 'receipt.updated'; data: ReceiptEvent }
  | { seq: number; type: 'user.updated'; data: User };
