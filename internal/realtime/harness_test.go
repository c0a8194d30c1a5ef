package realtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// fakeSource is a Source whose behaviour tests replace field by field.
type fakeSource struct {
	channels    func(ctx context.Context, org, user int64) ([]int64, error)
	eventsSince func(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error)
	latestSeq   func(ctx context.Context, org int64) (int64, error)
	members     func(ctx context.Context, org, user, channel int64) (map[int64][]int64, error)
}

func (f *fakeSource) Channels(ctx context.Context, org, user int64) ([]int64, error) {
	return f.channels(ctx, org, user)
}
func (f *fakeSource) EventsSince(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error) {
	return f.eventsSince(ctx, org, user, after, limit)
}
func (f *fakeSource) ChannelMembers(ctx context.Context, org, user, channel int64) (map[int64][]int64, error) {
	return f.members(ctx, org, user, channel)
}
func (f *fakeSource) LatestSeq(ctx context.Context, org int64) (int64, error) {
	return f.latestSeq(ctx, org)
}

// memLog is an in-memory event log with channel membership, standing in for
// the store and the bus: commit allocates the seq and hands the event to a
// dispatcher goroutine that calls Hub.Deliver in order, asynchronously, as
// the real bus subscriber does.
type memLog struct {
	mu        sync.Mutex
	seq       map[int64]int64
	log       []event.Event
	members   map[int64]map[int64]bool // channel → user
	oldest    int64                    // EventsSince(after < oldest) needs a resync
	queue     chan event.Event
	delivered map[int64]int64 // org → highest seq delivered
	cond      *sync.Cond
}

func newMemLog() *memLog {
	l := &memLog{seq: map[int64]int64{}, members: map[int64]map[int64]bool{},
		queue: make(chan event.Event, 1<<16), delivered: map[int64]int64{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *memLog) join(channel int64, users ...int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.joinLocked(channel, users)
}

func (l *memLog) joinLocked(channel int64, users []int64) {
	if l.members[channel] == nil {
		l.members[channel] = map[int64]bool{}
	}
	for _, u := range users {
		l.members[channel][u] = true
	}
}

// commit stores ev with the next seq of its organisation and queues it for
// delivery. The frame is {"seq":N,"type":T,"data":{"n":N,"pad":...}}.
func (l *memLog) commit(ev event.Event, pad int) event.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq[ev.Org]++
	ev.Seq = l.seq[ev.Org]
	if ev.Type == "" {
		ev.Type = "message.posted"
	}
	if !ev.Revoke {
		ev.Frame = fmt.Appendf(nil, `{"seq":%d,"type":%q,"data":{"n":%d,"pad":"%s"}}`, ev.Seq, ev.Type, ev.Seq, strings.Repeat("x", pad))
	}
	l.joinLocked(ev.Channel, ev.Join)
	for _, u := range ev.Leave {
		delete(l.members[ev.Channel], u)
	}
	l.log = append(l.log, ev)
	l.queue <- ev
	return ev
}

// publish is the Publisher side: ephemeral events take the same queue.
func (l *memLog) Publish(ctx context.Context, ev event.Event) error {
	l.queue <- ev
	return nil
}

func (l *memLog) dispatch(h *Hub) {
	for ev := range l.queue {
		h.Deliver(ev)
		if ev.Seq != 0 {
			l.mu.Lock()
			l.delivered[ev.Org] = ev.Seq
			l.cond.Broadcast()
			l.mu.Unlock()
		}
	}
}

// waitDelivered blocks until the hub was handed seq of org.
func (l *memLog) waitDelivered(org, seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.delivered[org] < seq {
		l.cond.Wait()
	}
}

func (l *memLog) visible(ev *event.Event, user int64) bool {
	return ev.All || ev.User == user || l.members[ev.Channel][user] || slices.Contains(ev.Users, user)
}

func (l *memLog) source() *fakeSource {
	return &fakeSource{
		channels: func(ctx context.Context, org, user int64) ([]int64, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			var out []int64
			for ch, m := range l.members {
				if m[user] {
					out = append(out, ch)
				}
			}
			return out, nil
		},
		eventsSince: func(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			if after < l.oldest {
				return nil, errs.New("memLog.EventsSince", errs.Conflict, "resync_required")
			}
			var out []event.Event
			for i := range l.log {
				ev := &l.log[i]
				if ev.Org == org && ev.Seq > after && !ev.Revoke && l.visible(ev, user) {
					out = append(out, *ev)
					if len(out) == limit {
						break
					}
				}
			}
			return out, nil
		},
		latestSeq: func(ctx context.Context, org int64) (int64, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.seq[org], nil
		},
		members: func(ctx context.Context, org, user, channel int64) (map[int64][]int64, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			out := map[int64][]int64{}
			for ch, m := range l.members {
				if !m[user] || (channel != 0 && ch != channel) {
					continue
				}
				for u, in := range m {
					if in {
						out[ch] = append(out[ch], u)
					}
				}
			}
			return out, nil
		},
	}
}

type closeNote struct {
	p    Principal
	code int
}

type harness struct {
	t      *testing.T
	log    *memLog
	src    *fakeSource
	hub    *Hub
	srv    *httptest.Server
	closes chan closeNote
	leaves chan Principal

	subjects map[int64]int64 // seq → whom a user.updated is about (see userUpdated)
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	l := newMemLog()
	h := &harness{t: t, log: l, src: l.source(),
		closes: make(chan closeNote, 1024), leaves: make(chan Principal, 1024), subjects: map[int64]int64{}}
	// The hub reads h.src through a wrapper so tests may swap functions
	// after construction.
	h.hub = NewHub(cfg, h.src, l, nil)
	h.hub.onClose = func(p Principal, code int) {
		select {
		case h.closes <- closeNote{p, code}:
		default:
		}
	}
	h.hub.onLeave = func(p Principal) {
		select {
		case h.leaves <- p:
		default:
		}
	}
	dispatched := make(chan struct{})
	go func() { l.dispatch(h.hub); close(dispatched) }()
	runCtx, stopRun := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- h.hub.Run(runCtx) }()
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := parsePrincipal(r.Header.Get("X-Test-User"))
		if !ok {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		h.hub.ServeStream(w, r, p)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.hub.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		stopRun()
		if err := <-ran; err != nil {
			t.Errorf("Run: %v", err)
		}
		h.srv.Close()
		close(l.queue)
		<-dispatched
		checkNoHubGoroutines(t)
	})
	return h
}

