package account

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCleanText checks that accepted names are valid UTF-8, trimmed, within
// limits and free of control and bidi characters.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"李雷", " padded ", "pay\u202Egnp.exe", "a\x1bb", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CleanText("fuzz", "name", s, 1, MaxNameLen)
		if err != nil {
			return
		}
		if !utf8.ValidString(out) || out != strings.TrimSpace(out) || out == "" || utf8.RuneCountInString(out) > MaxNameLen {
			t.Fatalf("accepted %q", out)
		}
		for _, r := range out {
			if IsForbiddenRune(r, false) {
				t.Fatalf("accepted forbidden %U in %q", r, out)
			}
		}
	})
}

// FuzzCleanUsername checks the username alphabet.
func FuzzCleanUsername(f *testing.F) {
	for _, s := range []string{"li.lei", "Bob", "-x", "a", "名字", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CleanUsername("fuzz", s)
		if err != nil {
			return
		}
		if len(out) < 2 || len(out) > MaxUsernameLength || out != strings.ToLower(out) {
			t.Fatalf("accepted %q", out)
		}
		for _, r := range out {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
				t.Fatalf("accepted %q", out)
			}
		}
	})
}

// FuzzCleanEmail checks that accepted addresses are lower-case and plain.
func FuzzCleanEmail(f *testing.F) {
	for _, s := range []string{"a@b.test", "A@B.TEST", "\"x\" <a@b.c>", "no-at", "a@b\x00.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CleanEmail("fuzz", s)
		if err != nil {
			return
		}
		if out != strings.ToLower(out) || !strings.Contains(out, "@") || strings.ContainsAny(out, " <>\"\x00") {
			t.Fatalf("accepted %q", out)
		}
	})
}
