package main

// Helpers for the tests that run the parley binary as a real process: build
// it once, start and kill servers, set up an organisation through the REST
// API, keep a ledger of sends, check REST history against it, and follow the
// event stream of a user across disconnects.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildPath string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// parleyBinary builds the parley binary once per test binary run (tests that
// do not need it never pay for the build) and returns its path.
func parleyBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "parley-test-bin-")
		if buildErr != nil {
			return
		}
		buildPath = filepath.Join(buildDir, "parley")
		out, err := exec.Command("go", "build", "-o", buildPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildPath
}

// cleanEnv is the test's environment without PARLEY_* variables, so that a
// developer's settings cannot change what the tests run.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARLEY_") {
			env = append(env, kv)
		}
	}
	return env
}

// runBinary runs the parley binary to completion and returns its exit code
// and combined output.
func runBinary(tb testing.TB, args ...string) (int, string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, parleyBinary(tb), args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &ee):
		return ee.ExitCode(), string(out)
	}
	tb.Fatalf("run parley %v: %v\n%s", args, err, out)
	return 0, ""
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// pollUntil calls cond every few milliseconds until it returns true or the
// timeout passes; it reports whether cond became true.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proc is one `parley serve` process at a time on a fixed data directory
// and address; start it again after kill to simulate a crash and restart.
type proc struct {
	tb      testing.TB
	bin     string
	dir     string
	addr    string
	logPath string
	extra   []string // more serve flags

	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// newServer prepares (without starting) a server on dir. The process is
// killed at cleanup, and its log printed when the test failed.
func newServer(tb testing.TB, dir string, extra ...string) *proc {
	tb.Helper()
	s := &proc{tb: tb, bin: parleyBinary(tb), dir: dir, extra: extra,
		logPath: filepath.Join(tb.TempDir(), "server.log")}
	tb.Cleanup(func() {
		s.kill()
		if tb.Failed() {
			s.dumpLog(300)
		}
	})
	return s
}

// URL is the server's base URL.
func (s *proc) URL() string { return "http://" + s.addr }

// start launches the server and waits until /readyz answers 200. The first
// start picks a free port (again if another process took it meanwhile);
// restarts reuse the address so that clients find the server again.
func (s *proc) start() {
	s.tb.Helper()
	for attempt := 0; ; attempt++ {
		first := s.addr == ""
		if first {
			s.addr = freeAddr(s.tb)
		}
		err := s.launch()
		if err == nil {
			return
		}
		if first && attempt < 3 && strings.Contains(s.logTail(20), "address already in use") {
			s.addr = ""
			continue
		}
		s.dumpLog(100)
		s.tb.Fatalf("start server: %v", err)
	}
}

func (s *proc) launch() error {
	if s.running() {
		return errors.New("server already running")
	}
	s.starts++
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close() // the child has its own descriptor
	fmt.Fprintf(logf, "=== test: start #%d on %s\n", s.starts, s.addr)
	args := append([]string{"serve", "--data", s.dir, "--addr", s.addr}, s.extra...)
	cmd := exec.Command(s.bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	return s.waitReady(30 * time.Second)
}

// waitReady polls /readyz until it answers 200, the process exits, or the
// timeout passes.
func (s *proc) waitReady(timeout time.Duration) error {
	hc := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var last string
	ok := pollUntil(timeout, func() bool {
		if !s.running() {
			return true
		}
		resp, err := hc.Get(s.URL() + "/readyz")
		if err != nil {
			last = err.Error()
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		last = resp.Status
		return resp.StatusCode == http.StatusOK
	})
	if !s.running() {
		return fmt.Errorf("server exited before it was ready: %v", s.cmd.ProcessState)
	}
	if !ok {
		return fmt.Errorf("server not ready after %s (last answer: %s)", timeout, last)
	}
	return nil
}

func (s *proc) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *proc) kill() {
	if !s.running() {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.tb.Errorf("server pid %d still running 30s after SIGKILL", s.cmd.Process.Pid)
	}
}

// signalTerm sends SIGTERM without waiting.
func (s *proc) signalTerm() {
	s.tb.Helper()
	if !s.running() {
		s.tb.Fatal("SIGTERM: server is not running")
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.tb.Fatal(err)
	}
}

// waitExit waits up to timeout for the process to exit and returns its exit
// code, or -1 when it is still running (it is then killed).
func (s *proc) waitExit(timeout time.Duration) int {
	select {
	case <-s.exited:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		s.kill()
		return -1
	}
}

func (s *proc) logTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *proc) dumpLog(n int) {
	s.tb.Logf("server log (%s, last %d lines):\n%s", s.logPath, n, s.logTail(n))
}

// logHas reports whether the server log contains any of the words; used to
// fail on panics and data races whatever the other assertions say.
func (s *proc) logHas(words ...string) string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for _, w := range words {
			if strings.Contains(sc.Text(), w) {
				return sc.Text()
			}
		}
	}
	return ""
}

