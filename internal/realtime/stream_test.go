package realtime

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/event"
)

// readSeqs reads event frames until one with seq >= end, returning their
// seqs and checking they strictly increase.
func readSeqs(t testing.TB, c *Client, end int64) []int64 {
	t.Helper()
	var seqs []int64
	for {
		f := mustNext(t, c, false)
		if !isEvent(f) {
			continue
		}
		if n := len(seqs); n > 0 && f.Seq <= seqs[n-1] {
			t.Fatalf("seq %d after %d: not strictly increasing", f.Seq, seqs[n-1])
		}
		seqs = append(seqs, f.Seq)
		if f.Seq >= end {
			return seqs
		}
	}
}

func isEvent(f Frame) bool { return f.Seq != 0 && f.Type != "hello" }

func seqRange(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// Everyone is a member of every channel, so each stream must be exactly the
// organisation's events after the stream's starting point, including
// streams that connect while publishers are running.
func TestOrderedExactlyOnceUnderConcurrentPublishing(t *testing.T) {
	h := newHarness(t, Config{})
	for ch := int64(1); ch <= 3; ch++ {
		h.log.join(ch, 1, 2, 3, 4, 5)
	}
	type stream struct {
		c     *Client
		start int64
	}
	var streams []stream
	for u := int64(1); u <= 3; u++ {
		c, seq := h.connect(u)
		streams = append(streams, stream{c, seq})
	}
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Go(func() {
			for i := range 150 {
				h.log.commit(event.Event{Org: 1, Channel: int64(1 + (p+i)%3)}, 10)
			}
		})
	}
	for u := int64(4); u <= 5; u++ { // connect during publishing
		c, seq := h.connect(u)
		streams = append(streams, stream{c, seq})
	}
	wg.Wait()
	end := h.log.commit(event.Event{Org: 1, All: true, Type: "end"}, 0).Seq
	for i, s := range streams {
		got := readSeqs(t, s.c, end)
		if want := seqRange(s.start+1, end); !slices.Equal(got, want) {
			t.Errorf("stream %d from %d: got %d events %v..., want %d", i, s.start, len(got), got[:min(15, len(got))], len(want))
		}
	}
}

// The catch-up trap: events committed while a connection reads its channel
// set and replays history, including a Join and a Leave of the user, are
// delivered exactly once, in order, with the right membership.
func TestCatchUpRaceMembership(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(1, 2)
	h.log.commit(event.Event{Org: 1, Channel: 1}, 0) // 1: ch1, member
	defChannels, defEvents := h.src.channels, h.src.eventsSince
	var once1, once2 sync.Once
	h.src.channels = func(ctx context.Context, org, user int64) ([]int64, error) {
		snap, err := defChannels(ctx, org, user) // read "before" the commits below
		once1.Do(func() {
			h.log.commit(event.Event{Org: 1, Channel: 5}, 0)                   // 2: ch5, before the join
			h.log.commit(event.Event{Org: 1, Channel: 5, Join: []int64{2}}, 0) // 3: joins ch5
			h.log.commit(event.Event{Org: 1, Channel: 5}, 0)                   // 4: ch5, member
			h.log.waitDelivered(1, 4)
		})
		return snap, err
	}
	h.src.eventsSince = func(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error) {
		evs, err := defEvents(ctx, org, user, after, limit)
		once2.Do(func() { // committed after the read, before the switch to live
			h.log.commit(event.Event{Org: 1, Channel: 1, User: 2, Leave: []int64{2}}, 0) // 5: removed from ch1
			h.log.commit(event.Event{Org: 1, Channel: 1}, 0)                             // 6: ch1, no longer a member
			h.log.commit(event.Event{Org: 1, Channel: 5}, 0)                             // 7: ch5
			h.log.waitDelivered(1, 7)
		})
		return evs, err
	}
	c := h.dial(2, 0)
	if f := mustNext(t, c, false); f.Type != "hello" {
		t.Fatalf("got %s, want hello", f.Raw)
	}
	var got []int64
	sawReady := false
	for len(got) < 6 {
		f := mustNext(t, c, false)
		if f.Type == "ready" {
			sawReady = true
			continue
		}
		got = append(got, f.Seq)
	}
	if !sawReady {
		t.Error("no ready frame")
	}
	h.log.commit(event.Event{Org: 1, Channel: 1}, 0)           // 8: not a member
	h.log.commit(event.Event{Org: 1, All: true, Type: "x"}, 0) // 9
	got = append(got, mustNext(t, c, false).Seq)
	// 2 predates the join but the Source contract filters by membership at
	// read time, so the replay includes it; 6 (after the removal, never
	// replayed) must not appear.
	if want := []int64{1, 2, 3, 4, 5, 7, 9}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// A client that disconnects at random points and resumes from the last seq
// it saw gets every event exactly once, in order.
func TestResumeAfterRandomDisconnects(t *testing.T) {
	h := newHarness(t, Config{ReplayBatch: 7})
	h.log.join(1, 1)
	const total = 600
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range total {
			h.log.commit(event.Event{Org: 1, Channel: 1}, 20)
		}
	}()
	rng := rand.New(rand.NewPCG(1, 2))
	var got []int64
	last := int64(0)
	for last < total {
		c := h.dial(1, last)
		n := rng.IntN(80)
		for i := 0; i < n && last < total; i++ {
			f := mustNext(t, c, false)
			if !isEvent(f) {
				continue
			}
			if f.Seq <= last {
				t.Fatalf("seq %d after %d", f.Seq, last)
			}
			got = append(got, f.Seq)
			last = f.Seq
		}
		c.Close()
	}
	<-done
	if want := seqRange(1, total); !slices.Equal(got, want) {
		t.Fatalf("got %d events, want %d (first %v)", len(got), len(want), got[:min(10, len(got))])
	}
}

