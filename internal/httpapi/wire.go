package httpapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
)

// Wire types: the public JSON shapes of the REST API and the event stream.
// Domain types carry no JSON tags; these do, and they stay stable while the
// domain changes.

// Time is a timestamp on the wire: RFC 3339 UTC with milliseconds, or null.
type Time time.Time

// MarshalJSON renders the zero time as null.
func (t Time) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

// UnmarshalJSON accepts RFC 3339 or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	tt, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	*t = Time(tt)
	return nil
}

// Timestamp is a time that is always set: RFC 3339 UTC with milliseconds.
type Timestamp time.Time

// MarshalJSON renders the time; Timestamp is never null on the wire.
func (t Timestamp) MarshalJSON() ([]byte, error) { return Time(t).MarshalJSON() }

// UnmarshalJSON accepts RFC 3339.
func (t *Timestamp) UnmarshalJSON(b []byte) error { return (*Time)(t).UnmarshalJSON(b) }

// User is a user on the wire.
type User struct {
	ID          int64     `json:"id"`
	Email       string    `json:"email"`
	Username    string    `json:"username"`
	DisplayName string    `json:"display_name"`
	AvatarURL   string    `json:"avatar_url"`
	Locale      string    `json:"locale"`
	TimeZone    string    `json:"time_zone"`
	StatusText  string    `json:"status_text"`
	Title       string    `json:"title"`
	EmployeeNo  string    `json:"employee_no"`
	Phone       string    `json:"phone"`
	ManagerID   int64     `json:"manager_id"`
	Role        string    `json:"role"`
	IsGuest     bool      `json:"is_guest"`
	Active      bool      `json:"active"`
	CreatedAt   Timestamp `json:"created_at"`
}

func wireUser(u account.User) User {
	return User{ID: u.ID, Email: u.Email, Username: u.Username, DisplayName: u.DisplayName, AvatarURL: u.AvatarURL,
		Locale: u.Locale, TimeZone: u.TimeZone, StatusText: u.StatusText, Title: u.Title, EmployeeNo: u.EmployeeNo,
		Phone: u.Phone, ManagerID: u.Manager, Role: string(u.Role), IsGuest: u.Role == account.RoleGuest,
		Active: u.Active, CreatedAt: Timestamp(u.CreatedAt)}
}

// SessionRevoked is the payload of session.revoked (never sent to clients:
// the hub reads it to close the streams it names, see realtime.Revoked).
type SessionRevoked struct {
	SessionID     int64 `json:"session_id,omitempty"`
	KeepSessionID int64 `json:"keep_session_id,omitempty"`
}

// Org is an organisation on the wire.
type Org struct {
	ID                  int64     `json:"id"`
	Name                string    `json:"name"`
	RecallWindowSeconds int64     `json:"recall_window_seconds"`
	ReceiptMaxMembers   int       `json:"receipt_max_members"`
	LinkPreviews        bool      `json:"link_previews"`
	FileMaxBytes        int64     `json:"file_max_bytes"`
	FileQuotaBytes      int64     `json:"file_quota_bytes"`
	CreatedAt           Timestamp `json:"created_at"`
}

func wireOrg(o account.Org) Org {
	return Org{ID: o.ID, Name: o.Name, RecallWindowSeconds: int64(o.RecallWindow / time.Second),
		ReceiptMaxMembers: o.ReceiptMaxMembers, LinkPreviews: o.LinkPreviews, FileMaxBytes: o.FileMaxBytes,
		FileQuotaBytes: o.FileQuotaBytes, CreatedAt: Timestamp(o.CreatedAt)}
}

// Membership is the caller's own membership of a channel.
type Membership struct {
	Role         string `json:"role"`
	LastReadSeq  int64  `json:"last_read_seq"`
	UnreadCount  int    `json:"unread_count"`
	MentionCount int    `json:"mention_count"`
	Muted        bool   `json:"muted"`
	Starred      bool   `json:"starred"`
	StarOrder    int    `json:"star_order"`
}

