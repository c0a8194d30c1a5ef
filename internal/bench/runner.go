package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
)

// runner carries one run's state.
type runner struct {
	o     Options
	s     Suite
	res   Result
	prog  progress
	runID string // short random id in every client_id

	url     string
	srv     Server
	extra   []Server // the other spawned nodes of a cluster
	pid     int      // server pid for /proc sampling; 0 when not local
	dataDir string
	tmpDir  bool
	keep    bool // a server failed to start: keep dataDir (its logs) for diagnosis

	plan    Plan
	users   []int64  // by plan index
	tokens  []string // by plan index
	chans   []int64  // by plan index
	chanIdx map[int64]int

	mu   sync.Mutex
	seqs map[int64]int64 // channel id → last acked seq

	api       *apiclient.Client
	urls      []string // the nodes of a cluster given with --url; one or none
	preloaded bool     // history was preloaded (and indexed) before the server started
	fleet     *fleet
	connected []int // per plan channel: connected clients of its members
	clients   int
	msgN      atomic.Uint64
}

func newRunner(o Options) *runner {
	if o.Seed == 0 {
		o.Seed = 1
	}
	b := make([]byte, 3)
	rand.Read(b)
	r := &runner{o: o, s: o.Suite, prog: progress{w: o.Progress}, runID: hex.EncodeToString(b), seqs: map[int64]int64{}}
	r.res = Result{Suite: o.Suite.Name, Command: o.Command, Machine: ReadMachine(), Started: time.Now(),
		Phases: map[string]PhaseStats{}}
	tr := &http.Transport{MaxIdleConns: 4096, MaxIdleConnsPerHost: 4096, IdleConnTimeout: time.Minute,
		DisableCompression: true}
	r.api = &apiclient.Client{HTTP: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
	return r
}

func (r *runner) cleanup() {
	if r.fleet != nil {
		r.fleet.stop()
	}
	for _, s := range r.extra {
		s.Stop()
	}
	if r.srv != nil {
		r.srv.Stop()
	}
	if r.keep {
		r.prog.logf("kept %s (a server did not start: its server.log is there)", r.dataDir)
	} else if r.tmpDir {
		os.RemoveAll(r.dataDir)
	}
}

// fig adds a figure. Targets are judged on the standard suite only: the
// smoke suite is too small for them to mean anything.
func (r *runner) fig(f Figure) {
	if r.s.Name != "standard" && !f.Gate && f.Status != "n/a" {
		f.Status = ""
	}
	r.res.Figures = append(r.res.Figures, f)
}

func (r *runner) note(format string, a ...any) {
	r.res.Notes = append(r.res.Notes, fmt.Sprintf(format, a...))
}

func (r *runner) fail(format string, a ...any) {
	r.res.Failed = true
	r.res.FailCause = append(r.res.FailCause, fmt.Sprintf(format, a...))
}

func (r *runner) run(ctx context.Context) error {
	start := time.Now()
	defer func() { r.res.Duration = time.Since(start).Seconds() }()
	r.plan = NewPlan(r.s.Shape, r.o.Seed)
	r.prog.logf("bench %s: %d users, %d channels and DMs, %d memberships", r.s.Name, r.plan.Users,
		len(r.plan.Channels), r.plan.Memberships())
	var err error
	if len(r.o.URLs) == 0 {
		err = r.setupSpawn(ctx)
	} else {
		err = r.setupURL(ctx)
	}
	if err != nil {
		return err
	}
	r.chanIdx = make(map[int64]int, len(r.chans))
	for i, id := range r.chans {
		r.chanIdx[id] = i
	}
	r.fleet = &fleet{start: r.o.Worker, perProc: max(r.s.PerWorker, 1)}
	r.connected = make([]int, len(r.plan.Channels))

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"idle", r.idle}, {"dm", r.dm}, {"mixed", r.mixed}, {"cross", r.cross}, {"chatter", r.chatter}, {"storm", r.storm},
		{"held", r.held}, {"broadcast", r.broadcast}, {"history", r.history}, {"search", r.search},
	}
	for _, st := range steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if len(r.o.Only) > 0 && !slices.Contains(r.o.Only, st.name) && st.name != "idle" {
			continue
		}
		if err := st.fn(ctx); err != nil {
			return fmt.Errorf("bench %s: %w", st.name, err)
		}
	}
	r.finish()
	return nil
}

