package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// catalogueEvents reads the event types of the catalogue in docs/realtime.md
// (the table whose header is "| `type` | Sent to | `data` |").
func catalogueEvents(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../docs/realtime.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tick := regexp.MustCompile("`([a-z_]+\\.[a-z_]+)`")
	var types []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "| `type` | Sent to |"):
			in = true
		case in && !strings.HasPrefix(line, "|"):
			in = false
		case in && !strings.HasPrefix(line, "|---"):
			first := strings.SplitN(strings.TrimPrefix(line, "|"), "|", 2)[0]
			for _, m := range tick.FindAllStringSubmatch(first, -1) {
				types = append(types, m[1])
			}
		}
	}
	if len(types) < 10 {
		t.Fatalf("found only %d event types in docs/realtime.md: is the table still there?", len(types))
	}
	return types
}

// channelOf returns the channel an event frame is about, or 0.
func channelOf(t *testing.T, f realtime.Frame) int64 {
	var d struct {
		ID        int64 `json:"id"`
		ChannelID int64 `json:"channel_id"`
	}
	if len(f.Data) > 0 {
		if err := json.Unmarshal(f.Data, &d); err != nil {
			t.Fatalf("event %s: %v", f.Raw, err)
		}
	}
	if strings.HasPrefix(f.Type, "channel.") {
		return d.ID
	}
	return d.ChannelID
}

