package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base32"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/secret"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/server/servertest"
	"github.com/parley-chat/parley/internal/store"
)

// A user turns on two-step login and signs in with a TOTP code through the
// running server; the secret their app holds is nowhere in the database's
// files, and the key the server created on first start is readable by its
// owner only.
func TestTOTPSealedEndToEnd(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	u, err := env.Owner.CreateUser(ctx, "totp@acme.test", "totp", servertest.Password, "member")
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := env.Client().Login(ctx, u.Email, servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	var setup httpapi.TwoFactorSetup
	if _, err := c.Do(ctx, "POST", "/api/v1/users/me/2fa/setup", map[string]any{}, &setup); err != nil {
		t.Fatal(err)
	}
	code, _ := auth.CodeAt(setup.Secret, time.Now())
	if _, err := c.Do(ctx, "POST", "/api/v1/users/me/2fa/enable", map[string]any{"code": code}, nil); err != nil {
		t.Fatal(err)
	}
	var ch httpapi.TwoFactorChallenge
	if st, err := env.Client().Do(ctx, "POST", "/api/v1/auth/login", map[string]any{"login": u.Email, "password": servertest.Password}, &ch); err != nil || st != 202 {
		t.Fatalf("first step: %d %v", st, err)
	}
	code, _ = auth.CodeAt(setup.Secret, time.Now().Add(30*time.Second)) // the enabling code's step is spent
	var lr httpapi.LoginResponse
	if st, err := env.Client().Do(ctx, "POST", "/api/v1/auth/login/2fa", map[string]any{"challenge": ch.Challenge, "code": code}, &lr); err != nil || st != 200 {
		t.Fatalf("second step with a TOTP code: %d %v", st, err)
	}
	if _, err := apiclient.New(env.URL).WithToken(lr.Token).Do(ctx, "GET", "/api/v1/users/me", nil, nil); err != nil {
		t.Fatal(err)
	}
	if env.Database != "" {
		return // the raw PostgreSQL rows are checked by the store's conformance suite
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(setup.Secret))
	if err != nil || len(raw) < 10 {
		t.Fatalf("secret %q: %v", setup.Secret, err)
	}
	for _, f := range []string{store.FileName, store.FileName + "-wal"} {
		b, _ := os.ReadFile(filepath.Join(env.Dir, f))
		if bytes.Contains(b, raw) || bytes.Contains(b, []byte(setup.Secret)) {
			t.Fatalf("%s holds the TOTP secret in clear", f)
		}
	}
	fi, err := os.Stat(filepath.Join(env.Dir, server.KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	// The key cannot be rotated under a running server (it would keep the
	// old key only).
	if _, _, err := server.RotateSecretKey(ctx, env.Dir, "", server.KeyFiles{}, ""); errs.CodeOf(err) != "source_in_use" {
		t.Fatalf("rotation while the server runs: %v, want source_in_use", err)
	}
}

// startStop builds a server on cfg and stops it at once; the error is
// server.New's.
func startStop(t *testing.T, cfg config.Config) error {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	srv, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler), http.NotFoundHandler())
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return srv.Run(ctx)
}

// Rotation with the default key file (SQLite): every value is re-sealed,
// the new key becomes DATA/secret.key, the old one is kept beside it, and
// the server starts with the default configuration; given the old key it
// refuses to start with a clear error.
func TestRotateDefaultKey(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	if err := startStop(t, cfg); err != nil { // creates the database and the key
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, server.KeyFileName)
	oldKey, err := secret.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dir, false, store.Options{Secrets: secret.NewKeyring(oldKey)})
	if err != nil {
		t.Fatal(err)
	}
	org, user := seedTOTP(t, dir, db)
	db.Close()

	id, rep, err := server.RotateSecretKey(ctx, dir, "", server.KeyFiles{}, "")
	if err != nil || rep.Resealed != 1 || id == oldKey.ID() {
		t.Fatalf("rotate: %s %+v %v", id, rep, err)
	}
	newKey, err := secret.ReadKeyFile(keyFile)
	if err != nil || newKey.ID() != id {
		t.Fatalf("DATA/secret.key after rotation: %v (%v), want key %s", newKey.ID(), err, id)
	}
	kept := keyFile + ".old-" + oldKey.ID()
	if k, err := secret.ReadKeyFile(kept); err != nil || k.ID() != oldKey.ID() {
		t.Fatalf("old key not kept in %s: %v", kept, err)
	}
	db, err = store.Open(ctx, dir, false, store.Options{Secrets: secret.NewKeyring(newKey)})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := db.TOTP(ctx, org, user); err != nil || string(got.Secret) != "totp-secret-of-user-1" {
		t.Fatalf("TOTP under the new key: %q %v", got.Secret, err)
	}
	db.Close()
	if err := startStop(t, cfg); err != nil {
		t.Fatalf("start after rotation: %v", err)
	}
	cfg.SecretKeyFile = kept
	if err := startStop(t, cfg); errs.CodeOf(err) != "secret_key_unknown" || !strings.Contains(err.Error(), "secret-key-file") {
		t.Fatalf("start with the old key: %v, want secret_key_unknown naming --secret-key-file", err)
	}
}

