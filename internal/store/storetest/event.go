package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/store"
)

// A user's replay holds the events addressed to everyone, to them, or to a
// channel they are a member of now, with every stored field.
func testEventsSince(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	other := mkOrg(t, db)
	a, b := mkUser(t, db, org, "a"), mkUser(t, db, org, "b")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID)
	emit := func(org int64, ev event.Event) {
		ev.Org = org
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.Emit(ctx, ev, frame) })
	}
	emit(org, event.Event{All: true, Type: "everyone"})                                               // 1
	emit(org, event.Event{User: b.ID, Type: "to b", Revoke: true})                                    // 2
	emit(org, event.Event{Channel: ch.ID, Type: "in channel", Join: []int64{a.ID}, Leave: []int64{}}) // 3
	emit(other, event.Event{All: true, Type: "other org"})                                            // other's 1
	emit(org, event.Event{Channel: ch.ID, User: b.ID, Type: "removed", Leave: []int64{b.ID, a.ID}})   // 4

	types := func(evs []event.Event) []string {
		var out []string
		for _, ev := range evs {
			out = append(out, ev.Type)
		}
		return out
	}
	evs, err := db.EventsSince(ctx, org, a.ID, 0, 100)
	if err != nil || !slices.Equal(types(evs), []string{"everyone", "in channel", "removed"}) {
		t.Fatalf("a's events %v (%v)", types(evs), err)
	}
	ev := evs[2]
	if ev.Seq != 4 || ev.Org != org || ev.Channel != ch.ID || ev.User != b.ID || string(ev.Frame) != `{"seq":4}` ||
		!slices.Equal(ev.Leave, []int64{b.ID, a.ID}) || ev.Join != nil || ev.All || ev.Revoke {
		t.Fatalf("stored event %+v", ev)
	}
	if !slices.Equal(evs[1].Join, []int64{a.ID}) || evs[1].Leave != nil {
		t.Fatalf("join event %+v", evs[1])
	}
	evs, err = db.EventsSince(ctx, org, b.ID, 0, 100)
	if err != nil || !slices.Equal(types(evs), []string{"everyone", "to b", "removed"}) || !evs[1].Revoke || !evs[0].All {
		t.Fatalf("b's events %v (%v)", types(evs), err)
	}
	if evs, err := db.EventsSince(ctx, org, a.ID, 1, 1); err != nil || !slices.Equal(types(evs), []string{"in channel"}) {
		t.Fatalf("a's page %v (%v)", types(evs), err)
	}
	if evs, err := db.EventsSince(ctx, other, a.ID, 0, 100); err != nil || !slices.Equal(types(evs), []string{"other org"}) {
		t.Fatalf("other org's events %v (%v)", types(evs), err)
	}
	if seq, err := db.LatestSeq(ctx, org); err != nil || seq != 4 {
		t.Fatalf("latest %d (%v)", seq, err)
	}
	if _, err := db.LatestSeq(ctx, 9999); errs.CodeOf(err) != "org_not_found" {
		t.Fatalf("latest of a missing org: %v", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		return tx.Emit(ctx, event.Event{Org: 9999, All: true, Type: "t"}, frame)
	})
	if errs.CodeOf(err) != "org_not_found" {
		t.Fatalf("emit to a missing org: %v", err)
	}
}

// Resuming from before the pruned part of the log, or from the future, is
// refused with resync_required rather than silently skipping events.
func testEventsSinceResync(t *testing.T, s suite) {
	db := s.open(t)
	org := mkOrg(t, db)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if err := db.Update(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.EventsSince(ctx, org, 1, 9, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("since ahead of the log: %v", err)
	}
	if _, err := db.EventsSince(ctx, org, 1, -1, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("negative since: %v", err)
	}
	var pruned int64
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		pruned, err = tx.PruneEvents(ctx, time.Now().Add(time.Hour))
		return err
	})
	if pruned != 5 {
		t.Fatalf("pruned %d events, want 5", pruned)
	}
	if _, err := db.EventsSince(ctx, org, 1, 2, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("since before the pruned log: %v", err)
	}
	if evs, err := db.EventsSince(ctx, org, 1, 5, 10); err != nil || len(evs) != 0 {
		t.Fatalf("up to date after pruning: %v %v", evs, err)
	}
	// New events after pruning continue the sequence.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, frame)
	})
	if evs, err := db.EventsSince(ctx, org, 1, 5, 10); err != nil || len(evs) != 1 || evs[0].Seq != 6 {
		t.Fatalf("after pruning: %v %v", evs, err)
	}
}