const (
	ownerEmail    = "owner@acme.test"
	ownerPassword = "crisp-harbor-lantern-1"
	userPassword  = "member-password-1"
)

// person is one user of the fixture with a logged-in REST client.
type person struct {
	idx  int
	id   int64
	name string
	api  *apiclient.Client
}

// room is one channel of the fixture and the indexes of its members.
type room struct {
	id      int64
	name    string
	kind    string
	members []int
}

// fixture is a running server with an organisation of seven people (the
// owner and u1..u6) and four channels of every kind.
type fixture struct {
	srv   *proc
	tr    *http.Transport
	users []*person // users[0] is the owner
	rooms []*room
}

// newFixture bootstraps an organisation with the CLI, starts the server and
// creates the users and channels through the REST API.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	dir := filepath.Join(tb.TempDir(), "data")
	bootstrap(tb, "--data", dir)
	srv := newServer(tb, dir)
	srv.start()
	return setupFixture(tb, srv)
}

// bootstrap creates the organisation and its owner with the CLI.
func bootstrap(tb testing.TB, where ...string) {
	tb.Helper()
	args := append([]string{"admin", "bootstrap"}, where...)
	args = append(args, "--org", "Acme", "--email", ownerEmail, "--password", ownerPassword)
	if code, out := runBinary(tb, args...); code != 0 {
		tb.Fatalf("admin bootstrap: exit %d\n%s", code, out)
	}
}

// setupFixture creates the users and channels through srv's REST API.
func setupFixture(tb testing.TB, srv *proc) *fixture {
	tb.Helper()
	fx := &fixture{srv: srv}
	fx.tr = &http.Transport{MaxIdleConnsPerHost: 64}
	tb.Cleanup(fx.tr.CloseIdleConnections)

	ctx := context.Background()
	owner, me, err := fx.client().Login(ctx, ownerEmail, ownerPassword)
	if err != nil {
		tb.Fatalf("owner login: %v", err)
	}
	fx.users = append(fx.users, &person{idx: 0, id: me.ID, name: me.Username, api: owner})
	for i := 1; i <= 6; i++ {
		name := fmt.Sprintf("u%d", i)
		if _, err := owner.CreateUser(ctx, name+"@acme.test", name, userPassword, "member"); err != nil {
			tb.Fatalf("create user %s: %v", name, err)
		}
		c, u, err := fx.client().Login(ctx, name, userPassword)
		if err != nil {
			tb.Fatalf("login %s: %v", name, err)
		}
		fx.users = append(fx.users, &person{idx: i, id: u.ID, name: name, api: c})
	}
	ids := func(idx ...int) []int64 {
		var out []int64
		for _, i := range idx {
			out = append(out, fx.users[i].id)
		}
		return out
	}
	mk := func(name, kind string, members []int, create func() (httpapi.Channel, error)) {
		ch, err := create()
		if err != nil {
			tb.Fatalf("create %s %s: %v", kind, name, err)
		}
		if ch.Kind != kind {
			tb.Fatalf("channel %s: kind %q, want %q", name, ch.Kind, kind)
		}
		fx.rooms = append(fx.rooms, &room{id: ch.ID, name: name, kind: kind, members: members})
	}
	mk("general", "public", []int{0, 1, 2, 3, 4, 5, 6}, func() (httpapi.Channel, error) {
		return owner.CreateChannel(ctx, "general", "public", ids(1, 2, 3, 4, 5, 6))
	})
	mk("secret", "private", []int{0, 1, 2, 3}, func() (httpapi.Channel, error) {
		return owner.CreateChannel(ctx, "secret", "private", ids(1, 2, 3))
	})
	mk("dm-u1-u4", "dm", []int{1, 4}, func() (httpapi.Channel, error) {
		return fx.users[1].api.OpenDM(ctx, ids(4))
	})
	mk("group-u2-u5-u6", "group", []int{2, 5, 6}, func() (httpapi.Channel, error) {
		return fx.users[2].api.OpenDM(ctx, ids(5, 6))
	})
	// The server must agree with the membership the tests assume.
	for _, u := range fx.users {
		var list struct {
			Channels []httpapi.Channel `json:"channels"`
		}
		if _, err := u.api.Do(ctx, "GET", "/api/v1/channels", nil, &list); err != nil {
			tb.Fatalf("list channels of %s: %v", u.name, err)
		}
		var got, want []int64
		for _, ch := range list.Channels {
			got = append(got, ch.ID)
		}
		for _, r := range fx.roomsOf(u.idx) {
			want = append(want, r.id)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			tb.Fatalf("channels of %s: server says %v, fixture says %v", u.name, got, want)
		}
	}
	return fx
}

