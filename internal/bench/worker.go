package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/realtime"
)

// A worker holds a share of the WebSocket clients, in its own process when
// file-descriptor limits require (`parley bench worker`) or in the
// coordinator's. It reads one JSON command per line and answers each with
// one JSON report line; both ends are in this file and driver.go.

// ClientSpec is one WebSocket client a worker connects.
type ClientSpec struct {
	User  int64           `json:"user"`
	Token string          `json:"token"`
	URL   string          `json:"url,omitempty"` // the node this client connects to; empty: the worker's URL
	Base  map[int64]int64 `json:"base"`          // channel id → last seq before the client connects
}

// Command is one request to a worker.
type Command struct {
	Op        string          `json:"op"` // connect, sync, drop, resume, chatter, profile, stop
	URL       string          `json:"url,omitempty"`
	Run       string          `json:"run,omitempty"`
	Clients   []ClientSpec    `json:"clients,omitempty"`
	Target    map[int64]int64 `json:"target,omitempty"` // channel id → last seq sent
	TimeoutMS int             `json:"timeout_ms,omitempty"`
	// chatter
	DurationMS   int     `json:"duration_ms,omitempty"`
	TypingShare  float64 `json:"typing_share,omitempty"` // clients that type once a second
	ToggleShare  float64 `json:"toggle_share,omitempty"` // clients that go away and back
	TypingPeriod int     `json:"typing_period_ms,omitempty"`
}

// Report is a worker's answer. Counters cover the window since the
// previous sync (or connect).
type Report struct {
	Op  string `json:"op"`
	Err string `json:"err,omitempty"`

	Clients       int     `json:"clients"`
	ConnectErrors int     `json:"connect_errors,omitempty"`
	DialRetries   int     `json:"dial_retries,omitempty"`
	ElapsedMS     float64 `json:"elapsed_ms,omitempty"`
	ReadyMS       float64 `json:"ready_ms,omitempty"` // resume: last client got "ready"

	Deliveries uint64     `json:"deliveries"`
	Dups       uint64     `json:"dups"`
	Gaps       uint64     `json:"gaps"`
	Behind     int64      `json:"behind"` // messages not received by the sync timeout
	Misrouted  uint64     `json:"misrouted"`
	Foreign    uint64     `json:"foreign"`   // message events without a bench client_id
	Conflicts  uint64     `json:"conflicts"` // one client_id seen with two (channel, seq)
	Closed     uint64     `json:"closed"`    // streams that ended unexpectedly
	Typing     uint64     `json:"typing"`    // typing frames received
	Presence   uint64     `json:"presence"`  // presence frames received
	Sent       uint64     `json:"sent"`      // chatter frames sent
	Latency    *Histogram `json:"latency"`   // send (scheduled) → deliver
	FirstNS    int64      `json:"first_ns"`  // first delivery of the window
	LastNS     int64      `json:"last_ns"`   // last delivery of the window
}

// RunWorker serves commands from in until "stop" or EOF, writing reports
// to out. Open connections are closed before it returns.
func RunWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	w := &worker{}
	defer w.stopPoll()
	defer w.closeAll()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var cmd Command
		if err := json.Unmarshal(sc.Bytes(), &cmd); err != nil {
			return fmt.Errorf("bench worker: bad command: %w", err)
		}
		rep := w.do(ctx, cmd)
		rep.Op = cmd.Op
		if err := enc.Encode(rep); err != nil {
			return err
		}
		if cmd.Op == "stop" {
			return nil
		}
	}
	return sc.Err()
}

type worker struct {
	url, run string
	clients  []*wclient
	pollMu   sync.Mutex
	poll     *poller // reads every client's socket (Linux); nil: a reader goroutine per client
	pollErr  error

	mu       sync.Mutex // guards the window fields below
	hist     *Histogram
	first    int64
	last     int64
	prev     Report // cumulative tracker counters at the previous report
	owners   map[uint64][2]int64
	conflict uint64

	foreign, misrouted, closed, typing, presence atomic.Uint64
}

