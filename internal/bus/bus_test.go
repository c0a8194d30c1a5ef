package bus

import (
	"context"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/event"
)

func TestLocalDeliversCommittedEventsInOrder(t *testing.T) {
	b := NewLocal(4)
	var mu sync.Mutex
	var got []int64
	done := make(chan struct{})
	const n = 1000
	b.Subscribe(func(ev event.Event) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev.Seq)
		if len(got) == n {
			close(done)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { b.Run(ctx); close(stopped) }()
	// More batches than the queue holds: publishing blocks, never drops.
	for i := 0; i < n; i += 2 {
		b.PublishCommitted([]event.Event{{Seq: int64(i + 1)}, {Seq: int64(i + 2)}})
	}
	<-done
	cancel()
	<-stopped
	for i, s := range got {
		if s != int64(i+1) {
			t.Fatalf("event %d has seq %d: out of order or lost", i, s)
		}
	}
}

func TestLocalDrainsOnStop(t *testing.T) {
	b := NewLocal(16)
	var got int
	b.Subscribe(func(event.Event) { got++ })
	for i := 0; i < 10; i++ {
		b.PublishCommitted([]event.Event{{Seq: int64(i + 1)}})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Run(ctx)
	if got != 10 {
		t.Fatalf("delivered %d of 10 queued events after stop", got)
	}
}
