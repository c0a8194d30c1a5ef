//go:build linux

package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/sys/unix"

	"github.com/parley-chat/parley/internal/realtime"
)

// poller reads every client socket of a worker from one goroutine with
// epoll, instead of a goroutine per client. With a goroutine each, every
// frame cost two read(2) calls (the second finding the socket empty before
// the goroutine parks), two goroutine switches and an event in the
// runtime's own poller (so the sockets are taken out of it: the poller
// owns a duplicate descriptor, realtime.Client.Detach); the generator shares
// the machine with the server, so its cost per frame is part of the
// latency it measures. Frames are checked exactly as the reader goroutine
// checks them (worker.handle).
type poller struct {
	w    *worker
	epfd int

	mu   sync.Mutex // held while a batch of ready sockets is read
	subs map[int]*psub

	stopped atomic.Bool
}

// psub is one client's stream in the poller. It owns the socket (fd);
// reads happen in the poller's loop, writes (Send, pongs, Close) under wmu
// from any goroutine.
type psub struct {
	p         *poller
	c         *wclient
	fd        int
	buf       []byte // the start of a frame not yet complete
	readyOnce func()
	end       sync.Once
	done      chan struct{}

	wmu    sync.Mutex
	closed bool
}

func newPoller(ctx context.Context, w *worker) (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{w: w, epfd: epfd, subs: map[int]*psub{}}
	go p.loop(ctx)
	return p, nil
}

// attach starts reading a connected client: with the worker's poller where
// there is one, else with a goroutine.
func (w *worker) attach(ctx context.Context, c *wclient, conn *realtime.Client, ready, done chan struct{}) {
	if w.poll == nil && w.pollErr == nil {
		w.pollMu.Lock()
		if w.poll == nil && w.pollErr == nil {
			w.poll, w.pollErr = newPoller(ctx, w)
		}
		w.pollMu.Unlock()
	}
	if w.poll != nil {
		w.poll.add(ctx, c, conn, ready, done)
		return
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()
	go w.read(ctx, c, conn, ready, done)
}

// add takes over conn's socket. A failure ends the stream like a broken
// socket would (counted as closed unexpectedly).
func (p *poller) add(ctx context.Context, c *wclient, conn *realtime.Client, ready, done chan struct{}) {
	s := &psub{p: p, c: c, fd: -1, readyOnce: sync.OnceFunc(func() { close(ready) }), done: done}
	c.mu.Lock()
	c.conn = s
	c.mu.Unlock()
	fd, pending, err := conn.Detach()
	if err != nil {
		conn.Close()
		p.w.ended(ctx, c)
		s.finish()
		return
	}
	s.fd = fd
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}); err != nil {
		p.closeLocked(ctx, s)
		return
	}
	p.subs[fd] = s
	if len(pending) > 0 {
		p.consume(ctx, s, pending)
	}
}

// finish marks the stream over for the worker's waiters.
func (s *psub) finish() {
	s.end.Do(func() {
		s.readyOnce()
		close(s.done)
	})
}

// Send marshals v and writes it as one masked text frame.
func (s *psub) Send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(ws.NewTextFrame(b))
}

// Close stops reading, sends a normal close frame and closes the socket.
func (s *psub) Close() error {
	s.p.mu.Lock()
	s.p.endLocked(s)
	s.p.mu.Unlock()
	s.write(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))
	return s.closeFD()
}

func (s *psub) closeFD() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed || s.fd < 0 {
		return nil
	}
	s.closed = true
	return unix.Close(s.fd)
}

// write masks f and writes it whole, waiting up to 10 s for room in the
// socket's buffer (frames from clients are small and rare).
func (s *psub) write(f ws.Frame) error {
	f = ws.MaskFrameInPlace(f)
	b, err := ws.CompileFrame(f)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed || s.fd < 0 {
		return net.ErrClosed
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(b) > 0 {
		n, err := unix.Write(s.fd, b)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EAGAIN):
			left := time.Until(deadline)
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			unix.Poll([]unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLOUT}}, int(left/time.Millisecond)+1)
			continue
		case err != nil:
			return err
		}
		b = b[n:]
	}
	return nil
}

