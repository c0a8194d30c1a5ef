package auth_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

type encoder struct{}

func (encoder) EncodeEvent(typ string, seq int64, payload any) ([]byte, error) {
	return json.Marshal(map[string]any{"seq": seq, "type": typ})
}

// testClock is a controllable clock, safe for the store's goroutine.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const password = "correct-horse-battery"

// fixture is the auth service on a real SQLite store with a controllable
// clock, and one user.
func fixture(t *testing.T) (*auth.Service, *testClock, account.User) {
	t.Helper()
	clk := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.SQLite(t).Open(t, store.Options{Now: clk.now})
	svc := auth.NewService(store.Auth{DB: db}, encoder{}, clk.now, slog.New(slog.DiscardHandler))
	accounts := account.NewService(store.Accounts{DB: db}, encoder{}, svc, clk.now)
	_, owner, err := accounts.Bootstrap(context.Background(), account.BootstrapInput{OrgName: "Acme", Email: "li@acme.test",
		Username: "li", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	return svc, clk, owner
}

func code(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	return errs.CodeOf(err)
}

// enrol turns 2FA on for u at the clock's time and returns the secret and
// the recovery codes.
func enrol(t *testing.T, svc *auth.Service, clk *testClock, u account.User, sess auth.Session) (string, []string) {
	t.Helper()
	ctx := context.Background()
	e, err := svc.BeginTwoFactor(ctx, account.ActorOf(u))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := auth.CodeAt(e.Secret, clk.now())
	codes, err := svc.EnableTwoFactor(ctx, account.ActorOf(u), sess, c)
	if err != nil || len(codes) != 10 {
		t.Fatalf("enable: %v %v", codes, err)
	}
	return e.Secret, codes
}

func TestTwoStepLoginRefusesReplayedCodes(t *testing.T) {
	svc, clk, u := fixture(t)
	ctx := context.Background()
	res, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"})
	if err != nil || res.SecondFactor {
		t.Fatalf("login before 2FA: %+v %v", res, err)
	}
	secret, recovery := enrol(t, svc, clk, u, res.Session)

	res, err = svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"})
	if err != nil || !res.SecondFactor || res.Token == "" {
		t.Fatalf("login with 2FA: %+v %v", res, err)
	}
	// The challenge is no session.
	if _, _, err := svc.Authenticate(ctx, res.Token); code(t, err) != "two_factor_required" {
		t.Fatalf("challenge used as a session: %v", err)
	}
	// The code that confirmed enrolment is spent for its window.
	same, _ := auth.CodeAt(secret, clk.now())
	_, err = svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res.Token, Code: same, Address: "10.0.0.1"})
	if code(t, err) != "two_factor_code_used" {
		t.Fatalf("replayed code: %v", err)
	}
	clk.advance(30 * time.Second)
	next, _ := auth.CodeAt(secret, clk.now())
	done, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res.Token, Code: next, Address: "10.0.0.1"})
	if err != nil || done.Token == "" || done.SecondFactor {
		t.Fatalf("second step: %+v %v", done, err)
	}
	if a, _, err := svc.Authenticate(ctx, done.Token); err != nil || a.User != u.ID {
		t.Fatalf("session after 2FA: %v", err)
	}
	// The challenge worked once.
	_, err = svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res.Token, Code: next, Address: "10.0.0.1"})
	if code(t, err) != "challenge_invalid" {
		t.Fatalf("challenge reused: %v", err)
	}
	// A new login in the same window cannot reuse that code either.
	res2, _ := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"})
	if _, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res2.Token, Code: next, Address: "10.0.0.1"}); code(t, err) != "two_factor_code_used" {
		t.Fatalf("code replayed on a new login: %v", err)
	}
	// A recovery code works once.
	if _, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res2.Token, RecoveryCode: " " + recovery[3] + " ", Address: "10.0.0.1"}); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	res3, _ := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"})
	if _, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res3.Token, RecoveryCode: recovery[3], Address: "10.0.0.1"}); code(t, err) != "two_factor_code_invalid" {
		t.Fatalf("recovery code reused: %v", err)
	}
	st, _ := svc.TwoFactor(ctx, account.ActorOf(u))
	if !st.Enabled || st.RecoveryCodesLeft != 9 {
		t.Fatalf("status %+v", st)
	}
	// The challenge expires.
	clk.advance(auth.ChallengeLifetime)
	c, _ := auth.CodeAt(secret, clk.now())
	if _, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res3.Token, Code: c, Address: "10.0.0.1"}); code(t, err) != "challenge_invalid" {
		t.Fatalf("expired challenge: %v", err)
	}
}