// nodeFor is the node user u (an index into the plan) talks to: with
// several --url nodes, users are spread over them round-robin.
// With Cross, streams go to the nodes after the first, round-robin.
func (r *runner) nodeFor(u int) string {
	if len(r.urls) < 2 {
		return ""
	}
	if r.o.Cross {
		return r.urls[1+u%(len(r.urls)-1)]
	}
	return r.urls[u%len(r.urls)]
}

// as returns an API client acting as user u on that user's node (with
// Cross, always the first node).
func (r *runner) as(u int) *apiclient.Client {
	c := r.api.WithToken(r.tokens[u])
	if r.o.Cross && len(r.urls) > 1 {
		c.Base = r.urls[0]
	} else if n := r.nodeFor(u); n != "" {
		c.Base = n
	}
	return c
}

// ---- setting up the target ----

const ownerEmail = "owner@bench.invalid"

func (r *runner) setupSpawn(ctx context.Context) error {
	if r.o.Launcher == nil {
		return errors.New("bench: no launcher to spawn a server")
	}
	r.dataDir = r.o.DataDir
	if r.dataDir == "" {
		d, err := os.MkdirTemp("", "parley-bench-")
		if err != nil {
			return err
		}
		r.dataDir, r.tmpDir = d, true
	}
	password := "bench-" + r.runID + "-password"
	r.prog.logf("bootstrap %s", r.dataDir)
	if err := r.o.Launcher.Bootstrap(ctx, r.dataDir, ownerEmail, password); err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	d, err := r.startServer(ctx)
	if err != nil {
		return err
	}
	r.fig(Figure{Name: "Start-up to /readyz (empty DB)", Value: msf(d), Unit: "ms"}.judge(atMost, 1000))
	r.srv.Stop()
	r.srv = nil

	if err := r.preload(ctx, password); err != nil {
		return err
	}
	d, err = r.startServer(ctx)
	if err != nil {
		return err
	}
	name := "Start-up to /readyz"
	if r.s.Preload > 0 {
		name = fmt.Sprintf("Start-up to /readyz (%s-message DB)", short(r.s.Preload))
	}
	r.fig(Figure{Name: name, Value: msf(d), Unit: "ms"}.judge(atMost, 1000))
	r.res.Target = "one node spawned by the bench (embedded SQLite store, group commit, synchronous=FULL)"
	if r.o.Database != "" {
		r.res.Target = "one node spawned by the bench (PostgreSQL store, one writer connection, group commit)"
	}
	if r.o.Nodes > 1 {
		r.urls = []string{r.url}
		for i := 1; i < r.o.Nodes; i++ {
			dir := filepath.Join(r.dataDir, "node"+strconv.Itoa(i))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			srv, err := r.o.Launcher.Start(ctx, dir, addr)
			if err != nil {
				return fmt.Errorf("start node %d: %w", i, err)
			}
			r.extra = append(r.extra, srv)
			if err := r.waitReady(ctx, srv, "http://"+addr, dir); err != nil {
				return err
			}
			r.urls = append(r.urls, "http://"+addr)
		}
		how := "user i streams from and sends through node i mod N"
		if r.o.Cross {
			how = "every message is sent through node 1 and every stream reads from another node: every delivery crosses nodes"
		}
		r.res.Target = fmt.Sprintf("%d nodes spawned by the bench on one PostgreSQL database and NATS; %s (server CPU figures: node 1 only)",
			r.o.Nodes, how)
		r.note("%s", r.res.Target)
	}
	return nil
}

