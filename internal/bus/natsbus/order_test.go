package natsbus

import (
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bus"
	"github.com/parley-chat/parley/internal/event"
)

func seqs(evs []event.Event) string {
	s := ""
	for _, ev := range evs {
		s += fmt.Sprintf("%d.%d ", ev.Org, ev.Seq)
	}
	return s
}

func TestSequencerReordersAndReportsGaps(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSequencer(time.Second, 100)
	var out []event.Event
	var gaps []bus.Gap
	add := func(org, seq int64, at time.Duration) {
		evs, g := s.add(event.Event{Org: org, Seq: seq}, t0.Add(at))
		out, gaps = append(out, evs...), append(gaps, g...)
	}
	add(1, 10, 0) // baseline
	add(1, 12, 0) // held: 11 is missing
	add(2, 5, 0)  // another organisation is not held up
	add(1, 11, 0) // two nodes' publishes raced: releases 11, 12
	add(1, 11, 0) // duplicate
	if got, want := seqs(out), "1.10 2.5 1.11 1.12 "; got != want || len(gaps) != 0 {
		t.Fatalf("got %q gaps %v, want %q", got, gaps, want)
	}
	out = nil
	add(1, 15, 0)
	add(1, 16, 500*time.Millisecond)
	if g := s.overdue(t0.Add(900 * time.Millisecond)); len(g) != 0 || !s.holding() {
		t.Fatalf("overdue before the wait: %v", g)
	}
	g := s.overdue(t0.Add(time.Second))
	if len(g) != 1 || g[0] != (bus.Gap{Org: 1, From: 13, To: 14}) {
		t.Fatalf("overdue %v", g)
	}
	add(1, 13, time.Second) // filled from the log: delivered in order
	evs, skipped := s.skip(1, 15, t0.Add(time.Second))
	out, gaps = append(out, evs...), append(gaps, skipped...)
	if got, want := seqs(out), "1.13 1.15 1.16 "; got != want || len(gaps) != 1 || gaps[0] != (bus.Gap{Org: 1, From: 14, To: 14}) {
		t.Fatalf("got %q gaps %v", got, gaps)
	}
	out, gaps = nil, nil
	add(1, 14, 2*time.Second) // too late: already skipped
	add(1, 17, 2*time.Second)
	if got := seqs(out); got != "1.17 " || s.holding() || len(gaps) != 0 {
		t.Fatalf("got %q gaps %v", got, gaps)
	}
}

// Seeded from the log, an organisation starts where the log is: older
// events are dropped silently (the store replays them), the first one heard
// past a missing one is held, and a new organisation starts at 1.
func TestSequencerSeededFromTheLog(t *testing.T) {
	s := newSequencer(time.Second, 100)
	now := time.Now()
	s.seed(map[int64]int64{1: 10})
	var out []event.Event
	var gaps []bus.Gap
	for _, ev := range []event.Event{{Org: 1, Seq: 9}, {Org: 1, Seq: 12}, {Org: 2, Seq: 2}, {Org: 2, Seq: 1}, {Org: 1, Seq: 11}} {
		evs, g := s.add(ev, now)
		out, gaps = append(out, evs...), append(gaps, g...)
	}
	if got, want := seqs(out), "2.1 2.2 1.11 1.12 "; got != want || len(gaps) != 0 {
		t.Fatalf("got %q gaps %v, want %q", got, gaps, want)
	}
	if n, ok := s.nextOf(3); n != 1 || !ok {
		t.Fatalf("a new organisation's next: %d %v", n, ok)
	}
}

// The first event of an organisation is the baseline; an older one that
// arrives after it cannot be delivered in order and is reported.
func TestSequencerReportsEventsBeforeTheBaseline(t *testing.T) {
	s := newSequencer(time.Second, 100)
	now := time.Now()
	s.add(event.Event{Org: 1, Seq: 6}, now)
	evs, gaps := s.add(event.Event{Org: 1, Seq: 5}, now)
	if len(evs) != 0 || len(gaps) != 1 || gaps[0] != (bus.Gap{Org: 1, From: 5, To: 5}) {
		t.Fatalf("got %v gaps %v", evs, gaps)
	}
}

func TestSequencerBoundsHeldEvents(t *testing.T) {
	s := newSequencer(time.Hour, 3)
	now := time.Now()
	s.add(event.Event{Org: 1, Seq: 1}, now)
	for seq := int64(3); seq <= 5; seq++ {
		s.add(event.Event{Org: 1, Seq: seq}, now)
	}
	if g := s.overdue(now); len(g) != 0 {
		t.Fatalf("overdue at the bound: %v", g)
	}
	s.add(event.Event{Org: 1, Seq: 6}, now)
	if g := s.overdue(now); len(g) != 1 || g[0] != (bus.Gap{Org: 1, From: 2, To: 2}) {
		t.Fatalf("overdue past the bound: %v", g)
	}
	out, gaps := s.skip(1, 3, now)
	if got := seqs(out); got != "1.3 1.4 1.5 1.6 " || len(gaps) != 1 || gaps[0] != (bus.Gap{Org: 1, From: 2, To: 2}) {
		t.Fatalf("got %q gaps %v", got, gaps)
	}
}
