package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The key commands as an operator runs them: new-secret-key writes a 0600
// file and never replaces one; rotate-secret-key on a stopped SQLite
// installation swaps the default key and keeps the old one.
func TestSecretKeyCommands(t *testing.T) {
	env := func(string) string { return "" }
	var out bytes.Buffer
	key := filepath.Join(t.TempDir(), "secret.key")
	if code := run([]string{"admin", "new-secret-key", key}, &out, &out, env); code != 0 || !strings.Contains(out.String(), "wrote key ") {
		t.Fatalf("new-secret-key: exit %d\n%s", code, out.String())
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	out.Reset()
	if code := run([]string{"admin", "new-secret-key", key}, &out, &out, env); code != 1 || !strings.Contains(out.String(), "secret_key_invalid") {
		t.Fatalf("new-secret-key over an existing file: exit %d, want 1\n%s", code, out.String())
	}

	dir := t.TempDir()
	out.Reset()
	if code := run([]string{"admin", "bootstrap", "--data", dir, "--org", "Acme", "--email", "owner@acme.test", "--password", "correct-horse-battery"},
		&out, &out, env); code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"admin", "rotate-secret-key", "--data", dir}, &out, &out, env); code != 0 ||
		!strings.Contains(out.String(), "re-sealed 0 secret(s) under key ") {
		t.Fatalf("rotate-secret-key: exit %d\n%s", code, out.String())
	}
	old, _ := filepath.Glob(filepath.Join(dir, "secret.key.old-*"))
	if _, err := os.Stat(filepath.Join(dir, "secret.key")); err != nil || len(old) != 1 {
		t.Fatalf("after rotation: secret.key %v, old keys %v", err, old)
	}
	out.Reset()
	if code := run([]string{"admin", "rotate-secret-key", "--data", dir, "--secret-key-file", key, "--new-key-file", key}, &out, &out, env); code != 1 ||
		!strings.Contains(out.String(), "secret_key_unchanged") {
		t.Fatalf("rotating to the key in use: exit %d, want 1 and secret_key_unchanged\n%s", code, out.String())
	}
}
