package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// Figure is one reported number, with its target when there is one.
type Figure struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Text   string  `json:"text,omitempty"`   // replaces the number, e.g. "n/a (not built)"
	Target string  `json:"target,omitempty"` // e.g. "≤ 25 ms"
	Status string  `json:"status"`           // "met", "missed by X", "" (no target), "n/a"
	// Gate marks figures whose target is a correctness condition (losses,
	// duplicates, gaps): missing one makes the run fail.
	Gate bool `json:"gate,omitempty"`
}

// Goal directions for a target.
const (
	atMost  = "≤"
	atLeast = "≥"
)

// judge fills Target and Status for a goal of dir goal (in the figure's unit).
func (f Figure) judge(dir string, goal float64) Figure {
	f.Target = dir + " " + formatNum(goal) + " " + f.Unit
	f.Target = strings.TrimSpace(f.Target)
	met := (dir == atMost && f.Value <= goal) || (dir == atLeast && f.Value >= goal)
	switch {
	case met:
		f.Status = "met"
	case goal == 0:
		f.Status = "missed by " + formatNum(f.Value) + " " + f.Unit
	case dir == atMost:
		f.Status = fmt.Sprintf("missed by %s (%.0f%% over)", formatNum(f.Value-goal)+" "+f.Unit, 100*(f.Value-goal)/goal)
	default:
		f.Status = fmt.Sprintf("missed by %s (%.0f%% under)", formatNum(goal-f.Value)+" "+f.Unit, 100*(goal-f.Value)/goal)
	}
	f.Status = strings.ReplaceAll(f.Status, "  ", " ")
	return f
}

