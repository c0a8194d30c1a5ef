// Package bustest is the conformance suite every bus implementation passes:
// the in-process bus.Local and the NATS bus (natsbus) run the same tests, so
// the realtime hub can rely on one contract whatever carries its events.
package bustest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/event"
)

// Bus is the contract under test: what the store (PublishCommitted), the hub
// (Publish, and Deliver as a subscriber) and the server (Run) use.
type Bus interface {
	Subscribe(fn func(event.Event))
	PublishCommitted(evs []event.Event)
	Publish(ctx context.Context, ev event.Event) error
	Run(ctx context.Context) error
}

// Backend makes bus nodes for the suite.
type Backend struct {
	// New returns a node that is not running yet. Nodes made by one call of
	// Run share their backend (one NATS server) when Cluster is true.
	New func(tb testing.TB) Bus
	// Cluster says that nodes see each other's events (NATS), so the
	// cross-node tests apply; the in-process bus has one node per process.
	Cluster bool
}

// Run runs the conformance suite on b.
func Run(t *testing.T, b Backend) {
	t.Run("CommittedInOrderPerOrg", func(t *testing.T) { testCommittedInOrder(t, b) })
	t.Run("EveryFieldCarried", func(t *testing.T) { testEveryField(t, b) })
	t.Run("Ephemeral", func(t *testing.T) { testEphemeral(t, b) })
	t.Run("DeliversQueuedOnStop", func(t *testing.T) { testDrainOnStop(t, b) })
	if b.Cluster {
		t.Run("TwoNodesSeeEachOtherInOrder", func(t *testing.T) { testTwoNodes(t, b) })
	}
}

// recorder collects what one subscriber received.
type recorder struct {
	mu   sync.Mutex
	evs  []event.Event
	cond chan struct{} // closed and replaced on every event
}

func newRecorder() *recorder { return &recorder{cond: make(chan struct{})} }

func (r *recorder) add(ev event.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	close(r.cond)
	r.cond = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) snapshot() []event.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]event.Event(nil), r.evs...)
}

// wait blocks until ok holds on the received events or a generous deadline
// passes (a failure, not a timing assertion: the bus is idle otherwise).
func (r *recorder) wait(tb testing.TB, what string, ok func([]event.Event) bool) []event.Event {
	tb.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		evs := append([]event.Event(nil), r.evs...)
		ch := r.cond
		r.mu.Unlock()
		if ok(evs) {
			return evs
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("waiting for %s: got %d events", what, len(evs))
			return nil
		}
	}
}

// start runs n until the test ends and waits for Run to return then.
func start(tb testing.TB, n Bus) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("Run: %v", err)
		}
	})
}

// countDurable counts committed events (Seq > 0).
func countDurable(evs []event.Event) int {
	n := 0
	for _, ev := range evs {
		if ev.Seq > 0 {
			n++
		}
	}
	return n
}

// checkOrder fails unless evs holds, per organisation, exactly seqs 1..want
// in order.
func checkOrder(tb testing.TB, who string, evs []event.Event, orgs []int64, want int64) {
	tb.Helper()
	next := map[int64]int64{}
	for _, o := range orgs {
		next[o] = 1
	}
	for _, ev := range evs {
		if ev.Seq == 0 {
			continue
		}
		if ev.Seq != next[ev.Org] {
			tb.Fatalf("%s: org %d: got seq %d, want %d (lost, duplicated or reordered)", who, ev.Org, ev.Seq, next[ev.Org])
		}
		if got := fmt.Sprintf("o%d-s%d", ev.Org, ev.Seq); string(ev.Frame) != got {
			tb.Fatalf("%s: frame %q carried with org %d seq %d", who, ev.Frame, ev.Org, ev.Seq)
		}
		next[ev.Org]++
	}
	for _, o := range orgs {
		if next[o] != want+1 {
			tb.Fatalf("%s: org %d: got %d events, want %d", who, o, next[o]-1, want)
		}
	}
}

