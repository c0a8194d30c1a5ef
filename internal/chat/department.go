package chat

import (
	"context"
	"slices"
	"strconv"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// SearchChannels finds channels by name or pinyin ("yanfa" and "yf" find
// 研发) among those the actor may read: theirs and, except for guests, the
// organisation's public channels. DMs are found through people.
func (s *Service) SearchChannels(ctx context.Context, actor account.Actor, query string, limit int) ([]Channel, error) {
	const op = "chat.SearchChannels"
	q, err := account.CleanText(op, "query", query, 1, MaxChannelName)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > account.MaxSearchResults {
		limit = account.MaxSearchResults
	}
	cs, err := s.store.SearchChannels(ctx, actor.Org, actor.User, q, ReadsPublicChannels(actor), limit)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return cs, nil
}

// Audit trail entries of department channels: binding a channel to a
// department (or unbinding it, department 0) changes who belongs to it.
const (
	DepartmentBound audit.Action     = "channel.department_bind"
	TargetChannel   audit.TargetType = "channel"
)

// BindDepartment makes a channel a department channel (dept 0 unbinds it):
// from then on its members follow the department's subtree, and the
// subtree's current members are added at once. The actor must administer
// the channel and manage the department (an organisation admin, or a
// department admin of a subtree holding it). Members who are not in the
// subtree stay until removed by hand; only users who leave the subtree later
// are removed automatically.
func (s *Service) BindDepartment(ctx context.Context, actor account.Actor, id, dept int64, manages func(ctx context.Context, dept int64) (bool, error)) (Channel, error) {
	const op = "chat.BindDepartment"
	var ch Channel
	err := s.update(ctx, op, func(tx Tx) error {
		var m *Member
		var err error
		if ch, m, err = access(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if ch.Kind.IsDirect() {
			return errs.New(op, errs.Invalid, "dm_members_fixed")
		}
		if !canAdmin(actor, ch, m) {
			return errs.New(op, errs.Permission, "channel_admin_required")
		}
		if err := notArchived(op, ch); err != nil {
			return err
		}
		if dept != 0 {
			ok, err := manages(ctx, dept)
			if err != nil {
				return err
			}
			if !ok {
				return errs.New(op, errs.Permission, "department_admin_required")
			}
		}
		if ch.Department == dept {
			return nil
		}
		old := ch.Department
		ch.Department = dept
		if err := tx.UpdateChannel(ctx, ch); err != nil {
			return err
		}
		if err := tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), audit.Entry{Org: actor.Org, Actor: actor.User,
			Action: DepartmentBound, TargetType: TargetChannel, TargetID: ch.ID, Outcome: audit.Success,
			Details: map[string]string{"department": strconv.FormatInt(old, 10) + " → " + strconv.FormatInt(dept, 10)}})); err != nil {
			return err
		}
		if dept != 0 {
			users, err := tx.SubtreeMemberIDs(ctx, actor.Org, dept)
			if err != nil {
				return err
			}
			if err := s.followAdd(ctx, tx, actor, &ch, users); err != nil {
				return err
			}
		}
		return s.emitChannel(ctx, tx, ch)
	})
	return ch, err
}

// followAdd adds to a department channel the users of its subtree who are
// not members yet (guests and bots never belong to departments).
func (s *Service) followAdd(ctx context.Context, tx Tx, actor account.Actor, ch *Channel, users []int64) error {
	ms, err := tx.Members(ctx, ch.ID)
	if err != nil {
		return err
	}
	var add []int64
	for _, u := range users {
		if !slices.ContainsFunc(ms, func(m Member) bool { return m.User == u }) {
			add = append(add, u)
		}
	}
	if len(add) == 0 {
		return nil
	}
	_, err = s.addMembers(ctx, tx, "chat.FollowDepartments", actor, ch, add)
	return err
}

// FollowDepartments brings the organisation's department channels in line
// with the tree after a change: users now in a channel's subtree are added,
// and users (of the given ones) no longer in it are removed. With no users
// given (a department moved), every member of every department channel is
// checked. It runs inside the transaction that changed the tree.
func (s *Service) FollowDepartments(ctx context.Context, tx Tx, org int64, users []int64) error {
	chans, err := tx.DepartmentChannels(ctx, org)
	if err != nil {
		return err
	}
	system := account.Actor{Org: org, Role: account.RoleAdmin} // the tree acts, not a person
	for i := range chans {
		ch := &chans[i]
		if ch.Archived {
			continue
		}
		in, err := tx.SubtreeMemberIDs(ctx, org, ch.Department)
		if err != nil {
			return err
		}
		ms, err := tx.Members(ctx, ch.ID)
		if err != nil {
			return err
		}
		check := users
		if len(check) == 0 {
			for _, m := range ms {
				check = append(check, m.User)
			}
			check = append(check, in...)
		}
		for _, u := range dedupe(check) {
			member := slices.ContainsFunc(ms, func(m Member) bool { return m.User == u })
			inTree := slices.Contains(in, u)
			switch {
			case inTree && !member:
				if err := s.followAdd(ctx, tx, system, ch, []int64{u}); err != nil {
					return err
				}
			case !inTree && member && len(users) > 0:
				// Only users whose department changed are removed: members
				// added by hand to a department channel stay.
				i := slices.IndexFunc(ms, func(m Member) bool { return m.User == u })
				if ms[i].Role == RoleOwner {
					continue // the channel keeps its owner
				}
				if err := s.removeMember(ctx, tx, system, *ch, u); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