// parsePrincipal reads "org:user", or "org:user:guest" for a guest.
func parsePrincipal(s string) (Principal, bool) {
	a, b, found := strings.Cut(s, ":")
	if !found {
		return Principal{}, false
	}
	b, sess, hasSess := strings.Cut(b, "@")
	b, guest := strings.CutSuffix(b, ":guest")
	org, err1 := strconv.ParseInt(a, 10, 64)
	user, err2 := strconv.ParseInt(b, 10, 64)
	var session int64
	var err3 error
	if hasSess {
		session, err3 = strconv.ParseInt(sess, 10, 64)
	}
	return Principal{Org: org, User: user, Guest: guest, Session: session}, err1 == nil && err2 == nil && err3 == nil
}

// checkNoHubGoroutines fails when a reader, writer or Run loop survived.
func checkNoHubGoroutines(t testing.TB) {
	t.Helper()
	checkGoroutines(t, "(*conn).readLoop", "(*conn).writeLoop", "(*Hub).Run", "(*Hub).catchUp", "(*Hub).loadMembers")
}

// checkNoConnGoroutines fails when a reader or writer survived.
func checkNoConnGoroutines(t testing.TB) {
	t.Helper()
	checkGoroutines(t, "(*conn).readLoop", "(*conn).writeLoop", "(*Hub).catchUp")
}

// checkGoroutines fails when a goroutine runs one of fns. A goroutine that
// called wg.Done may still be unwinding, so the check yields and retries
// for a bounded time before reporting.
func checkGoroutines(t testing.TB, fns ...string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		leaked := findGoroutines(fns)
		if len(leaked) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, g := range leaked {
				t.Errorf("goroutine leaked after Shutdown:\n%s", g)
			}
			return
		}
		runtime.Gosched()
	}
}

func findGoroutines(fns []string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		for _, fn := range fns {
			if strings.Contains(g, fn) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

func (h *harness) url() string {
	return "ws" + strings.TrimPrefix(h.srv.URL, "http") + "/api/v1/stream"
}

// dial opens a stream for user of org 1; since < 0 is a fresh load.
func (h *harness) dial(user, since int64) *Client {
	return h.dialOrg(1, user, since)
}

func (h *harness) dialOrg(org, user, since int64) *Client {
	h.t.Helper()
	return h.dialAs(fmt.Sprintf("%d:%d", org, user), since)
}

// dialAs opens a stream for a principal written as parsePrincipal reads it.
func (h *harness) dialAs(principal string, since int64) *Client {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, h.url(), http.Header{"X-Test-User": {principal}}, since)
	if err != nil {
		h.t.Fatalf("dial %s: %v", principal, err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// connect dials fresh and returns the client after hello and ready.
func (h *harness) connect(user int64) (*Client, int64) {
	h.t.Helper()
	return h.connectAs(fmt.Sprintf("1:%d", user))
}

// connectAs is connect for a principal written as parsePrincipal reads it.
func (h *harness) connectAs(principal string) (*Client, int64) {
	h.t.Helper()
	c := h.dialAs(principal, -1)
	hello := mustNext(h.t, c, true)
	if hello.Type != "hello" {
		h.t.Fatalf("first frame %s, want hello", hello.Raw)
	}
	if f := mustNext(h.t, c, true); f.Type != "ready" {
		h.t.Fatalf("frame %s, want ready", f.Raw)
	}
	return c, hello.Seq
}

// nextFrame reads one frame, skipping presence frames unless withPresence.
func nextFrame(c *Client, withPresence bool) (Frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		f, err := c.Next(ctx)
		if err != nil || withPresence || f.Type != "presence" {
			return f, err
		}
	}
}

func mustNext(t testing.TB, c *Client, withPresence bool) Frame {
	t.Helper()
	f, err := nextFrame(c, withPresence)
	if err != nil {
		t.Fatalf("next frame: %v", err)
	}
	return f
}

// expectClose reads (discarding frames) until the stream closes and checks
// the code.
func expectClose(t testing.TB, c *Client, code int) {
	t.Helper()
	for {
		_, err := nextFrame(c, true)
		if err == nil {
			continue
		}
		var ce *CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("want close %d, got %v", code, err)
		}
		if ce.Code != code {
			t.Fatalf("close code %d, want %d", ce.Code, code)
		}
		return
	}
}

func (h *harness) waitClose(user int64, code int) {
	h.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case n := <-h.closes:
			if n.p.User == user && n.code == code {
				return
			}
		case <-timeout:
			h.t.Fatalf("user %d was not closed with %d", user, code)
		}
	}
}

func (h *harness) waitLeave(user int64) {
	h.t.Helper()
	select {
	case p := <-h.leaves:
		if p.User != user {
			h.t.Fatalf("user %d left, want %d", p.User, user)
		}
	case <-time.After(10 * time.Second):
		h.t.Fatalf("user %d did not leave", user)
	}
}
