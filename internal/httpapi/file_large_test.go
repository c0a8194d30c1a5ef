package httpapi_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
)

// A body far over the limit is refused from its Content-Length, and the
// client still reads the 413 with its code (the server does not reset the
// connection under it).
func TestFileTooLargeRefusedEarly(t *testing.T) {
	e := newFileEnv(t, "public")
	ctx := context.Background()
	if _, err := e.env.Owner.Do(ctx, "PATCH", "/api/v1/org", map[string]any{"file_max_bytes": 100 << 10}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.alice.Upload(ctx, e.channel, "big.bin", bytes.Repeat([]byte{1}, 8<<20))
	if apiclient.StatusOf(err) != 413 || apiclient.CodeOf(err) != "file_too_large" {
		t.Fatalf("8 MB over a 100 KB limit: %v", err)
	}
}
