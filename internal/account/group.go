package account

import (
	"context"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/errs"
)

// Group is a user group that can be @mentioned by its handle (@design): a
// mention notifies the group's members who can read the channel.
type Group struct {
	ID          int64
	Org         int64
	Handle      string // lower-case, as typed after '@'
	Name        string
	Description string
	CreatedBy   int64
	CreatedAt   time.Time
	Members     []int64 // filled by Group, not by Groups
}

// MaxGroupMembers bounds a group, so a mention cannot fan out without end.
const MaxGroupMembers = 5000

// cleanHandle validates a group handle: a username-like name that is not a
// special mention and not a user's username (a mention must mean one thing).
func cleanHandle(ctx context.Context, r Reader, op string, org int64, h string) (string, error) {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(h), "@")))
	if len(h) < 2 || len(h) > MaxUsernameLength {
		return "", errs.New(op, errs.Invalid, "group_handle_invalid")
	}
	for i, c := range h {
		if !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '.' || c == '_' || c == '-'))) {
			return "", errs.New(op, errs.Invalid, "group_handle_invalid")
		}
	}
	switch h {
	case "all", "channel", "here":
		return "", errs.New(op, errs.Invalid, "group_handle_invalid")
	}
	us, err := r.UsersByUsername(ctx, org, []string{h})
	if err != nil {
		return "", err
	}
	if len(us) > 0 {
		return "", errs.New(op, errs.Conflict, "group_handle_taken")
	}
	return h, nil
}

// managesGroups: organisation admins and department admins.
func managesGroups(actor Actor) bool { return actor.IsAdmin() || actor.IsDeptAdmin() }

// Groups lists the organisation's user groups (not for guests).
func (s *Service) Groups(ctx context.Context, actor Actor) ([]Group, error) {
	const op = "account.Groups"
	if actor.IsGuest() {
		return nil, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	gs, err := s.store.Groups(ctx, actor.Org)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return gs, nil
}

// Group returns one group with its members (not for guests).
func (s *Service) Group(ctx context.Context, actor Actor, id int64) (Group, error) {
	const op = "account.Group"
	if actor.IsGuest() {
		return Group{}, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	g, err := s.store.Group(ctx, actor.Org, id)
	if err != nil {
		return Group{}, errs.E(op, errs.Other, "", err)
	}
	if g.Members, err = s.store.GroupMembers(ctx, actor.Org, id); err != nil {
		return Group{}, errs.E(op, errs.Other, "", err)
	}
	return g, nil
}

// GroupPatch creates or changes a group; nil fields stay.
type GroupPatch struct {
	Handle, Name, Description *string
}

// SaveGroup creates (id 0) or changes a group: organisation admins and
// department admins.
func (s *Service) SaveGroup(ctx context.Context, actor Actor, id int64, p GroupPatch) (Group, error) {
	const op = "account.SaveGroup"
	if !managesGroups(actor) {
		return Group{}, errs.New(op, errs.Permission, "department_admin_required")
	}
	var g Group
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		var old Group
		if id != 0 {
			if g, err = tx.Group(ctx, actor.Org, id); err != nil {
				return err
			}
			old = g
		} else {
			if p.Handle == nil || p.Name == nil {
				return errs.New(op, errs.Invalid, "group_handle_invalid")
			}
			g = Group{Org: actor.Org, CreatedBy: actor.User, CreatedAt: s.now()}
		}
		if p.Handle != nil {
			if g.Handle, err = cleanHandle(ctx, tx, op, actor.Org, *p.Handle); err != nil {
				return err
			}
		}
		if p.Name != nil {
			if g.Name, err = CleanText(op, "group_name", *p.Name, 1, MaxNameLen); err != nil {
				return err
			}
		}
		if p.Description != nil {
			if g.Description, err = CleanText(op, "description", *p.Description, 0, MaxStatusLen); err != nil {
				return err
			}
		}
		if id == 0 {
			if g, err = tx.InsertGroup(ctx, g); err != nil {
				return err
			}
			return s.auditOn(ctx, tx, actor, GroupCreated, TargetGroup, g.ID, map[string]string{"handle": g.Handle, "name": g.Name})
		}
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return err
		}
		ch := map[string]string{}
		changed(ch, "handle", old.Handle, g.Handle)
		changed(ch, "name", old.Name, g.Name)
		changed(ch, "description", old.Description, g.Description)
		if len(ch) == 0 {
			return nil
		}
		return s.auditOn(ctx, tx, actor, GroupUpdated, TargetGroup, g.ID, ch)
	})
	if err != nil {
		return Group{}, errs.E(op, errs.Other, "", err)
	}
	return g, nil
}

// DeleteGroup deletes a group (organisation admins and department admins).
func (s *Service) DeleteGroup(ctx context.Context, actor Actor, id int64) error {
	const op = "account.DeleteGroup"
	if !managesGroups(actor) {
		return errs.New(op, errs.Permission, "department_admin_required")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		g, err := tx.Group(ctx, actor.Org, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteGroup(ctx, actor.Org, id); err != nil {
			return err
		}
		return s.auditOn(ctx, tx, actor, GroupDeleted, TargetGroup, id, map[string]string{"handle": g.Handle, "name": g.Name})
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// SetGroupMember adds or removes a group member (organisation admins and
// department admins). Guests and bots cannot join groups.
func (s *Service) SetGroupMember(ctx context.Context, actor Actor, id, user int64, member bool) error {
	const op = "account.SetGroupMember"
	if !managesGroups(actor) {
		return errs.New(op, errs.Permission, "department_admin_required")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Group(ctx, actor.Org, id); err != nil {
			return err
		}
		u, err := tx.User(ctx, actor.Org, user)
		if err != nil {
			return errs.E(op, errs.Other, "user_not_found", err)
		}
		who := map[string]string{"user": itoa(u.ID)}
		if !member {
			removed, err := tx.RemoveGroupMember(ctx, actor.Org, id, u.ID)
			if err != nil || !removed {
				return err
			}
			return s.auditOn(ctx, tx, actor, GroupMemberRemoved, TargetGroup, id, who)
		}
		if u.Role == RoleGuest || u.Role == RoleBot {
			return errs.New(op, errs.Invalid, "group_member_role")
		}
		ms, err := tx.GroupMembers(ctx, actor.Org, id)
		if err != nil {
			return err
		}
		if len(ms) >= MaxGroupMembers {
			return errs.New(op, errs.TooLarge, "user_group_too_large").With("max", MaxGroupMembers)
		}
		if err := tx.AddGroupMember(ctx, actor.Org, id, u.ID); err != nil {
			return err
		}
		return s.auditOn(ctx, tx, actor, GroupMemberAdded, TargetGroup, id, who)
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}
