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

func TestLockoutBacksOff(t *testing.T) {
	for _, c := range []struct {
		failures int
		want     time.Duration
	}{{0, 0}, {4, 0}, {5, time.Minute}, {9, time.Minute}, {10, 2 * time.Minute}, {15, 4 * time.Minute},
		{30, 32 * time.Minute}, {35, time.Hour}, {1 << 40, time.Hour}} {
		if got := lockFor(c.failures); got != c.want {
			t.Errorf("lockFor(%d) = %v, want %v", c.failures, got, c.want)
		}
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := LoginFailures{Failures: 10, Last: t0, ForgetAt: t0.Add(window + 2*time.Minute)}
	if w := f.wait(t0.Add(30 * time.Second)); w != 90*time.Second {
		t.Errorf("wait during the lockout: %v", w)
	}
	if w := f.wait(t0.Add(2 * time.Minute)); w != 0 {
		t.Errorf("wait after the lockout: %v", w)
	}
	// A forgotten count locks nothing, whatever it says.
	f.ForgetAt = t0
	if w := f.wait(t0); w != 0 {
		t.Errorf("wait of a forgotten count: %v", w)
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