func formatNum(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return commas(int64(v))
	case math.Abs(v) >= 100:
		return commas(int64(math.Round(v)))
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func commas(v int64) string {
	s := fmt.Sprint(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Display is the figure's value as shown in tables.
func (f Figure) Display() string {
	if f.Text != "" {
		return f.Text
	}
	return strings.TrimSpace(formatNum(f.Value) + " " + f.Unit)
}

// Result is everything a run produced; it is also the --json output.
type Result struct {
	Suite     string                `json:"suite"`
	Command   string                `json:"command"`
	Target    string                `json:"target"` // what was measured: spawned node or URLs
	Machine   Machine               `json:"machine"`
	Started   time.Time             `json:"started"`
	Duration  float64               `json:"duration_s"`
	Figures   []Figure              `json:"figures"`
	Phases    map[string]PhaseStats `json:"phases"`
	Notes     []string              `json:"notes,omitempty"` // caveats found during the run
	Failed    bool                  `json:"failed"`          // a loss, duplicate, gap or error
	FailCause []string              `json:"fail_cause,omitempty"`
}

// PhaseStats is the detail of one workload.
type PhaseStats struct {
	Offered     float64 `json:"offered_per_s,omitempty"`
	Sent        uint64  `json:"sent,omitempty"`
	Acked       uint64  `json:"acked,omitempty"`
	SendErrors  uint64  `json:"send_errors,omitempty"`
	AckedPerSec float64 `json:"acked_per_s,omitempty"`
	AckP50MS    float64 `json:"ack_p50_ms,omitempty"`
	AckP99MS    float64 `json:"ack_p99_ms,omitempty"`
	Deliveries  uint64  `json:"deliveries"`
	Expected    uint64  `json:"expected_deliveries,omitempty"`
	DeliveredPS float64 `json:"delivered_per_s,omitempty"`
	P50MS       float64 `json:"p50_ms,omitempty"`
	P90MS       float64 `json:"p90_ms,omitempty"`
	P99MS       float64 `json:"p99_ms,omitempty"`
	P999MS      float64 `json:"p99_9_ms,omitempty"`
	MaxMS       float64 `json:"max_ms,omitempty"`
	Lost        int64   `json:"lost"`
	Dups        uint64  `json:"dups"`
	Gaps        uint64  `json:"gaps"`
	Misrouted   uint64  `json:"misrouted,omitempty"`
	Conflicts   uint64  `json:"conflicts,omitempty"`
	Closed      uint64  `json:"unexpected_closes,omitempty"`
	ServerCPUS  float64 `json:"server_cpu_s,omitempty"`
	CPUPerMsgUS float64 `json:"server_cpu_us_per_delivery,omitempty"`
	// The load generator's CPU (this process's senders and the workers'
	// clients) per delivery: on one machine it competes with the server.
	GenCPUPerMsgUS float64 `json:"generator_cpu_us_per_delivery,omitempty"`
	ServerRSSMB    float64 `json:"server_rss_mb,omitempty"`
	Clients        int     `json:"clients,omitempty"`
	ElapsedMS      float64 `json:"elapsed_ms,omitempty"`
	ReadyMS        float64 `json:"ready_ms,omitempty"`
	DialRetries    int     `json:"dial_retries,omitempty"`
	Typing         uint64  `json:"typing_frames,omitempty"`
	Presence       uint64  `json:"presence_frames,omitempty"`
	FramesSent     uint64  `json:"frames_sent,omitempty"`
	Requests       uint64  `json:"requests,omitempty"`
	RequestError   uint64  `json:"request_errors,omitempty"`
}

// PrintTable writes the figures as an aligned table.
func PrintTable(w io.Writer, r Result) {
	tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tVALUE\tTARGET\tSTATUS")
	for _, f := range r.Figures {
		st := f.Status
		if st == "" {
			st = "-"
		}
		tg := f.Target
		if tg == "" {
			tg = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Name, f.Display(), tg, st)
	}
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if r.Failed {
		fmt.Fprintln(w, "FAILED:", strings.Join(r.FailCause, "; "))
	}
}

// Markers around the hand-written part of docs/benchmarks.md.
const (
	NotesBegin = "<!-- notes:begin (hand-written; kept by parley bench --write-doc) -->"
	NotesEnd   = "<!-- notes:end -->"
)

// RenderDoc renders docs/benchmarks.md for r with the given notes text.
func RenderDoc(r Result, notes string) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Benchmarks\n\n")
	p("<!-- Generated by `parley bench --write-doc`. Everything outside the Notes markers is rewritten. -->\n\n")
	p("Measured with `parley bench` (`internal/bench`): a synthetic organisation, real WebSocket clients\n")
	p("in worker processes, open-loop constant-rate senders over the REST API, latency from the *scheduled*\n")
	p("send time (no coordinated omission). The organisation, its sessions and the preloaded history are\n")
	p("written directly into the database before the server starts (`store.BulkLoad`, bypassing the API and\n")
	p("argon2id); every measured workload goes through the public API and the stream.\n\n")
	p("%s\n\n", workloadsIntro)
	p("## Run\n\n")
	p("| | |\n|---|---|\n")
	p("| Command | `%s` |\n", r.Command)
	p("| Suite | %s |\n", r.Suite)
	p("| Server | %s |\n", r.Target)
	p("| Commit | `%s` |\n", r.Machine.Commit)
	p("| Date | %s (%.0f s) |\n", r.Started.UTC().Format(time.RFC3339), r.Duration)
	p("| CPU | %s × %d cores |\n", r.Machine.CPU, r.Machine.Cores)
	p("| Kernel | %s |\n", r.Machine.Kernel)
	p("| Go | %s |\n", r.Machine.Go)
	p("| nofile (soft/hard) | %s |\n", r.Machine.NoFile)
	p("| Ephemeral ports | %s |\n\n", r.Machine.PortRange)
	p("## Results\n\n")
	p("| Metric | Value | Target | Status |\n|---|---|---|---|\n")
	for _, f := range r.Figures {
		st, tg := f.Status, f.Target
		if st == "" {
			st = "—"
		}
		if tg == "" {
			tg = "—"
		}
		p("| %s | %s | %s | %s |\n", f.Name, f.Display(), tg, st)
	}
	if r.Failed {
		p("\n**The run failed:** %s\n", strings.Join(r.FailCause, "; "))
	}
	if len(r.Notes) > 0 {
		p("\nCaveats recorded by the run:\n\n")
		for _, n := range r.Notes {
			p("- %s\n", n)
		}
	}
	p("\nThe per-workload detail is in the JSON output (`--json FILE`).\n\n")
	p("## Notes\n\n%s\n%s\n%s\n", NotesBegin, strings.Trim(notes, "\n"), NotesEnd)
	return b.String()
}

// workloadsIntro names the workloads (`--only` takes these names).
const workloadsIntro = "Workloads (`--only NAME,...`; every delivery is checked for losses, duplicates and gaps): " +
	"`dm` (direct messages as fast as offered: durable sends), " +
	"`mixed` (1,000 msg/s into channels of mixed sizes, ~42 recipients per message: the delivery path), " +
	"`cross` (1,000 msg/s, half into DMs, half into channels of ≤ 8 members whose members all stream, ~3.5 " +
	"recipients per message: with `--nodes 2 --cross` every message is sent through node 1 and every recipient " +
	"streams from node 2, the cluster's cross-node figure; on one node the same workload shows what the hop adds), " +
	"`chatter` (presence and typing), `storm` (every client reconnects at once and resumes), `held` (10,000 idle " +
	"connections), `broadcast` (into the channel of everyone), `history` and `search` (request latency)."

// defaultNotes starts the hand-written section of a new document.
const defaultNotes = "_No analysis yet: write it here; regeneration keeps it._"

// RewriteDoc returns the new document for r, keeping the notes of old (the
// text between the markers) or starting them when old has none.
func RewriteDoc(old string, r Result) string {
	notes := defaultNotes
	if i := strings.Index(old, NotesBegin); i >= 0 {
		rest := old[i+len(NotesBegin):]
		if j := strings.Index(rest, NotesEnd); j >= 0 {
			notes = rest[:j]
		}
	}
	return RenderDoc(r, notes)
}
