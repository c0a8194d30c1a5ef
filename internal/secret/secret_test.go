package secret_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/secret"
)

func newKey(t *testing.T) secret.Key {
	t.Helper()
	k, err := secret.NewKey(secret.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := newKey(t)
	r := secret.NewKeyring(k)
	plain := []byte("client-secret")
	a, b := r.Seal(plain, "row:1"), r.Seal(plain, "row:1")
	if bytes.Equal(a, b) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	if bytes.Contains(a, plain) || !strings.HasPrefix(string(a), "sealed:v1:"+k.ID()+":") {
		t.Fatalf("envelope %q", a)
	}
	if id, ok := secret.KeyID(a); !ok || id != k.ID() {
		t.Fatalf("KeyID %q %v", id, ok)
	}
	got, err := r.Open(a, "row:1")
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open: %q %v", got, err)
	}
	// Empty plaintexts seal too (an envelope always has the GCM tag).
	if got, err := r.Open(r.Seal(nil, "x"), "x"); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q %v", got, err)
	}
}

// Every way an envelope can fail to open gives a coded error, never a
// panic or garbage.
func TestOpenErrors(t *testing.T) {
	k := newKey(t)
	r := secret.NewKeyring(k)
	sealed := r.Seal([]byte("bind-password"), "row:1")
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)-3] ^= 1
	if flipped[len(flipped)-3] == '-' || flipped[len(flipped)-3] == '_' { // keep it base64url
		flipped[len(flipped)-3] = 'A'
	}
	for _, tc := range []struct {
		name  string
		ring  *secret.Keyring
		v     []byte
		label string
		code  string
	}{
		{"another key", secret.NewKeyring(newKey(t)), sealed, "row:1", "secret_key_unknown"},
		{"another row", r, sealed, "row:2", "secret_unreadable"},
		{"altered", r, flipped, "row:1", "secret_unreadable"},
		{"truncated", r, sealed[:len(sealed)-20], "row:1", "secret_unreadable"},
		{"no body", r, []byte("sealed:v1:" + k.ID() + ":"), "row:1", "secret_unreadable"},
		{"not base64", r, []byte("sealed:v1:" + k.ID() + ":!!!!"), "row:1", "secret_unreadable"},
		{"plaintext", r, []byte("bind-password"), "row:1", "secret_not_sealed"},
		{"no key id", r, []byte("sealed:v1:"), "row:1", "secret_not_sealed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.ring.Open(tc.v, tc.label)
			if errs.CodeOf(err) != tc.code || got != nil {
				t.Fatalf("Open: %q, %v; want code %s", got, err, tc.code)
			}
		})
	}
}

func TestKeyringOpensWithOldKeys(t *testing.T) {
	oldKey, newK := newKey(t), newKey(t)
	sealed := secret.NewKeyring(oldKey).Seal([]byte("totp"), "l")
	r := secret.NewKeyring(newK, oldKey)
	if got, err := r.Open(sealed, "l"); err != nil || string(got) != "totp" {
		t.Fatalf("old key: %q %v", got, err)
	}
	if id, _ := secret.KeyID(r.Seal([]byte("x"), "l")); id != newK.ID() || r.Primary() != newK.ID() {
		t.Fatalf("sealed with %s, want the primary %s", id, newK.ID())
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "secret.key")
	k, created, err := secret.ReadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	again, created, err := secret.ReadOrCreateKeyFile(path)
	if err != nil || created || again.ID() != k.ID() {
		t.Fatalf("read again: %v %v %v", again.ID(), created, err)
	}
	if _, err := secret.CreateKeyFile(path); err == nil {
		t.Fatal("CreateKeyFile replaced an existing key")
	}
	// A key written by hand (`head -c 32 /dev/urandom | base64`) reads.
	if k2, err := secret.ReadKeyFile(path); err != nil || k2.ID() != k.ID() {
		t.Fatalf("ReadKeyFile: %v", err)
	}
	for name, content := range map[string]string{"short": "c2hvcnQ=\n", "garbage": "not a key at all\n", "empty": ""} {
		f := filepath.Join(dir, name)
		os.WriteFile(f, []byte(content), 0o600)
		if _, err := secret.ReadKeyFile(f); errs.CodeOf(err) != "secret_key_invalid" {
			t.Errorf("%s key file: %v, want secret_key_invalid", name, err)
		}
	}
	if _, err := secret.ReadKeyFile(filepath.Join(dir, "missing")); errs.CodeOf(err) != "secret_key_invalid" {
		t.Errorf("missing key file: %v", err)
	}
}

// BenchmarkSealOpen is the cost added to a 2FA login (one Open) or a
// provider read: a 20-byte TOTP secret sealed and opened.
func BenchmarkSealOpen(b *testing.B) {
	k, _ := secret.NewKey(secret.GenerateKey())
	r := secret.NewKeyring(k)
	plain := []byte("12345678901234567890")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Open(r.Seal(plain, "totp_secrets.secret:42"), "totp_secrets.secret:42"); err != nil {
			b.Fatal(err)
		}
	}
}
