package realtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// trace commits a marker addressed to user and returns what c receives
// before it: presence changes as "user:status", snapshots printed, events
// as "type" or, for user.updated, "user.updated:subject".
func (h *harness) trace(c *Client, user int64) []string {
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
		case f.Type == "user.updated":
			got = append(got, fmt.Sprintf("user.updated:%d", h.subjects[f.Seq]))
		default:
			got = append(got, f.Type)
		}
	}
}

// userUpdated commits a profile change of user as account emits it.
func (h *harness) userUpdated(user int64) {
	seq := h.log.commit(event.Event{Org: 1, All: true, NoGuests: true, GuestPeers: true, User: user, Type: "user.updated"}, 0).Seq
	h.subjects[seq] = user
}

// waitPresence reads c until it has seen every change of want ("user:status"),
// in any order, and fails on a presence change it did not expect.
func waitPresence(t *testing.T, c *Client, want ...string) {
	t.Helper()
	for len(want) > 0 {
		f := mustNext(t, c, true)
		if f.Type != "presence" || f.Users != nil {
			continue
		}
		s := fmt.Sprintf("%d:%s", f.UserID, f.Status)
		i := slices.Index(want, s)
		if i < 0 {
			t.Fatalf("got presence %s, still waiting for %v", s, want)
		}
		want = slices.Delete(want, i, i+1)
	}
}

