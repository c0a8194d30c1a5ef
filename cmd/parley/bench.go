package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parley-chat/parley/internal/bench"
	"github.com/parley-chat/parley/internal/server"
)

const benchUsage = `Usage: parley bench [--suite smoke|standard] [--spawn | --url URL... --token T]
                    [--json FILE] [--write-doc docs/benchmarks.md] [--data DIR]
       parley bench worker   (internal: a process holding a share of the WebSocket clients)

Runs the benchmark suite (see docs/benchmarks.md) and exits non-zero on any
lost, duplicated or out-of-order message, or when the run could not complete.
`

// urlList is a repeatable --url flag.
type urlList []string

func (u *urlList) String() string     { return strings.Join(*u, ",") }
func (u *urlList) Set(v string) error { *u = append(*u, v); return nil }

func benchCmd(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) > 0 && args[0] == "worker" {
		if err := bench.RunWorker(context.Background(), os.Stdin, stdout); err != nil {
			fmt.Fprintln(stderr, "parley bench worker:", err)
			return 1
		}
		return 0
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchUsage); fs.PrintDefaults() }
	suiteName := fs.String("suite", "standard", "smoke (seconds, for make test) or standard (≤ 10 minutes)")
	_ = fs.Bool("spawn", true, "start a server on a temporary data directory (the default unless --url is given)")
	var urls urlList
	fs.Var(&urls, "url", "benchmark an existing server instead (repeatable, for a cluster)")
	token := fs.String("token", getenv("PARLEY_BENCH_TOKEN"), "organisation admin bearer token, with --url (env PARLEY_BENCH_TOKEN)")
	dataDir := fs.String("data", "", "data directory for the spawned server (default: a new temporary directory, removed after)")
	jsonPath := fs.String("json", "", "write the full result as JSON to this file")
	docPath := fs.String("write-doc", "", "rewrite this Markdown file (docs/benchmarks.md) with the results, keeping its Notes")
	perWorker := fs.Int("per-worker", 0, "WebSocket clients per worker process (default: the suite's)")
	seed := fs.Uint64("seed", 1, "seed of the synthetic organisation")
	quiet := fs.Bool("quiet", false, "no progress output")
	only := fs.String("only", "", "run only these comma-separated workloads (dm, mixed, cross, chatter, storm, held, broadcast, history, search); setup always runs")
	preload := fs.Int("preload", -1, "messages of history to preload (default: the suite's)")
	database := fs.String("database", "", "spawned nodes' database: a postgres:// URL of an empty database (default: SQLite in --data)")
	nodes := fs.Int("nodes", 1, "spawn this many nodes on --database, joined by --nats (a cluster)")
	natsURL := fs.String("nats", "", "NATS URL(s) of the spawned cluster, with --nodes > 1")
	cross := fs.Bool("cross", false, "with --nodes > 1: send through node 1 only and stream from the others, so every delivery crosses nodes")
	pprofDir := fs.String("pprof", "", "write CPU profiles of the server, the sender and each worker during every measured workload into this directory")
	pin := fs.Bool("pin", false, "run the spawned server alone on CPU 1 and the load generator on CPU 0 (needs taskset and 2+ CPUs)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	suite, err := bench.SuiteByName(*suiteName)
	if err != nil {
		fmt.Fprintln(stderr, "parley bench:", err)
		return 2
	}
	if *perWorker > 0 {
		suite.PerWorker = *perWorker
	}
	if *preload >= 0 {
		suite.Preload = *preload
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "parley bench:", err)
		return 1
	}
	var serverCPU string
	if *pin {
		// The generator (this process and its workers, which inherit the
		// affinity) on CPU 0, the server alone on CPU 1, so the figures
		// describe the server rather than the contention between them.
		if err := unix.SchedSetaffinity(0, cpuSet(0)); err != nil {
			fmt.Fprintln(stderr, "parley bench: --pin:", err)
			return 1
		}
		serverCPU = "1"
	}
	if *nodes > 1 && (*natsURL == "" || !strings.HasPrefix(*database, "postgres")) {
		fmt.Fprintln(stderr, "parley bench: --nodes > 1 needs --database postgres://... and --nats")
		return 2
	}
	var serverPprof string
	if *pprofDir != "" {
		if len(urls) > 0 || *nodes > 1 {
			fmt.Fprintln(stderr, "parley bench: --pprof profiles one spawned server")
			return 2
		}
		if err := os.MkdirAll(*pprofDir, 0o755); err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
		port, err := pprofPort()
		if err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
		serverPprof = "127.0.0.1:" + port
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	sp := spawner{exe: self, stderr: stderr, cpu: serverCPU, database: *database, nats: *natsURL, pprof: serverPprof}
	if *database != "" {
		// PostgreSQL nodes need a shared secret key file (ADR 0019); the
		// bench stores no SSO or 2FA secrets, so a key for this run will do.
		keyDir, err := os.MkdirTemp("", "parley-bench-key")
		if err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
		defer os.RemoveAll(keyDir)
		sp.keyFile = filepath.Join(keyDir, "secret.key")
		if _, err := server.NewSecretKeyFile(sp.keyFile); err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
	}
	o := bench.Options{Suite: suite, URLs: urls, Token: *token, DataDir: *dataDir, Seed: *seed,
		Launcher: sp,
		Worker:   workerProcess(self, stderr), Database: *database, Nodes: *nodes, Cross: *cross,
		Command: "parley bench " + strings.Join(args, " "), ProfileDir: *pprofDir}
	if serverPprof != "" {
		o.ServerPprof = "http://" + serverPprof
	}
	if *only != "" {
		o.Only = strings.Split(*only, ",")
	}
	if !*quiet {
		o.Progress = stderr
	}
	res, err := bench.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(stderr, "parley bench:", err)
		return 1
	}
	bench.PrintTable(stdout, res)
	if *jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
	}
	if *docPath != "" {
		old, err := os.ReadFile(*docPath)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
		if err := os.WriteFile(*docPath, []byte(bench.RewriteDoc(string(old), res)), 0o644); err != nil {
			fmt.Fprintln(stderr, "parley bench:", err)
			return 1
		}
	}
	if res.Failed {
		return 1
	}
	return 0
}

