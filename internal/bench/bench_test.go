package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
)

func TestHistogramQuantiles(t *testing.T) {
	h := NewHistogram()
	for i := 1; i <= 10_000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 5 * time.Millisecond}, {0.9, 9 * time.Millisecond}, {0.99, 9900 * time.Microsecond}, {1, 10 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if got < c.want || float64(got) > float64(c.want)*1.016 {
			t.Errorf("Quantile(%v) = %v, want %v within 1.6%% above", c.q, got, c.want)
		}
	}
	if h.Max() != 10*time.Millisecond || h.Count() != 10_000 {
		t.Errorf("Max %v Count %d", h.Max(), h.Count())
	}
	if m := h.Mean(); m < 5000*time.Microsecond || m > 5001*time.Microsecond {
		t.Errorf("Mean = %v", m)
	}
}

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		v := r.Int64N(1 << uint(r.IntN(62)+1))
		b := bucketOf(v)
		if b < 0 || b >= numBuckets || bucketTop(b) < v || (b > 0 && bucketTop(b-1) >= v) {
			t.Fatalf("value %d in bucket %d (top %d, previous top %d)", v, b, bucketTop(b), bucketTop(b-1))
		}
	}
}

func TestHistogramMergeAndJSON(t *testing.T) {
	a, b := NewHistogram(), NewHistogram()
	for i := range 1000 {
		a.Record(time.Duration(i) * time.Millisecond)
		b.Record(time.Duration(i+1000) * time.Millisecond)
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	a.Merge(&back)
	if a.Count() != 2000 || a.Max() != 1999*time.Millisecond {
		t.Fatalf("merged Count %d Max %v", a.Count(), a.Max())
	}
	if p := a.Quantile(0.5); p < 999*time.Millisecond || p > 1016*time.Millisecond {
		t.Errorf("merged p50 = %v", p)
	}
	if NewHistogram().Quantile(0.99) != 0 {
		t.Error("empty histogram quantile not 0")
	}
}

func TestPlanStandardShape(t *testing.T) {
	p := NewPlan(StandardShape(), 1)
	if p.Users != 10_000 {
		t.Fatal(p.Users)
	}
	sizes := map[int]int{}
	dms := 0
	pairs := map[[2]int]bool{}
	for _, c := range p.Channels {
		if c.DM {
			dms++
			if len(c.Members) != 2 || c.Members[0] >= c.Members[1] || pairs[[2]int{c.Members[0], c.Members[1]}] {
				t.Fatalf("bad or repeated DM %v", c.Members)
			}
			pairs[[2]int{c.Members[0], c.Members[1]}] = true
			continue
		}
		sizes[len(c.Members)]++
		for i := 1; i < len(c.Members); i++ {
			if c.Members[i] <= c.Members[i-1] {
				t.Fatalf("members of %s not distinct and ascending", c.Name)
			}
		}
	}
	want := map[int]int{10_000: 1, 1_000: 10, 100: 100, 20: 889, 5: 1_000}
	for size, n := range want {
		if sizes[size] != n {
			t.Errorf("%d channels of %d members, want %d", sizes[size], size, n)
		}
	}
	if dms != 5_000 {
		t.Errorf("%d DMs, want 5000", dms)
	}
	if m := p.Memberships(); m != 52_780+10_000 {
		t.Errorf("memberships = %d", m)
	}
	// Every user is in the all-users channel; ByUser agrees with Members.
	n := 0
	for _, cs := range p.ByUser {
		n += len(cs)
	}
	if n != p.Memberships() || p.Everyone() != 0 {
		t.Errorf("ByUser holds %d memberships; Everyone = %d", n, p.Everyone())
	}
	if q := NewPlan(StandardShape(), 1); q.Channels[500].Members[3] != p.Channels[500].Members[3] {
		t.Error("plan not deterministic for a seed")
	}
}

func TestPickerMix(t *testing.T) {
	p := NewPlan(StandardShape(), 1)
	pk := NewPicker(p)
	r := rand.New(rand.NewPCG(3, 4))
	var small, mid, large int
	const n = 100_000
	for range n {
		c := p.Channels[pk.Pick(r)]
		switch {
		case c.DM || c.Size >= p.Users:
			t.Fatal("picked a DM or the all-users channel")
		case c.Size <= 20:
			small++
		case c.Size <= 200:
			mid++
		default:
			large++
		}
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"small", float64(small) / n, 0.70}, {"100", float64(mid) / n, 0.25}, {"1000", float64(large) / n, 0.05}} {
		if c.got < c.want-0.01 || c.got > c.want+0.01 {
			t.Errorf("%s share %.3f, want %.2f", c.name, c.got, c.want)
		}
	}
	// A plan without large channels falls back instead of failing.
	tiny := NewPlan(SmokeShape(), 1)
	if ci := NewPicker(tiny).Pick(r); ci < 0 || tiny.Channels[ci].DM {
		t.Errorf("smoke picker chose %d", ci)
	}
}

