package store

// Moving a whole installation from the embedded SQLite database to
// PostgreSQL (`parley migrate --from sqlite:DIR --to postgres://...`).
//
// The copy is generic: both engines run the same numbered migrations, so
// the tables are enumerated from the two schemas and copied column by
// column in foreign-key order. Only tables that cannot be copied row for
// row are named here (specialTables); CopyProblems reports any table the
// generic copy would get wrong (a table on one side only, no primary key,
// a column type it does not know), and a test runs it on freshly migrated
// databases of both engines, so a new migration that needs special
// treatment fails the build instead of a customer's migration.
//
// Everything is written in one PostgreSQL transaction, and the copy is
// proved before COMMIT: every copied table is read back in primary-key
// order and its row count and checksum (SHA-256 over a canonical text form
// of each row, computed by the same Go code on both sides) compared with
// what was read from SQLite. A mismatch, an error or an interruption rolls
// everything back: the target is left as empty as it was found.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/search"
)

// How a table is moved.
const (
	CopyRows    = "copied"  // row for row, proved by count and checksum
	CopyRebuilt = "rebuilt" // derived data, rebuilt on the target from copied tables
	CopySkipped = "skipped" // bookkeeping each database keeps for itself
)

// specialTables are the tables not copied row for row, and why. Every other
// table is copied generically.
var specialTables = map[string]struct {
	how, why string
}{
	"schema_migrations": {CopySkipped, "each database records its own migrations; the copy requires both at the same version"},
	"message_search": {CopyRebuilt, "the search index is derived from messages: SQLite's FTS5 table is contentless (its " +
		"terms cannot be read back) and PostgreSQL stores a tsvector, so it is rebuilt from the copied messages"},
}

// CopyOptions say what to copy where.
type CopyOptions struct {
	FromDir string // data directory of the SQLite installation
	To      string // postgres:// URL of an empty database
	// Progress, when set, is called every few thousand rows and at the end
	// of every table.
	Progress func(CopyProgress)
}

// CopyProgress is how far a copy is.
type CopyProgress struct {
	Table       string
	Rows, Total int64 // rows done and to do, over all tables
}

// CopiedTable is the outcome for one table.
type CopiedTable struct {
	Name     string
	How      string // CopyRows, CopyRebuilt or CopySkipped
	Rows     int64  // rows read from the source (copied), or rows written (rebuilt)
	Checksum string // hex SHA-256 of the canonical rows, equal on both sides (copied tables)
}

// CopyReport is what a successful copy did.
type CopyReport struct {
	Tables  []CopiedTable
	Rows    int64 // rows copied, over all copied tables
	Bytes   int64 // size of the canonical form of those rows
	Elapsed time.Duration
	Version int // schema version of both databases
}

// colClass is how a column's values are carried and compared.
type colClass byte

const (
	classInt   colClass = 'I'
	classBool  colClass = 'B'
	classText  colClass = 'T'
	classBytes colClass = 'X'
	classFloat colClass = 'F'
)

// pgClasses maps PostgreSQL's information_schema data types to classes; a
// type missing here makes CopyProblems fail until the copy learns it.
var pgClasses = map[string]colClass{
	"bigint": classInt, "integer": classInt, "smallint": classInt,
	"boolean": classBool,
	"text":    classText, "character varying": classText,
	"bytea":            classBytes,
	"double precision": classFloat, "real": classFloat,
}

// sqliteAffinity is the SQLite declared type each class must have.
var sqliteAffinity = map[colClass]string{
	classInt: "INTEGER", classBool: "INTEGER", classText: "TEXT", classBytes: "BLOB", classFloat: "REAL",
}

type column struct {
	name  string
	typ   string // declared (SQLite) or data_type (PostgreSQL)
	class colClass
}

type tableInfo struct {
	name     string
	cols     []column
	pk       []string
	virtual  bool     // SQLite virtual table
	refs     []string // tables its foreign keys point at
	identity []string // PostgreSQL identity or serial columns
}

// copyTable is one table of the plan, with the target's column order.
type copyTable struct {
	name string
	how  string
	cols []column
	pk   []string
	ids  []string
}

