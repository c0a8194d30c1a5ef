package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps prepared statements by SQL text (SQLite only: pgx
// prepares and caches statements per connection by itself). Parsing SQL was a third
// of the CPU of a message send before statements were reused (see
// docs/benchmarks.md); with one writer connection each statement is prepared
// once and reused by every transaction.
type stmtCache struct {
	db *sql.DB
	// deferred caches prepare outside transactions only: the writer has one
	// connection, which a transaction holds, so preparing inside one would
	// wait for itself. Misses are queued and prepared between commits.
	deferred bool
	mu       sync.RWMutex
	m        map[string]*sql.Stmt
	wanted   map[string]bool
}

// maxCachedStmts bounds the cache: queries with variable-length IN lists
// have many shapes, and the rare ones are not worth keeping.
const maxCachedStmts = 512

func newStmtCache(db *sql.DB, deferred bool) *stmtCache {
	return &stmtCache{db: db, deferred: deferred, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// prepareWanted prepares the statements missed since the last call; the
// commit loop calls it while no transaction is open.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q := range c.wanted {
		delete(c.wanted, q)
		if len(c.m) >= maxCachedStmts {
			continue
		}
		if st, err := c.db.PrepareContext(ctx, q); err == nil {
			c.m[q] = st
		}
	}
}

// get returns a prepared statement for query, or nil when it cannot be
// cached (the caller then runs the query unprepared).
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st := c.m[query]
	n := len(c.m)
	c.mu.RUnlock()
	if st != nil || n >= maxCachedStmts {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st = c.m[query]; st != nil {
		return st, nil
	}
	if c.deferred {
		c.wanted[query] = true
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

func (q Queries) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if q.stmts == nil {
		return nil, nil
	}
	st, err := q.stmts.get(ctx, query)
	if err != nil || st == nil {
		return nil, err
	}
	if q.tx != nil {
		return q.tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

func (q Queries) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = q.d.rebind(query)
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.q.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (q Queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = q.d.rebind(query)
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.q.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// row is a *sql.Row or the error preparing it.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (q Queries) queryRow(ctx context.Context, query string, args ...any) row {
	query = q.d.rebind(query)
	st, err := q.stmt(ctx, query)
	if err != nil {
		return row{err: err}
	}
	if st == nil {
		return row{r: q.q.QueryRowContext(ctx, query, args...)}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}
