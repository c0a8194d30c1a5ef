package store

import (
	"context"

	"github.com/parley-chat/parley/internal/account"
)

const groupCols = `id, org_id, handle, name, description, created_by, created_at`

func scanGroup(s scanner) (account.Group, error) {
	var g account.Group
	var created int64
	if err := s.Scan(&g.ID, &g.Org, &g.Handle, &g.Name, &g.Description, &g.CreatedBy, &created); err != nil {
		return account.Group{}, err
	}
	g.CreatedAt = fromMS(created)
	return g, nil
}

// Groups lists an organisation's user groups by handle.
func (q Queries) Groups(ctx context.Context, org int64) ([]account.Group, error) {
	const op = "store.Groups"
	rows, err := q.query(ctx, `SELECT `+groupCols+` FROM user_groups WHERE org_id = ? ORDER BY handle`, org)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	gs := []account.Group{}
	for rows.Next() {
		g, err := scanGroup(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		gs = append(gs, g)
	}
	return gs, dbErr(op, rows.Err())
}

// Group returns one user group.
func (q Queries) Group(ctx context.Context, org, id int64) (account.Group, error) {
	g, err := scanGroup(q.queryRow(ctx, `SELECT `+groupCols+` FROM user_groups WHERE org_id = ? AND id = ?`, org, id))
	if err != nil {
		return account.Group{}, notFound("store.Group", "group_not_found", err)
	}
	return g, nil
}

// GroupMembers lists a group's member ids.
func (q Queries) GroupMembers(ctx context.Context, org, id int64) ([]int64, error) {
	return q.ids(ctx, "store.GroupMembers", `SELECT user_id FROM user_group_members WHERE org_id = ? AND group_id = ? ORDER BY user_id`, org, id)
}

// InsertGroup creates a user group.
func (t *Tx) InsertGroup(ctx context.Context, g account.Group) (account.Group, error) {
	err := t.queryRow(ctx, `INSERT INTO user_groups (org_id, handle, name, description, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, g.Org, g.Handle, g.Name, g.Description, g.CreatedBy, ms(g.CreatedAt)).Scan(&g.ID)
	return g, dbErr("store.InsertGroup", err)
}

// UpdateGroup saves a group's handle, name and description.
func (t *Tx) UpdateGroup(ctx context.Context, g account.Group) error {
	_, err := t.exec(ctx, `UPDATE user_groups SET handle = ?, name = ?, description = ? WHERE org_id = ? AND id = ?`,
		g.Handle, g.Name, g.Description, g.Org, g.ID)
	return dbErr("store.UpdateGroup", err)
}

// DeleteGroup deletes a group and its memberships.
func (t *Tx) DeleteGroup(ctx context.Context, org, id int64) error {
	if _, err := t.exec(ctx, `DELETE FROM user_group_members WHERE org_id = ? AND group_id = ?`, org, id); err != nil {
		return dbErr("store.DeleteGroup", err)
	}
	_, err := t.exec(ctx, `DELETE FROM user_groups WHERE org_id = ? AND id = ?`, org, id)
	return dbErr("store.DeleteGroup", err)
}

// AddGroupMember adds a member (idempotent).
func (t *Tx) AddGroupMember(ctx context.Context, org, group, user int64) error {
	_, err := t.exec(ctx, `INSERT INTO user_group_members (group_id, user_id, org_id) VALUES (?, ?, ?)
		ON CONFLICT (group_id, user_id) DO NOTHING`, group, user, org)
	return dbErr("store.AddGroupMember", err)
}

// RemoveGroupMember removes a member; false when there was none.
func (t *Tx) RemoveGroupMember(ctx context.Context, org, group, user int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM user_group_members WHERE org_id = ? AND group_id = ? AND user_id = ?`, org, group, user)
	if err != nil {
		return false, dbErr("store.RemoveGroupMember", err)
	}
	n, err := res.RowsAffected()
	return n > 0, dbErr("store.RemoveGroupMember", err)
}
