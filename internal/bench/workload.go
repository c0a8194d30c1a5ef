package bench

import (
	"context"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
)

// ---- connecting ----

// connect adds n clients (client i acts as user i mod Users).
func (r *runner) connect(ctx context.Context, n int) (Report, error) {
	specs := make([]ClientSpec, n)
	for k := range n {
		u := (r.clients + k) % r.plan.Users
		base := make(map[int64]int64, len(r.plan.ByUser[u]))
		r.mu.Lock()
		for _, ci := range r.plan.ByUser[u] {
			base[r.chans[ci]] = r.seqs[r.chans[ci]]
			r.connected[ci]++
		}
		r.mu.Unlock()
		specs[k] = ClientSpec{User: r.users[u], Token: r.tokens[u], Base: base, URL: r.nodeFor(u)}
	}
	r.clients += n
	stop := r.prog.during("connect", time.Duration(n/500+1)*time.Second)
	reps, err := r.fleet.connect(ctx, r.url, r.runID, specs)
	stop()
	m := merge(reps)
	if err != nil {
		return m, err
	}
	if m.Err != "" || m.ConnectErrors > 0 {
		r.fail("connect: %d of %d clients failed (%s)", m.ConnectErrors, n, m.Err)
	}
	return m, nil
}

func (r *runner) cpu() time.Duration {
	if r.pid == 0 {
		return 0
	}
	d, _ := procCPU(r.pid)
	return d
}

func (r *runner) rss() int64 {
	if r.pid == 0 {
		return 0
	}
	v, _ := procRSS(r.pid)
	return v
}

// idle connects the first batch of clients, lets them sit and measures the
// server's memory per connection and idle CPU.
func (r *runner) idle(ctx context.Context) error {
	rss0 := r.rss()
	start := time.Now()
	rep, err := r.connect(ctx, r.s.Conns)
	if err != nil {
		return err
	}
	connectTime := time.Since(start)
	quiet := r.quiesce(ctx)
	r.fig(Figure{Name: fmt.Sprintf("Connect %s clients until the server is quiet", short(r.s.Conns)),
		Value: (connectTime + quiet).Seconds(), Unit: "s"})
	cpu0 := r.cpu()
	stop := r.prog.during("idle", r.s.Idle)
	time.Sleep(r.s.Idle)
	stop()
	cpu1, rss1 := r.cpu(), r.rss()
	ps := PhaseStats{Clients: rep.Clients, ElapsedMS: msf(connectTime), DialRetries: rep.DialRetries,
		ServerCPUS: (cpu1 - cpu0).Seconds(), ServerRSSMB: float64(rss1) / (1 << 20)}
	r.res.Phases["idle"] = ps
	r.prog.logf("idle: %d clients connected in %.1f s", rep.Clients, connectTime.Seconds())
	// With --cross no stream is on node 1, the node sampled: no figure.
	if r.pid != 0 && r.s.Conns > 0 && !(r.o.Cross && len(r.urls) > 1) {
		per := float64(rss1-rss0) / float64(r.s.Conns) / 1024
		r.fig(Figure{Name: fmt.Sprintf("Server memory per idle WebSocket (%s conns)", short(r.s.Conns)), Value: per,
			Unit: "KB"}.judge(atMost, 16))
		r.fig(Figure{Name: "Server CPU while idle", Value: 100 * (cpu1 - cpu0).Seconds() / r.s.Idle.Seconds(),
			Unit: "% of a core"})
	}
	return nil
}

// quiesce waits (up to 3 minutes) until the server uses under 10% of a
// core over half a second, so that the fan-out of one phase (presence
// announcements of thousands of new connections are O(N²) frames) does not
// bleed into the next phase's latencies. It returns how long it waited.
func (r *runner) quiesce(ctx context.Context) time.Duration {
	if r.pid == 0 {
		return 0
	}
	start := time.Now()
	stop := r.prog.during("settle", 30*time.Second)
	defer stop()
	for time.Since(start) < 3*time.Minute && ctx.Err() == nil {
		c0 := r.cpu()
		time.Sleep(500 * time.Millisecond)
		if r.cpu()-c0 < 50*time.Millisecond {
			break
		}
	}
	d := time.Since(start)
	if d > time.Second {
		r.prog.logf("server busy for %.1f s after the phase (fan-out still draining)", d.Seconds())
	}
	return d
}