// setStatusPast sets c's status and waits for the server to handle it,
// skipping the events c receives meanwhile.
func setStatusPast(t *testing.T, c *Client, status string) {
	t.Helper()
	ctx := context.Background()
	if err := c.Send(ctx, map[string]string{"type": "presence", "status": status}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	for mustNext(t, c, false).Type != "pong" {
	}
}

// A guest sees the presence of the members of its channels only, and that
// set follows membership: someone who joins the guest's channel appears with
// their status at once, someone who leaves it (or whose channel the guest
// leaves) gets a last "offline" frame, so no stale "online" stays on the
// guest's screen, and nothing after it; a channel the guest joins brings its
// members' statuses. A member sees everyone throughout.
func TestGuestPresenceFollowsChannels(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(1, 9, 2)    // the guest's channel, with member 2
	h.log.join(2, 1, 2, 3) // a channel of members only
	guest, _ := h.connectAs("1:9:guest")
	member, _ := h.connect(1)
	if got := subscribe(t, guest, 2, 3); got != "map[2:offline 3:offline]" {
		t.Fatalf("guest snapshot %v", got)
	}
	subscribe(t, member, 2, 3)
	c2, _ := h.connect(2)
	c3, _ := h.connect(3)
	if got := h.trace(guest, 9); !slices.Equal(got, []string{"2:online"}) {
		t.Fatalf("guest got %v, want only 2 online (3 is a stranger)", got)
	}
	if got := h.trace(member, 1); !slices.Equal(got, []string{"2:online", "3:online"}) {
		t.Fatalf("member got %v", got)
	}
	if got := subscribe(t, guest, 2, 3); got != "map[2:online 3:offline]" {
		t.Fatalf("guest snapshot with a stranger online: %v, want the stranger offline", got)
	}

	h.log.commit(event.Event{Org: 1, Channel: 1, Type: "member.joined", Join: []int64{3}}, 0)
	if got := h.trace(guest, 9); !slices.Equal(got, []string{"member.joined", "3:online"}) {
		t.Fatalf("3 joined the guest's channel: guest got %v", got)
	}
	h.log.commit(event.Event{Org: 1, Channel: 1, User: 2, Type: "member.left", Leave: []int64{2}}, 0)
	setStatusPast(t, c2, StatusAway)
	if got := h.trace(guest, 9); !slices.Equal(got, []string{"member.left", "2:offline"}) {
		t.Fatalf("2 left the guest's channel: guest got %v, want a last offline and nothing after", got)
	}
	h.log.commit(event.Event{Org: 1, Channel: 1, User: 9, Type: "member.left", Leave: []int64{9}}, 0)
	setStatusPast(t, c3, StatusDND)
	if got := h.trace(guest, 9); !slices.Equal(got, []string{"member.left", "3:offline"}) {
		t.Fatalf("the guest was removed: guest got %v", got)
	}
	if got := h.trace(member, 1); !slices.Equal(got, []string{"2:away", "3:dnd"}) {
		t.Fatalf("member got %v", got)
	}

	// Added to channel 2: its members are read from the source, in the
	// background, and their statuses follow.
	h.log.commit(event.Event{Org: 1, Channel: 2, User: 9, Type: "member.joined", Join: []int64{9}}, 0)
	waitPresence(t, guest, "2:away", "3:dnd")
	if got := subscribe(t, guest, 1, 2, 3); got != "map[1:online 2:away 3:dnd]" {
		t.Fatalf("guest snapshot after joining channel 2: %v", got)
	}
	// A peer going offline is shown offline: visibility does not depend on
	// the peer's connections (the naive rule that did lost this change).
	c3.Close()
	h.waitLeave(3)
	if got := h.trace(guest, 9); !slices.Equal(got, []string{"3:offline"}) {
		t.Fatalf("peer disconnected: guest got %v, want 3 offline", got)
	}
}

// A guest receives user.updated about itself and the members of its
// channels, live and on resume, never about strangers, and nothing about a
// former peer once they no longer share a channel; events for everyone but
// guests that are not about a person (a public channel's news) stay away.
func TestGuestUserUpdatedOfChannelPeers(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(1, 9, 2)
	guest, hello := h.connectAs("1:9:guest")
	member, _ := h.connect(1)
	h.userUpdated(2)
	h.userUpdated(3)
	h.userUpdated(9)
	h.log.commit(event.Event{Org: 1, All: true, NoGuests: true, Type: "channel.created"}, 0)
	h.log.commit(event.Event{Org: 1, Channel: 1, Type: "member.joined", Join: []int64{3}}, 0)
	h.userUpdated(3)
	want := []string{"user.updated:2", "user.updated:9", "member.joined", "user.updated:3"}
	if got := h.trace(guest, 9); !slices.Equal(got, want) {
		t.Fatalf("guest got %v, want %v", got, want)
	}
	if got := h.trace(member, 1); !slices.Equal(got, []string{"user.updated:2", "user.updated:3", "user.updated:9", "channel.created", "user.updated:3"}) {
		t.Fatalf("member got %v", got)
	}
	// On resume the view is read again, then follows the replay.
	resumed := h.dialAs("1:9:guest", hello)
	var replay []string
	for f := mustNext(t, resumed, false); f.Type != "ready"; f = mustNext(t, resumed, false) {
		if f.Type == "user.updated" {
			replay = append(replay, fmt.Sprintf("user.updated:%d", h.subjects[f.Seq]))
		}
	}
	// Like channel events, the replay follows membership at read time: 3
	// is a peer now, so their earlier change comes too.
	if want := []string{"user.updated:2", "user.updated:3", "user.updated:9", "user.updated:3"}; !slices.Equal(replay, want) {
		t.Fatalf("resumed guest got %v, want %v", replay, want)
	}
	resumed.Close()

	h.log.commit(event.Event{Org: 1, Channel: 1, User: 9, Type: "member.left", Leave: []int64{9}}, 0)
	h.userUpdated(2)
	h.userUpdated(3)
	if got := h.trace(guest, 9); !slices.Equal(got, []string{"member.left"}) {
		t.Fatalf("removed guest got %v, want nothing about its former peers", got)
	}
}

// When the members of a channel the guest joined cannot be read, the
// stream is told to resume (its catch-up reads them again) rather than
// showing nobody or everybody.
func TestGuestMemberReadFailureResumes(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(2, 1, 2)
	read := h.src.members
	h.src.members = func(ctx context.Context, org, user, channel int64) (map[int64][]int64, error) {
		if channel == 0 {
			return read(ctx, org, user, channel) // the catch-up's read works
		}
		return nil, errs.New("test", errs.Unavailable, "")
	}
	guest, _ := h.connectAs("1:9:guest")
	h.log.commit(event.Event{Org: 1, Channel: 2, User: 9, Type: "member.joined", Join: []int64{9}}, 0)
	expectClose(t, guest, CloseGoingAway)
}

// A guest added to a channel while its stream catches up (after its view
// was read) still gets that channel's members: the join is applied from the
// catch-up buffer and their members are read once the stream is live.
func TestGuestJoinedWhileCatchingUp(t *testing.T) {
	h := newHarness(t, Config{})
	h.log.join(2, 1, 2)
	h.connect(2)
	read := h.src.members
	var once sync.Once
	h.src.members = func(ctx context.Context, org, user, channel int64) (map[int64][]int64, error) {
		m, err := read(ctx, org, user, channel)
		if channel == 0 {
			once.Do(func() { // committed just after the view was read, delivered before the stream is live
				seq := h.log.commit(event.Event{Org: 1, Channel: 2, User: 9, Type: "member.joined", Join: []int64{9}}, 0).Seq
				h.log.waitDelivered(1, seq)
			})
		}
		return m, err
	}
	guest, _ := h.connectAs("1:9:guest")
	if f := mustNext(t, guest, false); f.Type != "member.joined" {
		t.Fatalf("got %s, want the guest's member.joined", f.Raw)
	}
	switch got := subscribe(t, guest, 2); got {
	case "map[2:online]": // the members were read before the subscription arrived
	case "map[2:offline]":
		waitPresence(t, guest, "2:online")
	default:
		t.Fatalf("guest snapshot %v", got)
	}
}
