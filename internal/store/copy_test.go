package store_test

import (
	"context"
	"database/sql"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestCopyCoversSchema fails when a migration adds a table that `parley
// migrate --from sqlite:DIR --to postgres://...` cannot copy generically: a
// table on one engine only, without a primary key, with a column type the
// copy does not know, or a SQLite virtual table. Such a table needs an
// entry in specialTables (internal/store/copy.go) and a test of its own.
func TestCopyCoversSchema(t *testing.T) {
	src := storetest.SQLite(t)
	src.Open(t, store.Options{}).Close()
	dst := storetest.Postgres(t)
	dst.Open(t, store.Options{}).Close()
	problems, err := store.CopyProblems(context.Background(), src.Dir, dst.Database)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("parley migrate --from/--to cannot copy: %s", p)
	}
}

// TestCopyProblemsNameUnhandledTables shows that the check above can fail:
// each kind of table the generic copy cannot handle is reported by name.
func TestCopyProblemsNameUnhandledTables(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	src.Open(t, store.Options{}).Close()
	dst := storetest.Postgres(t)
	dst.Open(t, store.Options{}).Close()
	execAll(t, "sqlite", "file:"+src.Dir+"/"+store.FileName,
		`CREATE TABLE no_key (a INTEGER NOT NULL)`,
		`CREATE TABLE gadgets (id INTEGER PRIMARY KEY, doc TEXT NOT NULL)`,
		`CREATE TABLE lite_only (id INTEGER PRIMARY KEY)`,
		`CREATE VIRTUAL TABLE notes USING fts5(body)`)
	execAll(t, "pgx", dst.Database,
		`CREATE TABLE no_key (a BIGINT NOT NULL)`,
		`CREATE TABLE gadgets (id BIGINT PRIMARY KEY, doc JSONB NOT NULL)`,
		`CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)`,
		`ALTER TABLE orgs ADD COLUMN name_upper TEXT GENERATED ALWAYS AS (upper(name)) STORED`)
	execAll(t, "sqlite", "file:"+src.Dir+"/"+store.FileName, `ALTER TABLE orgs ADD COLUMN name_upper TEXT`)
	problems, err := store.CopyProblems(ctx, src.Dir, dst.Database)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{"table no_key: primary key", "column gadgets.doc has type jsonb",
		"table lite_only exists only on SQLite", "table notes is a SQLite virtual table",
		"column orgs.name_upper has type generated text"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not mention %q:\n%s", want, all)
		}
	}
	if len(problems) != 5 {
		t.Errorf("%d problems, want 5 (the shadow tables of an FTS5 table go with it):\n%s", len(problems), all)
	}
}

func execAll(tb testing.TB, driver, dsn string, stmts ...string) {
	tb.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			tb.Fatalf("%s: %v", s, err)
		}
	}
}

