package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/sso"
)

// SSO is the DB as sso.Store.
type SSO struct{ *DB }

// Update runs fn in a group-committed write transaction.
func (s SSO) Update(ctx context.Context, fn func(sso.Tx) error) error {
	return s.DB.update(ctx, func(t *Tx) error { return fn(t) })
}

var _ sso.Store = SSO{}

const providerCols = `id, org_id, kind, name, enabled, settings, secret, synced_at, created_at, updated_at`

func (q Queries) scanProvider(s scanner) (sso.Provider, error) {
	var p sso.Provider
	var kind, settings, sealed string
	var synced, created, updated int64
	if err := s.Scan(&p.ID, &p.Org, &kind, &p.Name, &p.Enabled, &settings, &sealed, &synced, &created, &updated); err != nil {
		return sso.Provider{}, err
	}
	if sealed != "" {
		plain, err := q.open("store.Provider", []byte(sealed), providerLabel(p.ID))
		if err != nil {
			return sso.Provider{}, err
		}
		p.Secret = string(plain)
	}
	p.Kind = sso.Kind(kind)
	// The settings are the sso.Settings value as JSON, field names as in Go.
	if err := json.Unmarshal([]byte(settings), &p.Settings); err != nil {
		return sso.Provider{}, fmt.Errorf("provider %d settings: %w", p.ID, err)
	}
	p.SyncedAt, p.CreatedAt, p.UpdatedAt = fromMS(synced), fromMS(created), fromMS(updated)
	return p, nil
}

// Provider finds an identity provider by id.
func (q Queries) Provider(ctx context.Context, id int64) (sso.Provider, error) {
	p, err := q.scanProvider(q.queryRow(ctx, `SELECT `+providerCols+` FROM sso_providers WHERE id = ?`, id))
	if err != nil {
		return sso.Provider{}, notFound("store.Provider", "sso_provider_not_found", err)
	}
	return p, nil
}

// Providers lists an organisation's identity providers, or every
// organisation's for org 0.
func (q Queries) Providers(ctx context.Context, org int64) ([]sso.Provider, error) {
	const op = "store.Providers"
	rows, err := q.query(ctx, `SELECT `+providerCols+` FROM sso_providers WHERE org_id = ? OR ? = 0 ORDER BY id`, org, org)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []sso.Provider{}
	for rows.Next() {
		p, err := q.scanProvider(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, p)
	}
	return out, dbErr(op, rows.Err())
}

// InsertProvider stores a new identity provider, its secret sealed.
func (t *Tx) InsertProvider(ctx context.Context, p sso.Provider) (sso.Provider, error) {
	settings, err := json.Marshal(p.Settings)
	if err != nil {
		return sso.Provider{}, fmt.Errorf("store.InsertProvider: %w", err)
	}
	// The secret is sealed with the new row's id (see providerLabel), so it
	// is written once the id is known.
	err = t.queryRow(ctx, `
		INSERT INTO sso_providers (org_id, kind, name, enabled, settings, secret, synced_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '', ?, ?, ?) RETURNING id`,
		p.Org, string(p.Kind), p.Name, p.Enabled, string(settings), ms(p.SyncedAt), ms(p.CreatedAt),
		ms(p.UpdatedAt)).Scan(&p.ID)
	if err != nil {
		return sso.Provider{}, dbErr("store.InsertProvider", err)
	}
	if p.Secret == "" {
		return p, nil
	}
	sealed, err := t.seal("store.InsertProvider", []byte(p.Secret), providerLabel(p.ID))
	if err != nil {
		return sso.Provider{}, err
	}
	_, err = t.exec(ctx, `UPDATE sso_providers SET secret = ? WHERE id = ?`, string(sealed), p.ID)
	return p, dbErr("store.InsertProvider", err)
}

// UpdateProvider saves a provider's name, state, settings and secret
// (sealed).
func (t *Tx) UpdateProvider(ctx context.Context, p sso.Provider) error {
	settings, err := json.Marshal(p.Settings)
	if err != nil {
		return fmt.Errorf("store.UpdateProvider: %w", err)
	}
	var sealed []byte // no secret stays empty: there is nothing to hide
	if p.Secret != "" {
		if sealed, err = t.seal("store.UpdateProvider", []byte(p.Secret), providerLabel(p.ID)); err != nil {
			return err
		}
	}
	_, err = t.exec(ctx, `
		UPDATE sso_providers SET name = ?, enabled = ?, settings = ?, secret = ?, updated_at = ?
		WHERE org_id = ? AND id = ?`,
		p.Name, p.Enabled, string(settings), string(sealed), ms(p.UpdatedAt), p.Org, p.ID)
	return dbErr("store.UpdateProvider", err)
}

