package sso

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/go-ldap/ldap/v3"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// Directory is the department tree as the LDAP sync maintains it: the
// account service, called as the organisation's system actor so that its
// own rules (names, depth, who may be a member) and events apply.
type Directory interface {
	Departments(ctx context.Context, actor account.Actor) ([]account.Department, error)
	CreateDepartment(ctx context.Context, actor account.Actor, in account.NewDepartment) (account.Department, error)
	DepartmentMembers(ctx context.Context, actor account.Actor, id int64, subtree bool) ([]account.DepartmentMember, error)
	SetDepartmentMember(ctx context.Context, actor account.Actor, m account.DepartmentMember) (account.DepartmentMember, error)
	RemoveDepartmentMember(ctx context.Context, actor account.Actor, dept, user int64) error
	// The rest serve SCIM Groups.
	Department(ctx context.Context, actor account.Actor, id int64) (account.DepartmentDetail, error)
	UpdateDepartment(ctx context.Context, actor account.Actor, id int64, p account.DepartmentPatch) (account.Department, error)
	DeleteDepartment(ctx context.Context, actor account.Actor, id int64) error
}

// relativeUnits drops the organisational units that are part of the base
// DN: with base "ou=people,dc=corp", "uid=x,ou=Sales,ou=people,dc=corp"
// is in department "Sales", not "people/Sales".
func relativeUnits(baseDN string, units []string) []string {
	n := 0
	if dn, err := ldap.ParseDN(baseDN); err == nil {
		for _, rdn := range dn.RDNs {
			for _, a := range rdn.Attributes {
				if strings.EqualFold(a.Type, "ou") {
					n++
				}
			}
		}
	}
	if n >= len(units) {
		return nil
	}
	return units[n:]
}

// deptKey joins a department path for map keys.
func deptKey(path []string) string { return strings.Join(path, "\x00") }

// syncDepartments makes the department tree follow the directory's
// organisational units: every OU path below the base DN becomes a
// department path (created when missing, matched by name under its
// parent), and each such department's members among the users this
// provider manages are exactly the directory's. Departments without an OU
// and members the provider does not manage are left alone. Guests and bots
// cannot be department members and are skipped. It returns how many
// departments it created.
func (s *Service) syncDepartments(ctx context.Context, p Provider, want map[string][]int64, paths map[string][]string, managed map[int64]bool) (int, error) {
	const op = "sso.syncDepartments"
	if s.dir == nil {
		return 0, nil
	}
	system := account.Actor{Org: p.Org, Role: account.RoleOwner}
	all, err := s.dir.Departments(ctx, system)
	if err != nil {
		return 0, errs.E(op, errs.Other, "", err)
	}
	type child struct {
		parent int64
		name   string
	}
	byName := map[child]account.Department{}
	for _, d := range all {
		byName[child{d.Parent, strings.ToLower(d.Name)}] = d
	}
	created := 0
	leaf := map[string]int64{}
	for key, path := range paths {
		parent := int64(0)
		for _, name := range path {
			d, ok := byName[child{parent, strings.ToLower(name)}]
			if !ok {
				if d, err = s.dir.CreateDepartment(ctx, system, account.NewDepartment{Parent: parent, Name: name}); err != nil {
					return created, errs.E(op, errs.Other, "", err)
				}
				byName[child{parent, strings.ToLower(name)}] = d
				created++
			}
			parent = d.ID
		}
		leaf[key] = parent
	}
	for key, dept := range leaf {
		current, err := s.dir.DepartmentMembers(ctx, system, dept, false)
		if err != nil {
			return created, errs.E(op, errs.Other, "", err)
		}
		in := map[int64]bool{}
		for _, m := range current {
			in[m.User] = true
		}
		should := map[int64]bool{}
		for _, u := range want[key] {
			should[u] = true
			if !in[u] {
				if _, err := s.dir.SetDepartmentMember(ctx, system, account.DepartmentMember{Department: dept, User: u}); err != nil {
					return created, errs.E(op, errs.Other, "", err)
				}
			}
		}
		for u := range in {
			if managed[u] && !should[u] {
				if err := s.dir.RemoveDepartmentMember(ctx, system, dept, u); err != nil {
					return created, errs.E(op, errs.Other, "", err)
				}
			}
		}
	}
	return created, nil
}

