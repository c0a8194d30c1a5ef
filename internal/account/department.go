package account

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// Department is a node of an organisation's department tree (通讯录).
type Department struct {
	ID     int64
	Org    int64
	Parent int64 // 0 for a top-level department
	// Path lists the ids from the top of the tree down to this department,
	// "/1/5/9/", so that "is X inside Y's subtree" is a prefix test.
	Path      string
	Name      string
	Order     int // position among its siblings, ascending
	CreatedAt time.Time
}

// Contains reports whether d is x or one of x's ancestors.
func (d Department) Contains(x Department) bool {
	return d.Org == x.Org && d.Path != "" && strings.HasPrefix(x.Path, d.Path)
}

// DepartmentMember is a user's membership of one department.
type DepartmentMember struct {
	Department int64
	User       int64
	Org        int64
	Head       bool // a head (负责人) of the department
	Order      int  // position in the department's member list, ascending
}

// Limits of the directory.
const (
	MaxDepartmentDepth = 32      // levels below the top, so paths stay short
	MaxDepartments     = 20000   // per organisation
	MaxOrder           = 1 << 30 // sort orders are 0..MaxOrder
)

// pathOf returns the path of a new child of parent (the zero Department for
// the top level) once its id is known.
func pathOf(parent Department, id int64) string {
	p := parent.Path
	if p == "" {
		p = "/"
	}
	return p + strconv.FormatInt(id, 10) + "/"
}

// depth is the number of ids in a path.
func depth(path string) int { return strings.Count(path, "/") - 1 }

