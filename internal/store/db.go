// Package store owns all SQL: the schema and its migrations for SQLite and
// PostgreSQL, one file of hand-written queries per aggregate (written once;
// the engines' differences are hooks in dialect.go), and the commit loops
// that commit concurrent writes together (group commit) so that an
// acknowledged write is durable without capping throughput at the disk's
// fsync rate.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/secret"
)

// Options configure a DB.
type Options struct {
	// Database names the database: "" or "sqlite" for the embedded SQLite
	// file in the data directory, or a postgres:// URL for PostgreSQL.
	Database string
	// Publish receives the events of each committed batch, in sequence
	// order, after the commit is durable and before the writers are told.
	Publish func([]event.Event)
	// MaxBatch caps how many writes share one commit (default 256).
	MaxBatch int
	Logger   *slog.Logger
	Now      func() time.Time
	// Secrets seals the credentials stored for identity providers and TOTP
	// (ADR 0019). Without it the store refuses to write or read them.
	Secrets *secret.Keyring
}

// DB is the store on SQLite or PostgreSQL: a pool of read connections and
// writer connections owned by the commit loops (one on SQLite, several on
// PostgreSQL; see dialect.writers).
type DB struct {
	Queries // reads through the pool

	d      *dialect
	path   string // the SQLite file, or the PostgreSQL URL without password
	read   *sql.DB
	write  *sql.DB
	opts   Options
	wstmts *stmtCache // prepared on the writer connection
	// pubMu is held from just before a batch's commit until its events are
	// published, so that with several commit loops events are published in
	// commit order (which the organisations' row locks make seq order).
	pubMu   sync.Mutex
	reqs    []chan *writeReq // one queue per commit loop
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	mu      sync.RWMutex // guards closing against new writes
	closing bool
}

type writeReq struct {
	ctx  context.Context
	post *chat.PostKey // set for a post (see prefetchPosts)
	fn   func(*Tx) error
	done chan error
}

// FileName is the database file inside the data directory.
const FileName = "parley.db"

// Open opens the database named by opts.Database (by default the SQLite
// file in dir, creating it if needed), applies pending migrations when
// migrate is true, and starts the commit loops.
func Open(ctx context.Context, dir string, migrate bool, opts Options) (*DB, error) {
	engine, err := engineOf(opts.Database)
	if err != nil {
		return nil, err
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	d := newDialect(engine)
	write, readers, path, err := d.open(dir, opts.Database)
	if err != nil {
		return nil, err
	}
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if migrate {
		if _, err := migrateDB(ctx, write, d); err != nil {
			write.Close()
			return nil, err
		}
	}
	read, err := readers()
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open readers: %w", err)
	}
	db := &DB{
		Queries: Queries{q: read, d: d, now: opts.Now, secrets: opts.Secrets},
		d:       d,
		path:    path, read: read, write: write, opts: opts,
		reqs:    make([]chan *writeReq, d.writers),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if d.stmtCache {
		db.stmts = newStmtCache(read, false)
		db.wstmts = newStmtCache(write, true)
	}
	var loops sync.WaitGroup
	for i := range db.reqs {
		db.reqs[i] = make(chan *writeReq, 4096)
		loops.Add(1)
		go func() { defer loops.Done(); db.commitLoop(db.reqs[i]) }()
	}
	go func() { loops.Wait(); close(db.stopped) }()
	return db, nil
}

// Pending reports how many writes are queued for the commit loops, not
// yet taken into a batch: a gauge of write backlog (tests also use it to
// make writes share a batch).
func (db *DB) Pending() int {
	n := 0
	for _, q := range db.reqs {
		n += len(q)
	}
	return n
}

// Engine reports the database engine: SQLite or Postgres.
func (db *DB) Engine() string { return db.d.name }

// Ready reports whether the store answers and its schema is up to date.
func (db *DB) Ready(ctx context.Context) error {
	pending, err := pendingMigrations(ctx, db.read, db.d)
	if err != nil {
		return errs.E("store.Ready", errs.Unavailable, "", err)
	}
	if pending > 0 {
		return errs.E("store.Ready", errs.Unavailable, "migrations_pending", fmt.Errorf("%d migrations pending", pending))
	}
	return nil
}

// Close stops accepting writes, finishes the writes already queued, and
// closes the database.
func (db *DB) Close() error {
	db.once.Do(func() {
		db.mu.Lock()
		db.closing = true
		db.mu.Unlock()
		close(db.stop)
		<-db.stopped
		db.wstmts.close()
		db.stmts.close()
	})
	return errors.Join(db.write.Close(), db.read.Close())
}

// update runs fn in a write transaction shared with other concurrent writes.
// It returns only after the transaction is durably committed (nil) or has
// failed (the error fn returned, or Unavailable when the commit failed).
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.updateIn(ctx, nil, fn)
}