// exiter is a Server that reports the end of its process (a spawned child),
// so that a node which fails at start-up is reported at once with its
// exit status, not after a minute of polling.
type exiter interface {
	Exited() <-chan struct{}
	Err() error
}

// waitReady polls base's /readyz until it answers 200 (60 s at most). A
// server that exits first, or never answers, is an error quoting the end
// of its log (server.log in dir, where the launcher writes it); the data
// directory is then kept so that the whole log can be read.
func (r *runner) waitReady(ctx context.Context, srv Server, base, dir string) error {
	var exited <-chan struct{}
	if e, ok := srv.(exiter); ok {
		exited = e.Exited()
	}
	hc := &http.Client{Timeout: time.Second}
	start := time.Now()
	for {
		resp, err := hc.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Since(start) > 60*time.Second {
			r.keep = true
			return fmt.Errorf("server at %s not ready after 60 s (last error: %v)%s", base, err, logTail(dir))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			r.keep = true
			return fmt.Errorf("server at %s exited before it was ready (%v)%s", base, srv.(exiter).Err(), logTail(dir))
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// logTail is the end of dir/server.log for an error message, or "".
func logTail(dir string) string {
	path := filepath.Join(dir, "server.log")
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "; end of " + path + ":\n" + strings.TrimSpace(string(b))
}

func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.Itoa(n/1_000_000) + "M"
	case n >= 1_000 && n%1_000 == 0:
		return strconv.Itoa(n/1_000) + "k"
	}
	return strconv.Itoa(n)
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// startServer starts a server on the data dir and times it to /readyz 200.
func (r *runner) startServer(ctx context.Context) (time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return 0, err
	}
	start := time.Now()
	srv, err := r.o.Launcher.Start(ctx, r.dataDir, addr)
	if err != nil {
		return 0, fmt.Errorf("start server: %w", err)
	}
	r.srv, r.pid = srv, srv.PID()
	r.url = "http://" + addr
	r.api.Base = r.url
	if err := r.waitReady(ctx, srv, r.url, r.dataDir); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// preload writes the organisation (and history) straight into the database.
func (r *runner) preload(ctx context.Context, password string) error {
	start := time.Now()
	db, err := store.Open(ctx, r.dataDir, false, store.Options{Database: r.o.Database})
	if err != nil {
		return err
	}
	defer db.Close()
	owner, _, err := db.UserByLogin(ctx, ownerEmail)
	if err != nil {
		return fmt.Errorf("find the bootstrapped owner: %w", err)
	}
	hash, err := auth.Hasher{}.Hash(password) // one hash shared by every bench user
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	in := store.BulkInput{Org: owner.Org}
	r.tokens = make([]string, r.plan.Users)
	for i := range r.plan.Users {
		name := fmt.Sprintf("u%05d", i)
		in.Users = append(in.Users, store.BulkUser{PasswordHash: hash, User: account.User{
			Email: name + "@bench.invalid", Username: name, DisplayName: "User " + strconv.Itoa(i),
			Role: account.RoleMember, CreatedAt: now}})
		r.tokens[i] = "pt_bench_" + r.runID + "_" + strconv.Itoa(i) + "_" + randHex(12)
	}
	in.Tokens = r.tokens
	for _, c := range r.plan.Channels {
		ch := chat.Channel{Kind: chat.KindPublic, Name: c.Name, CreatedBy: owner.ID, CreatedAt: now}
		if c.DM {
			ch.Kind, ch.Name = chat.KindDM, ""
		}
		in.Channels = append(in.Channels, store.BulkChannel{Channel: ch, Members: c.Members})
	}
	counts := make([]int64, len(r.plan.Channels))
	if r.s.Preload > 0 {
		in.Messages = r.historySeq(counts)
	}
	r.prog.logf("preload: %d users, %d channels, %d messages (direct to the database)", len(in.Users),
		len(in.Channels), r.s.Preload)
	stop := r.prog.during("preload", time.Duration(r.s.Preload/40_000+5)*time.Second)
	res, err := db.BulkLoad(ctx, in)
	stop()
	if err != nil {
		return err
	}
	r.users, r.chans = res.Users, res.Channels
	for i, id := range r.chans {
		r.seqs[id] = counts[i]
	}
	if res.Messages > 0 {
		// The bulk load bypasses the search index; build it as an upgraded
		// installation would, with `parley admin reindex`'s code.
		stop := r.prog.during("reindex", time.Duration(r.s.Preload/25_000+5)*time.Second)
		err := db.Reindex(ctx, nil)
		stop()
		if err != nil {
			return fmt.Errorf("reindex the preloaded history: %w", err)
		}
		r.preloaded = true
	}
	r.res.Phases["preload"] = PhaseStats{Sent: uint64(res.Messages), ElapsedMS: msf(time.Since(start))}
	r.prog.logf("preload done in %.1f s", time.Since(start).Seconds())
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// historySeq yields the preloaded messages: channels drawn from a Zipf
// distribution over a shuffled channel order, authors among the members,
// 100–200 bytes of text, timestamps over the past year. counts receives the
// number of messages per plan channel.
func (r *runner) historySeq(counts []int64) iter.Seq[store.BulkMessage] {
	return func(yield func(store.BulkMessage) bool) {
		rng := mrand.New(mrand.NewPCG(r.o.Seed, 99))
		order := rng.Perm(len(r.plan.Channels))
		zipf := mrand.NewZipf(rng, 1.1, 1, uint64(len(order)-1))
		start := time.Now().Add(-365 * 24 * time.Hour)
		step := 365 * 24 * time.Hour / time.Duration(r.s.Preload)
		for n := range r.s.Preload {
			ci := order[zipf.Uint64()]
			c := r.plan.Channels[ci]
			counts[ci]++
			m := store.BulkMessage{Channel: ci, Author: c.Members[rng.IntN(len(c.Members))],
				ClientID: "pre." + strconv.Itoa(n), Text: text(rng, 100+rng.IntN(100)),
				CreatedAt: start.Add(time.Duration(n) * step)}
			if !yield(m) {
				return
			}
		}
	}
}

var words = strings.Fields("the deploy is green again please review my change before lunch we should ship the " +
	"release notes today 会议 改到 下午 三点 thanks for the quick fix the dashboard looks slow on mobile")

func text(rng *mrand.Rand, n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[rng.IntN(len(words))])
	}
	return b.String()
}

// setupURL builds the organisation on an existing server through the API
// (slow: every user costs two argon2id hashes), as an organisation admin.
func (r *runner) setupURL(ctx context.Context) error {
	if r.o.Token == "" {
		return errors.New("bench: --url needs --token (an organisation admin's bearer token)")
	}
	for _, u := range r.o.URLs {
		r.urls = append(r.urls, strings.TrimRight(u, "/"))
	}
	if len(r.urls) > 1 {
		r.note("%d nodes: user i connects to and sends through node i mod %d, so deliveries cross nodes", len(r.urls), len(r.urls))
	}
	r.url = r.urls[0]
	r.api.Base = r.url
	r.res.Target = "existing server " + r.url
	if r.s.Preload > 0 {
		r.note("history preload skipped: it writes the database directly and needs --spawn")
	}
	admin := r.api.WithToken(r.o.Token)
	var me httpapi.User
	if _, err := admin.Do(ctx, "GET", "/api/v1/users/me", nil, &me); err != nil {
		return fmt.Errorf("check --token: %w", err)
	}
	password := "bench-" + r.runID + "-" + randHex(8)
	r.users = make([]int64, r.plan.Users)
	r.tokens = make([]string, r.plan.Users)
	r.prog.logf("creating %d users through the API (argon2id: slow)", r.plan.Users)
	err := parallel(8, r.plan.Users, func(i int) error {
		name := fmt.Sprintf("b%s-u%05d", r.runID, i)
		u, err := admin.CreateUser(ctx, name+"@bench.invalid", name, password, "member")
		if err != nil {
			return err
		}
		c, _, err := r.api.Login(ctx, u.Email, password)
		if err != nil {
			return err
		}
		r.users[i], r.tokens[i] = u.ID, c.Token
		return nil
	})
	if err != nil {
		return err
	}
	r.chans = make([]int64, len(r.plan.Channels))
	err = parallel(8, len(r.plan.Channels), func(i int) error {
		c := r.plan.Channels[i]
		ids := make([]int64, len(c.Members))
		for j, m := range c.Members {
			ids[j] = r.users[m]
		}
		var ch httpapi.Channel
		var err error
		if c.DM {
			ch, err = r.api.WithToken(r.tokens[c.Members[0]]).OpenDM(ctx, ids[1:])
		} else {
			ch, err = admin.CreateChannel(ctx, "b"+r.runID+"-"+c.Name, "public", ids)
		}
		r.chans[i] = ch.ID
		return err
	})
	if err != nil {
		return err
	}
	for _, id := range r.chans {
		r.seqs[id] = 0
	}
	return nil
}

// parallel runs fn(0..n-1) on par goroutines and returns the first error.
func parallel(par, n int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range par {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// genCPU is the CPU time used so far by the load generator: this process
// and its worker processes (0 where /proc is not available).
func (r *runner) genCPU() time.Duration {
	d, err := procCPU(os.Getpid())
	if err != nil {
		return 0
	}
	if r.fleet != nil {
		for _, w := range r.fleet.workers {
			if w.p.PID != 0 {
				c, _ := procCPU(w.p.PID)
				d += c
			}
		}
	}
	return d
}

// profile records CPU profiles for d into ProfileDir, when profiling was
// asked for: the spawned server's (server-NAME.pprof), this process's
// senders (generator-NAME.pprof) and each worker's (worker-NAME-PID.pprof),
// since the generator shares the machine and its cost per frame counts
// too. The returned func waits for them. Failures are notes, not errors:
// profiles are a diagnosis aid, not figures.
func (r *runner) profile(ctx context.Context, name string, d time.Duration) (wait func()) {
	if r.o.ProfileDir == "" {
		return func() {}
	}
	var wg sync.WaitGroup
	if r.o.ServerPprof != "" {
		wg.Go(func() {
			secs := max(1, int(d.Round(time.Second)/time.Second))
			u := r.o.ServerPprof + "/debug/pprof/profile?seconds=" + strconv.Itoa(secs)
			req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
			if err != nil {
				r.note("profile %s: %v", name, err)
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				r.note("profile %s: %v", name, err)
				return
			}
			defer resp.Body.Close()
			if err := writeFile(filepath.Join(r.o.ProfileDir, "server-"+name+".pprof"), resp.Body); err != nil {
				r.note("profile %s: %v", name, err)
			}
		})
	}
	wg.Go(func() {
		if err := ProfileCPU(ctx, filepath.Join(r.o.ProfileDir, "generator-"+name+".pprof"), d); err != nil {
			r.note("profile %s: %v", name, err)
		}
	})
	if r.fleet != nil {
		wg.Go(func() {
			reps, err := r.fleet.all(Command{Op: "profile", Run: filepath.Join(r.o.ProfileDir, "worker-"+name),
				DurationMS: int(d / time.Millisecond)})
			if m := merge(reps); err == nil && m.Err != "" {
				err = errors.New(m.Err)
			}
			if err != nil {
				r.note("profile %s: workers: %v", name, err)
			}
		})
	}
	return func() {
		wg.Wait()
		r.prog.logf("%s: CPU profiles in %s", name, r.o.ProfileDir)
	}
}

func writeFile(path string, src io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ProfileCPU writes a CPU profile of this process for d (or until ctx ends)
// to path.
func ProfileCPU(ctx context.Context, path string, d time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	pprof.StopCPUProfile()
	return f.Close()
}