// Departments returns the actor's organisation's whole tree, ordered by
// parent, sort order and name. Guests do not see the directory.
func (s *Service) Departments(ctx context.Context, actor Actor) ([]Department, error) {
	const op = "account.Departments"
	if actor.IsGuest() {
		return nil, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	ds, err := s.store.Departments(ctx, actor.Org)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ds, nil
}

// DepartmentDetail is a department with its members and admins.
type DepartmentDetail struct {
	Department
	Members []DepartmentMember
	Admins  []int64
}

// Department returns one department with its direct members and admins.
func (s *Service) Department(ctx context.Context, actor Actor, id int64) (DepartmentDetail, error) {
	const op = "account.Department"
	if actor.IsGuest() {
		return DepartmentDetail{}, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	d, err := s.store.Department(ctx, actor.Org, id)
	if err != nil {
		return DepartmentDetail{}, errs.E(op, errs.Other, "", err)
	}
	ms, err := s.store.DepartmentMembers(ctx, actor.Org, d, false)
	if err != nil {
		return DepartmentDetail{}, errs.E(op, errs.Other, "", err)
	}
	as, err := s.store.DepartmentAdmins(ctx, actor.Org, d.ID)
	if err != nil {
		return DepartmentDetail{}, errs.E(op, errs.Other, "", err)
	}
	return DepartmentDetail{Department: d, Members: ms, Admins: as}, nil
}

// DepartmentMembers lists a department's members, with subtree those of
// every department below it too (each user once, heads of d first).
func (s *Service) DepartmentMembers(ctx context.Context, actor Actor, id int64, subtree bool) ([]DepartmentMember, error) {
	const op = "account.DepartmentMembers"
	if actor.IsGuest() {
		return nil, errs.New(op, errs.Permission, "guest_not_allowed")
	}
	d, err := s.store.Department(ctx, actor.Org, id)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	ms, err := s.store.DepartmentMembers(ctx, actor.Org, d, subtree)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ms, nil
}

// managesDepartment reports whether the actor may change d: organisation
// admins anywhere, department admins inside the subtrees they administer.
func managesDepartment(ctx context.Context, r Reader, actor Actor, d Department) (bool, error) {
	if actor.IsAdmin() {
		return true, nil
	}
	if !actor.IsDeptAdmin() {
		return false, nil
	}
	scopes, err := r.AdminScopes(ctx, actor.Org, actor.User)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(scopes, func(s Department) bool { return s.Contains(d) }), nil
}

// managesUser reports whether the actor administers user u: organisation
// admins always, department admins when u belongs to a department of their
// subtrees.
func managesUser(ctx context.Context, r Reader, actor Actor, user int64) (bool, error) {
	if actor.IsAdmin() {
		return true, nil
	}
	if !actor.IsDeptAdmin() {
		return false, nil
	}
	scopes, err := r.AdminScopes(ctx, actor.Org, actor.User)
	if err != nil || len(scopes) == 0 {
		return false, err
	}
	ds, err := r.UserDepartments(ctx, actor.Org, user)
	if err != nil {
		return false, err
	}
	for _, d := range ds {
		for _, s := range scopes {
			if s.Contains(d) {
				return true, nil
			}
		}
	}
	return false, nil
}

// NewDepartment describes a department to create.
type NewDepartment struct {
	Parent int64 // 0 for the top level
	Name   string
	Order  int
}

func cleanDepartmentName(op, name string) (string, error) {
	name, err := CleanText(op, "department_name", name, 1, MaxNameLen)
	if err != nil {
		return "", err
	}
	if strings.Contains(name, "/") {
		return "", errs.New(op, errs.Invalid, "department_name_invalid")
	}
	return name, nil
}

func checkOrder(op string, order int) error {
	if order < 0 || order > MaxOrder {
		return errs.New(op, errs.Invalid, "sort_order_invalid")
	}
	return nil
}

// CreateDepartment adds a department. Organisation admins anywhere;
// department admins below a department they administer.
func (s *Service) CreateDepartment(ctx context.Context, actor Actor, in NewDepartment) (Department, error) {
	const op = "account.CreateDepartment"
	name, err := cleanDepartmentName(op, in.Name)
	if err != nil {
		return Department{}, err
	}
	if err := checkOrder(op, in.Order); err != nil {
		return Department{}, err
	}
	var d Department
	err = s.store.Update(ctx, func(tx Tx) error {
		var parent Department
		if in.Parent != 0 {
			var err error
			if parent, err = tx.Department(ctx, actor.Org, in.Parent); err != nil {
				return errs.E(op, errs.Other, "parent_not_found", err)
			}
			if depth(parent.Path) >= MaxDepartmentDepth {
				return errs.New(op, errs.Invalid, "department_too_deep").With("max", MaxDepartmentDepth)
			}
		}
		if ok, err := managesDepartment(ctx, tx, actor, parent); err != nil {
			return err
		} else if !ok || (in.Parent == 0 && !actor.IsAdmin()) {
			return errs.New(op, errs.Permission, "department_admin_required")
		}
		n, err := tx.DepartmentCount(ctx, actor.Org)
		if err != nil {
			return err
		}
		if n >= MaxDepartments {
			return errs.New(op, errs.TooLarge, "too_many_departments").With("max", MaxDepartments)
		}
		d = Department{Org: actor.Org, Parent: in.Parent, Path: parent.Path, Name: name, Order: in.Order, CreatedAt: s.now()}
		if d, err = tx.InsertDepartment(ctx, d); err != nil {
			return err
		}
		return s.auditOn(ctx, tx, actor, DepartmentCreated, TargetDepartment, d.ID,
			map[string]string{"name": d.Name, "parent": itoa(d.Parent)})
	})
	if err != nil {
		return Department{}, errs.E(op, errs.Other, "", err)
	}
	return d, nil
}

// DepartmentPatch renames or reorders a department; nil fields stay.
type DepartmentPatch struct {
	Name  *string
	Order *int
}

// UpdateDepartment renames or reorders a department (its managers).
func (s *Service) UpdateDepartment(ctx context.Context, actor Actor, id int64, p DepartmentPatch) (Department, error) {
	const op = "account.UpdateDepartment"
	var d Department
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if d, err = s.managedDepartment(ctx, tx, op, actor, id); err != nil {
			return err
		}
		old := d
		if p.Name != nil {
			if d.Name, err = cleanDepartmentName(op, *p.Name); err != nil {
				return err
			}
		}
		if p.Order != nil {
			if err := checkOrder(op, *p.Order); err != nil {
				return err
			}
			d.Order = *p.Order
		}
		if err := tx.UpdateDepartment(ctx, d); err != nil {
			return err
		}
		ch := map[string]string{}
		changed(ch, "name", old.Name, d.Name)
		changed(ch, "order", strconv.Itoa(old.Order), strconv.Itoa(d.Order))
		if len(ch) == 0 {
			return nil
		}
		return s.auditOn(ctx, tx, actor, DepartmentUpdated, TargetDepartment, d.ID, ch)
	})
	if err != nil {
		return Department{}, errs.E(op, errs.Other, "", err)
	}
	return d, nil
}

// managedDepartment loads a department the actor manages; another
// organisation's is NotFound, one outside the actor's scope Permission.
func (s *Service) managedDepartment(ctx context.Context, tx Tx, op string, actor Actor, id int64) (Department, error) {
	d, err := tx.Department(ctx, actor.Org, id)
	if err != nil {
		return Department{}, errs.E(op, errs.Other, "", err)
	}
	ok, err := managesDepartment(ctx, tx, actor, d)
	if err != nil {
		return Department{}, err
	}
	if !ok {
		return Department{}, errs.New(op, errs.Permission, "department_admin_required")
	}
	return d, nil
}

