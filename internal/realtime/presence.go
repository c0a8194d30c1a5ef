package realtime

import (
	"context"
	"slices"
	"time"

	"github.com/parley-chat/parley/internal/event"
)

// Presence and typing are ephemeral: never stored, never replayed. This node
// decides when its own connections change a user's presence and publishes a
// report on the bus; every node (this one included) learns it back through
// Deliver and merges it into its roster of the cluster's presence (see
// roster), so a user connected to node A is online for a watcher on node B,
// and goes offline when their last connection on any node closes. Every
// PresenceBeat each node re-announces its connected users, and a report not
// renewed for PresenceTTL expires: a node that dies leaves nobody online
// for longer than that. A node that starts (or reconnects to the bus) asks
// the others to announce at once.
//
// Presence is delivered by subscription: a connection lists the users whose
// presence it shows (presence_sub) and gets their changes only, so one
// change costs O(subscribers of that user), never O(connections in the
// organisation). Announcing every change to every stream made N connects
// cost N²/2 frames.

// typePresenceBeat is the event type of a node's periodic announcement
// (never sent to clients).
const typePresenceBeat = "presence.beat"

// beatChunk bounds the users of one announcement event.
const beatChunk = 500

// syncPresence publishes user's presence when it differs from what this
// node last announced: online on the first connection, offline when the
// last one closes, or want (a status the client chose) while connected.
// pubMu makes decide-and-publish atomic per organisation, so concurrent
// connects and disconnects cannot publish out of order.
func (h *Hub) syncPresence(o *orgState, user int64, want string) {
	o.pubMu.Lock()
	o.mu.Lock()
	connected := o.count[user] > 0
	prev := o.announced[user]
	next := prev
	switch {
	case !connected:
		next = ""
	case want != "":
		next = want
	case prev == "":
		next = StatusOnline
	}
	if next == "" {
		delete(o.announced, user)
	} else {
		o.announced[user] = next
	}
	empty := o.emptyLocked()
	o.mu.Unlock()
	if next != prev {
		status := next
		if status == "" {
			status = StatusOffline
		}
		// Merged into every node's roster in Deliver, not sent as is.
		h.publish(event.Event{Org: o.id, Type: "presence", Frame: presenceReportJSON(user, status, h.cfg.Node)})
	}
	o.pubMu.Unlock()
	if empty {
		h.dropIfEmpty(o)
	}
}

// subscribePresence replaces c's presence subscription with users (sorted,
// unique, at most MaxPresenceSub) and queues one snapshot frame of their
// statuses. The swap and the snapshot happen under the organisation lock,
// as Deliver does, so no change is lost or sent before the snapshot. Users
// a guest may not see are offline in it, like unknown ids, and their
// changes are filtered at delivery (conn.sees; guest.go).
func (h *Hub) subscribePresence(c *conn, users []int64) {
	o := c.org
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setPresenceSub(c, users)
	status := make([]string, len(users))
	for i, u := range users {
		status[i] = StatusOffline
		if c.sees(u) {
			status[i] = h.roster.status(o.id, u)
		}
	}
	c.enqueue(textFrame(presenceSnapshotJSON(users, status)))
	h.presenceSnapshots.Add(1)
}

// setPresenceSub moves c's entries in the subscription index from its old
// list to users; o.mu is held. Cost: O(old + new), at most 2×MaxPresenceSub.
func (o *orgState) setPresenceSub(c *conn, users []int64) {
	for _, u := range c.presenceSub {
		if m := o.subs[u]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(o.subs, u)
			}
		}
	}
	for _, u := range users {
		m := o.subs[u]
		if m == nil {
			m = make(map[*conn]struct{})
			o.subs[u] = m
		}
		m[c] = struct{}{}
	}
	c.presenceSub = users
}

// sees reports whether c may see user's presence: members see everyone, a
// guest the members of its channels (guestView); o.mu is held.
func (c *conn) sees(user int64) bool {
	return !c.p.Guest || (c.guest != nil && c.guest.sees(user))
}

// subscribed reports whether c subscribed to user's presence; o.mu is held.
func (c *conn) subscribed(user int64) bool {
	_, ok := slices.BinarySearch(c.presenceSub, user)
	return ok
}

// routePresence sends a presence change to the connections subscribed to
// its subject that may see it; o.mu is held.
func (h *Hub) routePresence(o *orgState, d *delivery) {
	if d.wire == nil {
		return
	}
	n := 0
	for c := range o.subs[d.subject] {
		if c.sees(d.subject) {
			c.enqueue(d.wire)
			n++
		}
	}
	h.presenceFrames.Add(int64(n))
}

