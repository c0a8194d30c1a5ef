// Package chat owns conversations: channels, direct messages, membership,
// messages, threads, reactions, mentions, pins and read state. Every method
// takes the acting user explicitly and decides authorisation itself.
package chat

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/event"
)

// Kind is the kind of a channel.
type Kind string

// Channel kinds.
const (
	KindPublic  Kind = "public"
	KindPrivate Kind = "private"
	KindDM      Kind = "dm"    // two people
	KindGroup   Kind = "group" // group DM, 3 to MaxGroupMembers people
)

// IsDirect reports whether the channel is a DM or group DM.
func (k Kind) IsDirect() bool { return k == KindDM || k == KindGroup }

// Role is a member's role in a channel.
type Role string

// Channel roles. Readonly members of announcement channels read but never post.
const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleMember   Role = "member"
	RoleReadonly Role = "readonly"
)

// Valid reports whether r is a known channel role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleMember || r == RoleReadonly
}

// Limits.
const (
	MaxMessageLen   = 16000 // characters of markdown source
	MaxGroupMembers = 16    // people in a group DM, including its creator
	MaxTopicLen     = 250
	MaxPurposeLen   = 250
	MaxChannelName  = 80
	MaxClientIDLen  = 64
	MaxInvite       = 1000 // users added in one call
	MaxFiles        = 10   // files attached to one message
)

// Channel is a conversation: a public or private channel, a DM or group DM.
type Channel struct {
	ID            int64
	Org           int64
	Kind          Kind
	Name          string
	Topic         string
	Purpose       string
	Announcement  bool
	Archived      bool
	CreatedBy     int64
	CreatedAt     time.Time
	MemberCount   int
	LastSeq       int64 // sequence of the newest message; history has no holes below it
	LastMessageAt time.Time
	Department    int64   // a department channel: its members follow this department's subtree; 0 for none
	DMKey         string  // sorted member ids of a DM or group DM, unique per organisation
	MemberIDs     []int64 // filled for DMs and group DMs
}

// Member is one user's membership of a channel, with their read state.
type Member struct {
	Channel      int64
	User         int64
	Org          int64
	Role         Role
	LastReadSeq  int64
	Muted        bool
	Starred      bool
	StarOrder    int
	JoinedAt     time.Time
	UnreadCount  int // derived on read: top-level messages after LastReadSeq
	MentionCount int // derived on read: mentions of the user after LastReadSeq
}

// CanPost reports whether the member may post in ch.
func (m Member) CanPost(ch Channel) bool {
	switch m.Role {
	case RoleOwner, RoleAdmin:
		return true
	case RoleMember:
		return !ch.Announcement
	}
	return false
}

// IsChannelAdmin reports whether the member administers the channel.
func (m Member) IsChannelAdmin() bool { return m.Role == RoleOwner || m.Role == RoleAdmin }

// PostKey names a post: who sends, where, with which client id.
type PostKey struct {
	Org, Author, Channel int64
	ClientID             string
}

// PostTarget is what a post checks before it writes (Tx.PostTarget).
type PostTarget struct {
	Channel Channel
	Member  *Member // nil when the author is not a member
	Resent  bool    // the author already sent a message with this client id
}

// ChannelView is a channel as one user sees it: with their membership when
// they are a member.
type ChannelView struct {
	Channel
	Membership *Member
}

// Message is one message, a thread root or a reply.
type Message struct {
	ID                 int64
	Org                int64
	Channel            int64
	Seq                int64 // per-channel, gap-free, in commit order
	ClientID           string
	Author             int64
	Text               string
	Root               int64 // thread root id; 0 for top-level messages
	AlsoInChannel      bool  // a reply also shown in the channel
	ReplyCount         int
	LastReplyAt        time.Time
	ThreadParticipants []int64
	Mentions           []int64 // users mentioned by @username
	MentionChannel     bool    // @channel or @all
	MentionHere        bool    // @here
	Reactions          []Reaction
	Previews           []LinkPreview // of the links in Text, filled in after posting
	Files              []Attachment  // uploaded files the message carries, in the order attached
	Pinned             bool
	CreatedAt          time.Time
	EditedAt           time.Time
	DeletedAt          time.Time
	RecalledAt         time.Time
	RecalledBy         int64
}

// Hidden reports whether the message's content is withheld from users
// (deleted or recalled). The original stays stored for compliance.
func (m Message) Hidden() bool { return !m.DeletedAt.IsZero() || !m.RecalledAt.IsZero() }

// Redacted returns the message as users see it: hidden content removed.
func (m Message) Redacted() Message {
	if m.Hidden() {
		m.Text = ""
		m.Mentions = nil
		m.MentionChannel, m.MentionHere = false, false
		m.Reactions = nil
		m.Previews = nil
		m.Files = nil
	}
	return m
}

// Attachment is an uploaded file as a message shows it (the file service
// owns files; see internal/file).
type Attachment struct {
	ID          int64
	Name        string
	ContentType string
	Size        int64
	Width       int // pixels, for images; 0 otherwise
	Height      int
	Thumbnail   bool   // a thumbnail exists
	Preview     string // how clients may show it inline: image, video, audio, pdf, or "" (download only)
}

// Reaction is one emoji and who reacted with it.
type Reaction struct {
	Emoji string
	Users []int64
}

// Edit is a previous version of a message's text.
type Edit struct {
	Text     string
	EditedAt time.Time
}

// Receipts says who has read a message and who has not.
type Receipts struct {
	Read, Unread []int64
}

// Page selects a window of history by channel sequence: at most one of
// Before, After (with HasAfter) and Around is set; none means the newest
// page. After 0 with HasAfter reads from the very beginning.
type Page struct {
	Before, After, Around int64
	HasAfter              bool
	Limit                 int
}