// spawner runs servers as child processes of this binary.
type spawner struct {
	exe    string
	stderr io.Writer
	cpu    string // pin the server to this CPU list with taskset; empty: no pinning
	// database and nats are passed to every node (--database, --nats).
	database, nats string
	keyFile        string // --secret-key-file of every node on database
	pprof          string // the server's profiler address; empty: off
}

// pprofPort returns a loopback TCP port that was free a moment ago.
func pprofPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

func cpuSet(cpus ...int) *unix.CPUSet {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	return &set
}

func (s spawner) Bootstrap(ctx context.Context, dir, email, password string) error {
	cmd := exec.CommandContext(ctx, s.exe, "admin", "bootstrap", "--data", dir, "--org", "Bench",
		"--email", email, "--username", "owner", "--password", password)
	if s.database != "" {
		cmd.Args = append(cmd.Args, "--database", s.database)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

type childServer struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has ended; err is then its exit
	err    error
	log    *os.File
}

func (s spawner) Start(ctx context.Context, dir, addr string) (bench.Server, error) {
	log, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--data", dir, "--addr", addr, "--log-level", "warn"}
	if s.database != "" {
		args = append(args, "--database", s.database, "--secret-key-file", s.keyFile)
	}
	if s.nats != "" {
		args = append(args, "--nats", s.nats)
	}
	if s.pprof != "" {
		args = append(args, "--pprof", s.pprof)
	}
	cmd := exec.Command(s.exe, args...)
	if s.cpu != "" {
		cmd = exec.Command("taskset", append([]string{"-c", s.cpu, s.exe}, args...)...)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	c := &childServer{cmd: cmd, exited: make(chan struct{}), log: log}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	return c, nil
}

func (c *childServer) PID() int { return c.cmd.Process.Pid }

// Exited is closed when the process has ended, so that the bench does not
// wait a minute for a node that failed at start-up; Err is then its exit.
func (c *childServer) Exited() <-chan struct{} { return c.exited }

// Err is the process's exit status once Exited is closed.
func (c *childServer) Err() error { return c.err }

// Stop asks for a graceful shutdown and kills the server after 30 s.
func (c *childServer) Stop() error {
	defer c.log.Close()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
	}
	return c.err
}

// workerProcess starts `parley bench worker` children.
func workerProcess(exe string, stderr io.Writer) bench.StartWorker {
	return func(ctx context.Context) (*bench.WorkerProc, error) {
		cmd := exec.Command(exe, "bench", "worker")
		cmd.Stderr = stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		return &bench.WorkerProc{In: in, Out: out, Wait: cmd.Wait, PID: cmd.Process.Pid}, nil
	}
}
