package bench_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/bench"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/server"
)

// inProcess runs servers inside the test binary (so CPU and memory figures
// include the load generator; the smoke suite is about correctness).
type inProcess struct{}

func (inProcess) Bootstrap(ctx context.Context, dir, email, password string) error {
	_, _, err := server.Bootstrap(ctx, dir, account.BootstrapInput{OrgName: "Bench", Email: email,
		Username: "owner", Password: password})
	return err
}

type inProcessServer struct {
	cancel context.CancelFunc
	done   chan error
}

func (s *inProcessServer) PID() int { return 0 }
func (s *inProcessServer) Stop() error {
	s.cancel()
	return <-s.done
}

func (inProcess) Start(ctx context.Context, dir, addr string) (bench.Server, error) {
	cfg := config.Default()
	cfg.DataDir, cfg.Addr = dir, addr
	ctx, cancel := context.WithCancel(ctx)
	srv, err := server.New(ctx, cfg, slog.New(slog.DiscardHandler), http.NotFoundHandler())
	if err != nil {
		cancel()
		return nil, err
	}
	if err := srv.Listen(); err != nil {
		cancel()
		return nil, err
	}
	s := &inProcessServer{cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- srv.Run(ctx) }()
	return s, nil
}

// TestSmoke runs the smoke suite end to end against an in-process server:
// it fails on any loss, duplicate, gap or error.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("smoke benchmark skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var progress io.Writer
	if testing.Verbose() {
		progress = os.Stderr
	}
	res, err := bench.Run(ctx, bench.Options{Suite: bench.Smoke(), Launcher: inProcess{},
		Worker: bench.InProcessWorker, Command: "go test ./internal/bench -run Smoke", Progress: progress,
		DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		bench.PrintTable(os.Stderr, res)
	}
	if res.Failed {
		t.Fatalf("smoke suite failed: %v", res.FailCause)
	}
	for _, name := range []string{"dm", "mixed", "cross", "broadcast", "storm"} {
		ps, ok := res.Phases[name]
		if !ok || ps.Deliveries == 0 {
			t.Errorf("phase %s delivered nothing: %+v", name, ps)
		}
	}
}