func TestResyncWhenTooOld(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(1, 1)
	for range 20 {
		h.log.commit(event.Event{Org: 1, Channel: 1}, 0)
	}
	h.log.mu.Lock()
	h.log.oldest = 10
	h.log.mu.Unlock()

	for _, since := range []int64{5, 999} { // too old; from the future
		c := h.dial(1, since)
		if f := mustNext(t, c, false); f.Type != "hello" || f.Seq != 20 {
			t.Fatalf("since %d: got %s, want hello seq 20", since, f.Raw)
		}
		if f := mustNext(t, c, false); f.Type != "resync" {
			t.Fatalf("since %d: got %s, want resync", since, f.Raw)
		}
		expectClose(t, c, CloseResync)
	}
	// Within the window works.
	c := h.dial(1, 15)
	mustNext(t, c, false) // hello
	if got := readSeqs(t, c, 20); !slices.Equal(got, seqRange(16, 20)) {
		t.Fatalf("got %v", got)
	}
}

func TestJoinLeave(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(7, 1)
	c1, _ := h.connect(1)
	c2, _ := h.connect(2)
	s1 := h.log.commit(event.Event{Org: 1, Channel: 7}, 0).Seq                                   // before join
	s2 := h.log.commit(event.Event{Org: 1, Channel: 7, Join: []int64{2}, Type: "joined"}, 0).Seq // join
	s3 := h.log.commit(event.Event{Org: 1, Channel: 7}, 0).Seq
	s4 := h.log.commit(event.Event{Org: 1, Channel: 7, User: 2, Leave: []int64{2}, Type: "left"}, 0).Seq
	s5 := h.log.commit(event.Event{Org: 1, Channel: 7}, 0).Seq // after removal
	s6 := h.log.commit(event.Event{Org: 1, User: 2, Type: "sentinel"}, 0).Seq
	s7 := h.log.commit(event.Event{Org: 1, User: 1, Type: "sentinel"}, 0).Seq
	if got, want := readSeqs(t, c2, s6), []int64{s2, s3, s4, s6}; !slices.Equal(got, want) {
		t.Errorf("user 2 got %v, want %v", got, want)
	}
	if got, want := readSeqs(t, c1, s7), []int64{s1, s2, s3, s4, s5, s7}; !slices.Equal(got, want) {
		t.Errorf("user 1 got %v, want %v", got, want)
	}
	// The same through replay: a fresh stream from 0 applies Join/Leave in order.
	c3 := h.dial(2, 0)
	mustNext(t, c3, false)
	if got, want := readSeqs(t, c3, s6), []int64{s2, s3, s4, s6}; !slices.Equal(got, want) {
		// The fake Source filters by membership at read time: user 2 is no
		// longer a member, so only the events addressed to them are replayed.
		if want2 := []int64{s4, s6}; !slices.Equal(got, want2) {
			t.Errorf("replay for user 2 got %v, want %v", got, want2)
		}
	}
}

func TestSlowConsumerIsClosedOthersContinue(t *testing.T) {
	h := newHarness(t, Config{QueueSize: 16})
	h.log.join(1, 1, 2)
	slow, _ := h.connect(1)
	fast, _ := h.connect(2)
	received := make(chan int64)
	go func() {
		defer close(received)
		for {
			f, err := nextFrame(fast, false)
			if err != nil {
				return
			}
			received <- f.Seq
		}
	}()
	closed := false
	var last int64
	for i := 0; i < 5000 && !closed; i++ {
		last = h.log.commit(event.Event{Org: 1, Channel: 1}, 64<<10).Seq
		if s := <-received; s != last { // lock-step: the fast client never lags
			t.Fatalf("fast client got %d, want %d", s, last)
		}
		select {
		case n := <-h.closes:
			closed = n.p.User == 1 && n.code == CloseSlowConsumer
		default:
		}
	}
	if !closed {
		t.Fatal("slow consumer was not closed")
	}
	end := h.log.commit(event.Event{Org: 1, Channel: 1, Type: "end"}, 0).Seq
	if s := <-received; s != end {
		t.Fatalf("fast client got %d, want %d", s, end)
	}
	// The slow client reads what was written, then the close; it resumes.
	var seen int64
	for {
		f, err := nextFrame(slow, false)
		if err != nil {
			if ce, ok := err.(*CloseError); !ok || ce.Code != CloseSlowConsumer {
				t.Fatalf("slow client: %v, want close %d", err, CloseSlowConsumer)
			}
			break
		}
		if isEvent(f) {
			seen = f.Seq
		}
	}
	if seen >= last {
		t.Fatalf("slow client saw %d of %d before the close", seen, last)
	}
	again := h.dial(1, seen)
	mustNext(t, again, false) // hello
	if got := readSeqs(t, again, end); !slices.Equal(got, seqRange(seen+1, end)) {
		t.Fatalf("resumed from %d: got %d events, want %d", seen, len(got), end-seen)
	}
}

