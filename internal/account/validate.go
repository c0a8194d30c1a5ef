package account

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/errs"
)

// Limits on user-supplied text, in characters (runes).
const (
	MaxNameLen        = 80
	MaxStatusLen      = 140
	MaxEmailLen       = 254
	MaxURLLen         = 2048
	MinPasswordLen    = 8
	MaxPasswordLen    = 256
	MaxUsernameLength = 40
)

// CleanText validates a single-line, user-visible name: valid UTF-8, no
// control characters, no bidirectional overrides (which let a name display as
// something else), trimmed, between min and max runes. It returns the cleaned
// text or an Invalid error with a stable code built from field.
func CleanText(op, field, s string, min, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.New(op, errs.Invalid, field+"_invalid_utf8")
	}
	s = strings.TrimSpace(s)
	for _, r := range s {
		if IsForbiddenRune(r, false) {
			return "", errs.New(op, errs.Invalid, field+"_invalid_characters")
		}
	}
	n := utf8.RuneCountInString(s)
	if n < min {
		if n == 0 {
			return "", errs.New(op, errs.Invalid, field+"_required")
		}
		return "", errs.New(op, errs.Invalid, field+"_too_short").With("min", min)
	}
	if n > max {
		return "", errs.New(op, errs.Invalid, field+"_too_long").With("max", max)
	}
	return s, nil
}

// IsForbiddenRune reports control characters and bidirectional formatting
// characters. Multi-line text (messages) may contain newlines and tabs.
func IsForbiddenRune(r rune, multiline bool) bool {
	if multiline && (r == '\n' || r == '\t' || r == '\r') {
		return false
	}
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r >= 0x202A && r <= 0x202E, // LRE, RLE, PDF, LRO, RLO
		r >= 0x2066 && r <= 0x2069,                // LRI, RLI, FSI, PDI
		r == 0x200E || r == 0x200F || r == 0x061C, // LRM, RLM, ALM
		r == 0xFEFF, r == 0xFFFD:
		return true
	}
	return false
}

// CleanEmail validates and lower-cases an email address.
func CleanEmail(op, s string) (string, error) {
	s, err := CleanText(op, "email", s, 3, MaxEmailLen)
	if err != nil {
		return "", err
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s, "@") {
		return "", errs.New(op, errs.Invalid, "email_invalid")
	}
	return strings.ToLower(s), nil
}

// CleanUsername validates a username: 2–40 of lower-case letters, digits,
// '.', '_' and '-', starting with a letter or digit. It is lower-cased.
func CleanUsername(op, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 2 {
		return "", errs.New(op, errs.Invalid, "username_invalid")
	}
	if len(s) > MaxUsernameLength {
		return "", errs.New(op, errs.Invalid, "username_too_long").With("max", MaxUsernameLength)
	}
	for i, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || (i > 0 && (r == '.' || r == '_' || r == '-'))
		if !ok {
			return "", errs.New(op, errs.Invalid, "username_invalid")
		}
	}
	return s, nil
}

// CheckPassword enforces the baseline password rule (length). Per-organisation
// policies arrive with the identity issue.
func CheckPassword(op, p string) error {
	if !utf8.ValidString(p) {
		return errs.New(op, errs.Invalid, "password_invalid_utf8")
	}
	n := utf8.RuneCountInString(p)
	if n < MinPasswordLen {
		return errs.New(op, errs.Invalid, "password_too_short").With("min", MinPasswordLen)
	}
	if n > MaxPasswordLen {
		return errs.New(op, errs.Invalid, "password_too_long").With("max", MaxPasswordLen)
	}
	return nil
}

// CleanLocale accepts the locales Parley ships ("zh-CN", "en") or "".
func CleanLocale(op, s string) (string, error) {
	switch strings.ToLower(s) {
	case "":
		return "", nil
	case "en", "en-us", "en-gb":
		return "en", nil
	case "zh-cn", "zh", "zh-hans":
		return "zh-CN", nil
	}
	return "", errs.New(op, errs.Invalid, "locale_unsupported")
}

// CleanTimeZone accepts an IANA time zone name or "".
func CleanTimeZone(op, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) > 64 {
		return "", errs.New(op, errs.Invalid, "time_zone_invalid")
	}
	if _, err := time.LoadLocation(s); err != nil || s == "Local" {
		return "", errs.New(op, errs.Invalid, "time_zone_invalid")
	}
	return s, nil
}

// CleanURL accepts an empty string or an http(s) URL without control characters.
func CleanURL(op, field, s string) (string, error) {
	s, err := CleanText(op, field, s, 0, MaxURLLen)
	if err != nil || s == "" {
		return s, err
	}
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "/") {
		return "", errs.New(op, errs.Invalid, field+"_invalid")
	}
	if strings.HasPrefix(s, "//") || strings.ContainsAny(s, " \"'<>\\") {
		return "", errs.New(op, errs.Invalid, field+"_invalid")
	}
	return s, nil
}
