package realtime

import (
	"io"
	"net"
	"sync"
	"time"

	"github.com/gobwas/ws"
)

// closeGrace bounds how long the server waits for the client's close reply
// after sending its own close frame.
const closeGrace = 2 * time.Second

// conn is one stream. An idle conn costs one goroutine (the reader); a
// writer goroutine exists only while frames are queued.
//
// Locking: org.mu guards chans, pending and presenceSub (routing state);
// c.mu guards the write side. The order is org.mu then c.mu.
type conn struct {
	hub *Hub
	org *orgState
	p   Principal
	nc  net.Conn
	rd  io.Reader // nc, or the handshake's leftover bytes then nc
	hdr [ws.MaxHeaderSize - 2]byte

	chans   map[int64]struct{} // channels routed to this conn (live state)
	pending []*delivery        // catching up: every durable org event since register
	after   int64              // live: durable events up to this seq were replayed or skipped

	presenceSub []int64    // users whose presence this conn gets, sorted (live state)
	guest       *guestView // a guest's channel peers (live state); nil for members

	mu        sync.Mutex
	q         [][]byte // encoded frames waiting for the writer
	writing   bool     // a goroutine owns the socket's write side
	closeCode int      // non-zero once closing was decided
	closeMsg  []byte   // frame sent just before the close frame (resync)
	closeSent bool
	dead      bool // the reader finished; nothing may be queued or started
}

// enqueue queues one encoded frame; a full queue closes the conn with
// CloseSlowConsumer (the client resumes from its last seq).
func (c *conn) enqueue(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.closeCode != 0 {
		return
	}
	if len(c.q) >= c.hub.cfg.QueueSize {
		c.closeLocked(CloseSlowConsumer, nil)
		return
	}
	c.q = append(c.q, b)
	c.kickLocked()
}

// enqueueIfIdle queues b only when nothing is queued (heartbeats).
func (c *conn) enqueueIfIdle(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.closeCode != 0 || c.writing {
		return
	}
	c.q = append(c.q, b)
	c.kickLocked()
}

func (c *conn) kickLocked() {
	if c.writing || c.dead {
		return
	}
	c.writing = true
	c.hub.wg.Add(1) // the conn's owner holds a count, so this never races Wait at zero
	go func() {
		defer c.hub.wg.Done()
		c.writeLoop()
	}()
}

// closeWith decides to close the conn with code, after sending msg if any.
// Queued frames are dropped: the client resumes from the last seq it got.
func (c *conn) closeWith(code int, msg []byte) {
	c.mu.Lock()
	c.closeLocked(code, msg)
	c.mu.Unlock()
}

func (c *conn) closeLocked(code int, msg []byte) {
	if c.closeCode != 0 || c.dead {
		return
	}
	c.closeCode, c.closeMsg, c.q = code, msg, nil
	if f := c.hub.onClose; f != nil {
		f(c.p, code)
	}
	c.kickLocked()
}

func (c *conn) closing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeCode != 0
}

// writeLoop drains the queue, batching every pending frame into one writev,
// and exits when the queue is empty; after a close it keeps the write side
// so that nothing else is written.
func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		batch, code, msg := c.q, c.closeCode, c.closeMsg
		c.q = nil
		if code == 0 && len(batch) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		if code != 0 {
			c.closeSent = true
		}
		c.mu.Unlock()
		if code != 0 {
			c.sendClose(code, msg)
			return
		}
		if err := c.write(batch...); err != nil {
			c.fail()
			return
		}
	}
}

// write sends frames in one system call where the OS allows.
func (c *conn) write(frames ...[]byte) error {
	c.nc.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteTimeout))
	bufs := net.Buffers(frames)
	_, err := bufs.WriteTo(c.nc)
	return err
}

// fail gives up on a broken socket: the reader wakes up and cleans up.
func (c *conn) fail() {
	c.mu.Lock()
	if c.closeCode == 0 {
		c.closeCode = CloseInternal
	}
	c.closeSent, c.q = true, nil
	c.mu.Unlock()
	c.nc.Close()
}

