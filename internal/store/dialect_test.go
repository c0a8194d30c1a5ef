package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/search"
)

// Every migration exists for every engine under the same numbered name, so
// that the schemas cannot drift apart unnoticed.
func TestMigrationFoldersAgree(t *testing.T) {
	names := func(engine string) []string {
		ms, err := Migrations(engine)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	lite, pg := names(SQLite), names(Postgres)
	if len(lite) == 0 || !slices.Equal(lite, pg) {
		t.Fatalf("migrations differ:\n sqlite   %v\n postgres %v", lite, pg)
	}
}

func TestRebind(t *testing.T) {
	d := newDialect(Postgres)
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE a = ? AND b IN (?, ?)`:               `SELECT a FROM t WHERE a = $1 AND b IN ($2, $3)`,
		`SELECT '?', "a?" FROM t WHERE c LIKE ? ESCAPE '\'`:         `SELECT '?', "a?" FROM t WHERE c LIKE $1 ESCAPE '\'`,
		"SELECT 1 -- what?\nFROM t WHERE a = ?":                     "SELECT 1 -- what?\nFROM t WHERE a = $1",
		`SELECT 'it''s ?' WHERE x = CAST(? AS tsquery)`:             `SELECT 'it''s ?' WHERE x = CAST($1 AS tsquery)`,
		`INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`: `INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
	} {
		if got := d.rebind(in); got != want {
			t.Errorf("rebind(%q)\n got %q\nwant %q", in, got, want)
		}
		if got := d.rebind(in); got != want {
			t.Errorf("cached rebind(%q) = %q", in, got)
		}
	}
	if q := newDialect(SQLite).rebind("a = ?"); q != "a = ?" {
		t.Errorf("SQLite rebind changed the query: %q", q)
	}
}

// The FTS5 expressions internal/search builds translate to tsqueries with
// the same meaning: column filters become weights, phrases <->, binary NOT
// binds tightest.
func TestTsquery(t *testing.T) {
	for _, c := range []struct{ fts, want string }{
		{`body : "deploy"`, `('deploy':A)`},
		{`body : "数据 据安 安全"`, `('数据':A <-> '据安':A <-> '安全':A)`},
		{`uni : "王" AND meta : "haslink"`, `(('王':B) & ('haslink':C))`},
		{`body : "a" AND meta : ("c1" OR "c22")`, `(('a':A) & (('c1':C) | ('c22':C)))`},
		{`(body : "a" AND body : "b") NOT body : "c" NOT body : "d e"`, `(((('a':A) & ('b':A)) & !('c':A)) & !('d':A <-> 'e':A))`},
		{`body : "x" OR uni : "y"`, `(('x':A) | ('y':B))`},
		{`body : "say ""hi"""`, `('say':A <-> 'hi':A)`},
		{`body : "it's"`, `('it':A <-> 's':A)`}, // FTS5's ascii tokenizer splits on the quote
		{`"any column"`, `('any' <-> 'column')`},
	} {
		got, err := tsquery(c.fts)
		if err != nil || got != c.want {
			t.Errorf("tsquery(%q)\n got %q (%v)\nwant %q", c.fts, got, err, c.want)
		}
	}
	for _, bad := range []string{``, `body :`, `body : "a" AND`, `(body : "a"`, `body : "a" body : "b"`, `nocolumn : "a"`, `body : ""`} {
		if got, err := tsquery(bad); err == nil {
			t.Errorf("tsquery(%q) = %q, want an error", bad, got)
		}
	}
	q := search.Query{Must: []search.Phrase{{Column: "body", Terms: []string{"x"}}}, HasLink: true,
		Not: []search.Phrase{{Column: "uni", Terms: []string{"王"}}}}
	if _, err := tsquery(q.MatchWith([]string{search.Scope('a', []int64{1, 2})})); err != nil {
		t.Errorf("a query the search package builds: %v", err)
	}
}

func TestTsvector(t *testing.T) {
	doc := search.Document{Body: "deploy 数据 据安 deploy", Uni: "数 据 安", Meta: "haslink c7 a3"}
	want := `'deploy':1A,4A '数据':2A '据安':3A 'haslink':5C 'c7':6C 'a3':7C '数':8B '据':9B '安':10B`
	if got := tsvector(doc); got != want {
		t.Errorf("tsvector\n got %s\nwant %s", got, want)
	}
	if got := tsvector(search.Document{}); got != "" {
		t.Errorf("empty document: %q", got)
	}
}

func TestEngineOf(t *testing.T) {
	for in, want := range map[string]string{"": SQLite, "sqlite": SQLite, "postgres://u@h/db": Postgres, "postgresql://h/db": Postgres} {
		if got, err := engineOf(in); err != nil || got != want {
			t.Errorf("engineOf(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := engineOf("mysql://u:secret@h/db"); err == nil {
		t.Error("mysql accepted")
	} else if got := err.Error(); strings.Contains(got, "secret") {
		t.Errorf("error %q", got)
	}
	if got := redact("postgres://parley:s3cret@db:5432/parley?sslmode=require"); got != "postgres://parley:xxxxx@db:5432/parley?sslmode=require" {
		t.Errorf("redact: %s", got)
	}
}
