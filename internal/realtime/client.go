package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/gobwas/ws"
)

// maxServerFrame bounds what the client accepts from a server.
const maxServerFrame = 64 << 20

// Frame is one server→client message as decoded by Client.
type Frame struct {
	Seq       int64            // event sequence; in hello the organisation's latest; 0 otherwise
	Type      string           // "hello", "ready", "resync", "pong", "typing", "presence" or an event type
	ChannelID int64            // channel_id, for typing
	UserID    int64            // user_id, for typing and presence
	Status    string           // status, for a presence change
	Users     map[int64]string // users, for a presence snapshot (the answer to presence_sub)
	Data      json.RawMessage  // the data field of events
	Raw       []byte           // the whole frame as received
}

// CloseError is returned by Client.Next when the server closed the stream.
type CloseError struct {
	Code   int    // one of the Close constants, or 1005 when none was given
	Reason string // optional text sent by the server
}

// Error reports the close code.
func (e *CloseError) Error() string {
	return "realtime: stream closed with code " + strconv.Itoa(e.Code)
}

// Client is a Go client for the stream protocol, used by integration tests,
// the crash test and the load generator. Next must be called from one
// goroutine; Send and Close may be called from any.
type Client struct {
	nc net.Conn
	br *bufio.Reader

	// Reader state, owned by the goroutine calling Next.
	buf         []byte    // NextRaw's reused payload buffer
	deadline    time.Time // the read deadline last set
	deadlineSet bool

	wmu    sync.Mutex
	closed bool
}

// Dial connects to a stream URL (ws:// or wss://). since < 0 means a fresh
// load (no since parameter); since >= 0 resumes after that seq.
func Dial(ctx context.Context, rawURL string, header http.Header, since int64) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("realtime: dial: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	if since >= 0 {
		q := u.Query()
		q.Set("since", strconv.FormatInt(since, 10))
		u.RawQuery = q.Encode()
	}
	d := ws.Dialer{}
	if header != nil {
		d.Header = ws.HandshakeHeaderHTTP(header)
	}
	nc, br, _, err := d.Dial(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("realtime: dial %s: %w", u.Redacted(), err)
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, 4096)
	}
	return &Client{nc: nc, br: br}, nil
}

// Next returns the next data frame, answering pings on the way. When the
// server closes the stream it returns a *CloseError. After an error the
// client must be closed.
func (c *Client) Next(ctx context.Context) (Frame, error) {
	p, err := c.next(ctx, false)
	if err != nil {
		return Frame{}, err
	}
	return DecodeFrame(p)
}

// NextRaw is Next without the decoding: it returns the payload of the next
// data frame, valid only until the following call (the buffer is reused).
// It is for receivers that read a few fields of a great many frames, such
// as the load generator; DecodeFrame decodes a payload like Next does.
func (c *Client) NextRaw(ctx context.Context) ([]byte, error) {
	return c.next(ctx, true)
}

func (c *Client) next(ctx context.Context, reuse bool) ([]byte, error) {
	// Deadlines cost a timer update each: set one only when it changes,
	// and watch ctx only when it can end.
	dl, _ := ctx.Deadline()
	if !c.deadlineSet || !dl.Equal(c.deadline) {
		c.nc.SetReadDeadline(dl)
		c.deadline, c.deadlineSet = dl, true
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { c.nc.SetReadDeadline(time.Unix(1, 0)) })
		defer func() {
			if !stop() {
				c.deadlineSet = false // the AfterFunc ran: the deadline must be set again
			}
		}()
	}
	for {
		hd, err := ws.ReadHeader(c.br)
		if err != nil {
			return nil, c.readErr(ctx, err)
		}
		if hd.Length > maxServerFrame || !hd.Fin {
			return nil, fmt.Errorf("realtime: unsupported server frame (fin=%v, %d bytes)", hd.Fin, hd.Length)
		}
		var p []byte
		if reuse {
			if int64(cap(c.buf)) < hd.Length {
				c.buf = make([]byte, hd.Length)
			}
			p = c.buf[:hd.Length]
		} else {
			p = make([]byte, hd.Length)
		}
		if _, err := io.ReadFull(c.br, p); err != nil {
			return nil, c.readErr(ctx, err)
		}
		if hd.Masked {
			ws.Cipher(p, hd.Mask, 0)
		}
		switch hd.OpCode {
		case ws.OpPing:
			c.writeFrame(ctx, ws.NewPongFrame(bytes.Clone(p)))
		case ws.OpPong:
		case ws.OpClose:
			code, reason := ws.ParseCloseFrameData(p)
			if code.Empty() {
				code = ws.StatusNoStatusRcvd
			}
			c.writeFrame(ctx, ws.NewCloseFrame(ws.NewCloseFrameBody(code, "")))
			c.nc.Close()
			return nil, &CloseError{Code: int(code), Reason: reason}
		case ws.OpText, ws.OpBinary:
			return p, nil
		}
	}
}

