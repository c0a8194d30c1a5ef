package store

import (
	"context"
	"strings"

	"github.com/parley-chat/parley/internal/account"
)

// HeadedDepartments lists the ids of the departments a user heads.
func (q Queries) HeadedDepartments(ctx context.Context, org, user int64) ([]int64, error) {
	return q.ids(ctx, "store.HeadedDepartments", `SELECT department_id FROM department_members
		WHERE org_id = ? AND user_id = ? AND is_head = TRUE ORDER BY department_id`, org, user)
}

// ProfileFields lists an organisation's custom profile fields in order.
func (q Queries) ProfileFields(ctx context.Context, org int64) ([]account.ProfileField, error) {
	const op = "store.ProfileFields"
	rows, err := q.query(ctx, `SELECT id, org_id, name, sort_order, admin_only, created_at FROM profile_fields
		WHERE org_id = ? ORDER BY sort_order, name_key, id`, org)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	fs := []account.ProfileField{}
	for rows.Next() {
		var f account.ProfileField
		var created int64
		if err := rows.Scan(&f.ID, &f.Org, &f.Name, &f.Order, &f.AdminOnly, &created); err != nil {
			return nil, dbErr(op, err)
		}
		f.CreatedAt = fromMS(created)
		fs = append(fs, f)
	}
	return fs, dbErr(op, rows.Err())
}

// ProfileValues returns a user's custom field values by field id.
func (q Queries) ProfileValues(ctx context.Context, org, user int64) (map[int64]string, error) {
	return q.idStrings(ctx, "store.ProfileValues",
		`SELECT field_id, value FROM profile_values WHERE org_id = ? AND user_id = ?`, org, user)
}

// idStrings runs a query selecting (id, text) pairs and returns them as a
// map by id: the shape of every per-row side table (profile values,
// externalIds).
func (q Queries) idStrings(ctx context.Context, op, query string, args ...any) (map[int64]string, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, dbErr(op, err)
		}
		out[id] = v
	}
	return out, dbErr(op, rows.Err())
}

// InsertProfileField creates a custom field.
func (t *Tx) InsertProfileField(ctx context.Context, f account.ProfileField) (account.ProfileField, error) {
	err := t.queryRow(ctx, `INSERT INTO profile_fields (org_id, name, name_key, sort_order, admin_only, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Org, f.Name, strings.ToLower(f.Name), f.Order, f.AdminOnly, ms(f.CreatedAt)).Scan(&f.ID)
	return f, dbErr("store.InsertProfileField", err)
}

// UpdateProfileField saves a custom field's name, order and flag.
func (t *Tx) UpdateProfileField(ctx context.Context, f account.ProfileField) error {
	_, err := t.exec(ctx, `UPDATE profile_fields SET name = ?, name_key = ?, sort_order = ?, admin_only = ?
		WHERE org_id = ? AND id = ?`, f.Name, strings.ToLower(f.Name), f.Order, f.AdminOnly, f.Org, f.ID)
	return dbErr("store.UpdateProfileField", err)
}

// DeleteProfileField deletes a field with its values; false when absent.
func (t *Tx) DeleteProfileField(ctx context.Context, org, id int64) (bool, error) {
	const op = "store.DeleteProfileField"
	if _, err := t.exec(ctx, `DELETE FROM profile_values WHERE org_id = ? AND field_id = ?`, org, id); err != nil {
		return false, dbErr(op, err)
	}
	res, err := t.exec(ctx, `DELETE FROM profile_fields WHERE org_id = ? AND id = ?`, org, id)
	if err != nil {
		return false, dbErr(op, err)
	}
	n, err := res.RowsAffected()
	return n > 0, dbErr(op, err)
}

// SetProfileValue stores a user's value of a field; "" deletes it.
func (t *Tx) SetProfileValue(ctx context.Context, org, user, field int64, value string) error {
	const op = "store.SetProfileValue"
	if value == "" {
		_, err := t.exec(ctx, `DELETE FROM profile_values WHERE org_id = ? AND user_id = ? AND field_id = ?`, org, user, field)
		return dbErr(op, err)
	}
	_, err := t.exec(ctx, `INSERT INTO profile_values (user_id, field_id, org_id, value) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, field_id) DO UPDATE SET value = excluded.value`, user, field, org, value)
	return dbErr(op, err)
}

// PermissionValues returns an organisation's stored permission settings.
func (q Queries) PermissionValues(ctx context.Context, org int64) (map[string]string, error) {
	const op = "store.PermissionValues"
	rows, err := q.query(ctx, `SELECT name, value FROM org_permissions WHERE org_id = ?`, org)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, dbErr(op, err)
		}
		out[k] = v
	}
	return out, dbErr(op, rows.Err())
}

// SetPermissionValues stores permission settings (an upsert per setting).
func (t *Tx) SetPermissionValues(ctx context.Context, org int64, values map[string]string) error {
	for k, v := range values {
		if _, err := t.exec(ctx, `INSERT INTO org_permissions (org_id, name, value) VALUES (?, ?, ?)
			ON CONFLICT (org_id, name) DO UPDATE SET value = excluded.value`, org, k, v); err != nil {
			return dbErr("store.SetPermissionValues", err)
		}
	}
	return nil
}
