// Package blob stores the bytes of uploaded files: on the local disk (Disk,
// the embedded default, under the data directory) or in an S3-compatible
// object store (blob/s3blob). Both pass the one conformance suite in
// blob/blobtest. Blobs are immutable: written once under a key the caller
// chooses, read, deleted.
package blob

import (
	"io"
	"strings"

	"github.com/parley-chat/parley/internal/errs"
)

// Object is a stored blob opened for reading. It seeks, so that HTTP range
// requests (video and audio playback, resumed downloads) are served without
// reading the whole blob.
type Object interface {
	io.ReadSeekCloser
	// Size is the blob's length in bytes.
	Size() int64
}

// MaxKeyLen bounds keys; file keys are far shorter.
const MaxKeyLen = 200

// CheckKey validates a key: 1–200 characters of [a-z0-9._/-], no empty,
// "." or ".." path segment and no leading or trailing slash. Keys are
// chosen by the server, never by users; the check makes a bug in that
// choice fail loudly instead of writing outside the store.
func CheckKey(op, key string) error {
	if key == "" || len(key) > MaxKeyLen || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") {
		return errs.New(op, errs.Invalid, "blob_key_invalid")
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '/') {
			return errs.New(op, errs.Invalid, "blob_key_invalid")
		}
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errs.New(op, errs.Invalid, "blob_key_invalid")
		}
	}
	return nil
}
