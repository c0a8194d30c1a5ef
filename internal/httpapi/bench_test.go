package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// BenchmarkPostHTTP measures durably acknowledged sends through the whole
// HTTP stack (authentication, strict decoding, the chat service, group
// commit, the response) with many concurrent clients on loopback. The
// clients run in the same process and share the two cores with the server.
func BenchmarkPostHTTP(b *testing.B) {
	env := servertest.Start(b)
	ctx := context.Background()
	var clients []*apiclient.Client
	var ids []int64
	for i := 0; i < 8; i++ {
		c, id := env.User("member")
		c.HTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
		clients = append(clients, c)
		ids = append(ids, id)
	}
	var channels []int64
	for i := 0; i < 4; i++ {
		ch, err := clients[0].CreateChannel(ctx, fmt.Sprintf("bench-%d", i), "public", ids)
		if err != nil {
			b.Fatal(err)
		}
		channels = append(channels, ch.ID)
	}
	var n atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			c := clients[int(i)%len(clients)]
			if _, _, err := c.Post(ctx, channels[int(i)%len(channels)], fmt.Sprintf("h-%d", i),
				"a message of about a hundred bytes, like most in a busy channel, sent through the REST API"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
