package auth

import (
	"strings"
	"testing"
	"time"
)

// RFC 6238 appendix B, SHA-1 rows: the 8-digit values; the 6-digit code is
// their last six digits.
func TestTOTPMatchesRFC6238(t *testing.T) {
	secret := []byte("12345678901234567890")
	for _, tc := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		step := totpStep(time.Unix(tc.unix, 0))
		if got := hotp(secret, step, 8); got != tc.want {
			t.Errorf("T=%d: %s, want %s", tc.unix, got, tc.want)
		}
		if got := hotp(secret, step, 6); got != tc.want[2:] {
			t.Errorf("T=%d 6 digits: %s, want %s", tc.unix, got, tc.want[2:])
		}
	}
	code, err := CodeAt(b32.EncodeToString(secret), time.Unix(59, 0))
	if err != nil || code != "287082" {
		t.Fatalf("CodeAt: %q %v", code, err)
	}
}

func TestMatchTOTPWindowAndReplay(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	cur := totpStep(now)
	code := hotp(secret, cur, 6)
	step, ok := matchTOTP(secret, code, now, 0)
	if !ok || step != cur {
		t.Fatalf("current code refused: %v %d", ok, step)
	}
	// The same code after it was accepted (after = its step): refused.
	if _, ok := matchTOTP(secret, code, now, cur); ok {
		t.Fatal("replayed code accepted in its window")
	}
	// One step of drift either way is fine; two are not.
	if _, ok := matchTOTP(secret, hotp(secret, cur+1, 6), now, 0); !ok {
		t.Fatal("next step refused")
	}
	if _, ok := matchTOTP(secret, hotp(secret, cur-2, 6), now, 0); ok {
		t.Fatal("code two steps old accepted")
	}
	if _, ok := matchTOTP(secret, "12345", now, 0); ok {
		t.Fatal("short code accepted")
	}
	uri := otpauthURI("Parley", "li@acme.test", secret)
	if !strings.HasPrefix(uri, "otpauth://totp/Parley:li@acme.test?") || !strings.Contains(uri, "secret="+b32.EncodeToString(secret)) ||
		!strings.Contains(uri, "issuer=Parley") {
		t.Fatalf("uri %s", uri)
	}
}

func TestPolicyCheck(t *testing.T) {
	u := accountUser("li.lei@acme.test", "lilei", "李雷 Li Lei")
	p := Policy{MinLength: 10, MinClasses: 3}
	for pw, code := range map[string]string{
		"short":                  "password_too_short",
		"alllowercaseletters":    "password_too_simple",
		"Lowercase and Upper":    "", // lower, upper, other (spaces)
		"Password1234":           "",
		"My lilei secret!":       "password_contains_name",
		"LI.LEI-2026-xx":         "password_contains_name",
		"my 李雷 Li Lei password":  "password_contains_name",
		"\xff\xfe invalid utf-8": "password_invalid_utf8",
	} {
		err := p.Check("test", pw, u)
		if got := codeOf(err); got != code {
			t.Errorf("%q: %q, want %q", pw, got, code)
		}
	}
	// The common-password list, case-insensitively, at the default policy.
	for _, pw := range []string{"baseball", "BaseBall", "iloveyou", "qwertyuiop"} {
		if got := codeOf(DefaultPolicy.Check("test", pw, u)); got != "password_too_common" {
			t.Errorf("%q: %q, want password_too_common", pw, got)
		}
	}
	if n := len(commonPasswords); n != 10000 {
		t.Errorf("common password list has %d entries, want 10000", n)
	}
	for _, bad := range []Policy{{MinLength: 7, MinClasses: 1}, {MinLength: 65, MinClasses: 1}, {MinLength: 8, MinClasses: 0}, {MinLength: 8, MinClasses: 5}} {
		if bad.validate("test") == nil {
			t.Errorf("policy %+v accepted", bad)
		}
	}
}