// client returns an anonymous REST client on the fixture's transport.
func (fx *fixture) client() *apiclient.Client {
	return &apiclient.Client{Base: fx.srv.URL(), HTTP: &http.Client{Transport: fx.tr, Timeout: 20 * time.Second}}
}

// roomsOf returns the rooms user idx is a member of.
func (fx *fixture) roomsOf(idx int) []*room {
	var out []*room
	for _, r := range fx.rooms {
		if slices.Contains(r.members, idx) {
			out = append(out, r)
		}
	}
	return out
}

func (fx *fixture) room(id int64) *room {
	for _, r := range fx.rooms {
		if r.id == id {
			return r
		}
	}
	return nil
}

// send is one message send as the test issued it and, once acknowledged,
// as the server answered it.
type send struct {
	user     int
	channel  int64
	clientID string
	text     string
	id, seq  int64 // from the acknowledgement
}

// ledger records every acknowledged send and every send whose outcome is
// unknown (the connection failed or the server answered 5xx).
type ledger struct {
	mu       sync.Mutex
	acked    map[string]send // by client_id, unique across users in these tests
	unknown  []send
	problems []string
}

func newLedger() *ledger { return &ledger{acked: make(map[string]send)} }

func (l *ledger) problem(format string, args ...any) {
	l.mu.Lock()
	l.problems = append(l.problems, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

// post sends s and records the outcome. It returns false when the outcome
// is unknown (the caller stops: the server is probably gone).
func (l *ledger) post(ctx context.Context, api *apiclient.Client, s send) bool {
	msg, created, err := api.Post(ctx, s.channel, s.clientID, s.text)
	if err != nil {
		if st := apiclient.StatusOf(err); st != 0 && st < 500 {
			l.problem("send %s: refused: %v", s.clientID, err)
			return true
		}
		l.mu.Lock()
		l.unknown = append(l.unknown, s)
		l.mu.Unlock()
		return false
	}
	if !created {
		l.problem("send %s: fresh client_id answered 200 (existing message %d) instead of 201", s.clientID, msg.ID)
	}
	l.ack(s, msg)
	return true
}

// ack records an acknowledged message after checking it is the one sent.
func (l *ledger) ack(s send, msg httpapi.Message) {
	if msg.ID <= 0 || msg.Seq <= 0 || msg.ClientID != s.clientID || msg.Text != s.text || msg.ChannelID != s.channel {
		l.problem("send %s: acknowledgement does not match the send: %+v", s.clientID, msg)
	}
	s.id, s.seq = msg.ID, msg.Seq
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.acked[s.clientID]; ok && (prev.id != s.id || prev.seq != s.seq) {
		l.problems = append(l.problems, fmt.Sprintf("client_id %s acknowledged twice as different messages: id %d seq %d, then id %d seq %d",
			s.clientID, prev.id, prev.seq, s.id, s.seq))
	}
	l.acked[s.clientID] = s
}

// takeUnknown returns and forgets the sends of unknown outcome.
func (l *ledger) takeUnknown() []send {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.unknown
	l.unknown = nil
	return u
}

func (l *ledger) takeProblems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.problems
	l.problems = nil
	return p
}

func (l *ledger) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// resolveUnknown retries every send of unknown outcome with the same
// client_id: the server must answer with the original (200) or create it
// now (201), and a second retry must return that same message. It returns
// how many there were and how many had in fact been committed before the
// failure.
func resolveUnknown(tb testing.TB, fx *fixture, l *ledger) (n, committedBefore int) {
	tb.Helper()
	ctx := context.Background()
	unknown := l.takeUnknown()
	for _, s := range unknown {
		api := fx.users[s.user].api
		msg, created, err := api.Post(ctx, s.channel, s.clientID, s.text)
		if err != nil {
			tb.Errorf("retry of unknown-outcome send %s: %v", s.clientID, err)
			continue
		}
		if !created {
			committedBefore++
		}
		l.ack(s, msg)
		again, created, err := api.Post(ctx, s.channel, s.clientID, s.text)
		if err != nil || created || again.ID != msg.ID || again.Seq != msg.Seq {
			tb.Errorf("DELIVERY BUG: second retry of %s: created=%v id=%d seq=%d err=%v, want the message id=%d seq=%d again",
				s.clientID, created, again.ID, again.Seq, err, msg.ID, msg.Seq)
		}
	}
	return len(unknown), committedBefore
}

// verifyHistory reads every channel's whole history through REST and checks
// it against the ledger: each channel's seq runs 1..N without gaps or
// duplicates, no client_id appears twice, every acknowledged message is
// there exactly once with its id, seq, author and text, and nothing is there
// that was never acknowledged. It returns the history per channel.
func verifyHistory(tb testing.TB, fx *fixture, l *ledger) map[int64][]httpapi.Message {
	tb.Helper()
	ctx := context.Background()
	l.mu.Lock()
	acked := make(map[string]send, len(l.acked))
	for k, v := range l.acked {
		acked[k] = v
	}
	l.mu.Unlock()

	hist := make(map[int64][]httpapi.Message)
	found := make(map[string]int)
	bad := 0
	report := func(format string, args ...any) {
		if bad++; bad <= 20 {
			tb.Errorf("DELIVERY BUG: "+format, args...)
		}
	}
	for _, r := range fx.rooms {
		reader := fx.users[r.members[0]].api
		msgs, err := reader.AllMessages(ctx, r.id)
		if err != nil {
			tb.Fatalf("history of %s: %v", r.name, err)
		}
		hist[r.id] = msgs
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				report("channel %s: message #%d has seq %d (want %d): gap or duplicate", r.name, i+1, m.Seq, i+1)
			}
			if m.ChannelID != r.id {
				report("channel %s: history contains message %d of channel %d", r.name, m.ID, m.ChannelID)
			}
			found[m.ClientID]++
			if found[m.ClientID] == 2 {
				report("client_id %s appears more than once in history", m.ClientID)
			}
			s, ok := acked[m.ClientID]
			switch {
			case !ok:
				report("channel %s: message id %d seq %d client_id %q was never acknowledged", r.name, m.ID, m.Seq, m.ClientID)
			case s.id != m.ID || s.seq != m.Seq || s.channel != m.ChannelID || s.text != m.Text ||
				m.AuthorID != fx.users[s.user].id:
				report("channel %s: message %s differs from its acknowledgement: history id=%d seq=%d author=%d text=%q, ack id=%d seq=%d author=%d text=%q",
					r.name, m.ClientID, m.ID, m.Seq, m.AuthorID, m.Text, s.id, s.seq, fx.users[s.user].id, s.text)
			}
		}
	}
	for cid, s := range acked {
		if found[cid] == 0 {
			report("acknowledged message LOST: client_id %s id %d seq %d in channel %s", cid, s.id, s.seq, fx.room(s.channel).name)
		}
	}
	if bad > 20 {
		tb.Errorf("... and %d more delivery problems", bad-20)
	}
	return hist
}

