package store

import (
	"context"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/file"
)

// The domain packages each declare the store they need; these thin adapters
// give each its own Update signature over the one DB.

// Accounts is the DB as account.Store.
type Accounts struct{ *DB }

// Update runs fn in a group-committed write transaction.
func (a Accounts) Update(ctx context.Context, fn func(account.Tx) error) error {
	return a.DB.update(ctx, func(t *Tx) error { return fn(t) })
}

// Chats is the DB as chat.Store.
type Chats struct{ *DB }

// Update runs fn in a group-committed write transaction.
func (c Chats) Update(ctx context.Context, fn func(chat.Tx) error) error {
	return c.DB.update(ctx, func(t *Tx) error { return fn(t) })
}

// UpdatePost runs fn, a post, in a group-committed write transaction (see
// DB.updateIn).
func (c Chats) UpdatePost(ctx context.Context, key chat.PostKey, fn func(chat.Tx) error) error {
	return c.DB.updateIn(ctx, &key, func(t *Tx) error { return fn(t) })
}

// Files is the DB as file.Store.
type Files struct{ *DB }

// Update runs fn in a group-committed write transaction.
func (f Files) Update(ctx context.Context, fn func(file.Tx) error) error {
	return f.DB.update(ctx, func(t *Tx) error { return fn(t) })
}

// Auth is the DB as auth.Store.
type Auth struct{ *DB }

// Update runs fn in a group-committed write transaction.
func (a Auth) Update(ctx context.Context, fn func(auth.Tx) error) error {
	return a.DB.update(ctx, func(t *Tx) error { return fn(t) })
}

// Audits is the DB as audit.Store.
type Audits struct{ *DB }

// Update runs fn in a group-committed write transaction.
func (a Audits) Update(ctx context.Context, fn func(audit.Tx) error) error {
	return a.DB.update(ctx, func(t *Tx) error { return fn(t) })
}

// Streams is the DB as the realtime event source.
type Streams struct{ *DB }

// Channels returns the ids of the channels the user is a member of.
func (s Streams) Channels(ctx context.Context, org, user int64) ([]int64, error) {
	return s.UserChannelIDs(ctx, org, user)
}

// ChannelMembers returns, by channel, the members of user's channels (of
// channel only, when not 0): the people a guest's stream may show.
func (s Streams) ChannelMembers(ctx context.Context, org, user, channel int64) (map[int64][]int64, error) {
	return s.ChannelMembersOf(ctx, org, user, channel)
}

// Update runs fn in a write transaction (for maintenance such as pruning).
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error { return db.update(ctx, fn) }

var (
	_ account.Store = Accounts{}
	_ chat.Store    = Chats{}
	_ auth.Store    = Auth{}
	_ audit.Store   = Audits{}
	_ file.Store    = Files{}
)

// EventsSince is defined on Queries; this assertion documents that Streams
// serves the realtime source interface shape.
var _ interface {
	EventsSince(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error)
	LatestSeq(ctx context.Context, org int64) (int64, error)
} = Streams{}
