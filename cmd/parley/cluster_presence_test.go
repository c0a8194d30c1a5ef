package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
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
	late := newServer(t, t.TempDir(), "--database", c.database, "--nats", ns[0].url(),
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
