// Package bus carries committed events from the store to the realtime hub
// (and, in a cluster, between nodes). Local is the in-process bus of the
// embedded default.
package bus

import (
	"context"
	"sync"

	"github.com/parley-chat/parley/internal/event"
)

// Local is an in-process bus. Committed events are delivered to subscribers
// in the order they were published, from one goroutine, so a slow subscriber
// delays delivery but never reorders or drops a committed event. Ephemeral
// events (Seq 0: presence, typing) are dropped when the queue is full.
type Local struct {
	mu   sync.RWMutex
	subs []func(event.Event)
	q    chan []event.Event
}

// NewLocal returns a bus with room for size queued batches.
func NewLocal(size int) *Local {
	if size <= 0 {
		size = 4096
	}
	return &Local{q: make(chan []event.Event, size)}
}

// Subscribe registers fn to receive every event. Call before Run.
func (b *Local) Subscribe(fn func(event.Event)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.subs = append(b.subs, fn)
}

// PublishCommitted queues a committed batch; it blocks while the queue is
// full, which slows writers instead of losing events.
func (b *Local) PublishCommitted(evs []event.Event) {
	b.q <- evs
}

// Publish queues one ephemeral event, dropping it when the queue is full.
func (b *Local) Publish(_ context.Context, ev event.Event) error {
	select {
	case b.q <- []event.Event{ev}:
	default:
	}
	return nil
}

// Run delivers queued events until ctx ends, then delivers what is left.
func (b *Local) Run(ctx context.Context) error {
	for {
		select {
		case evs := <-b.q:
			b.deliver(evs)
		case <-ctx.Done():
			for {
				select {
				case evs := <-b.q:
					b.deliver(evs)
				default:
					return nil
				}
			}
		}
	}
}

func (b *Local) deliver(evs []event.Event) {
	b.mu.RLock()
	subs := b.subs
	b.mu.RUnlock()
	for _, ev := range evs {
		for _, fn := range subs {
			fn(ev)
		}
	}
}