// TestEventAuthorization runs a scenario that produces every event type of
// the catalogue while principals of every kind hold real WebSocket streams,
// and checks that nobody receives an event about a channel they cannot read:
// not before being invited, not after removal (right after: the next
// message), not as a guest about public channels, not across organisations;
// and the same again for streams resumed from the durable log.
func TestEventAuthorization(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	names := []string{"alice", "member2", "chadmin", "guestin", "nonmember", "guest", "deptin", "admin", "victim"}
	roles := map[string]string{"guestin": "guest", "guest": "guest", "admin": "admin"}
	clients := map[string]*apiclient.Client{}
	ids := map[string]int64{}
	for _, n := range names {
		role := roles[n]
		if role == "" {
			role = "member"
		}
		clients[n], ids[n] = env.User(role)
	}
	var dept httpapi.Department
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "events"}, &dept)
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/admins/%d", dept.ID, ids["deptin"]), map[string]any{}, nil)
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", dept.ID, ids["member2"]), map[string]any{}, nil)
	other := env.OtherOrg("Initech")
	clients["other"] = other
	names = append(names, "other")

	streams := map[string]*realtime.Client{}
	hello := map[string]int64{}
	for _, n := range names {
		s := dial(t, env, clients[n], -1)
		hello[n] = next(t, s, "hello").Seq
		next(t, s, "ready")
		streams[n] = s
	}

	alice := clients["alice"]
	// A private channel with member2, a channel admin and an invited guest.
	p := must(alice.CreateChannel(ctx, "private-p", "private", []int64{ids["member2"], ids["chadmin"], ids["guestin"]}))
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d/members/%d", p.ID, ids["chadmin"]), map[string]any{"role": "admin"}, nil)
	m1, _ := must2(alice.Post(ctx, p.ID, "e1", "hello @"+usernameOf(t, clients["member2"])))
	do(t, clients["member2"], "POST", fmt.Sprintf("/api/v1/channels/%d/messages", p.ID), map[string]any{"client_id": "e2", "text": "reply", "root_id": m1.ID}, nil)
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m1.ID), map[string]any{"text": "hello, edited"}, nil)
	do(t, clients["guestin"], "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%%F0%%9F%%91%%8D", m1.ID), nil, nil)
	do(t, clients["chadmin"], "POST", fmt.Sprintf("/api/v1/messages/%d/pin", m1.ID), map[string]any{}, nil)
	do(t, clients["member2"], "POST", fmt.Sprintf("/api/v1/channels/%d/read", p.ID), map[string]any{"seq": m1.Seq}, nil)
	do(t, clients["chadmin"], "PATCH", fmt.Sprintf("/api/v1/channels/%d", p.ID), map[string]any{"topic": "before"}, nil)
	m2, _ := must2(alice.Post(ctx, p.ID, "e3", "to recall"))
	do(t, alice, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", m2.ID), map[string]any{}, nil)
	m3, _ := must2(alice.Post(ctx, p.ID, "e4", "to delete"))
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/messages/%d", m3.ID), nil, nil)

	// Remove member2, and at once keep the channel busy.
	do(t, clients["chadmin"], "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", p.ID, ids["member2"]), nil, nil)
	m4, _ := must2(alice.Post(ctx, p.ID, "e5", "right after the removal"))
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m4.ID), map[string]any{"text": "edited after the removal"}, nil)
	do(t, clients["chadmin"], "PATCH", fmt.Sprintf("/api/v1/channels/%d", p.ID), map[string]any{"topic": "after"}, nil)
	do(t, clients["guestin"], "POST", fmt.Sprintf("/api/v1/channels/%d/read", p.ID), map[string]any{"seq": m4.Seq}, nil)

	// A public channel: readable by every member of the organisation, never
	// by guests.
	q := must(alice.CreateChannel(ctx, "public-q", "public", nil))
	must2(alice.Post(ctx, q.ID, "e6", "public news"))
	do(t, alice, "POST", fmt.Sprintf("/api/v1/channels/%d/archive", q.ID), map[string]any{}, nil)
	// A DM.
	dm := must(alice.OpenDM(ctx, []int64{ids["member2"]}))
	must2(alice.Post(ctx, dm.ID, "e7", "just us"))
	// Organisation-wide events, and a revoked session.
	do(t, alice, "PATCH", "/api/v1/users/me", map[string]any{"status_text": "busy"}, nil)
	do(t, env.Owner, "PATCH", "/api/v1/org/permissions", map[string]any{"see_phone": "admins"}, nil)
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", ids["victim"]), map[string]any{}, nil)
	// The markers: the last event each stream waits for.
	do(t, env.Owner, "PATCH", "/api/v1/org", map[string]any{"name": "Acme marker"}, nil)
	do(t, other, "PATCH", "/api/v1/org", map[string]any{"name": "Initech marker"}, nil)

	// Who may read what, and when: member2 reads p until their removal.
	readers := map[int64][]string{
		p.ID:  {"alice", "member2", "chadmin", "guestin"},
		q.ID:  {"alice", "member2", "chadmin", "nonmember", "deptin", "admin", "victim"},
		dm.ID: {"alice", "member2"},
	}
	// Whom each guest may see: itself and the members of its channels. A
	// guest gets user.updated about those people only (and must get
	// alice's change: she shares channel p with guestin).
	guestSees := map[string][]string{
		"guestin": {"guestin", "alice", "member2", "chadmin"},
		"guest":   {"guest"},
	}
	byID := map[int64]string{}
	for n, id := range ids {
		byID[id] = n
	}
	seen := map[string]bool{}
	check := func(who string, frames []realtime.Frame, replay bool) {
		t.Helper()
		removed := false
		gotAlice := false
		for _, f := range frames {
			seen[f.Type] = true
			if f.Type == "user.updated" {
				var u struct {
					ID int64 `json:"id"`
				}
				if err := json.Unmarshal(f.Data, &u); err != nil {
					t.Fatal(err)
				}
				if sees, guest := guestSees[who]; guest && !slices.Contains(sees, byID[u.ID]) {
					t.Errorf("guest %s (replay %v) received user.updated about %q, who shares no channel with it", who, replay, byID[u.ID])
				}
				gotAlice = gotAlice || byID[u.ID] == "alice"
			}
			ch := channelOf(t, f)
			if ch == 0 {
				continue
			}
			rs, known := readers[ch]
			if !known {
				t.Errorf("%s received %s about channel %d the scenario did not create", who, f.Type, ch)
				continue
			}
			if !slices.Contains(rs, who) || (who == "member2" && ch == p.ID && removed) {
				t.Errorf("%s (replay %v) received an event about channel %d it cannot read: %s", who, replay, ch, f.Raw)
			}
			if who == "member2" && ch == p.ID && f.Type == "member.left" {
				removed = true // this event reaches them, nothing after it
			}
		}
		if who == "guestin" && !gotAlice {
			t.Errorf("guestin (replay %v) did not receive user.updated about alice, who shares channel p with it", replay)
		}
	}
	collect := func(who string, s *realtime.Client, until func(realtime.Frame) bool) []realtime.Frame {
		t.Helper()
		var out []realtime.Frame
		for {
			f := nextAny(t, s)
			out = append(out, f)
			if until(f) {
				return out
			}
		}
	}
	marker := func(org string) func(realtime.Frame) bool {
		return func(f realtime.Frame) bool {
			return f.Type == "org.updated" && strings.Contains(string(f.Data), org+" marker")
		}
	}
	for _, n := range names {
		if n == "victim" {
			continue // closed with 4004 below
		}
		org := "Acme"
		if n == "other" {
			org = "Initech"
		}
		check(n, collect(n, streams[n], marker(org)), false)
	}
	// The deactivated user's stream ends with "revoked" and carried nothing
	// it may not read before that.
	var vf []realtime.Frame
	for {
		f, err := streams["victim"].Next(ctx)
		if err != nil {
			if code := closeCode(err); code != realtime.CloseRevoked {
				t.Fatalf("victim's stream ended with %v, want close %d", err, realtime.CloseRevoked)
			}
			seen["session.revoked"] = true // delivered as close code 4004
			break
		}
		vf = append(vf, f)
	}
	check("victim", vf, false)

	// Streams resumed from the durable log obey the same rules.
	for _, n := range []string{"member2", "nonmember", "guest", "guestin", "deptin", "admin"} {
		s := dial(t, env, clients[n], hello[n])
		next(t, s, "hello")
		check(n, collect(n, s, func(f realtime.Frame) bool { return f.Type == "ready" }), true)
	}

	// Every event type of the catalogue occurred, so the rules above were
	// exercised for each (a new type fails here until the scenario makes it).
	for _, typ := range catalogueEvents(t) {
		if !seen[typ] {
			t.Errorf("event type %s of docs/realtime.md never occurred in the scenario: extend it", typ)
		}
	}
}

func closeCode(err error) int {
	if ce, ok := err.(*realtime.CloseError); ok {
		return ce.Code
	}
	return 0
}
