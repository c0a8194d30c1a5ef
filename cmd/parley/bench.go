package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/parley-chat/parley/internal/bench"
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
	only := fs.String("only", "", "run only these comma-separated workloads (dm, mixed, chatter, storm, held, broadcast, history, search); setup always runs")
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
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o := bench.Options{Suite: suite, URLs: urls, Token: *token, DataDir: *dataDir, Seed: *seed,
		Launcher: spawner{exe: self, stderr: stderr, cpu: serverCPU}, Worker: workerProcess(self, stderr),
		Command: "parley bench " + strings.Join(args, " ")}
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
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

type childServer struct {
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

func (s spawner) Start(ctx context.Context, dir, addr string) (bench.Server, error) {
	log, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.exe, "serve", "--data", dir, "--addr", addr, "--log-level", "warn")
	if s.cpu != "" {
		cmd = exec.Command("taskset", "-c", s.cpu, s.exe, "serve", "--data", dir, "--addr", addr, "--log-level", "warn")
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, err
	}
	c := &childServer{cmd: cmd, done: make(chan error, 1), log: log}
	go func() { c.done <- cmd.Wait() }()
	return c, nil
}

func (c *childServer) PID() int { return c.cmd.Process.Pid }

// Stop asks for a graceful shutdown and kills the server after 30 s.
func (c *childServer) Stop() error {
	defer c.log.Close()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		return <-c.done
	}
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