// History is a window of a channel's history, ascending by sequence.
type History struct {
	Messages                    []Message
	HasMoreBefore, HasMoreAfter bool
}

// Store is what the chat service needs from persistence. Reads return
// errs.NotFound for missing rows; Update returns Conflict on unique violations.
type Store interface {
	Reader
	Update(ctx context.Context, fn func(tx Tx) error) error
	// UpdatePost is Update for a post, whose changes are confined to its
	// channel: the store may run it in parallel with other channels' writes
	// and load the PostTargets of several posts at once.
	UpdatePost(ctx context.Context, key PostKey, fn func(tx Tx) error) error
}

// Reader holds the queries used inside and outside transactions.
type Reader interface {
	Org(ctx context.Context, id int64) (account.Org, error)
	User(ctx context.Context, org, id int64) (account.User, error)
	UsersByUsername(ctx context.Context, org int64, usernames []string) ([]account.User, error)
	Channel(ctx context.Context, org, id int64) (Channel, error)
	ChannelByDMKey(ctx context.Context, org int64, key string) (Channel, error)
	// Member returns NotFound when the user is not a member.
	Member(ctx context.Context, channel, user int64) (Member, error)
	// MemberWithCounts fills UnreadCount and MentionCount.
	MemberWithCounts(ctx context.Context, channel, user int64) (Member, error)
	Members(ctx context.Context, channel int64) ([]Member, error)
	UserChannels(ctx context.Context, org, user int64) ([]ChannelView, error)
	BrowseChannels(ctx context.Context, org int64, query string, afterID int64, limit int) ([]Channel, error)
	Message(ctx context.Context, org, id int64) (Message, error)
	MessageByClientID(ctx context.Context, org, author int64, clientID string) (Message, error)
	// History pages top-level messages (and replies shown in the channel).
	History(ctx context.Context, channel int64, p Page) (History, error)
	Replies(ctx context.Context, root int64, afterSeq int64, limit int) ([]Message, bool, error)
	Pins(ctx context.Context, channel int64) ([]Message, error)
	Edits(ctx context.Context, message int64) ([]Edit, error)
	// PendingPreviews returns queued messages, oldest first.
	PendingPreviews(ctx context.Context, limit int) ([]Message, error)
	// PermissionValues returns the organisation's permission settings
	// (account.LoadScheme reads them).
	PermissionValues(ctx context.Context, org int64) (map[string]string, error)
	// GroupMemberIDs returns the active members of the user groups with the
	// given (lower-case) handles.
	GroupMemberIDs(ctx context.Context, org int64, handles []string) ([]int64, error)
	// SearchChannels finds channels (not DMs) by name or pinyin among the
	// user's and, with public, the organisation's public ones.
	SearchChannels(ctx context.Context, org, user int64, query string, public bool, limit int) ([]Channel, error)
	// DepartmentChannels lists the channels bound to a department.
	DepartmentChannels(ctx context.Context, org int64) ([]Channel, error)
	// SubtreeMemberIDs lists the active users of a department and its
	// subtree.
	SubtreeMemberIDs(ctx context.Context, org, dept int64) ([]int64, error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// InsertAudit appends to the audit trail in the same transaction.
	InsertAudit(ctx context.Context, e audit.Entry) error
	InsertChannel(ctx context.Context, c Channel) (Channel, error)
	UpdateChannel(ctx context.Context, c Channel) error
	// AddMember adds or re-adds a member; false when already a member.
	AddMember(ctx context.Context, m Member) (bool, error)
	RemoveMember(ctx context.Context, channel, user int64) (bool, error)
	UpdateMember(ctx context.Context, m Member) error
	// PostTarget loads in one query what a post checks before it writes:
	// the channel, the author's membership and whether the author already
	// sent a message with clientID. Errors: NotFound (channel_not_found).
	PostTarget(ctx context.Context, org, author, channel int64, clientID string) (PostTarget, error)
	// InsertPost allocates the channel's next message sequence (and sets its
	// last message time), stores the message with it and moves the author's
	// read position up to it, returning the message with its id and seq.
	// Errors: Conflict (client_id_taken) when the author already used the
	// client id.
	InsertPost(ctx context.Context, m Message) (Message, error)
	UpdateMessage(ctx context.Context, m Message) error
	InsertEdit(ctx context.Context, org, message int64, e Edit) error
	InsertMentions(ctx context.Context, org, channel, seq int64, users []int64) error
	AddReaction(ctx context.Context, org, message, user int64, emoji string, at time.Time) (bool, error)
	RemoveReaction(ctx context.Context, message, user int64, emoji string) (bool, error)
	// QueuePreviews puts a message on the link preview queue (no-op if queued).
	QueuePreviews(ctx context.Context, org, message int64, at time.Time) error
	DequeuePreviews(ctx context.Context, message int64) error
	// SetPreviews replaces a message's link previews.
	SetPreviews(ctx context.Context, org, message int64, ps []LinkPreview) error
	// AttachFiles attaches uploaded files to a new message and returns
	// them in upload order. Each must be a file of the message's
	// channel uploaded by its author and not yet attached: otherwise
	// NotFound (file_not_found) or Conflict (file_already_attached).
	AttachFiles(ctx context.Context, m Message, ids []int64) ([]Attachment, error)
	Emit(ctx context.Context, ev event.Event, render func(seq int64) ([]byte, error)) error
}

// Encoder renders event payloads in the public wire format.
type Encoder interface {
	EncodeEvent(typ string, seq int64, payload any) ([]byte, error)
}

// Presence tells which users are connected, for @here.
type Presence interface {
	Online(org int64, users []int64) []int64
}