// watcher follows one user's event stream, reconnecting with since = the
// last seq it received whenever the connection ends, and checks on the way
// that event seqs strictly increase, channel seqs increase within each
// channel, and no message.posted arrives twice.
type watcher struct {
	name   string
	user   int
	urls   []string // stream URLs (possibly through a cutProxy); the next is tried when one fails
	cur    int      // the URL in use; guarded by mu
	header http.Header

	mu         sync.Mutex
	last       int64
	chanSeq    map[int64]int64
	got        map[int64]int // message id -> times received
	msgs       map[int64]httpapi.Message
	problems   []string
	connects   int
	closeCodes map[int]int
	readyConns int // connections that reached "ready"
}

func newWatcher(fx *fixture, user int, base string) *watcher {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+fx.users[user].api.Token)
	return &watcher{name: fx.users[user].name, user: user, urls: []string{base + "/api/v1/stream"}, header: h,
		chanSeq: make(map[int64]int64), got: make(map[int64]int), msgs: make(map[int64]httpapi.Message),
		closeCodes: make(map[int]int)}
}

func (w *watcher) problem(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.problems) < 50 {
		w.problems = append(w.problems, fmt.Sprintf(w.name+": "+format, args...))
	}
}

// run follows the stream until ctx ends. The first connection asks for
// since=0, so the watcher sees every event of its user from the start.
func (w *watcher) run(ctx context.Context) {
	for ctx.Err() == nil {
		w.mu.Lock()
		since, url := w.last, w.urls[w.cur]
		w.mu.Unlock()
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := realtime.Dial(dctx, url, w.header, since)
		cancel()
		if err != nil {
			// The server is down or restarting: try the next node (if
			// any) shortly.
			w.mu.Lock()
			w.cur = (w.cur + 1) % len(w.urls)
			w.mu.Unlock()
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
			continue
		}
		w.mu.Lock()
		w.connects++
		w.mu.Unlock()
		resume := w.read(ctx, c)
		c.Close()
		if !resume {
			return // resuming again would only get the same answer
		}
	}
}

