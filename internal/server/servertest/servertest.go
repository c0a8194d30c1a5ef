// Package servertest starts a real Parley server in the test process, on a
// temporary data directory and a loopback port, for integration tests that
// talk to it through real HTTP and WebSocket connections. The database is
// SQLite in that directory, or a new PostgreSQL database when
// PARLEY_TEST_POSTGRES names a server (see storetest.FromEnv).
package servertest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/secret"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// Password is the password of every user the helpers create.
const Password = "correct-horse-battery"

// Env is a running server.
type Env struct {
	URL      string
	Dir      string
	Database string            // as --database: "" for SQLite in Dir
	Owner    *apiclient.Client // the first organisation's owner
	tb       testing.TB
	n        atomic.Int64
	// configure changes the configuration before the server starts.
	configure func(*config.Config)
	stop      func() // stops the running server
}

// Start bootstraps an organisation "Acme" (owner owner@acme.test) in a fresh
// database, starts a server on 127.0.0.1:0 and stops it at cleanup.
func Start(tb testing.TB) *Env {
	tb.Helper()
	return StartWith(tb, nil)
}

// StartWith is Start with the server's configuration changed by configure
// (when not nil) before it starts.
func StartWith(tb testing.TB, configure func(*config.Config)) *Env {
	tb.Helper()
	tg := storetest.FromEnv(tb)
	ctx := context.Background()
	if _, _, err := server.BootstrapDB(ctx, tg.Dir, tg.Database, account.BootstrapInput{OrgName: "Acme", Email: "owner@acme.test",
		Username: "owner", DisplayName: "Owner", Password: Password}); err != nil {
		tb.Fatalf("bootstrap: %v", err)
	}
	e := &Env{Dir: tg.Dir, Database: tg.Database, tb: tb, configure: configure}
	e.startServer(nil)
	owner, _, err := apiclient.New(e.URL).Login(ctx, "owner@acme.test", Password)
	if err != nil {
		tb.Fatalf("login owner: %v", err)
	}
	e.Owner = owner
	return e
}

// StartEmpty starts a server on a fresh database with no organisation, as
// on a first run; its log goes to logOut (plus stderr when PARLEY_TEST_LOG
// is set) so a test can read the setup link.
func StartEmpty(tb testing.TB, logOut io.Writer) *Env {
	tb.Helper()
	tg := storetest.FromEnv(tb)
	e := &Env{Dir: tg.Dir, Database: tg.Database, tb: tb}
	e.startServer(logOut)
	return e
}

func (e *Env) startServer(extraLog io.Writer) {
	tb := e.tb
	cfg := config.Default()
	cfg.DataDir = e.Dir
	cfg.Database = e.Database
	if e.Database != "" {
		// PostgreSQL needs a key file; the SQLite default is DATA/secret.key.
		cfg.SecretKeyFile = filepath.Join(e.Dir, "secret.key")
		if _, _, err := secret.ReadOrCreateKeyFile(cfg.SecretKeyFile); err != nil {
			tb.Fatal(err)
		}
	}
	cfg.Addr = "127.0.0.1:0"
	if e.configure != nil {
		e.configure(&cfg)
	}
	var logOut io.Writer = io.Discard
	if os.Getenv("PARLEY_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	if extraLog != nil {
		logOut = io.MultiWriter(logOut, extraLog)
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, log, http.NotFoundHandler())
	if err != nil {
		cancel()
		tb.Fatalf("server.New: %v", err)
	}
	if err := srv.Listen(); err != nil {
		cancel()
		tb.Fatalf("listen: %v", err)
	}
	e.URL = "http://" + srv.Addr()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					tb.Errorf("server stopped with error: %v", err)
				}
			case <-time.After(30 * time.Second):
				tb.Errorf("server did not stop within 30s")
			}
		})
	}
	tb.Cleanup(e.stop)
}

// Restart stops the server and starts it again on the same data directory
// and database (on a new port: URL and the Owner client's base change).
func (e *Env) Restart() {
	e.tb.Helper()
	e.stop()
	e.startServer(nil)
	if e.Owner != nil {
		e.Owner.Base = e.URL
	}
}

// Node starts another server on the same PostgreSQL database, with its own
// data directory, as another node of a cluster would be (without a bus
// between them: what they share is the database). On SQLite, whose data
// directory one server owns, it fails the test.
func (e *Env) Node() *Env {
	e.tb.Helper()
	if e.Database == "" {
		e.tb.Fatal("servertest.Node: a second node needs PostgreSQL")
	}
	n := &Env{Dir: e.tb.TempDir(), Database: e.Database, tb: e.tb, configure: e.configure}
	// Every node of a cluster is given the same secret key file.
	key, err := os.ReadFile(filepath.Join(e.Dir, "secret.key"))
	if err == nil {
		err = os.WriteFile(filepath.Join(n.Dir, "secret.key"), key, 0o600)
	}
	if err != nil {
		e.tb.Fatalf("servertest.Node: the first node's secret key: %v", err)
	}
	n.startServer(nil)
	return n
}

// Client returns an anonymous client for the server.
func (e *Env) Client() *apiclient.Client { return apiclient.New(e.URL) }

// User creates a user with the given role (member, admin, guest) in the
// owner's organisation and returns a logged-in client and the user.
func (e *Env) User(role string) (*apiclient.Client, int64) {
	e.tb.Helper()
	n := e.n.Add(1)
	name := fmt.Sprintf("%s%d", role, n)
	ctx := context.Background()
	u, err := e.Owner.CreateUser(ctx, name+"@acme.test", name, Password, role)
	if err != nil {
		e.tb.Fatalf("create user %s: %v", name, err)
	}
	c, _, err := e.Client().Login(ctx, u.Email, Password)
	if err != nil {
		e.tb.Fatalf("login %s: %v", name, err)
	}
	return c, u.ID
}

// OtherOrg creates another organisation with its owner (as `parley admin
// create-org` does, through a second connection to the same database while
// the server runs) and returns the owner's client.
func (e *Env) OtherOrg(name string) *apiclient.Client {
	e.tb.Helper()
	n := e.n.Add(1)
	email := fmt.Sprintf("owner%d@%s.test", n, name)
	ctx := context.Background()
	if _, _, err := server.CreateOrgDB(ctx, e.Dir, e.Database, account.BootstrapInput{OrgName: name, Email: email,
		Username: fmt.Sprintf("owner%d", n), Password: Password}); err != nil {
		e.tb.Fatalf("create org %s: %v", name, err)
	}
	c, _, err := e.Client().Login(ctx, email, Password)
	if err != nil {
		e.tb.Fatalf("login %s: %v", email, err)
	}
	return c
}