// MoveDepartment moves a department with its whole subtree under a new
// parent (0: the top level). The actor must manage both the department and
// the new parent, and a department admin cannot move the root of their own
// scope; a department cannot move below itself.
func (s *Service) MoveDepartment(ctx context.Context, actor Actor, id, parent int64, order int) (Department, error) {
	const op = "account.MoveDepartment"
	if err := checkOrder(op, order); err != nil {
		return Department{}, err
	}
	var d Department
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if d, err = s.managedDepartment(ctx, tx, op, actor, id); err != nil {
			return err
		}
		if !actor.IsAdmin() {
			scopes, err := tx.AdminScopes(ctx, actor.Org, actor.User)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(scopes, func(s Department) bool { return s.ID == d.ID }) {
				return errs.New(op, errs.Permission, "department_admin_required")
			}
		}
		var np Department
		if parent != 0 {
			if np, err = tx.Department(ctx, actor.Org, parent); err != nil {
				return errs.E(op, errs.Other, "parent_not_found", err)
			}
			if d.Contains(np) {
				return errs.New(op, errs.Invalid, "department_cycle")
			}
		}
		if ok, err := managesDepartment(ctx, tx, actor, np); err != nil {
			return err
		} else if !ok || (parent == 0 && !actor.IsAdmin()) {
			return errs.New(op, errs.Permission, "department_admin_required")
		}
		newPath := pathOf(np, d.ID)
		deepest, err := tx.SubtreeDepth(ctx, actor.Org, d.Path)
		if err != nil {
			return err
		}
		if depth(newPath)+deepest-depth(d.Path) > MaxDepartmentDepth {
			return errs.New(op, errs.Invalid, "department_too_deep").With("max", MaxDepartmentDepth)
		}
		if err := tx.MoveSubtree(ctx, actor.Org, d.Path, newPath); err != nil {
			return err
		}
		oldParent := d.Parent
		d.Parent, d.Path, d.Order = parent, newPath, order
		if err := tx.UpdateDepartment(ctx, d); err != nil {
			return err
		}
		if err := s.auditOn(ctx, tx, actor, DepartmentMoved, TargetDepartment, d.ID,
			map[string]string{"name": d.Name, "parent": itoa(oldParent) + " → " + itoa(parent)}); err != nil {
			return err
		}
		// Department channels follow the users of the moved subtree.
		ms, err := tx.DepartmentMembers(ctx, actor.Org, d, true)
		if err != nil || len(ms) == 0 {
			return err
		}
		users := make([]int64, len(ms))
		for i, m := range ms {
			users[i] = m.User
		}
		return s.followDepartments(ctx, tx, actor.Org, users...)
	})
	if err != nil {
		return Department{}, errs.E(op, errs.Other, "", err)
	}
	return d, nil
}