func TestTypingOnlyFromMembersToOtherMembers(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(1, 1, 2)
	c1, _ := h.connect(1)
	c2, _ := h.connect(2)
	c3, _ := h.connect(3)
	ctx := context.Background()
	if err := c1.Send(ctx, map[string]any{"type": "typing", "channel_id": 1}); err != nil {
		t.Fatal(err)
	}
	if f := mustNext(t, c2, false); f.Type != "typing" || f.ChannelID != 1 || f.UserID != 1 {
		t.Fatalf("user 2 got %s, want typing from user 1", f.Raw)
	}
	// A non-member's typing goes nowhere; ping/pong orders it before the sentinel.
	if err := c3.Send(ctx, map[string]any{"type": "typing", "channel_id": 1}); err != nil {
		t.Fatal(err)
	}
	c3.Send(ctx, map[string]any{"type": "ping"})
	if f := mustNext(t, c3, false); f.Type != "pong" {
		t.Fatalf("user 3 got %s, want pong", f.Raw)
	}
	end := h.log.commit(event.Event{Org: 1, All: true, Type: "sentinel"}, 0).Seq
	for i, c := range []*Client{c1, c2, c3} {
		if f := mustNext(t, c, false); f.Seq != end {
			t.Errorf("user %d got %s, want the sentinel", i+1, f.Raw)
		}
	}
}

func TestRevokeClosesAllStreamsOfUser(t *testing.T) {
	h := newHarness(t, Config{})
	a1, _ := h.connect(1)
	a2, _ := h.connect(1)
	b, _ := h.connect(2)
	h.log.commit(event.Event{Org: 1, User: 1, Revoke: true}, 0)
	expectClose(t, a1, CloseRevoked)
	expectClose(t, a2, CloseRevoked)
	seq := h.log.commit(event.Event{Org: 1, All: true}, 0).Seq
	if f := mustNext(t, b, false); f.Seq != seq {
		t.Fatalf("user 2 got %s", f.Raw)
	}
}

// Revoking one session closes only that session's streams; revoking all but
// one (a password change) keeps that one's.
func TestRevokeClosesOnlyTheNamedSession(t *testing.T) {
	h := newHarness(t, Config{})
	s7, _ := h.connectAs("1:1@7")
	s8, _ := h.connectAs("1:1@8")
	s9, _ := h.connectAs("1:1@9")
	h.log.commit(event.Event{Org: 1, User: 1, Revoke: true, Frame: []byte(`{"seq":0,"type":"session.revoked","data":{"session_id":7}}`)}, 0)
	expectClose(t, s7, CloseRevoked)
	seq := h.log.commit(event.Event{Org: 1, All: true}, 0).Seq
	for _, c := range []*Client{s8, s9} {
		if f := mustNext(t, c, false); f.Seq != seq {
			t.Fatalf("other session got %s, want seq %d", f.Raw, seq)
		}
	}
	h.log.commit(event.Event{Org: 1, User: 1, Revoke: true, Frame: []byte(`{"seq":0,"type":"session.revoked","data":{"keep_session_id":8}}`)}, 0)
	expectClose(t, s9, CloseRevoked)
	seq = h.log.commit(event.Event{Org: 1, All: true}, 0).Seq
	if f := mustNext(t, s8, false); f.Seq != seq {
		t.Fatalf("kept session got %s, want seq %d", f.Raw, seq)
	}
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	h := newHarness(t, Config{})
	var cs []*Client
	for u := int64(1); u <= 3; u++ {
		c, _ := h.connect(u)
		cs = append(cs, c)
	}
	errc := make(chan error, 1)
	go func() { errc <- h.hub.Shutdown(context.Background()) }()
	for _, c := range cs {
		expectClose(t, c, CloseGoingAway)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if n := h.hub.ConnCount(); n != 0 {
		t.Fatalf("ConnCount = %d after Shutdown", n)
	}
	checkNoConnGoroutines(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5e9)
	defer cancel()
	if _, err := Dial(ctx, h.url(), nil, -1); err == nil {
		t.Fatal("dial after Shutdown succeeded")
	}
}
