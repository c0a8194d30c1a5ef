package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
)

func TestPasswordHash(t *testing.T) {
	var h Hasher
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected hash format %q", hash)
	}
	if !h.Verify(hash, "correct horse") {
		t.Error("right password refused")
	}
	if h.Verify(hash, "correct horsE") {
		t.Error("wrong password accepted")
	}
	other, _ := h.Hash("correct horse")
	if other == hash {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=99999999,t=2,p=1$c2FsdA$a2V5", strings.Replace(hash, "$v=19$", "$v=18$", 1)} {
		if h.Verify(bad, "correct horse") {
			t.Errorf("malformed hash %q verified", bad)
		}
	}
}

// clock is a controllable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLimiterLocksOutAndBacksOff(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(c.now)
	for i := 0; i < maxFailures-1; i++ {
		l.fail("li", "10.0.0.1")
	}
	if l.blocked("li", "10.0.0.1") != 0 {
		t.Fatal("blocked before the limit")
	}
	l.fail("li", "10.0.0.1")
	if w := l.blocked("li", "10.0.0.2"); w != firstLockout {
		t.Fatalf("account lockout from another address: %v, want %v", w, firstLockout)
	}
	if w := l.blocked("zhang", "10.0.0.1"); w != firstLockout {
		t.Fatalf("address lockout for another account: %v, want %v", w, firstLockout)
	}
	c.advance(firstLockout)
	if l.blocked("li", "10.0.0.3") != 0 {
		t.Fatal("still blocked after the lockout")
	}
	// A second burst doubles the lockout.
	for i := 0; i < maxFailures; i++ {
		l.fail("li", "10.0.0.3")
	}
	if w := l.blocked("li", "10.0.0.4"); w != 2*firstLockout {
		t.Fatalf("second lockout %v, want %v", w, 2*firstLockout)
	}
	// Success clears the account (not the address).
	l.success("li")
	if l.blocked("li", "10.0.0.4") != 0 {
		t.Fatal("account still blocked after a successful login")
	}
	if l.blocked("someone", "10.0.0.3") == 0 {
		t.Fatal("address unblocked by another account's success")
	}
}

func TestCSRF(t *testing.T) {
	s := Session{Kind: KindCookie, CSRF: "abc"}
	if CheckCSRF(s, "") || CheckCSRF(s, "abd") || !CheckCSRF(s, "abc") {
		t.Error("cookie session CSRF check wrong")
	}
	if !CheckCSRF(Session{Kind: KindToken}, "") {
		t.Error("bearer tokens need no CSRF token")
	}
}

func TestSetupTokenIsOneTime(t *testing.T) {
	s := &Service{}
	tok := s.NewSetupToken()
	if s.ConsumeSetupToken("wrong") {
		t.Fatal("wrong token accepted")
	}
	if !s.ConsumeSetupToken(tok) {
		t.Fatal("right token refused")
	}
	if s.ConsumeSetupToken(tok) {
		t.Fatal("token accepted twice")
	}
	s.RestoreSetupToken(tok)
	if !s.ConsumeSetupToken(tok) {
		t.Fatal("restored token refused")
	}
}

func accountUser(email, username, name string) account.User {
	return account.User{Email: email, Username: username, DisplayName: name}
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return errs.CodeOf(err)
}