func TestWrongCodesLockTheAccount(t *testing.T) {
	svc, clk, u := fixture(t)
	ctx := context.Background()
	res, _ := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"})
	secret, _ := enrol(t, svc, clk, u, res.Session)
	clk.advance(30 * time.Second)
	ch, _ := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.2"})
	for i := range 5 {
		// Each attempt from another address: the lock is on the account.
		_, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: ch.Token, Code: "000000", Address: "10.0.1." + string(rune('1'+i))})
		if code(t, err) != "two_factor_code_invalid" {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	right, _ := auth.CodeAt(secret, clk.now())
	_, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: ch.Token, Code: right, Address: "10.0.2.1"})
	if code(t, err) != "too_many_attempts" {
		t.Fatalf("right code during the lockout: %v", err)
	}
	// The password step is locked too, whatever address.
	if _, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.3.1"}); code(t, err) != "too_many_attempts" {
		t.Fatalf("password step during the lockout: %v", err)
	}
	clk.advance(time.Minute)
	ch, _ = svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.3.1"})
	right, _ = auth.CodeAt(secret, clk.now())
	if _, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: ch.Token, Code: right, Address: "10.0.3.1"}); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestAccessTokensExpire(t *testing.T) {
	svc, clk, u := fixture(t)
	ctx := context.Background()
	tok, s, err := svc.CreateToken(ctx, account.ActorOf(u), auth.NewToken{Name: "ci", Scope: auth.ScopeRead, ExpiresIn: 24 * time.Hour})
	if err != nil || s.Kind != auth.KindPAT || s.Scope != auth.ScopeRead {
		t.Fatalf("create: %+v %v", s, err)
	}
	if _, got, err := svc.Authenticate(ctx, tok); err != nil || got.ID != s.ID {
		t.Fatalf("fresh token: %v", err)
	}
	clk.advance(24 * time.Hour)
	if _, _, err := svc.Authenticate(ctx, tok); code(t, err) != "token_expired" {
		t.Fatalf("expired token: %v", err)
	}
	// Still listed, so its owner sees why a script stopped.
	ts, _ := svc.Tokens(ctx, account.ActorOf(u))
	if len(ts) != 1 || ts[0].Name != "ci" {
		t.Fatalf("tokens %+v", ts)
	}
	for _, bad := range []auth.NewToken{{Name: "", ExpiresIn: time.Hour * 24}, {Name: "x", Scope: "admin", ExpiresIn: time.Hour * 24},
		{Name: "x", ExpiresIn: 400 * 24 * time.Hour}, {Name: "x"}} {
		if _, _, err := svc.CreateToken(ctx, account.ActorOf(u), bad); errs.KindOf(err) != errs.Invalid {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// TestExternalLoginsUnderThePolicy: an identity provider's sign-in skips
// Parley's second factor unless the organisation asks for it; then it is
// a login like a right password: a challenge for a user with TOTP, and
// under enforcement an enrol-only session for one without.
func TestExternalLoginsUnderThePolicy(t *testing.T) {
	svc, clk, u := fixture(t)
	ctx := context.Background()
	in := auth.ExternalInput{Kind: auth.KindCookie, Address: "10.0.0.1"}
	owner := account.ActorOf(u)
	on := true
	if _, err := svc.UpdatePolicy(ctx, owner, auth.PolicyPatch{Require2FA: &on}); err != nil {
		t.Fatal(err)
	}
	// Off by default: even under enforcement, a full session.
	res, err := svc.LoginExternal(ctx, u, in)
	if err != nil || res.SecondFactor || res.MustEnrol || res.Session.Pending != "" {
		t.Fatalf("default: %+v %v", res, err)
	}
	if _, err := svc.UpdatePolicy(ctx, owner, auth.PolicyPatch{SSORequire2FA: &on}); err != nil {
		t.Fatal(err)
	}
	res, err = svc.LoginExternal(ctx, u, in)
	if err != nil || !res.MustEnrol || res.Session.Pending != auth.PendingEnrol {
		t.Fatalf("under enforcement without TOTP: %+v %v", res, err)
	}
	secret, _ := enrol(t, svc, clk, u, res.Session)
	clk.advance(30 * time.Second)
	res, err = svc.LoginExternal(ctx, u, in)
	if err != nil || !res.SecondFactor || res.Token == "" {
		t.Fatalf("with TOTP: %+v %v", res, err)
	}
	if _, _, err := svc.Authenticate(ctx, res.Token); code(t, err) != "two_factor_required" {
		t.Fatalf("the challenge used as a session: %v", err)
	}
	c, _ := auth.CodeAt(secret, clk.now())
	done, err := svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: res.Token, Code: c, Address: "10.0.0.1"})
	if err != nil || done.Session.Kind != auth.KindCookie || done.Session.Pending != "" {
		t.Fatalf("second step: %+v %v", done, err)
	}
	// Wrong codes after an SSO sign-in lock the account as after a password.
	clk.advance(30 * time.Second)
	ch, _ := svc.LoginExternal(ctx, u, in)
	for range 5 {
		svc.LoginSecondFactor(ctx, auth.SecondFactorInput{Challenge: ch.Token, Code: "000000", Address: "10.0.0.2"})
	}
	if _, err := svc.LoginExternal(ctx, u, in); code(t, err) != "too_many_attempts" {
		t.Fatalf("sso sign-in during the lockout: %v", err)
	}
	if _, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.3"}); code(t, err) != "too_many_attempts" {
		t.Fatalf("password login during the lockout: %v", err)
	}
}

