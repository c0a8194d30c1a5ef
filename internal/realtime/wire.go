package realtime

import (
	"encoding/binary"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/gobwas/ws"

	"github.com/parley-chat/parley/internal/errs"
)

// WebSocket close codes sent by the server. 1000 and 1011 are RFC 6455
// codes; the 4xxx codes are Parley's and documented in docs/realtime.md.
const (
	CloseNormal          = 1000 // the client asked to close
	CloseInternal        = 1011 // server error; reconnect with backoff and since
	CloseGoingAway       = 4000 // server shutting down; reconnect (to another node) with since
	CloseUnauthenticated = 4001 // credentials missing or expired; log in again
	CloseResync          = 4002 // since is outside the replay window; reload via REST
	CloseRevoked         = 4004 // session revoked or user deactivated; do not reconnect
	CloseSlowConsumer    = 4008 // the client fell behind; reconnect with since
	CloseProtocol        = 4009 // the client sent a frame the server cannot accept
)

// MaxClientFrame is the largest client message payload the server accepts:
// room for a presence_sub of MaxPresenceSub ids of any size (20 digits each).
const MaxClientFrame = 16 << 10

// MaxPresenceSub is the most user ids one presence_sub may list; a longer
// list is a protocol error (4009), not truncated, so that a client bug shows.
const MaxPresenceSub = 500

// Presence statuses. Offline is never sent by clients.
const (
	StatusOnline  = "online"
	StatusAway    = "away"
	StatusDND     = "dnd"
	StatusOffline = "offline"
)

// Server frames that do not depend on the connection, encoded once.
var (
	wireReady  = textFrame([]byte(`{"type":"ready"}`))
	wireResync = textFrame([]byte(`{"type":"resync"}`))
	wirePong   = textFrame([]byte(`{"type":"pong"}`))
	wirePing   = appendFrame(nil, ws.OpPing, nil)
)

// appendFrame appends an unmasked, unfragmented server frame to dst.
func appendFrame(dst []byte, op ws.OpCode, p []byte) []byte {
	b0 := 0x80 | byte(op)
	n := len(p)
	switch {
	case n < 126:
		dst = append(dst, b0, byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, p...)
}

// textFrame encodes p as one WebSocket text frame, ready to be written.
func textFrame(p []byte) []byte {
	return appendFrame(make([]byte, 0, len(p)+10), ws.OpText, p)
}

// closeFrame encodes a close frame with a status code and no reason.
func closeFrame(code int) []byte {
	return appendFrame(nil, ws.OpClose, binary.BigEndian.AppendUint16(nil, uint16(code)))
}

// helloFrame is the first frame of every stream.
func helloFrame(latest int64, pingEvery, idle int) []byte {
	b := append([]byte(`{"type":"hello","seq":`), strconv.FormatInt(latest, 10)...)
	b = append(b, `,"presence_interval":`...)
	b = strconv.AppendInt(b, int64(pingEvery), 10)
	b = append(b, `,"idle_timeout":`...)
	b = strconv.AppendInt(b, int64(idle), 10)
	b = append(b, '}')
	return textFrame(b)
}

// typingJSON is the frame of a typing event.
func typingJSON(channel, user int64) []byte {
	b := append([]byte(`{"type":"typing","channel_id":`), strconv.FormatInt(channel, 10)...)
	b = append(b, `,"user_id":`...)
	b = strconv.AppendInt(b, user, 10)
	return append(b, '}')
}

// presenceJSON is the frame of a presence event.
func presenceJSON(user int64, status string) []byte {
	b := append([]byte(`{"type":"presence","user_id":`), strconv.FormatInt(user, 10)...)
	b = append(b, `,"status":"`...)
	b = append(b, status...) // one of the Status constants: no escaping needed
	return append(b, `"}`...)
}

// presenceReportJSON is a node's report of a user's presence on the bus:
// the client frame plus the node (ids are hex: no escaping needed).
func presenceReportJSON(user int64, status, node string) []byte {
	b := presenceJSON(user, status)
	b = append(b[:len(b)-1], `,"node":"`...)
	b = append(b, node...)
	return append(b, `"}`...)
}

type presenceReport struct {
	UserID int64  `json:"user_id"`
	Status string `json:"status"`
	Node   string `json:"node"`
}

func parsePresenceReport(frame []byte) (presenceReport, bool) {
	var r presenceReport
	if json.Unmarshal(frame, &r) != nil || r.UserID == 0 || r.Node == "" {
		return r, false
	}
	return r, true
}

// beat is a node's announcement of its connected users (never sent to
// clients).
type beat struct {
	Node  string           `json:"node"`
	Sync  bool             `json:"sync,omitempty"` // asks the other nodes to announce theirs now
	Users map[int64]string `json:"users,omitempty"`
}

func beatJSON(node string, sync bool, users map[int64]string) []byte {
	b, _ := json.Marshal(beat{Node: node, Sync: sync, Users: users}) // cannot fail: strings and ints
	return b
}

func parseBeat(frame []byte) (beat, bool) {
	var b beat
	if json.Unmarshal(frame, &b) != nil || b.Node == "" {
		return b, false
	}
	return b, true
}

// presenceSnapshotJSON is the answer to a presence_sub: the status of each
// user in users (sorted ids), in one frame.
func presenceSnapshotJSON(users []int64, status []string) []byte {
	b := make([]byte, 0, 32+len(users)*24)
	b = append(b, `{"type":"presence","users":{`...)
	for i, u := range users {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, u, 10)
		b = append(b, `":"`...)
		b = append(b, status[i]...) // a Status constant: no escaping needed
		b = append(b, '"')
	}
	return append(b, "}}"...)
}