// Copy moves the SQLite installation in opts.FromDir into the empty
// PostgreSQL database opts.To. It returns Conflict "target_not_empty" when
// the target holds any row (nothing is written then), Invalid for a source
// that is missing or not migrated, and Internal when the copy does not
// verify (everything rolled back).
func Copy(ctx context.Context, opts CopyOptions) (CopyReport, error) {
	const op = "store.Copy"
	start := time.Now()
	var rep CopyReport
	if engine, err := engineOf(opts.To); err != nil || engine != Postgres {
		return rep, errs.E(op, errs.Invalid, "target_not_postgres", fmt.Errorf("the target must be a postgres:// URL, not %q", redact(opts.To)))
	}
	src, err := openSource(ctx, opts.FromDir)
	if err != nil {
		return rep, errs.E(op, errs.Invalid, "source_unusable", err)
	}
	defer src.Close()
	srcVersion, err := schemaVersion(ctx, src)
	if err != nil {
		return rep, errs.E(op, errs.Invalid, "source_unusable", err)
	}
	ms, err := Migrations(SQLite)
	if err != nil {
		return rep, err
	}
	if srcVersion != len(ms) {
		return rep, errs.E(op, errs.Invalid, "source_not_migrated", fmt.Errorf(
			"the database in %s is at schema version %d, this binary at %d: run 'parley migrate --data %s' first",
			opts.FromDir, srcVersion, len(ms), opts.FromDir))
	}

	conn, err := pgx.Connect(ctx, opts.To)
	if err != nil {
		return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("connect to %s: %w", redact(opts.To), err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Refuse before writing anything, not even the schema.
	if err := checkEmpty(ctx, conn, []string{"schema_migrations"}); err != nil {
		return rep, errs.E(op, errs.Conflict, "target_not_empty", err)
	}
	if _, err := MigrateDatabase(ctx, "", opts.To); err != nil {
		return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("migrate the target: %w", err))
	}

	tx, err := conn.Begin(ctx)
	if err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Nodes starting meanwhile wait on this lock (it is the one migrations
	// take) instead of writing into a half-copied database.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	dstVersion, err := pgSchemaVersion(ctx, tx)
	if err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	if dstVersion != srcVersion {
		return rep, errs.E(op, errs.Invalid, "schema_mismatch", fmt.Errorf("source schema version %d, target %d", srcVersion, dstVersion))
	}
	rep.Version = srcVersion
	srcSchema, err := sqliteSchema(ctx, src)
	if err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	dstSchema, err := pgSchema(ctx, tx)
	if err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	plan, problems := planCopy(srcSchema, dstSchema)
	if len(problems) > 0 {
		return rep, errs.E(op, errs.Internal, "copy_unsupported", fmt.Errorf("this binary cannot copy the schema: %s", strings.Join(problems, "; ")))
	}
	// Checked again under the lock: a node may have started in between.
	if err := checkEmpty(ctx, tx, []string{"schema_migrations"}); err != nil {
		return rep, errs.E(op, errs.Conflict, "target_not_empty", err)
	}

	// One read transaction on the source: a consistent snapshot even if an
	// admin command writes meanwhile.
	stx, err := src.BeginTx(ctx, nil)
	if err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	defer stx.Rollback()
	var total int64
	counts := map[string]int64{}
	for _, t := range plan {
		count := t.name
		switch t.how {
		case CopySkipped:
			continue
		case CopyRebuilt:
			count = "messages" // the search index is one row per visible message
		}
		var n int64
		if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(count)).Scan(&n); err != nil {
			return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("count %s: %w", count, err))
		}
		counts[t.name] = n
		total += n
	}
	prog := &progress{fn: opts.Progress, total: total}
	for _, t := range plan {
		ct := CopiedTable{Name: t.name, How: t.how}
		switch t.how {
		case CopyRows:
			rows, sum, size, err := copyRowsOf(ctx, stx, tx, t, prog)
			if err != nil {
				return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("copy %s: %w", t.name, err))
			}
			ct.Rows, ct.Checksum = rows, sum
			rep.Rows += rows
			rep.Bytes += size
		case CopyRebuilt:
			n, err := rebuildSearch(ctx, tx, prog, counts[t.name])
			if err != nil {
				return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("rebuild %s: %w", t.name, err))
			}
			ct.Rows = n
		}
		rep.Tables = append(rep.Tables, ct)
	}
	// Prove the copy before committing it.
	for i, t := range plan {
		if t.how != CopyRows {
			continue
		}
		rows, sum, err := pgChecksum(ctx, tx, t)
		if err != nil {
			return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("verify %s: %w", t.name, err))
		}
		if want := rep.Tables[i]; rows != want.Rows || sum != want.Checksum {
			return rep, errs.E(op, errs.Internal, "copy_mismatch", fmt.Errorf(
				"table %s: source has %d rows (checksum %s), target %d rows (checksum %s); nothing was committed",
				t.name, want.Rows, want.Checksum, rows, sum))
		}
	}
	if err := advanceIdentities(ctx, tx, plan); err != nil {
		return rep, errs.E(op, errs.Unavailable, "", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return rep, errs.E(op, errs.Unavailable, "", fmt.Errorf("commit: %w", err))
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// CopyProblems reports what the generic copy from the SQLite installation
// in fromDir to the PostgreSQL database to cannot handle; both must be
// migrated to the same version. Empty means every table is covered.
func CopyProblems(ctx context.Context, fromDir, to string) ([]string, error) {
	src, err := openSource(ctx, fromDir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	conn, err := pgx.Connect(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(to), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	s, err := sqliteSchema(ctx, src)
	if err != nil {
		return nil, err
	}
	d, err := pgSchema(ctx, conn)
	if err != nil {
		return nil, err
	}
	_, problems := planCopy(s, d)
	return problems, nil
}

// openSource opens the SQLite database in dir for reading.
func openSource(ctx context.Context, dir string) (*sql.DB, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no Parley database in %s: %w", dir, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil && missingTable(err) {
		return 0, nil
	}
	return v, err
}

// pgQuerier is a pgx connection or transaction.
type pgQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func pgSchemaVersion(ctx context.Context, q pgQuerier) (int, error) {
	var v int
	err := q.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// checkEmpty returns an error naming the tables of the current schema that
// hold rows (except those in skip).
func checkEmpty(ctx context.Context, q pgQuerier, skip []string) error {
	rows, err := q.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var full []string
	for _, n := range names {
		if slices.Contains(skip, n) {
			continue
		}
		var has bool
		if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoteIdent(n)+`)`).Scan(&has); err != nil {
			return err
		}
		if has {
			full = append(full, n)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("the target database is not empty (rows in %s): refusing to overwrite it; nothing was written. "+
			"Copy into a new, empty database (CREATE DATABASE parley)", strings.Join(full, ", "))
	}
	return nil
}

// quoteIdent quotes an identifier the same way for both engines.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quotedList(cols []column) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = quoteIdent(c.name)
	}
	return strings.Join(q, ", ")
}

// orderBy is the primary-key order, comparing text byte by byte on both
// engines (SQLite's BINARY collation; PostgreSQL's "C", whatever the
// database's default collation), so that both sides hash rows in the same
// order.
func orderBy(t copyTable, postgres bool) string {
	class := map[string]colClass{}
	for _, c := range t.cols {
		class[c.name] = c.class
	}
	parts := make([]string, len(t.pk))
	for i, k := range t.pk {
		parts[i] = quoteIdent(k)
		if postgres && class[k] == classText {
			parts[i] += ` COLLATE "C"`
		}
	}
	return strings.Join(parts, ", ")
}

// progress reports rows done over all tables.
type progress struct {
	fn          func(CopyProgress)
	done, total int64
	last        int64
}

func (p *progress) add(table string, n int64, final bool) {
	p.done += n
	if p.fn != nil && (final || p.done-p.last >= 5000) {
		p.last = p.done
		p.fn(CopyProgress{Table: table, Rows: p.done, Total: max(p.total, p.done)})
	}
}

// canon turns a value read from either engine into the one Go value the
// copy writes and hashes: int64, bool, string, []byte, float64 or nil. A
// value that does not fit its column's class is an error, never a silent
// conversion.
func canon(class colClass, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch class {
	case classInt:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		}
	case classBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			if x == 0 || x == 1 {
				return x == 1, nil
			}
		}
	case classText:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return nil, fmt.Errorf("want text, got %T", v)
		}
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("text %q is not valid UTF-8 without NUL bytes, which PostgreSQL requires", trimmed(s))
		}
		return s, nil
	case classBytes:
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case classFloat:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		case int64:
			return float64(x), nil
		}
	}
	return nil, fmt.Errorf("value %v (%T) does not fit a column of class %c", v, v, class)
}