// DeleteDepartment removes an empty department (no sub-departments, no
// members); channels bound to it are unbound.
func (s *Service) DeleteDepartment(ctx context.Context, actor Actor, id int64) error {
	const op = "account.DeleteDepartment"
	err := s.store.Update(ctx, func(tx Tx) error {
		d, err := s.managedDepartment(ctx, tx, op, actor, id)
		if err != nil {
			return err
		}
		if !actor.IsAdmin() {
			scopes, err := tx.AdminScopes(ctx, actor.Org, actor.User)
			if err != nil {
				return err
			}
			if slices.ContainsFunc(scopes, func(s Department) bool { return s.ID == d.ID }) {
				return errs.New(op, errs.Permission, "department_admin_required")
			}
		}
		n, err := tx.SubtreeSize(ctx, actor.Org, d.Path)
		if err != nil {
			return err
		}
		if n > 1 {
			return errs.New(op, errs.Conflict, "department_not_empty")
		}
		ms, err := tx.DepartmentMembers(ctx, actor.Org, d, false)
		if err != nil {
			return err
		}
		if len(ms) > 0 {
			return errs.New(op, errs.Conflict, "department_not_empty")
		}
		if err := tx.DeleteDepartment(ctx, actor.Org, d.ID); err != nil {
			return err
		}
		return s.auditOn(ctx, tx, actor, DepartmentDeleted, TargetDepartment, d.ID, map[string]string{"name": d.Name})
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// SetDepartmentMember adds a user to a department or changes their head
// flag and order there (the department's managers).
func (s *Service) SetDepartmentMember(ctx context.Context, actor Actor, m DepartmentMember) (DepartmentMember, error) {
	const op = "account.SetDepartmentMember"
	if err := checkOrder(op, m.Order); err != nil {
		return DepartmentMember{}, err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		d, err := s.managedDepartment(ctx, tx, op, actor, m.Department)
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, actor.Org, m.User)
		if err != nil {
			return errs.E(op, errs.Other, "user_not_found", err)
		}
		if u.Role == RoleGuest || u.Role == RoleBot {
			return errs.New(op, errs.Invalid, "department_member_role")
		}
		m.Org, m.Department = actor.Org, d.ID
		if err := tx.PutDepartmentMember(ctx, m); err != nil {
			return err
		}
		if err := s.auditOn(ctx, tx, actor, DepartmentMemberSet, TargetDepartment, d.ID, map[string]string{"user": itoa(u.ID),
			"head": strconv.FormatBool(m.Head), "order": strconv.Itoa(m.Order)}); err != nil {
			return err
		}
		return s.followDepartments(ctx, tx, actor.Org, u.ID)
	})
	if err != nil {
		return DepartmentMember{}, errs.E(op, errs.Other, "", err)
	}
	return m, nil
}

// RemoveDepartmentMember takes a user out of a department (its managers).
func (s *Service) RemoveDepartmentMember(ctx context.Context, actor Actor, dept, user int64) error {
	const op = "account.RemoveDepartmentMember"
	err := s.store.Update(ctx, func(tx Tx) error {
		d, err := s.managedDepartment(ctx, tx, op, actor, dept)
		if err != nil {
			return err
		}
		ok, err := tx.RemoveDepartmentMember(ctx, actor.Org, d.ID, user)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(op, errs.NotFound, "department_member_not_found")
		}
		if err := s.auditOn(ctx, tx, actor, DepartmentMemberGone, TargetDepartment, d.ID, map[string]string{"user": itoa(user)}); err != nil {
			return err
		}
		return s.followDepartments(ctx, tx, actor.Org, user)
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// SetDepartmentAdmin makes a user a department admin of a subtree, or
// removes that scope (organisation admins only). The user's role becomes
// dept_admin when it was member; removing the last scope leaves the role
// for an admin to change.
func (s *Service) SetDepartmentAdmin(ctx context.Context, actor Actor, dept, user int64, admin bool) error {
	const op = "account.SetDepartmentAdmin"
	if !actor.IsAdmin() {
		return errs.New(op, errs.Permission, "admin_required")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		d, err := tx.Department(ctx, actor.Org, dept)
		if err != nil {
			return err
		}
		u, err := tx.User(ctx, actor.Org, user)
		if err != nil {
			return errs.E(op, errs.Other, "user_not_found", err)
		}
		details := map[string]string{"department": itoa(d.ID), "department_name": d.Name}
		if !admin {
			removed, err := tx.RemoveDepartmentAdmin(ctx, actor.Org, d.ID, u.ID)
			if err != nil || !removed {
				return err
			}
			return s.auditOn(ctx, tx, actor, DepartmentAdminDrop, audit.TargetUser, u.ID, details)
		}
		switch u.Role {
		case RoleMember:
			details["role"] = string(u.Role) + " → " + string(RoleDeptAdmin)
			u.Role = RoleDeptAdmin
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			if err := s.emitUser(ctx, tx, u); err != nil {
				return err
			}
		case RoleDeptAdmin, RoleAdmin, RoleOwner:
		default:
			return errs.New(op, errs.Invalid, "department_member_role")
		}
		if err := tx.AddDepartmentAdmin(ctx, actor.Org, d.ID, u.ID); err != nil {
			return err
		}
		return s.auditOn(ctx, tx, actor, DepartmentAdminGrant, audit.TargetUser, u.ID, details)
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// followDepartments lets state that follows department membership
// (department channels) catch up inside the same transaction, for the given
// users or, with none, for every bound department of the organisation.
func (s *Service) followDepartments(ctx context.Context, tx Tx, org int64, users ...int64) error {
	if s.follow == nil {
		return nil
	}
	return s.follow(ctx, tx, org, users)
}

// ManagesDepartment reports whether the actor may manage department dept
// (organisation admins; department admins inside their subtrees), for
// services that act on a department from outside this package (binding a
// channel to it). A department of another organisation is NotFound.
func (s *Service) ManagesDepartment(ctx context.Context, actor Actor, dept int64) (bool, error) {
	d, err := s.store.Department(ctx, actor.Org, dept)
	if err != nil {
		return false, errs.E("account.ManagesDepartment", errs.Other, "", err)
	}
	return managesDepartment(ctx, s.store, actor, d)
}
