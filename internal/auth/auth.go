// Package auth owns how people prove who they are: password hashing and the
// organisation's password policy, TOTP two-factor login with recovery codes,
// sessions (browser cookies with CSRF tokens, bearer tokens, personal access
// tokens), login rate limiting and the one-time setup token. It turns credentials into an
// account.Actor for the domain services.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Session is a login: a browser cookie, an API token from a password login,
// or a personal access token. Only the SHA-256 of the token is stored.
type Session struct {
	ID        int64
	Org       int64
	User      int64
	TokenHash []byte
	Kind      string // KindCookie, KindToken or KindPAT
	CSRF      string
	UserAgent string
	Address   string
	Name      string // personal access tokens: the owner's label; login challenges: the first step's method
	Scope     string // personal access tokens: ScopeRead or ScopeWrite
	// Pending is a step still owed: PendingTOTP (a login challenge, not
	// usable as a session) or PendingEnrol (may only set up 2FA).
	Pending    string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt time.Time
}

// Session kinds.
const (
	KindCookie = "cookie"
	KindToken  = "token"
	KindPAT    = "pat"
)

// Pending steps of a session.
const (
	PendingTOTP  = "totp"
	PendingEnrol = "enrol"
)

// Token scopes.
const (
	ScopeRead  = "read"  // GET requests only
	ScopeWrite = "write" // everything a token may do
)

// Lifetimes.
const (
	SessionLifetime   = 30 * 24 * time.Hour // how long a login lasts
	ChallengeLifetime = 5 * time.Minute     // how long the second login step may take
	touchEvery        = 5 * time.Minute     // how stale LastUsedAt may get
)

