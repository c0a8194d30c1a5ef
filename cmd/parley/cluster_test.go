package main

// Helpers for the cluster fault tests: several `parley serve` processes on
// one PostgreSQL database (a new database on the throwaway server of
// scripts/test-postgres.sh) and real nats-server processes, alone or as a
// cluster, all on loopback.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// natsProc is one nats-server process, restartable on the same ports.
type natsProc struct {
	tb          testing.TB
	bin         string
	name        string
	port, cport int      // client and cluster ports
	routes      []string // the other servers' cluster URLs
	logPath     string

	cmd    *exec.Cmd
	exited chan struct{}
}

// natsBinary returns PARLEY_TEST_NATS_SERVER; without it the cluster tests
// are skipped (`make test-go` installs nats-server and sets it), with it
// set and the binary missing they fail.
func natsBinary(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv("PARLEY_TEST_NATS_SERVER")
	if bin == "" {
		tb.Skip("PARLEY_TEST_NATS_SERVER is not set: `make test-go` runs the cluster tests")
	}
	if _, err := os.Stat(bin); err != nil {
		tb.Fatalf("PARLEY_TEST_NATS_SERVER=%s: %v (scripts/ensure-nats-server.sh installs it)", bin, err)
	}
	return bin
}

func freePort(tb testing.TB) int {
	tb.Helper()
	_, p, _ := net.SplitHostPort(freeAddr(tb))
	n, _ := strconv.Atoi(p)
	return n
}

// startNATS starts n nats-server processes; with n > 1 they form a cluster
// (full mesh of routes). It returns them once every one accepts clients.
func startNATS(tb testing.TB, n int) []*natsProc {
	tb.Helper()
	bin := natsBinary(tb)
	ps := make([]*natsProc, n)
	for i := range ps {
		ps[i] = &natsProc{tb: tb, bin: bin, name: fmt.Sprintf("nats%d", i), port: freePort(tb),
			logPath: filepath.Join(tb.TempDir(), "nats.log")}
		if n > 1 {
			ps[i].cport = freePort(tb)
		}
	}
	for i, p := range ps {
		for j, q := range ps {
			if i != j {
				p.routes = append(p.routes, "nats://127.0.0.1:"+strconv.Itoa(q.cport))
			}
		}
	}
	for _, p := range ps {
		tb.Cleanup(func() {
			p.kill()
			if tb.Failed() {
				b, _ := os.ReadFile(p.logPath)
				tb.Logf("%s log:\n%s", p.name, tailLines(string(b), 40))
			}
		})
		p.start()
	}
	return ps
}

// natsURLs is the comma-separated client URLs of servers, for --nats.
func natsURLs(ps ...*natsProc) string {
	var urls []string
	for _, p := range ps {
		urls = append(urls, p.url())
	}
	return strings.Join(urls, ",")
}

func (p *natsProc) url() string { return "nats://127.0.0.1:" + strconv.Itoa(p.port) }

func (p *natsProc) start() {
	p.tb.Helper()
	args := []string{"-a", "127.0.0.1", "-p", strconv.Itoa(p.port), "-n", p.name}
	if p.cport != 0 {
		args = append(args, "--cluster_name", "parley", "--cluster", "nats://127.0.0.1:"+strconv.Itoa(p.cport),
			"--routes", strings.Join(p.routes, ","))
	}
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.tb.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(p.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		p.tb.Fatalf("start nats-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	p.cmd, p.exited = cmd, exited
	if !pollUntil(10*time.Second, func() bool {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)))
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		p.tb.Fatalf("%s did not listen on %d", p.name, p.port)
	}
}

// kill stops the server abruptly, as a crash would.
func (p *natsProc) kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// cluster is an organisation (the fixture's) served by several parley
// nodes on one PostgreSQL database.
type cluster struct {
	*fixture
	database string
	keyFile  string // the --secret-key-file every node shares
	nodes    []*proc
}

