package chat

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// NewChannel describes a channel to create.
type NewChannel struct {
	Name, Topic, Purpose string
	Kind                 Kind // public or private
	Announcement         bool
	Users                []int64 // initial members besides the creator
}

// cleanChannelName validates a channel name: 1–80 characters without control
// or bidi characters. Names keep their case and script (中文 names are common)
// and are unique per organisation, compared case-insensitively.
func cleanChannelName(op, s string) (string, error) {
	s, err := account.CleanText(op, "channel_name", s, 1, MaxChannelName)
	if err != nil {
		return "", err
	}
	s = strings.TrimPrefix(s, "#")
	if s == "" || strings.ContainsAny(s, "#@\n") {
		return "", errs.New(op, errs.Invalid, "channel_name_invalid")
	}
	return s, nil
}

// ListChannels returns every channel, DM and group DM the actor is in, with
// read state.
func (s *Service) ListChannels(ctx context.Context, actor account.Actor) ([]ChannelView, error) {
	vs, err := s.store.UserChannels(ctx, actor.Org, actor.User)
	if err != nil {
		return nil, errs.E("chat.ListChannels", errs.Other, "", err)
	}
	return vs, nil
}

// Browse pages through the organisation's public channels.
func (s *Service) Browse(ctx context.Context, actor account.Actor, query string, afterID int64, limit int) ([]Channel, error) {
	const op = "chat.Browse"
	if actor.IsGuest() {
		return nil, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	q, err := account.CleanText(op, "query", query, 0, MaxChannelName)
	if err != nil {
		return nil, err
	}
	cs, err := s.store.BrowseChannels(ctx, actor.Org, q, afterID, limit)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return cs, nil
}

// Channel returns a channel the actor may read.
func (s *Service) Channel(ctx context.Context, actor account.Actor, id int64) (ChannelView, error) {
	const op = "chat.Channel"
	ch, m, err := access(ctx, s.store, op, actor, id)
	if err != nil {
		return ChannelView{}, err
	}
	if m != nil {
		mc, err := s.store.MemberWithCounts(ctx, ch.ID, actor.User)
		if err != nil {
			return ChannelView{}, errs.E(op, errs.Other, "", err)
		}
		m = &mc
	}
	return ChannelView{Channel: ch, Membership: m}, nil
}

// CreateChannel creates a public or private channel with the actor as owner.
func (s *Service) CreateChannel(ctx context.Context, actor account.Actor, in NewChannel) (ChannelView, error) {
	const op = "chat.CreateChannel"
	if actor.IsGuest() {
		return ChannelView{}, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	if in.Kind != KindPublic && in.Kind != KindPrivate {
		return ChannelView{}, errs.New(op, errs.Invalid, "channel_kind_invalid")
	}
	name, err := cleanChannelName(op, in.Name)
	if err != nil {
		return ChannelView{}, err
	}
	topic, err := account.CleanText(op, "topic", in.Topic, 0, MaxTopicLen)
	if err != nil {
		return ChannelView{}, err
	}
	purpose, err := account.CleanText(op, "purpose", in.Purpose, 0, MaxPurposeLen)
	if err != nil {
		return ChannelView{}, err
	}
	if len(in.Users) > MaxInvite {
		return ChannelView{}, errs.New(op, errs.TooLarge, "too_many_users").With("max", MaxInvite)
	}
	now := s.now()
	var view ChannelView
	err = s.update(ctx, op, func(tx Tx) error {
		sc, err := account.LoadScheme(ctx, tx, actor.Org)
		if err != nil {
			return err
		}
		if (in.Kind == KindPublic && !sc.CreatePublicChannel.Allows(actor, false)) ||
			(in.Kind == KindPrivate && !sc.CreatePrivateChannel.Allows(actor, false)) {
			return errs.New(op, errs.Permission, "channel_create_not_allowed")
		}
		ch, err := tx.InsertChannel(ctx, Channel{Org: actor.Org, Kind: in.Kind, Name: name, Topic: topic,
			Purpose: purpose, Announcement: in.Announcement, CreatedBy: actor.User, CreatedAt: now})
		if err != nil {
			return err
		}
		owner := Member{Channel: ch.ID, User: actor.User, Org: actor.Org, Role: RoleOwner, JoinedAt: now}
		if _, err := tx.AddMember(ctx, owner); err != nil {
			return err
		}
		ch.MemberCount = 1
		if ch.Kind == KindPublic {
			if err := s.emit(ctx, tx, event.Event{Org: ch.Org, All: true, NoGuests: true, Type: "channel.created"}, ch); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "member.joined", Join: []int64{actor.User}},
			MemberChange{Channel: ch.ID, User: actor.User, Role: RoleOwner, By: actor.User}); err != nil {
			return err
		}
		if _, err := s.addMembers(ctx, tx, op, actor, &ch, in.Users); err != nil {
			return err
		}
		view = ChannelView{Channel: ch, Membership: &owner}
		return nil
	})
	return view, err
}

// addMembers adds users (of the actor's organisation, active) to ch and emits
// member.joined for each new member. Guests may be added only to private
// channels and DMs by non-guests.
func (s *Service) addMembers(ctx context.Context, tx Tx, op string, actor account.Actor, ch *Channel, users []int64) (int, error) {
	role := RoleMember
	if ch.Announcement {
		role = RoleReadonly
	}
	added := 0
	seen := map[int64]bool{}
	var sc *account.Scheme // loaded when a guest is added
	for _, uid := range users {
		if seen[uid] || uid == 0 {
			continue
		}
		seen[uid] = true
		u, err := tx.User(ctx, actor.Org, uid)
		if err != nil {
			return 0, errs.E(op, errs.Other, "user_not_found", err)
		}
		if !u.Active {
			return 0, errs.New(op, errs.Invalid, "user_deactivated")
		}
		if u.Role == account.RoleGuest && ch.Kind == KindPublic {
			return 0, errs.New(op, errs.Permission, "guest_public_channel")
		}
		if u.Role == account.RoleGuest && uid != actor.User {
			if sc == nil {
				loaded, err := account.LoadScheme(ctx, tx, actor.Org)
				if err != nil {
					return 0, err
				}
				sc = &loaded
			}
			var chAdmin bool
			if m, err := tx.Member(ctx, ch.ID, actor.User); err == nil {
				chAdmin = m.IsChannelAdmin()
			}
			if !sc.InviteGuests.Allows(actor, chAdmin) {
				return 0, errs.New(op, errs.Permission, "guest_invite_not_allowed")
			}
		}
		ok, err := tx.AddMember(ctx, Member{Channel: ch.ID, User: uid, Org: actor.Org, Role: role, JoinedAt: s.now()})
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		added++
		ch.MemberCount++
		if err := s.emit(ctx, tx, event.Event{Org: actor.Org, Channel: ch.ID, User: uid, Type: "member.joined", Join: []int64{uid}},
			MemberChange{Channel: ch.ID, User: uid, Role: role, By: actor.User}); err != nil {
			return 0, err
		}
	}
	return added, nil
}

// OpenDM returns the DM or group DM between the actor and users, creating it
// on first use. One other user makes a DM; 2 to 15 make a group DM.
func (s *Service) OpenDM(ctx context.Context, actor account.Actor, users []int64) (ChannelView, error) {
	const op = "chat.OpenDM"
	set := []int64{actor.User}
	for _, u := range users {
		if u > 0 && !slices.Contains(set, u) {
			set = append(set, u)
		}
	}
	if len(set) < 2 {
		return ChannelView{}, errs.New(op, errs.Invalid, "dm_needs_another_user")
	}
	if len(set) > MaxGroupMembers {
		return ChannelView{}, errs.New(op, errs.Invalid, "group_too_large").With("max", MaxGroupMembers)
	}
	slices.Sort(set)
	keyParts := make([]string, len(set))
	for i, u := range set {
		keyParts[i] = strconv.FormatInt(u, 10)
	}
	key := strings.Join(keyParts, ",")
	kind := KindDM
	if len(set) > 2 {
		kind = KindGroup
	}
	var view ChannelView
	err := s.update(ctx, op, func(tx Tx) error {
		if ch, err := tx.ChannelByDMKey(ctx, actor.Org, key); err == nil {
			m, err := tx.Member(ctx, ch.ID, actor.User)
			if errs.Is(err, errs.NotFound) {
				// The actor left this group DM earlier; opening it again
				// brings them back (only its own members can name its key).
				if _, err := s.addMembers(ctx, tx, op, actor, &ch, []int64{actor.User}); err != nil {
					return err
				}
				m, err = tx.Member(ctx, ch.ID, actor.User)
			}
			if err != nil {
				return err
			}
			view = ChannelView{Channel: ch, Membership: &m}
			return nil
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		for _, uid := range set {
			u, err := tx.User(ctx, actor.Org, uid)
			if err != nil {
				return errs.E(op, errs.Other, "user_not_found", err)
			}
			if !u.Active {
				return errs.New(op, errs.Invalid, "user_deactivated")
			}
		}
		now := s.now()
		ch, err := tx.InsertChannel(ctx, Channel{Org: actor.Org, Kind: kind, DMKey: key, CreatedBy: actor.User, CreatedAt: now})
		if err != nil {
			return err
		}
		ch.MemberIDs = set
		for _, uid := range set {
			if _, err := tx.AddMember(ctx, Member{Channel: ch.ID, User: uid, Org: actor.Org, Role: RoleMember, JoinedAt: now}); err != nil {
				return err
			}
		}
		ch.MemberCount = len(set)
		if err := s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "channel.created", Join: set}, ch); err != nil {
			return err
		}
		m, err := tx.Member(ctx, ch.ID, actor.User)
		if err != nil {
			return err
		}
		view = ChannelView{Channel: ch, Membership: &m}
		return nil
	})
	return view, err
}