// updateIn is update for a post, whose row locks are confined to its
// channel: posts of one channel always share a commit loop, so the loops of
// PostgreSQL never lock two channels' rows in opposite orders (a deadlock
// costs a second and a failed write). Other writes (post nil) use loop 0.
func (db *DB) updateIn(ctx context.Context, post *chat.PostKey, fn func(*Tx) error) error {
	var channel int64
	if post != nil {
		channel = post.Channel
	}
	reqs := db.reqs[uint64(channel)%uint64(len(db.reqs))]
	req := &writeReq{ctx: ctx, post: post, fn: fn, done: make(chan error, 1)}
	db.mu.RLock()
	if db.closing {
		db.mu.RUnlock()
		return errs.New("store.update", errs.Unavailable, "shutting_down")
	}
	select {
	case reqs <- req:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return errs.E("store.update", errs.Unavailable, "", ctx.Err())
	}
	// Once queued, wait for the outcome even if ctx ends: the write may commit
	// and the caller must not report failure for a write that happened.
	return <-req.done
}

func (db *DB) commitLoop(reqs chan *writeReq) {
	batch := make([]*writeReq, 0, db.opts.MaxBatch)
	for {
		var first *writeReq
		select {
		case first = <-reqs:
		case <-db.stop:
			// Drain what was queued before Close: finish in-flight writes.
			for {
				select {
				case r := <-reqs:
					batch = append(batch[:0], r)
					db.commit(batch)
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < db.opts.MaxBatch {
			select {
			case r := <-reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		db.commit(batch)
		db.wstmts.prepareWanted(context.Background())
	}
}

// commit runs a batch of writes in one transaction and commits once (one
// fsync for the whole batch). It first runs the writes back to back
// without savepoints: savepoints make SQLite journal every page a write
// touches a second time and make FTS5 flush its pending index data, which
// cost a fifth of a send's CPU. If any write fails, the transaction is
// rolled back and the batch re-run with each write in its own savepoint, so
// that one failing write does not undo the others.
func (db *DB) commit(batch []*writeReq) {
	results := make([]error, len(batch))
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i] = errs.E("store.update", errs.Unavailable, "", err)
		}
	}
	events, ok, err := db.runBatch(batch, results, false)
	for err == nil && !ok {
		// Each run without success leaves out one more failed write.
		events, ok, err = db.runBatch(batch, results, true)
	}
	if err == nil {
		// runBatch committed holding pubMu: publish in commit order.
		if len(events) > 0 && db.opts.Publish != nil {
			db.opts.Publish(events)
		}
		db.pubMu.Unlock()
	}
	if err != nil {
		for i, r := range batch {
			if results[i] == nil {
				r.done <- errs.E("store.commit", errs.Unavailable, "", err)
			} else {
				r.done <- results[i]
			}
		}
		return
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// runBatch runs the writes whose result is still nil in one transaction.
// Without savepoints, the first failing write rolls everything back and
// runBatch reports ok=false with that write's error recorded. With
// savepoints, failing writes are undone alone and the rest commit. A
// non-nil error means the transaction itself failed (nothing committed).
// The events of the writes that stay get their sequences at the end, then
// the commit runs holding db.pubMu, which the caller releases after
// publishing (only when ok and err is nil).
func (db *DB) runBatch(batch []*writeReq, results []error, savepoints bool) ([]event.Event, bool, error) {
	ctx := context.Background()
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	var pend []pendingEvent
	var index []indexOp
	var posts *postCache
	var reads []readMove
	if db.d.prefetchPosts && !savepoints {
		var keys []chat.PostKey
		for i, r := range batch {
			if results[i] == nil && r.post != nil {
				keys = append(keys, *r.post)
			}
		}
		if len(keys) > 1 {
			if posts, err = db.prefetchPosts(ctx, tx, keys); err != nil {
				tx.Rollback()
				return nil, false, err
			}
		}
	}
	for i, r := range batch {
		if results[i] != nil {
			continue
		}
		if r.post == nil {
			if posts != nil {
				// Any other write may change a channel or a membership.
				posts.stale = true
			}
			// ... or read the read positions the posts before it moved.
			if err := db.applyReads(ctx, tx, reads); err != nil {
				tx.Rollback()
				return nil, false, err
			}
			reads = reads[:0]
		}
		if savepoints {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
				tx.Rollback()
				return nil, false, err
			}
		}
		t := &Tx{Queries: Queries{q: tx, tx: tx, d: db.d, stmts: db.wstmts, now: db.opts.Now, secrets: db.opts.Secrets}, tx: tx,
			posts: posts}
		if err := runFn(r.fn, t); err != nil {
			results[i] = err
			if !savepoints {
				if rerr := tx.Rollback(); rerr != nil {
					return nil, false, rerr
				}
				return nil, false, nil
			}
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
				tx.Rollback()
				return nil, false, rerr
			}
		} else {
			for _, p := range t.events {
				p.write = i
				pend = append(pend, p)
			}
			index = append(index, t.index...)
			reads = append(reads, t.reads...)
		}
		if savepoints {
			if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
				tx.Rollback()
				return nil, false, err
			}
		}
	}
	// The index first: allocEvents takes the organisations' row locks,
	// which every other batch of theirs waits for until this one commits.
	if err := db.applyReads(ctx, tx, reads); err != nil {
		tx.Rollback()
		return nil, false, err
	}
	if err := db.applyIndex(ctx, tx, index); err != nil {
		tx.Rollback()
		return nil, false, err
	}
	events, culprit, err := db.allocEvents(ctx, tx, pend)
	if err != nil {
		tx.Rollback()
		if culprit < 0 {
			return nil, false, err
		}
		// A write whose events cannot be stored (its organisation is gone)
		// fails alone: the batch runs again without it.
		results[culprit] = err
		return nil, false, nil
	}
	db.pubMu.Lock()
	if err := tx.Commit(); err != nil {
		db.pubMu.Unlock()
		db.opts.Logger.Error("commit failed", "err", err, "writes", len(batch))
		return nil, false, err
	}
	return events, true, nil
}

// runFn calls fn, turning a panic into an Internal error so that one bad
// write cannot take the commit loop down.
func runFn(fn func(*Tx) error, t *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errs.E("store.update", errs.Internal, "", fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	return fn(t)
}

// Tx is a write transaction: every query plus the writes and Emit.
type Tx struct {
	Queries
	tx     *sql.Tx
	events []pendingEvent // emitted; stored at the end of the batch
	index  []indexOp      // search index changes, applied at the end of the batch
	posts  *postCache     // the batch's prefetched post targets; nil if none
	reads  []readMove     // read positions posts moved, applied before the next other write
}

// querier is what queries run on: the read pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries holds every read query; it runs on the pool or inside a Tx.
type Queries struct {
	q     querier
	tx    *sql.Tx // set inside a write transaction
	d     *dialect
	stmts *stmtCache // prepared statements of the pool q runs on; nil on PostgreSQL
	now   func() time.Time
	// secrets seals and opens provider and TOTP secrets; nil refuses them.
	secrets *secret.Keyring
}
