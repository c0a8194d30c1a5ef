// Package realtime owns the per-user event stream: one WebSocket per client
// at /api/v1/stream, carrying already authorised events with per-organisation
// sequence numbers, with replay on reconnect (every later event, in order,
// exactly once), fan-out, presence and typing. It never imports domain
// packages: events arrive serialised, and the durable log is behind Source.
package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/event"
)

// Principal is the authenticated owner of a stream.
type Principal struct {
	Org, User int64
	Guest     bool
	// Session is the login the stream was opened with, so that revoking one
	// session closes its streams and not the user's others.
	Session int64
}

// Source is the durable side of the stream, implemented by the store adapter.
type Source interface {
	// Channels returns the ids of the channels the user is a member of now.
	// Errors: Unavailable, Internal.
	Channels(ctx context.Context, org, user int64) ([]int64, error)
	// ChannelMembers returns, by channel, the members of the channels user
	// is a member of now (only of channel, when it is not 0): the people a
	// guest may see. Errors: Unavailable, Internal.
	ChannelMembers(ctx context.Context, org, user, channel int64) (map[int64][]int64, error)
	// EventsSince returns up to limit events with Seq > after that the user may
	// see (addressed by Channel membership at read time, User, or All), in Seq
	// order. Errors: Conflict "resync_required" when after is older than the
	// replay window; Unavailable, Internal.
	EventsSince(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error)
	// LatestSeq returns the organisation's latest committed event sequence.
	// Errors: Unavailable, Internal.
	LatestSeq(ctx context.Context, org int64) (int64, error)
}

// Publisher puts ephemeral events (typing, presence) on the event bus; they
// come back to every node through Hub.Deliver.
type Publisher interface {
	Publish(ctx context.Context, ev event.Event) error
}

// Config tunes the hub; zero fields take the defaults in NewHub.
type Config struct {
	QueueSize     int           // frames queued per connection before it is closed with 4008; default 1024
	PingInterval  time.Duration // server ping period; default 25s
	IdleTimeout   time.Duration // close a connection silent for this long; default 60s
	WriteTimeout  time.Duration // bound on one write to a socket; default 10s
	ReplayBatch   int           // events per Source.EventsSince call; default 500
	CatchUpBuffer int           // live events buffered per connection during replay; default 8192

	// Node names this node in presence reports; default: random. A node
	// that restarts is a new node (its old reports expire).
	Node string
	// PresenceBeat is how often this node re-announces the presence of its
	// connected users to the cluster; default 10s. PresenceTTL is how long
	// another node's report lasts without being re-announced (a dead
	// node's users go offline after it); default 3×PresenceBeat.
	PresenceBeat, PresenceTTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.PingInterval <= 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 60 * time.Second
	}
	if c.IdleTimeout < c.PingInterval {
		c.IdleTimeout = 2 * c.PingInterval
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ReplayBatch <= 0 {
		c.ReplayBatch = 500
	}
	if c.CatchUpBuffer <= 0 {
		c.CatchUpBuffer = 8192
	}
	if c.Node == "" {
		var b [6]byte
		rand.Read(b[:])
		c.Node = hex.EncodeToString(b[:])
	}
	if c.PresenceBeat <= 0 {
		c.PresenceBeat = 10 * time.Second
	}
	if c.PresenceTTL <= c.PresenceBeat {
		c.PresenceTTL = 3 * c.PresenceBeat
	}
	return c
}

// Hub holds every stream of this node and routes delivered events to them.
type Hub struct {
	cfg      Config
	src      Source
	pub      Publisher
	log      *slog.Logger
	upgrader ws.HTTPUpgrader

	ctx    context.Context // bounds Source and Publisher calls; canceled by Shutdown
	cancel context.CancelFunc

	mu      sync.RWMutex
	orgs    map[int64]*orgState
	closing bool

	roster  *roster   // the cluster's presence
	beatReq chan bool // ask Run to announce this node's presence now (true: and ask the others to)

	wg    sync.WaitGroup // readers, writers and catching-up handlers
	count atomic.Int64

	// Presence frames enqueued: changes and presence_sub snapshots. Read by
	// tests to check that fan-out follows subscriptions.
	presenceFrames, presenceSnapshots atomic.Int64

	onClose func(p Principal, code int) // test hook: a close code was chosen
	onLeave func(p Principal)           // test hook: a conn left routing and presence
}

