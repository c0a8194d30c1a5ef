package sso

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// A SCIM Group is a department (ADR 0014): identity providers push groups
// meaning teams and departments, and Feishu-style providers push
// departments outright. Groups the provider creates are top-level
// departments unless they name a parent; every department of the organisation is a group, and a
// group's members are the department's direct members. The work goes
// through the directory (the account service, as the organisation's system
// actor), so its rules and events apply as they do to an admin's change.

// Audit actions of SCIM Groups.
const (
	AuditSCIMGroupCreated audit.Action = "scim.group.create"
	AuditSCIMGroupUpdated audit.Action = "scim.group.update"
	AuditSCIMGroupDeleted audit.Action = "scim.group.delete"
	// TargetDepartment is a department as an audit target.
	TargetDepartment audit.TargetType = "department"
)

// SCIMGroup is a department with its direct members' ids and the
// provider's id for it.
type SCIMGroup struct {
	account.Department
	Members []int64
	// ExternalID is the provider's own id of the group (RFC 7643 3.1),
	// "" when it sent none: opaque, compared case-sensitively.
	ExternalID string
}

// maxExternalID bounds an externalId, in bytes.
const maxExternalID = 256

// checkExternalID refuses an externalId that is too long, not UTF-8 or
// holds control characters: it is shown in the admin console and the
// audit trail. Invalid "external_id_invalid".
func checkExternalID(op, ext string) error {
	if len(ext) > maxExternalID || !utf8.ValidString(ext) || strings.ContainsFunc(ext, unicode.IsControl) {
		return errs.New(op, errs.Invalid, "external_id_invalid").With("max", maxExternalID)
	}
	return nil
}

// SCIMGroupExternalIDs returns the externalId of every department of the
// organisation that has one, by department id (for lists and filters).
func (s *Service) SCIMGroupExternalIDs(ctx context.Context, c SCIMClient) (map[int64]string, error) {
	m, err := s.store.SCIMGroupExternalIDs(ctx, c.Org)
	if err != nil {
		return nil, errs.E("sso.SCIMGroupExternalIDs", errs.Other, "", err)
	}
	return m, nil
}

func (s *Service) directory(op string) error {
	if s.dir == nil {
		return errs.New(op, errs.Unavailable, "directory_unavailable")
	}
	return nil
}

func system(c SCIMClient) account.Actor { return account.Actor{Org: c.Org, Role: account.RoleOwner} }

// SCIMGroups lists the organisation's departments (the transport filters
// and pages them).
func (s *Service) SCIMGroups(ctx context.Context, c SCIMClient) ([]account.Department, error) {
	const op = "sso.SCIMGroups"
	if err := s.directory(op); err != nil {
		return nil, err
	}
	ds, err := s.dir.Departments(ctx, system(c))
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ds, nil
}

// SCIMGroup returns one department with its members; NotFound for another
// organisation's.
func (s *Service) SCIMGroup(ctx context.Context, c SCIMClient, id int64) (SCIMGroup, error) {
	const op = "sso.SCIMGroup"
	if err := s.directory(op); err != nil {
		return SCIMGroup{}, err
	}
	d, err := s.dir.Department(ctx, system(c), id)
	if err != nil {
		return SCIMGroup{}, errs.E(op, errs.Other, "", err)
	}
	g := SCIMGroup{Department: d.Department, Members: []int64{}}
	for _, m := range d.Members {
		g.Members = append(g.Members, m.User)
	}
	if g.ExternalID, err = s.store.SCIMGroupExternalID(ctx, c.Org, id); err != nil {
		return SCIMGroup{}, errs.E(op, errs.Other, "", err)
	}
	return g, nil
}

// SCIMUserGroups lists the departments a user of the organisation belongs
// to.
func (s *Service) SCIMUserGroups(ctx context.Context, c SCIMClient, user int64) ([]account.Department, error) {
	ds, err := s.store.UserDepartments(ctx, c.Org, user)
	if err != nil {
		return nil, errs.E("sso.SCIMUserGroups", errs.Other, "", err)
	}
	return ds, nil
}

// SCIMGroupPatch changes a group; nil fields stay. Members is the whole
// new member list. ExternalID "" removes the externalId.
type SCIMGroupPatch struct {
	Name       *string
	Members    []int64
	ExternalID *string
}

// SCIMNewGroup is a group as the provider creates it: a department below
// Parent (0: at the top level) with these members.
type SCIMNewGroup struct {
	Name       string
	Parent     int64
	Members    []int64
	ExternalID string
}

// checkMembers refuses ids that are not users of the organisation: the
// provider sent a bad reference (Invalid), not asked for a missing group.
func (s *Service) checkMembers(ctx context.Context, op string, c SCIMClient, ids []int64) error {
	for _, id := range ids {
		if _, err := s.store.User(ctx, c.Org, id); errs.Is(err, errs.NotFound) {
			return errs.New(op, errs.Invalid, "group_member_not_found").With("value", id)
		} else if err != nil {
			return errs.E(op, errs.Other, "", err)
		}
	}
	return nil
}

