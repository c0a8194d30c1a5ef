package main

import (
	"strings"
	"testing"
)

func TestCLIReindex(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, nil, "admin", "reindex", "--data", dir); code != 1 || !strings.Contains(errOut, "no database") {
		t.Fatalf("reindex without a database: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI(t, nil, "admin", "bootstrap", "--data", dir, "--org", "Acme", "--email", "owner@acme.test",
		"--password", "correct horse battery"); code != 0 {
		t.Fatalf("bootstrap: exit %d: %s", code, errOut)
	}
	code, out, errOut := runCLI(t, nil, "admin", "reindex", "--data", dir)
	if code != 0 || !strings.HasPrefix(out, "reindexed 0 messages") || !strings.Contains(errOut, "100%") {
		t.Fatalf("reindex: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