// ---- sending ----

// sendStats is the sender's side of a workload.
type sendStats struct {
	sent, acked, errs, replays uint64
	ack                        *Histogram
	start, lastAck             time.Time
	touched                    map[int64]int64 // channel id → highest acked seq
	expected                   uint64          // deliveries owed to connected clients
	genCPU0                    time.Duration   // the generator's CPU time at the start
	firstErr                   string
}

// openLoop sends rate messages a second for d on a fixed schedule. A send
// that cannot start on time (all MaxInFlight busy) starts late but is still
// timed from its scheduled moment, so a slow server cannot hide its queueing.
func (r *runner) openLoop(ctx context.Context, name string, rate float64, d time.Duration,
	choose func(rng *mrand.Rand) (ch, user int)) *sendStats {
	st := &sendStats{ack: NewHistogram(), touched: map[int64]int64{}, genCPU0: r.genCPU()}
	total := int(rate * d.Seconds())
	if total < 1 || rate <= 0 {
		return st
	}
	interval := time.Duration(float64(time.Second) / rate)
	rng := mrand.New(mrand.NewPCG(r.o.Seed, uint64(len(name))))
	sem := make(chan struct{}, max(r.s.MaxInFlight, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	stop := r.prog.during(name, d)
	defer stop()
	defer r.profile(ctx, name, d)()
	st.start = time.Now().Add(20 * time.Millisecond)
	for i := range total {
		sched := st.start.Add(time.Duration(i) * interval)
		if w := time.Until(sched); w > 0 {
			time.Sleep(w)
		}
		if ctx.Err() != nil {
			break
		}
		ci, u := choose(rng)
		sem <- struct{}{}
		st.sent++
		wg.Go(func() {
			defer func() { <-sem }()
			r.send(ctx, st, &mu, ci, u, sched)
		})
	}
	wg.Wait()
	return st
}

var padding = strings.Repeat("lorem ipsum dolor sit amet ", 8)

// send posts one message and records the acknowledgement.
func (r *runner) send(ctx context.Context, st *sendStats, mu *sync.Mutex, ci, u int, sched time.Time) {
	n := r.msgN.Add(1)
	cid := ClientID(r.runID, n, sched)
	// About 200 bytes of text, as in docs/benchmarks.md.
	txt := "bench " + strconv.FormatUint(n, 10) + " " + padding
	txt = txt[:min(len(txt), 200)]
	msg, created, err := r.as(u).Post(ctx, r.chans[ci], cid, txt)
	now := time.Now()
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		st.errs++
		if st.firstErr == "" {
			st.firstErr = err.Error()
		}
		return
	}
	if !created {
		st.replays++
	}
	st.acked++
	st.ack.Record(now.Sub(sched))
	if now.After(st.lastAck) {
		st.lastAck = now
	}
	if msg.Seq > st.touched[msg.ChannelID] {
		st.touched[msg.ChannelID] = msg.Seq
	}
	r.mu.Lock()
	if msg.Seq > r.seqs[msg.ChannelID] {
		r.seqs[msg.ChannelID] = msg.Seq
	}
	st.expected += uint64(r.connected[r.chanIdx[msg.ChannelID]])
	r.mu.Unlock()
}

// settle waits for the workers to receive everything sent and turns both
// sides into a PhaseStats.
func (r *runner) settle(name string, st *sendStats, cpu0 time.Duration) (PhaseStats, Report, error) {
	reps, err := r.fleet.all(Command{Op: "sync", Target: st.touched, TimeoutMS: int(r.s.SyncTimeout / time.Millisecond)})
	if err != nil {
		return PhaseStats{}, Report{}, err
	}
	m := merge(reps)
	cpu := r.cpu() - cpu0
	ps := PhaseStats{Sent: st.sent, Acked: st.acked, SendErrors: st.errs, Deliveries: m.Deliveries,
		Expected: st.expected, Dups: m.Dups, Gaps: m.Gaps, Misrouted: m.Misrouted, Conflicts: m.Conflicts,
		Closed: m.Closed, Clients: m.Clients, ServerCPUS: cpu.Seconds(), ServerRSSMB: float64(r.rss()) / (1 << 20)}
	if st.expected > m.Deliveries {
		ps.Lost = int64(st.expected - m.Deliveries)
	}
	ps.Lost = max(ps.Lost, m.Behind)
	if st.acked > 0 {
		ps.AckP50MS, ps.AckP99MS = msf(st.ack.Quantile(0.5)), msf(st.ack.Quantile(0.99))
		if el := st.lastAck.Sub(st.start); el > 0 {
			ps.AckedPerSec = float64(st.acked) / el.Seconds()
		}
	}
	h := m.Latency
	if h.Count() > 0 {
		ps.P50MS, ps.P90MS, ps.P99MS = msf(h.Quantile(0.5)), msf(h.Quantile(0.9)), msf(h.Quantile(0.99))
		ps.P999MS, ps.MaxMS = msf(h.Quantile(0.999)), msf(h.Max())
		if el := time.Duration(m.LastNS - st.start.UnixNano()); el > 0 {
			ps.DeliveredPS = float64(m.Deliveries) / el.Seconds()
		}
	}
	if m.Deliveries > 0 && r.pid != 0 {
		ps.CPUPerMsgUS = float64(cpu.Microseconds()) / float64(m.Deliveries)
	}
	if gen := r.genCPU() - st.genCPU0; m.Deliveries > 0 && st.genCPU0 > 0 {
		ps.GenCPUPerMsgUS = float64(gen.Microseconds()) / float64(m.Deliveries)
	}
	r.res.Phases[name] = ps
	r.check(name, ps, st.firstErr)
	r.prog.logf("%-9s sent %d acked %d (%.0f/s) delivered %d/%d p50 %.1f ms p99 %.1f ms max %.1f ms lost %d dup %d gap %d",
		name, st.sent, st.acked, ps.AckedPerSec, m.Deliveries, st.expected, ps.P50MS, ps.P99MS, ps.MaxMS, ps.Lost,
		ps.Dups, ps.Gaps)
	return ps, m, nil
}

// check marks the run failed on any loss, duplicate, gap or error.
func (r *runner) check(name string, ps PhaseStats, firstErr string) {
	if ps.SendErrors > 0 {
		r.fail("%s: %d sends failed (first: %s)", name, ps.SendErrors, firstErr)
	}
	if ps.Lost > 0 || ps.Dups > 0 || ps.Gaps > 0 {
		r.fail("%s: %d lost, %d duplicate, %d gaps", name, ps.Lost, ps.Dups, ps.Gaps)
	}
	if ps.Misrouted > 0 || ps.Conflicts > 0 {
		r.fail("%s: %d deliveries to non-members, %d client_ids stored twice", name, ps.Misrouted, ps.Conflicts)
	}
	if ps.Closed > 0 {
		r.fail("%s: %d streams closed unexpectedly", name, ps.Closed)
	}
}

// latencyFigures adds p50…max of a phase; the p99 one is judged when goal > 0.
func (r *runner) latencyFigures(label string, ps PhaseStats, p99Goal float64) {
	if ps.Deliveries == 0 {
		f := Figure{Name: label + " send→deliver p99", Text: "no deliveries", Status: "missed"}
		if p99Goal > 0 {
			f.Target = "≤ " + formatNum(p99Goal) + " ms"
		}
		r.fig(f)
		return
	}
	r.fig(Figure{Name: label + " send→deliver p50", Value: ps.P50MS, Unit: "ms"})
	r.fig(Figure{Name: label + " send→deliver p90", Value: ps.P90MS, Unit: "ms"})
	f := Figure{Name: label + " send→deliver p99", Value: ps.P99MS, Unit: "ms"}
	if p99Goal > 0 {
		f = f.judge(atMost, p99Goal)
	}
	r.fig(f)
	r.fig(Figure{Name: label + " send→deliver p99.9", Value: ps.P999MS, Unit: "ms"})
	r.fig(Figure{Name: label + " send→deliver max", Value: ps.MaxMS, Unit: "ms"})
}

// dm sends direct messages as fast as the suite offers (the persistence-bound path).
func (r *runner) dm(ctx context.Context) error {
	dms := r.plan.DMs()
	if len(dms) == 0 {
		return nil
	}
	cpu0 := r.cpu()
	st := r.openLoop(ctx, "dm", r.s.DMRate, r.s.DMDur, func(rng *mrand.Rand) (int, int) {
		ci := dms[rng.IntN(len(dms))]
		return ci, r.plan.Channels[ci].Members[rng.IntN(2)]
	})
	ps, _, err := r.settle("dm", st, cpu0)
	if err != nil {
		return err
	}
	r.fig(Figure{Name: fmt.Sprintf("DM durably acknowledged (offered %s/s)", formatNum(r.s.DMRate)),
		Value: ps.AckedPerSec, Unit: "msg/s"}.judge(atLeast, 5000))
	r.fig(Figure{Name: "DM send→ack p99", Value: ps.AckP99MS, Unit: "ms"})
	r.fig(Figure{Name: "DM send→deliver p99", Value: ps.P99MS, Unit: "ms"}.judge(atMost, 50))
	return nil
}

// mixed posts into channels of mixed sizes (70% small, 25% ~100, 5% ~1,000).
func (r *runner) mixed(ctx context.Context) error {
	pk := NewPicker(r.plan)
	cpu0 := r.cpu()
	st := r.openLoop(ctx, "mixed", r.s.MixedRate, r.s.MixedDur, func(rng *mrand.Rand) (int, int) {
		ci := pk.Pick(rng)
		m := r.plan.Channels[ci].Members
		return ci, m[rng.IntN(len(m))]
	})
	ps, _, err := r.settle("mixed", st, cpu0)
	if err != nil {
		return err
	}
	label := fmt.Sprintf("Mixed %s msg/s, %s clients:", formatNum(r.s.MixedRate), short(r.s.Conns))
	r.latencyFigures(label, ps, 25)
	r.fig(Figure{Name: "Mixed delivered", Value: ps.DeliveredPS, Unit: "deliveries/s"})
	if r.pid != 0 {
		r.fig(Figure{Name: "Mixed server CPU per delivery", Value: ps.CPUPerMsgUS, Unit: "µs"})
	}
	if ps.GenCPUPerMsgUS > 0 {
		r.fig(Figure{Name: "Mixed generator CPU per delivery", Value: ps.GenCPUPerMsgUS, Unit: "µs"})
	}
	r.fig(Figure{Name: "Mixed send→ack p50 / p99", Text: fmt.Sprintf("%s / %s ms", formatNum(ps.AckP50MS), formatNum(ps.AckP99MS))})
	return nil
}

// cross posts CrossRate messages a second, half into DMs and half into
// channels of at most CrossMaxSize members, all of whose members stream:
// the cluster's send→deliver figure (issue 7). With --nodes 2 --cross every
// message is sent through node 1 and every recipient streams from node 2,
// so every delivery crosses the bus; on one node the same workload shows
// what the hop adds. Fan-out stays small (2–8 recipients, ~3.5 on the
// standard shape) so that the figure is the hop's, not the machine's
// capacity for deliveries (the mixed workload's ~42 per message).
func (r *runner) cross(ctx context.Context) error {
	dms, small := r.plan.SmallChannels(r.s.CrossMaxSize, func(u int) bool { return u < r.clients })
	if len(dms)+len(small) == 0 || r.s.CrossRate <= 0 {
		r.note("cross workload skipped: no DM or small channel has all its members connected")
		return nil
	}
	cpu0 := r.cpu()
	st := r.openLoop(ctx, "cross", r.s.CrossRate, r.s.CrossDur, func(rng *mrand.Rand) (int, int) {
		pool := small
		if len(small) == 0 || (len(dms) > 0 && rng.IntN(2) == 0) {
			pool = dms
		}
		ci := pool[rng.IntN(len(pool))]
		m := r.plan.Channels[ci].Members
		return ci, m[rng.IntN(len(m))]
	})
	ps, _, err := r.settle("cross", st, cpu0)
	if err != nil {
		return err
	}
	rate := formatNum(r.s.CrossRate)
	label, goal := "Same-node "+rate+" msg/s (DMs and channels of ≤ "+strconv.Itoa(r.s.CrossMaxSize)+"):", 0.0
	switch {
	case r.o.Cross && len(r.urls) > 1:
		label, goal = "Cross-node "+rate+" msg/s (DMs and channels of ≤ "+strconv.Itoa(r.s.CrossMaxSize)+"):", 50
	case len(r.urls) > 1:
		label = fmt.Sprintf("%d nodes, users spread over them, %s msg/s:", len(r.urls), rate)
	}
	r.latencyFigures(label, ps, goal)
	r.fig(Figure{Name: label + " send→ack p50 / p99", Text: fmt.Sprintf("%s / %s ms", formatNum(ps.AckP50MS), formatNum(ps.AckP99MS))})
	r.fig(Figure{Name: label + " delivered", Value: ps.DeliveredPS, Unit: "deliveries/s"})
	r.note("cross workload: %d DMs and %d channels of ≤ %d members with every member connected", len(dms), len(small), r.s.CrossMaxSize)
	return nil
}

// chatter sends presence heartbeats and typing notices.
func (r *runner) chatter(ctx context.Context) error {
	if r.s.Chatter <= 0 {
		return nil
	}
	cpu0 := r.cpu()
	stop := r.prog.during("chatter", r.s.Chatter)
	reps, err := r.fleet.all(Command{Op: "chatter", DurationMS: int(r.s.Chatter / time.Millisecond),
		TypingShare: 0.01, ToggleShare: 0.005, TypingPeriod: 1000})
	stop()
	if err != nil {
		return err
	}
	m := merge(reps)
	cpu := r.cpu() - cpu0
	ps := PhaseStats{FramesSent: m.Sent, Typing: m.Typing, Presence: m.Presence, Closed: m.Closed,
		Clients: m.Clients, ServerCPUS: cpu.Seconds(), ElapsedMS: m.ElapsedMS}
	r.res.Phases["chatter"] = ps
	if m.Err != "" {
		r.fail("chatter: %s", m.Err)
	}
	r.check("chatter", ps, "")
	r.prog.logf("chatter   sent %d frames, received %d typing and %d presence frames", m.Sent, m.Typing, m.Presence)
	if r.pid != 0 {
		r.fig(Figure{Name: "Presence+typing chatter: server CPU", Value: 100 * cpu.Seconds() / r.s.Chatter.Seconds(),
			Unit: "% of a core"})
	}
	r.fig(Figure{Name: "Presence+typing frames delivered", Value: float64(m.Typing+m.Presence) / r.s.Chatter.Seconds(),
		Unit: "frames/s"})
	return nil
}

// storm drops every client, posts while they are away, reconnects them all
// at once with since=last event and times until every one has every message.
func (r *runner) storm(ctx context.Context) error {
	if _, err := r.fleet.all(Command{Op: "drop"}); err != nil {
		return err
	}
	pk := NewPicker(r.plan)
	st := &sendStats{ack: NewHistogram(), touched: map[int64]int64{}, start: time.Now()}
	var mu sync.Mutex
	rng := mrand.New(mrand.NewPCG(r.o.Seed, 5))
	picks := make([][2]int, r.s.StormGap)
	for i := range picks {
		ci := pk.Pick(rng)
		m := r.plan.Channels[ci].Members
		picks[i] = [2]int{ci, m[rng.IntN(len(m))]}
	}
	err := parallel(32, len(picks), func(i int) error {
		r.send(ctx, st, &mu, picks[i][0], picks[i][1], time.Now())
		return nil
	})
	if err != nil {
		return err
	}
	st.sent = uint64(len(picks))
	cpu0 := r.cpu()
	stop := r.prog.during("storm", 10*time.Second)
	reps, err := r.fleet.all(Command{Op: "resume", Target: st.touched, TimeoutMS: int(r.s.SyncTimeout / time.Millisecond)})
	stop()
	if err != nil {
		return err
	}
	m := merge(reps)
	cpu := r.cpu() - cpu0
	ps := PhaseStats{Sent: st.sent, Acked: st.acked, SendErrors: st.errs, Deliveries: m.Deliveries,
		Expected: st.expected, Dups: m.Dups, Gaps: m.Gaps, Misrouted: m.Misrouted, Conflicts: m.Conflicts,
		Closed: m.Closed, Clients: m.Clients, ElapsedMS: m.ElapsedMS, ReadyMS: m.ReadyMS, DialRetries: m.DialRetries,
		ServerCPUS: cpu.Seconds()}
	if st.expected > m.Deliveries {
		ps.Lost = int64(st.expected - m.Deliveries)
	}
	ps.Lost = max(ps.Lost, m.Behind)
	r.res.Phases["storm"] = ps
	if m.Err != "" || m.ConnectErrors > 0 {
		r.fail("storm: %d reconnects failed (%s)", m.ConnectErrors, m.Err)
	}
	r.check("storm", ps, st.firstErr)
	r.prog.logf("storm     %d clients: all ready in %.0f ms, all resumed in %.0f ms (%d dial retries), %d replayed",
		m.Clients, m.ReadyMS, m.ElapsedMS, m.DialRetries, m.Deliveries)
	r.fig(Figure{Name: fmt.Sprintf("Reconnect storm: %s clients fully resumed", short(m.Clients)),
		Value: m.ElapsedMS / 1000, Unit: "s"}.judge(atMost, 10))
	r.fig(Figure{Name: "Reconnect storm: gaps + losses + duplicates", Value: float64(ps.Gaps + uint64(ps.Lost) + ps.Dups),
		Unit: ""}.judge(atMost, 0))
	return nil
}

// held connects the second batch and checks every connection is still up.
func (r *runner) held(ctx context.Context) error {
	rss0 := r.rss()
	if r.s.MoreConns > 0 {
		start := time.Now()
		if _, err := r.connect(ctx, r.s.MoreConns); err != nil {
			return err
		}
		connectTime := time.Since(start)
		quiet := r.quiesce(ctx)
		r.fig(Figure{Name: fmt.Sprintf("Connect %s more clients until the server is quiet", short(r.s.MoreConns)),
			Value: (connectTime + quiet).Seconds(), Unit: "s"})
		time.Sleep(min(r.s.Idle, 5*time.Second))
	}
	reps, err := r.fleet.all(Command{Op: "sync"})
	if err != nil {
		return err
	}
	m := merge(reps)
	rss1 := r.rss()
	held := m.Clients - int(m.Closed)
	r.res.Phases["held"] = PhaseStats{Clients: m.Clients, Closed: m.Closed, ServerRSSMB: float64(rss1) / (1 << 20)}
	r.check("held", PhaseStats{Closed: m.Closed}, "")
	r.fig(Figure{Name: "Idle WebSocket connections held", Value: float64(held), Unit: "conns"}.
		judge(atLeast, float64(r.s.Conns+r.s.MoreConns)))
	if r.pid != 0 && r.s.MoreConns > 0 {
		r.fig(Figure{Name: fmt.Sprintf("Server memory per WebSocket (next %s, after traffic)", short(r.s.MoreConns)),
			Value: float64(rss1-rss0) / float64(r.s.MoreConns) / 1024, Unit: "KB"})
	}
	return nil
}

// broadcast posts into the channel of everyone.
func (r *runner) broadcast(ctx context.Context) error {
	ev := r.plan.Everyone()
	if ev < 0 {
		return nil
	}
	sender := r.plan.Channels[ev].Members[0]
	cpu0 := r.cpu()
	st := r.openLoop(ctx, "broadcast", r.s.Bcast, r.s.BcastDur, func(*mrand.Rand) (int, int) { return ev, sender })
	ps, _, err := r.settle("broadcast", st, cpu0)
	if err != nil {
		return err
	}
	label := fmt.Sprintf("Broadcast %s msg/s into %s members:", formatNum(r.s.Bcast), short(len(r.plan.Channels[ev].Members)))
	r.fig(Figure{Name: label + " deliveries", Value: ps.DeliveredPS, Unit: "deliveries/s"}.judge(atLeast, 100_000))
	r.latencyFigures(label, ps, 100)
	if r.pid != 0 {
		r.fig(Figure{Name: "Broadcast server CPU per delivery", Value: ps.CPUPerMsgUS, Unit: "µs"})
	}
	return nil
}

// history times GET latest-50 and before=X pages over the busiest channels.
func (r *runner) history(ctx context.Context) error {
	type target struct {
		ch   int64
		last int64
		tok  string
	}
	var ts []target
	r.mu.Lock()
	for i, id := range r.chans {
		if r.seqs[id] >= 100 {
			ts = append(ts, target{id, r.seqs[id], r.tokens[r.plan.Channels[i].Members[0]]})
		}
	}
	r.mu.Unlock()
	if len(ts) == 0 {
		r.note("history latency skipped: no channel has 100 messages")
		return nil
	}
	latest, before := NewHistogram(), NewHistogram()
	rng := mrand.New(mrand.NewPCG(r.o.Seed, 77))
	total, failed, firstErr := r.requests(ctx, "history", r.s.HistoryRate, r.s.HistoryDur, func(i int) func() (*Histogram, error) {
		t := ts[rng.IntN(len(ts))]
		q, h := "limit=50", latest
		if i%2 == 1 {
			q, h = "before="+strconv.FormatInt(2+rng.Int64N(t.last-1), 10)+"&limit=50", before
		}
		return func() (*Histogram, error) {
			var page httpapi.HistoryPage
			_, err := r.api.WithToken(t.tok).Do(ctx, "GET", "/api/v1/channels/"+strconv.FormatInt(t.ch, 10)+"/messages?"+q, nil, &page)
			if err == nil && len(page.Messages) == 0 {
				err = errors.New("no messages")
			}
			return h, err
		}
	})
	r.res.Phases["history"] = PhaseStats{Requests: uint64(total), RequestError: failed,
		P50MS: msf(latest.Quantile(0.5)), P99MS: msf(latest.Quantile(0.99))}
	if failed > 0 {
		r.fail("history: %d requests failed or returned no messages (first: %v)", failed, firstErr)
	}
	rate := formatNum(r.s.HistoryRate)
	r.fig(Figure{Name: "History latest-50 p50 (" + rate + " req/s)", Value: msf(latest.Quantile(0.5)), Unit: "ms"})
	r.fig(Figure{Name: "History latest-50 p99", Value: msf(latest.Quantile(0.99)), Unit: "ms"}.judge(atMost, 5))
	r.fig(Figure{Name: "History before=X p50", Value: msf(before.Quantile(0.5)), Unit: "ms"})
	r.fig(Figure{Name: "History before=X p99", Value: msf(before.Quantile(0.99)), Unit: "ms"}.judge(atMost, 5))
	return nil
}

// requests sends rate requests per second for dur, each at its scheduled
// time whatever the earlier ones are doing (no coordinated omission). plan(i)
// runs in order and returns the request; the request runs concurrently and
// returns the histogram its latency (from the scheduled time) goes into.
func (r *runner) requests(ctx context.Context, name string, rate float64, dur time.Duration,
	plan func(i int) func() (*Histogram, error)) (total int, failed uint64, firstErr error) {
	total = int(rate * dur.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := r.prog.during(name, dur)
	start := time.Now()
	for i := range total {
		sched := start.Add(time.Duration(i) * interval)
		if w := time.Until(sched); w > 0 {
			time.Sleep(w)
		}
		req := plan(i)
		wg.Go(func() {
			h, err := req()
			d := time.Since(sched)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			h.Record(d)
		})
	}
	wg.Wait()
	stop()
	return total, failed, firstErr
}

// searchQueries mix the shapes people type: Chinese two-character words,
// English words (common and plural forms), a phrase, an exclusion, and date
// sort; over the preloaded history each matches tens of thousands of
// messages, the expensive case for ranking.
var searchQueries = []string{"会议", "三点 下午", "deploy", "dashboards", `"release notes"`, "review -lunch",
	"sort=date:mobile", "sort=date:改到"}

// search measures message search latency over the preloaded history, open
// loop at SearchRate from the scheduled time, as the user who can read the
// most channels would see it.
func (r *runner) search(ctx context.Context) error {
	if !r.preloaded || len(r.tokens) == 0 {
		r.fig(Figure{Name: "Search latency p99", Text: "n/a (no preloaded history)", Status: "n/a", Target: "≤ 100 ms"})
		return nil
	}
	tok := r.tokens[0]
	h := NewHistogram()
	cpu0 := r.cpu()
	total, failed, firstErr := r.requests(ctx, "search", r.s.SearchRate, r.s.SearchDur, func(i int) func() (*Histogram, error) {
		q, sort := searchQueries[i%len(searchQueries)], "relevance"
		if rest, ok := strings.CutPrefix(q, "sort=date:"); ok {
			q, sort = rest, "date"
		}
		return func() (*Histogram, error) {
			var page httpapi.SearchPage
			_, err := r.api.WithToken(tok).Do(ctx, "GET", "/api/v1/search?limit=20&sort="+sort+"&q="+url.QueryEscape(q), nil, &page)
			if err == nil && len(page.Results) == 0 {
				err = errors.New("no results for " + q)
			}
			return h, err
		}
	})
	cpu := r.cpu() - cpu0
	r.res.Phases["search"] = PhaseStats{Requests: uint64(total), RequestError: failed,
		P50MS: msf(h.Quantile(0.5)), P99MS: msf(h.Quantile(0.99)), ServerCPUS: cpu.Seconds()}
	if failed > 0 {
		r.fail("search: %d requests failed or found nothing (first: %v)", failed, firstErr)
	}
	label := fmt.Sprintf("Search over %s messages", formatNum(float64(r.s.Preload)))
	r.fig(Figure{Name: label + ": p50 (" + formatNum(r.s.SearchRate) + " req/s)", Value: msf(h.Quantile(0.5)), Unit: "ms"})
	r.fig(Figure{Name: label + ": p99", Value: msf(h.Quantile(0.99)), Unit: "ms"}.judge(atMost, 100))
	if total > 0 && cpu > 0 {
		// On a shared machine latency also measures the other tenants;
		// the server's CPU time per request measures only the search.
		r.fig(Figure{Name: "Search server CPU per request", Value: msf(cpu / time.Duration(total)), Unit: "ms"})
	}
	return nil
}

// finish adds the correctness totals.
func (r *runner) finish() {
	var lost int64
	var dups, gaps uint64
	for _, ps := range r.res.Phases {
		lost += ps.Lost
		dups += ps.Dups
		gaps += ps.Gaps
	}
	f := Figure{Name: "Losses / duplicates / gaps (all workloads)", Text: fmt.Sprintf("%d / %d / %d", lost, dups, gaps),
		Target: "0 / 0 / 0", Status: "met", Gate: true}
	if lost+int64(dups)+int64(gaps) > 0 {
		f.Status = "missed"
	}
	r.fig(f)
}
