package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/store"
)

// The lockout's failure counters: counted in one statement, restarted once
// forgotten, counted exactly when several stores (nodes) count at once,
// cleared, swept.
func testLoginFailures(t *testing.T, s suite) {
	tg := s.newTarget(t)
	db := tg.Open(t, store.Options{})
	ctx := context.Background()
	count := func(db *store.DB, now time.Time, subjects ...string) map[string]int {
		t.Helper()
		fs := make([]auth.LoginFailures, len(subjects))
		for i, sub := range subjects {
			fs[i] = auth.LoginFailures{Subject: sub, Last: now, ForgetAt: now.Add(15 * time.Minute)}
		}
		got := map[string]int{}
		update(t, db, func(ctx context.Context, tx *store.Tx) error {
			stored, err := tx.CountLoginFailures(ctx, fs)
			for _, f := range stored {
				got[f.Subject] = f.Failures
				if !f.Last.Equal(now) || !f.ForgetAt.Equal(now.Add(15*time.Minute)) {
					t.Errorf("stored %+v, want last %v", f, now)
				}
			}
			return err
		})
		return got
	}
	read := func(subjects ...string) map[string]auth.LoginFailures {
		t.Helper()
		fs, err := db.LoginFailures(ctx, subjects)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]auth.LoginFailures{}
		for _, f := range fs {
			m[f.Subject] = f
		}
		return m
	}
	if got := read("u:li", "a:10.0.0.1"); len(got) != 0 {
		t.Fatalf("counters before any failure: %+v", got)
	}
	for i := 1; i <= 3; i++ {
		got := count(db, at.Add(time.Duration(i)*time.Second), "u:li", "a:10.0.0.1")
		if got["u:li"] != i || got["a:10.0.0.1"] != i {
			t.Fatalf("failure %d counted %v", i, got)
		}
	}
	if got := count(db, at.Add(4*time.Second), "#7", "a:10.0.0.1"); got["#7"] != 1 || got["a:10.0.0.1"] != 4 {
		t.Fatalf("a new subject beside a known one: %v", got)
	}
	got := read("u:li", "a:10.0.0.1", "u:nobody")
	if len(got) != 2 || got["u:li"].Failures != 3 || !got["u:li"].Last.Equal(at.Add(3*time.Second)) ||
		!got["u:li"].ForgetAt.Equal(at.Add(3*time.Second+15*time.Minute)) {
		t.Fatalf("read %+v", got)
	}
	// At or after forget_at, the next failure starts a new burst.
	later := at.Add(3*time.Second + 15*time.Minute)
	if got := count(db, later, "u:li"); got["u:li"] != 1 {
		t.Fatalf("failure after the count was forgotten: %v", got)
	}

	// Concurrent failures from several stores (nodes of a cluster; on
	// SQLite one process by design, so goroutines of one store) all count.
	dbs := []*store.DB{db}
	if db.Engine() == store.Postgres {
		dbs = append(dbs, tg.Open(t, store.Options{}), tg.Open(t, store.Options{}))
	}
	const each = 20
	var wg sync.WaitGroup
	for _, d := range dbs {
		for range each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				fs := []auth.LoginFailures{{Subject: "u:race", Last: later, ForgetAt: later.Add(time.Hour)}}
				if err := d.Update(ctx, func(tx *store.Tx) error {
					_, err := tx.CountLoginFailures(ctx, fs)
					return err
				}); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	if got := read("u:race"); got["u:race"].Failures != each*len(dbs) {
		t.Fatalf("concurrent failures counted %d, want %d", got["u:race"].Failures, each*len(dbs))
	}

	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.ClearLoginFailures(ctx, []string{"u:li", "#7"})
	})
	if got := read("u:li", "#7", "a:10.0.0.1"); len(got) != 1 || got["a:10.0.0.1"].Failures != 4 {
		t.Fatalf("after clearing: %+v", got)
	}
	// The sweep deletes what is forgotten at its time and keeps the rest.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.DeleteForgottenLoginFailures(ctx, at.Add(4*time.Second+15*time.Minute))
	})
	if got := read("a:10.0.0.1", "u:race"); len(got) != 1 || got["u:race"].Failures != each*len(dbs) {
		t.Fatalf("after the sweep: %+v", got)
	}
}