// Store is what auth needs from persistence. Reads return NotFound for
// missing rows.
type Store interface {
	// UserByLogin finds a user by e-mail or username with the password hash; NotFound.
	UserByLogin(ctx context.Context, login string) (account.User, string, error)
	User(ctx context.Context, org, id int64) (account.User, error)
	// SessionUser returns a session and its user by the token's hash;
	// NotFound for unknown tokens.
	SessionUser(ctx context.Context, hash []byte) (Session, account.User, error)
	// Sessions returns every session and token of a user, newest first.
	Sessions(ctx context.Context, org, user int64) ([]Session, error)
	PasswordHash(ctx context.Context, org, user int64) (string, error)
	// SecurityPolicy is NotFound for an organisation on the defaults.
	SecurityPolicy(ctx context.Context, org int64) (Policy, error)
	TOTP(ctx context.Context, org, user int64) (TOTP, error)
	RecoveryCodesLeft(ctx context.Context, org, user int64) (int, error)
	// LoginFailures returns the counters of those subjects that have one
	// (forgotten ones included).
	LoginFailures(ctx context.Context, subjects []string) ([]LoginFailures, error)
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is a write transaction.
type Tx interface {
	TOTP(ctx context.Context, org, user int64) (TOTP, error)
	InsertSession(ctx context.Context, s Session) (Session, error)
	UpdateSession(ctx context.Context, s Session) error
	DeleteSession(ctx context.Context, id int64) error
	DeleteSessionsExcept(ctx context.Context, org, user, keep int64) error
	SetPasswordHash(ctx context.Context, org, user int64, hash string) error
	PutSecurityPolicy(ctx context.Context, org int64, p Policy) error
	PutTOTP(ctx context.Context, t TOTP) error
	// AdvanceTOTP stores step as the last used one if it is later; false
	// when it is not (the code was used already).
	AdvanceTOTP(ctx context.Context, org, user, step int64) (bool, error)
	DeleteTOTP(ctx context.Context, org, user int64) error
	ReplaceRecoveryCodes(ctx context.Context, org, user int64, hashes [][]byte) error
	// UseRecoveryCode spends an unused code; false when there is none.
	UseRecoveryCode(ctx context.Context, org, user int64, hash []byte, at time.Time) (bool, error)
	// Emit stores an event, published after commit (here: revocations that
	// close WebSocket streams).
	Emit(ctx context.Context, ev event.Event, render func(seq int64) ([]byte, error)) error
	// InsertAudit appends to the audit trail in the same transaction.
	InsertAudit(ctx context.Context, e audit.Entry) error
	// CountLoginFailures counts one failure of each subject, in one
	// statement: a subject without a counter, or whose stored ForgetAt is
	// not after the failure's Last, starts at 1, else its count goes up by
	// one; Last and ForgetAt are stored as given. It returns the counters
	// as stored. Subjects must be distinct.
	CountLoginFailures(ctx context.Context, fs []LoginFailures) ([]LoginFailures, error)
	ClearLoginFailures(ctx context.Context, subjects []string) error
	// DeleteForgottenLoginFailures deletes the counters forgotten at now.
	DeleteForgottenLoginFailures(ctx context.Context, now time.Time) error
}

// Encoder renders event payloads in the public wire format.
type Encoder interface {
	EncodeEvent(typ string, seq int64, payload any) ([]byte, error)
}

// Revocation is the payload of a "session.revoked" event: which of the
// user's streams to close. Session 0 and Keep 0 mean all of them.
type Revocation struct {
	Session int64 // only this session's streams
	Keep    int64 // every stream but this session's
}

// Service authenticates users.
type Service struct {
	store  Store
	enc    Encoder
	hasher Hasher
	now    func() time.Time
	log    *slog.Logger
	issuer string // shown in authenticator apps

	mu         sync.Mutex
	setupToken string // one-time token printed at first start; "" once used
}

// NewService returns an auth service.
func NewService(st Store, enc Encoder, now func() time.Time, log *slog.Logger) *Service {
	return &Service{store: st, enc: enc, now: now, log: log, issuer: "Parley"}
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

// LoginResult is the outcome of a successful login step.
type LoginResult struct {
	Token   string // the session token, or with SecondFactor the challenge
	Session Session
	User    account.User
	// SecondFactor: the password was right and the user has 2FA; Token is
	// a challenge for LoginSecondFactor, valid ChallengeLifetime.
	SecondFactor bool
	// MustEnrol: the organisation requires 2FA and the user has none; the
	// session may only set it up (Pending is PendingEnrol).
	MustEnrol bool
}

// dummyHash is verified against when the account does not exist, so that a
// failed login takes the same time whether or not the account exists.
var dummyHash = func() string { h, _ := Hasher{}.Hash("parley-dummy-password"); return h }()

// Login checks a password. With 2FA on, it returns a challenge for the
// second step instead of a session. Failures are rate-limited per account
// and per client address (RateLimited); wrong credentials are
// Unauthenticated "invalid_credentials" whatever was wrong.
func (s *Service) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	const op = "auth.Login"
	login := strings.ToLower(strings.TrimSpace(in.Login))
	if login == "" || len(login) > 254 || in.Password == "" || len(in.Password) > 1024 {
		return LoginResult{}, errs.New(op, errs.Invalid, "credentials_required")
	}
	u, hash, err := s.store.UserByLogin(ctx, login)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return LoginResult{}, errs.E(op, errs.Other, "", err)
	}
	known := err == nil
	byName, byAddr, byUser := loginSubject(login), addrSubject(in.Address), ""
	subjects := []string{byName, byAddr}
	if known {
		byUser = userSubject(u.ID)
		subjects = append(subjects, byUser)
	}
	c, err := s.readFailures(ctx, op, subjects...)
	if err != nil {
		return LoginResult{}, err
	}
	if wait := c.wait(s.now(), byName, byAddr); wait > 0 {
		return LoginResult{}, tooMany(op, wait)
	}
	if !known {
		hash = dummyHash
	}
	ok := s.hasher.Verify(hash, in.Password) && known
	if !ok || !u.Active {
		s.log.Info("login failed", "login", login, "address", in.Address)
		reason := "unknown_login"
		switch {
		case known && !ok:
			reason = "wrong_password"
		case known:
			reason = "user_deactivated"
		}
		s.recordFailure(ctx, u, c, []string{byName, byAddr}, map[string]string{"login": login, "reason": reason}, in.Address, in.UserAgent)
		return LoginResult{}, errs.New(op, errs.Unauthenticated, "invalid_credentials")
	}
	// Second-factor failures lock the account whatever name is typed.
	if wait := c.wait(s.now(), byUser); wait > 0 {
		return LoginResult{}, tooMany(op, wait)
	}
	// The password was right: the name typed starts afresh.
	return s.afterFirstFactor(ctx, op, u, c, []string{byName}, in.Kind, in.Address, in.UserAgent, "password", true)
}