// TestCopyRefusesNonEmptyTarget: a target holding any row, Parley's or
// another application's, is refused before anything is written.
func TestCopyRefusesNonEmptyTarget(t *testing.T) {
	ctx := context.Background()
	src := storetest.SQLite(t)
	storetest.SearchWorld(t, src.Open(t, store.Options{}), 10)

	// Another application's table: not even Parley's schema is created.
	foreign := storetest.Postgres(t)
	execAll(t, "pgx", foreign.Database, `CREATE TABLE invoices (id BIGINT PRIMARY KEY)`, `INSERT INTO invoices VALUES (1)`)
	_, err := store.Copy(ctx, store.CopyOptions{FromDir: src.Dir, To: foreign.Database})
	if errs.CodeOf(err) != "target_not_empty" || !strings.Contains(err.Error(), "invoices") {
		t.Fatalf("copy into a database with another table's rows: %v, want target_not_empty naming invoices", err)
	}
	if n := countTables(t, foreign.Database); n != 1 {
		t.Errorf("after the refusal the target has %d tables, want 1 (nothing written)", n)
	}

	// A Parley database in use: refused, its rows untouched.
	used := storetest.Postgres(t)
	storetest.SearchWorld(t, used.Open(t, store.Options{}), 5)
	before := rowCount(t, used.Database, "messages")
	_, err = store.Copy(ctx, store.CopyOptions{FromDir: src.Dir, To: used.Database})
	if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "target_not_empty" {
		t.Fatalf("copy into a used Parley database: %v, want Conflict target_not_empty", err)
	}
	if after := rowCount(t, used.Database, "messages"); after != before {
		t.Errorf("messages in the refused target: %d, was %d", after, before)
	}

	// A freshly migrated, empty database is accepted.
	empty := storetest.Postgres(t)
	empty.Open(t, store.Options{}).Close()
	rep, err := store.Copy(ctx, store.CopyOptions{FromDir: src.Dir, To: empty.Database})
	if err != nil {
		t.Fatalf("copy into a migrated, empty database: %v", err)
	}
	if got := rowCount(t, empty.Database, "messages"); got != 10 {
		t.Errorf("copied messages: %d, want 10", got)
	}
	for _, tb := range rep.Tables {
		if tb.How == store.CopyRows && len(tb.Checksum) != 64 {
			t.Errorf("table %s: checksum %q", tb.Name, tb.Checksum)
		}
	}
	// Copying again into the now full database is refused.
	if _, err := store.Copy(ctx, store.CopyOptions{FromDir: src.Dir, To: empty.Database}); errs.CodeOf(err) != "target_not_empty" {
		t.Errorf("second copy into the same database: %v, want target_not_empty", err)
	}
}

// TestCopyRefusesUnmigratedSource: a data directory last run by an older
// release is refused with the command that fixes it, nothing written.
func TestCopyRefusesUnmigratedSource(t *testing.T) {
	src := storetest.SQLite(t)
	src.Open(t, store.Options{}).Close()
	execAll(t, "sqlite", "file:"+src.Dir+"/"+store.FileName,
		`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`)
	dst := storetest.Postgres(t)
	_, err := store.Copy(context.Background(), store.CopyOptions{FromDir: src.Dir, To: dst.Database})
	if errs.CodeOf(err) != "source_not_migrated" || !strings.Contains(err.Error(), "parley migrate --data "+src.Dir) {
		t.Fatalf("copy from an unmigrated installation: %v, want source_not_migrated naming the fix", err)
	}
	if n := countTables(t, dst.Database); n != 0 {
		t.Errorf("the target has %d tables after the refusal, want 0", n)
	}
}

func countTables(tb testing.TB, url string) int {
	tb.Helper()
	return queryInt(tb, url, `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`)
}

func rowCount(tb testing.TB, url, table string) int {
	tb.Helper()
	return queryInt(tb, url, `SELECT COUNT(*) FROM `+table)
}

func queryInt(tb testing.TB, url, q string) int {
	tb.Helper()
	db, err := sql.Open("pgx", url)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// BenchmarkCopy measures `parley migrate --from/--to` on a synthetic
// history (default 200,000 messages; PARLEY_COPY_BENCH_MESSAGES overrides)
// copied into a new database of the server named by PARLEY_TEST_POSTGRES.
// It reports rows and megabytes (of the canonical row form) per second,
// and the largest heap seen during the copy.
//
//	scripts/test-postgres.sh go test ./internal/store -run '^$' -bench BenchmarkCopy -benchtime 1x
func BenchmarkCopy(b *testing.B) {
	n := 200_000
	if s := os.Getenv("PARLEY_COPY_BENCH_MESSAGES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	src := storetest.SQLite(b)
	db := src.Open(b, store.Options{})
	storetest.SearchWorld(b, db, n)
	db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dst := storetest.Postgres(b)
		b.StartTimer()
		// Sample the heap as the copy goes: it must not grow with the
		// history.
		var peak uint64
		var ms runtime.MemStats
		rep, err := store.Copy(context.Background(), store.CopyOptions{FromDir: src.Dir, To: dst.Database,
			Progress: func(store.CopyProgress) {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(rep.Rows)/rep.Elapsed.Seconds(), "rows/s")
		b.ReportMetric(float64(rep.Bytes)/1e6/rep.Elapsed.Seconds(), "MB/s")
		b.ReportMetric(float64(rep.Rows), "rows")
	}
}
