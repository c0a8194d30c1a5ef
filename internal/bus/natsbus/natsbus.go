// Package natsbus is the cluster event bus: the contract of bus.Local
// (committed events in order per organisation, nothing lost while connected;
// ephemeral events best effort) carried between Parley nodes by a NATS
// server (ADR 0007). A node delivers its own events directly and receives
// the other nodes' events from NATS; a per-organisation sequencer restores
// seq order and reports missed traffic as bus.Gap, which the database can
// fill.
package natsbus

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/event"
)

// Options configure a Bus.
type Options struct {
	URL    string       // nats://host:4222 (comma-separated for several servers)
	Name   string       // connection name shown by the NATS server
	Prefix string       // subject prefix; default "parley"
	Log    *slog.Logger // default: discard
	// OnGap is told about committed traffic this node may have missed; it
	// is called from the delivery goroutine, after the events before it.
	OnGap func(bus.Gap)
	// OnReconnect is called (from a NATS goroutine) when the connection is
	// back after an outage: ephemeral traffic was lost both ways.
	OnReconnect func()
	// GapWait is how long an event ahead of a missing one is held before
	// the gap is filled from the History (or reported); default 500ms.
	GapWait time.Duration
	// ReconnectWait is the pause between reconnect attempts; default 1s.
	ReconnectWait time.Duration
	// QueueSize is the number of queued batches; default 4096.
	QueueSize int
	// ReconnectBufSize is how many bytes of publishes nats.go keeps while
	// reconnecting; 0: its default (8 MiB); -1: none (publishes fail).
	ReconnectBufSize int
	// History is the durable event log (the store) the bus fills its gaps
	// from, so that subscribers get every committed event; nil: gaps are
	// only reported to OnGap.
	History History
	// CheckInterval is how often the bus compares its position with the
	// log's latest seqs, to find events lost with nothing after them;
	// default 2s. Used with History only.
	CheckInterval time.Duration
}

// History is the durable, per-organisation event log, implemented by the
// store. A committed event is in it before it is published.
type History interface {
	// LatestSeqs returns every organisation's latest committed seq.
	// Errors: Unavailable, Internal.
	LatestSeqs(ctx context.Context) (map[int64]int64, error)
	// OrgEventsSince returns up to limit events of org with Seq > after, in
	// Seq order. Errors: Conflict "resync_required" (pruned), Unavailable,
	// Internal.
	OrgEventsSince(ctx context.Context, org, after int64, limit int) ([]event.Event, error)
}

// fillPage is the number of events read from the history per query.
const fillPage = 1000

// Bus is a node's end of the NATS bus.
type Bus struct {
	nc     *nats.Conn
	prefix string
	log    *slog.Logger
	onGap  func(bus.Gap)
	wait   time.Duration
	hist   History
	check  time.Duration
	seq    *sequencer // owned by Run's goroutine once Run starts
	q      chan inbound
	closed chan struct{}

	mu   sync.RWMutex
	subs []func(event.Event)
}

type inbound struct {
	evs   []event.Event
	gap   *bus.Gap // a reconnect after a disconnection
	local bool
}

// New connects to NATS and subscribes to every organisation's events; what
// other nodes publish from now on is queued until Run delivers it. With a
// History it then takes every organisation's position from it: events up to
// there are the store's to replay. It fails when no server answers (a node
// without its bus must not start) or the History cannot be read.
func New(o Options) (*Bus, error) {
	if o.Prefix == "" {
		o.Prefix = "parley"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.GapWait <= 0 {
		o.GapWait = 500 * time.Millisecond
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.CheckInterval <= 0 {
		o.CheckInterval = 2 * time.Second
	}
	b := &Bus{prefix: o.Prefix, log: o.Log, onGap: o.OnGap, wait: o.GapWait, hist: o.History, check: o.CheckInterval,
		q: make(chan inbound, o.QueueSize), closed: make(chan struct{})}
	var down sync.Mutex
	var downSince time.Time
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.NoEcho(), // this node's own events are delivered locally, never lost to an outage
		nats.MaxReconnects(-1),
		nats.ReconnectWait(o.ReconnectWait),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if c.IsDraining() || c.IsClosed() {
				return // Run is stopping
			}
			down.Lock()
			downSince = time.Now()
			down.Unlock()
			b.log.Warn("NATS disconnected; reconnecting", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			down.Lock()
			d := time.Since(downSince)
			down.Unlock()
			b.log.Warn("NATS reconnected: other nodes' events of the outage may be missing", "url", c.ConnectedUrl(), "down", d)
			// Every organisation may have missed traffic, even one that
			// publishes nothing later (so no seq gap would show it).
			b.q <- inbound{gap: &bus.Gap{}}
			if o.OnReconnect != nil {
				o.OnReconnect()
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Error("NATS", "err", err) // e.g. slow consumer: the sequencer reports the gap
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(b.closed) }),
	}
	if o.ReconnectBufSize != 0 {
		opts = append(opts, nats.ReconnectBufSize(o.ReconnectBufSize))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("natsbus: connect %s: %w", o.URL, err)
	}
	b.nc = nc
	for _, kind := range []string{"events", "ephemeral"} {
		sub, err := nc.Subscribe(o.Prefix+"."+kind+".*", b.receive)
		if err == nil {
			// The queue, not NATS, bounds what waits; a full queue blocks
			// this subscription's goroutine and NATS buffers behind it.
			err = sub.SetPendingLimits(-1, -1)
		}
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("natsbus: subscribe: %w", err)
		}
	}
	if err := nc.Flush(); err != nil { // the subscriptions are in place when New returns
		nc.Close()
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	b.seq = newSequencer(b.wait, 100_000)
	if b.hist != nil {
		// After subscribing: an event committed from now on is either after
		// the seed or heard (or found missing) on the bus.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		latest, err := b.hist.LatestSeqs(ctx)
		cancel()
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("natsbus: read the event log's positions: %w", err)
		}
		b.seq.seed(latest)
	}
	return b, nil
}

