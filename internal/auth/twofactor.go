package auth

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

func itoa(n int) string { return strconv.Itoa(n) }

func boolStr(b bool) string { return strconv.FormatBool(b) }

// Recovery codes: 10 codes of 16 characters of Crockford's base32 (no i,
// l, o, u: 80 bits each), shown once as xxxx-xxxx-xxxx-xxxx.
const (
	recoveryCodes   = 10
	recoveryLen     = 16
	recoveryLetters = "0123456789abcdefghjkmnpqrstvwxyz"
)

func newRecoveryCode() string {
	b := make([]byte, recoveryLen)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(recoveryLetters[c&31])
	}
	return sb.String()
}

// hashRecovery normalises a typed code (case, spaces, dashes) and hashes it.
func hashRecovery(code string) []byte { return hashToken(strings.ToLower(cleanCode(code))) }

// TwoFactorStatus is what a user sees of their second factor.
type TwoFactorStatus struct {
	Enabled           bool
	RecoveryCodesLeft int
	Required          bool // the organisation requires 2FA
}

// TwoFactor returns the actor's 2FA status.
func (s *Service) TwoFactor(ctx context.Context, actor account.Actor) (TwoFactorStatus, error) {
	const op = "auth.TwoFactor"
	var st TwoFactorStatus
	t, err := s.store.TOTP(ctx, actor.Org, actor.User)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return st, errs.E(op, errs.Other, "", err)
	}
	st.Enabled = err == nil && t.Enabled
	if st.Enabled {
		if st.RecoveryCodesLeft, err = s.store.RecoveryCodesLeft(ctx, actor.Org, actor.User); err != nil {
			return st, errs.E(op, errs.Other, "", err)
		}
	}
	pol, err := s.policy(ctx, actor.Org)
	if err != nil {
		return st, err
	}
	st.Required = pol.Require2FA
	return st, nil
}

// Enrolment is a new TOTP secret for the authenticator app.
type Enrolment struct {
	Secret string // base32, for typing in by hand
	URI    string // otpauth:// URI, for the QR code
}

// BeginTwoFactor creates a new secret for the actor (replacing an
// unconfirmed one). Conflict "two_factor_already_enabled" when 2FA is on.
func (s *Service) BeginTwoFactor(ctx context.Context, actor account.Actor) (Enrolment, error) {
	const op = "auth.BeginTwoFactor"
	u, err := s.store.User(ctx, actor.Org, actor.User)
	if err != nil {
		return Enrolment{}, errs.E(op, errs.Other, "", err)
	}
	secret := make([]byte, totpSecretLen)
	if _, err := rand.Read(secret); err != nil {
		return Enrolment{}, errs.E(op, errs.Internal, "", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TOTP(ctx, actor.Org, actor.User)
		if err == nil && t.Enabled {
			return errs.New(op, errs.Conflict, "two_factor_already_enabled")
		}
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		return tx.PutTOTP(ctx, TOTP{User: u.ID, Org: u.Org, Secret: secret, CreatedAt: s.now()})
	})
	if err != nil {
		return Enrolment{}, errs.E(op, errs.Other, "", err)
	}
	return Enrolment{Secret: b32.EncodeToString(secret), URI: otpauthURI(s.issuer, u.Email, secret)}, nil
}

// errWrongCode aborts a transaction whose code did not match; the caller
// counts the failure after the rollback.
var errWrongCode = errors.New("auth: wrong code")

