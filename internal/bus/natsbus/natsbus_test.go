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
