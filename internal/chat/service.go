package chat

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Service implements the chat use cases.
type Service struct {
	store    Store
	enc      Encoder
	presence Presence
	now      func() time.Time
}

// NewService returns a chat service.
func NewService(st Store, enc Encoder, p Presence, now func() time.Time) *Service {
	return &Service{store: st, enc: enc, presence: p, now: now}
}

// Event payloads that are not a Channel or a Message.

// MemberChange is the payload of member.joined, member.left and member.updated.
type MemberChange struct {
	Channel int64
	User    int64
	Role    Role
	By      int64 // who made the change
}

// Receipt is the payload of receipt.updated, sent to the channel's members
// when the channel is small enough for read receipts.
type Receipt struct {
	Channel     int64
	User        int64
	LastReadSeq int64
}

// emit stores an event for the channel's members (and optionally one more
// user) with payload rendered by the encoder once the sequence is known.
func (s *Service) emit(ctx context.Context, tx Tx, ev event.Event, payload any) error {
	typ := ev.Type
	return tx.Emit(ctx, ev, func(seq int64) ([]byte, error) {
		return s.enc.EncodeEvent(typ, seq, payload)
	})
}

// access loads a channel and the actor's membership, and checks the actor may
// read it: members may; other users of the organisation may read public
// channels, except guests. A channel the actor may not read is NotFound, so
// private channels do not reveal their existence.
func access(ctx context.Context, r Reader, op string, actor account.Actor, id int64) (Channel, *Member, error) {
	ch, err := r.Channel(ctx, actor.Org, id)
	if err != nil {
		// The store says channel_not_found itself; a database outage must
		// stay "unavailable" (retry), not become "not found".
		return Channel{}, nil, errs.E(op, errs.Other, "", err)
	}
	m, err := r.Member(ctx, ch.ID, actor.User)
	switch {
	case err == nil:
		return ch, &m, nil
	case !errs.Is(err, errs.NotFound):
		return Channel{}, nil, errs.E(op, errs.Other, "", err)
	}
	return readableBy(op, actor, ch, nil)
}

// readableBy is access's rule once the channel and the actor's membership
// (nil: not a member) are loaded.
func readableBy(op string, actor account.Actor, ch Channel, m *Member) (Channel, *Member, error) {
	if m != nil || ch.Kind == KindPublic && ReadsPublicChannels(actor) {
		return ch, m, nil
	}
	return Channel{}, nil, errs.New(op, errs.NotFound, "channel_not_found")
}

// Access loads a channel the actor may read, with the actor's membership
// (nil when they read a public channel without being a member). It is the
// rule every chat read applies, for services that guard things kept in
// channels (files). Errors: NotFound (channel_not_found), Unavailable.
func (s *Service) Access(ctx context.Context, actor account.Actor, channelID int64) (Channel, *Member, error) {
	return access(ctx, s.store, "chat.Access", actor, channelID)
}

// member is access plus the requirement that the actor is a member.
func member(ctx context.Context, r Reader, op string, actor account.Actor, id int64) (Channel, Member, error) {
	ch, m, err := access(ctx, r, op, actor, id)
	if err != nil {
		return Channel{}, Member{}, err
	}
	if m == nil {
		return Channel{}, Member{}, errs.New(op, errs.Permission, "not_a_member")
	}
	return ch, *m, nil
}

func notArchived(op string, ch Channel) error {
	if ch.Archived {
		return errs.New(op, errs.Conflict, "channel_archived")
	}
	return nil
}

// updatePost runs fn, the post named by key, in a transaction and wraps
// its error with op.
func (s *Service) updatePost(ctx context.Context, op string, key PostKey, fn func(tx Tx) error) error {
	if err := s.store.UpdatePost(ctx, key, fn); err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// update runs fn in a transaction and wraps its error with op.
func (s *Service) update(ctx context.Context, op string, fn func(tx Tx) error) error {
	if err := s.store.Update(ctx, fn); err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}
