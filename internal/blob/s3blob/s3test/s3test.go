// Package s3test starts a real S3-compatible server for tests: versitygw
// (Apache-2.0) on loopback, serving the directories of a temporary folder
// as buckets. `make test-go` installs it with scripts/ensure-versitygw.sh
// and names it in PARLEY_TEST_VERSITYGW.
package s3test

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// EnvBinary names the environment variable holding the versitygw binary.
const EnvBinary = "PARLEY_TEST_VERSITYGW"

// Credentials of the gateway's root user.
const (
	AccessKey = "parleytest"
	SecretKey = "parley-test-secret-key"
)

// Gateway is a running S3-compatible server.
type Gateway struct {
	URL  string // http://127.0.0.1:PORT
	Root string // the folder whose directories are the buckets
}

// Start starts a gateway that is stopped at cleanup. Without
// PARLEY_TEST_VERSITYGW the test is skipped, so a plain `go test ./...`
// needs no download; with it set and the binary missing it fails.
func Start(tb testing.TB) *Gateway {
	tb.Helper()
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		tb.Skip(EnvBinary + " is not set: `make test-go` (or `make test-s3`) installs versitygw and runs the S3 tests")
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("%s=%s: %v (scripts/ensure-versitygw.sh installs it)", EnvBinary, bin, err)
	}
	root := tb.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// --nometa: no extended attributes needed on the test file system.
	cmd := exec.Command(bin, "--port", addr, "--access", AccessKey, "--secret", SecretKey, "--quiet", "posix", "--nometa", root)
	if os.Getenv("PARLEY_TEST_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start versitygw: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("versitygw did not listen on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &Gateway{URL: "http://" + addr, Root: root}
}

// NewBucket creates an empty bucket and returns its name.
func (g *Gateway) NewBucket(tb testing.TB) string {
	tb.Helper()
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "parley-" + hex.EncodeToString(rnd[:])
	if err := os.Mkdir(filepath.Join(g.Root, name), 0o755); err != nil {
		tb.Fatal(err)
	}
	return name
}
