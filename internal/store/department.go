package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/account"
)

const departmentCols = `id, org_id, parent_id, path, name, sort_order, created_at`

func scanDepartment(s scanner) (account.Department, error) {
	var d account.Department
	var created int64
	if err := s.Scan(&d.ID, &d.Org, &d.Parent, &d.Path, &d.Name, &d.Order, &created); err != nil {
		return account.Department{}, err
	}
	d.CreatedAt = fromMS(created)
	return d, nil
}

func (q Queries) departments(ctx context.Context, op, query string, args ...any) ([]account.Department, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	ds := []account.Department{}
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		ds = append(ds, d)
	}
	return ds, dbErr(op, rows.Err())
}

// Department returns one department of an organisation.
func (q Queries) Department(ctx context.Context, org, id int64) (account.Department, error) {
	d, err := scanDepartment(q.queryRow(ctx, `SELECT `+departmentCols+` FROM departments WHERE org_id = ? AND id = ?`, org, id))
	if err != nil {
		return account.Department{}, notFound("store.Department", "department_not_found", err)
	}
	return d, nil
}

// Departments returns an organisation's whole tree, parents before their
// children, siblings by sort order then name.
func (q Queries) Departments(ctx context.Context, org int64) ([]account.Department, error) {
	return q.departments(ctx, "store.Departments", `SELECT `+departmentCols+` FROM departments
		WHERE org_id = ? ORDER BY length(path) - length(replace(path, '/', '')), parent_id, sort_order, name_key, id`, org)
}

// DepartmentCount counts an organisation's departments.
func (q Queries) DepartmentCount(ctx context.Context, org int64) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT count(*) FROM departments WHERE org_id = ?`, org).Scan(&n)
	return n, dbErr("store.DepartmentCount", err)
}

// SubtreeSize counts the departments of the subtree at path (itself included).
func (q Queries) SubtreeSize(ctx context.Context, org int64, path string) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT count(*) FROM departments WHERE org_id = ? AND path LIKE ? ESCAPE '\'`,
		org, likePrefix(path)).Scan(&n)
	return n, dbErr("store.SubtreeSize", err)
}

// SubtreeDepth returns the depth of the deepest department of the subtree
// at path (a path "/1/5/" has depth 2).
func (q Queries) SubtreeDepth(ctx context.Context, org int64, path string) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT coalesce(max(length(path) - length(replace(path, '/', ''))), 1) - 1
		FROM departments WHERE org_id = ? AND path LIKE ? ESCAPE '\'`, org, likePrefix(path)).Scan(&n)
	return n, dbErr("store.SubtreeDepth", err)
}

// DepartmentMembers lists the members of d, or of d's whole subtree: each
// user once (their row in the department nearest to d), d's heads first,
// then by sort order and user id.
func (q Queries) DepartmentMembers(ctx context.Context, org int64, d account.Department, subtree bool) ([]account.DepartmentMember, error) {
	const op = "store.DepartmentMembers"
	query := `SELECT m.department_id, m.user_id, m.org_id, m.is_head, m.sort_order
		FROM department_members m WHERE m.org_id = ? AND m.department_id = ?
		ORDER BY m.is_head DESC, m.sort_order, m.user_id`
	args := []any{org, d.ID}
	if subtree {
		query = `SELECT m.department_id, m.user_id, m.org_id, m.is_head, m.sort_order
			FROM department_members m JOIN departments d ON d.id = m.department_id
			WHERE m.org_id = ? AND d.org_id = ? AND d.path LIKE ? ESCAPE '\'
			ORDER BY m.department_id = ? DESC, m.is_head DESC, length(d.path), m.sort_order, m.user_id`
		args = []any{org, org, likePrefix(d.Path), d.ID}
	}
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	ms := []account.DepartmentMember{}
	seen := map[int64]bool{}
	for rows.Next() {
		var m account.DepartmentMember
		if err := rows.Scan(&m.Department, &m.User, &m.Org, &m.Head, &m.Order); err != nil {
			return nil, dbErr(op, err)
		}
		if seen[m.User] {
			continue
		}
		seen[m.User] = true
		ms = append(ms, m)
	}
	return ms, dbErr(op, rows.Err())
}

// UserDepartments lists the departments a user belongs to, by path.
func (q Queries) UserDepartments(ctx context.Context, org, user int64) ([]account.Department, error) {
	return q.departments(ctx, "store.UserDepartments", `SELECT d.id, d.org_id, d.parent_id, d.path, d.name, d.sort_order, d.created_at
		FROM departments d JOIN department_members m ON m.department_id = d.id
		WHERE m.org_id = ? AND m.user_id = ? ORDER BY d.path`, org, user)
}

// DepartmentAdmins lists the user ids administering a department.
func (q Queries) DepartmentAdmins(ctx context.Context, org, dept int64) ([]int64, error) {
	return q.ids(ctx, "store.DepartmentAdmins", `SELECT user_id FROM department_admins
		WHERE org_id = ? AND department_id = ? ORDER BY user_id`, org, dept)
}

