package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/parley-chat/parley/internal/search"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// This file holds everything that differs between the two engines; the
// queries in the other files are written once. They use '?' placeholders
// (rewritten to $n for PostgreSQL, once per query text), TRUE and FALSE for
// booleans (SQLite stores them as 0/1 and reads TRUE as 1; PostgreSQL columns
// are BOOLEAN), ON CONFLICT and RETURNING, which both engines share.

// Engine names, which are also the migration folders.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// dialect is one engine's hooks. Each DB has its own (the rebind cache is
// per DB, not package state).
type dialect struct {
	name string // SQLite or Postgres
	// writers is how many commit loops (writer connections) run: one on
	// SQLite (one writer at a time anyway); several on PostgreSQL, whose
	// round trips, not its commits, bound one connection (ADR 0010).
	writers int
	// stmtCache keeps *sql.Stmt per query. pgx already prepares and caches
	// statements per connection, so PostgreSQL does without.
	stmtCache bool
	// pinned is the predicate of the partial index messages_pinned, written
	// as each schema declares it so that the planner uses the index (SQLite
	// matches a partial index's WHERE textually: 'pinned = TRUE' does not
	// match 'pinned = 1').
	pinned string
	// writableCTEs: the engine runs data-modifying statements in WITH
	// (PostgreSQL), so several dependent writes can share one statement and
	// one round trip. SQLite has none, and needs none: a statement costs it
	// no round trip.
	writableCTEs bool
	// prefetchPosts: a batch loads its posts' targets (channel, membership,
	// idempotency) with one query before running them (PostgreSQL, where
	// each query is a round trip); SQLite reads each when the post runs.
	prefetchPosts bool
	rebound       sync.Map // query text -> PostgreSQL text
}

func newDialect(name string) *dialect {
	if name == Postgres {
		return &dialect{name: Postgres, writers: 4, pinned: "pinned", writableCTEs: true, prefetchPosts: true}
	}
	return &dialect{name: SQLite, writers: 1, stmtCache: true, pinned: "pinned = 1"}
}

// engineOf tells which engine a --database value names: "" or "sqlite" is
// the embedded SQLite file in the data directory, a postgres:// or
// postgresql:// URL is PostgreSQL.
func engineOf(database string) (string, error) {
	switch {
	case database == "" || database == SQLite:
		return SQLite, nil
	case strings.HasPrefix(database, "postgres://"), strings.HasPrefix(database, "postgresql://"):
		return Postgres, nil
	}
	return "", fmt.Errorf("store: database %q: want empty, %q or a postgres:// URL", redact(database), SQLite)
}

// redact hides a password in a database URL for error messages.
func redact(database string) string {
	if i := strings.Index(database, "://"); i >= 0 {
		if at := strings.LastIndex(database, "@"); at > i {
			if c := strings.Index(database[i+3:at], ":"); c >= 0 {
				return database[:i+3+c] + ":xxxxx" + database[at:]
			}
		}
	}
	return database
}