// SCIMCreateGroup creates a department with its members and externalId.
func (s *Service) SCIMCreateGroup(ctx context.Context, c SCIMClient, in SCIMNewGroup) (SCIMGroup, error) {
	const op = "sso.SCIMCreateGroup"
	if err := s.directory(op); err != nil {
		return SCIMGroup{}, err
	}
	if err := checkExternalID(op, in.ExternalID); err != nil {
		return SCIMGroup{}, err
	}
	parent, members := in.Parent, in.Members
	if parent != 0 {
		// A parent the organisation does not have is a bad reference in
		// the body, not a missing resource.
		if _, err := s.dir.Department(ctx, system(c), parent); errs.Is(err, errs.NotFound) {
			return SCIMGroup{}, errs.New(op, errs.Invalid, "group_parent_not_found")
		} else if err != nil {
			return SCIMGroup{}, errs.E(op, errs.Other, "", err)
		}
	}
	if err := s.checkMembers(ctx, op, c, members); err != nil {
		return SCIMGroup{}, err // before the department exists
	}
	// A sibling of the same name is a Conflict "department_name_taken":
	// displayName is the group's identity for most providers.
	d, err := s.dir.CreateDepartment(ctx, system(c), account.NewDepartment{Parent: parent, Name: in.Name})
	if err != nil {
		return SCIMGroup{}, errs.E(op, errs.Other, "", err)
	}
	s.auditGroup(ctx, c, AuditSCIMGroupCreated, d.ID, map[string]string{"name": d.Name})
	p := SCIMGroupPatch{Members: members}
	if in.ExternalID != "" {
		p.ExternalID = &in.ExternalID
	}
	if _, err := s.SCIMUpdateGroup(ctx, c, d.ID, p); err != nil {
		return SCIMGroup{}, err
	}
	return s.SCIMGroup(ctx, c, d.ID)
}

// SCIMUpdateGroup renames a department and changes its members.
func (s *Service) SCIMUpdateGroup(ctx context.Context, c SCIMClient, id int64, p SCIMGroupPatch) (SCIMGroup, error) {
	const op = "sso.SCIMUpdateGroup"
	g, err := s.SCIMGroup(ctx, c, id)
	if err != nil {
		return SCIMGroup{}, err
	}
	var fresh []int64
	for _, u := range p.Members {
		if !slices.Contains(g.Members, u) && !slices.Contains(fresh, u) {
			fresh = append(fresh, u)
		}
	}
	if err := s.checkMembers(ctx, op, c, fresh); err != nil {
		return SCIMGroup{}, err
	}
	if p.ExternalID != nil {
		if err := checkExternalID(op, *p.ExternalID); err != nil {
			return SCIMGroup{}, err
		}
	}
	details := map[string]string{}
	if p.Name != nil && *p.Name != g.Name {
		if _, err := s.dir.UpdateDepartment(ctx, system(c), id, account.DepartmentPatch{Name: p.Name}); err != nil {
			return SCIMGroup{}, errs.E(op, errs.Other, "", err)
		}
		details["name"] = *p.Name
	}
	if p.ExternalID != nil && *p.ExternalID != g.ExternalID {
		err := s.store.Update(ctx, func(tx Tx) error { return tx.SetSCIMGroupExternalID(ctx, c.Org, id, *p.ExternalID) })
		if err != nil {
			return SCIMGroup{}, errs.E(op, errs.Other, "", err)
		}
		details["external_id"] = *p.ExternalID
	}
	want := map[int64]bool{}
	for _, u := range g.Members {
		want[u] = true
	}
	if p.Members != nil {
		clear(want)
		for _, u := range p.Members {
			want[u] = true
		}
	}
	added, removed := len(fresh), 0
	for _, u := range fresh {
		if _, err := s.dir.SetDepartmentMember(ctx, system(c), account.DepartmentMember{Department: id, User: u}); err != nil {
			return SCIMGroup{}, errs.E(op, errs.Other, "", err)
		}
	}
	for _, u := range g.Members {
		if !want[u] {
			if err := s.dir.RemoveDepartmentMember(ctx, system(c), id, u); err != nil {
				return SCIMGroup{}, errs.E(op, errs.Other, "", err)
			}
			removed++
		}
	}
	if added > 0 {
		details["members_added"] = strconv.Itoa(added)
	}
	if removed > 0 {
		details["members_removed"] = strconv.Itoa(removed)
	}
	if len(details) > 0 {
		s.auditGroup(ctx, c, AuditSCIMGroupUpdated, id, details)
	}
	return s.SCIMGroup(ctx, c, id)
}

// SCIMDeleteGroup empties a department and deletes it. A department with
// sub-departments is refused (Conflict "department_not_empty"): the
// provider only knows the groups it pushed, and deleting one must not
// take an admin's sub-tree with it.
func (s *Service) SCIMDeleteGroup(ctx context.Context, c SCIMClient, id int64) error {
	const op = "sso.SCIMDeleteGroup"
	g, err := s.SCIMGroup(ctx, c, id)
	if err != nil {
		return err
	}
	ds, err := s.dir.Departments(ctx, system(c))
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	if slices.ContainsFunc(ds, func(d account.Department) bool { return d.Parent == id }) {
		return errs.New(op, errs.Conflict, "department_not_empty")
	}
	for _, u := range g.Members {
		if err := s.dir.RemoveDepartmentMember(ctx, system(c), id, u); err != nil {
			return errs.E(op, errs.Other, "", err)
		}
	}
	if err := s.dir.DeleteDepartment(ctx, system(c), id); err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	s.auditGroup(ctx, c, AuditSCIMGroupDeleted, id, map[string]string{"name": g.Name})
	return nil
}

// auditGroup records a change the directory has committed, in its own
// transaction; a failure to record is logged, not returned, since the
// change itself stands.
func (s *Service) auditGroup(ctx context.Context, c SCIMClient, action audit.Action, id int64, details map[string]string) {
	details["provisioned_by"] = "scim"
	details["scim_token"] = strconv.FormatInt(c.Token, 10)
	err := s.store.Update(ctx, func(tx Tx) error {
		return s.audit(ctx, tx, audit.Entry{Org: c.Org, Action: action, TargetType: TargetDepartment, TargetID: id, Details: details})
	})
	if err != nil {
		s.log.Error("record scim group audit", "action", action, "department", id, "err", err)
	}
}