// read handles one connection's frames; it returns false when the server
// asked for a resync.
func (w *watcher) read(ctx context.Context, c *realtime.Client) bool {
	for {
		f, err := c.Next(ctx)
		if err != nil {
			var ce *realtime.CloseError
			if errors.As(err, &ce) {
				w.mu.Lock()
				w.closeCodes[ce.Code]++
				w.mu.Unlock()
				if ce.Code == realtime.CloseResync {
					w.problem("server asked for a resync (close %d) when resuming after seq %d", ce.Code, w.lastSeq())
					return false
				}
			}
			return true
		}
		switch f.Type {
		case "hello", "pong", "typing", "presence":
			continue
		case "ready":
			w.mu.Lock()
			w.readyConns++
			w.mu.Unlock()
			continue
		case "resync":
			continue // the close with CloseResync follows
		}
		w.event(f)
	}
}

func (w *watcher) event(f realtime.Frame) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f.Seq <= w.last {
		w.problems = append(w.problems, fmt.Sprintf("%s: event %s seq %d after seq %d: not strictly increasing",
			w.name, f.Type, f.Seq, w.last))
		return
	}
	w.last = f.Seq
	if f.Type != "message.posted" {
		return
	}
	var m httpapi.Message
	if err := json.Unmarshal(f.Data, &m); err != nil {
		w.problems = append(w.problems, fmt.Sprintf("%s: bad message.posted data: %v: %s", w.name, err, f.Raw))
		return
	}
	w.got[m.ID]++
	if w.got[m.ID] == 2 {
		w.problems = append(w.problems, fmt.Sprintf("%s: message.posted for message %d (client_id %s) received twice",
			w.name, m.ID, m.ClientID))
	}
	if m.Seq <= w.chanSeq[m.ChannelID] {
		w.problems = append(w.problems, fmt.Sprintf("%s: channel %d: message seq %d after %d", w.name, m.ChannelID, m.Seq, w.chanSeq[m.ChannelID]))
	}
	w.chanSeq[m.ChannelID] = m.Seq
	w.msgs[m.ID] = m
}

func (w *watcher) lastSeq() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last
}

// has reports whether every message id was received.
func (w *watcher) has(ids []int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		if w.got[id] == 0 {
			return false
		}
	}
	return true
}

