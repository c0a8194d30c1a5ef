package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// reindex rebuilds the message search index: after upgrading to the release
// that added search (migration 0002 creates an empty index), after a bulk
// import, or if the index is ever suspected. It goes through the store's
// writer in short transactions, so a running server keeps working.
func reindex(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	fs := flag.NewFlagSet("admin reindex", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", envOr(getenv, "PARLEY_DATA", "./data"), "data directory (env PARLEY_DATA)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if _, err := os.Stat(filepath.Join(*dir, store.FileName)); err != nil {
		fmt.Fprintf(stderr, "parley admin reindex: no database in %s (%v)\n", *dir, err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	db, err := store.Open(ctx, *dir, false, store.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "parley admin reindex: %v\n", err)
		return 1
	}
	defer db.Close()
	if err := db.Ready(ctx); err != nil {
		fmt.Fprintf(stderr, "parley admin reindex: the database in %s is not ready (%v); run 'parley migrate --data %s' first\n", *dir, err, *dir)
		return 1
	}
	start := time.Now()
	var bar func(done, total int)
	if !*quiet {
		bar = progressBar(stderr, start)
	}
	total := 0
	err = db.Reindex(ctx, func(done, t int) {
		total = done
		if bar != nil {
			bar(done, t)
		}
	})
	if !*quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		fmt.Fprintf(stderr, "parley admin reindex: stopped after %d messages: %v (run it again; it is idempotent)\n", total, err)
		return 1
	}
	fmt.Fprintf(stdout, "reindexed %d messages in %v\n", total, time.Since(start).Round(time.Millisecond))
	return 0
}

// progressBar returns a function that redraws a one-line progress bar.
func progressBar(w io.Writer, start time.Time) func(done, total int) {
	const width = 30
	return func(done, total int) {
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		n := int(frac * width)
		rate := float64(done) / max(time.Since(start).Seconds(), 0.001)
		fmt.Fprintf(w, "\r[%s%s] %3.0f%% %d/%d messages, %.0f/s ", strings.Repeat("#", n), strings.Repeat(" ", width-n),
			frac*100, done, total, rate)
	}
}