// sendClose writes the close frame, half-closes, and gives the client
// closeGrace to answer before the reader's deadline ends the conn.
// Closing the socket outright could reset it before the client read the
// close frame.
func (c *conn) sendClose(code int, msg []byte) {
	frames := [][]byte{closeFrame(code)}
	if msg != nil {
		frames = [][]byte{msg, frames[0]}
	}
	if err := c.write(frames...); err != nil {
		c.nc.Close()
		return
	}
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(closeGrace))
}

// readLoop is the conn's only long-lived goroutine: it reads client frames
// until the socket ends, then unregisters the conn.
func (c *conn) readLoop() {
	defer c.hub.wg.Done()
	defer c.finish()
	h := c.hub
	for {
		// Deadline first, then the check: a grace deadline set by the
		// writer after this check is not overwritten.
		c.nc.SetReadDeadline(time.Now().Add(h.cfg.IdleTimeout))
		if c.closing() {
			c.drain()
			return
		}
		hd, err := ws.ReadHeaderBuffer(c.rd, c.hdr[:])
		if err != nil {
			return
		}
		if !validClientHeader(hd) {
			c.closeWith(CloseProtocol, nil)
			continue
		}
		p := make([]byte, hd.Length)
		if _, err := io.ReadFull(c.rd, p); err != nil {
			return
		}
		ws.Cipher(p, hd.Mask, 0)
		switch hd.OpCode {
		case ws.OpPing:
			c.enqueue(appendFrame(nil, ws.OpPong, p))
		case ws.OpPong:
		case ws.OpClose:
			code, _ := ws.ParseCloseFrameData(p)
			echo := int(code)
			if echo < 1000 || code.IsProtocolReserved() {
				echo = CloseNormal
			}
			c.closeWith(echo, nil)
		case ws.OpText:
			c.handle(p)
		}
	}
}

// drain discards input until the client closes or the grace period ends, so
// that the close frame is not lost to a reset caused by unread input.
func (c *conn) drain() {
	c.mu.Lock()
	sent := c.closeSent
	c.mu.Unlock()
	if !sent {
		c.nc.SetReadDeadline(time.Now().Add(c.hub.cfg.WriteTimeout + closeGrace))
	}
	io.Copy(io.Discard, c.rd)
}

// validClientHeader accepts masked, unfragmented text and control frames
// within the size limits; everything else is a protocol error.
func validClientHeader(hd ws.Header) bool {
	if hd.Rsv != 0 || !hd.Masked || !hd.Fin {
		return false
	}
	switch hd.OpCode {
	case ws.OpPing, ws.OpPong, ws.OpClose:
		return hd.Length <= 125
	case ws.OpText:
		return hd.Length <= MaxClientFrame
	}
	return false
}

// handle acts on one client message.
func (c *conn) handle(p []byte) {
	m, err := parseClientMessage(p)
	if err != nil {
		c.closeWith(CloseProtocol, nil)
		return
	}
	switch m.Type {
	case "ping":
		c.enqueue(wirePong)
	case "typing":
		c.hub.typing(c, m.ChannelID)
	case "presence":
		c.hub.syncPresence(c.org, c.p.User, m.Status)
	case "presence_sub":
		c.hub.subscribePresence(c, m.UserIDs)
	default:
		// Unknown types are ignored so that newer clients work with older servers.
	}
}

// finish runs when the reader ends: the socket is closed, the conn leaves
// routing and presence is updated.
func (c *conn) finish() {
	c.mu.Lock()
	c.dead, c.q = true, nil
	if c.closeCode == 0 {
		c.closeCode = CloseNormal
	}
	c.mu.Unlock()
	c.nc.Close()
	c.hub.unregister(c)
	if f := c.hub.onLeave; f != nil {
		f(c.p)
	}
}

// prefixReader serves bytes buffered during the handshake before the socket.
type prefixReader struct {
	buf []byte
	r   io.Reader
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}