func (c *Client) readErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("realtime: read: %w", err)
}

// DecodeFrame decodes the payload of a server data frame.
func DecodeFrame(p []byte) (Frame, error) {
	var w struct {
		Seq       int64            `json:"seq"`
		Type      string           `json:"type"`
		ChannelID int64            `json:"channel_id"`
		UserID    int64            `json:"user_id"`
		Status    string           `json:"status"`
		Users     map[int64]string `json:"users"`
		Data      json.RawMessage  `json:"data"`
	}
	if err := json.Unmarshal(p, &w); err != nil {
		return Frame{Raw: p}, fmt.Errorf("realtime: bad server frame: %w", err)
	}
	return Frame{Seq: w.Seq, Type: w.Type, ChannelID: w.ChannelID, UserID: w.UserID, Status: w.Status,
		Users: w.Users, Data: w.Data, Raw: p}, nil
}

// Detach hands the stream's socket over to a caller that drives it itself
// (the load generator's epoll loop, which reads thousands of streams
// without a goroutine each, and without the runtime's poller also being
// told of every frame): it returns a duplicate of the socket's descriptor,
// which the caller owns and must close, and the bytes already read from it
// that Next has not returned. The Client's own descriptor is closed
// without a close frame; the Client must not be used afterwards.
func (c *Client) Detach() (fd int, pending []byte, err error) {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return -1, nil, errors.New("realtime: detach: not a socket")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, nil, fmt.Errorf("realtime: detach: %w", err)
	}
	fd = -1
	var derr error
	if err := rc.Control(func(f uintptr) { fd, derr = dupCloexec(int(f)) }); err != nil {
		return -1, nil, fmt.Errorf("realtime: detach: %w", err)
	}
	if derr != nil {
		return -1, nil, fmt.Errorf("realtime: detach: %w", derr)
	}
	b, _ := c.br.Peek(c.br.Buffered())
	pending = bytes.Clone(b)
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
	c.nc.Close()
	return fd, pending, nil
}

// Send marshals v as JSON and sends it as one text message.
func (c *Client) Send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("realtime: send: %w", err)
	}
	return c.writeFrame(ctx, ws.NewTextFrame(b))
}

// SubscribePresence replaces the stream's presence subscription with users
// (at most MaxPresenceSub; an empty list unsubscribes from everyone). The
// server answers with one presence frame whose Users holds their statuses,
// then sends their changes.
func (c *Client) SubscribePresence(ctx context.Context, users []int64) error {
	if users == nil {
		users = []int64{}
	}
	return c.Send(ctx, struct {
		Type    string  `json:"type"`
		UserIDs []int64 `json:"user_ids"`
	}{"presence_sub", users})
}

// writeFrame masks and writes one frame; f's payload is modified.
func (c *Client) writeFrame(ctx context.Context, f ws.Frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	c.nc.SetWriteDeadline(dl)
	f = ws.MaskFrameInPlace(f)
	b, err := ws.CompileFrame(f)
	if err == nil {
		_, err = c.nc.Write(b)
	}
	if err != nil {
		return fmt.Errorf("realtime: write: %w", err)
	}
	return nil
}

// Close sends a normal close frame and closes the connection without
// waiting for the server's reply.
func (c *Client) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	werr := c.writeFrame(ctx, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")))
	c.wmu.Lock()
	c.closed = true
	c.wmu.Unlock()
	err := c.nc.Close()
	if errors.Is(werr, net.ErrClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