// ChannelPatch changes a channel's settings; nil fields stay.
type ChannelPatch struct {
	Name, Topic, Purpose *string
	Announcement         *bool
}

// canAdmin reports whether the actor administers ch: a channel owner or
// admin, or an organisation admin for channels (not DMs).
func canAdmin(actor account.Actor, ch Channel, m *Member) bool {
	if m != nil && m.IsChannelAdmin() {
		return true
	}
	return actor.IsAdmin() && !ch.Kind.IsDirect() && (ch.Kind == KindPublic || m != nil)
}

// isOwnerOrOrgAdmin reports whether the actor may act on a channel owner:
// another owner of the channel, or an organisation admin.
func isOwnerOrOrgAdmin(actor account.Actor, m *Member) bool {
	return actor.IsAdmin() || (m != nil && m.Role == RoleOwner)
}

// UpdateChannel renames a channel or changes its topic, purpose or
// announcement flag. Members may change the topic; the rest needs a channel
// admin.
func (s *Service) UpdateChannel(ctx context.Context, actor account.Actor, id int64, p ChannelPatch) (Channel, error) {
	const op = "chat.UpdateChannel"
	var ch Channel
	err := s.update(ctx, op, func(tx Tx) error {
		var m *Member
		var err error
		if ch, m, err = access(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		admin := canAdmin(actor, ch, m)
		if ch.Kind.IsDirect() && (p.Name != nil || p.Announcement != nil) {
			return errs.New(op, errs.Invalid, "dm_cannot_be_renamed")
		}
		if (p.Name != nil || p.Purpose != nil || p.Announcement != nil) && !admin {
			return errs.New(op, errs.Permission, "channel_admin_required")
		}
		if p.Topic != nil && !admin {
			if m == nil {
				return errs.New(op, errs.Permission, "not_a_member")
			}
			if !m.CanPost(ch) {
				return errs.New(op, errs.Permission, "channel_read_only")
			}
		}
		if p.Name != nil {
			if ch.Name, err = cleanChannelName(op, *p.Name); err != nil {
				return err
			}
		}
		if p.Topic != nil {
			if ch.Topic, err = account.CleanText(op, "topic", *p.Topic, 0, MaxTopicLen); err != nil {
				return err
			}
		}
		if p.Purpose != nil {
			if ch.Purpose, err = account.CleanText(op, "purpose", *p.Purpose, 0, MaxPurposeLen); err != nil {
				return err
			}
		}
		if p.Announcement != nil {
			ch.Announcement = *p.Announcement
		}
		if err := tx.UpdateChannel(ctx, ch); err != nil {
			return err
		}
		return s.emitChannel(ctx, tx, ch)
	})
	return ch, err
}

// emitChannel announces a channel change to its members, or to the whole
// organisation for public channels.
func (s *Service) emitChannel(ctx context.Context, tx Tx, ch Channel) error {
	ev := event.Event{Org: ch.Org, Channel: ch.ID, Type: "channel.updated"}
	if ch.Kind == KindPublic {
		ev.Channel, ev.All, ev.NoGuests = 0, true, true
	}
	return s.emit(ctx, tx, ev, ch)
}

// SetArchived archives or unarchives a channel (channel admins).
func (s *Service) SetArchived(ctx context.Context, actor account.Actor, id int64, archived bool) (Channel, error) {
	const op = "chat.SetArchived"
	var ch Channel
	err := s.update(ctx, op, func(tx Tx) error {
		var m *Member
		var err error
		if ch, m, err = access(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if ch.Kind.IsDirect() {
			return errs.New(op, errs.Invalid, "dm_cannot_be_archived")
		}
		if !canAdmin(actor, ch, m) {
			return errs.New(op, errs.Permission, "channel_admin_required")
		}
		if ch.Archived == archived {
			return nil
		}
		ch.Archived = archived
		if err := tx.UpdateChannel(ctx, ch); err != nil {
			return err
		}
		return s.emitChannel(ctx, tx, ch)
	})
	return ch, err
}

// Join adds the actor to a public channel.
func (s *Service) Join(ctx context.Context, actor account.Actor, id int64) (ChannelView, error) {
	const op = "chat.Join"
	var view ChannelView
	err := s.update(ctx, op, func(tx Tx) error {
		ch, m, err := access(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		if m != nil {
			view = ChannelView{Channel: ch, Membership: m}
			return nil
		}
		if ch.Kind != KindPublic {
			return errs.New(op, errs.Permission, "channel_private")
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		if _, err := s.addMembers(ctx, tx, op, actor, &ch, []int64{actor.User}); err != nil {
			return err
		}
		mm, err := tx.Member(ctx, ch.ID, actor.User)
		if err != nil {
			return err
		}
		view = ChannelView{Channel: ch, Membership: &mm}
		return nil
	})
	return view, err
}

// Leave removes the actor from a channel or group DM. 1:1 DMs cannot be left.
func (s *Service) Leave(ctx context.Context, actor account.Actor, id int64) error {
	const op = "chat.Leave"
	return s.update(ctx, op, func(tx Tx) error {
		ch, _, err := member(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		if ch.Kind == KindDM {
			return errs.New(op, errs.Invalid, "dm_cannot_be_left")
		}
		return s.removeMember(ctx, tx, actor, ch, actor.User)
	})
}

func (s *Service) removeMember(ctx context.Context, tx Tx, actor account.Actor, ch Channel, user int64) error {
	ok, err := tx.RemoveMember(ctx, ch.ID, user)
	if err != nil || !ok {
		return err
	}
	return s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, User: user, Type: "member.left", Leave: []int64{user}},
		MemberChange{Channel: ch.ID, User: user, By: actor.User})
}

// Members lists a channel's members.
func (s *Service) Members(ctx context.Context, actor account.Actor, id int64) ([]Member, error) {
	const op = "chat.Members"
	ch, _, err := access(ctx, s.store, op, actor, id)
	if err != nil {
		return nil, err
	}
	ms, err := s.store.Members(ctx, ch.ID)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ms, nil
}

// Invite adds users to a channel. Members who may post can invite; guests
// cannot; DMs take no new members (start a group DM instead).
func (s *Service) Invite(ctx context.Context, actor account.Actor, id int64, users []int64) (int, error) {
	const op = "chat.Invite"
	if len(users) == 0 {
		return 0, errs.New(op, errs.Invalid, "user_ids_required")
	}
	if len(users) > MaxInvite {
		return 0, errs.New(op, errs.TooLarge, "too_many_users").With("max", MaxInvite)
	}
	var added int
	err := s.update(ctx, op, func(tx Tx) error {
		ch, m, err := member(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		if ch.Kind.IsDirect() {
			return errs.New(op, errs.Invalid, "dm_members_fixed")
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		if actor.IsGuest() || (!m.CanPost(ch) && !canAdmin(actor, ch, &m)) {
			return errs.New(op, errs.Permission, "invite_not_allowed")
		}
		added, err = s.addMembers(ctx, tx, op, actor, &ch, users)
		return err
	})
	return added, err
}

// RemoveMember removes another user from a channel (channel admins).
func (s *Service) RemoveMember(ctx context.Context, actor account.Actor, id, user int64) error {
	const op = "chat.RemoveMember"
	return s.update(ctx, op, func(tx Tx) error {
		ch, m, err := access(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		if ch.Kind.IsDirect() {
			return errs.New(op, errs.Invalid, "dm_members_fixed")
		}
		if user != actor.User && !canAdmin(actor, ch, m) {
			return errs.New(op, errs.Permission, "channel_admin_required")
		}
		target, err := tx.Member(ctx, ch.ID, user)
		if err != nil {
			return errs.E(op, errs.Other, "member_not_found", err)
		}
		if target.Role == RoleOwner && user != actor.User && !isOwnerOrOrgAdmin(actor, m) {
			return errs.New(op, errs.Permission, "channel_owner_required")
		}
		return s.removeMember(ctx, tx, actor, ch, user)
	})
}

// SetMemberRole changes a member's channel role (channel admins; only an
// owner makes owners).
func (s *Service) SetMemberRole(ctx context.Context, actor account.Actor, id, user int64, role Role) (Member, error) {
	const op = "chat.SetMemberRole"
	if !role.Valid() {
		return Member{}, errs.New(op, errs.Invalid, "role_invalid")
	}
	var target Member
	err := s.update(ctx, op, func(tx Tx) error {
		ch, m, err := access(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		if ch.Kind.IsDirect() {
			return errs.New(op, errs.Invalid, "dm_members_fixed")
		}
		if !canAdmin(actor, ch, m) || (role == RoleOwner && !actor.IsAdmin() && (m == nil || m.Role != RoleOwner)) {
			return errs.New(op, errs.Permission, "channel_admin_required")
		}
		if target, err = tx.Member(ctx, ch.ID, user); err != nil {
			return errs.E(op, errs.Other, "member_not_found", err)
		}
		if target.Role == RoleOwner && !isOwnerOrOrgAdmin(actor, m) {
			return errs.New(op, errs.Permission, "channel_owner_required")
		}
		if target.Role == role {
			return nil
		}
		target.Role = role
		if err := tx.UpdateMember(ctx, target); err != nil {
			return err
		}
		return s.emit(ctx, tx, event.Event{Org: ch.Org, Channel: ch.ID, Type: "member.updated"},
			MemberChange{Channel: ch.ID, User: user, Role: role, By: actor.User})
	})
	return target, err
}

// Preferences are a member's own settings for a channel; nil fields stay.
type Preferences struct {
	Muted, Starred *bool
	StarOrder      *int
}

// SetPreferences changes the actor's mute and star settings for a channel.
func (s *Service) SetPreferences(ctx context.Context, actor account.Actor, id int64, p Preferences) (Member, error) {
	const op = "chat.SetPreferences"
	var m Member
	err := s.update(ctx, op, func(tx Tx) error {
		var ch Channel
		var err error
		if ch, m, err = member(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if p.Muted != nil {
			m.Muted = *p.Muted
		}
		if p.Starred != nil {
			m.Starred = *p.Starred
		}
		if p.StarOrder != nil {
			if *p.StarOrder < 0 || *p.StarOrder > 1_000_000 {
				return errs.New(op, errs.Invalid, "star_order_invalid")
			}
			m.StarOrder = *p.StarOrder
		}
		if err := tx.UpdateMember(ctx, m); err != nil {
			return err
		}
		m, err = tx.MemberWithCounts(ctx, ch.ID, actor.User)
		if err != nil {
			return err
		}
		return s.emitReadState(ctx, tx, ch, m)
	})
	return m, err
}

func (s *Service) emitReadState(ctx context.Context, tx Tx, ch Channel, m Member) error {
	return s.emit(ctx, tx, event.Event{Org: ch.Org, User: m.User, Type: "read.updated"}, m)
}
