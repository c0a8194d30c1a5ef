package realtime

import (
	"context"
	"slices"

	"github.com/parley-chat/parley/internal/event"
)

// Presence and typing are ephemeral: never stored, never replayed. This node
// decides when to announce a change and publishes it on the bus; every node
// (this one included) learns it back through Deliver, so a cluster only
// needs a bus that carries Seq 0 events.
//
// Presence is delivered by subscription: a connection lists the users whose
// presence it shows (presence_sub) and gets their changes only, so one
// change costs O(subscribers of that user), never O(connections in the
// organisation). Announcing every change to every stream made N connects
// cost N²/2 frames.

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
		delete(o.presence, user)
	} else {
		o.announced[user] = next
		o.presence[user] = next
	}
	empty := o.emptyLocked()
	o.mu.Unlock()
	if next != prev {
		status := next
		if status == "" {
			status = StatusOffline
		}
		// Routed by subscription in Deliver, not by an audience field.
		h.publish(event.Event{Org: o.id, Type: "presence", Frame: presenceJSON(user, status)})
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
// c may not see (PresenceVisible) are left out of the snapshot and their
// changes are filtered at delivery, where the hook is authoritative.
func (h *Hub) subscribePresence(c *conn, users []int64) {
	o := c.org
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setPresenceSub(c, users)
	shown := make([]int64, 0, len(users))
	status := make([]string, 0, len(users))
	for _, u := range users {
		if h.cfg.PresenceVisible != nil && !h.cfg.PresenceVisible(c.p, u) {
			continue
		}
		s, ok := o.presence[u]
		if !ok {
			s = StatusOffline
		}
		shown, status = append(shown, u), append(status, s)
	}
	c.enqueue(textFrame(presenceSnapshotJSON(shown, status)))
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
		if h.presenceVisible(d, c) {
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

// Presence returns the status of each user as known on this node: online,
// away, dnd or offline.
func (h *Hub) Presence(org int64, users []int64) map[int64]string {
	out := make(map[int64]string, len(users))
	o := h.lookup(org)
	if o != nil {
		o.mu.Lock()
		defer o.mu.Unlock()
	}
	for _, u := range users {
		s := StatusOffline
		if o != nil {
			if v, ok := o.presence[u]; ok {
				s = v
			}
		}
		out[u] = s
	}
	return out
}

// Online returns the users, among users, who are online or dnd: connected
// and not away (the audience of @here; dnd users still get the mention).
func (h *Hub) Online(org int64, users []int64) []int64 {
	o := h.lookup(org)
	if o == nil {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []int64
	for _, u := range users {
		if s, ok := o.presence[u]; ok && s != StatusAway {
			out = append(out, u)
		}
	}
	return out
}