func trimmed(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// rowHash is the checksum of a table: SHA-256 over each row's canonical
// text form, fields tagged with their class and length-prefixed so that no
// two different rows encode alike.
type rowHash struct {
	h    hash.Hash
	buf  []byte
	size int64
}

func newRowHash() *rowHash { return &rowHash{h: sha256.New()} }

func (r *rowHash) add(cols []column, vals []any) {
	b := r.buf[:0]
	for i, v := range vals {
		if v == nil {
			b = append(b, 'N', ';')
			continue
		}
		b = append(b, byte(cols[i].class))
		switch x := v.(type) {
		case int64:
			b = strconv.AppendInt(b, x, 10)
		case bool:
			if x {
				b = append(b, '1')
			} else {
				b = append(b, '0')
			}
		case string:
			b = strconv.AppendInt(b, int64(len(x)), 10)
			b = append(b, ':')
			b = append(b, x...)
		case []byte:
			b = strconv.AppendInt(b, int64(len(x)), 10)
			b = append(b, ':')
			b = hex.AppendEncode(b, x)
		case float64:
			b = strconv.AppendFloat(b, x, 'g', -1, 64)
		}
		b = append(b, ';')
	}
	b = append(b, '\n')
	r.h.Write(b)
	r.size += int64(len(b))
	r.buf = b
}

func (r *rowHash) sum() string { return hex.EncodeToString(r.h.Sum(nil)) }

// copyRowsOf streams one table from SQLite into PostgreSQL with COPY, one
// row in memory at a time, hashing what it reads.
func copyRowsOf(ctx context.Context, stx *sql.Tx, tx pgx.Tx, t copyTable, prog *progress) (int64, string, int64, error) {
	rows, err := stx.QueryContext(ctx, `SELECT `+quotedList(t.cols)+` FROM `+quoteIdent(t.name)+` ORDER BY `+orderBy(t, false))
	if err != nil {
		return 0, "", 0, err
	}
	defer rows.Close()
	s := &sqliteRows{rows: rows, t: t, hash: newRowHash(), prog: prog,
		raw: make([]any, len(t.cols)), ptrs: make([]any, len(t.cols)), vals: make([]any, len(t.cols))}
	for i := range s.raw {
		s.ptrs[i] = &s.raw[i]
	}
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.name
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, s)
	if err == nil {
		err = s.err
	}
	if err == nil && n != s.n {
		err = fmt.Errorf("read %d rows, PostgreSQL stored %d", s.n, n)
	}
	if err != nil {
		return 0, "", 0, err
	}
	prog.add(t.name, s.n-s.reported, true)
	return s.n, s.hash.sum(), s.hash.size, nil
}

