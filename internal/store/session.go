package store

import (
	"context"

	"database/sql"
	"github.com/parley-chat/parley/internal/account"

	"github.com/parley-chat/parley/internal/auth"
)

var errNoRows = sql.ErrNoRows

const sessionCols = `s.id, s.org_id, s.user_id, s.token_hash, s.kind, s.csrf, s.user_agent, s.address, s.created_at,
	s.expires_at, s.name, s.scope, s.pending, s.last_used_at`

// scanSession reads sessionCols into s.
func sessionDest(s *auth.Session, created, expires, used *int64) []any {
	return []any{&s.ID, &s.Org, &s.User, &s.TokenHash, &s.Kind, &s.CSRF, &s.UserAgent, &s.Address, created, expires,
		&s.Name, &s.Scope, &s.Pending, used}
}

// InsertSession stores a new session.
func (t *Tx) InsertSession(ctx context.Context, s auth.Session) (auth.Session, error) {
	err := t.queryRow(ctx, `
		INSERT INTO sessions (org_id, user_id, token_hash, kind, csrf, user_agent, address, created_at, expires_at,
			name, scope, pending, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Org, s.User, s.TokenHash, s.Kind, s.CSRF, s.UserAgent, s.Address, ms(s.CreatedAt), ms(s.ExpiresAt),
		s.Name, s.Scope, s.Pending, ms(s.LastUsedAt)).Scan(&s.ID)
	return s, dbErr("store.InsertSession", err)
}

// UpdateSession saves a session's pending step and last use.
func (t *Tx) UpdateSession(ctx context.Context, s auth.Session) error {
	_, err := t.exec(ctx, `UPDATE sessions SET pending = ?, last_used_at = ? WHERE org_id = ? AND id = ?`,
		s.Pending, ms(s.LastUsedAt), s.Org, s.ID)
	return dbErr("store.UpdateSession", err)
}

// DeleteSession removes one session.
func (t *Tx) DeleteSession(ctx context.Context, id int64) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return dbErr("store.DeleteSession", err)
}

// DeleteSessions removes every session of a user.
func (t *Tx) DeleteSessions(ctx context.Context, org, user int64) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE org_id = ? AND user_id = ?`, org, user)
	return dbErr("store.DeleteSessions", err)
}

// DeleteSessionsExcept removes every session and token of a user but one
// (the one changing the password keeps working).
func (t *Tx) DeleteSessionsExcept(ctx context.Context, org, user, keep int64) error {
	_, err := t.exec(ctx, `DELETE FROM sessions WHERE org_id = ? AND user_id = ? AND id <> ?`, org, user, keep)
	return dbErr("store.DeleteSessionsExcept", err)
}

// SessionUser finds a session by the hash of its token together with its
// user, in one query: every authenticated request runs it.
func (q Queries) SessionUser(ctx context.Context, hash []byte) (auth.Session, account.User, error) {
	var s auth.Session
	var created, expires, used int64
	u, err := scanUser(q.queryRow(ctx, `
		SELECT u.id, u.org_id, u.email, u.username, u.display_name, u.avatar_url, u.locale, u.time_zone,
			u.status_text, u.title, u.employee_no, u.phone, u.manager_id, u.role, u.active, u.created_at, `+sessionCols+`
		FROM sessions s JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id
		WHERE s.token_hash = ?`, hash), sessionDest(&s, &created, &expires, &used)...)
	if err != nil {
		return auth.Session{}, account.User{}, notFound("store.SessionUser", "session_not_found", err)
	}
	s.CreatedAt, s.ExpiresAt, s.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return s, u, nil
}

// Sessions returns every session and token of a user, newest first.
func (q Queries) Sessions(ctx context.Context, org, user int64) ([]auth.Session, error) {
	const op = "store.Sessions"
	rows, err := q.query(ctx, `SELECT `+sessionCols+` FROM sessions s WHERE s.org_id = ? AND s.user_id = ? ORDER BY s.id DESC`, org, user)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []auth.Session{}
	for rows.Next() {
		var s auth.Session
		var created, expires, used int64
		if err := rows.Scan(sessionDest(&s, &created, &expires, &used)...); err != nil {
			return nil, dbErr(op, err)
		}
		s.CreatedAt, s.ExpiresAt, s.LastUsedAt = fromMS(created), fromMS(expires), fromMS(used)
		out = append(out, s)
	}
	return out, dbErr(op, rows.Err())
}
