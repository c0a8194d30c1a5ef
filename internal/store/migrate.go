package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one numbered, forward-only schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations of a dialect ("sqlite"), in order.
func Migrations(dialect string) ([]Migration, error) {
	dir := "migrations/" + dialect
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %s: name must start with a number and '_'", name)
		}
		b, err := fs.ReadFile(migrationFS, dir+"/"+name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration %s out of sequence (want %d)", m.Name, i+1)
		}
	}
	return ms, nil
}

const createMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
)`

// Migrate applies pending migrations, each in its own transaction, and
// returns how many it applied.
func Migrate(ctx context.Context, db *sql.DB) error {
	_, err := MigrateCount(ctx, db)
	return err
}

// MigrateCount is Migrate that also reports how many migrations ran.
func MigrateCount(ctx context.Context, db *sql.DB) (int, error) {
	if _, err := db.ExecContext(ctx, createMigrations); err != nil {
		return 0, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	ms, err := Migrations("sqlite")
	if err != nil {
		return 0, err
	}
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if current > len(ms) {
		return 0, fmt.Errorf("store: database schema version %d is newer than this binary (%d); upgrade Parley", current, len(ms))
	}
	n := 0
	for _, m := range ms[current:] {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return n, fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
			tx.Rollback()
			return n, fmt.Errorf("store: record migration %s: %w", m.Name, err)
		}
		if err := tx.Commit(); err != nil {
			return n, fmt.Errorf("store: commit migration %s: %w", m.Name, err)
		}
		n++
	}
	return n, nil
}

// PendingMigrations returns how many migrations are not applied yet.
func PendingMigrations(ctx context.Context, db *sql.DB) (int, error) {
	ms, err := Migrations("sqlite")
	if err != nil {
		return 0, err
	}
	var current int
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return len(ms), nil
		}
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return len(ms) - current, nil
}

// OpenForMigrate opens the database in dir for `parley migrate` without
// starting the commit loop.
func OpenForMigrate(ctx context.Context, dir string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+dir+"/"+FileName+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, db.PingContext(ctx)
}
