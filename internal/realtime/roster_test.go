package realtime

import (
	"fmt"
	"testing"
	"time"
)

// A user's status is the strongest any node reports; they go offline when
// the last node reporting them says so, or when another node's reports stop
// being renewed (a dead node); this node's own reports never expire.
func TestRosterMergesNodesAndExpiresSilentOnes(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newRoster("self")
	step := func(status string, changed bool, want string, wantChanged bool) {
		t.Helper()
		if status != want || changed != wantChanged {
			t.Fatalf("got %s (changed %v), want %s (changed %v)", status, changed, want, wantChanged)
		}
	}
	s, c := r.set(1, 7, "a", StatusOnline, t0)
	step(s, c, StatusOnline, true)
	s, c = r.set(1, 7, "b", StatusAway, t0)
	step(s, c, StatusOnline, false) // online on a beats away on b
	s, c = r.set(1, 7, "a", StatusOffline, t0)
	step(s, c, StatusAway, true) // the last connection on a closed
	s, c = r.set(1, 7, "self", StatusDND, t0)
	step(s, c, StatusDND, true)
	if got := r.status(2, 7); got != StatusOffline {
		t.Fatalf("another organisation's user: %s", got)
	}
	r.set(1, 8, "b", StatusOnline, t0.Add(2*time.Second)) // b renewed user 8 later
	changes := r.expire(t0.Add(time.Second))              // b's report of 7 is stale
	if len(changes) != 0 || r.status(1, 7) != StatusDND {
		t.Fatalf("expiring b's report of 7 under self's dnd: %v, status %s", changes, r.status(1, 7))
	}
	r.set(1, 7, "self", StatusOffline, t0.Add(3*time.Second))
	if got := r.status(1, 7); got != StatusOffline {
		t.Fatalf("7 after every node let go: %s", got)
	}
	r.set(1, 9, "self", StatusOnline, t0)
	changes = r.expire(t0.Add(time.Hour)) // b died: 8 goes offline; self's 9 stays
	if got := fmt.Sprint(changes); got != "[{1 8 offline}]" || r.status(1, 9) != StatusOnline {
		t.Fatalf("after b went silent: changes %s, 9 is %s", got, r.status(1, 9))
	}
}
