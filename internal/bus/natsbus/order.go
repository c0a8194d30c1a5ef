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
// missing ones arrive or wait has passed; then the gap is overdue: the bus
// fills it from the database (feeding the events to add like arrivals) or,
// failing that, skips it. It is not safe for concurrent use: the bus's
// delivery goroutine owns it. Time is passed in.
type sequencer struct {
	wait    time.Duration
	maxHeld int
	orgs    map[int64]*orgSeq
	// seeded: the positions came from the database, so an organisation
	// without one is new and starts at seq 1.
	seeded bool
}

type orgSeq struct {
	base  int64         // the first seq delivered since start (0 when seeded)
	next  int64         // the seq expected next
	held  []event.Event // ahead of next, sorted by seq
	since time.Time     // when the oldest held event arrived
}

func newSequencer(wait time.Duration, maxHeld int) *sequencer {
	return &sequencer{wait: wait, maxHeld: maxHeld, orgs: map[int64]*orgSeq{}}
}

// seed sets each organisation's position from the database's latest seqs
// (everything up to them is the store's replay business), keeping any
// position already ahead.
func (s *sequencer) seed(latest map[int64]int64) {
	for org, seq := range latest {
		o := s.orgs[org]
		if o == nil {
			s.orgs[org] = &orgSeq{next: seq + 1}
			continue
		}
		if o.base > seq+1 {
			o.base = seq + 1 // an event between seq and the old baseline is a gap to fill, not too old
		}
	}
	s.seeded = true
}

// next returns the seq expected next for org (1 for a new organisation once
// seeded) and whether it is known.
func (s *sequencer) nextOf(org int64) (int64, bool) {
	if o := s.orgs[org]; o != nil {
		return o.next, true
	}
	return 1, s.seeded
}

// add takes one committed event and returns the events now deliverable, in
// order, and (unseeded only) an event that came too late to be delivered.
func (s *sequencer) add(ev event.Event, now time.Time) ([]event.Event, []bus.Gap) {
	o := s.orgs[ev.Org]
	if o == nil {
		if s.seeded {
			o = &orgSeq{next: 1} // created after the seed: its log starts at 1
		} else {
			// The first event of an organisation since this node started
			// is the baseline: what came before is the store's business.
			o = &orgSeq{base: ev.Seq, next: ev.Seq}
		}
		s.orgs[ev.Org] = o
	}
	switch {
	case ev.Seq < o.base:
		// Overtaken by the baseline (two nodes' first publishes raced):
		// too late to deliver in order, so it is missed traffic.
		return nil, []bus.Gap{{Org: ev.Org, From: ev.Seq, To: ev.Seq}}
	case ev.Seq < o.next:
		// Delivered already (filled from the database, or a node's publish
		// that arrived after the fill), or given up on and reported.
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
	return nil, nil
}

// overdue returns the gaps waited on for wait or more, or holding more than
// maxHeld events: From..To are the missing seqs before the first held event.
func (s *sequencer) overdue(now time.Time) []bus.Gap {
	var gaps []bus.Gap
	for org, o := range s.orgs {
		if len(o.held) > 0 && (now.Sub(o.since) >= s.wait || len(o.held) > s.maxHeld) {
			gaps = append(gaps, bus.Gap{Org: org, From: o.next, To: o.held[0].Seq - 1})
		}
	}
	return gaps
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

// skip gives up on org's seqs before to: it jumps next there (or to the
// first held event, whichever comes first) and releases what follows; it
// returns the gap skipped, if any.
func (s *sequencer) skip(org, to int64, now time.Time) ([]event.Event, []bus.Gap) {
	o := s.orgs[org]
	if o == nil {
		return nil, nil
	}
	if len(o.held) > 0 && o.held[0].Seq < to {
		to = o.held[0].Seq
	}
	if to <= o.next {
		return nil, nil
	}
	g := bus.Gap{Org: org, From: o.next, To: to - 1}
	o.next = to
	return s.release(o, nil, now), []bus.Gap{g}
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