// EnableTwoFactor confirms enrolment with a code from the app, turns 2FA on
// and returns fresh recovery codes (shown once). A session that had to
// enrol (PendingEnrol) becomes a full session. Invalid
// "two_factor_code_invalid" for a wrong code (counted toward the lockout),
// Conflict "two_factor_not_started" without BeginTwoFactor.
func (s *Service) EnableTwoFactor(ctx context.Context, actor account.Actor, sess Session, code string) ([]string, error) {
	const op = "auth.EnableTwoFactor"
	byUser, byAddr := userSubject(actor.User), addrSubject(sess.Address)
	c, err := s.readFailures(ctx, op, byUser, byAddr)
	if err != nil {
		return nil, err
	}
	if wait := c.wait(s.now(), byUser, byAddr); wait > 0 {
		return nil, tooMany(op, wait)
	}
	codes := make([]string, recoveryCodes)
	hashes := make([][]byte, recoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashRecovery(codes[i])
	}
	now := s.now()
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TOTP(ctx, actor.Org, actor.User)
		if errs.Is(err, errs.NotFound) {
			return errs.New(op, errs.Conflict, "two_factor_not_started")
		}
		if err != nil {
			return err
		}
		if t.Enabled {
			return errs.New(op, errs.Conflict, "two_factor_already_enabled")
		}
		step, ok := matchTOTP(t.Secret, cleanCode(code), now, t.LastStep)
		if !ok {
			return errWrongCode
		}
		t.Enabled, t.LastStep = true, step
		if err := tx.PutTOTP(ctx, t); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, actor.Org, actor.User, hashes); err != nil {
			return err
		}
		if sess.Pending == PendingEnrol {
			sess.Pending = ""
			if err := tx.UpdateSession(ctx, sess); err != nil {
				return err
			}
		}
		return s.auditSelf(ctx, tx, actor, audit.TwoFactorEnabled, nil)
	})
	if errors.Is(err, errWrongCode) {
		s.countFailure(ctx, c, byUser, byAddr)
		return nil, errs.New(op, errs.Invalid, "two_factor_code_invalid")
	}
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return codes, nil
}

// auditSelf records an action of the actor on their own account.
func (s *Service) auditSelf(ctx context.Context, tx Tx, actor account.Actor, action audit.Action, details map[string]string) error {
	return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), audit.Entry{Org: actor.Org, Actor: actor.User, Action: action,
		TargetType: audit.TargetUser, TargetID: actor.User, Outcome: audit.Success, Details: details}))
}

// verifyPassword re-checks the actor's password before a sensitive change.
// Wrong passwords count toward the lockout; Permission "password_wrong".
func (s *Service) verifyPassword(ctx context.Context, op string, actor account.Actor, sess Session, password string) error {
	byUser, byAddr := userSubject(actor.User), addrSubject(sess.Address)
	c, err := s.readFailures(ctx, op, byUser, byAddr)
	if err != nil {
		return err
	}
	if wait := c.wait(s.now(), byUser, byAddr); wait > 0 {
		return tooMany(op, wait)
	}
	hash, err := s.store.PasswordHash(ctx, actor.Org, actor.User)
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	if len(password) > 1024 || !s.hasher.Verify(hash, password) {
		s.countFailure(ctx, c, byUser, byAddr)
		return errs.New(op, errs.Permission, "password_wrong")
	}
	return nil
}

// countFailure counts a failure of the subjects in its own transaction; a
// failure to count is logged (the caller answers the same either way).
func (s *Service) countFailure(ctx context.Context, c counts, subjects ...string) {
	err := s.store.Update(ctx, func(tx Tx) error {
		_, err := c.fail(ctx, tx, s.now(), subjects...)
		return err
	})
	if err != nil {
		s.log.Error("count failed attempt", "err", err)
	}
}

// DisableTwoFactor turns the actor's 2FA off after checking their password.
// Permission "two_factor_required_by_policy" when the organisation requires
// it.
func (s *Service) DisableTwoFactor(ctx context.Context, actor account.Actor, sess Session, password string) error {
	const op = "auth.DisableTwoFactor"
	if err := s.verifyPassword(ctx, op, actor, sess, password); err != nil {
		return err
	}
	pol, err := s.policy(ctx, actor.Org)
	if err != nil {
		return err
	}
	if pol.Require2FA {
		return errs.New(op, errs.Permission, "two_factor_required_by_policy")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteTOTP(ctx, actor.Org, actor.User); err != nil {
			return err
		}
		return s.auditSelf(ctx, tx, actor, audit.TwoFactorDisabled, nil)
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// NewRecoveryCodes replaces the actor's recovery codes after checking their
// password. Conflict "two_factor_not_enabled" without 2FA.
func (s *Service) NewRecoveryCodes(ctx context.Context, actor account.Actor, sess Session, password string) ([]string, error) {
	const op = "auth.NewRecoveryCodes"
	if err := s.verifyPassword(ctx, op, actor, sess, password); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodes)
	hashes := make([][]byte, recoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashRecovery(codes[i])
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TOTP(ctx, actor.Org, actor.User)
		if errs.Is(err, errs.NotFound) || (err == nil && !t.Enabled) {
			return errs.New(op, errs.Conflict, "two_factor_not_enabled")
		}
		if err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, actor.Org, actor.User, hashes); err != nil {
			return err
		}
		return s.auditSelf(ctx, tx, actor, audit.RecoveryCodesReset, nil)
	})
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return codes, nil
}

