package file

import (
	"path"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
)

// CleanName validates a file name as users see it: valid UTF-8, 1 to
// MaxNameLen characters, no path (no '/' or '\', not "." or ".."), no
// control or direction-override characters (which disguise an extension:
// "invoice\u202Efdp.exe"). Surrounding spaces are trimmed; nothing else is
// changed silently. Names never reach the file system or the blob store:
// blobs have random keys.
func CleanName(op, s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.New(op, errs.Invalid, "file_name_invalid")
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errs.New(op, errs.Invalid, "file_name_required")
	}
	if utf8.RuneCountInString(s) > MaxNameLen {
		return "", errs.New(op, errs.Invalid, "file_name_too_long").With("max", MaxNameLen)
	}
	if s == "." || s == ".." || strings.ContainsAny(s, `/\`) {
		return "", errs.New(op, errs.Invalid, "file_name_invalid")
	}
	for _, r := range s {
		if account.IsForbiddenRune(r, false) {
			return "", errs.New(op, errs.Invalid, "file_name_invalid")
		}
	}
	return s, nil
}

// ext is the lower-case extension of a name without the dot ("" for none).
func ext(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}
