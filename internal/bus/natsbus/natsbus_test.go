package natsbus

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/bus/bustest"
	"github.com/parley-chat/parley/internal/event"
)

// natsServer is a real nats-server process on a loopback port.
type natsServer struct {
	bin  string
	port int
	cmd  *exec.Cmd
}

// startNATS starts the binary named by PARLEY_TEST_NATS_SERVER (`make
// test-nats` installs it and sets the variable). Without the variable the
// NATS tests are skipped, so a plain `go test ./...` needs no download; with
// it set and the binary missing they fail.
func startNATS(tb testing.TB) *natsServer {
	tb.Helper()
	bin := os.Getenv("PARLEY_TEST_NATS_SERVER")
	if bin == "" {
		tb.Skip("PARLEY_TEST_NATS_SERVER is not set: run `make test-nats` for the NATS bus tests")
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("PARLEY_TEST_NATS_SERVER=%s: %v (scripts/ensure-nats-server.sh installs it)", bin, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &natsServer{bin: bin, port: port}
	s.start(tb)
	tb.Cleanup(s.stop)
	return s
}

func (s *natsServer) url() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

func (s *natsServer) start(tb testing.TB) {
	tb.Helper()
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port))
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start nats-server: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("nats-server did not listen on %d: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server abruptly, as a crash would.
func (s *natsServer) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

func newNode(tb testing.TB, srv *natsServer, o Options) *Bus {
	tb.Helper()
	o.URL = srv.url()
	if o.Name == "" {
		o.Name = tb.Name()
	}
	b, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close) // for nodes a test never runs
	return b
}

func TestConformance(t *testing.T) {
	srv := startNATS(t)
	prefixes := map[string]string{}
	bustest.Run(t, bustest.Backend{Cluster: true, New: func(tb testing.TB) bustest.Bus {
		// A prefix per test keeps one test's traffic out of the next; the
		// nodes of one test share it.
		p, ok := prefixes[tb.Name()]
		if !ok {
			p = fmt.Sprintf("t%d", len(prefixes))
			prefixes[tb.Name()] = p
		}
		return newNode(tb, srv, Options{Prefix: p})
	}})
}

func TestNewFailsWithoutServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := New(Options{URL: "nats://" + addr}); err == nil {
		t.Fatal("New succeeded with no NATS server")
	}
}

// gapLog records reported gaps.
type gapLog struct {
	mu   sync.Mutex
	gaps []bus.Gap
}

func (g *gapLog) add(x bus.Gap) { g.mu.Lock(); g.gaps = append(g.gaps, x); g.mu.Unlock() }
func (g *gapLog) get() []bus.Gap {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]bus.Gap(nil), g.gaps...)
}

// The NATS server dies mid-stream and comes back: both nodes reconnect,
// later events flow again, the receiver is told it was cut off, and every
// committed event is either delivered in order or inside a reported gap.
func TestServerRestartMidStream(t *testing.T) {
	t.Run("Buffered", func(t *testing.T) { testRestart(t, 0) })
	// Without a reconnect buffer the outage's events are lost for sure, so
	// the receiver must report them as a seq gap.
	t.Run("Unbuffered", func(t *testing.T) { testRestart(t, -1) })
}

func testRestart(t *testing.T, reconnectBuf int) {
	srv := startNATS(t)
	var gaps gapLog
	pub := newNode(t, srv, Options{ReconnectWait: 50 * time.Millisecond, ReconnectBufSize: reconnectBuf})
	sub := newNode(t, srv, Options{ReconnectWait: 50 * time.Millisecond, GapWait: 200 * time.Millisecond, OnGap: gaps.add})
	var mu sync.Mutex
	var got []int64
	arrived := make(chan struct{}, 1)
	sub.Subscribe(func(ev event.Event) {
		mu.Lock()
		got = append(got, ev.Seq)
		mu.Unlock()
		select {
		case arrived <- struct{}{}:
		default:
		}
	})
	for _, n := range []*Bus{pub, sub} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { n.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	last := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 0 {
			return 0
		}
		return got[len(got)-1]
	}
	seq := int64(0)
	publish := func(n int) {
		for range n {
			seq++
			pub.PublishCommitted([]event.Event{{Org: 1, Seq: seq, Frame: []byte("x")}})
		}
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("waiting for %s", what)
			}
			select {
			case <-arrived:
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	publish(100)
	waitFor("the first 100 events", func() bool { return last() == 100 })

	srv.stop()
	publish(50) // into the outage: buffered by nats.go or lost
	srv.start(t)
	waitFor("both nodes to reconnect", func() bool { return pub.nc.IsConnected() && sub.nc.IsConnected() })
	// Events published before the subscriber's subscription is back may be
	// lost; keep publishing until they flow again.
	waitFor("delivery to resume", func() bool {
		if last() != seq {
			publish(1)
			time.Sleep(10 * time.Millisecond)
		}
		return last() == seq
	})
	end := seq

	mu.Lock()
	defer mu.Unlock()
	missed := map[int64]bool{}
	for _, g := range gaps.get() {
		if g.Org == 0 {
			continue
		}
		for s := g.From; s <= g.To; s++ {
			missed[s] = true
		}
	}
	i := 0
	for s := int64(1); s <= end; s++ {
		switch {
		case i < len(got) && got[i] == s:
			i++
		case missed[s]:
		default:
			t.Fatalf("seq %d neither delivered in order nor reported missing (delivered %v)", s, got)
		}
	}
	if i != len(got) {
		t.Fatalf("delivered more or out of order: %v", got)
	}
	reconnect := false
	for _, g := range gaps.get() {
		reconnect = reconnect || g == bus.Gap{}
	}
	if !reconnect {
		t.Fatal("the subscriber was not told about its disconnection")
	}
	if reconnectBuf < 0 {
		for s := int64(101); s <= 150; s++ {
			if !missed[s] {
				t.Fatalf("seq %d, published during the outage without a buffer, not reported missing: gaps %v", s, gaps.get())
			}
		}
	}
	t.Logf("delivered %d of %d, gaps %v", len(got), end, gaps.get())
}

// memLog is an in-memory event log standing in for the store: a test
// "commits" an event by appending it before publishing it.
type memLog struct {
	mu  sync.Mutex
	evs map[int64][]event.Event // org → events, seq 1..n
}

func (l *memLog) commit(ev event.Event) event.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.evs == nil {
		l.evs = map[int64][]event.Event{}
	}
	ev.Seq = int64(len(l.evs[ev.Org]) + 1)
	l.evs[ev.Org] = append(l.evs[ev.Org], ev)
	return ev
}

