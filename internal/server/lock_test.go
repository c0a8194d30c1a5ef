package server_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/server"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// A second server on the same embedded data directory refuses to start
// with a clear error instead of failing writes later.
func TestOneServerPerDataDir(t *testing.T) {
	env := servertest.Start(t)
	if env.Database != "" {
		t.Skip("the lock protects the embedded store only")
	}
	cfg := config.Default()
	cfg.DataDir, cfg.Addr = env.Dir, "127.0.0.1:0"
	_, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler), http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "another parley serve is using") {
		t.Fatalf("second server on %s: %v", env.Dir, err)
	}
	// The running server is unaffected.
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/users/me", nil, nil); err != nil {
		t.Fatal(err)
	}
}