// Close disconnects a bus that will not Run (Run closes the connection
// itself when it stops).
func (b *Bus) Close() { b.nc.Close() }

func (b *Bus) receive(m *nats.Msg) {
	evs, err := decode(m.Data)
	if err != nil {
		b.log.Error("natsbus: dropping a message", "subject", m.Subject, "err", err)
		return
	}
	b.q <- inbound{evs: evs}
}

// Subscribe registers fn to receive every event. Call before Run.
func (b *Bus) Subscribe(fn func(event.Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, fn)
}

// PublishCommitted delivers a committed batch to this node's subscribers
// and sends it to the other nodes, one message per organisation run. Like
// bus.Local it blocks while the local queue is full. A send that fails
// (outage longer than the reconnect buffer) is logged; the other nodes see
// the seq gap and recover from the database.
func (b *Bus) PublishCommitted(evs []event.Event) {
	if len(evs) == 0 {
		return
	}
	b.q <- inbound{evs: evs, local: true}
	max := int(b.nc.MaxPayload()) - 1024
	for i := 0; i < len(evs); {
		j, size := i, 1
		for j < len(evs) && evs[j].Org == evs[i].Org {
			n := len(evs[j].Frame) + len(evs[j].Type) + 16*(5+len(evs[j].Join)+len(evs[j].Leave)+len(evs[j].Users))
			if j > i && size+n > max {
				break
			}
			size += n
			j++
		}
		b.send("events", evs[i].Org, evs[i:j])
		i = j
	}
}

// Publish delivers an ephemeral event locally and to the other nodes, best
// effort: it never blocks, and a full queue or a NATS outage drops it.
func (b *Bus) Publish(_ context.Context, ev event.Event) error {
	select {
	case b.q <- inbound{evs: []event.Event{ev}, local: true}:
	default:
	}
	b.send("ephemeral", ev.Org, []event.Event{ev})
	return nil
}

func (b *Bus) send(kind string, org int64, evs []event.Event) {
	subj := b.prefix + "." + kind + "." + strconv.FormatInt(org, 10)
	if err := b.nc.Publish(subj, encode(evs)); err != nil {
		b.log.Warn("natsbus: publish failed; other nodes will see a gap", "subject", subj, "events", len(evs), "err", err)
	}
}

// Run delivers queued events in order until ctx ends, then drains the NATS
// subscriptions, flushes what this node published, delivers what is left and
// closes the connection. With a History it fills overdue gaps from it and
// checks it every CheckInterval for events lost with nothing after them.
func (b *Bus) Run(ctx context.Context) error {
	seq := b.seq
	tick := time.NewTicker(b.wait / 4)
	defer tick.Stop()
	var check <-chan time.Time
	var behind map[int64]int64 // orgs behind the log at the last check → the log's seq then
	if b.hist != nil {
		t := time.NewTicker(b.check)
		defer t.Stop()
		check = t.C
	}
	for {
		select {
		case in := <-b.q:
			b.handle(seq, in)
		case now := <-tick.C:
			if seq.holding() {
				b.resolve(seq, now)
			}
		case <-check:
			behind = b.checkLog(ctx, seq, behind)
		case <-ctx.Done():
			if err := b.nc.Drain(); err != nil {
				b.nc.Close()
			}
			timeout := time.After(10 * time.Second)
			for {
				select {
				case in := <-b.q:
					b.handle(seq, in)
				case <-b.closed:
					for {
						select {
						case in := <-b.q:
							b.handle(seq, in)
						default:
							b.resolve(seq, time.Now().Add(b.wait))
							return nil
						}
					}
				case <-timeout:
					b.nc.Close()
				}
			}
		}
	}
}