// The cross-node workload only picks DMs and channels of at most 8 members
// whose members all stream, so every message owes a delivery per member.
func TestSmallChannels(t *testing.T) {
	p := NewPlan(StandardShape(), 1)
	connected := func(u int) bool { return u < 5_000 }
	dms, small := p.SmallChannels(8, connected)
	if len(dms) < 1_000 || len(small) < 10 {
		t.Fatalf("%d DMs and %d small channels with all members among the first 5,000 users", len(dms), len(small))
	}
	for _, ci := range append(dms, small...) {
		c := p.Channels[ci]
		if c.Size > 8 || c.DM != slices.Contains(dms, ci) {
			t.Fatalf("picked channel %d: %+v", ci, c)
		}
		for _, u := range c.Members {
			if !connected(u) {
				t.Fatalf("channel %d has member %d who is not connected", ci, u)
			}
		}
	}
	if d, s := p.SmallChannels(8, func(int) bool { return false }); len(d)+len(s) != 0 {
		t.Errorf("with nobody connected: %d DMs, %d channels", len(d), len(s))
	}
}

func TestTrackerGapsAndDuplicates(t *testing.T) {
	tr := NewTracker(map[int64]int64{7: 10, 8: 0})
	steps := []struct {
		ch, seq int64
	}{{7, 11}, {7, 12}, {7, 12}, {7, 15}, {8, 1}, {7, 14}, {8, 2}}
	for _, s := range steps {
		if err := tr.Observe(s.ch, s.seq); err != nil {
			t.Fatal(err)
		}
	}
	if tr.Deliveries != 5 || tr.Dups != 2 || tr.Gaps != 2 {
		t.Errorf("deliveries %d dups %d gaps %d, want 5 2 2", tr.Deliveries, tr.Dups, tr.Gaps)
	}
	if err := tr.Observe(9, 1); err == nil {
		t.Error("a message of a channel the client is not in was accepted")
	}
	if b := tr.Behind(map[int64]int64{7: 17, 8: 2, 9: 100}); b != 2 {
		t.Errorf("Behind = %d, want 2 (channel 9 is not the client's)", b)
	}
}

func TestClientIDRoundTrip(t *testing.T) {
	at := time.Unix(1_800_000_000, 123456789)
	id := ClientID("a1b2c3", 42, at)
	if len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") != "" {
		t.Fatalf("client_id %q is not valid for the API", id)
	}
	n, sched, ok := ParseClientID("a1b2c3", id)
	if !ok || n != 42 || !sched.Equal(at) {
		t.Errorf("ParseClientID = %d %v %v", n, sched, ok)
	}
	if _, _, ok := ParseClientID("other", id); ok {
		t.Error("a client_id of another run was accepted")
	}
	if _, _, ok := ParseClientID("a1b2c3", "c-5f1e"); ok {
		t.Error("a foreign client_id was accepted")
	}
}

func TestParsePosted(t *testing.T) {
	data := []byte(`{"id":99,"channel_id":7,"seq":1042,"client_id":"bx.1.2","author_id":1,` +
		`"text":"say \"seq\":5 and \"channel_id\":3","root_id":0}`)
	p, err := parsePosted(data)
	if err != nil || p.Channel != 7 || p.Seq != 1042 || p.ClientID != "bx.1.2" {
		t.Errorf("parsePosted = %+v, %v", p, err)
	}
	// Fallback path: keys in another order with spaces.
	p, err = parsePosted([]byte(`{"text":"x", "client_id": "c", "seq": 3, "channel_id": 4}`))
	if err != nil || p.Channel != 4 || p.Seq != 3 || p.ClientID != "c" {
		t.Errorf("fallback parsePosted = %+v, %v", p, err)
	}
}

func TestFigureJudge(t *testing.T) {
	f := Figure{Name: "p99", Value: 30, Unit: "ms"}.judge(atMost, 25)
	if f.Target != "≤ 25 ms" || !strings.HasPrefix(f.Status, "missed by 5 ms (20% over)") {
		t.Errorf("judge: %q %q", f.Target, f.Status)
	}
	f = Figure{Name: "rate", Value: 6000, Unit: "msg/s"}.judge(atLeast, 5000)
	if f.Status != "met" {
		t.Errorf("judge: %q", f.Status)
	}
	f = Figure{Name: "rate", Value: 4000, Unit: "msg/s"}.judge(atLeast, 5000)
	if f.Status != "missed by 1,000 msg/s (20% under)" {
		t.Errorf("judge: %q", f.Status)
	}
}