// typing publishes a typing notice when c's user is a member of channel.
func (h *Hub) typing(c *conn, channel int64) {
	o := c.org
	o.mu.Lock()
	_, member := c.chans[channel]
	o.mu.Unlock()
	if !member {
		return // not a member (or membership just changed): ignore
	}
	h.publish(event.Event{Org: c.p.Org, Channel: channel, Type: "typing", Frame: typingJSON(channel, c.p.User)})
}

func (h *Hub) publish(ev event.Event) {
	if h.pub == nil {
		return
	}
	// Not h.ctx: the offline notices of a shutdown must still go out.
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	defer cancel()
	if err := h.pub.Publish(ctx, ev); err != nil {
		h.log.Warn("realtime: publish ephemeral event", "type", ev.Type, "org", ev.Org, "err", err)
	}
}

// Presence returns the status of each user in the cluster: online, away,
// dnd or offline.
func (h *Hub) Presence(org int64, users []int64) map[int64]string {
	out := make(map[int64]string, len(users))
	for _, u := range users {
		out[u] = h.roster.status(org, u)
	}
	return out
}

// Online returns the users, among users, who are online or dnd: connected
// and not away (the audience of @here; dnd users still get the mention).
func (h *Hub) Online(org int64, users []int64) []int64 {
	var out []int64
	for _, u := range users {
		if s := h.roster.status(org, u); s == StatusOnline || s == StatusDND {
			out = append(out, u)
		}
	}
	return out
}

// presenceReport merges one node's report of a user into the roster and
// tells the subscribers when the user's status changed.
func (h *Hub) presenceReport(ev event.Event) {
	r, ok := parsePresenceReport(ev.Frame)
	if !ok {
		h.log.Warn("realtime: dropping a malformed presence report", "org", ev.Org)
		return
	}
	if status, changed := h.roster.set(ev.Org, r.UserID, r.Node, r.Status, time.Now()); changed {
		h.presenceChanged(ev.Org, r.UserID, status)
	}
}

// presenceBeat renews a node's reports. This node's own beat of org 0 is
// the clock that expires the others' stale reports; a beat asking for a
// sync makes this node announce its own at once.
func (h *Hub) presenceBeat(ev event.Event) {
	b, ok := parseBeat(ev.Frame)
	if !ok {
		h.log.Warn("realtime: dropping a malformed presence announcement", "org", ev.Org)
		return
	}
	now := time.Now()
	for u, st := range b.Users {
		if status, changed := h.roster.set(ev.Org, u, b.Node, st, now); changed {
			h.presenceChanged(ev.Org, u, status)
		}
	}
	if b.Node == h.cfg.Node {
		if ev.Org == 0 {
			for _, c := range h.roster.expire(now.Add(-h.cfg.PresenceTTL)) {
				h.presenceChanged(c.org, c.user, c.status)
			}
		}
		return
	}
	if b.Sync {
		h.RequestPresence(false)
	}
}

// presenceChanged sends user's new status to this node's subscribers.
func (h *Hub) presenceChanged(org, user int64, status string) {
	o := h.lookup(org)
	if o == nil {
		return
	}
	frame := presenceJSON(user, status)
	d := &delivery{ev: event.Event{Org: org, Type: "presence", Frame: frame}, wire: textFrame(frame),
		subject: user, status: status, ephemeral: true, presence: true}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.removed {
		h.routePresence(o, d)
	}
}

// RequestPresence makes this node announce its users' presence now; with
// sync it also asks every other node to (after a bus reconnection, when
// reports were missed both ways). It never blocks.
func (h *Hub) RequestPresence(sync bool) {
	select {
	case h.beatReq <- sync:
	default:
	}
}

// announce publishes this node's beat: one on org 0 (the clock of expiry,
// and the sync request), then its connected users per organisation.
func (h *Hub) announce(sync bool) {
	h.publish(event.Event{Type: typePresenceBeat, Frame: beatJSON(h.cfg.Node, sync, nil)})
	for _, o := range h.snapshot() {
		o.mu.Lock()
		users := make(map[int64]string, len(o.announced))
		for u, s := range o.announced {
			users[u] = s
		}
		o.mu.Unlock()
		for len(users) > 0 {
			chunk := make(map[int64]string, min(len(users), beatChunk))
			for u, s := range users {
				if len(chunk) == beatChunk {
					break
				}
				chunk[u] = s
				delete(users, u)
			}
			h.publish(event.Event{Org: o.id, Type: typePresenceBeat, Frame: beatJSON(h.cfg.Node, false, chunk)})
		}
	}
}