// open returns the writer (one connection, owned by the commit loop) and a
// function opening the read pool (read-only sessions) once migrations ran.
func (d *dialect) open(dir, database string) (write *sql.DB, readers func() (*sql.DB, error), where string, err error) {
	if d.name == Postgres {
		if database, err = withoutJIT(database); err != nil {
			return nil, nil, "", fmt.Errorf("store: open writer: %w", err)
		}
		write, err = sql.Open("pgx", database)
		if err != nil {
			return nil, nil, "", fmt.Errorf("store: open writer: %w", err)
		}
		write.SetMaxOpenConns(d.writers)
		write.SetMaxIdleConns(d.writers)
		readers = func() (*sql.DB, error) {
			u, err := url.Parse(database)
			if err != nil {
				return nil, err
			}
			q := u.Query()
			q.Set("default_transaction_read_only", "on")
			u.RawQuery = q.Encode()
			read, err := sql.Open("pgx", u.String())
			if err != nil {
				return nil, err
			}
			read.SetMaxOpenConns(8)
			read.SetMaxIdleConns(8)
			return read, nil
		}
		return write, readers, redact(database), nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, "", fmt.Errorf("store: create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// busy_timeout first so that the other pragmas wait instead of failing;
	// WAL for concurrent readers; synchronous=FULL so that every commit is
	// fsynced: an acknowledged write survives power loss.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)" +
		"&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)"
	write, err = sql.Open("sqlite", base+"&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, nil, "", fmt.Errorf("store: open writer: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	readers = func() (*sql.DB, error) {
		read, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
		if err != nil {
			return nil, err
		}
		read.SetMaxOpenConns(8)
		read.SetMaxIdleConns(8)
		return read, nil
	}
	return write, readers, path, nil
}

// withoutJIT turns PostgreSQL's JIT compilation off for the store's
// sessions (the URL's jit parameter wins if it names one; pgx sends unknown
// URL parameters as run-time settings). JIT compiles a plan again at every
// execution whose estimated cost passes jit_above_cost, and the estimates of
// statements over unnest() of array parameters (a batch's events and post
// targets) pass it: a post cost milliseconds of compilation, four times the
// rest of its work with one sender (ADR 0020). Parley's queries are short
// index lookups, which JIT does not speed up.
func withoutJIT(database string) (string, error) {
	u, err := url.Parse(database)
	if err != nil {
		return "", fmt.Errorf("parse %s: %w", redact(database), err)
	}
	q := u.Query()
	if q.Has("jit") {
		return database, nil
	}
	q.Set("jit", "off")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// rebind turns '?' placeholders into PostgreSQL's $1, $2...; quoted text and
// comments are left alone. Each query text is rewritten once and cached.
func (d *dialect) rebind(query string) string {
	if d.name != Postgres {
		return query
	}
	if q, ok := d.rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	q := b.String()
	d.rebound.Store(query, q)
	return q
}

// anyOf returns a condition that col is one of list (a []int64 or
// []string) and its argument: one statement shape for any length, beyond
// SQLite's limit on bound parameters.
func (d *dialect) anyOf(col string, list any) (string, any) {
	if d.name == Postgres {
		return col + " = ANY(?)", list
	}
	b, _ := json.Marshal(list)
	return col + " IN (SELECT value FROM json_each(?))", string(b)
}

// uniqueCodes maps the unique indexes a user can run into, by name, to the
// stable error code they see.
var uniqueCodes = map[string]string{
	"users_email":              "email_taken",
	"users_org_username":       "username_taken",
	"channels_org_name":        "channel_name_taken",
	"channels_org_dm":          "dm_exists",
	"messages_client":          "client_id_taken",
	"departments_sibling_name": "department_name_taken",
	"users_org_employee_no":    "employee_no_taken",
	"profile_fields_org_name":  "profile_field_taken",
	"user_groups_org_handle":   "group_handle_taken",
}

// sqliteUniqueIndexes names the index behind the columns SQLite reports in
// "UNIQUE constraint failed: <columns>" (PostgreSQL reports the name).
var sqliteUniqueIndexes = map[string]string{
	"users.email":                                                     "users_email",
	"users.org_id, users.username":                                    "users_org_username",
	"channels.org_id, channels.name_key":                              "channels_org_name",
	"channels.org_id, channels.dm_key":                                "channels_org_dm",
	"messages.author_id, messages.client_id":                          "messages_client",
	"departments.org_id, departments.parent_id, departments.name_key": "departments_sibling_name",
	"users.org_id, users.employee_no":                                 "users_org_employee_no",
	"profile_fields.org_id, profile_fields.name_key":                  "profile_fields_org_name",
	"user_groups.org_id, user_groups.handle":                          "user_groups_org_handle",
}

// uniqueViolation reports whether err is a unique violation and its stable
// code ("conflict" for an index not listed in uniqueCodes).
func uniqueViolation(err error) (string, bool) {
	var index string
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code != "23505" {
			return "", false
		}
		index = pe.ConstraintName
	} else {
		msg := err.Error()
		i := strings.Index(msg, "UNIQUE constraint failed: ")
		if i < 0 {
			return "", false
		}
		cols := msg[i+len("UNIQUE constraint failed: "):]
		if j := strings.Index(cols, " ("); j >= 0 {
			cols = cols[:j]
		}
		index = sqliteUniqueIndexes[cols]
	}
	if code, ok := uniqueCodes[index]; ok {
		return code, true
	}
	return "conflict", true
}

// missingTable reports whether err says a table does not exist.
func missingTable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "42P01"
	}
	return strings.Contains(err.Error(), "no such table")
}

// Full-text search. SQLite has the FTS5 table message_search (body, uni,
// meta columns, rowid = message id). PostgreSQL has message_search(rowid,
// doc tsvector) with a GIN index: the same pre-tokenized terms from
// internal/search, body terms weighted A, uni B and meta C, so that a column
// filter becomes a weight restriction. The query arrives as the small FTS5
// expression internal/search builds and is translated to a tsquery.

// indexDoc returns the statement writing (or replacing) a message's index row.
func (d *dialect) indexDoc(id int64, doc search.Document) (string, []any) {
	if d.name == Postgres {
		return `INSERT INTO message_search (rowid, doc) VALUES (?, CAST(? AS tsvector))
			ON CONFLICT (rowid) DO UPDATE SET doc = excluded.doc`, []any{id, tsvector(doc)}
	}
	return `INSERT OR REPLACE INTO message_search (rowid, body, uni, meta) VALUES (?, ?, ?, ?)`,
		[]any{id, doc.Body, doc.Uni, doc.Meta}
}

// indexDocs returns one statement writing many index rows at once, or ""
// when rows are best written one by one (SQLite, where a statement costs no
// round trip). Reindexing a long history on PostgreSQL one row per round
// trip would take minutes.
func (d *dialect) indexDocs(ids []int64, docs []search.Document) (string, []any) {
	if d.name != Postgres {
		return "", nil
	}
	vecs := make([]string, len(docs))
	for i, doc := range docs {
		vecs[i] = tsvector(doc)
	}
	return `INSERT INTO message_search (rowid, doc)
		SELECT id, CAST(doc AS tsvector) FROM unnest(CAST(? AS bigint[]), CAST(? AS text[])) AS x(id, doc)
		ON CONFLICT (rowid) DO UPDATE SET doc = excluded.doc WHERE message_search.doc <> excluded.doc`, []any{ids, vecs}
}

// match is the condition that the index row (alias s, or the unaliased
// table) matches the query bound to its placeholder, and the argument.
func (d *dialect) match(fts string) (string, any, error) {
	if d.name == Postgres {
		q, err := tsquery(fts)
		return "doc @@ CAST(? AS tsquery)", q, err
	}
	return "message_search MATCH ?", fts, nil
}

// ftsWeights maps the FTS5 columns to tsvector weights.
var ftsWeights = map[string]byte{"body": 'A', "uni": 'B', "meta": 'C'}

// ftsTerms splits text as FTS5's 'ascii' tokenizer does: ASCII letters and
// digits and every non-ASCII character are token characters, ASCII letters
// are folded to lower case.
func ftsTerms(s string) []string {
	return strings.FieldsFunc(strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s), func(r rune) bool {
		return r < 0x80 && !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || 'A' <= r && r <= 'Z')
	})
}