// NewHub returns a hub reading history from src and publishing ephemeral
// events to pub.
func NewHub(cfg Config, src Source, pub Publisher, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{
		cfg: cfg, src: src, pub: pub, log: log,
		upgrader: ws.HTTPUpgrader{Timeout: cfg.WriteTimeout},
		ctx:      ctx, cancel: cancel,
		orgs:   make(map[int64]*orgState),
		roster: newRoster(cfg.Node), beatReq: make(chan bool, 4),
	}
}

// orgState is one organisation's routing state. Its mutex is the shard lock:
// deliveries of one organisation are serialised (which keeps their order),
// organisations do not contend.
type orgState struct {
	id int64

	mu        sync.Mutex
	live      map[int64][]*conn            // user → connections routed by the index
	catching  map[*conn]struct{}           // connections replaying history
	index     map[int64]map[*conn]struct{} // channel → live member connections
	subs      map[int64]map[*conn]struct{} // user → live connections subscribed to their presence
	guests    map[*conn]struct{}           // live connections of guests (their views follow membership; guest.go)
	count     map[int64]int                // user → connections (both states)
	announced map[int64]string             // user → last status this node published
	removed   bool                         // dropped from Hub.orgs; re-lookup

	pubMu sync.Mutex // orders this node's presence publications
}

func newOrgState(id int64) *orgState {
	return &orgState{
		id: id, live: make(map[int64][]*conn), catching: make(map[*conn]struct{}),
		index: make(map[int64]map[*conn]struct{}), subs: make(map[int64]map[*conn]struct{}),
		guests: make(map[*conn]struct{}),
		count:  make(map[int64]int), announced: make(map[int64]string),
	}
}

func (o *orgState) emptyLocked() bool {
	return len(o.count) == 0 && len(o.announced) == 0
}

func (h *Hub) lookup(org int64) *orgState {
	h.mu.RLock()
	o := h.orgs[org]
	h.mu.RUnlock()
	return o
}

// register adds c in the catching-up state. It fails when shutting down.
// It costs O(1) and takes the hub's lock for writing only to create the
// organisation's state, so connects of one organisation do not stall the
// lookups of every other behind that organisation's fan-out.
func (h *Hub) register(c *conn) bool {
	for {
		h.mu.RLock()
		if h.closing {
			h.mu.RUnlock()
			return false
		}
		o := h.orgs[c.p.Org]
		if o == nil {
			h.mu.RUnlock()
			h.mu.Lock()
			if h.orgs[c.p.Org] == nil && !h.closing {
				h.orgs[c.p.Org] = newOrgState(c.p.Org)
			}
			h.mu.Unlock()
			continue
		}
		// h.mu stays held (shared) until wg.Add: Shutdown sets closing under
		// the write lock, so either it sees this conn or this conn sees
		// closing; and dropIfEmpty cannot remove o meanwhile.
		o.mu.Lock()
		o.catching[c] = struct{}{}
		o.count[c.p.User]++
		o.mu.Unlock()
		c.org = o
		h.wg.Add(1) // released by the reader, or by ServeStream if it starts none
		h.count.Add(1)
		h.mu.RUnlock()
		return true
	}
}

// unregister removes c from routing and drops the organisation when empty.
func (h *Hub) unregister(c *conn) {
	o := c.org
	o.mu.Lock()
	if _, ok := o.catching[c]; ok {
		delete(o.catching, c)
		c.pending = nil
	} else {
		cs := o.live[c.p.User]
		for i, x := range cs {
			if x == c {
				cs[i] = cs[len(cs)-1]
				cs[len(cs)-1] = nil
				cs = cs[:len(cs)-1]
				break
			}
		}
		if len(cs) == 0 {
			delete(o.live, c.p.User)
		} else {
			o.live[c.p.User] = cs
		}
		for ch := range c.chans {
			o.unindex(c, ch)
		}
		o.setPresenceSub(c, nil)
		delete(o.guests, c)
	}
	if o.count[c.p.User]--; o.count[c.p.User] <= 0 {
		delete(o.count, c.p.User)
	}
	o.mu.Unlock()
	h.count.Add(-1)
	h.syncPresence(o, c.p.User, "")
}

// dropIfEmpty removes an organisation with no connections and no announced
// presence from the map.
func (h *Hub) dropIfEmpty(o *orgState) {
	h.mu.Lock()
	o.mu.Lock()
	if o.emptyLocked() && !o.removed && h.orgs[o.id] == o {
		delete(h.orgs, o.id)
		o.removed = true
	}
	o.mu.Unlock()
	h.mu.Unlock()
}

func (o *orgState) indexAdd(c *conn, ch int64) {
	if _, ok := c.chans[ch]; ok {
		return
	}
	if c.chans == nil {
		c.chans = make(map[int64]struct{})
	}
	c.chans[ch] = struct{}{}
	m := o.index[ch]
	if m == nil {
		m = make(map[*conn]struct{})
		o.index[ch] = m
	}
	m[c] = struct{}{}
}

