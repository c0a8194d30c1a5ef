package store

import (
	"context"
	"database/sql"

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

// SessionByHash finds a session by the hash of its token.
func (q Queries) SessionByHash(ctx context.Context, hash []byte) (auth.Session, error) {
	var s auth.Session
	var created, expires int64
	err := q.queryRow(ctx, `
		SELECT id, org_id, user_id, token_hash, kind, csrf, user_agent, address, created_at, expires_at
		FROM sessions WHERE token_hash = ?`, hash).Scan(&s.ID, &s.Org, &s.User, &s.TokenHash, &s.Kind, &s.CSRF,
		&s.UserAgent, &s.Address, &created, &expires)
	if err != nil {
		return auth.Session{}, notFound("store.SessionByHash", "session_not_found", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, nil
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