// newCluster bootstraps the fixture's organisation on a new PostgreSQL
// database and starts one node per NATS URL list in nats (each node's
// --nats); extra flags go to every node.
func newCluster(tb testing.TB, nats []string, extra ...string) *cluster {
	tb.Helper()
	natsBinary(tb) // skip before creating anything when NATS is not available
	db := storetest.Postgres(tb).Database
	dir := filepath.Join(tb.TempDir(), "boot")
	bootstrap(tb, "--data", dir, "--database", db)
	c := &cluster{database: db, keyFile: newKeyFile(tb)}
	for i, urls := range nats {
		args := append([]string{"--database", db, "--nats", urls, "--secret-key-file", c.keyFile}, extra...)
		n := newServer(tb, filepath.Join(tb.TempDir(), "node"+strconv.Itoa(i)), args...)
		n.start()
		c.nodes = append(c.nodes, n)
	}
	c.fixture = setupFixture(tb, c.nodes[0])
	return c
}

// newKeyFile writes a new secret key file with the CLI.
func newKeyFile(tb testing.TB) string {
	tb.Helper()
	f := filepath.Join(tb.TempDir(), "secret.key")
	if code, out := runBinary(tb, "admin", "new-secret-key", f); code != 0 {
		tb.Fatalf("admin new-secret-key: exit %d\n%s", code, out)
	}
	return f
}

// bases returns the nodes' base URLs starting with node first: the order a
// client tries them in.
func (c *cluster) bases(first int) []string {
	var out []string
	for i := range c.nodes {
		out = append(out, c.nodes[(first+i)%len(c.nodes)].URL())
	}
	return out
}

// watch starts a watcher per (user, node) pair following the stream on that
// node first and failing over to the others; stop waits for them.
func (c *cluster) watch(tb testing.TB, pairs [][2]int) (ws []*watcher, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, p := range pairs {
		w := newWatcher(c.fixture, p[0], c.nodes[p[1]].URL())
		for _, b := range c.bases(p[1])[1:] {
			w.urls = append(w.urls, b+"/api/v1/stream")
		}
		ws = append(ws, w)
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx) }()
	}
	stop = sync.OnceFunc(func() { cancel(); wg.Wait() })
	tb.Cleanup(stop)
	if !pollUntil(30*time.Second, func() bool {
		for _, w := range ws {
			w.mu.Lock()
			ready := w.readyConns
			w.mu.Unlock()
			if ready == 0 {
				return false
			}
		}
		return true
	}) {
		tb.Fatal("watchers not live within 30s")
	}
	return ws, stop
}

// retryStats counts what senders saw on the way to their acknowledgements.
type retryStats struct {
	mu          sync.Mutex
	retries     int            // sends repeated after an unknown outcome
	unavailable int            // 503 answers
	codes       map[string]int // error codes of the 5xx answers
	problems    []string
}

func (r *retryStats) problem(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.problems) < 20 {
		r.problems = append(r.problems, fmt.Sprintf(format, args...))
	}
}

