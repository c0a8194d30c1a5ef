package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/store"
)

// A new database is migrated and ready; opening it again without migrating
// finds nothing pending.
func testMigrations(t *testing.T, s suite) {
	ctx := context.Background()
	tg := s.newTarget(t)
	db := tg.Open(t, store.Options{})
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("ready after migrating: %v", err)
	}
	db2, err := store.Open(ctx, tg.Dir, false, store.Options{Database: tg.Database})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if err := db2.Ready(ctx); err != nil {
		t.Fatalf("ready on reopening: %v", err)
	}
	if n, err := store.MigrateDatabase(ctx, tg.Dir, tg.Database); err != nil || n != 0 {
		t.Fatalf("migrating again applied %d (%v)", n, err)
	}
	if want := engineName(tg); db.Engine() != want {
		t.Fatalf("engine %q, want %q", db.Engine(), want)
	}
}

// errRefused is what a write refuses with in the tests.
var errRefused = errors.New("refused")

// A failing write in a batch rolls back alone; the others commit.
func testGroupCommitIsolatesFailures(t *testing.T, s suite) {
	db := s.open(t)
	org := mkOrg(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]error, 50)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = db.Update(ctx, func(tx *store.Tx) error {
				if err := tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame); err != nil {
					return err
				}
				if i%5 == 0 {
					return errRefused
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	ok := 0
	for i, err := range results {
		switch {
		case i%5 == 0 && !errors.Is(err, errRefused):
			t.Errorf("write %d: got %v, want its own error", i, err)
		case i%5 != 0 && err != nil:
			t.Errorf("write %d failed: %v", i, err)
		case err == nil:
			ok++
		}
	}
	// The refused writes' events were rolled back with them: the sequence
	// has exactly one event per successful write, without holes.
	seq, err := db.LatestSeq(ctx, org)
	if err != nil || seq != int64(ok) {
		t.Fatalf("latest seq %d (%v), want %d", seq, err, ok)
	}
	evs, err := db.EventsSince(ctx, org, 0, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != ok {
		t.Fatalf("%d events stored, want %d", len(evs), ok)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}

// A write that fails on a database error (a unique violation) inside a
// batch rolls back alone too, on engines that abort the whole transaction
// on an error as well as on those that do not.
func testUniqueViolationIsConflict(t *testing.T, s suite) {
	db := s.open(t)
	org := mkOrg(t, db)
	ctx := context.Background()
	u := mkUser(t, db, org, "ab")
	u.Username = "other"
	var wg sync.WaitGroup
	errsOf := make([]error, 20)
	for i := range errsOf {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errsOf[i] = db.Update(ctx, func(tx *store.Tx) error {
				if i%2 == 0 {
					_, err := tx.InsertUser(ctx, u, "h") // e-mail taken
					return err
				}
				return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errsOf {
		if i%2 == 1 {
			if err != nil {
				t.Errorf("write %d beside failing ones: %v", i, err)
			}
			continue
		}
		if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "email_taken" {
			t.Errorf("duplicate e-mail: %v", err)
		}
		var e *errs.Error
		if !errors.As(err, &e) {
			t.Error("not an *errs.Error")
		}
	}
	if seq, err := db.LatestSeq(ctx, org); err != nil || seq != 10 {
		t.Errorf("latest seq %d (%v), want 10", seq, err)
	}
	u.Email, u.Username = "new@x.test", "ab"
	err := db.Update(ctx, func(tx *store.Tx) error { _, err := tx.InsertUser(ctx, u, "h"); return err })
	if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "username_taken" {
		t.Fatalf("duplicate username: %v", err)
	}
}

// Events reach the publisher after the commit, in sequence order, and the
// writer is told only after that.
func testEventsPublishedInOrderBeforeAck(t *testing.T, s suite) {
	var mu sync.Mutex
	var published []int64
	db := s.newTarget(t).Open(t, store.Options{Publish: func(evs []event.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			published = append(published, ev.Seq)
		}
	}})
	org := mkOrg(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine int64
			err := db.Update(ctx, func(tx *store.Tx) error {
				return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, func(seq int64) ([]byte, error) {
					mine = seq
					return frame(seq)
				})
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			found := false
			for _, s := range published {
				found = found || s == mine
			}
			if !found {
				t.Errorf("write with event %d acknowledged before the event was published", mine)
			}
		}()
	}
	wg.Wait()
	for i, s := range published {
		if s != int64(i+1) {
			t.Fatalf("published %v: not in sequence order", published)
		}
	}
}

// A panicking write fails alone and the commit loop keeps serving.
func testPanicInWriteIsContained(t *testing.T, s suite) {
	db := s.open(t)
	org := mkOrg(t, db)
	ctx := context.Background()
	err := db.Update(ctx, func(tx *store.Tx) error { panic("boom") })
	if errs.KindOf(err) != errs.Internal {
		t.Fatalf("panic gave %v", err)
	}
	if err := db.Update(ctx, func(tx *store.Tx) error {
		return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
	}); err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
}

// Close finishes queued writes and refuses new ones with Unavailable; every
// acknowledged write is stored when the database is opened again.
func testCloseDrainsAndRefuses(t *testing.T, s suite) {
	tg := s.newTarget(t)
	ctx := context.Background()
	db, err := store.Open(ctx, tg.Dir, true, store.Options{Database: tg.Database})
	if err != nil {
		t.Fatal(err)
	}
	org := mkOrg(t, db)
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := db.Update(ctx, func(tx *store.Tx) error {
				return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
			})
			if err == nil {
				mu.Lock()
				acked++
				mu.Unlock()
			} else if !errs.Is(err, errs.Unavailable) {
				t.Errorf("write %d: %v", i, err)
			}
		}(i)
	}
	db.Close()
	wg.Wait()
	if err := db.Update(ctx, func(tx *store.Tx) error { return nil }); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("write after Close: %v", err)
	}
	db2 := tg.Open(t, store.Options{})
	seq, err := db2.LatestSeq(ctx, org)
	if err != nil || seq != int64(acked) {
		t.Fatalf("after reopening: %d events (%v), %d writes were acknowledged", seq, err, acked)
	}
}

// Several stores (nodes) writing one database allocate every event
// sequence once, without holes. SQLite allows one writer process by design
// (ADR 0001), so this runs only on engines built for several.
func testConcurrentStores(t *testing.T, s suite) {
	tg := s.newTarget(t)
	first := tg.Open(t, store.Options{})
	if first.Engine() == store.SQLite {
		t.Skip("SQLite: one writer process by design (ADR 0001)")
	}
	dbs := []*store.DB{first, tg.Open(t, store.Options{}), tg.Open(t, store.Options{})}
	org := mkOrg(t, first)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]bool{}
	const perStore = 60
	for _, db := range dbs {
		for i := 0; i < perStore; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine int64
				err := db.Update(ctx, func(tx *store.Tx) error {
					return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, func(seq int64) ([]byte, error) {
						mine = seq
						return frame(seq)
					})
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if seen[mine] {
					t.Errorf("sequence %d allocated twice", mine)
				}
				seen[mine] = true
			}()
		}
	}
	wg.Wait()
	want := int64(len(dbs) * perStore)
	if seq, err := first.LatestSeq(ctx, org); err != nil || seq != want {
		t.Fatalf("latest seq %d (%v), want %d", seq, err, want)
	}
	evs, err := first.EventsSince(ctx, org, 0, 0, 1000)
	if err != nil || int64(len(evs)) != want {
		t.Fatalf("%d events (%v), want %d", len(evs), err, want)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}
