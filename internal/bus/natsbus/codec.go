package natsbus

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/internal/event"
)

// The wire format of one NATS message: a version byte, then events, each as
// uvarint/varint fields and length-prefixed bytes. Hand-written because
// event.Event carries no serialisation tags (it is a domain record) and
// frames are raw bytes that JSON would base64.
const codecVersion = 1

const (
	flagAll = 1 << iota
	flagRevoke
	flagNoGuests
	flagGuestPeers // a node of an older version ignores it: its guests miss the event, nothing leaks
)

func appendEvent(b []byte, ev *event.Event) []byte {
	b = binary.AppendVarint(b, ev.Org)
	b = binary.AppendVarint(b, ev.Seq)
	b = binary.AppendVarint(b, ev.Channel)
	b = binary.AppendVarint(b, ev.User)
	b = binary.AppendUvarint(b, uint64(len(ev.Type)))
	b = append(b, ev.Type...)
	b = binary.AppendUvarint(b, uint64(len(ev.Frame)))
	b = append(b, ev.Frame...)
	for _, ids := range [][]int64{ev.Join, ev.Leave, ev.Users} {
		b = binary.AppendUvarint(b, uint64(len(ids)))
		for _, id := range ids {
			b = binary.AppendVarint(b, id)
		}
	}
	var f byte
	if ev.All {
		f |= flagAll
	}
	if ev.Revoke {
		f |= flagRevoke
	}
	if ev.NoGuests {
		f |= flagNoGuests
	}
	if ev.GuestPeers {
		f |= flagGuestPeers
	}
	return append(b, f)
}

// encode returns the message carrying evs.
func encode(evs []event.Event) []byte {
	b := []byte{codecVersion}
	for i := range evs {
		b = appendEvent(b, &evs[i])
	}
	return b
}

var errCorrupt = errors.New("natsbus: corrupt message")

type reader struct{ b []byte }

func (r *reader) varint() (int64, error) {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		return 0, errCorrupt
	}
	r.b = r.b[n:]
	return v, nil
}

func (r *reader) bytes() ([]byte, error) {
	l, n := binary.Uvarint(r.b)
	if n <= 0 || uint64(len(r.b)-n) < l {
		return nil, errCorrupt
	}
	v := r.b[n : n+int(l)]
	r.b = r.b[n+int(l):]
	return v, nil
}

func (r *reader) ids() ([]int64, error) {
	l, n := binary.Uvarint(r.b)
	if n <= 0 || l > uint64(len(r.b)) {
		return nil, errCorrupt
	}
	r.b = r.b[n:]
	if l == 0 {
		return nil, nil
	}
	ids := make([]int64, l)
	for i := range ids {
		v, err := r.varint()
		if err != nil {
			return nil, err
		}
		ids[i] = v
	}
	return ids, nil
}

// decode parses a message made by encode. The events own their memory.
func decode(msg []byte) ([]event.Event, error) {
	if len(msg) == 0 || msg[0] != codecVersion {
		return nil, fmt.Errorf("natsbus: unknown message version")
	}
	buf := append([]byte(nil), msg[1:]...) // nats.go reuses nothing, but frames outlive the message
	r := &reader{b: buf}
	var evs []event.Event
	for len(r.b) > 0 {
		var ev event.Event
		var err error
		fields := []*int64{&ev.Org, &ev.Seq, &ev.Channel, &ev.User}
		for _, f := range fields {
			if *f, err = r.varint(); err != nil {
				return nil, err
			}
		}
		typ, err := r.bytes()
		if err != nil {
			return nil, err
		}
		ev.Type = string(typ)
		if ev.Frame, err = r.bytes(); err != nil {
			return nil, err
		}
		if len(ev.Frame) == 0 {
			ev.Frame = nil
		}
		for _, p := range []*[]int64{&ev.Join, &ev.Leave, &ev.Users} {
			if *p, err = r.ids(); err != nil {
				return nil, err
			}
		}
		if len(r.b) == 0 {
			return nil, errCorrupt
		}
		ev.All = r.b[0]&flagAll != 0
		ev.Revoke = r.b[0]&flagRevoke != 0
		ev.NoGuests = r.b[0]&flagNoGuests != 0
		ev.GuestPeers = r.b[0]&flagGuestPeers != 0
		r.b = r.b[1:]
		evs = append(evs, ev)
	}
	return evs, nil
}