// afterFirstFactor finishes a login whose first factor is proven (a
// password, or an identity provider's sign-in): a challenge for the second
// step when the user has TOTP and twoFactor applies, else a session (that
// may only enrol when the organisation requires 2FA and twoFactor
// applies). The subjects in clear forget their failures in the same
// transaction.
func (s *Service) afterFirstFactor(ctx context.Context, op string, u account.User, c counts, clear []string,
	kind, addr, ua, method string, twoFactor bool) (LoginResult, error) {
	if twoFactor {
		t, err := s.store.TOTP(ctx, u.Org, u.ID)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return LoginResult{}, errs.E(op, errs.Other, "", err)
		}
		if err == nil && t.Enabled {
			tok, sess, err := s.newChallenge(ctx, u, kind, addr, ua, method, c, clear)
			if err != nil {
				return LoginResult{}, errs.E(op, errs.Other, "", err)
			}
			return LoginResult{Token: tok, Session: sess, User: u, SecondFactor: true}, nil
		}
	}
	pending := ""
	if twoFactor {
		pol, err := s.policy(ctx, u.Org)
		if err != nil {
			return LoginResult{}, err
		}
		if pol.Require2FA {
			pending = PendingEnrol
		}
	}
	tok, sess, err := s.newSession(ctx, u, kind, addr, ua, pending, map[string]string{"method": method}, func(tx Tx) error {
		return c.clear(ctx, tx, clear...)
	})
	if err != nil {
		return LoginResult{}, errs.E(op, errs.Other, "", err)
	}
	return LoginResult{Token: tok, Session: sess, User: u, MustEnrol: pending == PendingEnrol}, nil
}

func tooMany(op string, wait time.Duration) error {
	return errs.New(op, errs.RateLimited, "too_many_attempts").With("seconds", int(wait.Seconds())+1)
}

// recordFailure counts a failed login of the subjects and writes it to the
// audit trail, in one transaction: under the user's organisation when the
// login named a user, else under organisation 0 (seen by no organisation's
// admins). A failure to record is logged, not returned: the caller must get
// the same answer whether or not the account exists.
func (s *Service) recordFailure(ctx context.Context, u account.User, c counts, subjects []string, details map[string]string, addr, ua string) {
	now := s.now()
	e := audit.Entry{Org: u.Org, Action: audit.LoginFailed, Address: addr, UserAgent: ua, Outcome: audit.Failure, Details: details}
	if u.ID != 0 {
		e.TargetType, e.TargetID = audit.TargetUser, u.ID
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		lock, err := c.fail(ctx, tx, now, subjects...)
		if err != nil {
			return err
		}
		if lock > 0 {
			e.Details["locked_seconds"] = strconv.Itoa(int(lock.Seconds()))
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, now, e))
	})
	if err != nil {
		s.log.Error("count and record failed login", "err", err)
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

func cutUA(ua string) string {
	if len(ua) > 256 {
		ua = strings.ToValidUTF8(ua[:256], "")
	}
	return ua
}

// newSession creates a session for a user who has just proved who they are,
// and records the login in the audit trail in the same transaction; also,
// also, when not nil, runs in that transaction.
func (s *Service) newSession(ctx context.Context, u account.User, kind, addr, ua, pending string, details map[string]string,
	also func(Tx) error) (string, Session, error) {
	if kind != KindCookie {
		kind = KindToken
	}
	tok := randomToken("pt_", 32)
	now := s.now()
	sess := Session{Org: u.Org, User: u.ID, TokenHash: hashToken(tok), Kind: kind, UserAgent: cutUA(ua), Address: addr,
		Pending: pending, CreatedAt: now, ExpiresAt: now.Add(SessionLifetime), LastUsedAt: now}
	if kind == KindCookie {
		sess.CSRF = randomToken("", 24)
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sess, err = s.insertSession(ctx, tx, sess, details); err != nil || also == nil {
			return err
		}
		return also(tx)
	})
	return tok, sess, err
}

func (s *Service) insertSession(ctx context.Context, tx Tx, sess Session, details map[string]string) (Session, error) {
	sess, err := tx.InsertSession(ctx, sess)
	if err != nil {
		return Session{}, err
	}
	if details == nil {
		details = map[string]string{}
	}
	details["kind"] = sess.Kind
	if sess.Pending == PendingEnrol {
		details["must_enrol_2fa"] = "true"
	}
	err = tx.InsertAudit(ctx, audit.Stamp(ctx, sess.CreatedAt, audit.Entry{Org: sess.Org, Actor: sess.User,
		Action: audit.LoginSucceeded, TargetType: audit.TargetSession, TargetID: sess.ID, Address: sess.Address,
		UserAgent: sess.UserAgent, Outcome: audit.Success, Details: details}))
	return sess, err
}

