package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
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

// Migrations returns the migrations of an engine (SQLite or Postgres), in
// order.
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

// migrateLock is the PostgreSQL advisory lock key ("parley" in ASCII) that
// keeps nodes starting together from applying the same migration twice.
const migrateLock = 0x7061726c6579

// Migrate applies pending migrations to a SQLite database, each in its own
// transaction.
func Migrate(ctx context.Context, db *sql.DB) error {
	_, err := MigrateCount(ctx, db)
	return err
}

// MigrateCount is Migrate that also reports how many migrations ran.
func MigrateCount(ctx context.Context, db *sql.DB) (int, error) {
	return migrateDB(ctx, db, newDialect(SQLite))
}

// MigrateDatabase applies pending migrations to the database named by
// database (as Options.Database: "" for the SQLite file in dir) and reports
// how many ran.
func MigrateDatabase(ctx context.Context, dir, database string) (int, error) {
	engine, err := engineOf(database)
	if err != nil {
		return 0, err
	}
	if engine == SQLite {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return 0, fmt.Errorf("store: create data dir: %w", err)
		}
		db, err := OpenForMigrate(ctx, dir)
		if err != nil {
			return 0, err
		}
		defer db.Close()
		return MigrateCount(ctx, db)
	}
	d := newDialect(engine)
	db, _, where, err := d.open(dir, database)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		return 0, fmt.Errorf("store: open %s: %w", where, err)
	}
	return migrateDB(ctx, db, d)
}

// migrateDB applies the dialect's pending migrations on one connection
// (holding an advisory lock on PostgreSQL) and reports how many ran.
func migrateDB(ctx context.Context, db *sql.DB, d *dialect) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if d.name == Postgres {
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
			return 0, fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	}
	if _, err := conn.ExecContext(ctx, createMigrations); err != nil {
		return 0, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	ms, err := Migrations(d.name)
	if err != nil {
		return 0, err
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	if current > len(ms) {
		return 0, fmt.Errorf("store: database schema version %d is newer than this binary (%d); upgrade Parley", current, len(ms))
	}
	n := 0
	for _, m := range ms[current:] {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return n, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return n, fmt.Errorf("store: migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), m.Version, m.Name); err != nil {
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

// PendingMigrations returns how many migrations a SQLite database lacks.
func PendingMigrations(ctx context.Context, db *sql.DB) (int, error) {
	return pendingMigrations(ctx, db, newDialect(SQLite))
}

func pendingMigrations(ctx context.Context, db *sql.DB, d *dialect) (int, error) {
	ms, err := Migrations(d.name)
	if err != nil {
		return 0, err
	}
	var current int
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current)
	if err != nil {
		if missingTable(err) {
			return len(ms), nil
		}
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return len(ms) - current, nil
}

// OpenForMigrate opens the SQLite database in dir for `parley migrate`
// without starting the commit loop.
func OpenForMigrate(ctx context.Context, dir string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+dir+"/"+FileName+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, db.PingContext(ctx)
}