// sendUntilAcked sends s through the clients' nodes in turn until one
// acknowledges it: a transport error or a 5xx leaves the outcome unknown, so
// the same client_id is sent again (to the next node after a transport
// error), which must yield exactly one message. A 503 must carry a stable
// code ("unavailable") and Retry-After. It gives up when stop closes and reports whether s
// was acknowledged.
func sendUntilAcked(l *ledger, st *retryStats, apis []*apiclient.Client, cur *int, s send, stop <-chan struct{}) bool {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			st.mu.Lock()
			st.retries++
			st.mu.Unlock()
			select {
			case <-stop:
				l.mu.Lock()
				l.unknown = append(l.unknown, s)
				l.mu.Unlock()
				return false
			case <-time.After(10 * time.Millisecond): // back off; not synchronisation
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		msg, created, err := apis[*cur].Post(ctx, s.channel, s.clientID, s.text)
		cancel()
		if err == nil {
			if !created && attempt == 0 {
				l.problem("send %s: fresh client_id answered 200 (existing message %d) instead of 201", s.clientID, msg.ID)
			}
			l.ack(s, msg)
			return true
		}
		var ae *apiclient.Error
		switch {
		case errors.As(err, &ae) && ae.Status < 500:
			l.problem("send %s: refused: %v", s.clientID, err)
			return true
		case errors.As(err, &ae):
			st.mu.Lock()
			if st.codes == nil {
				st.codes = map[string]int{}
			}
			st.codes[ae.Code]++
			if ae.Status == http.StatusServiceUnavailable {
				st.unavailable++
			}
			st.mu.Unlock()
			if ae.Status != http.StatusServiceUnavailable || (ae.Code != "unavailable" && ae.Code != "shutting_down") || ae.RetryAfter == "" {
				st.problem("send %s: %d %q with Retry-After %q: want 503 unavailable (or shutting_down) and Retry-After",
					s.clientID, ae.Status, ae.Code, ae.RetryAfter)
			}
		default:
			*cur = (*cur + 1) % len(apis) // the node is gone: reconnect to another
		}
	}
}

// runClusterSenders starts n goroutines sending as users u1..u6 into random
// channels of theirs, sender g starting on node g mod len(nodes), each send
// retried until acknowledged, until stop closes. The returned function
// waits for them.
func runClusterSenders(c *cluster, l *ledger, st *retryStats, tag string, n int, seed uint64, stop <-chan struct{}) (wait func()) {
	var wg sync.WaitGroup
	for g := range n {
		user := g%6 + 1
		rooms := c.roomsOf(user)
		var apis []*apiclient.Client
		for _, b := range c.bases(g % len(c.nodes)) {
			api := *c.users[user].api
			api.Base = b
			apis = append(apis, &api)
		}
		rng := rand.New(rand.NewPCG(seed, uint64(g)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			cur := 0
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := rooms[rng.IntN(len(rooms))]
				cid := fmt.Sprintf("%s-g%d-%d", tag, g, i)
				s := send{user: user, channel: r.id, clientID: cid,
					text: fmt.Sprintf("%s says %d in %s — 消息 %s", c.users[user].name, i, r.name, cid)}
				if !sendUntilAcked(l, st, apis, &cur, s, stop) {
					return
				}
			}
		}()
	}
	return wg.Wait
}

// settle resolves every unknown outcome through node, then checks the
// history against the ledger and that every watcher caught up with exactly
// what its user may see.
func (c *cluster) settle(t *testing.T, l *ledger, st *retryStats, ws []*watcher, node int) {
	t.Helper()
	c.srv = c.nodes[node]
	for _, u := range c.users {
		u.api.Base = c.nodes[node].URL()
	}
	resolveUnknown(t, c.fixture, l)
	for _, p := range l.takeProblems() {
		t.Error(p)
	}
	st.mu.Lock()
	for _, p := range st.problems {
		t.Error(p)
	}
	st.mu.Unlock()
	hist := verifyHistory(t, c.fixture, l)
	waitCaughtUp(t, c.fixture, hist, ws, 30*time.Second)
	for _, w := range ws {
		checkWatcher(t, c.fixture, hist, w)
	}
	for i, n := range c.nodes {
		if line := n.logHas("panic:", "DATA RACE", "fatal error:"); line != "" {
			t.Errorf("node %d log: %s", i, line)
		}
	}
}

// untilAcked lets the senders run until count more messages are
// acknowledged (a condition, not a sleep).
func untilAcked(t *testing.T, l *ledger, more int) {
	t.Helper()
	want := l.count() + more
	if !pollUntil(30*time.Second, func() bool { return l.count() >= want }) {
		t.Fatalf("senders stalled: %d acknowledged, waiting for %d", l.count(), want)
	}
}
