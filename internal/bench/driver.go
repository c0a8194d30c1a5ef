package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// WorkerProc is a started worker: commands go to In, reports come from Out.
type WorkerProc struct {
	In   io.WriteCloser
	Out  io.Reader
	Wait func() error // waits for the worker to exit
	PID  int          // 0 for an in-process worker
}

// StartWorker starts one worker; the command uses a child process
// (`parley bench worker`), tests use InProcessWorker.
type StartWorker func(ctx context.Context) (*WorkerProc, error)

// InProcessWorker runs a worker as goroutines of this process, speaking the
// same protocol through pipes.
func InProcessWorker(ctx context.Context) (*WorkerProc, error) {
	cmdR, cmdW := io.Pipe()
	repR, repW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := RunWorker(ctx, cmdR, repW)
		repW.CloseWithError(errWorkerGone)
		cmdR.Close()
		done <- err
	}()
	return &WorkerProc{In: cmdW, Out: repR, Wait: func() error { return <-done }}, nil
}

// fleet is the coordinator's set of workers.
type fleet struct {
	start   StartWorker
	perProc int // clients per worker
	workers []*workerHandle
}

type workerHandle struct {
	p       *WorkerProc
	enc     *json.Encoder
	dec     *json.Decoder
	clients int
}

func (h *workerHandle) call(cmd Command) (Report, error) {
	if err := h.enc.Encode(cmd); err != nil {
		return Report{}, fmt.Errorf("bench: send %s to worker: %w", cmd.Op, err)
	}
	var rep Report
	if err := h.dec.Decode(&rep); err != nil {
		return Report{}, fmt.Errorf("bench: read %s report: %w", cmd.Op, err)
	}
	if rep.Latency == nil {
		rep.Latency = NewHistogram()
	}
	return rep, nil
}

// connect spreads clients over the workers, filling existing ones up to
// perProc clients and starting more as needed.
func (f *fleet) connect(ctx context.Context, url, run string, clients []ClientSpec) ([]Report, error) {
	type job struct {
		h  *workerHandle
		cs []ClientSpec
	}
	var jobs []job
	for len(clients) > 0 {
		var h *workerHandle
		for _, w := range f.workers {
			if w.clients < f.perProc {
				h = w
				break
			}
		}
		if h == nil {
			p, err := f.start(ctx)
			if err != nil {
				return nil, fmt.Errorf("bench: start worker: %w", err)
			}
			h = &workerHandle{p: p, enc: json.NewEncoder(p.In), dec: json.NewDecoder(bufio.NewReaderSize(p.Out, 1<<20))}
			f.workers = append(f.workers, h)
		}
		n := min(f.perProc-h.clients, len(clients))
		jobs = append(jobs, job{h, clients[:n]})
		h.clients += n
		clients = clients[n:]
	}
	reps := make([]Report, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			reps[i], errs[i] = j.h.call(Command{Op: "connect", URL: url, Run: run, Clients: j.cs})
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return reps, err
		}
	}
	return reps, nil
}

// all sends cmd to every worker at once and collects the reports.
func (f *fleet) all(cmd Command) ([]Report, error) {
	reps := make([]Report, len(f.workers))
	errs := make([]error, len(f.workers))
	var wg sync.WaitGroup
	for i, h := range f.workers {
		wg.Go(func() { reps[i], errs[i] = h.call(cmd) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return reps, err
		}
	}
	return reps, nil
}

// stop ends every worker.
func (f *fleet) stop() {
	for _, h := range f.workers {
		h.call(Command{Op: "stop"})
		h.p.In.Close()
		h.p.Wait()
	}
	f.workers = nil
}

// merge adds up worker reports.
func merge(reps []Report) Report {
	var m Report
	m.Latency = NewHistogram()
	for _, r := range reps {
		m.Clients += r.Clients
		m.ConnectErrors += r.ConnectErrors
		m.DialRetries += r.DialRetries
		m.ElapsedMS = max(m.ElapsedMS, r.ElapsedMS)
		m.ReadyMS = max(m.ReadyMS, r.ReadyMS)
		m.Deliveries += r.Deliveries
		m.Dups += r.Dups
		m.Gaps += r.Gaps
		m.Behind += r.Behind
		m.Misrouted += r.Misrouted
		m.Foreign += r.Foreign
		m.Conflicts += r.Conflicts
		m.Closed += r.Closed
		m.Typing += r.Typing
		m.Presence += r.Presence
		m.Sent += r.Sent
		if r.Latency != nil {
			m.Latency.Merge(r.Latency)
		}
		if r.FirstNS != 0 && (m.FirstNS == 0 || r.FirstNS < m.FirstNS) {
			m.FirstNS = r.FirstNS
		}
		m.LastNS = max(m.LastNS, r.LastNS)
		if r.Err != "" {
			m.Err = r.Err
		}
	}
	return m
}