// lexeme quotes a term for a tsvector or tsquery literal.
func lexeme(t string) string {
	if strings.ContainsAny(t, `'\`) {
		t = strings.ReplaceAll(strings.ReplaceAll(t, `\`, `\\`), `'`, `''`)
	}
	return "'" + t + "'"
}

// tsvector builds the literal of a document, without PostgreSQL's parser:
// terms and positions are exactly those FTS5 indexes. Body comes first so
// that its positions (the only ones phrases use) stay below PostgreSQL's
// cap of 16383; each lexeme keeps at most 255 positions, and terms longer
// than PostgreSQL's 2047-byte limit are left out.
func tsvector(doc search.Document) string {
	type lex struct {
		text string
		pos  []string
	}
	var order []*lex
	seen := map[string]*lex{}
	pos := 0
	for _, col := range []struct {
		text string
		w    byte
	}{{doc.Body, 'A'}, {doc.Meta, 'C'}, {doc.Uni, 'B'}} {
		for _, t := range ftsTerms(col.text) {
			pos = min(pos+1, 16383)
			if len(t) > 2046 {
				continue
			}
			l := seen[t]
			if l == nil {
				l = &lex{text: t}
				seen[t] = l
				order = append(order, l)
			}
			if len(l.pos) < 255 {
				l.pos = append(l.pos, strconv.Itoa(pos)+string(col.w))
			}
		}
	}
	var b strings.Builder
	for i, l := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(lexeme(l.text))
		b.WriteByte(':')
		b.WriteString(strings.Join(l.pos, ","))
	}
	return b.String()
}