// AuditDepartmentsMapped records what the department rules changed for one
// user at a sign-in or sync (account records each membership change too,
// as the system actor; this entry says which provider asked and why).
const AuditDepartmentsMapped audit.Action = "sso.departments"

// checkDepartmentRules refuses department rules naming a department the
// provider's organisation does not have: Invalid "sso_department_unknown"
// with the rule's department id.
func (s *Service) checkDepartmentRules(ctx context.Context, op string, p Provider) error {
	rules := p.Settings.Mapping.Departments
	if len(rules) == 0 {
		return nil
	}
	known := map[int64]bool{}
	if s.dir != nil {
		all, err := s.dir.Departments(ctx, account.Actor{Org: p.Org, Role: account.RoleOwner})
		if err != nil {
			return errs.E(op, errs.Other, "", err)
		}
		for _, d := range all {
			known[d.ID] = true
		}
	}
	for _, r := range rules {
		if !known[r.Department] {
			return errs.New(op, errs.Invalid, "sso_department_unknown").With("department", r.Department)
		}
	}
	return nil
}

// departmentsFor splits the departments p's rules manage into those the
// identity's groups put the user in (true) and the others (false).
func (m Mapping) departmentsFor(id Identity) map[int64]bool {
	out := map[int64]bool{}
	for _, r := range m.Departments {
		out[r.Department] = out[r.Department] || matchesGroup(r.Group, id)
	}
	return out
}

// mapDepartments makes a user's membership of the departments p's rules
// manage follow their groups: added where a rule matches, removed where
// none does. Other departments, and users who cannot be department members
// (guests, bots), are left alone; a deactivated user (an empty identity)
// leaves every managed department; a rule whose department is gone is
// skipped. The work goes through the directory as the system actor, so
// department channels follow; what changed is audited as sso.departments.
func (s *Service) mapDepartments(ctx context.Context, p Provider, u account.User, id Identity) error {
	const op = "sso.mapDepartments"
	want := p.Settings.Mapping.departmentsFor(id)
	if len(want) == 0 || s.dir == nil || u.Role == account.RoleGuest || u.Role == account.RoleBot {
		return nil
	}
	current, err := s.store.UserDepartments(ctx, p.Org, u.ID)
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	in := map[int64]bool{}
	for _, d := range current {
		in[d.ID] = true
	}
	system := account.Actor{Org: p.Org, Role: account.RoleOwner}
	var added, removed []string
	for dept, should := range want {
		switch {
		case should && !in[dept]:
			_, err = s.dir.SetDepartmentMember(ctx, system, account.DepartmentMember{Department: dept, User: u.ID})
			if err == nil {
				added = append(added, strconv.FormatInt(dept, 10))
			}
		case !should && in[dept]:
			err = s.dir.RemoveDepartmentMember(ctx, system, dept, u.ID)
			if err == nil {
				removed = append(removed, strconv.FormatInt(dept, 10))
			}
		}
		switch {
		case errs.Is(err, errs.NotFound):
			// Deleted since the rule was saved (or the member left
			// meanwhile): nothing to do for this rule.
			s.log.Warn("department rule skipped", "org", p.Org, "provider", p.ID, "department", dept, "err", err)
		case err != nil:
			return errs.E(op, errs.Other, "", err)
		}
		err = nil
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	slices.Sort(added)
	slices.Sort(removed)
	e := audit.Entry{Org: p.Org, Action: AuditDepartmentsMapped, TargetType: audit.TargetUser, TargetID: u.ID,
		Details: map[string]string{"provisioned_by": string(p.Kind), "provider": strconv.FormatInt(p.ID, 10),
			"added": strings.Join(added, ","), "removed": strings.Join(removed, ",")}}
	if err := s.store.Update(ctx, func(tx Tx) error { return s.audit(ctx, tx, e) }); err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}