// sqliteRows feeds COPY from a SQLite query.
type sqliteRows struct {
	rows            *sql.Rows
	t               copyTable
	hash            *rowHash
	prog            *progress
	raw, ptrs, vals []any
	n, reported     int64
	err             error
}

func (s *sqliteRows) Next() bool {
	if s.err != nil || !s.rows.Next() {
		if s.err == nil {
			s.err = s.rows.Err()
		}
		return false
	}
	if err := s.rows.Scan(s.ptrs...); err != nil {
		s.err = err
		return false
	}
	for i, c := range s.t.cols {
		v, err := canon(c.class, s.raw[i])
		if err != nil {
			s.err = fmt.Errorf("row %d, column %s: %w", s.n+1, c.name, err)
			return false
		}
		s.vals[i] = v
	}
	s.hash.add(s.t.cols, s.vals)
	s.n++
	if s.n-s.reported >= 1000 {
		s.prog.add(s.t.name, s.n-s.reported, false)
		s.reported = s.n
	}
	return true
}

func (s *sqliteRows) Values() ([]any, error) { return s.vals, nil }

func (s *sqliteRows) Err() error { return s.err }

// pgChecksum reads a copied table back in primary-key order and hashes it
// as copyRowsOf hashed the source.
func pgChecksum(ctx context.Context, tx pgx.Tx, t copyTable) (int64, string, error) {
	rows, err := tx.Query(ctx, `SELECT `+quotedList(t.cols)+` FROM `+quoteIdent(t.name)+` ORDER BY `+orderBy(t, true))
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	h := newRowHash()
	vals := make([]any, len(t.cols))
	var n int64
	for rows.Next() {
		raw, err := rows.Values()
		if err != nil {
			return 0, "", err
		}
		for i, c := range t.cols {
			if vals[i], err = canon(c.class, raw[i]); err != nil {
				return 0, "", fmt.Errorf("row %d, column %s: %w", n+1, c.name, err)
			}
		}
		h.add(t.cols, vals)
		n++
	}
	return n, h.sum(), rows.Err()
}