// tsquery translates the FTS5 expressions internal/search builds (column
// filters, quoted phrases, parentheses, AND, OR and binary NOT, which binds
// tightest, then AND, then OR) into a tsquery literal.
func tsquery(fts string) (string, error) {
	p := &ftsParser{s: fts}
	out, err := p.or("")
	if err == nil && p.next() != "" {
		err = fmt.Errorf("unexpected %q", p.next())
	}
	if err != nil {
		return "", fmt.Errorf("store: translate search expression %q: %w", fts, err)
	}
	return out, nil
}

type ftsParser struct {
	s   string
	pos int
}

// next returns the next token without consuming it: "(", ")", ":", a
// quoted string (with its quotes) or a bare word; "" at the end.
func (p *ftsParser) next() string {
	for p.pos < len(p.s) && p.s[p.pos] == ' ' {
		p.pos++
	}
	if p.pos >= len(p.s) {
		return ""
	}
	switch c := p.s[p.pos]; c {
	case '(', ')', ':':
		return string(c)
	case '"':
		for i := p.pos + 1; i < len(p.s); i++ {
			if p.s[i] == '"' {
				if i+1 < len(p.s) && p.s[i+1] == '"' {
					i++
					continue
				}
				return p.s[p.pos : i+1]
			}
		}
		return p.s[p.pos:]
	}
	end := strings.IndexAny(p.s[p.pos:], ` ():"`)
	if end < 0 {
		return p.s[p.pos:]
	}
	return p.s[p.pos : p.pos+end]
}

func (p *ftsParser) take() string {
	t := p.next()
	p.pos += len(t)
	return t
}

func (p *ftsParser) or(col string) (string, error) {
	return p.binary(col, "OR", " | ", p.and)
}

func (p *ftsParser) and(col string) (string, error) {
	return p.binary(col, "AND", " & ", p.not)
}

func (p *ftsParser) not(col string) (string, error) {
	return p.binary(col, "NOT", " & !", p.primary)
}

func (p *ftsParser) binary(col, op, with string, sub func(string) (string, error)) (string, error) {
	out, err := sub(col)
	if err != nil {
		return "", err
	}
	for p.next() == op {
		p.take()
		rhs, err := sub(col)
		if err != nil {
			return "", err
		}
		out = "(" + out + with + rhs + ")"
	}
	return out, nil
}

func (p *ftsParser) primary(col string) (string, error) {
	t := p.take()
	switch {
	case t == "(":
		out, err := p.or(col)
		if err != nil {
			return "", err
		}
		if p.take() != ")" {
			return "", errors.New("missing )")
		}
		return out, nil
	case strings.HasPrefix(t, `"`) && len(t) >= 2 && strings.HasSuffix(t, `"`):
		terms := ftsTerms(strings.ReplaceAll(t[1:len(t)-1], `""`, `"`))
		if len(terms) == 0 {
			return "", errors.New("empty phrase")
		}
		for i, term := range terms {
			terms[i] = lexeme(term)
			if w := ftsWeights[col]; w != 0 {
				terms[i] += ":" + string(w) // a column filter
			}
		}
		return "(" + strings.Join(terms, " <-> ") + ")", nil
	case ftsWeights[t] != 0 && p.next() == ":":
		p.take()
		return p.primary(t)
	}
	return "", fmt.Errorf("unexpected %q", t)
}