// newChallenge stores the short-lived token of a login's second step; its
// Name is the first step's method. The subjects in clear forget their
// failures in the same transaction.
func (s *Service) newChallenge(ctx context.Context, u account.User, kind, addr, ua, method string, c counts, clear []string) (string, Session, error) {
	if kind != KindCookie {
		kind = KindToken
	}
	tok := randomToken("pc_", 32)
	now := s.now()
	sess := Session{Org: u.Org, User: u.ID, TokenHash: hashToken(tok), Kind: kind, UserAgent: cutUA(ua), Address: addr,
		Name: method, Pending: PendingTOTP, CreatedAt: now, ExpiresAt: now.Add(ChallengeLifetime)}
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sess, err = tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		return c.clear(ctx, tx, clear...)
	})
	return tok, sess, err
}

// SessionFor logs in a user whose identity was proven elsewhere: the owner
// right after setup (recorded with method "external"). Sign-ins through an
// identity provider go through LoginExternal.
func (s *Service) SessionFor(ctx context.Context, u account.User, kind, addr, ua string) (string, Session, error) {
	tok, sess, err := s.newSession(ctx, u, kind, addr, ua, "", map[string]string{"method": "external"}, nil)
	if err != nil {
		return "", Session{}, errs.E("auth.SessionFor", errs.Other, "", err)
	}
	return tok, sess, nil
}

// ExternalInput is a sign-in an identity provider (OIDC, SAML, LDAP) has
// proven.
type ExternalInput struct {
	Kind      string // KindCookie or KindToken
	Address   string
	UserAgent string
}

// LoginExternal logs in a user an identity provider has signed in. By
// default the provider owns the second factor: a session, recorded with
// method "external". When the organisation's policy sets SSORequire2FA, it
// is a login like a right password: a user with TOTP gets a challenge for
// LoginSecondFactor (RateLimited "too_many_attempts" while their wrong
// codes lock them out), and under Require2FA a user without TOTP gets a
// session that may only enrol.
func (s *Service) LoginExternal(ctx context.Context, u account.User, in ExternalInput) (LoginResult, error) {
	const op = "auth.LoginExternal"
	pol, err := s.policy(ctx, u.Org)
	if err != nil {
		return LoginResult{}, err
	}
	if !pol.SSORequire2FA {
		return s.afterFirstFactor(ctx, op, u, nil, nil, in.Kind, in.Address, in.UserAgent, "external", false)
	}
	byUser := userSubject(u.ID)
	c, err := s.readFailures(ctx, op, byUser)
	if err != nil {
		return LoginResult{}, err
	}
	if wait := c.wait(s.now(), byUser); wait > 0 {
		return LoginResult{}, tooMany(op, wait)
	}
	return s.afterFirstFactor(ctx, op, u, c, nil, in.Kind, in.Address, in.UserAgent, "external", true)
}

// SessionForNewUser logs in a user who has just created their account with
// a password (an accepted invitation). Like Login, it applies the
// organisation's 2FA requirement: the session may then only set up 2FA.
func (s *Service) SessionForNewUser(ctx context.Context, u account.User, kind, addr, ua string) (LoginResult, error) {
	const op = "auth.SessionForNewUser"
	pol, err := s.policy(ctx, u.Org)
	if err != nil {
		return LoginResult{}, err
	}
	pending := ""
	if pol.Require2FA {
		pending = PendingEnrol
	}
	tok, sess, err := s.newSession(ctx, u, kind, addr, ua, pending, map[string]string{"method": "invite"}, nil)
	if err != nil {
		return LoginResult{}, errs.E(op, errs.Other, "", err)
	}
	return LoginResult{Token: tok, Session: sess, User: u, MustEnrol: pending == PendingEnrol}, nil
}

// Authenticate turns a token into the acting user. Unknown, expired and
// revoked tokens, tokens of deactivated users, and login challenges are
// Unauthenticated ("session_expired", "token_expired" for personal access
// tokens, "user_deactivated", "two_factor_required").
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
	now := s.now()
	if sess.Pending == PendingTOTP {
		return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "two_factor_required")
	}
	if !now.Before(sess.ExpiresAt) {
		if sess.Kind == KindPAT {
			return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "token_expired")
		}
		return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "session_expired")
	}
	if !u.Active {
		return account.Actor{}, Session{}, errs.New(op, errs.Unauthenticated, "user_deactivated")
	}
	if now.Sub(sess.LastUsedAt) >= touchEvery {
		// Best effort: a failure here must not fail the request.
		sess.LastUsedAt = now
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.UpdateSession(ctx, sess) }); err != nil {
			s.log.Warn("touch session", "err", err)
		}
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
