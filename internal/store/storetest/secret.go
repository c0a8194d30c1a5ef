package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/secret"
	"github.com/parley-chat/parley/internal/sso"
	"github.com/parley-chat/parley/internal/store"
)

// Distinctive plaintexts, so that finding them anywhere in the database's
// bytes means they were stored in clear.
var (
	plainTOTP     = []byte("TOTP-PLAINTEXT-4242!") // 20 bytes, like a real TOTP secret
	plainProvider = "oidc-client-secret-PLAINTEXT-7f3a"
)

// putSecrets stores a TOTP secret for a new user and a provider with a
// client secret through the store, and returns the user and provider ids.
func putSecrets(tb testing.TB, db *store.DB) (org, user, provider int64) {
	tb.Helper()
	org = mkOrg(tb, db)
	user = mkUser(tb, db, org, "sealed").ID
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.PutTOTP(ctx, auth.TOTP{User: user, Org: org, Secret: plainTOTP, CreatedAt: at}); err != nil {
			return err
		}
		p, err := tx.InsertProvider(ctx, sso.Provider{Org: org, Kind: sso.KindOIDC, Name: "Okta", Enabled: true,
			Secret: plainProvider, CreatedAt: at, UpdatedAt: at})
		provider = p.ID
		return err
	})
	return org, user, provider
}

// checkSecrets reads both secrets back through the store.
func checkSecrets(tb testing.TB, db *store.DB, org, user, provider int64) {
	tb.Helper()
	ctx := context.Background()
	if got, err := db.TOTP(ctx, org, user); err != nil || !bytes.Equal(got.Secret, plainTOTP) {
		tb.Fatalf("TOTP secret read back %q (%v), want %q", got.Secret, err, plainTOTP)
	}
	if got, err := db.Provider(ctx, provider); err != nil || got.Secret != plainProvider {
		tb.Fatalf("provider secret read back %q (%v), want %q", got.Secret, err, plainProvider)
	}
}

// rawSecrets returns the stored bytes of both secrets, read past the store.
func rawSecrets(tb testing.TB, raw *sql.DB, user, provider int64) (totp, prov []byte) {
	tb.Helper()
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	if err := raw.QueryRow(`SELECT secret FROM totp_secrets WHERE user_id = ` + id(user)).Scan(&totp); err != nil {
		tb.Fatal(err)
	}
	var p string
	if err := raw.QueryRow(`SELECT secret FROM sso_providers WHERE id = ` + id(provider)).Scan(&p); err != nil {
		tb.Fatal(err)
	}
	return totp, []byte(p)
}

