//go:build linux

package bench

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"
)

// The poller's frame parser finds whole frames of every length form, waits
// for the rest of a partial one, and refuses what the server never sends.
func TestNextFrame(t *testing.T) {
	var stream bytes.Buffer
	payloads := [][]byte{[]byte(`{"type":"ready"}`), bytes.Repeat([]byte("a"), 300), bytes.Repeat([]byte("b"), 70000)}
	for _, p := range payloads {
		if err := ws.WriteFrame(&stream, ws.NewTextFrame(p)); err != nil {
			t.Fatal(err)
		}
	}
	b := stream.Bytes()
	for i, want := range payloads {
		for cut := 0; cut < 12; cut++ { // a prefix is never a frame
			if _, _, n, ok := nextFrame(b[:min(cut, len(b)-1)]); n != 0 || !ok {
				t.Fatalf("frame %d cut at %d: n=%d ok=%v, want to wait for more", i, cut, n, ok)
			}
		}
		op, p, n, ok := nextFrame(b)
		if !ok || n == 0 || op != byte(ws.OpText) || !bytes.Equal(p, want) {
			t.Fatalf("frame %d: op %d, %d bytes, n=%d ok=%v", i, op, len(p), n, ok)
		}
		b = b[n:]
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left", len(b))
	}
	var frag bytes.Buffer
	ws.WriteFrame(&frag, ws.Frame{Header: ws.Header{Fin: false, OpCode: ws.OpText, Length: 1}, Payload: []byte("x")})
	if _, _, n, ok := nextFrame(frag.Bytes()); ok || n == 0 {
		t.Fatalf("fragmented frame: n=%d ok=%v, want refused", n, ok)
	}
}
