package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
)

func TestAppendFrameMatchesGobwas(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte("a"), n)
		want, err := ws.CompileFrame(ws.NewTextFrame(p))
		if err != nil {
			t.Fatal(err)
		}
		if got := textFrame(p); !bytes.Equal(got, want) {
			t.Errorf("len %d: header %x, want %x", n, got[:min(10, len(got))], want[:min(10, len(want))])
		}
	}
}

// FuzzParseClientMessage checks that the parser never panics, that what it
// accepts is valid, and that accepting is stable under re-encoding.
func FuzzParseClientMessage(f *testing.F) {
	// The seed corpus is in testdata/fuzz/FuzzParseClientMessage.
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseClientMessage(b)
		if err != nil {
			if !sameMsg(m, clientMsg{}) {
				t.Fatalf("error %v with non-zero message %+v", err, m)
			}
			return
		}
		switch {
		case m.Type == "":
			t.Fatal("accepted a message without type")
		case m.Type == "typing" && m.ChannelID <= 0:
			t.Fatalf("accepted typing with channel %d", m.ChannelID)
		case m.Type == "presence" && m.Status != StatusOnline && m.Status != StatusAway && m.Status != StatusDND:
			t.Fatalf("accepted presence %q", m.Status)
		case m.Type == "presence_sub":
			if m.UserIDs == nil || len(m.UserIDs) > MaxPresenceSub {
				t.Fatalf("accepted presence_sub with %d ids (nil %v)", len(m.UserIDs), m.UserIDs == nil)
			}
			for i, u := range m.UserIDs {
				if u <= 0 || (i > 0 && u <= m.UserIDs[i-1]) {
					t.Fatalf("accepted presence_sub ids %v: want positive, sorted, unique", m.UserIDs)
				}
			}
		}
		again, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := parseClientMessage(again)
		if err != nil || !sameMsg(m2, m) {
			t.Fatalf("re-encoded %s parsed as %+v, %v; want %+v", again, m2, err, m)
		}
	})
}

func sameMsg(a, b clientMsg) bool {
	return a.Type == b.Type && a.ChannelID == b.ChannelID && a.Status == b.Status &&
		slices.Equal(a.UserIDs, b.UserIDs) && (a.UserIDs == nil) == (b.UserIDs == nil)
}

func TestParsePresenceSub(t *testing.T) {
	m, err := parseClientMessage([]byte(`{"type":"presence_sub","user_ids":[13,12,13,7]}`))
	if err != nil || !slices.Equal(m.UserIDs, []int64{7, 12, 13}) {
		t.Fatalf("got %+v, %v; want ids [7 12 13]", m, err)
	}
	m, err = parseClientMessage([]byte(`{"type":"presence_sub","user_ids":[]}`))
	if err != nil || m.UserIDs == nil || len(m.UserIDs) != 0 {
		t.Fatalf("empty list: got %+v, %v; want an empty subscription", m, err)
	}
	// The largest ids, as many as allowed, fit in one client frame.
	ids := make([]string, MaxPresenceSub)
	for i := range ids {
		ids[i] = strconv.FormatInt(math.MaxInt64-int64(i), 10)
	}
	b := []byte(`{"type":"presence_sub","user_ids":[` + strings.Join(ids, ",") + `]}`)
	if len(b) > MaxClientFrame {
		t.Fatalf("%d ids of 19 digits take %d bytes, over MaxClientFrame %d", MaxPresenceSub, len(b), MaxClientFrame)
	}
	if m, err := parseClientMessage(b); err != nil || len(m.UserIDs) != MaxPresenceSub {
		t.Fatalf("%d ids: %d parsed, %v", MaxPresenceSub, len(m.UserIDs), err)
	}
	for _, bad := range []string{
		`{"type":"presence_sub"}`,
		`{"type":"presence_sub","user_ids":null}`,
		`{"type":"presence_sub","user_ids":[0]}`,
		`{"type":"presence_sub","user_ids":[-4]}`,
		`{"type":"presence_sub","user_ids":["12"]}`,
		`{"type":"presence_sub","user_ids":12}`,
	} {
		if m, err := parseClientMessage([]byte(bad)); err == nil {
			t.Errorf("%s accepted as %+v", bad, m)
		}
	}
}

