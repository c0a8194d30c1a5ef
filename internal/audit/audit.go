// Package audit owns the organisation's audit trail: an append-only record
// of security-relevant actions (who did what to whom, when, from where, and
// whether it worked), written by the other domain services and read by
// organisation admins. It is a leaf of the domain: it imports only errs, so
// that account, auth, the directory and SSO can all record into it.
package audit

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Entry is one line of the audit trail. Entries are never changed or deleted
// by Parley (the database refuses UPDATE and DELETE on the table).
type Entry struct {
	ID  int64
	Org int64 // 0: not attributable to an organisation (a login with an unknown name)
	At  time.Time
	// Actor is the user who acted; 0 for an anonymous caller (a failed
	// login) or the system (a scheduled sync).
	Actor  int64
	Action Action
	// Target is what the action was applied to; TargetType "" when nothing.
	TargetType TargetType
	TargetID   int64
	// Address is the client's IP address as the server saw it (the remote
	// address of the connection; Parley has no trusted-proxy option yet).
	Address   string
	UserAgent string
	Outcome   Outcome
	// Details are small facts about the action (old and new values, the
	// error code of a failure, the login name tried).
	Details map[string]string
}

// Outcome says whether the action took effect.
type Outcome string

// Outcomes.
const (
	Success Outcome = "success"
	Failure Outcome = "failure"
)

// Valid reports whether o is a known outcome.
func (o Outcome) Valid() bool { return o == Success || o == Failure }

// Action names what happened, as "noun.verb". New actions may be added by
// any service; the names are part of the API (GET /api/v1/audit filters on
// them), so existing names never change.
type Action string

// Actions recorded by the identity services. Other services declare theirs
// next to the code that records them, with the same "noun.verb" shape.
const (
	LoginSucceeded     Action = "auth.login"
	LoginFailed        Action = "auth.login_failed"
	Logout             Action = "auth.logout"
	SessionRevoked     Action = "session.revoke"
	TokenCreated       Action = "token.create"
	TokenRevoked       Action = "token.revoke"
	PasswordChanged    Action = "user.password_change"
	UserCreated        Action = "user.create"
	UserDeactivated    Action = "user.deactivate"
	UserReactivated    Action = "user.reactivate"
	RoleChanged        Action = "user.role_change"
	OrgUpdated         Action = "org.update"
	TwoFactorEnabled   Action = "2fa.enable"
	TwoFactorDisabled  Action = "2fa.disable"
	TwoFactorReset     Action = "2fa.reset"
	RecoveryCodesReset Action = "2fa.recovery_codes"
	PolicyUpdated      Action = "org.security_policy"
)

// TargetType names the kind of thing an action was applied to.
type TargetType string

// Target types.
const (
	TargetUser    TargetType = "user"
	TargetSession TargetType = "session"
	TargetToken   TargetType = "token"
	TargetOrg     TargetType = "org"
)

// Limits on what an entry may carry; longer values are cut (at a rune
// boundary) rather than refused, because an audit record must never make
// the action it records fail.
const (
	MaxActionLen  = 64
	MaxDetails    = 16
	MaxDetailKey  = 64
	MaxDetailLen  = 512
	MaxUserAgent  = 256
	MaxAddressLen = 64
)

// Source is where a request came from. The transport puts it in the
// context once per request (WithSource), so that services record it without
// every method taking an address argument.
type Source struct {
	Address   string
	UserAgent string
}

type sourceKey struct{}

// WithSource returns ctx carrying the request's source.
func WithSource(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceFrom returns the source WithSource stored, or the zero Source.
func SourceFrom(ctx context.Context) Source {
	s, _ := ctx.Value(sourceKey{}).(Source)
	return s
}

// Stamp completes an entry before it is stored: the time (now) when unset,
// the source address and user agent from ctx when unset, the outcome
// (Success) when unset, and values cut to their limits.
func Stamp(ctx context.Context, now time.Time, e Entry) Entry {
	if e.At.IsZero() {
		e.At = now
	}
	src := SourceFrom(ctx)
	if e.Address == "" {
		e.Address = src.Address
	}
	if e.UserAgent == "" {
		e.UserAgent = src.UserAgent
	}
	if e.Outcome == "" {
		e.Outcome = Success
	}
	e.Action = Action(cut(string(e.Action), MaxActionLen))
	e.Address = cut(e.Address, MaxAddressLen)
	e.UserAgent = cut(e.UserAgent, MaxUserAgent)
	if len(e.Details) > 0 {
		d := make(map[string]string, len(e.Details))
		for k, v := range e.Details {
			if len(d) == MaxDetails {
				d["truncated"] = "true"
				break
			}
			d[cut(k, MaxDetailKey)] = cut(v, MaxDetailLen)
		}
		e.Details = d
	}
	return e
}

// cut shortens s to at most n bytes without splitting a rune, and replaces
// invalid UTF-8 (a login name typed by an attacker) so it stores cleanly.
func cut(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
