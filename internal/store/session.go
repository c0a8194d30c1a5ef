package store

import (
	"context"

	"database/sql"
	"github.com/parley-chat/parley/internal/account"

	"github.com/parley-chat/parley/internal/auth"
)

var errNoRows = sql.ErrNoRows

// InsertSession stores a new session.
func (t *Tx) InsertSession(ctx context.Context, s auth.Session) (auth.Session, error) {
	err := t.queryRow(ctx, `
		INSERT INTO sessions (org_id, user_id, token_hash, kind, csrf, user_agent, address, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Org, s.User, s.TokenHash, s.Kind, s.CSRF, s.UserAgent, s.Address, ms(s.CreatedAt), ms(s.ExpiresAt)).Scan(&s.ID)
	return s, dbErr("store.InsertSession", err)
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

// SessionUser finds a session by the hash of its token together with its
// user, in one query: every authenticated request runs it.
func (q Queries) SessionUser(ctx context.Context, hash []byte) (auth.Session, account.User, error) {
	var s auth.Session
	var created, expires int64
	u, err := scanUser(q.queryRow(ctx, `
		SELECT u.id, u.org_id, u.email, u.username, u.display_name, u.avatar_url, u.locale, u.time_zone,
			u.status_text, u.role, u.active, u.created_at,
			s.id, s.org_id, s.user_id, s.token_hash, s.kind, s.csrf, s.user_agent, s.address, s.created_at, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id
		WHERE s.token_hash = ?`, hash), &s.ID, &s.Org, &s.User, &s.TokenHash, &s.Kind, &s.CSRF,
		&s.UserAgent, &s.Address, &created, &expires)
	if err != nil {
		return auth.Session{}, account.User{}, notFound("store.SessionUser", "session_not_found", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, u, nil
}