// The database holds envelopes, never the plaintexts: not in the columns,
// not anywhere in the SQLite files (WAL included), not in any column of
// the rows on PostgreSQL; the store reads the plaintexts back.
func testSecretsSealed(t *testing.T, s suite) {
	tg := s.newTarget(t)
	db := tg.Open(t, store.Options{})
	org, user, provider := putSecrets(t, db)
	// Updating the provider seals again (with its id in the label).
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		p, err := tx.Provider(ctx, provider)
		if err != nil {
			return err
		}
		p.Name = "Okta (renamed)"
		return tx.UpdateProvider(ctx, p)
	})
	checkSecrets(t, db, org, user, provider)

	raw := rawDB(t, tg)
	totp, prov := rawSecrets(t, raw, user, provider)
	for _, v := range [][]byte{totp, prov} {
		if !secret.IsSealed(v) || bytes.Contains(v, plainTOTP) || bytes.Contains(v, []byte(plainProvider)) {
			t.Fatalf("stored value %q is not a sealed envelope", v)
		}
	}
	if tg.Database == "" {
		for _, f := range []string{store.FileName, store.FileName + "-wal"} {
			b, err := os.ReadFile(filepath.Join(tg.Dir, f))
			if err != nil && f == store.FileName {
				t.Fatal(err)
			}
			if bytes.Contains(b, plainTOTP) || bytes.Contains(b, []byte(plainProvider)) {
				t.Fatalf("%s contains a secret in clear", f)
			}
		}
		return
	}
	for _, q := range []string{`SELECT t::text FROM totp_secrets t`, `SELECT t::text FROM sso_providers t`} {
		var row string
		if err := raw.QueryRow(q).Scan(&row); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains([]byte(row), []byte(plainProvider)) || bytes.Contains([]byte(row), []byte("\\x"+hexOf(plainTOTP))) {
			t.Fatalf("row %s holds a secret in clear", row)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// Another key gives a clear error (secret_key_unknown, Unavailable) on
// every read and on the start-up check, never garbage; an envelope moved
// to another row does not open (secret_unreadable).
func testSecretsWrongKey(t *testing.T, s suite) {
	tg := s.newTarget(t)
	db := tg.Open(t, store.Options{})
	org, user, provider := putSecrets(t, db)
	ctx := context.Background()

	wrong := tg.Open(t, store.Options{Secrets: NewKeyring(t)})
	wantCode := func(what string, err error, code string) {
		t.Helper()
		if errs.CodeOf(err) != code || errs.KindOf(err) != errs.Unavailable {
			t.Fatalf("%s: %v, want Unavailable %s", what, err, code)
		}
	}
	_, err := wrong.TOTP(ctx, org, user)
	wantCode("TOTP with another key", err, "secret_key_unknown")
	_, err = wrong.Provider(ctx, provider)
	wantCode("provider with another key", err, "secret_key_unknown")
	_, err = wrong.Providers(ctx, org)
	wantCode("providers with another key", err, "secret_key_unknown")
	_, err = wrong.SealSecrets(ctx, false)
	wantCode("start-up check with another key", err, "secret_key_unknown")

	// A second user gets the first one's envelope (someone with write
	// access to the database copying a known secret): it does not open.
	other := mkUser(t, db, org, "other")
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutTOTP(ctx, auth.TOTP{User: other.ID, Org: org, Secret: []byte("another-secret-12345"), CreatedAt: at})
	})
	raw := rawDB(t, tg)
	totp, _ := rawSecrets(t, raw, user, provider)
	q := `UPDATE totp_secrets SET secret = ? WHERE user_id = ?`
	if tg.Database != "" {
		q = `UPDATE totp_secrets SET secret = $1 WHERE user_id = $2`
	}
	if _, err := raw.Exec(q, totp, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = db.TOTP(ctx, org, other.ID)
	wantCode("moved envelope", err, "secret_unreadable")
}

// Plaintext secrets written by a version before sealing still read, and
// SealSecrets seals them; running it again changes nothing.
func testSecretsUpgradeFromPlaintext(t *testing.T, s suite) {
	tg := s.newTarget(t)
	db := tg.Open(t, store.Options{})
	org, user, provider := putSecrets(t, db)
	raw := rawDB(t, tg)
	// What an older version stored.
	q1, q2 := `UPDATE totp_secrets SET secret = ? WHERE user_id = ?`, `UPDATE sso_providers SET secret = ? WHERE id = ?`
	if tg.Database != "" {
		q1, q2 = `UPDATE totp_secrets SET secret = $1 WHERE user_id = $2`, `UPDATE sso_providers SET secret = $1 WHERE id = $2`
	}
	if _, err := raw.Exec(q1, plainTOTP, user); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(q2, plainProvider, provider); err != nil {
		t.Fatal(err)
	}
	checkSecrets(t, db, org, user, provider)

	ctx := context.Background()
	rep, err := db.SealSecrets(ctx, false)
	if err != nil || rep != (store.SecretsReport{Sealed: 2}) {
		t.Fatalf("first SealSecrets: %+v (%v), want 2 sealed", rep, err)
	}
	totp, prov := rawSecrets(t, raw, user, provider)
	if !secret.IsSealed(totp) || !secret.IsSealed(prov) {
		t.Fatalf("after the upgrade: %q, %q", totp, prov)
	}
	checkSecrets(t, db, org, user, provider)
	rep, err = db.SealSecrets(ctx, false)
	if err != nil || rep != (store.SecretsReport{Unchanged: 2}) {
		t.Fatalf("second SealSecrets: %+v (%v), want 2 unchanged", rep, err)
	}
	totp2, prov2 := rawSecrets(t, raw, user, provider)
	if !bytes.Equal(totp, totp2) || !bytes.Equal(prov, prov2) {
		t.Fatal("a second SealSecrets rewrote sealed values")
	}
}

// Rotation: a keyring with a new primary and the old key opens everything
// and re-seals it under the new key; afterwards the new key alone opens
// every value and the old key alone none.
func testSecretsRotation(t *testing.T, s suite) {
	tg := s.newTarget(t)
	oldKey, _ := secret.NewKey(secret.GenerateKey())
	newKey, _ := secret.NewKey(secret.GenerateKey())
	db := tg.Open(t, store.Options{Secrets: secret.NewKeyring(oldKey)})
	org, user, provider := putSecrets(t, db)
	ctx := context.Background()

	both := tg.Open(t, store.Options{Secrets: secret.NewKeyring(newKey, oldKey)})
	checkSecrets(t, both, org, user, provider)
	if rep, err := both.SealSecrets(ctx, false); err != nil || rep != (store.SecretsReport{Unchanged: 2}) {
		t.Fatalf("without rotate: %+v (%v), want nothing re-sealed", rep, err)
	}
	if rep, err := both.SealSecrets(ctx, true); err != nil || rep != (store.SecretsReport{Resealed: 2}) {
		t.Fatalf("rotate: %+v (%v), want 2 re-sealed", rep, err)
	}
	totp, prov := rawSecrets(t, rawDB(t, tg), user, provider)
	for _, v := range [][]byte{totp, prov} {
		if id, _ := secret.KeyID(v); id != newKey.ID() {
			t.Fatalf("after rotation %q is sealed with %q, want %q", v, id, newKey.ID())
		}
	}
	checkSecrets(t, tg.Open(t, store.Options{Secrets: secret.NewKeyring(newKey)}), org, user, provider)
	if _, err := db.TOTP(ctx, org, user); errs.CodeOf(err) != "secret_key_unknown" {
		t.Fatalf("old key after rotation: %v, want secret_key_unknown", err)
	}
	if rep, err := both.SealSecrets(ctx, true); err != nil || rep != (store.SecretsReport{Unchanged: 2}) {
		t.Fatalf("rotate again: %+v (%v), want nothing to do", rep, err)
	}
}
