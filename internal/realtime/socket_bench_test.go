//go:build unix

package realtime

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/event"
)

// cpuTime is the CPU time (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDeliverSocket measures the write path with real loopback TCP
// sockets: one message to a channel of n members, each with a live
// connection whose client end is drained by a goroutine of this process
// (both sides of the socket are in the figure, as both share the machine in
// the harness too). Each message is written out before the next is
// delivered, so that frames are not coalesced into one write, which at a
// few frames a second per client does not happen in practice either. The
// figure is CPU time per delivery.
func BenchmarkDeliverSocket(b *testing.B) {
	for _, n := range []int{40, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			frame := fmt.Appendf(nil, `{"seq":1,"type":"message.posted","data":{"text":"%s"}}`, strings.Repeat("x", 400))
			wire := textFrame(frame)
			h := NewHub(Config{QueueSize: 1 << 20}, nil, nil, nil)
			o := newOrgState(1)
			h.orgs[1] = o
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			var drained sync.WaitGroup
			want := b.N * len(wire)
			var clients []net.Conn
			for i := range n {
				cc, err := net.Dial("tcp", l.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				sc, err := l.Accept()
				if err != nil {
					b.Fatal(err)
				}
				clients = append(clients, cc, sc)
				u := int64(i + 1)
				c := &conn{hub: h, p: Principal{Org: 1, User: u}, nc: sc}
				o.live[u] = append(o.live[u], c)
				o.indexAdd(c, 1)
				drained.Add(1)
				go func() {
					defer drained.Done()
					buf := make([]byte, 64<<10)
					for got := 0; got < want; {
						k, err := cc.Read(buf)
						if err != nil {
							return
						}
						got += k
					}
				}()
			}
			defer func() {
				for _, c := range clients {
					c.Close()
				}
			}()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.Deliver(event.Event{Org: 1, Seq: int64(i + 1), Channel: 1, Type: "message.posted", Frame: frame})
				// One frame per write, as in the harness (each client
				// gets a few frames a second): no writer may batch the
				// next message's frames with this one's.
				h.wg.Wait()
			}
			drained.Wait()
			b.StopTimer()
			// CPU time rather than wall time: other tenants of a shared
			// machine lengthen the latter, not the former.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/float64(n), "cpu-ns/delivery")
		})
	}
}