func (o *orgState) indexRemove(c *conn, ch int64) {
	if _, ok := c.chans[ch]; !ok {
		return
	}
	delete(c.chans, ch)
	o.unindex(c, ch)
}

func (o *orgState) unindex(c *conn, ch int64) {
	if m := o.index[ch]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(o.index, ch)
		}
	}
}

// delivery is one event prepared for fan-out: serialised once, shared by all
// recipients and by the catch-up buffers.
type delivery struct {
	ev      event.Event
	wire    []byte // the WebSocket frame, header included
	subject int64  // typing: the sender (excluded); presence: whose status
	status  string // presence status

	// ephemeral: typing or presence (Seq 0); not buffered during catch-up.
	// presence: routed to the subscribers of subject only.
	ephemeral, presence bool
}

func (h *Hub) prepare(ev event.Event) *delivery {
	d := &delivery{ev: ev}
	if len(ev.Frame) > 0 && !ev.Revoke {
		d.wire = textFrame(ev.Frame)
	}
	if ev.Seq == 0 && !ev.Revoke && (ev.Type == "typing" || ev.Type == "presence") {
		d.subject, d.status = ephemeralMeta(ev.Frame)
		d.ephemeral = true
		d.presence = ev.Type == "presence" && d.subject != 0
	}
	return d
}

// matches reports whether c, with its current channel set, receives d. It
// is the reference for the indexed routing in route.
func (h *Hub) matches(d *delivery, c *conn) bool {
	ev := &d.ev
	if d.wire == nil {
		return false
	}
	if ev.Type == "typing" && ev.Seq == 0 && c.p.User == d.subject {
		return false
	}
	if d.presence {
		return c.subscribed(d.subject) && c.sees(d.subject)
	}
	if ev.All && !hiddenFromGuest(ev, c.p, c.guest) {
		return true
	}
	if ev.Channel != 0 {
		if _, ok := c.chans[ev.Channel]; ok {
			return true
		}
	}
	if ev.User != 0 && ev.User == c.p.User {
		return true
	}
	for _, u := range ev.Users {
		if u == c.p.User {
			return true
		}
	}
	return false
}

// applyJoin and applyLeave update a catching-up connection's private set.
func applyJoin(set map[int64]struct{}, ev *event.Event, user int64) {
	if ev.Channel == 0 {
		return
	}
	for _, u := range ev.Join {
		if u == user {
			set[ev.Channel] = struct{}{}
		}
	}
}

func applyLeave(set map[int64]struct{}, ev *event.Event, user int64) {
	if ev.Channel == 0 {
		return
	}
	for _, u := range ev.Leave {
		if u == user {
			delete(set, ev.Channel)
		}
	}
}

// Deliver routes one event to this node's streams. The bus subscriber calls
// it in Seq order per organisation; it never blocks on a socket.
func (h *Hub) Deliver(ev event.Event) {
	if ev.Seq == 0 && !ev.Revoke {
		switch ev.Type {
		case "presence":
			h.presenceReport(ev)
			return
		case typePresenceBeat:
			h.presenceBeat(ev)
			return
		}
	}
	o := h.lookup(ev.Org)
	if o == nil {
		return // nobody of this organisation is connected here
	}
	d := h.prepare(ev)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.removed {
		return
	}
	if d.ephemeral {
		// Typing is not buffered for connections still replaying: it is
		// stale by the time they go live, and a burst of connects must not
		// cost O(connecting streams) per typing notice.
		h.route(o, d)
		return
	}
	var rsess, rkeep int64
	if ev.Revoke {
		rsess, rkeep = revocation(ev.Frame)
	}
	for c := range o.catching {
		switch {
		case ev.Revoke && ev.User == c.p.User && revokes(rsess, rkeep, c.p.Session):
			c.closeWith(CloseRevoked, nil)
		case len(c.pending) >= h.cfg.CatchUpBuffer:
			c.closeWith(CloseSlowConsumer, nil)
		default:
			c.pending = append(c.pending, d)
		}
	}
	h.route(o, d)
}

