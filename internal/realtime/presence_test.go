package realtime

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/parley-chat/parley/internal/event"
)

func jsonHas(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// presenceUntilMarker commits an event addressed to user (org 1) and returns
// the presence frames c receives before it: changes as "user:status",
// snapshots as the printed map ("map[2:online 3:offline]"). The bus is
// FIFO, so every presence change published before the call has been
// delivered to every stream by the time the marker arrives: no sleeps.
func (h *harness) presenceUntilMarker(c *Client, user int64) []string {
	h.t.Helper()
	seq := h.log.commit(event.Event{Org: 1, User: user, Type: "marker"}, 0).Seq
	got := []string{}
	for {
		f := mustNext(h.t, c, true)
		switch {
		case f.Seq == seq:
			return got
		case f.Type == "presence" && f.Users != nil:
			got = append(got, fmt.Sprint(f.Users))
		case f.Type == "presence":
			got = append(got, fmt.Sprintf("%d:%s", f.UserID, f.Status))
		case f.Seq != 0:
			h.t.Fatalf("unexpected event %s", f.Raw)
		}
	}
}

// roundTrip returns once the server handled every message c sent before.
func roundTrip(t testing.TB, c *Client) {
	t.Helper()
	if err := c.Send(context.Background(), map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	if f := mustNext(t, c, false); f.Type != "pong" {
		t.Fatalf("got %s, want pong", f.Raw)
	}
}

// subscribe sends presence_sub and returns the snapshot, printed
// ("map[2:online 3:offline]"); it must be c's next frame.
func subscribe(t testing.TB, c *Client, users ...int64) string {
	t.Helper()
	if err := c.SubscribePresence(context.Background(), users); err != nil {
		t.Fatal(err)
	}
	f := mustNext(t, c, true)
	if f.Type != "presence" || f.Users == nil {
		t.Fatalf("got %s, want a presence snapshot", f.Raw)
	}
	return fmt.Sprint(f.Users)
}

func setStatus(t testing.TB, c *Client, status string) {
	t.Helper()
	if err := c.Send(context.Background(), map[string]string{"type": "presence", "status": status}); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c)
}

// A subscriber gets one snapshot of the users it listed (duplicates
// ignored, unknown users offline), then the changes of those users only.
func TestPresenceSubscription(t *testing.T) {
	h := newHarness(t, Config{})
	watcher, _ := h.connect(1)
	c2, _ := h.connect(2)
	c3, _ := h.connect(3)
	setStatus(t, c3, StatusDND)
	if got := h.presenceUntilMarker(watcher, 1); len(got) != 0 {
		t.Fatalf("before subscribing got %v, want no presence", got)
	}
	if got, want := subscribe(t, watcher, 4, 3, 2, 3), "map[2:online 3:dnd 4:offline]"; got != want {
		t.Fatalf("snapshot: got %v, want %v", got, want)
	}
	h.connect(5) // not subscribed to
	c4, _ := h.connect(4)
	setStatus(t, c2, StatusAway)
	c4.Close()
	h.waitLeave(4)
	if got, want := h.presenceUntilMarker(watcher, 1), []string{"4:online", "2:away", "4:offline"}; !slices.Equal(got, want) {
		t.Fatalf("changes: got %v, want %v", got, want)
	}
	if n := h.hub.presenceSnapshots.Load(); n != 1 {
		t.Errorf("presenceSnapshots = %d, want 1", n)
	}
}

// Several tabs of one user change presence only on the first connect and
// the last disconnect; Presence and Online read the hub's state.
func TestPresenceTransitions(t *testing.T) {
	h := newHarness(t, Config{})
	watcher, _ := h.connect(1)
	if got := subscribe(t, watcher, 2); got != "map[2:offline]" {
		t.Fatalf("snapshot %v", got)
	}
	a, _ := h.connect(2)
	if got := h.presenceUntilMarker(watcher, 1); !slices.Equal(got, []string{"2:online"}) {
		t.Fatalf("got %v, want 2 online", got)
	}
	if got := h.hub.Presence(1, []int64{2, 3}); got[2] != StatusOnline || got[3] != StatusOffline {
		t.Fatalf("Presence = %v", got)
	}
	setStatus(t, a, StatusAway)
	if got := h.presenceUntilMarker(watcher, 1); !slices.Equal(got, []string{"2:away"}) {
		t.Fatalf("got %v, want 2 away", got)
	}
	if got := h.hub.Online(1, []int64{1, 2}); !slices.Equal(got, []int64{1}) {
		t.Fatalf("Online = %v, want [1] (2 is away)", got)
	}
	b, _ := h.connect(2) // a second tab changes nothing
	a.Close()
	h.waitLeave(2)
	if got := h.presenceUntilMarker(watcher, 1); len(got) != 0 {
		t.Fatalf("got %v, want no change while a tab is open", got)
	}
	b.Close()
	h.waitLeave(2)
	if got := h.presenceUntilMarker(watcher, 1); !slices.Equal(got, []string{"2:offline"}) {
		t.Fatalf("got %v, want 2 offline", got)
	}
	if got := h.hub.Presence(1, []int64{2}); got[2] != StatusOffline {
		t.Fatalf("Presence = %v", got)
	}
}

// The flood this design removes: streams that did not subscribe to the
// users who connect receive no presence frame at all, and no user of
// another organisation produces one.
func TestPresenceUnsubscribedGetsNothing(t *testing.T) {
	h := newHarness(t, Config{})
	silent, _ := h.connect(1) // never subscribes
	other, _ := h.connect(2)
	if got := subscribe(t, other, 7, 999); got != "map[7:offline 999:offline]" {
		t.Fatalf("snapshot %v", got)
	}
	h.connectAs("2:7") // user 7 of organisation 2
	for u := int64(100); u < 150; u++ {
		h.connect(u)
	}
	if got := h.presenceUntilMarker(silent, 1); len(got) != 0 {
		t.Errorf("unsubscribed stream got %v", got)
	}
	if got := h.presenceUntilMarker(other, 2); len(got) != 0 {
		t.Errorf("stream subscribed to others got %v", got)
	}
	if n := h.hub.presenceFrames.Load(); n != 0 {
		t.Errorf("presenceFrames = %d, want 0", n)
	}
}

// presence_sub replaces the previous subscription; an empty list ends it.
func TestPresenceResubscribeReplaces(t *testing.T) {
	h := newHarness(t, Config{})
	watcher, _ := h.connect(1)
	if got := subscribe(t, watcher, 2); got != "map[2:offline]" {
		t.Fatalf("first snapshot %v", got)
	}
	if got := subscribe(t, watcher, 3); got != "map[3:offline]" {
		t.Fatalf("second snapshot %v", got)
	}
	h.connect(2)
	c3, _ := h.connect(3)
	if got := h.presenceUntilMarker(watcher, 1); !slices.Equal(got, []string{"3:online"}) {
		t.Fatalf("got %v, want only 3 online", got)
	}
	if got := subscribe(t, watcher); got != "map[]" {
		t.Fatalf("empty subscription: snapshot %v", got)
	}
	c3.Close()
	h.waitLeave(3)
	if got := h.presenceUntilMarker(watcher, 1); len(got) != 0 {
		t.Fatalf("after unsubscribing got %v", got)
	}
	if o := h.hub.lookup(1); o != nil {
		o.mu.Lock()
		n := len(o.subs)
		o.mu.Unlock()
		if n != 0 {
			t.Errorf("%d users still in the subscription index", n)
		}
	}
}

// MaxPresenceSub ids are accepted; one more closes the stream with 4009
// (documented: not truncated).
func TestPresenceSubLimit(t *testing.T) {
	h := newHarness(t, Config{})
	c, _ := h.connect(1)
	ids := make([]int64, MaxPresenceSub+1)
	for i := range ids {
		ids[i] = int64(1000 + i)
	}
	if got, want := subscribe(t, c, ids[:MaxPresenceSub]...), fmt.Sprint(h.hub.Presence(1, ids[:MaxPresenceSub])); got != want {
		t.Fatalf("snapshot of %d users: got %.80s..., want %.80s...", MaxPresenceSub, got, want)
	}
	if err := c.SubscribePresence(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	expectClose(t, c, CloseProtocol)
	h.waitLeave(1)
	o := h.hub.lookup(1)
	if o == nil {
		return // the organisation's state was dropped with its last stream
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.subs) != 0 {
		t.Errorf("closed stream left %d users in the subscription index", len(o.subs))
	}
}

// Connecting n clients costs O(n) presence frames: each stream subscribes
// to k users, so a connect reaches at most k streams. Announcing every
// connect to every stream, as before, cost n(n-1)/2.
func TestPresenceFanoutIsLinear(t *testing.T) {
	const n, k = 100, 3
	h := newHarness(t, Config{})
	clients := make([]*Client, 0, n)
	for u := int64(1); u <= n; u++ {
		c, _ := h.connect(u)
		var next []int64
		for v := u + 1; v <= u+k; v++ {
			next = append(next, v)
		}
		subscribe(t, c, next...)
		clients = append(clients, c)
	}
	end := h.log.commit(event.Event{Org: 1, All: true, Type: "end"}, 0).Seq
	received := 0
	for _, c := range clients {
		for {
			f := mustNext(t, c, true)
			if f.Seq == end {
				break
			}
			if f.Type == "presence" {
				received++
			}
		}
	}
	want := k*n - k*(k+1)/2 // user u is watched by the k users before it
	if received != want {
		t.Errorf("clients received %d presence frames, want %d", received, want)
	}
	if got := h.hub.presenceFrames.Load(); got != int64(want) {
		t.Errorf("presenceFrames = %d, want %d", got, want)
	}
	t.Logf("%d connects: %d presence frames (to every stream: %d)", n, want, n*(n-1)/2)
}

// Typing reaches the other members of the channel only, including while
// many streams connect (typing is not buffered for streams catching up).
func TestTypingOnlyToChannelMembers(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(1, 1, 2)
	c1, _ := h.connect(1)
	c2, _ := h.connect(2)
	outsiders := make([]*Client, 0, 20)
	for u := int64(10); u < 30; u++ {
		c, _ := h.connect(u)
		outsiders = append(outsiders, c)
	}
	if err := c1.Send(context.Background(), map[string]any{"type": "typing", "channel_id": 1}); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c1)
	end := h.log.commit(event.Event{Org: 1, All: true, Type: "end"}, 0).Seq
	if f := mustNext(t, c2, false); f.Type != "typing" || f.UserID != 1 {
		t.Fatalf("member got %s, want typing", f.Raw)
	}
	for i, c := range append(outsiders, c1) {
		if f := mustNext(t, c, false); f.Seq != end {
			t.Errorf("stream %d got %s, want the end event", i, f.Raw)
		}
	}
}