// DeleteProvider removes a provider with its identity links, pending logins
// and remembered assertions.
func (t *Tx) DeleteProvider(ctx context.Context, org, id int64) error {
	const op = "store.DeleteProvider"
	for _, q := range []string{
		`DELETE FROM sso_identities WHERE provider_id = ?`,
		`DELETE FROM sso_logins WHERE provider_id = ?`,
		`DELETE FROM sso_assertions WHERE provider_id = ?`,
	} {
		if _, err := t.exec(ctx, q, id); err != nil {
			return dbErr(op, err)
		}
	}
	_, err := t.exec(ctx, `DELETE FROM sso_providers WHERE org_id = ? AND id = ?`, org, id)
	return dbErr(op, err)
}

// SetProviderSynced records the end of a directory sync.
func (t *Tx) SetProviderSynced(ctx context.Context, id int64, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE sso_providers SET synced_at = ? WHERE id = ?`, ms(at), id)
	return dbErr("store.SetProviderSynced", err)
}

// InsertPendingLogin remembers a login sent to an identity provider.
func (t *Tx) InsertPendingLogin(ctx context.Context, l sso.PendingLogin) error {
	_, err := t.exec(ctx, `
		INSERT INTO sso_logins (state_hash, org_id, provider_id, nonce, verifier, expires_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		l.StateHash, l.Org, l.Provider, l.Nonce, l.Verifier, ms(l.ExpiresAt))
	return dbErr("store.InsertPendingLogin", err)
}

// TakePendingLogin deletes a pending login and returns it, so that a state
// is used at most once.
func (t *Tx) TakePendingLogin(ctx context.Context, stateHash []byte) (sso.PendingLogin, error) {
	l := sso.PendingLogin{StateHash: stateHash}
	var expires int64
	err := t.queryRow(ctx, `
		DELETE FROM sso_logins WHERE state_hash = ?
		RETURNING org_id, provider_id, nonce, verifier, expires_at`, stateHash).Scan(&l.Org, &l.Provider, &l.Nonce,
		&l.Verifier, &expires)
	if err != nil {
		return sso.PendingLogin{}, notFound("store.TakePendingLogin", "sso_state_unknown", err)
	}
	l.ExpiresAt = fromMS(expires)
	return l, nil
}

// DeleteExpiredLogins forgets logins that were never completed.
func (t *Tx) DeleteExpiredLogins(ctx context.Context, before time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM sso_logins WHERE expires_at < ?`, ms(before))
	return dbErr("store.DeleteExpiredLogins", err)
}

// IdentityUser returns the user linked to a subject at a provider.
func (q Queries) IdentityUser(ctx context.Context, provider int64, subject string) (account.User, error) {
	u, err := scanUser(q.queryRow(ctx, `
		SELECT u.id, u.org_id, u.email, u.username, u.display_name, u.avatar_url, u.locale, u.time_zone,
			u.status_text, u.title, u.employee_no, u.phone, u.manager_id, u.role, u.active, u.created_at
		FROM sso_identities i JOIN users u ON u.id = i.user_id AND u.org_id = i.org_id
		WHERE i.provider_id = ? AND i.subject = ?`, provider, subject))
	if err != nil {
		return account.User{}, notFound("store.IdentityUser", "user_not_found", err)
	}
	return u, nil
}

// LinkIdentity links a subject at a provider to a user.
func (t *Tx) LinkIdentity(ctx context.Context, org, provider int64, subject string, user int64, at time.Time) error {
	_, err := t.exec(ctx, `
		INSERT INTO sso_identities (provider_id, subject, org_id, user_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		provider, subject, org, user, ms(at))
	return dbErr("store.LinkIdentity", err)
}