// ReadState is the payload of read.updated: the reader's membership.
type ReadState struct {
	ChannelID int64 `json:"channel_id"`
	Membership
}

func wireMembership(m chat.Member) Membership {
	return Membership{Role: string(m.Role), LastReadSeq: m.LastReadSeq, UnreadCount: m.UnreadCount,
		MentionCount: m.MentionCount, Muted: m.Muted, Starred: m.Starred, StarOrder: m.StarOrder}
}

// Channel is a channel on the wire.
type Channel struct {
	ID            int64       `json:"id"`
	Kind          string      `json:"kind"`
	Name          string      `json:"name"`
	Topic         string      `json:"topic"`
	Purpose       string      `json:"purpose"`
	Announcement  bool        `json:"announcement"`
	Archived      bool        `json:"archived"`
	CreatedBy     int64       `json:"created_by"`
	CreatedAt     Timestamp   `json:"created_at"`
	MemberCount   int         `json:"member_count"`
	LastSeq       int64       `json:"last_seq"`
	LastMessageAt Time        `json:"last_message_at"`
	MemberIDs     []int64     `json:"member_ids"`
	DepartmentID  int64       `json:"department_id"`
	Membership    *Membership `json:"membership,omitempty"`
}

func wireChannel(c chat.Channel, m *chat.Member) Channel {
	w := Channel{ID: c.ID, Kind: string(c.Kind), Name: c.Name, Topic: c.Topic, Purpose: c.Purpose,
		Announcement: c.Announcement, Archived: c.Archived, CreatedBy: c.CreatedBy, CreatedAt: Timestamp(c.CreatedAt),
		MemberCount: c.MemberCount, LastSeq: c.LastSeq, LastMessageAt: Time(c.LastMessageAt), MemberIDs: c.MemberIDs,
		DepartmentID: c.Department}
	if w.MemberIDs == nil {
		w.MemberIDs = []int64{}
	}
	if m != nil {
		mm := wireMembership(*m)
		w.Membership = &mm
	}
	return w
}

// Member is a channel member on the wire.
type Member struct {
	UserID      int64  `json:"user_id"`
	Role        string `json:"role"`
	LastReadSeq int64  `json:"last_read_seq"`
}

// MemberChange is the payload of member.joined, member.left, member.updated.
type MemberChange struct {
	ChannelID int64  `json:"channel_id"`
	UserID    int64  `json:"user_id"`
	Role      string `json:"role,omitempty"`
	By        int64  `json:"by"`
}

// Receipt is the payload of receipt.updated.
type Receipt struct {
	ChannelID   int64 `json:"channel_id"`
	UserID      int64 `json:"user_id"`
	LastReadSeq int64 `json:"last_read_seq"`
}

// Reaction is one emoji on a message.
type Reaction struct {
	Emoji   string  `json:"emoji"`
	Count   int     `json:"count"`
	UserIDs []int64 `json:"user_ids"`
}

// LinkPreview is a link's preview on the wire.
type LinkPreview struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description"`
	SiteName    string `json:"site_name"`
	// ImageURL is the path of the preview's re-encoded thumbnail on this
	// server (GET /api/v1/link-previews/images/{name}); omitted when none.
	ImageURL    string `json:"image_url,omitempty"`
	ImageWidth  int    `json:"image_width,omitempty"`
	ImageHeight int    `json:"image_height,omitempty"`
}

