package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tracker checks what one client receives: per channel the message
// sequence must go up by exactly one per message. A sequence at or below
// the last one seen is a duplicate (or a reordering, which the protocol
// forbids just the same); a jump is a gap of that many missing messages. A
// Tracker is not safe for concurrent use.
type Tracker struct {
	last map[int64]int64 // channel id → last seq seen (or the base)

	Deliveries uint64 // message.posted events accepted
	Dups       uint64
	Gaps       uint64 // messages skipped over by a jump in seq
}

// NewTracker starts tracking the channels in base (channel id → the last
// sequence the client already has). Events of other channels are counted as
// unexpected: the client is not a member.
func NewTracker(base map[int64]int64) *Tracker {
	t := &Tracker{last: make(map[int64]int64, len(base))}
	for ch, seq := range base {
		t.last[ch] = seq
	}
	return t
}

// Observe records one delivery of message seq in channel ch.
func (t *Tracker) Observe(ch, seq int64) error {
	last, ok := t.last[ch]
	if !ok {
		return fmt.Errorf("message for channel %d the client is not a member of", ch)
	}
	switch {
	case seq <= last:
		t.Dups++
		return nil
	case seq > last+1:
		t.Gaps += uint64(seq - last - 1)
	}
	t.last[ch] = seq
	t.Deliveries++
	return nil
}

// Behind returns how many messages the client still lacks to reach target
// (channel id → last sequence sent), over the channels it tracks.
func (t *Tracker) Behind(target map[int64]int64) int64 {
	var n int64
	for ch, last := range t.last {
		if want, ok := target[ch]; ok && last < want {
			n += want - last
		}
	}
	return n
}

// ClientID builds the client_id of message n of a run, carrying the
// scheduled send time so that receivers can compute send→deliver latency.
func ClientID(run string, n uint64, sched time.Time) string {
	return "b" + run + "." + strconv.FormatUint(n, 10) + "." + strconv.FormatInt(sched.UnixNano(), 10)
}

// ParseClientID extracts the message number and scheduled time of a bench
// client_id; ok is false for any other client_id.
func ParseClientID(run, id string) (n uint64, sched time.Time, ok bool) {
	rest, found := strings.CutPrefix(id, "b"+run+".")
	if !found {
		return 0, time.Time{}, false
	}
	ns, ts, found := strings.Cut(rest, ".")
	if !found {
		return 0, time.Time{}, false
	}
	n, err1 := strconv.ParseUint(ns, 10, 64)
	t, err2 := strconv.ParseInt(ts, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, t), true
}

// posted is what the bench needs of a message.posted event.
type posted struct {
	Channel  int64  `json:"channel_id"`
	Seq      int64  `json:"seq"`
	ClientID string `json:"client_id"`
}

// parsePosted extracts channel_id, seq and client_id from the data of a
// message.posted event. It scans for the three keys instead of decoding
// the whole message (receivers handle 100,000 of these a second); string
// values in the JSON cannot contain an unescaped quote, so a key pattern
// cannot match inside text. It falls back to encoding/json.
func parsePosted(data []byte) (posted, error) {
	var p posted
	ch, ok1 := intField(data, `"channel_id":`)
	seq, ok2 := intField(data, `"seq":`)
	cid, ok3 := strField(data, `"client_id":"`)
	if ok1 && ok2 && ok3 {
		return posted{Channel: ch, Seq: seq, ClientID: cid}, nil
	}
	err := json.Unmarshal(data, &p)
	return p, err
}

func intField(data []byte, key string) (int64, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return 0, false
	}
	i += len(key)
	j := i
	for j < len(data) && data[j] >= '0' && data[j] <= '9' {
		j++
	}
	v, err := strconv.ParseInt(string(data[i:j]), 10, 64)
	return v, err == nil
}

func strField(data []byte, key string) (string, bool) {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return "", false
	}
	i += len(key)
	j := bytes.IndexByte(data[i:], '"')
	if j < 0 || bytes.IndexByte(data[i:i+j], '\\') >= 0 {
		return "", false
	}
	return string(data[i : i+j]), true
}