// waitCaughtUp waits until every watcher has received the newest message of
// each of its channels (events arrive in order, so it then has had its
// chance to receive every earlier one) and reports those that did not
// within timeout.
func waitCaughtUp(tb testing.TB, fx *fixture, hist map[int64][]httpapi.Message, watchers []*watcher, timeout time.Duration) {
	tb.Helper()
	targets := make([][]int64, len(watchers))
	for i, w := range watchers {
		for _, r := range fx.roomsOf(w.user) {
			if msgs := hist[r.id]; len(msgs) > 0 {
				targets[i] = append(targets[i], msgs[len(msgs)-1].ID)
			}
		}
	}
	caughtUp := func(i int) bool { return watchers[i].has(targets[i]) }
	pollUntil(timeout, func() bool {
		for i := range watchers {
			if !caughtUp(i) {
				return false
			}
		}
		return true
	})
	for i, w := range watchers {
		if !caughtUp(i) {
			tb.Errorf("STREAM BUG: %s did not receive the newest message of each of its channels within %s (last seq %d)",
				w.name, timeout, w.lastSeq())
		}
	}
}

// checkWatcher compares what w received with the user's expected messages:
// every one exactly once, with the text the history has, and nothing else.
func checkWatcher(tb testing.TB, fx *fixture, hist map[int64][]httpapi.Message, w *watcher) {
	tb.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range w.problems {
		tb.Errorf("STREAM BUG: %s", p)
	}
	w.problems = nil
	want := make(map[int64]httpapi.Message)
	for _, r := range fx.roomsOf(w.user) {
		for _, m := range hist[r.id] {
			want[m.ID] = m
		}
	}
	missing, extra := 0, 0
	for id, m := range want {
		switch got, n := w.msgs[id], w.got[id]; {
		case n == 0:
			if missing++; missing <= 10 {
				tb.Errorf("STREAM BUG: %s never received message.posted for message %d (channel %d seq %d client_id %s)",
					w.name, id, m.ChannelID, m.Seq, m.ClientID)
			}
		case n > 1:
			// reported as a problem when it happened
		case got.Text != m.Text || got.Seq != m.Seq || got.ChannelID != m.ChannelID:
			tb.Errorf("STREAM BUG: %s: message %d on the stream (channel %d seq %d %q) differs from history (channel %d seq %d %q)",
				w.name, id, got.ChannelID, got.Seq, got.Text, m.ChannelID, m.Seq, m.Text)
		}
	}
	for id, m := range w.msgs {
		if _, ok := want[id]; !ok {
			if extra++; extra <= 10 {
				tb.Errorf("STREAM BUG: %s received message %d (channel %d seq %d) that is not in its channels' history",
					w.name, id, m.ChannelID, m.Seq)
			}
		}
	}
	if missing > 10 || extra > 10 {
		tb.Errorf("%s: %d missing and %d unexpected messages in all", w.name, missing, extra)
	}
}

// cutProxy forwards TCP connections to a target and can cut them abruptly
// (RST, no WebSocket close), the way a dropped network or a killed client
// ends a connection.
type cutProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu      sync.Mutex
	pairs   map[net.Conn]net.Conn // client side -> server side
	closed  bool
	blocked bool // new connections are reset at once (a partition)
}

func newCutProxy(tb testing.TB, target string) *cutProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, pairs: make(map[net.Conn]net.Conn)}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cut()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's base URL.
func (p *cutProxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			return
		}
		if p.blocked {
			p.mu.Unlock()
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
			s.Close()
			continue
		}
		p.pairs[c] = s
		p.wg.Add(2)
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			defer p.wg.Done()
			io.Copy(dst, src)
			c.Close()
			s.Close()
			p.mu.Lock()
			delete(p.pairs, c)
			p.mu.Unlock()
		}
		go pipe(s, c)
		go pipe(c, s)
	}
}

// partition resets every connection through the proxy and refuses new
// ones until heal.
func (p *cutProxy) partition() int {
	p.mu.Lock()
	p.blocked = true
	p.mu.Unlock()
	return p.cut()
}

// heal lets connections through again.
func (p *cutProxy) heal() {
	p.mu.Lock()
	p.blocked = false
	p.mu.Unlock()
}

// cut resets every connection through the proxy and returns how many.
func (p *cutProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c, s := range p.pairs {
		for _, x := range []net.Conn{c, s} {
			if tc, ok := x.(*net.TCPConn); ok {
				tc.SetLinger(0) // close sends RST
			}
			x.Close()
		}
		delete(p.pairs, c)
		n++
	}
	return n
}
