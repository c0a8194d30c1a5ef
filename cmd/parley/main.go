// Command parley is the Parley server: one binary that serves the API, the
// realtime stream and the web client, and administers the installation.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // time zones work on machines without /usr/share/zoneinfo

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/webui"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Parley: self-hosted team chat.

Usage:
  parley serve [options]          start the server (see: parley serve --help)
  parley migrate [--data DIR]     apply pending database migrations and exit
  parley migrate --from sqlite:DIR --to postgres://... [--quiet]
                                  copy a whole installation into an empty PostgreSQL
                                  database, verified by row counts and checksums
  parley admin bootstrap --data DIR --org NAME --email E --password P [--username U] [--name N]
                                  create the first organisation and its owner
  parley admin create-org --data DIR --org NAME --email E --password P
                                  add another organisation (SaaS mode)
  parley admin reindex [--data DIR] [--quiet]
                                  rebuild the message search index (progress on stderr)
  parley admin new-secret-key FILE
                                  write a new key for --secret-key-file (mode 0600)
  parley admin rotate-secret-key [--data DIR] [--new-key-file NEW]
                                  re-encrypt the stored SSO and 2FA secrets under a new key
  parley bench [--suite smoke|standard] [--json FILE] [--write-doc FILE]
                                  run the benchmark suite (see docs/benchmarks.md)
  parley healthcheck [--addr HOST:PORT] [--ready]
                                  exit 0 when the server answers /healthz (or /readyz)
  parley version                  print the version

Every option can also be set with a PARLEY_* environment variable or a JSON
config file (--config); see docs/configuration.md.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr, getenv)
	case "migrate":
		return migrate(args[1:], stdout, stderr, getenv)
	case "admin":
		return admin(args[1:], stdout, stderr, getenv)
	case "bench":
		return benchCmd(args[1:], stdout, stderr, getenv)
	case "healthcheck":
		return healthcheck(args[1:], stdout, stderr, getenv)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "parley", buildVersion())
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "parley: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(args []string, stderr io.Writer, getenv func(string) string) int {
	cfg, err := config.Load("serve", args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "parley serve:", err)
		return 2
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, log, webui.Handler())
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	if err := srv.Run(ctx); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

func migrate(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr(getenv, "PARLEY_DATA", "./data"), "data directory (env PARLEY_DATA)")
	database := fs.String("database", getenv("PARLEY_DATABASE"), "\"sqlite\" (default: the file in --data) or a postgres:// URL (env PARLEY_DATABASE)")
	from := fs.String("from", "", "copy a whole installation from sqlite:DIR (with --to) instead of migrating in place")
	to := fs.String("to", "", "with --from: the postgres:// URL of an empty database to copy into (default: env PARLEY_DATABASE)")
	quiet := fs.Bool("quiet", false, "with --from: no progress bar")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley migrate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *from != "" || *to != "" {
		if *from == "" {
			fmt.Fprintln(stderr, "parley migrate: --to needs --from sqlite:DIR, the installation to copy")
			return 2
		}
		if *to == "" {
			*to = getenv("PARLEY_DATABASE")
		}
		return copyInstallation(*from, *to, *quiet, stdout, stderr)
	}
	ctx := context.Background()
	if err := os.MkdirAll(*dir, 0o750); err != nil {
		fmt.Fprintln(stderr, "parley migrate:", err)
		return 1
	}
	n, err := store.MigrateDatabase(ctx, *dir, *database)
	if err != nil {
		fmt.Fprintln(stderr, "parley migrate:", err)
		return 1
	}
	fmt.Fprintf(stdout, "applied %d migration(s); schema is up to date\n", n)
	return 0
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

func admin(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 {
		switch args[0] {
		case "reindex":
			return reindex(args[1:], stdout, stderr, getenv)
		case "new-secret-key":
			return newSecretKey(args[1:], stdout, stderr)
		case "rotate-secret-key":
			return rotateSecretKey(args[1:], stdout, stderr, getenv)
		}
	}
	if len(args) == 0 || (args[0] != "bootstrap" && args[0] != "create-org") {
		fmt.Fprint(stderr, "Usage: parley admin bootstrap|create-org --data DIR --org NAME --email E --password P [--username U] [--name N]\n"+
			"       parley admin reindex [--data DIR] [--quiet]\n"+
			"       parley admin new-secret-key FILE\n"+
			"       parley admin rotate-secret-key [--data DIR] [--database URL] [--secret-key-file F] [--new-key-file NEW]\n")
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("admin "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr(getenv, "PARLEY_DATA", "./data"), "data directory (env PARLEY_DATA)")
	database := fs.String("database", getenv("PARLEY_DATABASE"), "\"sqlite\" (default: the file in --data) or a postgres:// URL (env PARLEY_DATABASE)")
	org := fs.String("org", "", "organisation name")
	email := fs.String("email", "", "owner's e-mail address")
	password := fs.String("password", "", "owner's password (or env PARLEY_BOOTSTRAP_PASSWORD)")
	username := fs.String("username", "", "owner's username (default: the part of the e-mail before @)")
	name := fs.String("name", "", "owner's display name (default: the username)")
	locale := fs.String("locale", "", "owner's language: zh-CN or en")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *password == "" {
		*password = getenv("PARLEY_BOOTSTRAP_PASSWORD")
	}
	derived := *username == ""
	if derived {
		u, _, _ := cutAt(*email)
		*username = u
	}
	create := server.BootstrapDB
	if sub == "create-org" {
		create = server.CreateOrgDB
	}
	_, owner, err := create(context.Background(), *dir, *database, account.BootstrapInput{OrgName: *org, Email: *email,
		Username: *username, DisplayName: *name, Password: *password, Locale: *locale})
	if err != nil {
		if errs.CodeOf(err) == "already_set_up" {
			fmt.Fprintln(stderr, "parley admin bootstrap: an organisation already exists in", *dir,
				"- nothing changed (use 'parley admin create-org' to add another organisation)")
		} else if derived && errs.CodeOf(err) == "username_invalid" {
			fmt.Fprintf(stderr, "parley admin %s: the username taken from the e-mail address (%q) is not valid: pass --username (2-40 of a-z, 0-9, '.', '_', '-')\n", sub, *username)
		} else {
			fmt.Fprintf(stderr, "parley admin %s: %s - %v\n", sub, errs.CodeOf(err), err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "created organisation %q with owner %s (user id %d)\n", *org, owner.Email, owner.ID)
	return 0
}

func cutAt(email string) (string, string, bool) {
	for i := 0; i < len(email); i++ {
		if email[i] == '@' {
			return email[:i], email[i+1:], true
		}
	}
	return email, "", false
}