// AdminScopes lists the departments whose subtrees a user administers.
func (q Queries) AdminScopes(ctx context.Context, org, user int64) ([]account.Department, error) {
	return q.departments(ctx, "store.AdminScopes", `SELECT d.id, d.org_id, d.parent_id, d.path, d.name, d.sort_order, d.created_at
		FROM departments d JOIN department_admins a ON a.department_id = d.id
		WHERE a.org_id = ? AND a.user_id = ? ORDER BY d.path`, org, user)
}

func (q Queries) ids(ctx context.Context, op, query string, args ...any) ([]int64, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, id)
	}
	return out, dbErr(op, rows.Err())
}

// InsertDepartment stores a department under the path d.Path of its parent
// and completes the path with the new id.
func (t *Tx) InsertDepartment(ctx context.Context, d account.Department) (account.Department, error) {
	const op = "store.InsertDepartment"
	parentPath := d.Path
	if parentPath == "" {
		parentPath = "/"
	}
	err := t.queryRow(ctx, `
		INSERT INTO departments (org_id, parent_id, path, name, name_key, sort_order, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		d.Org, d.Parent, parentPath, d.Name, strings.ToLower(d.Name), d.Order, ms(d.CreatedAt)).Scan(&d.ID)
	if err != nil {
		return account.Department{}, dbErr(op, err)
	}
	d.Path = parentPath + strconv.FormatInt(d.ID, 10) + "/"
	_, err = t.exec(ctx, `UPDATE departments SET path = ? WHERE id = ?`, d.Path, d.ID)
	return d, dbErr(op, err)
}

// UpdateDepartment saves a department's name, order, parent and path.
func (t *Tx) UpdateDepartment(ctx context.Context, d account.Department) error {
	_, err := t.exec(ctx, `UPDATE departments SET name = ?, name_key = ?, sort_order = ?, parent_id = ?, path = ?
		WHERE org_id = ? AND id = ?`, d.Name, strings.ToLower(d.Name), d.Order, d.Parent, d.Path, d.Org, d.ID)
	return dbErr("store.UpdateDepartment", err)
}

// MoveSubtree rewrites the paths of a subtree that moved from oldPath to
// newPath: one UPDATE replacing the prefix.
func (t *Tx) MoveSubtree(ctx context.Context, org int64, oldPath, newPath string) error {
	_, err := t.exec(ctx, `UPDATE departments SET path = ? || substr(path, ?)
		WHERE org_id = ? AND path LIKE ? ESCAPE '\'`, newPath, len(oldPath)+1, org, likePrefix(oldPath))
	return dbErr("store.MoveSubtree", err)
}

// DeleteDepartment deletes a department (the service checked it is empty)
// with its admin scopes, and unbinds its channels.
func (t *Tx) DeleteDepartment(ctx context.Context, org, id int64) error {
	const op = "store.DeleteDepartment"
	if _, err := t.exec(ctx, `DELETE FROM department_admins WHERE org_id = ? AND department_id = ?`, org, id); err != nil {
		return dbErr(op, err)
	}
	if _, err := t.exec(ctx, `UPDATE channels SET department_id = 0 WHERE org_id = ? AND department_id = ?`, org, id); err != nil {
		return dbErr(op, err)
	}
	_, err := t.exec(ctx, `DELETE FROM departments WHERE org_id = ? AND id = ?`, org, id)
	return dbErr(op, err)
}

// PutDepartmentMember adds a membership or updates its head flag and order.
func (t *Tx) PutDepartmentMember(ctx context.Context, m account.DepartmentMember) error {
	_, err := t.exec(ctx, `INSERT INTO department_members (department_id, user_id, org_id, is_head, sort_order)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (department_id, user_id) DO UPDATE SET is_head = excluded.is_head, sort_order = excluded.sort_order`,
		m.Department, m.User, m.Org, m.Head, m.Order)
	return dbErr("store.PutDepartmentMember", err)
}

// RemoveDepartmentMember deletes a membership; false when there was none.
func (t *Tx) RemoveDepartmentMember(ctx context.Context, org, dept, user int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM department_members WHERE org_id = ? AND department_id = ? AND user_id = ?`, org, dept, user)
	if err != nil {
		return false, dbErr("store.RemoveDepartmentMember", err)
	}
	n, err := res.RowsAffected()
	return n > 0, dbErr("store.RemoveDepartmentMember", err)
}

// AddDepartmentAdmin gives a user the subtree of dept to administer.
func (t *Tx) AddDepartmentAdmin(ctx context.Context, org, dept, user int64) error {
	_, err := t.exec(ctx, `INSERT INTO department_admins (department_id, user_id, org_id) VALUES (?, ?, ?)
		ON CONFLICT (department_id, user_id) DO NOTHING`, dept, user, org)
	return dbErr("store.AddDepartmentAdmin", err)
}

// RemoveDepartmentAdmin takes that scope away; false when there was none.
func (t *Tx) RemoveDepartmentAdmin(ctx context.Context, org, dept, user int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM department_admins WHERE org_id = ? AND department_id = ? AND user_id = ?`, org, dept, user)
	if err != nil {
		return false, dbErr("store.RemoveDepartmentAdmin", err)
	}
	n, err := res.RowsAffected()
	return n > 0, dbErr("store.RemoveDepartmentAdmin", err)
}