// clientMsg is a parsed client→server message.
type clientMsg struct {
	Type      string  `json:"type"`
	ChannelID int64   `json:"channel_id"`
	Status    string  `json:"status"`
	UserIDs   []int64 `json:"user_ids"` // presence_sub: sorted, without duplicates once parsed
}

// parseClientMessage parses and validates one client text message. Unknown
// types are returned as is (the caller ignores them, for forward
// compatibility); malformed JSON and known types with bad fields are errs
// Invalid, which the connection answers with CloseProtocol.
func parseClientMessage(b []byte) (clientMsg, error) {
	const op = "realtime.parseClientMessage"
	var m clientMsg
	if len(b) > MaxClientFrame {
		return clientMsg{}, errs.New(op, errs.TooLarge, "frame_too_large")
	}
	if len(b) == 0 || b[0] != '{' {
		return clientMsg{}, errs.New(op, errs.Invalid, "not_an_object")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return clientMsg{}, errs.E(op, errs.Invalid, "invalid_json", err)
	}
	switch m.Type {
	case "":
		return clientMsg{}, errs.New(op, errs.Invalid, "missing_type")
	case "typing":
		if m.ChannelID <= 0 {
			return clientMsg{}, errs.New(op, errs.Invalid, "invalid_channel_id")
		}
	case "presence":
		switch m.Status {
		case StatusOnline, StatusAway, StatusDND:
		default:
			return clientMsg{}, errs.New(op, errs.Invalid, "invalid_status")
		}
	case "presence_sub":
		// Codes shared with REST (httpapi's catalog): the stream closes with
		// 4009 and never shows them, but logs and tests read them.
		if m.UserIDs == nil {
			return clientMsg{}, errs.New(op, errs.Invalid, "user_ids_required")
		}
		if len(m.UserIDs) > MaxPresenceSub {
			return clientMsg{}, errs.New(op, errs.TooLarge, "too_many_users").With("max", MaxPresenceSub)
		}
		for _, u := range m.UserIDs {
			if u <= 0 {
				return clientMsg{}, errs.New(op, errs.Invalid, "id_invalid")
			}
		}
		slices.Sort(m.UserIDs)
		m.UserIDs = slices.Compact(m.UserIDs)
	}
	return m, nil
}

// ephemeralMeta reads the subject of a typing or presence frame.
func ephemeralMeta(frame []byte) (user int64, status string) {
	var m struct {
		UserID int64  `json:"user_id"`
		Status string `json:"status"`
	}
	if json.Unmarshal(frame, &m) != nil {
		return 0, ""
	}
	return m.UserID, m.Status
}

// revocation reads which streams a Revoke event closes from its frame,
// {"data": {"session_id": N, "keep_session_id": M}}: only session N's, or
// all but session M's; neither (or an unreadable frame) means every stream
// of the user, the safe reading.
func revocation(frame []byte) (session, keep int64) {
	var m struct {
		Data struct {
			SessionID     int64 `json:"session_id"`
			KeepSessionID int64 `json:"keep_session_id"`
		} `json:"data"`
	}
	if len(frame) == 0 || json.Unmarshal(frame, &m) != nil {
		return 0, 0
	}
	return m.Data.SessionID, m.Data.KeepSessionID
}

// revokes reports whether a Revoke event with the given scope closes a
// stream of session id.
func revokes(session, keep, id int64) bool {
	switch {
	case session != 0:
		return id == session
	case keep != 0:
		return id != keep
	}
	return true
}