// checkLog compares every organisation's position with the log. An
// organisation behind it now and at the previous check (so not merely an
// event still on its way) is filled up to the seq seen then. It returns the
// organisations behind now.
func (b *Bus) checkLog(ctx context.Context, seq *sequencer, before map[int64]int64) map[int64]int64 {
	qctx, cancel := context.WithTimeout(ctx, b.check)
	latest, err := b.hist.LatestSeqs(qctx)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("natsbus: checking the event log", "err", err)
		}
		return before
	}
	behind := make(map[int64]int64)
	for org, last := range latest {
		next, _ := seq.nextOf(org)
		if last < next {
			continue
		}
		if prev, ok := before[org]; ok && prev >= next {
			b.log.Warn("natsbus: committed events never arrived; filling from the event log", "org", org, "from", next, "to", prev)
			b.fill(ctx, seq, bus.Gap{Org: org, From: next, To: prev})
		}
		behind[org] = last
	}
	return behind
}

// resolve fills or skips every overdue gap.
func (b *Bus) resolve(seq *sequencer, now time.Time) {
	for _, g := range seq.overdue(now) {
		b.fill(context.Background(), seq, g)
	}
}

// fill delivers org's events From..To (Org 0: every organisation up to
// the log's latest) from the log, in order through the sequencer so
// that nothing is delivered twice, then releases what was held behind them.
// What the log cannot give (no History, an error, pruned events) is skipped
// and reported to OnGap: the realtime side then makes its clients resume
// from the store themselves.
func (b *Bus) fill(ctx context.Context, seq *sequencer, g bus.Gap) {
	if g.Org == 0 {
		if b.hist == nil {
			b.emit(nil, []bus.Gap{g})
			return
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		latest, err := b.hist.LatestSeqs(qctx)
		cancel()
		if err != nil {
			b.log.Warn("natsbus: cannot read the event log after a reconnection", "err", err)
			b.emit(nil, []bus.Gap{g})
			return
		}
		for org, last := range latest {
			if next, _ := seq.nextOf(org); last >= next {
				b.fill(ctx, seq, bus.Gap{Org: org, From: next, To: last})
			}
		}
		return
	}
	var err error
	if b.hist != nil {
		err = b.fillFrom(ctx, seq, g)
	}
	next, _ := seq.nextOf(g.Org)
	if next > g.To {
		return // filled
	}
	if err != nil {
		b.log.Warn("natsbus: cannot fill a gap from the event log", "org", g.Org, "from", next, "to", g.To, "err", err)
	}
	out, gaps := seq.skip(g.Org, g.To+1, time.Now())
	b.emit(out, gaps)
}

// fillFrom reads the log from the org's position up to g.To and feeds the
// events to the sequencer, delivering as it goes.
func (b *Bus) fillFrom(ctx context.Context, seq *sequencer, g bus.Gap) error {
	filled := 0
	defer func() {
		if filled > 0 {
			b.log.Info("natsbus: filled missed events from the event log", "org", g.Org, "events", filled)
		}
	}()
	for {
		next, _ := seq.nextOf(g.Org)
		if next > g.To {
			return nil
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		evs, err := b.hist.OrgEventsSince(qctx, g.Org, next-1, fillPage)
		cancel()
		if err != nil {
			return err
		}
		now := time.Now()
		for _, ev := range evs {
			if ev.Seq > g.To {
				break
			}
			out, gaps := seq.add(ev, now)
			filled++
			b.emit(out, gaps)
		}
		if len(evs) < fillPage {
			return nil
		}
	}
}

func (b *Bus) handle(seq *sequencer, in inbound) {
	if in.gap != nil {
		b.fill(context.Background(), seq, *in.gap)
		return
	}
	now := time.Now()
	overflow := false
	for _, ev := range in.evs {
		if ev.Seq == 0 {
			b.emit([]event.Event{ev}, nil)
			continue
		}
		b.emit(seq.add(ev, now))
		overflow = overflow || len(seq.orgs[ev.Org].held) > seq.maxHeld
	}
	if overflow {
		b.resolve(seq, now)
	}
}

func (b *Bus) emit(evs []event.Event, gaps []bus.Gap) {
	for _, g := range gaps {
		if g.Org == 0 {
			b.log.Warn("natsbus: any organisation's committed events may have been missed; streams resume from the database")
		} else {
			b.log.Warn("natsbus: committed events missed; streams resume from the database", "org", g.Org, "from", g.From, "to", g.To)
		}
		if b.onGap != nil {
			b.onGap(g)
		}
	}
	if len(evs) == 0 {
		return
	}
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, ev := range evs {
		for _, fn := range subs {
			fn(ev)
		}
	}
}
