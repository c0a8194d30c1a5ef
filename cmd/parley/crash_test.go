package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
)

// crashCycles is how many kill/restart cycles TestCrash runs: 20, 3 with
// -short, or PARLEY_CRASH_CYCLES.
func crashCycles(t *testing.T) int {
	if v := os.Getenv("PARLEY_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("PARLEY_CRASH_CYCLES=%q: want a positive integer", v)
		}
		return n
	}
	if testing.Short() {
		return 3
	}
	return 20
}

// testSeed is PARLEY_TEST_SEED or the clock; it is logged so that a failing
// run's random choices (channels, kill delays) can be repeated.
func testSeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("PARLEY_TEST_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("PARLEY_TEST_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("random seed %d (set PARLEY_TEST_SEED to repeat)", seed)
	return seed
}

// runSenders starts n goroutines that send messages as fast as they can as
// users u1..u6 into random channels of theirs, each with a unique client_id
// tagged with tag, until stop is closed or a send's outcome is unknown (the
// server went away). It returns a function that waits for them.
func runSenders(fx *fixture, l *ledger, tag string, n int, seed uint64, stop <-chan struct{}) (wait func()) {
	var wg sync.WaitGroup
	for g := range n {
		user := g%6 + 1
		rooms := fx.roomsOf(user)
		api := fx.users[user].api
		rng := rand.New(rand.NewPCG(seed, uint64(g)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := rooms[rng.IntN(len(rooms))]
				cid := fmt.Sprintf("%s-g%d-%d", tag, g, i)
				s := send{user: user, channel: r.id, clientID: cid,
					text: fmt.Sprintf("%s says %d in %s — 消息 %s", fx.users[user].name, i, r.name, cid)}
				if !l.post(context.Background(), api, s) {
					return
				}
			}
		}()
	}
	return wg.Wait
}

// TestCrashDeliveryGuarantee proves the delivery guarantee with real
// processes: clients send as fast as they can, the server is SIGKILLed at a
// random moment and restarted on the same data directory, and then every
// acknowledged message must be in the history exactly once, with channel
// seqs 1..N without gaps, unknown-outcome sends must resolve to exactly one
// message when retried with the same client_id, and stream clients resuming
// with since must have received every message exactly once, in order. The
// last cycle stops the server with SIGTERM under load instead, which must
// exit 0 and lose nothing either.
func TestCrashDeliveryGuarantee(t *testing.T) {
	start := time.Now()
	cycles := crashCycles(t)
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 0))
	fx := newFixture(t)
	l := newLedger()

	ctx, cancel := context.WithCancel(context.Background())
	var wwg sync.WaitGroup
	stopWatchers := sync.OnceFunc(func() { cancel(); wwg.Wait() })
	t.Cleanup(stopWatchers)
	var watchers []*watcher
	for _, u := range []int{0, 1, 5} { // owner, u1 (with the DM) and u5 (with the group DM)
		w := newWatcher(fx, u, fx.srv.URL())
		watchers = append(watchers, w)
		wwg.Add(1)
		go func() { defer wwg.Done(); w.run(ctx) }()
	}

	const senders = 8
	totalUnknown, totalCommitted := 0, 0
	var hist map[int64][]httpapi.Message
	for cycle := 1; cycle <= cycles; cycle++ {
		graceful := cycle == cycles && cycles > 1
		before := l.count()
		stop := make(chan struct{})
		wait := runSenders(fx, l, "c"+strconv.Itoa(cycle), senders, rng.Uint64(), stop)
		delay := time.Duration(50+rng.IntN(351)) * time.Millisecond
		time.Sleep(delay) // the random crash moment is what this test is about
		if graceful {
			fx.srv.signalTerm()
			if code := fx.srv.waitExit(30 * time.Second); code != 0 {
				t.Errorf("cycle %d: SIGTERM under load: exit code %d, want 0 within 30s", cycle, code)
			}
		} else {
			fx.srv.kill()
		}
		close(stop)
		wait()

		fx.srv.start()
		fx.tr.CloseIdleConnections()
		unknown, committed := resolveUnknown(t, fx, l)
		totalUnknown += unknown
		totalCommitted += committed
		for _, p := range l.takeProblems() {
			t.Errorf("cycle %d: %s", cycle, p)
		}
		how := "SIGKILL"
		if graceful {
			how = "SIGTERM"
		}
		t.Logf("cycle %2d: %s after %3dms: %4d acknowledged (%5d in all), %d unknown of which %d had been committed",
			cycle, how, delay.Milliseconds(), l.count()-before, l.count(), unknown, committed)
		reconfirm(t, fx, l, rng)
		hist = verifyHistory(t, fx, l)

		waitCaughtUp(t, fx, hist, watchers, 30*time.Second)
		for _, w := range watchers {
			checkWatcher(t, fx, hist, w)
		}
		if t.Failed() {
			t.Fatalf("cycle %d failed; stopping", cycle)
		}
	}

	// Graceful shutdown with streams connected: exit 0, and the streams are
	// told to reconnect.
	fx.srv.signalTerm()
	if code := fx.srv.waitExit(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit code %d, want 0 within 30s", code)
	}
	stopWatchers()
	for _, w := range watchers {
		checkWatcher(t, fx, hist, w)
		w.mu.Lock()
		t.Logf("%s: %d connections, %d message.posted, close codes %v", w.name, w.connects, len(w.got), w.closeCodes)
		if w.closeCodes[realtime.CloseGoingAway] == 0 {
			t.Errorf("%s: never received close code %d (CloseGoingAway) on SIGTERM", w.name, realtime.CloseGoingAway)
		}
		w.mu.Unlock()
	}
	if line := fx.srv.logHas("panic:", "DATA RACE", "fatal error:"); line != "" {
		t.Errorf("server log: %s", line)
	}
	t.Logf("%d cycles, %d messages acknowledged, %d unknown outcomes (%d had been committed), %s",
		cycles, l.count(), totalUnknown, totalCommitted, time.Since(start).Round(time.Millisecond))
}

// reconfirm re-sends a few acknowledged messages with their client_id: the
// server must answer 200 with the original message.
func reconfirm(t *testing.T, fx *fixture, l *ledger, rng *rand.Rand) {
	t.Helper()
	l.mu.Lock()
	var sample []send
	for _, s := range l.acked { // map order is random enough; rng picks how many
		if len(sample) >= 3+rng.IntN(3) {
			break
		}
		sample = append(sample, s)
	}
	l.mu.Unlock()
	for _, s := range sample {
		msg, created, err := fx.users[s.user].api.Post(context.Background(), s.channel, s.clientID, s.text)
		if err != nil || created || msg.ID != s.id || msg.Seq != s.seq {
			t.Errorf("DELIVERY BUG: re-sending acknowledged %s: created=%v id=%d seq=%d err=%v, want 200 with id=%d seq=%d",
				s.clientID, created, msg.ID, msg.Seq, err, s.id, s.seq)
		}
	}
}
