package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/unfurl"
)

// testLinkPreviews covers the organisation setting, the durable preview
// queue, a message's previews on every read path, and the per-organisation
// fetch cache.
func testLinkPreviews(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()

	var o account.Org
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		o, err = tx.InsertOrg(ctx, account.Org{Name: "P", RecallWindow: time.Hour, ReceiptMaxMembers: 5, LinkPreviews: true, CreatedAt: at})
		return err
	})
	if got, err := db.Org(ctx, o.ID); err != nil || !got.LinkPreviews {
		t.Fatalf("org with previews on: %+v (%v)", got, err)
	}
	o.LinkPreviews = false
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateOrg(ctx, o) })
	if got, err := db.Org(ctx, o.ID); err != nil || got.LinkPreviews {
		t.Fatalf("org with previews off: %+v (%v)", got, err)
	}

	a := mkUser(t, db, o.ID, "a")
	ch := mkChannel(t, db, o.ID, chat.KindPublic, "links", a.ID)
	m1 := post(t, db, ch, a.ID, "see https://one.example/", nil)
	m2 := post(t, db, ch, a.ID, "and https://two.example/", nil)
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.QueuePreviews(ctx, o.ID, m2.ID, at); err != nil {
			return err
		}
		if err := tx.QueuePreviews(ctx, o.ID, m1.ID, at.Add(-time.Second)); err != nil {
			return err
		}
		return tx.QueuePreviews(ctx, o.ID, m1.ID, at.Add(time.Hour)) // already queued: stays in place
	})
	pending, err := db.PendingPreviews(ctx, 10)
	if err != nil || !slices.Equal(idsOf(pending), []int64{m1.ID, m2.ID}) || pending[0].Text != m1.Text {
		t.Fatalf("pending %v (%v), want [%d %d] oldest first", idsOf(pending), err, m1.ID, m2.ID)
	}
	if pending, _ := db.PendingPreviews(ctx, 1); len(pending) != 1 {
		t.Fatalf("limit 1 gave %d", len(pending))
	}

	ps := []chat.LinkPreview{
		{URL: "https://one.example/", Title: "One", Description: "第一", SiteName: "Example",
			Image: "0123456789abcdef0123456789abcdef.jpg", ImageWidth: 400, ImageHeight: 210},
		{URL: "https://one.example/b", Title: "B"},
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.SetPreviews(ctx, o.ID, m1.ID, ps); err != nil {
			return err
		}
		return tx.DequeuePreviews(ctx, m1.ID)
	})
	if pending, _ := db.PendingPreviews(ctx, 10); !slices.Equal(idsOf(pending), []int64{m2.ID}) {
		t.Fatalf("after dequeue: %v", idsOf(pending))
	}
	got, err := db.Message(ctx, o.ID, m1.ID)
	if err != nil || !slices.Equal(got.Previews, ps) {
		t.Fatalf("message previews %+v (%v), want %+v", got.Previews, err, ps)
	}
	h, err := db.History(ctx, ch.ID, chat.Page{Limit: 10})
	if err != nil || len(h.Messages) != 2 || !slices.Equal(h.Messages[0].Previews, ps) || h.Messages[1].Previews != nil {
		t.Fatalf("history previews: %+v (%v)", h.Messages, err)
	}
	// Replacing keeps only the new set, in order; an empty set clears.
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetPreviews(ctx, o.ID, m1.ID, ps[1:]) })
	if got, _ := db.Message(ctx, o.ID, m1.ID); !slices.Equal(got.Previews, ps[1:]) {
		t.Fatalf("replaced previews %+v", got.Previews)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetPreviews(ctx, o.ID, m1.ID, nil) })
	if got, _ := db.Message(ctx, o.ID, m1.ID); len(got.Previews) != 0 {
		t.Fatalf("cleared previews %+v", got.Previews)
	}

	// The fetch cache is per organisation and upserts.
	other := mkOrg(t, db)
	if _, err := db.CachedPreview(ctx, o.ID, "https://one.example/"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("uncached URL: %v", err)
	}
	c := unfurl.Cached{URL: "https://one.example/", OK: true, Title: "One", Description: "d", SiteName: "s",
		Image: "0123456789abcdef0123456789abcdef.png", ImageWidth: 30, ImageHeight: 40, FetchedAt: at}
	if err := db.CachePreview(ctx, o.ID, c); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CachedPreview(ctx, o.ID, c.URL); err != nil || got != c {
		t.Fatalf("cached %+v (%v), want %+v", got, err, c)
	}
	if _, err := db.CachedPreview(ctx, other, c.URL); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another organisation sees the cache: %v", err)
	}
	failed := unfurl.Cached{URL: c.URL, FetchedAt: at.Add(time.Hour)}
	if err := db.CachePreview(ctx, o.ID, failed); err != nil {
		t.Fatal(err)
	}
	if got, err := db.CachedPreview(ctx, o.ID, c.URL); err != nil || got != failed {
		t.Fatalf("re-cached %+v (%v), want %+v", got, err, failed)
	}
	fresh := unfurl.Cached{URL: "https://fresh.example/", OK: true, Title: "F", FetchedAt: at.Add(2 * time.Hour)}
	if err := db.CachePreview(ctx, other, fresh); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneCachedPreviews(ctx, at.Add(90*time.Minute)); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	if _, err := db.CachedPreview(ctx, o.ID, c.URL); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("pruned entry still cached: %v", err)
	}
	if got, err := db.CachedPreview(ctx, other, fresh.URL); err != nil || got != fresh {
		t.Fatalf("a newer entry was pruned: %+v (%v)", got, err)
	}
}

func idsOf(ms []chat.Message) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}