// seedTOTP bootstraps an organisation in dir and stores a TOTP secret for
// its owner through db.
func seedTOTP(t *testing.T, dir string, db *store.DB) (org, user int64) {
	t.Helper()
	ctx := context.Background()
	o, u, err := server.BootstrapDB(ctx, dir, "", account.BootstrapInput{OrgName: "Acme", Email: "owner@acme.test",
		Username: "owner", Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.PutTOTP(ctx, auth.TOTP{User: u.ID, Org: o.ID, Secret: []byte("totp-secret-of-user-1"), CreatedAt: time.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	return o.ID, u.ID
}

// Upgrading: TOTP and provider secrets an older version stored in clear are
// encrypted by the first start of this one, and still work.
func TestStartSealsPlaintextSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	if err := startStop(t, cfg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	o, u, err := server.BootstrapDB(ctx, dir, "", account.BootstrapInput{OrgName: "Acme", Email: "owner@acme.test",
		Username: "owner", Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	// What the previous version wrote, straight into the tables.
	raw, err := sql.Open("sqlite", filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO totp_secrets (user_id, org_id, secret, enabled, last_step, created_at) VALUES (?, ?, ?, 1, 0, 0)`,
		u.ID, o.ID, []byte("old-plain-totp-12345")); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO sso_providers (org_id, kind, name, settings, secret, created_at, updated_at) VALUES (?, 'ldap', 'Corp', '{}', 'old-plain-bind-password', 0, 0)`,
		o.ID); err != nil {
		t.Fatal(err)
	}
	if err := startStop(t, cfg); err != nil {
		t.Fatalf("first start after the upgrade: %v", err)
	}
	var totp []byte
	var bind string
	if err := raw.QueryRow(`SELECT secret FROM totp_secrets WHERE user_id = ?`, u.ID).Scan(&totp); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT secret FROM sso_providers WHERE org_id = ?`, o.ID).Scan(&bind); err != nil {
		t.Fatal(err)
	}
	if !secret.IsSealed(totp) || !secret.IsSealed([]byte(bind)) || strings.Contains(bind, "old-plain") {
		t.Fatalf("after the first start: totp %q, provider %q; want both sealed", totp, bind)
	}
	key, err := secret.ReadKeyFile(filepath.Join(dir, server.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dir, false, store.Options{Secrets: secret.NewKeyring(key)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.TOTP(ctx, o.ID, u.ID); err != nil || string(got.Secret) != "old-plain-totp-12345" {
		t.Fatalf("TOTP after sealing: %q %v", got.Secret, err)
	}
	ps, err := db.Providers(ctx, o.ID)
	if err != nil || len(ps) != 1 || ps[0].Secret != "old-plain-bind-password" {
		t.Fatalf("provider after sealing: %+v %v", ps, err)
	}
}
