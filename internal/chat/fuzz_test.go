package chat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/account"
)

// FuzzCleanMessageText checks that accepted text is valid UTF-8, within the
// limit, free of control characters other than newline and tab, and never
// silently shortened.
func FuzzCleanMessageText(f *testing.F) {
	for _, s := range []string{"hello", "", " \n", "企业数据安全合规要求", "a\x00b", "\xff", "line\r\nbreak", "\u202Eevil", "👍🏽"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CleanMessageText("fuzz", s)
		if err != nil {
			return
		}
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > MaxMessageLen || strings.TrimSpace(out) == "" {
			t.Fatalf("accepted bad text %q", out)
		}
		for _, r := range out {
			if r == '\r' || (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f {
				t.Fatalf("control character %U accepted", r)
			}
		}
		if out != strings.ReplaceAll(s, "\r\n", "\n") {
			t.Fatalf("text changed beyond CRLF normalisation: %q -> %q", s, out)
		}
	})
}

// FuzzParseMentions checks that mentions are well-formed usernames.
func FuzzParseMentions(f *testing.F) {
	for _, s := range []string{"hi @bob", "@all @here @channel", "mail me@x.com", "`@code` @real", "```\n@fenced\n```\n@after", "@@@", "@中文", "@a.b-c_d."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := parseMentions(s)
		seen := map[string]bool{}
		for _, u := range m.users {
			if seen[u] {
				t.Fatalf("duplicate mention %q", u)
			}
			seen[u] = true
			if _, err := account.CleanUsername("fuzz", u); err != nil && len(u) <= account.MaxUsernameLength {
				// Mentions are looked up, never created, so an impossible
				// name is harmless; but it must be lower-case ASCII.
				for _, r := range u {
					if r >= 'A' && r <= 'Z' || r > 127 {
						t.Fatalf("mention %q not lower-case ASCII", u)
					}
				}
			}
		}
	})
}

// FuzzValidEmoji checks that accepted emoji carry no letters, digits alone,
// spaces or control characters.
func FuzzValidEmoji(f *testing.F) {
	for _, s := range []string{"👍", "👍🏽", "🇨🇳", "1️⃣", "a", "", " ", "👨‍👩‍👧", "\u200d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidEmoji(s) {
			return
		}
		if len(s) > 64 || strings.ContainsAny(s, " \t\n/%<>\"'") {
			t.Fatalf("accepted %q", s)
		}
	})
}

// FuzzCleanClientID checks the idempotency key alphabet.
func FuzzCleanClientID(f *testing.F) {
	for _, s := range []string{"c-1", "", "a b", "x:y.z_1", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CleanClientID("fuzz", s)
		if err != nil {
			return
		}
		if out != s || len(out) == 0 || len(out) > MaxClientIDLen {
			t.Fatalf("accepted %q", s)
		}
	})
}
