package realtime

import (
	"slices"

	"github.com/parley-chat/parley/internal/event"
)

// A guest sees only the members of its channels (docs/directory.md), so a
// guest's stream carries presence and user.updated (event.Event.GuestPeers)
// of those people only. Each guest connection keeps that set itself: the
// member list of each of its channels, read from the Source when the stream
// opens (Source.ChannelMembers) and then kept current by the membership
// changes of those channels (Join and Leave of member.joined, member.left,
// channel.created), which the connection receives anyway, in the
// organisation's order, on whichever node it is. So the check is a map
// lookup under the organisation lock, it does not depend on where the
// subject is connected (it is the cluster's membership, not this node's
// connections), and it changes exactly when the guest's stream learns of
// the change. Members keep no view: they see the whole organisation.
//
// When the guest itself joins a channel, that channel's members are not in
// the event: they are read from the Source in the background, and the
// membership changes of that channel delivered meanwhile are replayed over
// the answer (each change sets or clears one membership, so replaying one
// the answer already holds changes nothing). See ADR 0017.

// guestView is what a guest connection may see; o.mu guards it (the
// connection's private copy while it catches up).
type guestView struct {
	self    int64
	members map[int64]map[int64]struct{} // channel → its members, for the guest's channels
	count   map[int64]int                // user → how many of the guest's channels they are in
	loading map[int64]*memberLoad        // channels whose members are being read
}

// memberLoad is one read of a channel's members in flight: the membership
// changes of that channel delivered since it was asked for.
type memberLoad struct {
	changes []membershipChange
}

type membershipChange struct{ join, leave []int64 }

func newGuestView(self int64, members map[int64][]int64) *guestView {
	v := &guestView{self: self, members: make(map[int64]map[int64]struct{}, len(members)),
		count: make(map[int64]int), loading: make(map[int64]*memberLoad)}
	for ch, us := range members {
		v.setChannel(ch, us, nil)
	}
	return v
}

// sees reports whether the guest may see user: itself, or a member of one
// of its channels.
func (v *guestView) sees(user int64) bool {
	return user == v.self || v.count[user] > 0
}

// visibility is told when a user becomes visible to the guest or stops
// being visible; nil while the stream catches up (it has no presence
// subscription yet).
type visibility func(user int64, visible bool)

func (v *guestView) add(ch, u int64, f visibility) {
	m := v.members[ch]
	if _, ok := m[u]; ok {
		return
	}
	m[u] = struct{}{}
	if v.count[u]++; v.count[u] == 1 && f != nil && u != v.self {
		f(u, true)
	}
}

func (v *guestView) remove(ch, u int64, f visibility) {
	m := v.members[ch]
	if _, ok := m[u]; !ok {
		return
	}
	delete(m, u)
	if v.count[u]--; v.count[u] <= 0 {
		delete(v.count, u)
		if f != nil && u != v.self {
			f(u, false)
		}
	}
}

// setChannel replaces channel ch's members with users.
func (v *guestView) setChannel(ch int64, users []int64, f visibility) {
	m := v.members[ch]
	if m == nil {
		m = make(map[int64]struct{}, len(users))
		v.members[ch] = m
	}
	keep := make(map[int64]struct{}, len(users))
	for _, u := range users {
		keep[u] = struct{}{}
	}
	for u := range m {
		if _, ok := keep[u]; !ok {
			v.remove(ch, u, f)
		}
	}
	for _, u := range users {
		v.add(ch, u, f)
	}
}

// dropChannel forgets ch: the guest left it.
func (v *guestView) dropChannel(ch int64, f visibility) {
	for u := range v.members[ch] {
		v.remove(ch, u, f)
	}
	delete(v.members, ch)
	delete(v.loading, ch)
}

