package natsbus

import (
	"slices"
	"time"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/event"
)

// sequencer puts committed events back into per-organisation seq order and
// detects the ones that never came. Seq is gap-free per organisation in
// commit order (ADR 0003), but with several nodes committing to one database
// their publishes race, and NATS core may lose messages (an outage, a slow
// consumer). An event ahead of the next expected seq is held until the
// missing ones arrive or wait has passed; then the gap is reported (the
// database has those events) and delivery moves on. It is not safe for
// concurrent use: the bus's delivery goroutine owns it. Time is passed in.
type sequencer struct {
	wait    time.Duration
	maxHeld int
	orgs    map[int64]*orgSeq
}

type orgSeq struct {
	base  int64         // the first seq delivered since start
	next  int64         // the seq expected next
	held  []event.Event // ahead of next, sorted by seq
	since time.Time     // when the oldest held event arrived
}

func newSequencer(wait time.Duration, maxHeld int) *sequencer {
	return &sequencer{wait: wait, maxHeld: maxHeld, orgs: map[int64]*orgSeq{}}
}

// add takes one committed event and returns the events now deliverable, in
// order, and any gap given up on because too many events are held.
func (s *sequencer) add(ev event.Event, now time.Time) ([]event.Event, []bus.Gap) {
	o := s.orgs[ev.Org]
	if o == nil {
		// The first event of an organisation since this node started is
		// the baseline: what came before is the store's (replay) business.
		o = &orgSeq{base: ev.Seq, next: ev.Seq}
		s.orgs[ev.Org] = o
	}
	switch {
	case ev.Seq < o.base:
		// Overtaken by the baseline (two nodes' first publishes raced):
		// too late to deliver in order, so it is missed traffic.
		return nil, []bus.Gap{{Org: ev.Org, From: ev.Seq, To: ev.Seq}}
	case ev.Seq < o.next:
		// Given up on and reported as a gap already (core NATS delivers at
		// most once, and a node's own events do not come back).
		return nil, nil
	case ev.Seq == o.next:
		out := []event.Event{ev}
		o.next++
		return s.release(o, out, now), nil
	}
	i, found := slices.BinarySearchFunc(o.held, ev.Seq, func(e event.Event, seq int64) int { return cmpInt(e.Seq, seq) })
	if found {
		return nil, nil
	}
	if len(o.held) == 0 {
		o.since = now
	}
	o.held = slices.Insert(o.held, i, ev)
	if len(o.held) > s.maxHeld {
		return s.skip(ev.Org, o, nil, now)
	}
	return nil, nil
}

// expire gives up on gaps older than wait and returns what that releases.
func (s *sequencer) expire(now time.Time) ([]event.Event, []bus.Gap) {
	var out []event.Event
	var gaps []bus.Gap
	for org, o := range s.orgs {
		if len(o.held) > 0 && now.Sub(o.since) >= s.wait {
			var g []bus.Gap
			out, g = s.skip(org, o, out, now)
			gaps = append(gaps, g...)
		}
	}
	return out, gaps
}

// holding reports whether any organisation waits for a missing event.
func (s *sequencer) holding() bool {
	for _, o := range s.orgs {
		if len(o.held) > 0 {
			return true
		}
	}
	return false
}

// skip reports the gap before the first held event, jumps over it and
// releases what follows.
func (s *sequencer) skip(org int64, o *orgSeq, out []event.Event, now time.Time) ([]event.Event, []bus.Gap) {
	g := bus.Gap{Org: org, From: o.next, To: o.held[0].Seq - 1}
	o.next = o.held[0].Seq
	return s.release(o, out, now), []bus.Gap{g}
}

// release appends the held events that are now contiguous.
func (s *sequencer) release(o *orgSeq, out []event.Event, now time.Time) []event.Event {
	n := 0
	for n < len(o.held) && o.held[n].Seq == o.next {
		out = append(out, o.held[n])
		o.next++
		n++
	}
	if n > 0 {
		o.held = slices.Delete(o.held, 0, n)
		// The rest waits from now: it just became the oldest gap.
		o.since = now
	}
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
