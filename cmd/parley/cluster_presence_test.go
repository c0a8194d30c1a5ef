package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/realtime"
)

// stream is one user's WebSocket on one node, read by the test.
type stream struct {
	t    *testing.T
	name string
	c    *realtime.Client
	seen []string // presence of the watched users as received: "u1:online"
}

// dialStream opens a fresh stream (no replay) of user on node.
func (c *cluster) dialStream(t *testing.T, user, node int) *stream {
	t.Helper()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+c.users[user].api.Token)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := realtime.Dial(ctx, c.nodes[node].URL()+"/api/v1/stream", h, -1)
	if err != nil {
		t.Fatalf("dial %s on node %d: %v", c.users[user].name, node, err)
	}
	s := &stream{t: t, name: fmt.Sprintf("%s@node%d", c.users[user].name, node), c: cl}
	t.Cleanup(func() { cl.Close() })
	s.until("ready", func(f realtime.Frame) bool { return f.Type == "ready" })
	return s
}

// until reads frames until ok accepts one (or fails after 15s), recording
// presence changes on the way.
func (s *stream) until(what string, ok func(realtime.Frame) bool) realtime.Frame {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for {
		f, err := s.c.Next(ctx)
		if err != nil {
			s.t.Fatalf("%s: waiting for %s: %v (presence seen: %v)", s.name, what, err, s.seen)
		}
		if f.Type == "presence" && f.Users == nil {
			s.seen = append(s.seen, fmt.Sprintf("%d:%s", f.UserID, f.Status))
		}
		if ok(f) {
			return f
		}
	}
}

// status waits for a presence change of user to status.
func (s *stream) status(user int64, status string) {
	s.t.Helper()
	s.until(fmt.Sprintf("user %d %s", user, status), func(f realtime.Frame) bool {
		return f.Type == "presence" && f.Users == nil && f.UserID == user && f.Status == status
	})
}

// snapshot subscribes to users' presence and returns the snapshot.
func (s *stream) snapshot(users ...int64) map[int64]string {
	s.t.Helper()
	if err := s.c.SubscribePresence(context.Background(), users); err != nil {
		s.t.Fatal(err)
	}
	return s.until("a presence snapshot", func(f realtime.Frame) bool { return f.Type == "presence" && f.Users != nil }).Users
}

// Presence and typing cross nodes: a user connected to node 0 is online
// for a watcher on node 1, stays online while any node still has one of
// their connections, goes offline when the last one closes, and goes
// offline when the node holding them dies (after the TTL, not never); a
// node started later learns who is online; typing on one node shows on
// another.
func TestClusterPresenceAndTyping(t *testing.T) {
	ns := startNATS(t, 1)
	c := newCluster(t, []string{ns[0].url(), ns[0].url()}, "--presence-beat", "200ms", "--presence-ttl", "1s")
	u1, u2, u3 := c.users[1].id, c.users[2].id, c.users[3].id
	watcher := c.dialStream(t, 0, 1) // the owner, on node 1
	if got := watcher.snapshot(u1, u2, u3); got[u1] != "offline" || got[u2] != "offline" {
		t.Fatalf("snapshot before anyone connected: %v", got)
	}

	a := c.dialStream(t, 1, 0) // u1 on node 0
	watcher.status(u1, "online")
	b := c.dialStream(t, 1, 1) // and on node 1
	a.c.Close()
	// A barrier from node 0: u2's connection is announced after u1's
	// closed one (same node, same order on the bus).
	c.dialStream(t, 2, 0)
	watcher.status(u2, "online")
	for _, s := range watcher.seen {
		if s == strconv.FormatInt(u1, 10)+":offline" {
			t.Fatalf("u1 went offline while still connected to node 1: %v", watcher.seen)
		}
	}
	b.c.Close()
	watcher.status(u1, "offline") // the last connection anywhere closed

	// Typing on node 1 reaches a member of the channel on node 0.
	general := c.rooms[0].id
	typer := c.dialStream(t, 3, 1)
	reader := c.dialStream(t, 4, 0)
	if err := typer.c.Send(context.Background(), map[string]any{"type": "typing", "channel_id": general}); err != nil {
		t.Fatal(err)
	}
	reader.until("u3 typing", func(f realtime.Frame) bool {
		return f.Type == "typing" && f.UserID == u3 && f.ChannelID == general
	})

	// A node started now learns who is online elsewhere.
	late := newServer(t, t.TempDir(), "--database", c.database, "--nats", ns[0].url(), "--secret-key-file", c.keyFile,
		"--presence-beat", "200ms", "--presence-ttl", "1s")
	late.start()
	c.nodes = append(c.nodes, late)
	lw := c.dialStream(t, 0, 2)
	if !pollUntil(10*time.Second, func() bool { return lw.snapshot(u3)[u3] == "online" }) {
		t.Fatal("a node started later does not show u3 (connected to node 1) online")
	}

	// Node 0 dies with u2 connected: u2 goes offline after the TTL.
	killed := time.Now()
	c.nodes[0].kill()
	watcher.status(u2, "offline")
	t.Logf("u2 shown offline %s after its node was killed (TTL 1s, beat 200ms)", time.Since(killed).Round(10*time.Millisecond))
}

