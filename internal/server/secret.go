package server

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/secret"
	"github.com/parley-chat/parley/internal/store"
)

// KeyFileName is the secret key file in the data directory, used when no
// --secret-key-file is configured (SQLite only).
const KeyFileName = "secret.key"

// KeyFiles names the key files of an installation: the one sealing new
// values (empty: the default in the data directory) and former ones that
// still open values (a rotation in progress).
type KeyFiles struct {
	Primary string
	Old     []string
}

// ParseKeyFiles splits --secret-old-key-files.
func ParseKeyFiles(primary, old string) KeyFiles {
	k := KeyFiles{Primary: primary}
	for _, f := range strings.Split(old, ",") {
		if f = strings.TrimSpace(f); f != "" {
			k.Old = append(k.Old, f)
		}
	}
	return k
}

// loadKeyring reads the keys that seal provider and TOTP secrets (ADR
// 0019) into a keyring.
func loadKeyring(dataDir, database string, files KeyFiles, log *slog.Logger) (*secret.Keyring, error) {
	primary, old, err := loadKeys(dataDir, database, files, log)
	if err != nil {
		return nil, err
	}
	return secret.NewKeyring(primary, old...), nil
}

// loadKeys reads the keys of files. With SQLite and no key file
// configured, the key is DATA/secret.key, created with mode 0600 on first
// start. With PostgreSQL a key file is required: the nodes of a cluster
// share the database, so they must share the key, and a key generated on
// one node would lock out the others. The key is never stored in the
// database.
func loadKeys(dataDir, database string, files KeyFiles, log *slog.Logger) (secret.Key, []secret.Key, error) {
	const op = "server.loadKeys"
	var primary secret.Key
	var err error
	if files.Primary == "" {
		if !isSQLite(database) {
			return secret.Key{}, nil, errs.E(op, errs.Invalid, "secret_key_required", fmt.Errorf(
				"a PostgreSQL installation needs --secret-key-file (PARLEY_SECRET_KEY_FILE): every node must use the same key, "+
					"kept outside the database; create one with 'parley admin new-secret-key FILE' "+
					"(after 'parley migrate --from sqlite:DIR', use DIR/%s)", KeyFileName))
		}
		path := filepath.Join(dataDir, KeyFileName)
		var created bool
		if primary, created, err = secret.ReadOrCreateKeyFile(path); err != nil {
			return secret.Key{}, nil, err
		}
		if created {
			log.Warn("created the secret key that encrypts SSO and 2FA secrets: back it up with the database; without it they cannot be read",
				"file", path, "key_id", primary.ID())
		}
	} else if primary, err = secret.ReadKeyFile(files.Primary); err != nil {
		return secret.Key{}, nil, err
	}
	warnIfShared(log, append([]string{files.Primary}, files.Old...))
	var old []secret.Key
	for _, f := range files.Old {
		k, err := secret.ReadKeyFile(f)
		if err != nil {
			return secret.Key{}, nil, err
		}
		old = append(old, k)
	}
	return primary, old, nil
}

// warnIfShared logs key files that users other than the owner may read:
// not refused (a mounted Kubernetes Secret may be 0644 inside a one-user
// container), but worth a line in the log.
func warnIfShared(log *slog.Logger, files []string) {
	for _, f := range files {
		if fi, err := os.Stat(f); f != "" && err == nil && fi.Mode().Perm()&0o077 != 0 {
			log.Warn("the secret key file is readable by other users; chmod 600 it", "file", f, "mode", fi.Mode().Perm().String())
		}
	}
}

func isSQLite(database string) bool { return database == "" || database == store.SQLite }

