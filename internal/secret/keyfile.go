package secret

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/parley-chat/parley/internal/errs"
)

// A key file holds one key as standard base64 on one line (44 characters),
// so it can be made with `head -c 32 /dev/urandom | base64` and handed to
// containers as a mounted secret.

// ReadKeyFile reads the key in the file at path. Errors: Invalid with
// secret_key_invalid when the file is missing, unreadable or holds no key.
func ReadKeyFile(path string) (Key, error) {
	const op = "secret.ReadKeyFile"
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, errs.E(op, errs.Invalid, "secret_key_invalid", fmt.Errorf("read the secret key file: %w", err))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != KeySize {
		return Key{}, errs.E(op, errs.Invalid, "secret_key_invalid",
			fmt.Errorf("%s does not hold a key: want %d random bytes in base64 on one line", path, KeySize))
	}
	return NewKey(raw)
}

// CreateKeyFile writes a new random key to path, readable by its owner only
// (0600), and returns it. It never replaces an existing file.
func CreateKeyFile(path string) (Key, error) {
	const op = "secret.CreateKeyFile"
	raw := GenerateKey()
	k, err := NewKey(raw)
	if err != nil {
		return Key{}, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return Key{}, errs.E(op, errs.Internal, "secret_key_invalid", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Key{}, errs.E(op, errs.Internal, "secret_key_invalid", fmt.Errorf("create the secret key file: %w", err))
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(raw) + "\n")
	if err == nil {
		err = f.Sync() // a key that sealed values must survive a crash
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return Key{}, errs.E(op, errs.Internal, "secret_key_invalid", fmt.Errorf("write the secret key file: %w", err))
	}
	return k, nil
}

// ReadOrCreateKeyFile reads the key at path, or creates it when the file
// does not exist; created says which.
func ReadOrCreateKeyFile(path string) (k Key, created bool, err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		k, err := CreateKeyFile(path)
		return k, err == nil, err
	}
	k, err = ReadKeyFile(path)
	return k, false, err
}
