package store

import (
	"context"
	"strings"

	"github.com/parley-chat/parley/internal/account"
)

const userCols = `id, org_id, email, username, display_name, avatar_url, locale, time_zone,
	status_text, title, employee_no, phone, manager_id, role, active, created_at`

type scanner interface{ Scan(dest ...any) error }

func scanUser(s scanner, extra ...any) (account.User, error) {
	var u account.User
	var role string
	var created int64
	dest := append([]any{&u.ID, &u.Org, &u.Email, &u.Username, &u.DisplayName, &u.AvatarURL, &u.Locale,
		&u.TimeZone, &u.StatusText, &u.Title, &u.EmployeeNo, &u.Phone, &u.Manager, &role, &u.Active, &created}, extra...)
	if err := s.Scan(dest...); err != nil {
		return account.User{}, err
	}
	u.Role = account.Role(role)
	u.CreatedAt = fromMS(created)
	return u, nil
}

// User returns a user of an organisation.
func (q Queries) User(ctx context.Context, org, id int64) (account.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE org_id = ? AND id = ?`, org, id))
	if err != nil {
		return account.User{}, notFound("store.User", "user_not_found", err)
	}
	return u, nil
}

// Users returns the users with the given ids, skipping unknown ones.
func (q Queries) Users(ctx context.Context, org int64, ids []int64) ([]account.User, error) {
	if len(ids) == 0 {
		return []account.User{}, nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, org)
	for _, id := range ids {
		args = append(args, id)
	}
	return q.users(ctx, "store.Users", `SELECT `+userCols+` FROM users WHERE org_id = ? AND id IN (`+placeholders(len(ids))+`) ORDER BY id`, args...)
}

// UsersByUsername returns the users with the given (lower-case) usernames.
func (q Queries) UsersByUsername(ctx context.Context, org int64, names []string) ([]account.User, error) {
	if len(names) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(names)+1)
	args = append(args, org)
	for _, n := range names {
		args = append(args, n)
	}
	return q.users(ctx, "store.UsersByUsername", `SELECT `+userCols+` FROM users WHERE org_id = ? AND username IN (`+placeholders(len(names))+`)`, args...)
}

// ListUsers pages the directory by id, optionally filtered by a prefix of
// username, display name or e-mail.
func (q Queries) ListUsers(ctx context.Context, org int64, query string, afterID int64, limit int) ([]account.User, error) {
	where := []string{"org_id = ?", "id > ?"}
	args := []any{org, afterID}
	if query != "" {
		p := likePrefix(query)
		where = append(where, `(username LIKE ? ESCAPE '\' OR lower(display_name) LIKE ? ESCAPE '\' OR email LIKE ? ESCAPE '\')`)
		args = append(args, p, p, p)
	}
	args = append(args, limit)
	return q.users(ctx, "store.ListUsers", `SELECT `+userCols+` FROM users WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
}

func (q Queries) users(ctx context.Context, op, query string, args ...any) ([]account.User, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	us := []account.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		us = append(us, u)
	}
	return us, dbErr(op, rows.Err())
}

// UserByLogin finds an active or inactive user by e-mail (unique across the
// installation) or by username (when exactly one organisation has it), with
// the password hash.
func (q Queries) UserByLogin(ctx context.Context, login string) (account.User, string, error) {
	login = strings.ToLower(login)
	col := "username"
	if strings.Contains(login, "@") {
		col = "email"
	}
	rows, err := q.query(ctx, `SELECT `+userCols+`, password_hash FROM users WHERE `+col+` = ? LIMIT 2`, login)
	if err != nil {
		return account.User{}, "", dbErr("store.UserByLogin", err)
	}
	defer rows.Close()
	var found []account.User
	var hash string
	for rows.Next() {
		u, err := scanUser(rows, &hash)
		if err != nil {
			return account.User{}, "", dbErr("store.UserByLogin", err)
		}
		found = append(found, u)
	}
	if err := rows.Err(); err != nil {
		return account.User{}, "", dbErr("store.UserByLogin", err)
	}
	if len(found) != 1 {
		return account.User{}, "", notFound("store.UserByLogin", "user_not_found", errNoRows)
	}
	return found[0], hash, nil
}

// InsertUser creates a user, with the pinyin search keys of its display
// name.
func (t *Tx) InsertUser(ctx context.Context, u account.User, passwordHash string) (account.User, error) {
	full, initials := account.NameKeys(u.DisplayName)
	err := t.queryRow(ctx, `
		INSERT INTO users (org_id, email, username, display_name, avatar_url, locale, time_zone,
			status_text, title, employee_no, phone, manager_id, role, password_hash, active, created_at,
			name_pinyin, name_initials)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Org, u.Email, u.Username, u.DisplayName, u.AvatarURL, u.Locale, u.TimeZone, u.StatusText,
		u.Title, u.EmployeeNo, u.Phone, u.Manager, string(u.Role), passwordHash, u.Active, ms(u.CreatedAt),
		full, initials).Scan(&u.ID)
	return u, dbErr("store.InsertUser", err)
}

// UpdateUser saves a user's profile, role and active flag, and the pinyin
// search keys of the display name.
func (t *Tx) UpdateUser(ctx context.Context, u account.User) error {
	full, initials := account.NameKeys(u.DisplayName)
	_, err := t.exec(ctx, `
		UPDATE users SET display_name = ?, avatar_url = ?, locale = ?, time_zone = ?, status_text = ?,
			title = ?, employee_no = ?, phone = ?, manager_id = ?, role = ?, active = ?,
			name_pinyin = ?, name_initials = ?
		WHERE org_id = ? AND id = ?`,
		u.DisplayName, u.AvatarURL, u.Locale, u.TimeZone, u.StatusText, u.Title, u.EmployeeNo, u.Phone, u.Manager,
		string(u.Role), u.Active, full, initials, u.Org, u.ID)
	return dbErr("store.UpdateUser", err)
}

// SetPasswordHash replaces a user's password hash.
func (t *Tx) SetPasswordHash(ctx context.Context, org, user int64, hash string) error {
	_, err := t.exec(ctx, `UPDATE users SET password_hash = ? WHERE org_id = ? AND id = ?`, hash, org, user)
	return dbErr("store.SetPasswordHash", err)
}
