package auth

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// Policy is an organisation's password and two-factor policy.
type Policy struct {
	MinLength  int  // characters (runes)
	MinClasses int  // of lower-case, upper-case, digits, other characters
	Require2FA bool // users without TOTP must enrol at their next login
	// SSORequire2FA makes SSO and LDAP sign-ins pass Parley's second factor
	// too (and Require2FA's enrolment); off, the identity provider owns it.
	SSORequire2FA bool
	UpdatedAt     time.Time
}

// DefaultPolicy applies to organisations that never changed theirs, and to
// the first owner created at setup.
var DefaultPolicy = Policy{MinLength: 8, MinClasses: 1}

// Policy bounds: the floor keeps the common-password list meaningful (it
// has few entries of 8 characters or more that are not on it).
const (
	MinPasswordFloor = 8
	MaxMinLength     = 64
	MaxPasswordLen   = account.MaxPasswordLen
)

//go:embed common-passwords.txt
var commonPasswordsText []byte

// commonPasswords is the embedded list as a set, built once at start (about
// 10,000 entries, ~0.5 MB).
var commonPasswords = func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	sc := bufio.NewScanner(bytes.NewReader(commonPasswordsText))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
}()

// IsCommonPassword reports whether p (case-insensitively) is on the list of
// the 10,000 most common passwords.
func IsCommonPassword(p string) bool {
	_, ok := commonPasswords[strings.ToLower(p)]
	return ok
}

// charClasses counts the kinds of characters in p: lower-case, upper-case,
// digits, and anything else (symbols, spaces, CJK...).
func charClasses(p string) int {
	var lower, upper, digit, other bool
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			n++
		}
	}
	return n
}

// Check returns nil when password meets the policy for user u, else Invalid
// with a stable code: password_too_short, password_too_long,
// password_invalid_utf8, password_too_simple (too few kinds of characters),
// password_too_common, password_contains_name (the user's e-mail, username
// or display name).
func (p Policy) Check(op, password string, u account.User) error {
	if !utf8.ValidString(password) {
		return errs.New(op, errs.Invalid, "password_invalid_utf8")
	}
	n := utf8.RuneCountInString(password)
	min := max(p.MinLength, MinPasswordFloor)
	if n < min {
		return errs.New(op, errs.Invalid, "password_too_short").With("min", min)
	}
	if n > MaxPasswordLen {
		return errs.New(op, errs.Invalid, "password_too_long").With("max", MaxPasswordLen)
	}
	if c := charClasses(password); c < p.MinClasses {
		return errs.New(op, errs.Invalid, "password_too_simple").With("min", p.MinClasses)
	}
	if IsCommonPassword(password) {
		return errs.New(op, errs.Invalid, "password_too_common")
	}
	lower := strings.ToLower(password)
	local, _, _ := strings.Cut(u.Email, "@")
	for _, part := range []string{u.Email, local, u.Username, u.DisplayName} {
		part = strings.ToLower(strings.TrimSpace(part))
		// Short parts ("li", "王") are too likely to occur by chance.
		if utf8.RuneCountInString(part) >= 3 && strings.Contains(lower, part) {
			return errs.New(op, errs.Invalid, "password_contains_name")
		}
	}
	return nil
}

// validate checks the policy's own bounds.
func (p Policy) validate(op string) error {
	if p.MinLength < MinPasswordFloor || p.MinLength > MaxMinLength {
		return errs.New(op, errs.Invalid, "policy_min_length_invalid").With("min", MinPasswordFloor).With("max", MaxMinLength)
	}
	if p.MinClasses < 1 || p.MinClasses > 4 {
		return errs.New(op, errs.Invalid, "policy_min_classes_invalid")
	}
	return nil
}

// CheckPassword checks a password against the default policy (for the
// offline bootstrap, where no organisation exists yet).
func (Hasher) CheckPassword(ctx context.Context, org int64, password string, u account.User) error {
	return DefaultPolicy.Check("auth.CheckPassword", password, u)
}

// CheckPassword checks a password against org's policy (the default for
// org 0, a new organisation).
func (s *Service) CheckPassword(ctx context.Context, org int64, password string, u account.User) error {
	p, err := s.policy(ctx, org)
	if err != nil {
		return err
	}
	return p.Check("auth.CheckPassword", password, u)
}

func (s *Service) policy(ctx context.Context, org int64) (Policy, error) {
	if org == 0 {
		return DefaultPolicy, nil
	}
	p, err := s.store.SecurityPolicy(ctx, org)
	if errs.Is(err, errs.NotFound) {
		return DefaultPolicy, nil
	}
	if err != nil {
		return Policy{}, errs.E("auth.policy", errs.Other, "", err)
	}
	return p, nil
}

// Policy returns the actor's organisation's policy. Any member may read it
// (the password form shows the rules).
func (s *Service) Policy(ctx context.Context, actor account.Actor) (Policy, error) {
	return s.policy(ctx, actor.Org)
}

// PolicyPatch changes a policy; nil fields stay.
type PolicyPatch struct {
	MinLength     *int
	MinClasses    *int
	Require2FA    *bool
	SSORequire2FA *bool
}

// UpdatePolicy changes the organisation's policy (owners and admins). The
// change applies to passwords set from now on and to logins from now on;
// existing passwords are not re-checked.
func (s *Service) UpdatePolicy(ctx context.Context, actor account.Actor, patch PolicyPatch) (Policy, error) {
	const op = "auth.UpdatePolicy"
	if !actor.IsAdmin() {
		return Policy{}, errs.New(op, errs.Permission, "admin_required")
	}
	old, err := s.policy(ctx, actor.Org)
	if err != nil {
		return Policy{}, err
	}
	p := old
	if patch.MinLength != nil {
		p.MinLength = *patch.MinLength
	}
	if patch.MinClasses != nil {
		p.MinClasses = *patch.MinClasses
	}
	if patch.Require2FA != nil {
		p.Require2FA = *patch.Require2FA
	}
	if patch.SSORequire2FA != nil {
		p.SSORequire2FA = *patch.SSORequire2FA
	}
	if err := p.validate(op); err != nil {
		return Policy{}, err
	}
	p.UpdatedAt = s.now()
	d := map[string]string{}
	if old.MinLength != p.MinLength {
		d["min_length"] = itoa(old.MinLength) + " → " + itoa(p.MinLength)
	}
	if old.MinClasses != p.MinClasses {
		d["min_classes"] = itoa(old.MinClasses) + " → " + itoa(p.MinClasses)
	}
	if old.Require2FA != p.Require2FA {
		d["require_2fa"] = boolStr(old.Require2FA) + " → " + boolStr(p.Require2FA)
	}
	if old.SSORequire2FA != p.SSORequire2FA {
		d["sso_require_2fa"] = boolStr(old.SSORequire2FA) + " → " + boolStr(p.SSORequire2FA)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.PutSecurityPolicy(ctx, actor.Org, p); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, p.UpdatedAt, audit.Entry{Org: actor.Org, Actor: actor.User,
			Action: audit.PolicyUpdated, TargetType: audit.TargetOrg, TargetID: actor.Org, Details: d}))
	})
	if err != nil {
		return Policy{}, errs.E(op, errs.Other, "", err)
	}
	return p, nil
}
