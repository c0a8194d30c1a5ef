package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/server"
)

// newSecretKey writes a new key file for --secret-key-file: the one every
// node of a PostgreSQL cluster is given, or the target of a rotation.
func newSecretKey(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" || args[0][0] == '-' {
		fmt.Fprintln(stderr, "Usage: parley admin new-secret-key FILE   (writes a new random key, mode 0600; never replaces a file)")
		return 2
	}
	id, err := server.NewSecretKeyFile(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "parley admin new-secret-key: %s - %v\n", errs.CodeOf(err), err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote key %s to %s: back it up apart from the database backups\n", id, args[0])
	return 0
}

// rotateSecretKey re-seals every stored SSO and TOTP secret under a new key
// (ADR 0019, docs/deploy/runbook.md).
func rotateSecretKey(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("admin rotate-secret-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr(getenv, "PARLEY_DATA", "./data"), "data directory (env PARLEY_DATA)")
	database := fs.String("database", getenv("PARLEY_DATABASE"), "\"sqlite\" (default: the file in --data) or a postgres:// URL (env PARLEY_DATABASE)")
	current := fs.String("secret-key-file", getenv("PARLEY_SECRET_KEY_FILE"), "the key file in use (env PARLEY_SECRET_KEY_FILE; default: DATA/secret.key with SQLite)")
	old := fs.String("secret-old-key-files", getenv("PARLEY_SECRET_OLD_KEY_FILES"), "comma-separated former key files that may still have sealed values (env PARLEY_SECRET_OLD_KEY_FILES)")
	next := fs.String("new-key-file", "", "the new key file, created when it does not exist; with SQLite and the default key it may be left out: the new key replaces DATA/secret.key")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "parley admin rotate-secret-key: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	id, rep, err := server.RotateSecretKey(context.Background(), *dir, *database, server.ParseKeyFiles(*current, *old), *next)
	if err != nil {
		fmt.Fprintf(stderr, "parley admin rotate-secret-key: %s - %v\n", errs.CodeOf(err), err)
		return 1
	}
	fmt.Fprintf(stdout, "re-sealed %d secret(s) under key %s (%d plaintext sealed, %d already under it)\n",
		rep.Resealed, id, rep.Sealed, rep.Unchanged)
	switch {
	case *next == "" && *current == "":
		fmt.Fprintf(stdout, "the new key is now %s (the old one is kept beside it as %s.old-*); back it up\n",
			filepath.Join(*dir, server.KeyFileName), server.KeyFileName)
	default:
		fmt.Fprintf(stdout, "now give every server --secret-key-file %s; keep the old key until every node has restarted\n", *next)
	}
	return 0
}
