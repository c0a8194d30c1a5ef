package realtime

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/event"
)

// discardConn is a socket that accepts every write at once.
type discardConn struct{ net.Conn }

func (discardConn) Write(b []byte) (int, error)      { return len(b), nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
func (discardConn) SetReadDeadline(time.Time) error  { return nil }
func (discardConn) Close() error                     { return nil }

// BenchmarkDeliverFanout measures one message to a channel of n members,
// each with one live connection: routing, enqueueing, starting the writer
// goroutines and their (discarded) writes, until every writer is idle.
func BenchmarkDeliverFanout(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			h := NewHub(Config{QueueSize: 1 << 20}, nil, nil, nil)
			o := newOrgState(1)
			h.orgs[1] = o
			for i := range n {
				u := int64(i + 1)
				c := &conn{hub: h, p: Principal{Org: 1, User: u}, nc: discardConn{}}
				o.live[u] = append(o.live[u], c)
				for ch := int64(1); ch <= 10; ch++ { // members of 10 channels
					o.indexAdd(c, ch)
				}
			}
			frame := fmt.Appendf(nil, `{"seq":1,"type":"message.posted","data":{"text":"%s"}}`, strings.Repeat("x", 200))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.Deliver(event.Event{Org: 1, Seq: int64(i + 1), Channel: 1, Type: "message.posted", Frame: frame})
				h.wg.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/recipient")
		})
	}
}

// BenchmarkPresenceChange measures one presence change in an organisation
// of n live streams, each subscribed to 20 users: the cost follows the
// subject's subscribers (about 20), not n.
func BenchmarkPresenceChange(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			h := NewHub(Config{QueueSize: 1 << 20}, nil, nil, nil)
			o := newOrgState(1)
			h.orgs[1] = o
			rng := rand.New(rand.NewPCG(1, 2))
			for i := range n {
				u := int64(i + 1)
				c := &conn{hub: h, p: Principal{Org: 1, User: u}, nc: discardConn{}}
				o.live[u] = append(o.live[u], c)
				sub := make([]int64, 20)
				for j := range sub {
					sub[j] = 1 + rng.Int64N(int64(n))
				}
				slices.Sort(sub)
				o.setPresenceSub(c, slices.Compact(sub))
			}
			statuses := []string{StatusOnline, StatusAway}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				u := int64(i%n + 1)
				h.Deliver(event.Event{Org: 1, Type: "presence", Frame: presenceJSON(u, statuses[i/n%2])})
				h.wg.Wait()
			}
			b.ReportMetric(float64(h.presenceFrames.Load())/float64(b.N), "frames/op")
		})
	}
}

// TestIdleConnMemory measures the server's heap and stack per idle stream
// with real loopback connections. The clients run in a child process so
// that only the server's memory is counted. It reports; it does not assert
// a figure, which depends on the machine.
func TestIdleConnMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("opens thousands of sockets")
	}
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("PARLEY_MEM_CONNS")); err == nil {
		n = v
	}
	l := newMemLog()
	for ch := int64(1); ch <= 10; ch++ { // every user is in 10 channels
		l.members[ch] = map[int64]bool{}
		for u := int64(1); u <= int64(n); u++ {
			l.members[ch][u] = true
		}
	}
	hub := NewHub(Config{}, l.source(), l, nil)
	go l.dispatch(hub)
	var next sync.Mutex
	user := int64(0)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.Lock()
		user++
		u := user
		next.Unlock()
		hub.ServeStream(w, r, Principal{Org: 1, User: u})
	}))
	defer srv.Close()

	before := measure()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemClientHelper$")
	cmd.Env = append(os.Environ(), "PARLEY_MEM_CLIENT="+srv.URL, "PARLEY_MEM_CONNS="+strconv.Itoa(n))
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	ready := false
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "ready") {
			ready = true
			break
		}
		t.Log("child:", sc.Text())
	}
	if !ready {
		cmd.Wait()
		t.Fatal("client process did not connect")
	}
	if got := hub.ConnCount(); got != n {
		t.Fatalf("ConnCount = %d, want %d", got, n)
	}
	after := measure()
	per := func(a, b uint64) float64 { return float64(int64(a)-int64(b)) / float64(n) / 1024 }
	t.Logf("%d idle streams: heap %.2f KiB + stack %.2f KiB = %.2f KiB per connection; %.2f goroutines per connection; RSS delta %.2f KiB per connection",
		n, per(after.heap, before.heap), per(after.stack, before.stack),
		per(after.heap+after.stack, before.heap+before.stack),
		float64(after.goroutines-before.goroutines)/float64(n), per(after.rss, before.rss))
	if kib := per(after.heap+after.stack, before.heap+before.stack); kib > 16 {
		t.Errorf("%.2f KiB per idle connection, budget 16 KiB", kib)
	}
	stdin.Close()
	cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	close(l.queue)
}

type memSample struct {
	heap, stack, rss uint64
	goroutines       int
}

func measure() memSample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := memSample{heap: ms.HeapInuse, stack: ms.StackInuse, goroutines: runtime.NumGoroutine()}
	if b, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			s.rss = pages * uint64(os.Getpagesize())
		}
	}
	return s
}

// TestMemClientHelper is the client side of TestIdleConnMemory, run in a
// child process: it opens the streams, reads up to ready, prints "ready"
// and holds them until stdin closes.
func TestMemClientHelper(t *testing.T) {
	url := os.Getenv("PARLEY_MEM_CLIENT")
	if url == "" {
		t.Skip("helper process for TestIdleConnMemory")
	}
	n, _ := strconv.Atoi(os.Getenv("PARLEY_MEM_CONNS"))
	clients := make([]*Client, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				c, err := Dial(ctx, url, nil, -1)
				if err == nil {
					for {
						var f Frame
						f, err = c.Next(ctx)
						if err != nil || f.Type == "ready" {
							break
						}
					}
				}
				cancel()
				if err != nil {
					errc <- err
					return
				}
				clients[i] = c
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errc:
		fmt.Println("error:", err)
		os.Exit(1)
	default:
	}
	fmt.Println("ready")
	buf := make([]byte, 1)
	os.Stdin.Read(buf) // until the parent closes stdin
	for _, c := range clients {
		c.Close()
	}
}