func (l *memLog) LatestSeqs(context.Context) (map[int64]int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int64]int64{}
	for org, evs := range l.evs {
		out[org] = int64(len(evs))
	}
	return out, nil
}

func (l *memLog) OrgEventsSince(_ context.Context, org, after int64, limit int) ([]event.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.evs[org]
	if after > int64(len(evs)) {
		return nil, fmt.Errorf("after %d is ahead of the log", after)
	}
	evs = evs[after:]
	if len(evs) > limit {
		evs = evs[:limit]
	}
	return append([]event.Event(nil), evs...), nil
}

// recorder collects what a node delivers.
type recorder struct {
	mu  sync.Mutex
	got map[int64][]int64 // org → seqs
}

func (r *recorder) add(ev event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.got == nil {
		r.got = map[int64][]int64{}
	}
	r.got[ev.Org] = append(r.got[ev.Org], ev.Seq)
}

// complete reports whether org's seqs 1..n were delivered.
func (r *recorder) complete(org int64, n int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got[org]) >= n
}

// check fails unless org's deliveries are exactly 1..n in order.
func (r *recorder) check(tb testing.TB, org int64, n int) {
	tb.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got[org]
	for i, s := range got {
		if s != int64(i+1) {
			tb.Fatalf("org %d: delivered %v: seq %d at position %d", org, got, s, i+1)
		}
	}
	if len(got) != n {
		tb.Fatalf("org %d: delivered %d events, want %d", org, len(got), n)
	}
}

func runNode(t *testing.T, n *Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
	}
}

// With the event log behind it, a node delivers every committed event
// exactly once and in order whatever NATS lost: an event lost in the middle
// (filled when the gap is overdue), events lost at the end with nothing
// after them (found by the periodic check), and a whole outage of the NATS
// server with nothing published after it (filled on reconnection). No gap
// is left for the realtime side.
func TestFillsGapsFromTheLog(t *testing.T) {
	srv := startNATS(t)
	var log memLog
	var gaps gapLog
	pub := newNode(t, srv, Options{ReconnectWait: 50 * time.Millisecond, ReconnectBufSize: -1})
	sub := newNode(t, srv, Options{ReconnectWait: 50 * time.Millisecond, GapWait: 100 * time.Millisecond,
		CheckInterval: 100 * time.Millisecond, History: &log, OnGap: gaps.add})
	var rec recorder
	sub.Subscribe(rec.add)
	runNode(t, pub)
	runNode(t, sub)
	send := func(org int64, lost bool) {
		ev := log.commit(event.Event{Org: org, Type: "t", Frame: []byte("x")})
		if !lost {
			pub.PublishCommitted([]event.Event{ev})
		}
	}
	// Org 1: seq 3 never reaches NATS; org 2: its last two never do.
	for i := 1; i <= 6; i++ {
		send(1, i == 3)
		send(2, i >= 5)
	}
	waitUntil(t, "the lost events to be filled", func() bool { return rec.complete(1, 6) && rec.complete(2, 6) })
	rec.check(t, 1, 6)
	rec.check(t, 2, 6)

	srv.stop()
	for range 20 {
		send(1, false) // lost: no reconnect buffer
	}
	srv.start(t)
	waitUntil(t, "the outage to be filled", func() bool { return rec.complete(1, 26) })
	for range 5 {
		send(1, false)
		send(3, false) // an organisation created after the node started
	}
	waitUntil(t, "later events", func() bool { return rec.complete(1, 31) && rec.complete(3, 5) })
	rec.check(t, 1, 31)
	rec.check(t, 2, 6)
	rec.check(t, 3, 5)
	if g := gaps.get(); len(g) != 0 {
		t.Fatalf("gaps left to the realtime side: %v", g)
	}
}