type wclient struct {
	spec ClientSpec

	mu        sync.Mutex
	tr        *Tracker
	lastEvent int64
	conn      stream
	ready     chan struct{}
	done      chan struct{}
	dropping  bool
}

func (w *worker) do(ctx context.Context, cmd Command) Report {
	switch cmd.Op {
	case "connect":
		if w.url == "" {
			w.url, w.run = cmd.URL, cmd.Run
			w.hist = NewHistogram()
			w.owners = map[uint64][2]int64{}
		}
		return w.connect(ctx, cmd)
	case "sync":
		return w.sync(ctx, cmd)
	case "drop":
		start := time.Now()
		w.closeAll()
		return Report{Clients: len(w.clients), ElapsedMS: ms(time.Since(start))}
	case "resume":
		return w.resume(ctx, cmd)
	case "chatter":
		return w.chatter(ctx, cmd)
	case "profile":
		// Run is the path prefix: one file per worker process.
		path := fmt.Sprintf("%s-%d.pprof", cmd.Run, os.Getpid())
		if err := ProfileCPU(ctx, path, time.Duration(cmd.DurationMS)*time.Millisecond); err != nil {
			return Report{Err: err.Error()}
		}
		return Report{}
	case "stop":
		w.closeAll()
		return w.window()
	}
	return Report{Err: "unknown op " + cmd.Op}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (w *worker) connect(ctx context.Context, cmd Command) Report {
	start := time.Now()
	var added []*wclient
	for _, s := range cmd.Clients {
		c := &wclient{spec: s, tr: NewTracker(s.Base)}
		w.clients = append(w.clients, c)
		added = append(added, c)
	}
	errCount, retries := w.dialAll(ctx, added, 256, false)
	rep := w.waitReady(ctx, added, 3*time.Minute)
	rep.ConnectErrors += errCount
	rep.DialRetries = retries
	rep.Clients = len(w.clients)
	rep.ElapsedMS = ms(time.Since(start))
	return rep
}

// dialAll connects cs with at most par dials in flight (0: all at once),
// resuming from each client's last event when resume is set.
func (w *worker) dialAll(ctx context.Context, cs []*wclient, par int, resume bool) (errCount, retries int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var sem chan struct{}
	if par > 0 {
		sem = make(chan struct{}, par)
	}
	for _, c := range cs {
		wg.Add(1)
		if sem != nil {
			sem <- struct{}{}
		}
		go func() {
			defer wg.Done()
			if sem != nil {
				defer func() { <-sem }()
			}
			r, err := w.dial(ctx, c, resume)
			mu.Lock()
			retries += r
			if err != nil {
				errCount++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return errCount, retries
}

// dial connects one client, retrying refused or reset dials (a listen
// backlog overflowing in a reconnect storm) for up to 20 s.
func (w *worker) dial(ctx context.Context, c *wclient, resume bool) (retries int, err error) {
	h := http.Header{"Authorization": {"Bearer " + c.spec.Token}}
	since := int64(-1)
	c.mu.Lock()
	if resume {
		since = c.lastEvent
	}
	c.mu.Unlock()
	deadline := time.Now().Add(20 * time.Second)
	backoff := 50 * time.Millisecond
	for {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		base := w.url
		if c.spec.URL != "" {
			base = c.spec.URL
		}
		conn, err := realtime.Dial(dctx, base+"/api/v1/stream", h, since)
		cancel()
		if err == nil {
			c.mu.Lock()
			c.dropping = false
			c.ready, c.done = make(chan struct{}), make(chan struct{})
			ready, done := c.ready, c.done
			c.mu.Unlock()
			w.attach(ctx, c, conn, ready, done)
			return retries, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			close(c.readyOrNew())
			return retries, err
		}
		retries++
		time.Sleep(backoff + time.Duration(rand.Int64N(int64(backoff))))
		backoff = min(2*backoff, time.Second)
	}
}

// readyOrNew returns a ready channel to close for a client that failed to
// connect, so that waiters do not hang.
func (c *wclient) readyOrNew() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ready = make(chan struct{})
	return c.ready
}

func (w *worker) read(ctx context.Context, c *wclient, conn *realtime.Client, ready, done chan struct{}) {
	defer close(done)
	readyOnce := sync.OnceFunc(func() { close(ready) })
	defer readyOnce()
	for {
		p, err := conn.NextRaw(ctx)
		if err != nil {
			w.ended(ctx, c)
			return
		}
		w.handle(ctx, c, conn, p, readyOnce)
	}
}

// ended counts a stream that ended without the worker closing it.
func (w *worker) ended(ctx context.Context, c *wclient) {
	c.mu.Lock()
	expected := c.dropping
	c.mu.Unlock()
	if !expected && ctx.Err() == nil {
		w.closed.Add(1)
	}
}

// handle checks one data frame a client received.
func (w *worker) handle(ctx context.Context, c *wclient, conn stream, p []byte, readyOnce func()) {
	// Message events, nearly every frame, are split without a JSON
	// decoder: with 5,000 clients in one process the generator's cost per
	// frame competes with the server for the same cores.
	seq, typ, data, fast := splitEvent(p)
	if !fast {
		f, err := realtime.DecodeFrame(p)
		if err != nil {
			w.foreign.Add(1)
			return
		}
		seq, typ, data = f.Seq, f.Type, f.Data
	}
	switch typ {
	case "hello":
		c.mu.Lock()
		if c.lastEvent == 0 {
			c.lastEvent = seq
		}
		c.mu.Unlock()
	case "ready":
		readyOnce()
		// Like a client showing a sidebar of DMs: follow the presence of
		// the 20 users around this one.
		ids := make([]int64, 0, 20)
		for u := c.spec.User - 10; u <= c.spec.User+10 && len(ids) < 20; u++ {
			if u > 0 && u != c.spec.User {
				ids = append(ids, u)
			}
		}
		_ = conn.Send(ctx, map[string]any{"type": "presence_sub", "user_ids": ids})
	case "typing":
		w.typing.Add(1)
	case "presence":
		w.presence.Add(1)
	case "message.posted":
		now := time.Now()
		p, err := parsePosted(data)
		if err != nil {
			w.foreign.Add(1)
			return
		}
		n, sched, ok := ParseClientID(w.run, p.ClientID)
		if !ok {
			w.foreign.Add(1)
		}
		c.mu.Lock()
		if seq > c.lastEvent {
			c.lastEvent = seq
		}
		oerr := c.tr.Observe(p.Channel, p.Seq)
		c.mu.Unlock()
		if oerr != nil {
			w.misrouted.Add(1)
		}
		if ok {
			w.record(n, p, now.Sub(sched), now.UnixNano())
		}
	default:
		if seq > 0 {
			c.mu.Lock()
			c.lastEvent = max(c.lastEvent, seq)
			c.mu.Unlock()
		}
	}
}

// splitEvent reads an event frame as the server writes it,
// {"seq":N,"type":"T","data":{...}}, without decoding the data. ok is
// false for any other shape (hello, ready, typing, presence, or a frame
// written differently), which the caller decodes with encoding/json.
func splitEvent(p []byte) (seq int64, typ string, data []byte, ok bool) {
	rest, found := bytes.CutPrefix(p, []byte(`{"seq":`))
	if !found {
		return 0, "", nil, false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		seq = seq*10 + int64(rest[i]-'0')
		i++
	}
	if i == 0 || i > 18 {
		return 0, "", nil, false
	}
	if rest, found = bytes.CutPrefix(rest[i:], []byte(`,"type":"`)); !found {
		return 0, "", nil, false
	}
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return 0, "", nil, false
	}
	t := rest[:j]
	if rest, found = bytes.CutPrefix(rest[j+1:], []byte(`,"data":`)); !found || len(rest) < 3 || rest[0] != '{' ||
		rest[len(rest)-2] != '}' || rest[len(rest)-1] != '}' {
		return 0, "", nil, false
	}
	return seq, eventType(t), rest[:len(rest)-1], true
}

// eventType returns t as a string, without allocating for the common type.
func eventType(t []byte) string {
	if string(t) == "message.posted" {
		return "message.posted"
	}
	return string(t)
}

func (w *worker) record(n uint64, p posted, lat time.Duration, at int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hist.Record(lat)
	if w.first == 0 || at < w.first {
		w.first = at
	}
	if at > w.last {
		w.last = at
	}
	// A client_id must name one stored message: the same number at two
	// places means the server stored a send twice.
	if o, seen := w.owners[n]; !seen {
		w.owners[n] = [2]int64{p.Channel, p.Seq}
	} else if o != [2]int64{p.Channel, p.Seq} {
		w.conflict++
	}
}

// waitReady waits until every client in cs got "ready" (or failed).
func (w *worker) waitReady(ctx context.Context, cs []*wclient, timeout time.Duration) Report {
	var rep Report
	t := time.NewTimer(timeout)
	defer t.Stop()
	for _, c := range cs {
		c.mu.Lock()
		ready := c.ready
		c.mu.Unlock()
		select {
		case <-ready:
		case <-t.C:
			rep.Err = "timeout waiting for ready"
			return rep
		case <-ctx.Done():
			rep.Err = ctx.Err().Error()
			return rep
		}
	}
	return rep
}

// behind sums, over every client, the messages of target it still lacks.
func (w *worker) behind(target map[int64]int64) int64 {
	var n int64
	for _, c := range w.clients {
		c.mu.Lock()
		n += c.tr.Behind(target)
		c.mu.Unlock()
	}
	return n
}

// waitCaughtUp polls until no client lacks a message of target, or timeout.
func (w *worker) waitCaughtUp(ctx context.Context, target map[int64]int64, timeout time.Duration) int64 {
	deadline := time.Now().Add(timeout)
	for {
		b := w.behind(target)
		if b == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return b
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *worker) sync(ctx context.Context, cmd Command) Report {
	behind := w.waitCaughtUp(ctx, cmd.Target, time.Duration(cmd.TimeoutMS)*time.Millisecond)
	rep := w.window()
	rep.Behind = behind
	return rep
}

// window returns the counters since the previous window and starts a new one.
func (w *worker) window() Report {
	var cum Report
	for _, c := range w.clients {
		c.mu.Lock()
		cum.Deliveries += c.tr.Deliveries
		cum.Dups += c.tr.Dups
		cum.Gaps += c.tr.Gaps
		c.mu.Unlock()
	}
	cum.Foreign, cum.Misrouted, cum.Closed = w.foreign.Load(), w.misrouted.Load(), w.closed.Load()
	cum.Typing, cum.Presence = w.typing.Load(), w.presence.Load()
	w.mu.Lock()
	cum.Conflicts = w.conflict
	rep := Report{
		Clients:    len(w.clients),
		Deliveries: cum.Deliveries - w.prev.Deliveries,
		Dups:       cum.Dups - w.prev.Dups,
		Gaps:       cum.Gaps - w.prev.Gaps,
		Foreign:    cum.Foreign - w.prev.Foreign,
		Misrouted:  cum.Misrouted - w.prev.Misrouted,
		Closed:     cum.Closed - w.prev.Closed,
		Typing:     cum.Typing - w.prev.Typing,
		Presence:   cum.Presence - w.prev.Presence,
		Conflicts:  cum.Conflicts - w.prev.Conflicts,
		Latency:    w.hist,
		FirstNS:    w.first,
		LastNS:     w.last,
	}
	w.prev = cum
	w.hist = NewHistogram()
	w.first, w.last = 0, 0
	w.owners = map[uint64][2]int64{}
	w.mu.Unlock()
	return rep
}

func (w *worker) closeAll() {
	for _, c := range w.clients {
		c.mu.Lock()
		conn, done := c.conn, c.done
		c.conn, c.dropping = nil, true
		c.mu.Unlock()
		if conn != nil {
			conn.Close()
			<-done
		}
	}
}

// stream is a connected client's sending side: a *realtime.Client read by
// a goroutine, or a socket read by the worker's poller.
type stream interface {
	Send(ctx context.Context, v any) error
	Close() error
}

// resume reconnects every client at once with since = its last event and
// reports when all were ready and when all had every message of target.
func (w *worker) resume(ctx context.Context, cmd Command) Report {
	start := time.Now()
	var readyAt atomic.Int64
	errCount, retries := 0, 0
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		errCount, retries = w.dialAll(ctx, w.clients, 0, true)
	}()
	wg.Wait()
	rep := w.waitReady(ctx, w.clients, 3*time.Minute)
	readyAt.Store(int64(time.Since(start)))
	behind := w.waitCaughtUp(ctx, cmd.Target, time.Duration(cmd.TimeoutMS)*time.Millisecond)
	elapsed := time.Since(start)
	win := w.window()
	win.Err = rep.Err
	win.ConnectErrors, win.DialRetries = errCount, retries
	win.ReadyMS = ms(time.Duration(readyAt.Load()))
	win.ElapsedMS = ms(elapsed)
	win.Behind = behind
	return win
}

// chatter sends presence heartbeats (every client once, spread over the
// duration), away/online toggles from a share of clients, and typing
// notices once per period from another share, then reports what arrived.
func (w *worker) chatter(ctx context.Context, cmd Command) Report {
	d := time.Duration(cmd.DurationMS) * time.Millisecond
	period := time.Duration(cmd.TypingPeriod) * time.Millisecond
	if period <= 0 {
		period = time.Second
	}
	start := time.Now()
	var sent atomic.Uint64
	var errCount atomic.Int64
	var wg sync.WaitGroup
	r := rand.New(rand.NewPCG(uint64(len(w.clients)), 7))
	send := func(c *wclient, v any) {
		c.mu.Lock()
		conn := c.conn
		c.mu.Unlock()
		if conn == nil {
			return
		}
		if err := conn.Send(ctx, v); err != nil {
			errCount.Add(1)
			return
		}
		sent.Add(1)
	}
	// At least one client of each kind, so that small runs exercise both.
	typers := max(1, int(cmd.TypingShare*float64(len(w.clients))))
	togglers := max(1, int(cmd.ToggleShare*float64(len(w.clients))))
	for i, c := range w.clients {
		offset := time.Duration(r.Int64N(int64(d)))
		toggle := i%(len(w.clients)/togglers) == 0
		typing := (i+1)%(len(w.clients)/typers) == 0
		var typeIn int64
		for ch := range c.spec.Base {
			typeIn = ch
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(offset)
			send(c, map[string]string{"type": "presence", "status": "online"})
			if toggle {
				send(c, map[string]string{"type": "presence", "status": "away"})
				time.Sleep(d / 4)
				send(c, map[string]string{"type": "presence", "status": "online"})
			}
		}()
		if typing && typeIn != 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := offset % period; t < d; t += period {
					time.Sleep(time.Until(start.Add(t)))
					send(c, map[string]any{"type": "typing", "channel_id": typeIn})
				}
			}()
		}
	}
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // let the last frames arrive
	rep := w.window()
	rep.Sent = sent.Load()
	rep.ElapsedMS = ms(time.Since(start))
	if n := errCount.Load(); n > 0 {
		rep.Err = fmt.Sprintf("%d sends failed", n)
	}
	return rep
}

var errWorkerGone = errors.New("bench: worker exited")
