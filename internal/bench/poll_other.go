//go:build !linux

package bench

import (
	"context"

	"github.com/parley-chat/parley/internal/realtime"
)

// poller is Linux-only; elsewhere every client has a reader goroutine.
type poller struct{}

func (w *worker) attach(ctx context.Context, c *wclient, conn *realtime.Client, ready, done chan struct{}) {
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	go w.read(ctx, c, conn, ready, done)
}

func (w *worker) stopPoll() {}