// route fans d out to live connections: Join applied before, Leave after.
// A durable event at or below a connection's after seq reached the bus
// subscriber late (it was committed before the connection's replay read)
// and is skipped entirely, membership changes included.
func (h *Hub) route(o *orgState, d *delivery) {
	ev := &d.ev
	seq := ev.Seq
	if ev.Revoke {
		sess, keep := revocation(ev.Frame)
		for _, c := range o.live[ev.User] {
			if revokes(sess, keep, c.p.Session) {
				c.closeWith(CloseRevoked, nil)
			}
		}
		return
	}
	if ev.Channel != 0 {
		for _, u := range ev.Join {
			for _, c := range o.live[u] {
				if seq > c.after || seq == 0 {
					o.indexAdd(c, ev.Channel)
				}
			}
		}
	}
	if d.wire != nil {
		switch {
		case ev.All:
			for _, cs := range o.live {
				for _, c := range cs {
					if (seq > c.after || seq == 0) && h.matches(d, c) {
						c.enqueue(d.wire)
					}
				}
			}
		default:
			typing := ev.Type == "typing" && seq == 0
			if ev.Channel != 0 {
				for c := range o.index[ev.Channel] {
					if (typing && c.p.User == d.subject) || (seq <= c.after && seq != 0) {
						continue
					}
					c.enqueue(d.wire)
				}
			}
			h.sendUser(o, d, ev.User)
			for _, u := range ev.Users {
				if u != ev.User {
					h.sendUser(o, d, u)
				}
			}
		}
	}
	if ev.Channel != 0 && len(ev.Join)+len(ev.Leave) > 0 {
		h.guestMembership(o, d)
	}
	if ev.Channel != 0 {
		for _, u := range ev.Leave {
			for _, c := range o.live[u] {
				if seq > c.after || seq == 0 {
					o.indexRemove(c, ev.Channel)
				}
			}
		}
	}
}

// sendUser delivers d to user's connections that the channel did not reach.
func (h *Hub) sendUser(o *orgState, d *delivery, user int64) {
	if user == 0 {
		return
	}
	for _, c := range o.live[user] {
		if d.ev.Seq <= c.after && d.ev.Seq != 0 {
			continue
		}
		if d.ev.Channel != 0 {
			if _, ok := c.chans[d.ev.Channel]; ok {
				continue
			}
		}
		c.enqueue(d.wire)
	}
}

// Missed is told that this node may have missed committed events of org
// (0: of any organisation) that the bus could not recover. It closes the
// organisation's streams with CloseGoingAway: each client resumes from the
// last seq it got, and the replay reads the store, which has every event.
// Presence and typing are not affected.
func (h *Hub) Missed(org int64) {
	for _, o := range h.snapshot() {
		if org != 0 && o.id != org {
			continue
		}
		n := 0
		o.mu.Lock()
		for c := range o.catching {
			c.closeWith(CloseGoingAway, nil)
			n++
		}
		for _, cs := range o.live {
			for _, c := range cs {
				c.closeWith(CloseGoingAway, nil)
				n++
			}
		}
		o.mu.Unlock()
		if n > 0 {
			h.log.Warn("realtime: events may have been missed; streams told to resume from the store", "org", o.id, "streams", n)
		}
	}
}

// ConnCount returns the number of open streams on this node.
func (h *Hub) ConnCount() int { return int(h.count.Load()) }

// Run sends WebSocket heartbeats and this node's presence announcements
// until ctx is done. It starts by asking the other nodes for theirs.
func (h *Hub) Run(ctx context.Context) error {
	t := time.NewTicker(h.cfg.PingInterval)
	defer t.Stop()
	beat := time.NewTicker(h.cfg.PresenceBeat)
	defer beat.Stop()
	h.announce(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			h.pingAll()
		case <-beat.C:
			h.announce(false)
		case sync := <-h.beatReq:
			h.announce(sync)
		}
	}
}

func (h *Hub) snapshot() []*orgState {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*orgState, 0, len(h.orgs))
	for _, o := range h.orgs {
		out = append(out, o)
	}
	return out
}

func (h *Hub) pingAll() {
	for _, o := range h.snapshot() {
		o.mu.Lock()
		for _, cs := range o.live {
			for _, c := range cs {
				c.enqueueIfIdle(wirePing)
			}
		}
		o.mu.Unlock()
	}
}

// Shutdown closes every stream with CloseGoingAway and waits for the hub's
// goroutines; when ctx ends first it drops the sockets and returns ctx.Err().
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	h.eachConn(func(c *conn) { c.closeWith(CloseGoingAway, nil) })
	h.cancel()
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		h.eachConn(func(c *conn) { c.nc.Close() })
		return ctx.Err()
	}
}

func (h *Hub) eachConn(f func(*conn)) {
	for _, o := range h.snapshot() {
		o.mu.Lock()
		for c := range o.catching {
			f(c)
		}
		for _, cs := range o.live {
			for _, c := range cs {
				f(c)
			}
		}
		o.mu.Unlock()
	}
}
