package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

// runCLI calls run in-process with the given environment and returns the
// exit code, stdout and stderr.
func runCLI(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code := run(args, &stdout, &stderr, getenv)
	return code, stdout.String(), stderr.String()
}

func TestCLIVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version", "-v"} {
		code, out, _ := runCLI(t, nil, arg)
		if code != 0 || !strings.HasPrefix(out, "parley ") || len(strings.TrimSpace(out)) <= len("parley") {
			t.Errorf("parley %s: exit %d, stdout %q; want 0 and \"parley <version>\"", arg, code, out)
		}
	}
}

func TestCLIUsage(t *testing.T) {
	code, _, errOut := runCLI(t, nil)
	if code != 2 || !strings.Contains(errOut, "Usage:") {
		t.Errorf("no arguments: exit %d, stderr %q; want 2 and the usage", code, errOut)
	}
	code, out, _ := runCLI(t, nil, "help")
	if code != 0 || !strings.Contains(out, "parley serve") {
		t.Errorf("help: exit %d, stdout %q; want 0 and the usage", code, out)
	}
}

func TestCLIUnknownCommand(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) || out != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 2 and an unknown-command message on stderr", code, out, errOut)
	}
}

// flagLine matches an option line of `serve --help`.
var flagLine = regexp.MustCompile(`(?m)^  --([a-z][a-z-]*)`)

func TestCLIServeHelp(t *testing.T) {
	code, _, inProcess := runCLI(t, nil, "serve", "--help")
	if code != 0 {
		t.Fatalf("serve --help: exit %d, want 0", code)
	}
	// What users see: the real binary's output.
	code, help := runBinary(t, "serve", "--help")
	if code != 0 {
		t.Fatalf("parley serve --help: exit %d\n%s", code, help)
	}
	var names []string
	for _, m := range flagLine.FindAllStringSubmatch(help, -1) {
		names = append(names, m[1])
	}
	for _, want := range []string{"config", "data", "addr", "public-url", "log-level", "log-format", "replay-window",
		"secure-cookies", "shutdown-timeout", "ws-queue", "ws-ping", "ws-idle-timeout", "migrate"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("serve --help does not list --%s", want)
		}
	}
	// Every listed option names its environment variable.
	blocks := flagLine.Split(help, -1)[1:]
	for i, n := range names {
		env := "PARLEY_" + strings.ToUpper(strings.ReplaceAll(n, "-", "_"))
		if !strings.Contains(blocks[i], "(env "+env) {
			t.Errorf("serve --help: --%s does not name %s:\n%s", n, env, blocks[i])
		}
	}
	// The help goes to the stderr run was given, not the process's.
	if !strings.Contains(inProcess, "--data") {
		t.Errorf("serve --help in-process wrote %d bytes to the stderr given to run, want the help text", len(inProcess))
	}
}

func TestCLIBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"serve unknown flag", nil, []string{"serve", "--no-such-flag"}},
		{"serve bad duration", nil, []string{"serve", "--data", dir, "--replay-window", "soon"}},
		{"serve bad addr", nil, []string{"serve", "--data", dir, "--addr", "nowhere"}},
		{"serve bad integer", nil, []string{"serve", "--data", dir, "--ws-queue", "many"}},
		{"serve stray argument", nil, []string{"serve", "--data", dir, "extra"}},
		{"serve bad env", map[string]string{"PARLEY_LOG_LEVEL": "loud"}, []string{"serve", "--data", dir}},
		{"serve missing config file", nil, []string{"serve", "--config", filepath.Join(dir, "none.json")}},
		{"migrate unknown flag", nil, []string{"migrate", "--nope"}},
		{"admin without subcommand", nil, []string{"admin"}},
		{"admin unknown subcommand", nil, []string{"admin", "destroy"}},
		{"admin bootstrap unknown flag", nil, []string{"admin", "bootstrap", "--data", dir, "--colour", "red"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, _ := runCLI(t, tc.env, tc.args...)
			if code != 2 {
				t.Errorf("parley %s: exit %d, want 2", strings.Join(tc.args, " "), code)
			}
		})
	}
}

