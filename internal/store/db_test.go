package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

func openTest(tb testing.TB, publish func([]event.Event)) *DB {
	tb.Helper()
	db, err := Open(context.Background(), tb.TempDir(), true, Options{Publish: publish})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mkOrg(tb testing.TB, db *DB) int64 {
	tb.Helper()
	var org account.Org
	err := db.Update(context.Background(), func(tx *Tx) error {
		var err error
		org, err = tx.InsertOrg(context.Background(), account.Org{Name: "T", RecallWindow: time.Hour, ReceiptMaxMembers: 500, CreatedAt: time.Now()})
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return org.ID
}

func frame(seq int64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d}`, seq)), nil }

// A failing write in a batch rolls back alone; the others commit.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	db := openTest(t, nil)
	org := mkOrg(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]error, 50)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = db.Update(ctx, func(tx *Tx) error {
				if err := tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame); err != nil {
					return err
				}
				if i%5 == 0 {
					return errs.New("test", errs.Invalid, "refused")
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	ok := 0
	for i, err := range results {
		switch {
		case i%5 == 0 && errs.CodeOf(err) != "refused":
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
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}

// Events reach the publisher after the commit, in sequence order, and the
// writer is told only after that.
func TestEventsPublishedInOrderBeforeAck(t *testing.T) {
	var mu sync.Mutex
	var published []int64
	db := openTest(t, func(evs []event.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range evs {
			published = append(published, ev.Seq)
		}
	})
	org := mkOrg(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine int64
			err := db.Update(ctx, func(tx *Tx) error {
				err := tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, func(seq int64) ([]byte, error) {
					mine = seq
					return frame(seq)
				})
				return err
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
func TestPanicInWriteIsContained(t *testing.T) {
	db := openTest(t, nil)
	org := mkOrg(t, db)
	ctx := context.Background()
	err := db.Update(ctx, func(tx *Tx) error { panic("boom") })
	if errs.KindOf(err) != errs.Internal {
		t.Fatalf("panic gave %v", err)
	}
	if err := db.Update(ctx, func(tx *Tx) error {
		return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
	}); err != nil {
		t.Fatalf("write after a panic: %v", err)
	}
}

// Close finishes queued writes and refuses new ones with Unavailable; every
// acknowledged write is on disk when the database is opened again.
func TestCloseDrainsAndRefuses(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(context.Background(), dir, true, Options{})
	if err != nil {
		t.Fatal(err)
	}
	org := mkOrg(t, db)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := db.Update(ctx, func(tx *Tx) error {
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
	if err := db.Update(ctx, func(tx *Tx) error { return nil }); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("write after Close: %v", err)
	}
	db2, err := Open(ctx, dir, true, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	seq, err := db2.LatestSeq(ctx, org)
	if err != nil || seq != int64(acked) {
		t.Fatalf("after reopening: %d events (%v), %d writes were acknowledged", seq, err, acked)
	}
}

// Unique violations become Conflict with a stable code.
func TestUniqueViolationIsConflict(t *testing.T) {
	db := openTest(t, nil)
	org := mkOrg(t, db)
	ctx := context.Background()
	u := account.User{Org: org, Email: "a@b.test", Username: "ab", DisplayName: "A", Role: account.RoleMember, Active: true, CreatedAt: time.Now()}
	if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.InsertUser(ctx, u, "h"); return err }); err != nil {
		t.Fatal(err)
	}
	u.Username = "other"
	err := db.Update(ctx, func(tx *Tx) error { _, err := tx.InsertUser(ctx, u, "h"); return err })
	if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "email_taken" {
		t.Fatalf("duplicate e-mail: %v", err)
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatal("not an *errs.Error")
	}
}

// Resuming from before the pruned part of the log, or from the future, is
// refused with resync_required rather than silently skipping events.
func TestEventsSinceResync(t *testing.T) {
	db := openTest(t, nil)
	org := mkOrg(t, db)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := db.Update(ctx, func(tx *Tx) error {
			return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EventsSince(ctx, org, 1, 9, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("since ahead of the log: %v", err)
	}
	if err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.PruneEvents(ctx, time.Now().Add(time.Hour))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EventsSince(ctx, org, 1, 2, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("since before the pruned log: %v", err)
	}
	if evs, err := db.EventsSince(ctx, org, 1, 5, 10); err != nil || len(evs) != 0 {
		t.Fatalf("up to date after pruning: %v %v", evs, err)
	}
}
