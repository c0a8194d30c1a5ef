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
	// GapWait is how long an event ahead of a missing one is held before
	// the gap is reported; default 2s.
	GapWait time.Duration
	// ReconnectWait is the pause between reconnect attempts; default 1s.
	ReconnectWait time.Duration
	// QueueSize is the number of queued batches; default 4096.
	QueueSize int
	// ReconnectBufSize is how many bytes of publishes nats.go keeps while
	// reconnecting; 0: its default (8 MiB); -1: none (publishes fail).
	ReconnectBufSize int
}

// Bus is a node's end of the NATS bus.
type Bus struct {
	nc     *nats.Conn
	prefix string
	log    *slog.Logger
	onGap  func(bus.Gap)
	wait   time.Duration
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
// other nodes publish from now on is queued until Run delivers it. It fails
// when no server answers (a node without its bus must not start).
func New(o Options) (*Bus, error) {
	if o.Prefix == "" {
		o.Prefix = "parley"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.GapWait <= 0 {
		o.GapWait = 2 * time.Second
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = time.Second
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	b := &Bus{prefix: o.Prefix, log: o.Log, onGap: o.OnGap, wait: o.GapWait,
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
// closes the connection.
func (b *Bus) Run(ctx context.Context) error {
	seq := newSequencer(b.wait, 100_000)
	tick := time.NewTicker(b.wait / 4)
	defer tick.Stop()
	for {
		select {
		case in := <-b.q:
			b.handle(seq, in)
		case now := <-tick.C:
			if seq.holding() {
				out, gaps := seq.expire(now)
				b.emit(out, gaps)
			}
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
							out, gaps := seq.expire(time.Now().Add(b.wait))
							b.emit(out, gaps)
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

func (b *Bus) handle(seq *sequencer, in inbound) {
	if in.gap != nil {
		b.emit(nil, []bus.Gap{*in.gap})
		return
	}
	now := time.Now()
	for _, ev := range in.evs {
		if ev.Seq == 0 {
			b.emit([]event.Event{ev}, nil)
			continue
		}
		b.emit(seq.add(ev, now))
	}
}

func (b *Bus) emit(evs []event.Event, gaps []bus.Gap) {
	for _, g := range gaps {
		if g.Org == 0 {
			b.log.Warn("natsbus: any organisation's committed events may have been missed; the database has them")
		} else {
			b.log.Warn("natsbus: committed events missed; the database has them", "org", g.Org, "from", g.From, "to", g.To)
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
