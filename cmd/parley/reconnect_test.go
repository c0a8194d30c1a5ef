package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
)

// TestReconnectStreams cuts stream connections abruptly (RST from the
// client's side, no close frame) at random moments during steady traffic;
// each client resumes with since = the last seq it received. At the end
// every client must have received every message of its user's channels
// exactly once, in order, as the REST history has them.
func TestReconnectStreams(t *testing.T) {
	start := time.Now()
	seed := testSeed(t)
	rng := rand.New(rand.NewPCG(seed, 1))
	traffic := 4 * time.Second
	if testing.Short() {
		traffic = 1500 * time.Millisecond
	}
	fx := newFixture(t)
	l := newLedger()

	const nWatchers = 20
	ctx, cancel := context.WithCancel(context.Background())
	var wwg sync.WaitGroup
	stopWatchers := sync.OnceFunc(func() { cancel(); wwg.Wait() })
	var proxies []*cutProxy
	var watchers []*watcher
	for i := range nWatchers {
		p := newCutProxy(t, fx.srv.addr)
		w := newWatcher(fx, i%len(fx.users), p.URL())
		proxies = append(proxies, p)
		watchers = append(watchers, w)
	}
	t.Cleanup(stopWatchers) // before the proxies close (cleanups run last-in first-out)
	for _, w := range watchers {
		wwg.Add(1)
		go func() { defer wwg.Done(); w.run(ctx) }()
	}
	if !pollUntil(30*time.Second, func() bool {
		for _, w := range watchers {
			w.mu.Lock()
			ready := w.readyConns
			w.mu.Unlock()
			if ready == 0 {
				return false
			}
		}
		return true
	}) {
		t.Fatal("not every stream client reached ready within 30s")
	}

	stop := make(chan struct{})
	wait := runSenders(fx, l, "r", 4, rng.Uint64(), stop)
	cuts := 0
	cutterDone := make(chan struct{})
	go func() {
		defer close(cutterDone)
		for {
			// Random cut moments are the point of the test.
			select {
			case <-stop:
				return
			case <-time.After(time.Duration(5+rng.IntN(56)) * time.Millisecond):
			}
			cuts += proxies[rng.IntN(len(proxies))].cut()
		}
	}()
	time.Sleep(traffic) // steady traffic for a while
	close(stop)
	wait()
	<-cutterDone
	for _, p := range l.takeProblems() {
		t.Error(p)
	}
	if u := l.takeUnknown(); len(u) > 0 {
		t.Fatalf("%d sends failed without a crash, e.g. %s", len(u), u[0].clientID)
	}

	// A final marker per channel: received last, it shows the stream is
	// through every earlier message of the channel.
	for _, r := range fx.rooms {
		author := r.members[len(r.members)-1]
		s := send{user: author, channel: r.id, clientID: "marker-" + r.name, text: "end of traffic in " + r.name}
		if !l.post(context.Background(), fx.users[author].api, s) {
			t.Fatalf("marker in %s: outcome unknown", r.name)
		}
	}
	hist := verifyHistory(t, fx, l)
	waitCaughtUp(t, fx, hist, watchers, 30*time.Second)
	stopWatchers()

	connects := 0
	for _, w := range watchers {
		checkWatcher(t, fx, hist, w)
		connects += w.connects
	}
	// A cut can also hit a connection still in its handshake, so connections
	// need not exceed cuts; but cuts must have happened and been resumed.
	if cuts == 0 || connects <= nWatchers {
		t.Errorf("%d cuts and %d connections: want cuts, and reconnects after them", cuts, connects)
	}
	if line := fx.srv.logHas("panic:", "DATA RACE", "fatal error:"); line != "" {
		t.Errorf("server log: %s", line)
	}
	t.Logf("%d messages, %d stream clients, %d cuts, %d connections, %s",
		l.count(), nWatchers, cuts, connects, time.Since(start).Round(time.Millisecond))
}

// TestReconnectShutdownCloseCode checks that SIGTERM closes every connected
// stream with CloseGoingAway (reconnect), after delivering what was
// committed, and that the server then exits 0.
func TestReconnectShutdownCloseCode(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var clients []*realtime.Client
	for _, u := range fx.users {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+u.api.Token)
		c, err := realtime.Dial(ctx, fx.srv.URL()+"/api/v1/stream", h, -1)
		if err != nil {
			t.Fatalf("dial as %s: %v", u.name, err)
		}
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
		nextOfType(ctx, t, c, "ready")
	}
	// Live: a message in general reaches everyone.
	general := fx.rooms[0]
	msg, _, err := fx.users[0].api.Post(ctx, general.id, "before-shutdown", "shutting down soon")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		f := nextOfType(ctx, t, c, "message.posted")
		if f.Seq <= 0 || !jsonHasID(f.Data, msg.ID) {
			t.Errorf("want message.posted of message %d, got %s", msg.ID, f.Raw)
		}
	}

	fx.srv.signalTerm()
	for i, c := range clients {
		for {
			f, err := c.Next(ctx)
			if err == nil {
				if f.Seq > 0 {
					t.Errorf("%s: unexpected event during shutdown: %s", fx.users[i].name, f.Raw)
				}
				continue
			}
			var ce *realtime.CloseError
			if !errors.As(err, &ce) || ce.Code != realtime.CloseGoingAway {
				t.Errorf("%s: stream ended with %v, want close code %d (CloseGoingAway)", fx.users[i].name, err, realtime.CloseGoingAway)
			}
			break
		}
	}
	if code := fx.srv.waitExit(30 * time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0 within 30s", code)
	}
}

// nextOfType reads frames until one of type typ.
func nextOfType(ctx context.Context, t *testing.T, c *realtime.Client, typ string) realtime.Frame {
	t.Helper()
	for {
		f, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		if f.Type == typ {
			return f
		}
	}
}

// jsonHasID reports whether data is a message with the given id.
func jsonHasID(data []byte, id int64) bool {
	var m httpapi.Message
	return json.Unmarshal(data, &m) == nil && m.ID == id
}