// LinkedUsers lists the users linked to a provider with their subjects.
func (q Queries) LinkedUsers(ctx context.Context, provider int64) ([]sso.LinkedUser, error) {
	const op = "store.LinkedUsers"
	rows, err := q.query(ctx, `
		SELECT u.id, u.org_id, u.email, u.username, u.display_name, u.avatar_url, u.locale, u.time_zone,
			u.status_text, u.title, u.employee_no, u.phone, u.manager_id, u.role, u.active, u.created_at, i.subject
		FROM sso_identities i JOIN users u ON u.id = i.user_id AND u.org_id = i.org_id
		WHERE i.provider_id = ? ORDER BY u.id`, provider)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	var out []sso.LinkedUser
	for rows.Next() {
		var lu sso.LinkedUser
		if lu.User, err = scanUser(rows, &lu.Subject); err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, lu)
	}
	return out, dbErr(op, rows.Err())
}

// UserByEmail finds a user by e-mail, which is unique across organisations.
func (q Queries) UserByEmail(ctx context.Context, email string) (account.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = ?`, email))
	if err != nil {
		return account.User{}, notFound("store.UserByEmail", "user_not_found", err)
	}
	return u, nil
}

// UsernameTaken reports whether an organisation has a username.
func (q Queries) UsernameTaken(ctx context.Context, org int64, username string) (bool, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE org_id = ? AND username = ?`, org, username).Scan(&n)
	return n > 0, dbErr("store.UsernameTaken", err)
}

// SCIMTokens lists an organisation's SCIM tokens.
func (q Queries) SCIMTokens(ctx context.Context, org int64) ([]sso.SCIMToken, error) {
	const op = "store.SCIMTokens"
	rows, err := q.query(ctx, `SELECT id, org_id, name, token_hash, created_at, last_used_at FROM scim_tokens
		WHERE org_id = ? ORDER BY id`, org)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []sso.SCIMToken{}
	for rows.Next() {
		t, err := scanSCIMToken(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, t)
	}
	return out, dbErr(op, rows.Err())
}

func scanSCIMToken(s scanner) (sso.SCIMToken, error) {
	var t sso.SCIMToken
	var created, used int64
	if err := s.Scan(&t.ID, &t.Org, &t.Name, &t.TokenHash, &created, &used); err != nil {
		return sso.SCIMToken{}, err
	}
	t.CreatedAt, t.LastUsedAt = fromMS(created), fromMS(used)
	return t, nil
}

// SCIMTokenByHash finds a SCIM token by the SHA-256 of its value.
func (q Queries) SCIMTokenByHash(ctx context.Context, hash []byte) (sso.SCIMToken, error) {
	t, err := scanSCIMToken(q.queryRow(ctx, `SELECT id, org_id, name, token_hash, created_at, last_used_at
		FROM scim_tokens WHERE token_hash = ?`, hash))
	if err != nil {
		return sso.SCIMToken{}, notFound("store.SCIMTokenByHash", "scim_token_not_found", err)
	}
	return t, nil
}

// InsertSCIMToken stores a new SCIM token.
func (t *Tx) InsertSCIMToken(ctx context.Context, s sso.SCIMToken) (sso.SCIMToken, error) {
	err := t.queryRow(ctx, `INSERT INTO scim_tokens (org_id, name, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		s.Org, s.Name, s.TokenHash, ms(s.CreatedAt)).Scan(&s.ID)
	return s, dbErr("store.InsertSCIMToken", err)
}

// DeleteSCIMToken removes a SCIM token; false when the organisation has no
// such token.
func (t *Tx) DeleteSCIMToken(ctx context.Context, org, id int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM scim_tokens WHERE org_id = ? AND id = ?`, org, id)
	if err != nil {
		return false, dbErr("store.DeleteSCIMToken", err)
	}
	n, err := res.RowsAffected()
	return n > 0, dbErr("store.DeleteSCIMToken", err)
}