// ResetTwoFactor removes another user's second factor, for someone who lost
// their phone and their codes (organisation admins; only the owner may
// reset the owner). The user's sessions stay; if the organisation requires
// 2FA, they enrol again at their next login.
func (s *Service) ResetTwoFactor(ctx context.Context, actor account.Actor, userID int64) error {
	const op = "auth.ResetTwoFactor"
	if !actor.IsAdmin() {
		return errs.New(op, errs.Permission, "admin_required")
	}
	u, err := s.store.User(ctx, actor.Org, userID)
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	if u.Role == account.RoleOwner && actor.Role != account.RoleOwner {
		return errs.New(op, errs.Permission, "owner_required")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteTOTP(ctx, u.Org, u.ID); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), audit.Entry{Org: actor.Org, Actor: actor.User,
			Action: audit.TwoFactorReset, TargetType: audit.TargetUser, TargetID: u.ID, Outcome: audit.Success}))
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// SecondFactorInput is the second step of a login.
type SecondFactorInput struct {
	Challenge    string
	Code         string // a TOTP code, or
	RecoveryCode string // a recovery code (single use)
	Address      string
	UserAgent    string
}

// LoginSecondFactor completes a login with a TOTP or recovery code and
// creates the session. Unauthenticated "challenge_invalid" (unknown or
// expired challenge: log in again), Invalid "two_factor_code_invalid" and
// "two_factor_code_used" (a code already accepted in its window), both
// counted toward the lockout; RateLimited "too_many_attempts".
func (s *Service) LoginSecondFactor(ctx context.Context, in SecondFactorInput) (LoginResult, error) {
	const op = "auth.LoginSecondFactor"
	code, recovery := cleanCode(in.Code), in.RecoveryCode
	if (code == "") == (strings.TrimSpace(recovery) == "") || len(code) > 16 || len(recovery) > 64 {
		return LoginResult{}, errs.New(op, errs.Invalid, "two_factor_code_required")
	}
	if in.Challenge == "" || len(in.Challenge) > 128 {
		return LoginResult{}, errs.New(op, errs.Unauthenticated, "challenge_invalid")
	}
	ch, u, err := s.store.SessionUser(ctx, hashToken(in.Challenge))
	if errs.Is(err, errs.NotFound) {
		return LoginResult{}, errs.New(op, errs.Unauthenticated, "challenge_invalid")
	}
	if err != nil {
		return LoginResult{}, errs.E(op, errs.Other, "", err)
	}
	now := s.now()
	if ch.Pending != PendingTOTP || !now.Before(ch.ExpiresAt) || !u.Active {
		return LoginResult{}, errs.New(op, errs.Unauthenticated, "challenge_invalid")
	}
	byUser, byAddr := userSubject(u.ID), addrSubject(in.Address)
	c, err := s.readFailures(ctx, op, byUser, byAddr)
	if err != nil {
		return LoginResult{}, err
	}
	if wait := c.wait(now, byUser, byAddr); wait > 0 {
		return LoginResult{}, tooMany(op, wait)
	}
	tok := randomToken("pt_", 32)
	sess := Session{Org: u.Org, User: u.ID, TokenHash: hashToken(tok), Kind: ch.Kind, UserAgent: cutUA(in.UserAgent),
		Address: in.Address, CreatedAt: now, ExpiresAt: now.Add(SessionLifetime), LastUsedAt: now}
	if sess.Kind == KindCookie {
		sess.CSRF = randomToken("", 24)
	}
	// The challenge's Name is the first step's method (none: a password).
	first := cmp.Or(ch.Name, "password")
	method, reason := "totp", ""
	err = s.store.Update(ctx, func(tx Tx) error {
		t, err := tx.TOTP(ctx, u.Org, u.ID)
		if errs.Is(err, errs.NotFound) || (err == nil && !t.Enabled) {
			// 2FA was reset between the two steps: the challenge is stale.
			return errs.New(op, errs.Unauthenticated, "challenge_invalid")
		}
		if err != nil {
			return err
		}
		if code != "" {
			step, ok := matchTOTP(t.Secret, code, now, t.LastStep)
			if !ok {
				reason = "wrong_code"
				if _, used := matchTOTP(t.Secret, code, now, -1<<62); used {
					reason = "code_reused"
				}
				return errWrongCode
			}
			if ok, err := tx.AdvanceTOTP(ctx, u.Org, u.ID, step); err != nil || !ok {
				reason = "code_reused" // another request took this step first
				return cmpErr(err, errWrongCode)
			}
		} else {
			method = "recovery_code"
			ok, err := tx.UseRecoveryCode(ctx, u.Org, u.ID, hashRecovery(recovery), now)
			if err != nil {
				return err
			}
			if !ok {
				reason = "wrong_recovery_code"
				return errWrongCode
			}
		}
		if err := tx.DeleteSession(ctx, ch.ID); err != nil {
			return err
		}
		if sess, err = s.insertSession(ctx, tx, sess, map[string]string{"method": first + "+" + method}); err != nil {
			return err
		}
		return c.clear(ctx, tx, byUser)
	})
	if errors.Is(err, errWrongCode) {
		s.recordFailure(ctx, u, c, []string{byUser, byAddr}, map[string]string{"login": u.Email, "reason": reason}, in.Address, in.UserAgent)
		if reason == "code_reused" {
			return LoginResult{}, errs.New(op, errs.Invalid, "two_factor_code_used")
		}
		return LoginResult{}, errs.New(op, errs.Invalid, "two_factor_code_invalid")
	}
	if err != nil {
		return LoginResult{}, errs.E(op, errs.Other, "", err)
	}
	return LoginResult{Token: tok, Session: sess, User: u}, nil
}