// A guest on node 1 sees only the members of its channels, whichever node
// they are on: the presence of a peer connected to node 0 but not of a
// stranger on node 0, the peer's profile change but not the stranger's; a
// channel the guest is added to on node 0 brings its members' statuses
// (read in the background on node 1); removed from the peer's channel, the
// guest gets a last offline for the peer and then neither their presence
// nor their typing.
func TestClusterGuestSeesOnlyChannelPeers(t *testing.T) {
	ns := startNATS(t, 1)
	c := newCluster(t, []string{ns[0].url(), ns[0].url()}, "--presence-beat", "200ms", "--presence-ttl", "2s")
	ctx := context.Background()
	if _, err := c.users[0].api.CreateUser(ctx, "guest@acme.test", "guest", userPassword, "guest"); err != nil {
		t.Fatal(err)
	}
	gapi, gu, err := c.client().Login(ctx, "guest", userPassword)
	if err != nil {
		t.Fatal(err)
	}
	c.users = append(c.users, &person{idx: len(c.users), id: gu.ID, name: "guest", api: gapi})
	g := len(c.users) - 1
	peer, stranger := c.users[1], c.users[2]
	a, err := peer.api.CreateChannel(ctx, "with-guest", "private", []int64{gu.ID})
	if err != nil {
		t.Fatal(err)
	}

	ps := c.dialStream(t, 1, 0) // the peer, on node 0
	ss := c.dialStream(t, 2, 0) // the stranger, on node 0
	owner := c.dialStream(t, 0, 1)
	if !pollUntil(10*time.Second, func() bool {
		got := owner.snapshot(peer.id, stranger.id)
		return got[peer.id] == "online" && got[stranger.id] == "online"
	}) {
		t.Fatal("node 1 does not show the peer and the stranger (on node 0) online")
	}
	gs := c.dialStream(t, g, 1) // the guest, on node 1
	if got := gs.snapshot(peer.id, stranger.id); got[peer.id] != "online" || got[stranger.id] != "offline" {
		t.Fatalf("guest snapshot %v: want the peer online and the stranger offline", got)
	}

	// Profile changes: durable events reach node 1 in commit order, so the
	// stranger's, committed first, would come before the peer's.
	for _, u := range []*person{stranger, peer} {
		if _, err := u.api.Do(ctx, "PATCH", "/api/v1/users/me", map[string]any{"status_text": "busy " + u.name}, nil); err != nil {
			t.Fatal(err)
		}
	}
	gs.until("the peer's user.updated", func(f realtime.Frame) bool {
		if f.Type != "user.updated" {
			return false
		}
		if !strings.Contains(string(f.Data), "busy "+peer.name) {
			t.Fatalf("guest received a user.updated that is not the peer's: %s", f.Raw)
		}
		return true
	})

	// The stranger (on node 0) adds the guest to a channel: node 1 reads
	// its members and the guest sees the stranger online.
	if _, err := stranger.api.CreateChannel(ctx, "now-shared", "private", []int64{gu.ID}); err != nil {
		t.Fatal(err)
	}
	gs.status(stranger.id, "online")

	// Removed from the peer's channel: member.left, then a last offline.
	if _, err := peer.api.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", a.ID, gu.ID), nil, nil); err != nil {
		t.Fatal(err)
	}
	left := false
	gs.until("the peer offline", func(f realtime.Frame) bool {
		if f.Type == "member.left" {
			left = true
		}
		return f.Type == "presence" && f.UserID == peer.id
	})
	if last := gs.seen[len(gs.seen)-1]; !left || last != fmt.Sprintf("%d:offline", peer.id) {
		t.Fatalf("guest removed from the peer's channel: member.left %v, then %s; want member.left then offline", left, last)
	}
	// Then the peer's dnd and typing, and after them (same node, same
	// order on the bus) the stranger's away: the guest gets only the last.
	handled := func(s *stream) {
		if err := s.c.Send(ctx, map[string]string{"type": "ping"}); err != nil {
			t.Fatal(err)
		}
		s.until("pong", func(f realtime.Frame) bool { return f.Type == "pong" })
	}
	for _, m := range []map[string]any{{"type": "presence", "status": "dnd"}, {"type": "typing", "channel_id": a.ID}} {
		if err := ps.c.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	handled(ps)
	if err := ss.c.Send(ctx, map[string]string{"type": "presence", "status": "away"}); err != nil {
		t.Fatal(err)
	}
	gs.until("the stranger away", func(f realtime.Frame) bool {
		if (f.Type == "presence" && f.UserID == peer.id) || f.Type == "typing" {
			t.Fatalf("guest got %s about its former peer", f.Raw)
		}
		return f.Type == "presence" && f.UserID == stranger.id && f.Status == "away"
	})
}