// TouchSCIMToken records when a SCIM token was last used.
func (t *Tx) TouchSCIMToken(ctx context.Context, org, id int64, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE scim_tokens SET last_used_at = ? WHERE org_id = ? AND id = ?`, ms(at), org, id)
	return dbErr("store.TouchSCIMToken", err)
}

// SCIMGroupExternalIDs returns the externalId of each of an organisation's
// departments that has one, by department id.
func (q Queries) SCIMGroupExternalIDs(ctx context.Context, org int64) (map[int64]string, error) {
	return q.idStrings(ctx, "store.SCIMGroupExternalIDs",
		`SELECT department_id, external_id FROM scim_group_external_ids WHERE org_id = ?`, org)
}

// SCIMGroupExternalID returns a department's externalId, "" when it has
// none.
func (q Queries) SCIMGroupExternalID(ctx context.Context, org, dept int64) (string, error) {
	var ext string
	err := q.queryRow(ctx, `SELECT external_id FROM scim_group_external_ids WHERE org_id = ? AND department_id = ?`, org, dept).Scan(&ext)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ext, dbErr("store.SCIMGroupExternalID", err)
}

// SetSCIMGroupExternalID sets the externalId of a department of the
// organisation (another organisation's department is left alone); ""
// removes it. The row goes with its department (ON DELETE CASCADE).
func (t *Tx) SetSCIMGroupExternalID(ctx context.Context, org, dept int64, ext string) error {
	const op = "store.SetSCIMGroupExternalID"
	if ext == "" {
		_, err := t.exec(ctx, `DELETE FROM scim_group_external_ids WHERE org_id = ? AND department_id = ?`, org, dept)
		return dbErr(op, err)
	}
	_, err := t.exec(ctx, `INSERT INTO scim_group_external_ids (department_id, org_id, external_id)
		SELECT id, org_id, ? FROM departments WHERE org_id = ? AND id = ?
		ON CONFLICT (department_id) DO UPDATE SET external_id = excluded.external_id`, ext, org, dept)
	return dbErr(op, err)
}

// SCIMUserExternalIDs returns the externalId of each of an organisation's
// users that has one, by user id.
func (q Queries) SCIMUserExternalIDs(ctx context.Context, org int64) (map[int64]string, error) {
	return q.idStrings(ctx, "store.SCIMUserExternalIDs",
		`SELECT user_id, external_id FROM scim_user_external_ids WHERE org_id = ?`, org)
}

// SCIMUserExternalID returns a user's externalId, "" when they have none.
func (q Queries) SCIMUserExternalID(ctx context.Context, org, user int64) (string, error) {
	var ext string
	err := q.queryRow(ctx, `SELECT external_id FROM scim_user_external_ids WHERE org_id = ? AND user_id = ?`, org, user).Scan(&ext)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return ext, dbErr("store.SCIMUserExternalID", err)
}

// SetSCIMUserExternalID sets the externalId of a user of the organisation
// (another organisation's user is left alone); "" removes it.
func (t *Tx) SetSCIMUserExternalID(ctx context.Context, org, user int64, ext string) error {
	const op = "store.SetSCIMUserExternalID"
	if ext == "" {
		_, err := t.exec(ctx, `DELETE FROM scim_user_external_ids WHERE org_id = ? AND user_id = ?`, org, user)
		return dbErr(op, err)
	}
	_, err := t.exec(ctx, `INSERT INTO scim_user_external_ids (user_id, org_id, external_id)
		SELECT id, org_id, ? FROM users WHERE org_id = ? AND id = ?
		ON CONFLICT (user_id) DO UPDATE SET external_id = excluded.external_id`, ext, org, user)
	return dbErr(op, err)
}

// AllUsers lists every user of an organisation by id.
func (q Queries) AllUsers(ctx context.Context, org int64) ([]account.User, error) {
	return q.users(ctx, "store.AllUsers", `SELECT `+userCols+` FROM users WHERE org_id = ? ORDER BY id`, org)
}

// InsertAssertion remembers an accepted SAML assertion id; a second insert
// of the same id is a Conflict (a replay). Expired ids are forgotten first.
func (t *Tx) InsertAssertion(ctx context.Context, provider int64, id string, expires, now time.Time) error {
	const op = "store.InsertAssertion"
	if _, err := t.exec(ctx, `DELETE FROM sso_assertions WHERE expires_at < ?`, ms(now)); err != nil {
		return dbErr(op, err)
	}
	_, err := t.exec(ctx, `INSERT INTO sso_assertions (provider_id, assertion_id, expires_at) VALUES (?, ?, ?)`,
		provider, id, ms(expires))
	return dbErr(op, err)
}