// cmpErr returns err, or fallback when err is nil.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// ChangePassword replaces the actor's password after checking the current
// one, and ends every other session and token of the user (whoever knew the
// old password is logged out). Permission "password_wrong"; Invalid codes of
// Policy.Check for the new password.
func (s *Service) ChangePassword(ctx context.Context, actor account.Actor, sess Session, current, next string) error {
	const op = "auth.ChangePassword"
	if err := s.verifyPassword(ctx, op, actor, sess, current); err != nil {
		return err
	}
	u, err := s.store.User(ctx, actor.Org, actor.User)
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	if err := s.CheckPassword(ctx, actor.Org, next, u); err != nil {
		return err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return errs.E(op, errs.Internal, "", err)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.SetPasswordHash(ctx, actor.Org, actor.User, hash); err != nil {
			return err
		}
		if err := tx.DeleteSessionsExcept(ctx, actor.Org, actor.User, sess.ID); err != nil {
			return err
		}
		if err := s.emitRevoke(ctx, tx, actor.Org, actor.User, Revocation{Keep: sess.ID}); err != nil {
			return err
		}
		return s.auditSelf(ctx, tx, actor, audit.PasswordChanged, nil)
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// emitRevoke closes the user's WebSocket streams named by r.
func (s *Service) emitRevoke(ctx context.Context, tx Tx, org, user int64, r Revocation) error {
	return tx.Emit(ctx, eventRevoke(org, user), func(seq int64) ([]byte, error) {
		return s.enc.EncodeEvent("session.revoked", seq, r)
	})
}