// batches returns committed batches of seqs 1..perOrg for each org, the
// orgs' events interleaved inside batches as group commit does.
func batches(orgs []int64, perOrg int64, batch int) [][]event.Event {
	var out [][]event.Event
	var cur []event.Event
	for s := int64(1); s <= perOrg; s++ {
		for _, o := range orgs {
			cur = append(cur, event.Event{Org: o, Seq: s, Channel: 7, Type: "message.posted", Frame: fmt.Appendf(nil, "o%d-s%d", o, s)})
			if len(cur) == batch {
				out = append(out, cur)
				cur = nil
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func testCommittedInOrder(t *testing.T, b Backend) {
	n := b.New(t)
	r1, r2 := newRecorder(), newRecorder()
	n.Subscribe(r1.add)
	n.Subscribe(r2.add)
	start(t, n)
	orgs := []int64{1, 2, 3}
	const perOrg = 2000
	for _, bt := range batches(orgs, perOrg, 7) {
		n.PublishCommitted(bt)
	}
	total := len(orgs) * perOrg
	for i, r := range []*recorder{r1, r2} {
		evs := r.wait(t, "every committed event", func(evs []event.Event) bool { return countDurable(evs) >= total })
		checkOrder(t, fmt.Sprintf("subscriber %d", i+1), evs, orgs, perOrg)
	}
}

func testEveryField(t *testing.T, b Backend) {
	n := b.New(t)
	r := newRecorder()
	n.Subscribe(r.add)
	start(t, n)
	want := event.Event{Org: 42, Seq: 1, Channel: 9, User: 11, Type: "member.left", Frame: []byte(`{"type":"member.left","x":"中文"}`),
		Join: []int64{1, 2}, Leave: []int64{3}, All: true, NoGuests: true, GuestPeers: true, Revoke: true, Users: []int64{5, 6, 7}}
	n.PublishCommitted([]event.Event{want})
	got := r.wait(t, "the event", func(evs []event.Event) bool { return len(evs) == 1 })[0]
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func testEphemeral(t *testing.T, b Backend) {
	n := b.New(t)
	r := newRecorder()
	n.Subscribe(r.add)
	start(t, n)
	ev := event.Event{Org: 1, Type: "typing", Channel: 3, User: 4, Users: []int64{8}, Frame: []byte(`{"type":"typing"}`)}
	if err := n.Publish(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	// Best effort, but an idle bus delivers it.
	got := r.wait(t, "the ephemeral event", func(evs []event.Event) bool { return len(evs) == 1 })[0]
	if got.Seq != 0 || got.Type != "typing" || got.User != 4 || len(got.Users) != 1 {
		t.Fatalf("got %+v", got)
	}
	// An ephemeral event never blocks the publisher, even on a stopped bus.
	stopped := b.New(t)
	for i := 0; i < 100_000; i++ {
		if err := stopped.Publish(context.Background(), ev); err != nil {
			t.Fatalf("ephemeral publish %d: %v", i, err)
		}
	}
}

func testDrainOnStop(t *testing.T, b Backend) {
	n := b.New(t)
	r := newRecorder()
	n.Subscribe(r.add)
	// Three batches: the in-process bus under test queues four before Run.
	orgs := []int64{5}
	for _, bt := range batches(orgs, 3, 1) {
		n.PublishCommitted(bt)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Run(ctx); err != nil {
		t.Fatal(err)
	}
	checkOrder(t, "after stop", r.snapshot(), orgs, 3)
}

func testTwoNodes(t *testing.T, b Backend) {
	a, c := b.New(t), b.New(t)
	ra, rc := newRecorder(), newRecorder()
	a.Subscribe(ra.add)
	c.Subscribe(rc.add)
	start(t, a)
	start(t, c)
	// Node a commits org 1, node c commits org 2, concurrently: each node
	// sees both organisations complete and in order.
	const perOrg = 1000
	var wg sync.WaitGroup
	for _, p := range []struct {
		n   Bus
		org int64
	}{{a, 1}, {c, 2}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, bt := range batches([]int64{p.org}, perOrg, 3) {
				p.n.PublishCommitted(bt)
			}
		}()
	}
	wg.Wait()
	for name, r := range map[string]*recorder{"node a": ra, "node c": rc} {
		evs := r.wait(t, name+": both organisations", func(evs []event.Event) bool { return countDurable(evs) >= 2*perOrg })
		checkOrder(t, name, evs, []int64{1, 2}, perOrg)
	}
	// Ephemeral events cross nodes too.
	if err := a.Publish(context.Background(), event.Event{Org: 1, Type: "presence", User: 3}); err != nil {
		t.Fatal(err)
	}
	rc.wait(t, "node a's presence on node c", func(evs []event.Event) bool { return len(evs) == 2*perOrg+1 })
}
