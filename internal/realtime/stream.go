package realtime

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/errs"
)

// ServeStream upgrades an authenticated request to the event stream and
// returns once the stream is live, leaving one reader goroutine behind (the
// net/http goroutine and its buffers are released). The query parameter
// since is the last seq the client received; without it the client gets
// events after hello.seq.
func (h *Hub) ServeStream(w http.ResponseWriter, r *http.Request, p Principal) {
	since, fresh := int64(0), true
	if s := r.URL.Query().Get("since"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			http.Error(w, "since must be a non-negative integer", http.StatusBadRequest)
			return
		}
		since, fresh = v, false
	}
	h.mu.RLock()
	closing := h.closing
	h.mu.RUnlock()
	if closing {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	nc, rw, _, err := h.upgrader.Upgrade(r, w)
	if err != nil {
		h.log.Debug("realtime: upgrade failed", "err", err)
		if nc != nil {
			nc.Close()
		}
		return
	}
	c := &conn{hub: h, p: p, nc: nc, rd: nc, writing: true} // the catch-up owns writes
	if n := rw.Reader.Buffered(); n > 0 {
		b, _ := rw.Reader.Peek(n)
		c.rd = &prefixReader{buf: bytes.Clone(b), r: nc}
	}
	if !h.register(c) {
		c.write(closeFrame(CloseGoingAway))
		nc.Close()
		return
	}
	h.syncPresence(c.org, p.User, "")
	h.catchUp(c, since, fresh)
	go c.readLoop() // takes over the count taken by register
}

// catchUp sends hello, the replay and ready, then switches c to live
// routing. Deliver puts every event of the organisation into c.pending from
// register on, so events committed during the replay are neither lost nor
// sent twice: the pending ones after the last replayed seq are routed here,
// in order, with Join/Leave applied, under the organisation lock.
func (h *Hub) catchUp(c *conn, since int64, fresh bool) {
	defer c.writeLoop() // sends ready and the pending events, or the close frame
	ctx := h.ctx
	p := c.p
	latest, err := h.src.LatestSeq(ctx, p.Org)
	if err != nil {
		h.sourceFailed(c, "latest seq", err)
		return
	}
	if c.write(helloFrame(latest, int(h.cfg.PingInterval.Seconds()), int(h.cfg.IdleTimeout.Seconds()))) != nil {
		c.fail()
		return
	}
	if fresh {
		since = latest
	}
	if since > latest {
		c.closeWith(CloseResync, wireResync) // a seq from the future: the log was reset
		return
	}
	chans, err := h.src.Channels(ctx, p.Org, p.User)
	if err != nil {
		h.sourceFailed(c, "channels", err)
		return
	}
	set := make(map[int64]struct{}, len(chans))
	for _, ch := range chans {
		set[ch] = struct{}{}
	}
	var view *guestView
	if p.Guest {
		// Read after register, like chans: the changes committed since are
		// in the replay or in c.pending, and replaying one the read already
		// holds changes nothing.
		members, err := h.src.ChannelMembers(ctx, p.Org, p.User, 0)
		if err != nil {
			h.sourceFailed(c, "channel members", err)
			return
		}
		view = newGuestView(p.User, members)
	}
	last := since
	// A fresh stream needs no replay: every event after latest was committed
	// after register, so Deliver put it in c.pending.
	for !fresh {
		if c.closing() {
			return
		}
		evs, err := h.src.EventsSince(ctx, p.Org, p.User, last, h.cfg.ReplayBatch)
		if err != nil {
			if errs.Is(err, errs.Conflict) && errs.CodeOf(err) == "resync_required" {
				c.closeWith(CloseResync, wireResync)
				return
			}
			h.sourceFailed(c, "events since", err)
			return
		}
		frames := make([][]byte, 0, len(evs))
		for i := range evs {
			ev := &evs[i]
			if ev.Seq <= last {
				continue // defensive: the Source must return Seq > after, ascending
			}
			applyJoin(set, ev, p.User)
			if len(ev.Frame) > 0 && !ev.Revoke && !hiddenFromGuest(ev, p, view) {
				frames = append(frames, textFrame(ev.Frame))
			}
			if view != nil {
				view.apply(ev, nil)
			}
			applyLeave(set, ev, p.User)
			last = ev.Seq
		}
		if len(frames) > 0 && c.write(frames...) != nil {
			c.fail()
			return
		}
		if len(evs) < h.cfg.ReplayBatch {
			break
		}
	}
	h.goLive(c, set, view, last)
}

// goLive routes c's pending events after last and switches it to the
// index, atomically with respect to Deliver. A guest's view follows the
// pending events too, then reads the members of the channels it joined
// meanwhile.
func (h *Hub) goLive(c *conn, set map[int64]struct{}, view *guestView, last int64) {
	o := c.org
	o.mu.Lock()
	defer o.mu.Unlock()
	c.chans = set
	c.guest = view
	q := [][]byte{wireReady}
	for _, d := range c.pending {
		ev := &d.ev
		if ev.Seq != 0 && ev.Seq <= last {
			continue // already replayed, or not visible at replay time
		}
		applyJoin(set, ev, c.p.User)
		if h.matches(d, c) {
			q = append(q, d.wire)
		}
		if view != nil {
			view.apply(ev, nil)
		}
		applyLeave(set, ev, c.p.User)
	}
	if view != nil {
		o.guests[c] = struct{}{}
		for ch, l := range view.loading {
			h.loadMembers(c, ch, l)
		}
	}
	c.pending = nil
	c.after = last
	delete(o.catching, c)
	o.live[c.p.User] = append(o.live[c.p.User], c)
	for ch := range set {
		m := o.index[ch]
		if m == nil {
			m = make(map[*conn]struct{})
			o.index[ch] = m
		}
		m[c] = struct{}{}
	}
	c.mu.Lock()
	if c.closeCode == 0 {
		c.q = q
	}
	c.mu.Unlock()
}

func (h *Hub) sourceFailed(c *conn, what string, err error) {
	if c.closing() {
		return // shutting down or revoked; the close is already decided
	}
	h.log.Error("realtime: catch-up failed", "step", what, "org", c.p.Org, "user", c.p.User, "err", err)
	c.closeWith(CloseInternal, nil)
}

var _ io.Reader = (*prefixReader)(nil)

// RejectStream upgrades the request only to close it at once with code
// (CloseUnauthenticated, typically): browsers cannot read the HTTP status of
// a failed WebSocket handshake, but they do see a close code.
func (h *Hub) RejectStream(w http.ResponseWriter, r *http.Request, code int) {
	nc, _, _, err := h.upgrader.Upgrade(r, w)
	if err != nil {
		if nc != nil {
			nc.Close()
		}
		return
	}
	c := &conn{hub: h, nc: nc}
	c.write(closeFrame(code))
	nc.Close()
}