// countingStore counts the lockout's statements: what the hot path costs.
type countingStore struct {
	store.Auth
	reads, counts, clears int
	mu                    sync.Mutex
}

type countingTx struct {
	auth.Tx
	s *countingStore
}

func (c *countingStore) LoginFailures(ctx context.Context, subjects []string) ([]auth.LoginFailures, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Auth.LoginFailures(ctx, subjects)
}

func (c *countingStore) Update(ctx context.Context, fn func(auth.Tx) error) error {
	return c.Auth.Update(ctx, func(tx auth.Tx) error { return fn(countingTx{tx, c}) })
}

func (t countingTx) CountLoginFailures(ctx context.Context, fs []auth.LoginFailures) ([]auth.LoginFailures, error) {
	t.s.mu.Lock()
	t.s.counts++
	t.s.mu.Unlock()
	return t.Tx.CountLoginFailures(ctx, fs)
}

func (t countingTx) ClearLoginFailures(ctx context.Context, subjects []string) error {
	t.s.mu.Lock()
	t.s.clears++
	t.s.mu.Unlock()
	return t.Tx.ClearLoginFailures(ctx, subjects)
}

// TestLockoutHotPath: a login reads the counters once; a failure is one
// counting statement (for the name and the address together); a success
// writes nothing to the counters unless there are failures to clear.
func TestLockoutHotPath(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	db := storetest.SQLite(t).Open(t, store.Options{Now: clk.now})
	st := &countingStore{Auth: store.Auth{DB: db}}
	svc := auth.NewService(st, encoder{}, clk.now, slog.New(slog.DiscardHandler))
	accounts := account.NewService(store.Accounts{DB: db}, encoder{}, svc, clk.now)
	_, u, err := accounts.Bootstrap(context.Background(), account.BootstrapInput{OrgName: "Acme", Email: "li@acme.test",
		Username: "li", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	check := func(what string, reads, counts, clears int) {
		t.Helper()
		if st.reads != reads || st.counts != counts || st.clears != clears {
			t.Fatalf("%s: %d reads, %d counting and %d clearing statements; want %d, %d, %d",
				what, st.reads, st.counts, st.clears, reads, counts, clears)
		}
	}
	if _, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	check("a clean success", 1, 0, 0)
	if _, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: "wrong", Address: "10.0.0.1"}); code(t, err) != "invalid_credentials" {
		t.Fatal(err)
	}
	check("a failure", 2, 1, 0)
	if _, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	check("a success after a failure", 3, 1, 1)
	if _, err := svc.Login(ctx, auth.LoginInput{Login: u.Email, Password: password, Address: "10.0.0.1"}); err != nil {
		t.Fatal(err)
	}
	check("a success once cleared", 4, 1, 1)
}
