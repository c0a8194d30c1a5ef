package unfurl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/file"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
	"github.com/parley-chat/parley/internal/unfurl"
)

type plainHasher struct{}

func (plainHasher) Hash(p string) (string, error) { return "plain:" + p, nil }

func (plainHasher) CheckPassword(context.Context, int64, string, account.User) error { return nil }

// world is a real store (the engine PARLEY_TEST_ENGINE selects), the real
// chat service, an organisation with a channel, a site on loopback that the
// preview client is allowed to reach, and the message.updated frames the
// store published.
type world struct {
	db       *store.DB
	accounts *account.Service
	chat     *chat.Service
	previews *unfurl.Service
	owner    account.Actor
	channel  int64
	site     *front
	internal *target // on a blocked address: must receive nothing
	blobs    *blob.Disk
	pages    sync.Map // path -> hits (*atomic.Int64)
	now      time.Time

	mu      sync.Mutex
	updates []json.RawMessage // data of message.updated frames
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	ctx := context.Background()
	w := &world{now: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)}
	now := func() time.Time { return w.now }
	w.db = storetest.FromEnv(tb).Open(tb, store.Options{Publish: func(evs []event.Event) {
		for _, ev := range evs {
			if ev.Type != "message.updated" {
				continue
			}
			var f struct{ Data json.RawMessage }
			json.Unmarshal(ev.Frame, &f)
			w.mu.Lock()
			w.updates = append(w.updates, f.Data)
			w.mu.Unlock()
		}
	}})
	w.accounts = account.NewService(store.Accounts{DB: w.db}, httpapi.Encoder{}, plainHasher{}, now)
	w.chat = chat.NewService(store.Chats{DB: w.db}, httpapi.Encoder{}, nil, now)
	_, owner, err := w.accounts.Bootstrap(ctx, account.BootstrapInput{OrgName: "Acme", Email: "o@a.test", Username: "owner", Password: "a long password"})
	if err != nil {
		tb.Fatal(err)
	}
	w.owner = account.ActorOf(owner)
	ch, err := w.chat.CreateChannel(ctx, w.owner, chat.NewChannel{Name: "links", Kind: chat.KindPublic})
	if err != nil {
		tb.Fatal(err)
	}
	w.channel = ch.ID
	w.internal = newTarget(tb, "tcp4", "127.0.0.1:0")
	dnsSrv := newDNS(tb, map[string][]string{"loopback.test": {"127.0.0.1"}})
	w.site = newFront(tb, func(rw http.ResponseWriter, r *http.Request) {
		n, _ := w.pages.LoadOrStore(r.URL.Path, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if img, ok := strings.CutPrefix(r.URL.Path, "/img/"); ok {
			// A page whose og:image is the query's "image" parameter.
			rw.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(rw, `<title>Page %s</title><meta property="og:image" content="%s">`, img, html.EscapeString(r.URL.Query().Get("image")))
			return
		}
		switch r.URL.Path {
		case "/wide.png":
			rw.Header().Set("Content-Type", "image/png")
			rw.Write(pngData(tb, 800, 200))
		case "/bomb.png":
			rw.Header().Set("Content-Type", "image/png")
			rw.Write(bombPNG(tb, 100_000, 100_000))
		case "/huge.png":
			rw.Header().Set("Content-Type", "image/png")
			rw.Write(append(pngData(tb, 1, 1), make([]byte, 2<<20)...))
		case "/wrong-type.png":
			rw.Header().Set("Content-Type", "text/html")
			rw.Write(pngData(tb, 10, 10))
		case "/article":
			rw.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(rw, `<!doctype html><html><head><title>Fallback</title>
				<meta property="og:title" content="Quarterly report &amp; outlook">
				<meta property="og:description" content="Revenue grew 12%.">
				<meta property="og:site_name" content="Example News"></head><body>…</body></html>`)
		case "/other":
			rw.Header().Set("Content-Type", "text/html")
			fmt.Fprint(rw, `<title>Other page</title>`)
		default:
			http.NotFound(rw, r)
		}
	})
	client := unfurl.NewClient(unfurl.Options{Allow: []netip.AddrPort{w.site.allow}, Resolver: dnsSrv.resolver, Timeout: 5 * time.Second})
	if w.blobs, err = blob.NewDisk(tb.TempDir()); err != nil {
		tb.Fatal(err)
	}
	images := unfurl.Images{Thumbnails: file.NewService(nil, nil, nil, tb.TempDir(), now), Blobs: w.blobs}
	w.previews = unfurl.NewService(client, w.chat, w.db, unfurl.Config{Workers: 2, Images: images}, now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return w
}

func (w *world) post(tb testing.TB, text string) chat.Message {
	tb.Helper()
	m, _, err := w.chat.Post(context.Background(), w.owner, w.channel, chat.NewMessage{ClientID: fmt.Sprintf("c%d", time.Now().UnixNano()), Text: text})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// drain runs the preview workers until the queue is empty.
func (w *world) drain(tb testing.TB) {
	tb.Helper()
	for range 10 {
		n, err := w.previews.RunOnce(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	tb.Fatal("the preview queue does not empty")
}

func (w *world) message(tb testing.TB, id int64) chat.Message {
	tb.Helper()
	m, err := w.chat.Message(context.Background(), w.owner, id)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func (w *world) hits(path string) int64 {
	n, ok := w.pages.Load(path)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

func TestPreviewsAttachedAfterPosting(t *testing.T) {
	w := newWorld(t)
	m := w.post(t, "read "+w.site.srv.URL+"/article, and "+w.site.srv.URL+"/missing then `"+w.site.srv.URL+"/other` (code)")
	if len(m.Previews) != 0 {
		t.Fatalf("previews before fetching: %+v", m.Previews)
	}
	w.drain(t)
	got := w.message(t, m.ID).Previews
	want := []chat.LinkPreview{{URL: w.site.srv.URL + "/article", Title: "Quarterly report & outlook",
		Description: "Revenue grew 12%.", SiteName: "Example News"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Fatalf("previews %+v, want %+v", got, want)
	}
	if w.hits("/other") != 0 {
		t.Fatal("a link inside a code span was fetched")
	}
	// Clients learn of it from message.updated, in the wire format.
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.updates) != 1 {
		t.Fatalf("%d message.updated events, want 1", len(w.updates))
	}
	var wire struct {
		ID       int64 `json:"id"`
		Previews []struct {
			URL, Title, Description, SiteName string
		} `json:"previews"`
	}
	json.Unmarshal(w.updates[0], &wire)
	if wire.ID != m.ID || len(wire.Previews) != 1 || wire.Previews[0].Title != want[0].Title ||
		!strings.Contains(string(w.updates[0]), `"site_name":"Example News"`) {
		t.Fatalf("event payload %s", w.updates[0])
	}
}

func TestPreviewCacheAndEdits(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	link := w.site.srv.URL + "/article"
	m1 := w.post(t, link)
	m2 := w.post(t, "again "+link+" and "+w.site.srv.URL+"/missing")
	w.drain(t)
	w.post(t, "dead link again "+w.site.srv.URL+"/missing")
	w.drain(t)
	if n := w.hits("/article"); n != 1 {
		t.Fatalf("the same URL was fetched %d times, want 1 (cached)", n)
	}
	if n := w.hits("/missing"); n != 1 {
		t.Fatalf("a failed URL was fetched %d times within the retry delay, want 1", n)
	}
	if p := w.message(t, m2.ID).Previews; len(p) != 1 || p[0].URL != link {
		t.Fatalf("second message's previews %+v", p)
	}
	// After the cache's lifetime the page is fetched again.
	w.now = w.now.Add(25 * time.Hour)
	w.post(t, link)
	w.drain(t)
	if n := w.hits("/article"); n != 2 {
		t.Fatalf("a stale cache entry was not refreshed (%d fetches)", n)
	}
	// Pruning drops what is past the cache's lifetime (the dead link,
	// fetched 25 hours ago) and keeps the fresh entry.
	if err := w.previews.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.CachedPreview(ctx, m1.Org, w.site.srv.URL+"/missing"); err == nil {
		t.Fatal("a stale cache entry survived pruning")
	}
	if _, err := w.db.CachedPreview(ctx, m1.Org, link); err != nil {
		t.Fatalf("the fresh entry was pruned: %v", err)
	}

	// An edit to another link replaces the preview; an edit without links
	// clears it.
	if _, err := w.chat.Edit(ctx, w.owner, m1.ID, "now "+w.site.srv.URL+"/other"); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	if p := w.message(t, m1.ID).Previews; len(p) != 1 || p[0].Title != "Other page" {
		t.Fatalf("after editing the link: %+v", p)
	}
	if _, err := w.chat.Edit(ctx, w.owner, m1.ID, "no link any more"); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	if p := w.message(t, m1.ID).Previews; len(p) != 0 {
		t.Fatalf("after removing the link: %+v", p)
	}
}

func TestPreviewsStaleTextAndHiddenMessages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	link := w.site.srv.URL + "/article"
	m := w.post(t, link)
	// Previews fetched for an older text are not stored; the message stays
	// queued for its new text.
	if err := w.chat.SetPreviews(ctx, m.Org, m.ID, "an older text", []chat.LinkPreview{{URL: "x", Title: "stale"}}); err != nil {
		t.Fatal(err)
	}
	if p := w.message(t, m.ID).Previews; len(p) != 0 {
		t.Fatalf("previews of a stale text stored: %+v", p)
	}
	if pending, _ := w.chat.PendingPreviews(ctx, 10); len(pending) != 1 {
		t.Fatalf("message left the queue on a stale result")
	}
	// A message deleted before its turn gets no previews and leaves the queue.
	if err := w.chat.Delete(ctx, w.owner, m.ID); err != nil {
		t.Fatal(err)
	}
	w.drain(t)
	if w.hits("/article") != 0 {
		t.Fatal("a deleted message's link was fetched")
	}
	if pending, _ := w.chat.PendingPreviews(ctx, 10); len(pending) != 0 {
		t.Fatalf("%d messages still queued", len(pending))
	}
}

func TestOrganisationCanTurnPreviewsOff(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	off := false
	o, err := w.accounts.UpdateOrg(ctx, w.owner, account.OrgPatch{LinkPreviews: &off})
	if err != nil || o.LinkPreviews {
		t.Fatalf("turning previews off: %+v %v", o, err)
	}
	m := w.post(t, w.site.srv.URL+"/article")
	w.drain(t)
	if p := w.message(t, m.ID).Previews; len(p) != 0 || w.hits("/article") != 0 {
		t.Fatalf("previews fetched while the organisation has them off: %+v", p)
	}
	on := true
	if _, err := w.accounts.UpdateOrg(ctx, w.owner, account.OrgPatch{LinkPreviews: &on}); err != nil {
		t.Fatal(err)
	}
	m = w.post(t, w.site.srv.URL+"/article")
	w.drain(t)
	if p := w.message(t, m.ID).Previews; len(p) != 1 {
		t.Fatalf("previews back on: %+v", p)
	}
}

func TestServerSwitchOffFetchesNothing(t *testing.T) {
	w := newWorld(t)
	w.previews = unfurl.NewService(nil, w.chat, w.db, unfurl.Config{}, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	m := w.post(t, w.site.srv.URL+"/article")
	w.drain(t) // fails if the queue does not empty
	if p := w.message(t, m.ID).Previews; len(p) != 0 || w.hits("/article") != 0 {
		t.Fatalf("--link-previews=false fetched: %+v", p)
	}
}