// advanceIdentities moves every identity (or serial) sequence past the
// largest copied id, so that the next insert does not collide with a copied
// row.
func advanceIdentities(ctx context.Context, tx pgx.Tx, plan []copyTable) error {
	for _, t := range plan {
		for _, col := range t.ids {
			_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(`+quoteIdent(col)+`), 0) + 1, false) FROM `+
				quoteIdent(t.name), quoteIdent(t.name), col)
			if err != nil {
				return fmt.Errorf("advance the sequence of %s.%s: %w", t.name, col, err)
			}
		}
	}
	return nil
}

// rebuildSearch writes the search index of every visible copied message,
// a batch of messages at a time, and checks it covers them all. The
// documents are the ones a send writes (the same tsvector literal), sent
// with COPY in binary form: the index is empty (the target was), so there
// is nothing to upsert, and PostgreSQL skips parsing 200,000 literals.
func rebuildSearch(ctx context.Context, tx pgx.Tx, prog *progress, messages int64) (int64, error) {
	var after, done, visible int64
	for {
		rows, err := tx.Query(ctx, `SELECT id, channel_id, author_id, text, deleted_at <> 0 OR recalled_at <> 0
			FROM messages WHERE id > $1 ORDER BY id LIMIT $2`, after, ReindexBatch)
		if err != nil {
			return 0, err
		}
		var batch [][]any
		n := 0
		for rows.Next() {
			var id, channel, author int64
			var text string
			var hidden bool
			if err := rows.Scan(&id, &channel, &author, &text, &hidden); err != nil {
				rows.Close()
				return 0, err
			}
			n++
			after = id
			if hidden {
				continue
			}
			var vec pgtype.TSVector
			if err := vec.Scan(tsvector(search.MessageDocument(text, channel, author))); err != nil {
				rows.Close()
				return 0, fmt.Errorf("message %d: %w", id, err)
			}
			batch = append(batch, []any{id, vec})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		if len(batch) > 0 {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"message_search"}, []string{"rowid", "doc"}, pgx.CopyFromRows(batch)); err != nil {
				return 0, err
			}
		}
		visible += int64(len(batch))
		done += int64(n)
		prog.add("message_search", int64(n), n < ReindexBatch)
		if n < ReindexBatch {
			break
		}
	}
	if done != messages {
		return 0, fmt.Errorf("indexed %d messages, the source has %d", done, messages)
	}
	var indexed int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM message_search`).Scan(&indexed); err != nil {
		return 0, err
	}
	if indexed != visible {
		return 0, fmt.Errorf("the index has %d rows for %d visible messages", indexed, visible)
	}
	return indexed, nil
}