func TestRewriteDocKeepsNotes(t *testing.T) {
	r := Result{Suite: "standard", Command: "parley bench --suite standard", Machine: Machine{CPU: "Test CPU", Cores: 2},
		Figures: []Figure{{Name: "Mixed p99", Value: 12.5, Unit: "ms", Target: "≤ 25 ms", Status: "met"}}}
	fresh := RewriteDoc("", r)
	if !strings.Contains(fresh, defaultNotes) || !strings.Contains(fresh, "| Mixed p99 | 12.5 ms | ≤ 25 ms | met |") {
		t.Fatalf("fresh doc:\n%s", fresh)
	}
	notes := "\nThe broadcast is bound by one write per frame; see ADR 0007.\n\n- second point\n"
	edited := strings.Replace(fresh, defaultNotes, notes, 1)
	r.Figures[0].Value = 30
	again := RewriteDoc(edited, r)
	if !strings.Contains(again, "The broadcast is bound by one write per frame; see ADR 0007.\n\n- second point") {
		t.Errorf("notes lost:\n%s", again)
	}
	if strings.Contains(again, defaultNotes) || !strings.Contains(again, "| Mixed p99 | 30 ms |") {
		t.Errorf("regenerated doc:\n%s", again)
	}
	if RewriteDoc(again, r) != again {
		t.Error("rewriting is not stable")
	}
}

// The generator's fast path reads the frames the server writes (the
// httpapi encoder's) exactly as a JSON decoder does, and refuses shapes it
// does not know, which then go through the decoder.
func TestSplitEventMatchesDecoder(t *testing.T) {
	msg, err := httpapi.Encoder{}.EncodeEvent("message.posted", 987654321, chat.Message{
		ID: 5, Org: 1, Channel: 42, Seq: 7, ClientID: "bxyz.1.2", Author: 3, Text: `quote " and \ and "seq":1 中文`})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		frame string
		fast  bool
	}{
		{string(msg), true},
		{`{"seq":5,"type":"member.joined","data":{"user_id":3}}`, true},
		{`{"type":"hello","seq":12,"presence_interval":25,"idle_timeout":60}`, false},
		{`{"type":"ready"}`, false},
		{`{"type":"typing","channel_id":1,"user_id":2}`, false},
		{`{"seq":5,"type":"a\"b","data":{}}`, false},
		{`{"seq":5,"type":"x","data":{},"extra":1}`, false},
		{`{"seq":,"type":"x","data":{}}`, false},
	} {
		seq, typ, data, ok := splitEvent([]byte(c.frame))
		if ok != c.fast {
			t.Errorf("%s: fast path %v, want %v", c.frame, ok, c.fast)
			continue
		}
		if !ok {
			continue
		}
		f, err := realtime.DecodeFrame([]byte(c.frame))
		if err != nil {
			t.Fatal(err)
		}
		if seq != f.Seq || typ != f.Type || !bytes.Equal(data, f.Data) {
			t.Errorf("%s: split (%d, %q, %s), decoder (%d, %q, %s)", c.frame, seq, typ, data, f.Seq, f.Type, f.Data)
		}
	}
	_, _, data, _ := splitEvent(msg)
	p, err := parsePosted(data)
	if err != nil || p.Channel != 42 || p.Seq != 7 || p.ClientID != "bxyz.1.2" {
		t.Errorf("parsePosted(split data) = %+v, %v", p, err)
	}
}

type exitedServer struct{ ch chan struct{} }

func (s exitedServer) PID() int                { return 0 }
func (s exitedServer) Stop() error             { return nil }
func (s exitedServer) Exited() <-chan struct{} { return s.ch }
func (s exitedServer) Err() error              { return errors.New("exit status 1") }

// A node that dies at start-up is reported at once with the end of its log,
// and its data directory is kept, instead of a minute of polling followed by
// "not ready" with the log deleted.
func TestWaitReadyReportsAnExitedServer(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "server.log"), []byte("natsbus: connect nats://127.0.0.1:1: no servers available\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := exitedServer{ch: make(chan struct{})}
	close(srv.ch)
	r := newRunner(Options{})
	start := time.Now()
	err := r.waitReady(context.Background(), srv, "http://127.0.0.1:1", dir)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready (exit status 1)") ||
		!strings.Contains(err.Error(), "no servers available") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 10*time.Second || !r.keep {
		t.Errorf("took %v, keep = %v", time.Since(start), r.keep)
	}
}
