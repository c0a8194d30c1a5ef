// Package auth owns how people prove who they are: password hashing,
// sessions (browser cookies with CSRF tokens, and bearer tokens), login rate
// limiting and the one-time setup token. It turns credentials into an
// account.Actor for the domain services.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// Session is a login: a browser cookie or an API token. Only the SHA-256 of
// the token is stored.
type Session struct {
	ID        int64
	Org       int64
	User      int64
	TokenHash []byte
	Kind      string // KindCookie or KindToken
	CSRF      string
	UserAgent string
	Address   string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Session kinds.
const (
	KindCookie = "cookie"
	KindToken  = "token"
)

// SessionLifetime is how long a login lasts.
const SessionLifetime = 30 * 24 * time.Hour

// Store is what auth needs from persistence.
type Store interface {
	// UserByLogin finds a user by e-mail or username with the password hash; NotFound.
	UserByLogin(ctx context.Context, login string) (account.User, string, error)
	User(ctx context.Context, org, id int64) (account.User, error)
	// SessionUser returns a session and its user by the token's hash;
	// NotFound for unknown tokens.
	SessionUser(ctx context.Context, hash []byte) (Session, account.User, error)
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is a write transaction.
type Tx interface {
	InsertSession(ctx context.Context, s Session) (Session, error)
	DeleteSession(ctx context.Context, id int64) error
	// InsertAudit appends to the audit trail in the same transaction.
	InsertAudit(ctx context.Context, e audit.Entry) error
}

// Service authenticates users.
type Service struct {
	store   Store
	hasher  Hasher
	now     func() time.Time
	log     *slog.Logger
	limiter *limiter

	mu         sync.Mutex
	setupToken string // one-time token printed at first start; "" once used
}

// NewService returns an auth service.
func NewService(st Store, now func() time.Time, log *slog.Logger) *Service {
	return &Service{store: st, now: now, log: log, limiter: newLimiter(now)}
}

// Hash hashes a password (for the account service).
func (s *Service) Hash(password string) (string, error) { return s.hasher.Hash(password) }

// LoginInput is a login attempt.
type LoginInput struct {
	Login, Password string
	Kind            string // KindCookie or KindToken
	Address         string // client address, for rate limiting
	UserAgent       string
}

// dummyHash is verified against when the account does not exist, so that a
// failed login takes the same time whether or not the account exists.
var dummyHash = func() string { h, _ := Hasher{}.Hash("parley-dummy-password"); return h }()

// Login checks a password and creates a session. Failures are rate-limited
// per account and per client address (RateLimited); wrong credentials are
// Unauthenticated "invalid_credentials" whatever was wrong.
func (s *Service) Login(ctx context.Context, in LoginInput) (string, Session, account.User, error) {
	const op = "auth.Login"
	login := strings.ToLower(strings.TrimSpace(in.Login))
	if login == "" || len(login) > 254 || in.Password == "" || len(in.Password) > 1024 {
		return "", Session{}, account.User{}, errs.New(op, errs.Invalid, "credentials_required")
	}
	if wait := s.limiter.blocked(login, in.Address); wait > 0 {
		return "", Session{}, account.User{}, errs.New(op, errs.RateLimited, "too_many_attempts").With("seconds", int(wait.Seconds())+1)
	}
	u, hash, err := s.store.UserByLogin(ctx, login)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return "", Session{}, account.User{}, errs.E(op, errs.Other, "", err)
	}
	if err != nil {
		hash = dummyHash
	}
	known := err == nil
	ok := s.hasher.Verify(hash, in.Password) && known
	if !ok || !u.Active {
		s.limiter.fail(login, in.Address)
		s.log.Info("login failed", "login", login, "address", in.Address)
		reason := "unknown_login"
		switch {
		case known && !ok:
			reason = "wrong_password"
		case known:
			reason = "user_deactivated"
		}
		s.recordFailure(ctx, u, login, reason, in)
		return "", Session{}, account.User{}, errs.New(op, errs.Unauthenticated, "invalid_credentials")
	}
	s.limiter.success(login)
	tok, sess, err := s.newSession(ctx, u, in.Kind, in.Address, in.UserAgent, audit.LoginSucceeded)
	if err != nil {
		return "", Session{}, account.User{}, errs.E(op, errs.Other, "", err)
	}
	return tok, sess, u, nil
}

// recordFailure writes a failed login to the audit trail: under the user's
// organisation when the login named a user, else under organisation 0 (seen
// by no organisation's admins). A failure to record is logged, not returned:
// the caller must get the same answer whether or not the account exists.
func (s *Service) recordFailure(ctx context.Context, u account.User, login, reason string, in LoginInput) {
	e := audit.Entry{Org: u.Org, Action: audit.LoginFailed, Address: in.Address, UserAgent: in.UserAgent, Outcome: audit.Failure,
		Details: map[string]string{"login": login, "reason": reason}}
	if u.ID != 0 {
		e.TargetType, e.TargetID = audit.TargetUser, u.ID
	}
	e = audit.Stamp(ctx, s.now(), e)
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.InsertAudit(ctx, e) }); err != nil {
		s.log.Warn("audit: record failed login", "err", err)
	}
}

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error()) // the OS RNG never fails on Linux
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// newSession creates a session for a user who has just proved who they are,
// and records action (a login) in the audit trail in the same transaction.
func (s *Service) newSession(ctx context.Context, u account.User, kind, addr, ua string, action audit.Action) (string, Session, error) {
	if kind != KindCookie {
		kind = KindToken
	}
	tok := randomToken("pt_", 32)
	now := s.now()
	if len(ua) > 256 {
		ua = ua[:256]
	}
	sess := Session{Org: u.Org, User: u.ID, TokenHash: hashToken(tok), Kind: kind, UserAgent: ua, Address: addr,
		CreatedAt: now, ExpiresAt: now.Add(SessionLifetime)}
	if kind == KindCookie {
		sess.CSRF = randomToken("", 24)
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sess, err = tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, now, audit.Entry{Org: u.Org, Actor: u.ID, Action: action,
			TargetType: audit.TargetSession, TargetID: sess.ID, Address: addr, UserAgent: ua, Outcome: audit.Success,
			Details: map[string]string{"kind": kind}}))
	})
	return tok, sess, err
}