func TestCLIBootstrap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	boot := func(org, email, password string) (int, string, string) {
		return runCLI(t, nil, "admin", "bootstrap", "--data", dir, "--org", org, "--email", email, "--password", password)
	}

	// Invalid input creates nothing.
	if code, _, errOut := boot("Acme", ownerEmail, "short"); code == 0 || !strings.Contains(errOut, "password_too_short") {
		t.Errorf("short password: exit %d, stderr %q; want non-zero and the error code", code, errOut)
	}

	code, out, errOut := boot("Acme", ownerEmail, ownerPassword)
	if code != 0 || !strings.Contains(out, `created organisation "Acme"`) {
		t.Fatalf("bootstrap: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	owner, hash := readOwner(t, dir, ownerEmail)
	if owner.Role != account.RoleOwner || owner.Username != "owner" {
		t.Errorf("owner: role %q username %q, want owner/owner", owner.Role, owner.Username)
	}

	for _, again := range [][3]string{
		{"Acme", ownerEmail, ownerPassword},
		{"Other", "other@acme.test", "quiet-meadow-river-2"},
	} {
		code, out, errOut := boot(again[0], again[1], again[2])
		if code == 0 || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "nothing changed") {
			t.Errorf("second bootstrap %v: exit %d, stdout %q, stderr %q; want non-zero and \"an organisation already exists ... nothing changed\"",
				again[:2], code, out, errOut)
		}
	}

	// Nothing changed: one organisation, named Acme, with its one user and
	// the same password hash.
	db, err := store.Open(context.Background(), dir, false, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if n, err := db.OrgCount(ctx); err != nil || n != 1 {
		t.Errorf("OrgCount = %d, %v; want 1", n, err)
	}
	if org, err := db.Org(ctx, owner.Org); err != nil || org.Name != "Acme" {
		t.Errorf("org = %+v, %v; want Acme", org, err)
	}
	if users, err := db.ListUsers(ctx, owner.Org, "", 0, 100); err != nil || len(users) != 1 {
		t.Errorf("users = %d, %v; want only the owner", len(users), err)
	}
	if _, _, err := db.UserByLogin(ctx, "other@acme.test"); !errs.Is(err, errs.NotFound) {
		t.Errorf("second bootstrap's user: err = %v, want NotFound", err)
	}
	if u, h, err := db.UserByLogin(ctx, ownerEmail); err != nil || h != hash || u.ID != owner.ID {
		t.Errorf("owner after second bootstrap: id %d, hash changed %v, err %v", u.ID, h != hash, err)
	}
}

// readOwner opens the store in dir read-only and returns the user with login
// email and its password hash.
func readOwner(t *testing.T, dir, email string) (account.User, string) {
	t.Helper()
	db, err := store.Open(context.Background(), dir, false, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, hash, err := db.UserByLogin(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u, hash
}

var appliedRE = regexp.MustCompile(`applied (\d+) migration\(s\)`)

func TestCLIMigrate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	migrate := func(env map[string]string, args ...string) string {
		t.Helper()
		code, out, errOut := runCLI(t, env, append([]string{"migrate"}, args...)...)
		if code != 0 {
			t.Fatalf("migrate %v: exit %d, stderr %q", args, code, errOut)
		}
		m := appliedRE.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("migrate %v: stdout %q, want \"applied N migration(s)\"", args, out)
		}
		return m[1]
	}
	if n := migrate(nil, "--data", dir); n == "0" {
		t.Errorf("first migrate applied 0 migrations on an empty directory")
	}
	if n := migrate(nil, "--data", dir); n != "0" {
		t.Errorf("second migrate applied %s migrations, want 0 (idempotent)", n)
	}
	// PARLEY_DATA is the default of --data.
	if n := migrate(map[string]string{"PARLEY_DATA": dir}); n != "0" {
		t.Errorf("migrate with PARLEY_DATA applied %s migrations, want 0", n)
	}
	sqlDB, err := store.OpenForMigrate(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if n, err := store.PendingMigrations(context.Background(), sqlDB); err != nil || n != 0 {
		t.Errorf("pending migrations after migrate: %d, %v; want 0", n, err)
	}

	// A migrated, bootstrapped database keeps its data through migrate.
	if code, _, errOut := runCLI(t, nil, "admin", "bootstrap", "--data", dir, "--org", "Acme",
		"--email", ownerEmail, "--password", ownerPassword); code != 0 {
		t.Fatalf("bootstrap after migrate: exit %d: %s", code, errOut)
	}
	if n := migrate(nil, "--data", dir); n != "0" {
		t.Errorf("migrate after bootstrap applied %s, want 0", n)
	}
	if owner, _ := readOwner(t, dir, ownerEmail); owner.Role != account.RoleOwner {
		t.Errorf("owner after migrate: %+v", owner)
	}
}