// Message is a message on the wire.
type Message struct {
	ID                 int64         `json:"id"`
	ChannelID          int64         `json:"channel_id"`
	Seq                int64         `json:"seq"`
	ClientID           string        `json:"client_id"`
	AuthorID           int64         `json:"author_id"`
	Text               string        `json:"text"`
	RootID             int64         `json:"root_id"`
	AlsoInChannel      bool          `json:"also_in_channel"`
	ReplyCount         int           `json:"reply_count"`
	LastReplyAt        Time          `json:"last_reply_at"`
	ThreadParticipants []int64       `json:"thread_participants"`
	Mentions           []int64       `json:"mentions"`
	MentionChannel     bool          `json:"mention_channel"`
	MentionHere        bool          `json:"mention_here"`
	Reactions          []Reaction    `json:"reactions"`
	Previews           []LinkPreview `json:"previews"`
	Files              []Attachment  `json:"files"`
	Pinned             bool          `json:"pinned"`
	CreatedAt          Timestamp     `json:"created_at"`
	EditedAt           Time          `json:"edited_at"`
	Deleted            bool          `json:"deleted"`
	Recalled           bool          `json:"recalled"`
	RecalledBy         int64         `json:"recalled_by"`
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

func wireMessage(m chat.Message) Message {
	m = m.Redacted()
	w := Message{ID: m.ID, ChannelID: m.Channel, Seq: m.Seq, ClientID: m.ClientID, AuthorID: m.Author, Text: m.Text,
		RootID: m.Root, AlsoInChannel: m.AlsoInChannel, ReplyCount: m.ReplyCount, LastReplyAt: Time(m.LastReplyAt),
		ThreadParticipants: nonNil(m.ThreadParticipants), Mentions: nonNil(m.Mentions), MentionChannel: m.MentionChannel,
		MentionHere: m.MentionHere, Pinned: m.Pinned, CreatedAt: Timestamp(m.CreatedAt), EditedAt: Time(m.EditedAt),
		Deleted: !m.DeletedAt.IsZero(), Recalled: !m.RecalledAt.IsZero(), RecalledBy: m.RecalledBy,
		Reactions: make([]Reaction, 0, len(m.Reactions)), Previews: make([]LinkPreview, 0, len(m.Previews)),
		Files: wireAttachments(m.Files)}
	for _, r := range m.Reactions {
		w.Reactions = append(w.Reactions, Reaction{Emoji: r.Emoji, Count: len(r.Users), UserIDs: r.Users})
	}
	for _, p := range m.Previews {
		lp := LinkPreview{URL: p.URL, Title: p.Title, Description: p.Description, SiteName: p.SiteName}
		if p.Image != "" {
			lp.ImageURL, lp.ImageWidth, lp.ImageHeight = "/api/v1/link-previews/images/"+p.Image, p.ImageWidth, p.ImageHeight
		}
		w.Previews = append(w.Previews, lp)
	}
	return w
}

func wireMessages(ms []chat.Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = wireMessage(m)
	}
	return out
}

// Frame is one event on the stream.
type Frame struct {
	Seq  int64  `json:"seq"`
	Type string `json:"type"`
	Data any    `json:"data"`
}

// Encoder renders domain event payloads as stream frames, so that REST and
// the stream share one wire format. It implements the Encoder interfaces of
// the account and chat services.
type Encoder struct{}

// EncodeEvent renders one event frame.
func (Encoder) EncodeEvent(typ string, seq int64, payload any) ([]byte, error) {
	data, err := wirePayload(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return json.Marshal(Frame{Seq: seq, Type: typ, Data: data})
}

func wirePayload(p any) (any, error) {
	switch v := p.(type) {
	case nil:
		return struct{}{}, nil
	case account.User:
		return wireUser(v), nil
	case account.Org:
		return wireOrg(v), nil
	case chat.Channel:
		return wireChannel(v, nil), nil
	case chat.Message:
		return wireMessage(v), nil
	case chat.Member:
		return ReadState{ChannelID: v.Channel, Membership: wireMembership(v)}, nil
	case chat.MemberChange:
		return MemberChange{ChannelID: v.Channel, UserID: v.User, Role: string(v.Role), By: v.By}, nil
	case account.Scheme:
		return wirePermissions(v), nil
	case chat.Receipt:
		return Receipt{ChannelID: v.Channel, UserID: v.User, LastReadSeq: v.LastReadSeq}, nil
	case auth.Revocation:
		return SessionRevoked{SessionID: v.Session, KeepSessionID: v.Keep}, nil
	}
	return nil, fmt.Errorf("no wire form for %T", p)
}