// SessionFor logs a user in without a password (right after setup).
func (s *Service) SessionFor(ctx context.Context, u account.User, kind, addr, ua string) (string, Session, error) {
	tok, sess, err := s.newSession(ctx, u, kind, addr, ua, audit.LoginSucceeded)
	if err != nil {
		return "", Session{}, errs.E("auth.SessionFor", errs.Other, "", err)
	}
	return tok, sess, nil
}

// Authenticate turns a token into the acting user. Unknown, expired and
// revoked tokens, and tokens of deactivated users, are Unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (account.Actor, Session, error) {
	const op = "auth.Authenticate"
	if token == "" || len(token) > 128 {
		return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "unauthenticated")
	}
	sess, u, err := s.store.SessionUser(ctx, hashToken(token))
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "unauthenticated")
		}
		return account.Actor{}, Session{}, errs.E(op, errs.Other, "", err)
	}
	if !s.now().Before(sess.ExpiresAt) {
		return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "session_expired")
	}
	if !u.Active {
		return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "user_deactivated")
	}
	return account.ActorOf(u), sess, nil
}

// CheckCSRF reports whether the header token matches the session's.
func CheckCSRF(sess Session, header string) bool {
	if sess.Kind != KindCookie {
		return true
	}
	return header != "" && subtle.ConstantTimeCompare([]byte(sess.CSRF), []byte(header)) == 1
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sess Session) error {
	err := s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, sess.ID); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), audit.Entry{Org: sess.Org, Actor: sess.User, Action: audit.Logout,
			TargetType: audit.TargetSession, TargetID: sess.ID, Outcome: audit.Success}))
	})
	if err != nil {
		return errs.E("auth.Logout", errs.Other, "", err)
	}
	return nil
}

// NewSetupToken creates the one-time token that authorises first-run setup.
func (s *Service) NewSetupToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setupToken = randomToken("", 24)
	return s.setupToken
}

// ConsumeSetupToken checks the setup token and invalidates it on success.
func (s *Service) ConsumeSetupToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setupToken == "" || subtle.ConstantTimeCompare([]byte(s.setupToken), []byte(tok)) != 1 {
		return false
	}
	s.setupToken = ""
	return true
}

// RestoreSetupToken puts a consumed token back when setup failed, so the
// operator can retry with the same link.
func (s *Service) RestoreSetupToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.setupToken == "" {
		s.setupToken = tok
	}
}