// A cluster node fills its bus's gaps from the organisation's whole log:
// every event after a seq whatever its audience, in order, every field; and
// it learns every organisation's latest seq in one query.
func testOrgEventsSince(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	a := mkUser(t, db, org, "a")
	emit := func(org int64, ev event.Event) {
		ev.Org = org
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.Emit(ctx, ev, frame) })
	}
	emit(org, event.Event{All: true, NoGuests: true, GuestPeers: true, User: a.ID, Type: "everyone"})
	emit(org, event.Event{User: a.ID, Type: "to a", Revoke: true})
	emit(other, event.Event{All: true, Type: "other org"})
	emit(org, event.Event{Channel: 77, Type: "in a channel nobody here is in", Join: []int64{5, 6}, Leave: []int64{6}})

	evs, err := db.OrgEventsSince(ctx, org, 0, 100)
	if err != nil || len(evs) != 3 {
		t.Fatalf("org events: %d %v", len(evs), err)
	}
	for i, ev := range evs {
		if ev.Seq != int64(i+1) || ev.Org != org {
			t.Fatalf("event %d: seq %d org %d", i, ev.Seq, ev.Org)
		}
	}
	if ev := evs[2]; ev.Channel != 77 || !slices.Equal(ev.Join, []int64{5, 6}) || !slices.Equal(ev.Leave, []int64{6}) ||
		string(ev.Frame) != `{"seq":3}` || ev.Type != "in a channel nobody here is in" {
		t.Fatalf("stored event %+v", ev)
	}
	if !evs[1].Revoke || evs[1].User != a.ID || !evs[0].All || !evs[0].NoGuests || evs[1].NoGuests || !evs[0].GuestPeers || evs[1].GuestPeers {
		t.Fatalf("events %+v", evs)
	}
	if evs, err := db.OrgEventsSince(ctx, org, 1, 1); err != nil || len(evs) != 1 || evs[0].Seq != 2 {
		t.Fatalf("page: %+v %v", evs, err)
	}
	if _, err := db.OrgEventsSince(ctx, org, 4, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("after the latest seq: %v", err)
	}
	latest, err := db.LatestSeqs(ctx)
	if err != nil || latest[org] != 3 || latest[other] != 1 {
		t.Fatalf("latest seqs %v (%v), want %d:3 %d:1", latest, err, org, other)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.PruneEvents(ctx, time.Now().Add(time.Hour))
		return err
	})
	if _, err := db.OrgEventsSince(ctx, org, 1, 10); errs.CodeOf(err) != "resync_required" {
		t.Fatalf("after pruning: %v", err)
	}
}

// A stored frame is the renderer's output for the event's sequence,
// however the renderer uses it: once (the usual JSON frame), not at all,
// twice, or beside text that looks like a sequence.
func testEventFrames(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	renders := []func(seq int64) ([]byte, error){
		func(seq int64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d,"n":1}`, seq)), nil },
		func(seq int64) ([]byte, error) { return []byte(`{"constant":true}`), nil },
		func(seq int64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d,"again":%d}`, seq, seq)), nil },
		func(seq int64) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"seq":%d,"text":"7364529103846215937 9223372036854775807"}`, seq)), nil
		},
		func(seq int64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":"%x"}`, seq*1000003)), nil },
		func(seq int64) ([]byte, error) {
			return []byte(fmt.Sprintf(`{"seq":%d,"odd":%t}`, seq, seq%2 == 1)), nil
		},
	}
	// Each alone, then all in one write (one organisation, one batch).
	for _, r := range renders {
		update(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, r)
		})
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, r := range renders {
			if err := tx.Emit(ctx, event.Event{Org: org, All: true, Type: "t"}, r); err != nil {
				return err
			}
		}
		return nil
	})
	evs, err := db.OrgEventsSince(ctx, org, 0, 100)
	if err != nil || len(evs) != 2*len(renders) {
		t.Fatalf("%d events (%v)", len(evs), err)
	}
	for i, ev := range evs {
		want, _ := renders[i%len(renders)](ev.Seq)
		if ev.Seq != int64(i+1) || string(ev.Frame) != string(want) {
			t.Errorf("event %d: seq %d frame %s, want %s", i, ev.Seq, ev.Frame, want)
		}
	}
}
