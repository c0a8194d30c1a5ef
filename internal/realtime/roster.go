package realtime

import (
	"sync"
	"time"
)

// roster is the cluster's presence: for each user, the status each node
// reports for its own connections of that user, and when it last said so.
// A user's status is the strongest any node reports (dnd over online over
// away), offline when none does. Nodes announce changes and re-announce
// everything every PresenceBeat; what a node stopped re-announcing (it died,
// or its bus is cut off) expires after PresenceTTL, so nobody stays online
// forever. This node's own reports never expire: it knows them first hand.
//
// Only the bus's delivery goroutine changes it (Hub.Deliver), so changes
// are routed to subscribers in the order they were made; readers (presence
// snapshots, Presence, Online) take its lock, after the organisation's.
type roster struct {
	self string // this node's id

	mu   sync.Mutex
	orgs map[int64]map[int64]map[string]sighting // org → user → node → report
}

type sighting struct {
	status string
	seen   time.Time
}

// presenceChange is a user's new status.
type presenceChange struct {
	org, user int64
	status    string
}

func newRoster(self string) *roster {
	return &roster{self: self, orgs: make(map[int64]map[int64]map[string]sighting)}
}

// rank orders statuses: the strongest report of any node wins.
func rank(status string) int {
	switch status {
	case StatusDND:
		return 3
	case StatusOnline:
		return 2
	case StatusAway:
		return 1
	}
	return 0
}

func strongest(nodes map[string]sighting) string {
	best := StatusOffline
	for _, s := range nodes {
		if rank(s.status) > rank(best) {
			best = s.status
		}
	}
	return best
}

// status returns user's status in the cluster.
func (r *roster) status(org, user int64) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strongest(r.orgs[org][user])
}

// set records node's report of user (offline removes it) at now and
// returns the user's new status when it changed.
func (r *roster) set(org, user int64, node, status string, now time.Time) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	users := r.orgs[org]
	before := strongest(users[user])
	if rank(status) == 0 {
		if users == nil || users[user] == nil {
			return before, false
		}
		delete(users[user], node)
		if len(users[user]) == 0 {
			delete(users, user)
			if len(users) == 0 {
				delete(r.orgs, org)
			}
		}
	} else {
		if users == nil {
			users = make(map[int64]map[string]sighting)
			r.orgs[org] = users
		}
		if users[user] == nil {
			users[user] = make(map[string]sighting)
		}
		users[user][node] = sighting{status: status, seen: now}
	}
	after := strongest(users[user])
	return after, after != before
}

// expire forgets the other nodes' reports not renewed since before and
// returns the users whose status changed.
func (r *roster) expire(before time.Time) []presenceChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []presenceChange
	for org, users := range r.orgs {
		for user, nodes := range users {
			was := strongest(nodes)
			for node, s := range nodes {
				if node != r.self && s.seen.Before(before) {
					delete(nodes, node)
				}
			}
			if now := strongest(nodes); now != was {
				out = append(out, presenceChange{org: org, user: user, status: now})
			}
			if len(nodes) == 0 {
				delete(users, user)
			}
		}
		if len(users) == 0 {
			delete(r.orgs, org)
		}
	}
	return out
}