// Bad client frames: everything malformed closes with CloseProtocol;
// unknown message types are ignored (forward compatibility).
func TestBadClientFrames(t *testing.T) {
	h := newHarness(t, Config{})
	cases := []struct {
		name    string
		op      ws.OpCode
		payload string
		ignored bool
	}{
		{name: "invalid json", op: ws.OpText, payload: `{"type":`},
		{name: "not an object", op: ws.OpText, payload: `[1,2]`},
		{name: "missing type", op: ws.OpText, payload: `{"channel_id":1}`},
		{name: "too large", op: ws.OpText, payload: `{"type":"ping","x":"` + strings.Repeat("a", MaxClientFrame) + `"}`},
		{name: "binary", op: ws.OpBinary, payload: `{"type":"ping"}`},
		{name: "typing without channel", op: ws.OpText, payload: `{"type":"typing"}`},
		{name: "bad presence", op: ws.OpText, payload: `{"type":"presence","status":"busy"}`},
		{name: "offline presence", op: ws.OpText, payload: `{"type":"presence","status":"offline"}`},
		{name: "presence_sub without user_ids", op: ws.OpText, payload: `{"type":"presence_sub"}`},
		{name: "presence_sub with a bad id", op: ws.OpText, payload: `{"type":"presence_sub","user_ids":[1,0]}`},
		{name: "presence_sub over the limit", op: ws.OpText, payload: `{"type":"presence_sub","user_ids":[` +
			strings.TrimSuffix(strings.Repeat("1,", MaxPresenceSub+1), ",") + `]}`},
		{name: "unknown type", op: ws.OpText, payload: `{"type":"future.thing","x":1}`, ignored: true},
		{name: "typing to a channel not a member of", op: ws.OpText, payload: `{"type":"typing","channel_id":99}`, ignored: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := h.connect(1)
			ctx := context.Background()
			if err := c.writeFrame(ctx, ws.NewFrame(tc.op, true, []byte(tc.payload))); err != nil {
				t.Fatal(err)
			}
			if !tc.ignored {
				expectClose(t, c, CloseProtocol)
				return
			}
			c.Send(ctx, map[string]string{"type": "ping"})
			if f := mustNext(t, c, false); f.Type != "pong" {
				t.Fatalf("got %s, want pong", f.Raw)
			}
		})
	}
	t.Run("unmasked", func(t *testing.T) {
		c, _ := h.connect(1)
		b, _ := ws.CompileFrame(ws.NewTextFrame([]byte(`{"type":"ping"}`)))
		c.nc.Write(b)
		expectClose(t, c, CloseProtocol)
	})
	t.Run("fragmented", func(t *testing.T) {
		c, _ := h.connect(1)
		c.writeFrame(context.Background(), ws.NewFrame(ws.OpText, false, []byte(`{"type":`)))
		expectClose(t, c, CloseProtocol)
	})
	t.Run("websocket ping", func(t *testing.T) {
		c, _ := h.connect(1)
		c.writeFrame(context.Background(), ws.NewPingFrame([]byte("hi")))
		hd, err := ws.ReadHeader(c.br)
		if err != nil || hd.OpCode != ws.OpPong {
			t.Fatalf("got %+v, %v; want a pong", hd, err)
		}
		p := make([]byte, hd.Length)
		io.ReadFull(c.br, p)
		if string(p) != "hi" {
			t.Fatalf("pong payload %q", p)
		}
	})
}

// A connection that answers nothing is dropped after IdleTimeout; the
// server pings in the meantime.
func TestHeartbeatAndIdleTimeout(t *testing.T) {
	h := newHarness(t, Config{PingInterval: 20e6, IdleTimeout: 200e6})
	c, _ := h.connect(1)
	pings := 0
	for {
		hd, err := ws.ReadHeader(c.br) // raw: pings are not answered
		if err != nil {
			if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
				t.Fatalf("read: %v", err)
			}
			break
		}
		if hd.OpCode == ws.OpPing {
			pings++
		}
		io.CopyN(io.Discard, c.br, hd.Length)
	}
	if pings == 0 {
		t.Fatal("no ping before the idle timeout")
	}
	h.waitLeave(1)
}

func TestRejectStreamUnauthenticated(t *testing.T) {
	h := newHarness(t, Config{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.hub.RejectStream(w, r, CloseUnauthenticated)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.URL, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	expectClose(t, c, CloseUnauthenticated)
}
