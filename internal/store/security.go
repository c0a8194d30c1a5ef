package store

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/auth"
)

// SecurityPolicy returns an organisation's password and 2FA policy;
// NotFound when it never changed the defaults.
func (q Queries) SecurityPolicy(ctx context.Context, org int64) (auth.Policy, error) {
	var p auth.Policy
	var updated int64
	err := q.queryRow(ctx, `
		SELECT password_min_length, password_min_classes, require_2fa, sso_require_2fa, updated_at
		FROM security_policies WHERE org_id = ?`, org).Scan(&p.MinLength, &p.MinClasses, &p.Require2FA, &p.SSORequire2FA, &updated)
	if err != nil {
		return auth.Policy{}, notFound("store.SecurityPolicy", "policy_not_found", err)
	}
	p.UpdatedAt = fromMS(updated)
	return p, nil
}

// PutSecurityPolicy stores an organisation's policy.
func (t *Tx) PutSecurityPolicy(ctx context.Context, org int64, p auth.Policy) error {
	_, err := t.exec(ctx, `
		INSERT INTO security_policies (org_id, password_min_length, password_min_classes, require_2fa, sso_require_2fa, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id) DO UPDATE SET password_min_length = excluded.password_min_length,
			password_min_classes = excluded.password_min_classes, require_2fa = excluded.require_2fa,
			sso_require_2fa = excluded.sso_require_2fa, updated_at = excluded.updated_at`,
		org, p.MinLength, p.MinClasses, p.Require2FA, p.SSORequire2FA, ms(p.UpdatedAt))
	return dbErr("store.PutSecurityPolicy", err)
}

// PasswordHash returns a user's password hash ("" for users without one).
func (q Queries) PasswordHash(ctx context.Context, org, user int64) (string, error) {
	var h string
	err := q.queryRow(ctx, `SELECT password_hash FROM users WHERE org_id = ? AND id = ?`, org, user).Scan(&h)
	if err != nil {
		return "", notFound("store.PasswordHash", "user_not_found", err)
	}
	return h, nil
}

// TOTP returns a user's TOTP secret, opened; NotFound when they have none.
func (q Queries) TOTP(ctx context.Context, org, user int64) (auth.TOTP, error) {
	var t auth.TOTP
	var created int64
	err := q.queryRow(ctx, `
		SELECT user_id, org_id, secret, enabled, last_step, created_at FROM totp_secrets
		WHERE org_id = ? AND user_id = ?`, org, user).Scan(&t.User, &t.Org, &t.Secret, &t.Enabled, &t.LastStep, &created)
	if err != nil {
		return auth.TOTP{}, notFound("store.TOTP", "totp_not_found", err)
	}
	if t.Secret, err = q.open("store.TOTP", t.Secret, totpLabel(t.User)); err != nil {
		return auth.TOTP{}, err
	}
	t.CreatedAt = fromMS(created)
	return t, nil
}

// PutTOTP stores (or replaces) a user's TOTP secret, sealed.
func (t *Tx) PutTOTP(ctx context.Context, s auth.TOTP) error {
	sealed, err := t.seal("store.PutTOTP", s.Secret, totpLabel(s.User))
	if err != nil {
		return err
	}
	_, err = t.exec(ctx, `
		INSERT INTO totp_secrets (user_id, org_id, secret, enabled, last_step, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, enabled = excluded.enabled,
			last_step = excluded.last_step, created_at = excluded.created_at`,
		s.User, s.Org, sealed, s.Enabled, s.LastStep, ms(s.CreatedAt))
	return dbErr("store.PutTOTP", err)
}

// AdvanceTOTP records step as the last accepted time step, only if it is
// later than the one stored; false means the code was already used (or an
// older one was), which makes each code single-use even across nodes.
func (t *Tx) AdvanceTOTP(ctx context.Context, org, user, step int64) (bool, error) {
	res, err := t.exec(ctx, `UPDATE totp_secrets SET last_step = ? WHERE org_id = ? AND user_id = ? AND last_step < ?`,
		step, org, user, step)
	if err != nil {
		return false, dbErr("store.AdvanceTOTP", err)
	}
	n, err := res.RowsAffected()
	return n == 1, dbErr("store.AdvanceTOTP", err)
}

// DeleteTOTP removes a user's second factor: the secret and every recovery
// code.
func (t *Tx) DeleteTOTP(ctx context.Context, org, user int64) error {
	if _, err := t.exec(ctx, `DELETE FROM recovery_codes WHERE org_id = ? AND user_id = ?`, org, user); err != nil {
		return dbErr("store.DeleteTOTP", err)
	}
	_, err := t.exec(ctx, `DELETE FROM totp_secrets WHERE org_id = ? AND user_id = ?`, org, user)
	return dbErr("store.DeleteTOTP", err)
}

// ReplaceRecoveryCodes replaces a user's recovery codes with new hashes.
func (t *Tx) ReplaceRecoveryCodes(ctx context.Context, org, user int64, hashes [][]byte) error {
	if _, err := t.exec(ctx, `DELETE FROM recovery_codes WHERE org_id = ? AND user_id = ?`, org, user); err != nil {
		return dbErr("store.ReplaceRecoveryCodes", err)
	}
	for _, h := range hashes {
		if _, err := t.exec(ctx, `INSERT INTO recovery_codes (org_id, user_id, code_hash) VALUES (?, ?, ?)`, org, user, h); err != nil {
			return dbErr("store.ReplaceRecoveryCodes", err)
		}
	}
	return nil
}

// UseRecoveryCode marks an unused code as used; false when the user has no
// such unused code.
func (t *Tx) UseRecoveryCode(ctx context.Context, org, user int64, hash []byte, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `UPDATE recovery_codes SET used_at = ? WHERE org_id = ? AND user_id = ? AND code_hash = ? AND used_at = 0`,
		ms(at), org, user, hash)
	if err != nil {
		return false, dbErr("store.UseRecoveryCode", err)
	}
	n, err := res.RowsAffected()
	if n > 1 {
		n = 1 // duplicate codes are astronomically unlikely; both are spent
	}
	return n == 1, dbErr("store.UseRecoveryCode", err)
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (q Queries) RecoveryCodesLeft(ctx context.Context, org, user int64) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE org_id = ? AND user_id = ? AND used_at = 0`, org, user).Scan(&n)
	return n, dbErr("store.RecoveryCodesLeft", err)
}