// sealSecrets checks at start that the keyring opens every sealed value
// (a wrong key file refuses the start instead of failing logins later) and
// seals the plaintext secrets an older version left (idempotent).
func sealSecrets(ctx context.Context, db *store.DB, log *slog.Logger) error {
	if err := db.Ready(ctx); err != nil {
		// --migrate=false before `parley migrate`: the server answers
		// /readyz 503 until restarted on a migrated schema.
		log.Warn("stored secrets not checked: the schema is not up to date", "err", err)
		return nil
	}
	rep, err := db.SealSecrets(ctx, false)
	if err != nil {
		return fmt.Errorf("check the stored secrets with the configured secret key (the wrong --secret-key-file? "+
			"if 'parley admin rotate-secret-key' was cut short, run it again): %w", err)
	}
	if rep.Sealed > 0 {
		log.Info("sealed plaintext SSO and 2FA secrets left by an older version", "count", rep.Sealed)
	}
	return nil
}

// NewSecretKeyFile writes a new random key to path (mode 0600) and returns
// its id, for `parley admin new-secret-key`.
func NewSecretKeyFile(path string) (string, error) {
	k, err := secret.CreateKeyFile(path)
	if err != nil {
		return "", err
	}
	return k.ID(), nil
}

// RotateSecretKey re-seals every sealed secret of the installation under
// the key in newFile (created, mode 0600, when it does not exist), opening
// them with the current and old keys of files, which stay readable until
// the rotation commits (one transaction: all values or none). Running it
// again is harmless. It returns the new key's id and what it did.
//
// On SQLite it holds the data directory's lock (the server must be
// stopped: it would keep only the old key). With the default key file and
// no newFile, the new key is written to DATA/secret.key.new and, once the
// values are re-sealed, becomes DATA/secret.key; the old key is kept as
// DATA/secret.key.old-ID. Otherwise the servers must then be given newFile
// as --secret-key-file (docs/deploy/runbook.md).
func RotateSecretKey(ctx context.Context, dataDir, database string, files KeyFiles, newFile string) (string, store.SecretsReport, error) {
	const op = "server.RotateSecretKey"
	var rep store.SecretsReport
	if isSQLite(database) {
		if _, err := os.Stat(filepath.Join(dataDir, store.FileName)); err != nil {
			return "", rep, errs.E(op, errs.Invalid, "source_unusable", fmt.Errorf("no Parley database in %s: %w", dataDir, err))
		}
		lock, err := lockDataDir(dataDir)
		if err != nil {
			return "", rep, errs.E(op, errs.Conflict, "source_in_use", fmt.Errorf("stop the server first: %w", err))
		}
		defer lock.Close()
	}
	current, old, err := loadKeys(dataDir, database, files, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", rep, err
	}
	swap := newFile == "" && files.Primary == "" && isSQLite(database)
	if swap {
		newFile = filepath.Join(dataDir, KeyFileName+".new")
	} else if newFile == "" {
		return "", rep, errs.E(op, errs.Invalid, "secret_key_required", fmt.Errorf("name the new key file with --new-key-file"))
	}
	next, _, err := secret.ReadOrCreateKeyFile(newFile)
	if err != nil {
		return "", rep, err
	}
	if next.ID() == current.ID() {
		return "", rep, errs.E(op, errs.Invalid, "secret_key_unchanged",
			fmt.Errorf("%s holds the key already in use; give a new file", newFile))
	}
	db, err := store.Open(ctx, dataDir, false, store.Options{Database: database,
		Secrets: secret.NewKeyring(next, append([]secret.Key{current}, old...)...)})
	if err != nil {
		return "", rep, err
	}
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		return "", rep, fmt.Errorf("%s: the database is not ready (run 'parley migrate' first): %w", op, err)
	}
	if rep, err = db.SealSecrets(ctx, true); err != nil {
		return "", rep, err
	}
	if swap {
		// Committed: the new key becomes the default one. If this is cut
		// short, running the rotation again finishes it (nothing left to
		// re-seal, secret.key.new is reused).
		cur := filepath.Join(dataDir, KeyFileName)
		if err := os.Rename(cur, cur+".old-"+current.ID()); err != nil {
			return "", rep, fmt.Errorf("%s: keep the old key: %w", op, err)
		}
		if err := os.Rename(newFile, cur); err != nil {
			return "", rep, fmt.Errorf("%s: install the new key: %w", op, err)
		}
	}
	return next.ID(), rep, nil
}
