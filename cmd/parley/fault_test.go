package main

// Fault tests of a cluster with real processes on loopback (ADR 0010):
// parley nodes on one PostgreSQL database and real nats-server processes.
// Each test keeps senders busy, breaks one part, heals it, and then checks
// the promise users see: every acknowledged message is in the history
// exactly once and in order, nothing unacknowledged appears, and every
// stream client received every event of its user exactly once, in order,
// whichever node it ended up on. They run under `make test-go`, which sets
// PARLEY_TEST_POSTGRES and PARLEY_TEST_NATS_SERVER.

import (
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// A node is SIGKILLed while its clients send: senders and streams move to
// the other node and resume with nothing lost or duplicated.
func TestClusterNodeKilled(t *testing.T) {
	ns := startNATS(t, 1)
	c := newCluster(t, []string{ns[0].url(), ns[0].url()})
	l, st := newLedger(), &retryStats{}
	// Watchers on both nodes: owner and u5 (group DM) on the victim.
	ws, stopWatchers := c.watch(t, [][2]int{{0, 0}, {5, 0}, {1, 1}, {4, 1}})
	stop := make(chan struct{})
	wait := runClusterSenders(c, l, st, "k", 6, testSeed(t), stop)
	untilAcked(t, l, 150)
	c.nodes[0].kill()
	untilAcked(t, l, 150) // all on node 1 now
	close(stop)
	wait()
	c.settle(t, l, st, ws, 1)
	stopWatchers()
	for _, w := range ws[:2] {
		if w.connects < 2 {
			t.Errorf("%s: %d connections; it should have moved to node 1", w.name, w.connects)
		}
	}
	t.Logf("%d acknowledged, %d retries after unknown outcomes", l.count(), st.retries)
}

// The NATS server is killed and restarted under load: sends go on (the
// database is the source of truth), and every node fills what it missed
// from the database, so every stream gets every event.
func TestClusterNATSRestart(t *testing.T) {
	ns := startNATS(t, 1)
	c := newCluster(t, []string{ns[0].url(), ns[0].url()})
	l, st := newLedger(), &retryStats{}
	ws, _ := c.watch(t, [][2]int{{0, 0}, {1, 1}, {5, 0}, {2, 1}})
	stop := make(chan struct{})
	wait := runClusterSenders(c, l, st, "n", 6, testSeed(t), stop)
	untilAcked(t, l, 100)
	ns[0].kill()
	untilAcked(t, l, 100)
	ns[0].start()
	untilAcked(t, l, 100)
	close(stop)
	wait()
	c.settle(t, l, st, ws, 0)
	c.filledFromLog(t)
	if c.nodes[0].logHas("NATS reconnected") == "" || c.nodes[1].logHas("NATS reconnected") == "" {
		t.Error("a node did not log its reconnection to NATS")
	}
	t.Logf("%d acknowledged", l.count())
}

// One server of a 3-server NATS cluster is lost under load: the node on it
// moves to another server and nothing is lost.
func TestClusterNATSServerLost(t *testing.T) {
	ns := startNATS(t, 3)
	// Node 0 may use any server, node 1 never the one that dies.
	c := newCluster(t, []string{natsURLs(ns[0], ns[1], ns[2]), natsURLs(ns[1], ns[2])})
	l, st := newLedger(), &retryStats{}
	ws, _ := c.watch(t, [][2]int{{0, 0}, {1, 1}, {5, 0}, {2, 1}})
	stop := make(chan struct{})
	wait := runClusterSenders(c, l, st, "s", 6, testSeed(t), stop)
	untilAcked(t, l, 100)
	ns[0].kill()
	untilAcked(t, l, 200)
	close(stop)
	wait()
	c.settle(t, l, st, ws, 0)
	t.Logf("%d acknowledged", l.count())
}

// Node 1 loses NATS (its connection is cut and refused) while both nodes
// take sends: each node's clients still get every event, the other node's
// through the database; once healed, every client has every event.
func TestClusterPartition(t *testing.T) {
	ns := startNATS(t, 1)
	proxy := newCutProxy(t, ns[0].url()[len("nats://"):])
	c := newCluster(t, []string{ns[0].url(), "nats://" + proxy.ln.Addr().String()})
	l, st := newLedger(), &retryStats{}
	ws, _ := c.watch(t, [][2]int{{0, 0}, {1, 1}, {5, 0}, {2, 1}, {3, 1}})
	stop := make(chan struct{})
	wait := runClusterSenders(c, l, st, "p", 6, testSeed(t), stop)
	untilAcked(t, l, 100)
	if proxy.partition() == 0 {
		t.Fatal("node 1 had no NATS connection to cut")
	}
	untilAcked(t, l, 200)
	proxy.heal()
	if !pollUntil(30*time.Second, func() bool { return c.nodes[1].logHas("NATS reconnected") != "" }) {
		t.Fatal("node 1 did not reconnect to NATS within 30s of healing")
	}
	untilAcked(t, l, 100)
	close(stop)
	wait()
	c.settle(t, l, st, ws, 0)
	c.filledFromLog(t)
	t.Logf("%d acknowledged", l.count())
}

// PostgreSQL is restarted under load: sends in flight get 503 with a stable
// code and Retry-After, never a false acknowledgement (every
// acknowledged message is in the history; retries with the same client_id
// yield one message), and the nodes recover by themselves.
func TestClusterPostgresRestart(t *testing.T) {
	pgctl, data := os.Getenv("PARLEY_TEST_PG_CTL"), os.Getenv("PARLEY_TEST_PG_DATA")
	if os.Getenv("PARLEY_TEST_POSTGRES") != "" && (pgctl == "" || data == "") {
		t.Fatal("PARLEY_TEST_PG_CTL and PARLEY_TEST_PG_DATA must name the throwaway cluster (scripts/test-postgres.sh sets them)")
	}
	ns := startNATS(t, 1)
	c := newCluster(t, []string{ns[0].url(), ns[0].url()})
	l, st := newLedger(), &retryStats{}
	ws, _ := c.watch(t, [][2]int{{0, 0}, {1, 1}, {5, 0}, {2, 1}})
	stop := make(chan struct{})
	wait := runClusterSenders(c, l, st, "g", 6, testSeed(t), stop)
	untilAcked(t, l, 100)
	restartPostgres(t, pgctl, data)
	untilAcked(t, l, 150) // recovered by itself
	close(stop)
	wait()
	c.settle(t, l, st, ws, 0)
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.unavailable == 0 {
		t.Error("no send got 503 while PostgreSQL restarted under load")
	}
	t.Logf("%d acknowledged; %d answers 503 (codes %v), %d retries", l.count(), st.unavailable, st.codes, st.retries)
}

var pgRestart sync.Mutex // one restart at a time if tests run in parallel

// restartPostgres restarts the throwaway cluster (fast mode: connections
// are cut, as in a failover) and waits until it accepts connections.
func restartPostgres(t *testing.T, pgctl, data string) {
	t.Helper()
	pgRestart.Lock()
	defer pgRestart.Unlock()
	args := []string{pgctl, "-D", data, "-m", "fast", "-w", "-t", "60", "restart"}
	if lg := os.Getenv("PARLEY_TEST_PG_LOG"); lg != "" {
		args = append(args, "-l", lg)
	}
	if u := os.Getenv("PARLEY_TEST_PG_USER"); u != "" {
		args = append([]string{"runuser", "-u", u, "--"}, args...)
	}
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("restart PostgreSQL: %v\n%s", err, out)
	}
}

// filledFromLog checks that the nodes recovered what NATS lost by reading
// the event log (the bus's catch-up), not by the fallback that makes every
// stream reconnect.
func (c *cluster) filledFromLog(t *testing.T) {
	t.Helper()
	filled := false
	for i, n := range c.nodes {
		filled = filled || n.logHas("filled missed events from the event log") != ""
		if line := n.logHas("streams told to resume from the store"); line != "" {
			t.Errorf("node %d fell back to reconnecting its streams: %s", i, line)
		}
	}
	if !filled {
		t.Error("no node filled missed events from the event log")
	}
}
