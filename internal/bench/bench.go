// Package bench is Parley's load generator and benchmark (`parley bench`):
// it builds a synthetic organisation, connects real WebSocket clients (in
// worker processes when file-descriptor limits require), drives open-loop
// constant-rate workloads through the public API, and measures
// send→deliver latency from the scheduled send time, losses, duplicates
// and gaps, server CPU and memory, start-up, history and search latency.
// It writes a table, JSON and docs/benchmarks.md.
package bench

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// Suite is a named set of workloads and their sizes.
type Suite struct {
	Name      string
	Shape     Shape
	Conns     int // clients connected for idle, DM, mixed, chatter and storm (client i acts as user i mod Users)
	MoreConns int // clients added afterwards for the held-connections figure and the broadcast
	Preload   int // messages of history written before the server starts

	Idle                      time.Duration
	DMRate, MixedRate, Bcast  float64 // messages per second offered
	DMDur, MixedDur, BcastDur time.Duration
	// CrossRate messages a second for CrossDur into DMs and channels of
	// at most CrossMaxSize members (the cluster's cross-node figure).
	CrossRate    float64
	CrossDur     time.Duration
	CrossMaxSize int
	StormGap     int // messages posted while the clients are away
	Chatter      time.Duration
	HistoryRate  float64
	HistoryDur   time.Duration
	SearchRate   float64 // search requests per second over the preloaded history
	SearchDur    time.Duration
	MaxInFlight  int           // concurrent REST sends
	SyncTimeout  time.Duration // how long deliveries may trail the last send
	PerWorker    int           // clients per worker process
}

// Smoke is the tiny suite `make test` runs: it must finish in seconds and
// fails on any loss, duplicate or gap.
func Smoke() Suite {
	return Suite{Name: "smoke", Shape: SmokeShape(), Conns: 50, Preload: 2_000,
		Idle: time.Second, DMRate: 100, DMDur: 2 * time.Second, MixedRate: 100, MixedDur: 2 * time.Second,
		Bcast: 20, BcastDur: time.Second, StormGap: 20, Chatter: time.Second,
		HistoryRate: 50, HistoryDur: time.Second, SearchRate: 20, SearchDur: time.Second, MaxInFlight: 64, SyncTimeout: 10 * time.Second, PerWorker: 50,
		CrossRate: 100, CrossDur: 2 * time.Second, CrossMaxSize: 8}
}

// Standard is the suite behind docs/benchmarks.md (about 5 minutes).
func Standard() Suite {
	return Suite{Name: "standard", Shape: StandardShape(), Conns: 5_000, MoreConns: 5_000, Preload: 1_000_000,
		Idle: 10 * time.Second, DMRate: 5_000, DMDur: 10 * time.Second, MixedRate: 1_000, MixedDur: 20 * time.Second,
		Bcast: 10, BcastDur: 10 * time.Second, StormGap: 500, Chatter: 10 * time.Second,
		HistoryRate: 200, HistoryDur: 10 * time.Second, SearchRate: 20, SearchDur: 10 * time.Second, MaxInFlight: 2_048, SyncTimeout: 30 * time.Second,
		PerWorker: 5_000, CrossRate: 1_000, CrossDur: 20 * time.Second, CrossMaxSize: 8}
}

// SuiteByName returns a known suite.
func SuiteByName(name string) (Suite, error) {
	switch name {
	case "smoke":
		return Smoke(), nil
	case "standard":
		return Standard(), nil
	}
	return Suite{}, fmt.Errorf("bench: unknown suite %q (smoke or standard)", name)
}

// Server is a server process the bench started.
type Server interface {
	PID() int // for /proc sampling; the bench's own pid when in-process
	Stop() error
}

// Launcher bootstraps a data directory and starts servers on it; the
// command spawns `parley` processes, tests run servers in-process.
type Launcher interface {
	Bootstrap(ctx context.Context, dataDir, email, password string) error
	Start(ctx context.Context, dataDir, addr string) (Server, error)
}

// Options configure a run.
type Options struct {
	Suite    Suite
	URLs     []string // existing servers; empty: spawn one with Launcher
	Token    string   // an organisation admin's token, with URLs
	DataDir  string   // spawn: where the data goes (a new temp dir when empty)
	Launcher Launcher
	Worker   StartWorker
	Command  string    // the command line, for the report
	Progress io.Writer // progress bar and log; nil for none
	Seed     uint64
	// Only, when set, runs just these workloads (e.g. "search", "history"),
	// for iterating on one figure; the setup and preload always run.
	Only []string
	// Database is the spawned nodes' database (a postgres:// URL of an
	// empty database); empty: SQLite in the data directory. The Launcher
	// passes it to the nodes; the preload writes into it.
	Database string
	// Nodes is how many nodes to spawn on Database (a cluster needs
	// PostgreSQL and a Launcher that passes --nats); default 1.
	Nodes int
	// Cross, with several nodes, sends every message through the first
	// node and connects every client to the others, so every delivery
	// crosses nodes (the cluster's send→deliver figure).
	Cross bool
	// ServerPprof is the spawned server's profiler (http://host:port) and
	// ProfileDir where a CPU profile of it is written for each measured
	// workload (server-NAME.pprof); empty: no profiles.
	ServerPprof, ProfileDir string
}

// Run executes the suite and returns its result. An error means the run
// could not be carried out; a run that measured losses returns a Result
// with Failed set.
func Run(ctx context.Context, o Options) (Result, error) {
	r := newRunner(o)
	defer r.cleanup()
	if err := r.run(ctx); err != nil {
		return r.res, err
	}
	return r.res, nil
}

// progress draws a one-line bar on a terminal-ish writer.
type progress struct {
	w io.Writer
}

func (p progress) logf(format string, a ...any) {
	if p.w != nil {
		fmt.Fprintf(p.w, "\r\033[K"+format+"\n", a...)
	}
}

// during draws a bar for a phase of known length until stop is closed.
func (p progress) during(name string, d time.Duration) (stop func()) {
	if p.w == nil || d <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			el := time.Since(start)
			frac := min(float64(el)/float64(d), 1)
			n := int(frac * 30)
			fmt.Fprintf(p.w, "\r\033[K[%s%s] %-10s %5.1fs / %.0fs", strings.Repeat("#", n), strings.Repeat(".", 30-n),
				name, el.Seconds(), d.Seconds())
			select {
			case <-done:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}