// apply follows one event's membership changes: Join before Leave, as the
// routing does. When the guest itself joins a channel whose members it does
// not know, a read of them is started (recorded in loading; the caller
// starts it). It returns that read, if any.
func (v *guestView) apply(ev *event.Event, f visibility) *memberLoad {
	ch := ev.Channel
	if ch == 0 || len(ev.Join)+len(ev.Leave) == 0 {
		return nil
	}
	var started *memberLoad
	if v.members[ch] == nil {
		if !slices.Contains(ev.Join, v.self) {
			return nil // not one of the guest's channels
		}
		v.members[ch] = make(map[int64]struct{})
		started = &memberLoad{}
		v.loading[ch] = started
	}
	if l := v.loading[ch]; l != nil {
		l.changes = append(l.changes, membershipChange{join: ev.Join, leave: ev.Leave})
	}
	for _, u := range ev.Join {
		v.add(ch, u, f)
	}
	if slices.Contains(ev.Leave, v.self) {
		v.dropChannel(ch, f)
		return nil
	}
	for _, u := range ev.Leave {
		v.remove(ch, u, f)
	}
	return started
}

// loaded installs the members read for ch by l, then replays the changes
// delivered since it was asked for. It reports false when the read is
// stale: the guest left ch meanwhile, or left and joined again (a newer
// read is on its way).
func (v *guestView) loaded(ch int64, l *memberLoad, users []int64, f visibility) bool {
	if v.loading[ch] != l {
		return false
	}
	delete(v.loading, ch)
	v.setChannel(ch, users, f)
	for _, c := range l.changes {
		for _, u := range c.join {
			v.add(ch, u, f)
		}
		for _, u := range c.leave {
			v.remove(ch, u, f)
		}
	}
	return true
}

// hiddenFromGuest reports an event for everyone but guests that reaches p,
// a guest, only because it is addressed to everyone, unless it is about a
// member of the guest's channels (v) and meant for them too.
func hiddenFromGuest(ev *event.Event, p Principal, v *guestView) bool {
	if !p.Guest || !ev.All || !ev.NoGuests || ev.User == p.User {
		return false
	}
	return !(ev.GuestPeers && v != nil && v.sees(ev.User))
}

// guestMembership updates the views of the guest connections of ev's
// channel after its delivery (Join was applied before it, Leave is applied
// after): a subscriber of someone who became visible gets their status,
// of someone who stopped being visible an offline frame, so nothing stale
// stays on the guest's screen. It walks the organisation's live guest
// connections, not the channel's: nothing at all where no guest is
// connected, and few where some are. o.mu is held.
func (h *Hub) guestMembership(o *orgState, d *delivery) {
	ev := &d.ev
	for c := range o.guests {
		if _, in := c.chans[ev.Channel]; !in || (ev.Seq != 0 && ev.Seq <= c.after) {
			continue
		}
		if l := c.guest.apply(ev, h.guestSaw(o, c)); l != nil {
			h.loadMembers(c, ev.Channel, l)
		}
	}
}

// guestSaw returns the visibility callback of c: a presence frame for the
// users c subscribed to. o.mu is held when it is called.
func (h *Hub) guestSaw(o *orgState, c *conn) visibility {
	return func(u int64, visible bool) {
		if !c.subscribed(u) {
			return
		}
		status := StatusOffline
		if visible {
			status = h.roster.status(o.id, u)
		}
		c.enqueue(textFrame(presenceJSON(u, status)))
		h.presenceFrames.Add(1)
	}
}

// loadMembers reads channel ch's members for guest connection c in the
// background and installs them. The caller holds o.mu and c is routed, so
// its reader holds a count of the hub's WaitGroup: Add cannot race Wait at
// zero. When the read fails the stream is told to resume (CloseGoingAway):
// its catch-up reads the whole view again.
func (h *Hub) loadMembers(c *conn, ch int64, l *memberLoad) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		m, err := h.src.ChannelMembers(h.ctx, c.p.Org, c.p.User, ch)
		o := c.org
		o.mu.Lock()
		defer o.mu.Unlock()
		if err != nil {
			if c.guest.loading[ch] == l && !c.closing() {
				h.log.Warn("realtime: reading a guest's channel members", "org", c.p.Org, "user", c.p.User, "channel", ch, "err", err)
				c.closeWith(CloseGoingAway, nil)
			}
			return
		}
		c.guest.loaded(ch, l, m[ch], h.guestSaw(o, c))
	}()
}
