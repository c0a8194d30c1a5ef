package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// nextFrame returns the next frame, presence, typing and pong included,
// failing after 10 s.
func nextFrame(t *testing.T, s *realtime.Client) realtime.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	return f
}

// guestTrace reads s up to the org.updated carrying marker and describes
// what came: "presence:ID:status", "snapshot:map[...]", "typing:ID",
// "user.updated:ID", other events by type.
func guestTrace(t *testing.T, s *realtime.Client, marker string) []string {
	t.Helper()
	var out []string
	for {
		f := nextFrame(t, s)
		switch {
		case f.Type == "org.updated" && strings.Contains(string(f.Data), marker):
			return out
		case f.Type == "presence" && f.Users != nil:
			out = append(out, fmt.Sprintf("snapshot:%v", f.Users))
		case f.Type == "presence":
			out = append(out, fmt.Sprintf("presence:%d:%s", f.UserID, f.Status))
		case f.Type == "typing":
			out = append(out, fmt.Sprintf("typing:%d", f.UserID))
		case f.Type == "user.updated":
			var u struct {
				ID int64 `json:"id"`
			}
			if err := json.Unmarshal(f.Data, &u); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("user.updated:%d", u.ID))
		default:
			out = append(out, f.Type)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A guest sees the presence, typing and profile changes of the members of
// its channels and nothing of anyone else, over real WebSockets and REST;
// once removed from the channel it gets a last "offline" for the people it
// no longer shares a channel with, and nothing about them after.
func TestGuestSeesOnlyChannelPeers(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	guest, guestID := env.User("guest")
	peer, peerID := env.User("member")
	stranger, strangerID := env.User("member")
	member, _ := env.User("member")
	p := must(peer.CreateChannel(ctx, "with-guest", "private", []int64{guestID}))
	s := must(stranger.CreateChannel(ctx, "without-guest", "private", nil))

	gs, ms := dial(t, env, guest, -1), dial(t, env, member, -1)
	next(t, gs, "ready")
	next(t, ms, "ready")
	ps, ss := dial(t, env, peer, -1), dial(t, env, stranger, -1) // both online
	next(t, ps, "ready")
	next(t, ss, "ready")

	marker := 0
	mark := func() string {
		marker++
		name := fmt.Sprintf("Acme marker %d", marker)
		do(t, env.Owner, "PATCH", "/api/v1/org", map[string]any{"name": name}, nil)
		return name
	}
	// handled returns once the server handled what c sent before (the
	// ephemeral events it published are on the bus, before any later
	// commit).
	handled := func(c *realtime.Client) {
		if err := c.Send(ctx, map[string]string{"type": "ping"}); err != nil {
			t.Fatal(err)
		}
		for nextFrame(t, c).Type != "pong" {
		}
	}
	// The peer's and the stranger's "online" reached the hub.
	guestTrace(t, gs, mark())
	sub := func(c *realtime.Client) string {
		if err := c.SubscribePresence(ctx, []int64{peerID, strangerID}); err != nil {
			t.Fatal(err)
		}
		for {
			if f := nextFrame(t, c); f.Type == "presence" {
				return fmt.Sprint(f.Users)
			}
		}
	}
	if got, want := sub(gs), fmt.Sprint(map[int64]string{peerID: "online", strangerID: "offline"}); got != want {
		t.Errorf("guest snapshot %s, want %s (the stranger is online, but not for a guest)", got, want)
	}
	if got, want := sub(ms), fmt.Sprint(map[int64]string{peerID: "online", strangerID: "online"}); got != want {
		t.Errorf("member snapshot %s, want %s", got, want)
	}
	typing := func(c *realtime.Client, ch int64) {
		if err := c.Send(ctx, map[string]any{"type": "typing", "channel_id": ch}); err != nil {
			t.Fatal(err)
		}
		handled(c)
	}
	restPresence := func() map[string]string {
		var pl httpapi.PresenceList
		do(t, guest, "GET", fmt.Sprintf("/api/v1/presence?user_ids=%d,%d", peerID, strangerID), nil, &pl)
		return pl.Presence
	}

	typing(ps, p.ID)
	typing(ss, s.ID)
	do(t, peer, "PATCH", "/api/v1/users/me", map[string]any{"status_text": "peer busy"}, nil)
	do(t, stranger, "PATCH", "/api/v1/users/me", map[string]any{"status_text": "stranger busy"}, nil)
	m := mark()
	got := guestTrace(t, gs, m)
	for _, want := range []string{fmt.Sprintf("typing:%d", peerID), fmt.Sprintf("user.updated:%d", peerID)} {
		if !contains(got, want) {
			t.Errorf("guest did not get %s: %v", want, got)
		}
	}
	for _, bad := range []string{fmt.Sprintf("typing:%d", strangerID), fmt.Sprintf("user.updated:%d", strangerID)} {
		if contains(got, bad) {
			t.Errorf("guest got %s about a stranger: %v", bad, got)
		}
	}
	mg := guestTrace(t, ms, m)
	if !contains(mg, fmt.Sprintf("user.updated:%d", strangerID)) || !contains(mg, fmt.Sprintf("user.updated:%d", peerID)) {
		t.Errorf("member did not get both profile changes: %v", mg)
	}
	if rp := restPresence(); rp[fmt.Sprint(peerID)] != "online" || rp[fmt.Sprint(strangerID)] != "offline" {
		t.Errorf("GET /presence as the guest: %v, want the peer online and the stranger offline", rp)
	}

	// Removed from the channel: a last offline for the peer, then nothing.
	do(t, peer, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", p.ID, guestID), nil, nil)
	typing(ps, p.ID)
	do(t, peer, "PATCH", "/api/v1/users/me", map[string]any{"status_text": "after"}, nil)
	if err := ps.Send(ctx, map[string]string{"type": "presence", "status": "dnd"}); err != nil {
		t.Fatal(err)
	}
	handled(ps)
	got = guestTrace(t, gs, mark())
	want := []string{"member.left", fmt.Sprintf("presence:%d:offline", peerID)}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("guest after removal got %v, want %v", got, want)
	}
	if rp := restPresence(); rp[fmt.Sprint(peerID)] != "offline" {
		t.Errorf("GET /presence as the removed guest: %v, want the former peer offline", rp)
	}
}