// endLocked stops reading s. Its socket is closed only after this (under
// p.mu), so the loop never reads a closed, or reused, descriptor as s's.
func (p *poller) endLocked(s *psub) {
	if s.fd >= 0 && p.subs[s.fd] == s {
		delete(p.subs, s.fd)
		unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, s.fd, nil)
	}
	s.finish()
}

// loop waits for readable sockets until ctx ends, rechecking every 200 ms.
func (p *poller) loop(ctx context.Context) {
	defer unix.Close(p.epfd)
	evs := make([]unix.EpollEvent, 512)
	scratch := make([]byte, 256<<10)
	for ctx.Err() == nil && !p.stopped.Load() {
		n, err := unix.EpollWait(p.epfd, evs, 200)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		p.mu.Lock()
		for _, ev := range evs[:n] {
			if s := p.subs[int(ev.Fd)]; s != nil {
				p.readLocked(ctx, s, scratch)
			}
		}
		p.mu.Unlock()
	}
}

// readLocked reads what s's socket holds and handles every whole frame.
func (p *poller) readLocked(ctx context.Context, s *psub, scratch []byte) {
	for {
		k, err := unix.Read(s.fd, scratch)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return
		}
		if err != nil || k == 0 {
			p.closeLocked(ctx, s)
			return
		}
		if !p.consume(ctx, s, scratch[:k]) || k < len(scratch) {
			return
		}
	}
}

// consume handles the whole frames of s.buf + data and keeps the rest. It
// reports false when the stream ended.
func (p *poller) consume(ctx context.Context, s *psub, data []byte) bool {
	if len(s.buf) > 0 {
		s.buf = append(s.buf, data...)
		data = s.buf
	}
	for {
		op, payload, n, ok := nextFrame(data)
		if n == 0 {
			break
		}
		if !ok {
			p.closeLocked(ctx, s)
			return false
		}
		data = data[n:]
		switch op {
		case 0x1, 0x2: // text, binary
			p.w.handle(ctx, s.c, s, payload, s.readyOnce)
		case 0x9: // ping
			s.write(ws.NewPongFrame(bytes.Clone(payload)))
		case 0x8: // close: the server ended the stream
			p.closeLocked(ctx, s)
			return false
		}
	}
	s.buf = append(s.buf[:0], data...)
	return true
}

// closeLocked ends a stream the server ended (or broke): counted as
// unexpected unless the worker is dropping it.
func (p *poller) closeLocked(ctx context.Context, s *psub) {
	p.w.ended(ctx, s.c)
	p.endLocked(s)
	s.closeFD()
}

// nextFrame parses the server frame at the start of b: n is 0 when b does
// not hold a whole frame yet; ok is false for a frame the stream protocol
// never sends (fragmented, or over the client's size limit).
func nextFrame(b []byte) (op byte, payload []byte, n int, ok bool) {
	if len(b) < 2 {
		return 0, nil, 0, true
	}
	fin, op := b[0]&0x80 != 0, b[0]&0x0f
	masked := b[1]&0x80 != 0
	h, size := 2, uint64(b[1]&0x7f)
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, nil, 0, true
		}
		size, h = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, nil, 0, true
		}
		size, h = binary.BigEndian.Uint64(b[2:]), 10
	}
	if !fin || masked || size > 64<<20 {
		return 0, nil, len(b), false
	}
	if uint64(len(b)-h) < size {
		return 0, nil, 0, true
	}
	end := h + int(size)
	return op, b[h:end], end, true
}

// stopPoll ends the poller's loop (its descriptor is closed on the way out).
func (w *worker) stopPoll() {
	w.pollMu.Lock()
	defer w.pollMu.Unlock()
	if w.poll != nil {
		w.poll.stopped.Store(true)
	}
}
