package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/store"
)

// copyInstallation is `parley migrate --from sqlite:DIR --to postgres://...`:
// it moves a whole installation into an empty PostgreSQL database and
// prints, per table, the row count and checksum both sides agreed on.
func copyInstallation(from, to string, quiet bool, stdout, stderr io.Writer) int {
	dir, ok := strings.CutPrefix(from, "sqlite:")
	if !ok || dir == "" {
		fmt.Fprintf(stderr, "parley migrate: --from %q: want sqlite:DIR, the data directory of the installation to move\n", from)
		return 2
	}
	if !strings.HasPrefix(to, "postgres://") && !strings.HasPrefix(to, "postgresql://") {
		fmt.Fprintln(stderr, "parley migrate: --to: want the postgres://user:password@host:5432/dbname URL of an empty database (or set PARLEY_DATABASE)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	opts := store.CopyOptions{FromDir: dir, To: to}
	if !quiet {
		opts.Progress = copyBar(stderr, start)
	}
	rep, err := server.CopyInstallation(ctx, opts)
	if !quiet && opts.Progress != nil {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "parley migrate: %s - %v\n", errs.CodeOf(err), err)
		if errs.CodeOf(err) != "target_not_empty" {
			fmt.Fprintln(stderr, "parley migrate: the target is unchanged (the copy runs in one transaction); fix the cause and run it again")
		}
		return 1
	}
	secs := max(rep.Elapsed.Seconds(), 0.001)
	fmt.Fprintf(stdout, "copied %d rows (%.1f MB) from %s to %s in %v: %.0f rows/s, %.1f MB/s; schema version %d\n",
		rep.Rows, float64(rep.Bytes)/1e6, from, redactURL(to), rep.Elapsed.Round(time.Millisecond),
		float64(rep.Rows)/secs, float64(rep.Bytes)/1e6/secs, rep.Version)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\thow\trows\tchecksum (SHA-256 of the rows, equal on both sides)")
	for _, t := range rep.Tables {
		rows, sum := fmt.Sprint(t.Rows), t.Checksum
		switch t.How {
		case store.CopySkipped:
			rows, sum = "-", "-"
		case store.CopyRebuilt:
			sum = "(rebuilt from the copied rows)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.How, rows, sum)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "verified: every copied table has the same row count and checksum on both sides.")
	fmt.Fprintf(stdout, "next: start the nodes with --database (PARLEY_DATABASE) set to the new database. Uploaded files stay in %s: "+
		"keep --data %s on a single node, or copy them into the --files-s3 bucket of a cluster (docs/deploy/README.md)\n",
		filepath.Join(dir, "files"), dir)
	fmt.Fprintf(stdout, "SSO and 2FA secrets were copied sealed, as they were: give every node --secret-key-file "+
		"(PARLEY_SECRET_KEY_FILE) naming a copy of %s (the key the server in %s used)\n",
		filepath.Join(dir, server.KeyFileName), dir)
	return 0
}

// copyBar returns a progress callback drawing a one-line bar.
func copyBar(w io.Writer, start time.Time) func(store.CopyProgress) {
	const width = 30
	return func(p store.CopyProgress) {
		frac := 1.0
		if p.Total > 0 {
			frac = float64(p.Rows) / float64(p.Total)
		}
		n := int(frac * width)
		rate := float64(p.Rows) / max(time.Since(start).Seconds(), 0.001)
		fmt.Fprintf(w, "\r[%s%s] %3.0f%% %d/%d rows, %.0f rows/s, %-20s", strings.Repeat("#", n), strings.Repeat(" ", width-n),
			frac*100, p.Rows, p.Total, rate, p.Table)
	}
}

// redactURL hides the password of a database URL.
func redactURL(u string) string {
	i := strings.Index(u, "://")
	at := strings.LastIndex(u, "@")
	if i < 0 || at < i {
		return u
	}
	if c := strings.Index(u[i+3:at], ":"); c >= 0 {
		return u[:i+3+c] + ":xxxxx" + u[at:]
	}
	return u
}
