package store

import (
	"bytes"
	"context"
	"database/sql"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Emit records an event of the write. Its organisation sequence is
// allocated, its frame rendered with it and the event stored at the end of
// the batch, in write order, just before the commit (see allocEvents); the
// event is published after the commit.
func (t *Tx) Emit(ctx context.Context, ev event.Event, render func(seq int64) ([]byte, error)) error {
	t.events = append(t.events, pendingEvent{ev: ev, render: render})
	return nil
}

// pendingEvent is an emitted event waiting for its sequence.
type pendingEvent struct {
	ev     event.Event
	render func(seq int64) ([]byte, error)
	write  int // the batch's write that emitted it
}

// allocEvents gives the batch's events their sequences and stores them. Per
// organisation (in id order, so that concurrent batches lock organisations
// in the same order) one UPDATE ... RETURNING takes the next n numbers: its
// row lock serialises the batches of an organisation across writer
// connections and nodes from here to the commit only, which keeps the
// sequences unique and gap-free in commit order (a rolled-back batch gives
// its numbers back). Since every other batch of the organisation waits for
// that lock, what runs while it is held is kept short: on PostgreSQL the
// frames are rendered before the lock with a placeholder sequence (see
// frameTemplate) and the UPDATE and the INSERT of an organisation's events
// are one statement, so the lock is held for one round trip, the final
// rendering and the commit. On failure it returns the write to
// blame (-1: none) and its error.
func (db *DB) allocEvents(ctx context.Context, tx *sql.Tx, pend []pendingEvent) ([]event.Event, int, error) {
	const op = "store.Emit"
	if len(pend) == 0 {
		return nil, -1, nil
	}
	byOrg := map[int64][]int{}
	for i, p := range pend {
		byOrg[p.ev.Org] = append(byOrg[p.ev.Org], i)
	}
	orgs := slices.Sorted(maps.Keys(byOrg))
	evs := make([]event.Event, len(pend))
	var tmpls []frameTmpl
	if db.d.writableCTEs {
		tmpls = make([]frameTmpl, len(pend))
		for i, p := range pend {
			t, err := frameTemplate(p.render)
			if err != nil {
				return nil, p.write, errs.E(op, errs.Internal, "", err)
			}
			tmpls[i] = t
		}
	}
	now := ms(db.opts.Now())
	var rest []event.Event // stored by the multi-row INSERT below
	for _, org := range orgs {
		idx := byOrg[org]
		if tmpls != nil && allTemplated(tmpls, idx) {
			base, err := db.insertOrgEvents(ctx, tx, org, pend, tmpls, idx, now)
			if err != nil {
				return nil, pend[idx[0]].write, notFound(op, "org_not_found", err)
			}
			for k, i := range idx {
				ev := pend[i].ev
				ev.Seq = base + int64(k) + 1
				// The frame is still rendered with its sequence (a renderer
				// may note it); one that differs from the spliced template
				// replaces the stored frame.
				if ev.Frame, err = pend[i].render(ev.Seq); err != nil {
					return nil, pend[i].write, errs.E(op, errs.Internal, "", err)
				}
				if !tmpls[i].matches(ev.Frame, ev.Seq) {
					if _, err := tx.ExecContext(ctx, db.d.rebind(`UPDATE events SET frame = ? WHERE org_id = ? AND seq = ?`),
						ev.Frame, org, ev.Seq); err != nil {
						return nil, -1, dbErr(op, err)
					}
				}
				evs[i] = ev
			}
			continue
		}
		var last int64
		err := tx.QueryRowContext(ctx, db.d.rebind(`UPDATE orgs SET event_seq = event_seq + ? WHERE id = ? RETURNING event_seq`),
			len(idx), org).Scan(&last)
		if err != nil {
			return nil, pend[idx[0]].write, notFound(op, "org_not_found", err)
		}
		seq := last - int64(len(idx))
		for _, i := range idx {
			seq++
			ev := pend[i].ev
			ev.Seq = seq
			frame, err := pend[i].render(seq)
			if err != nil {
				return nil, pend[i].write, errs.E(op, errs.Internal, "", err)
			}
			ev.Frame = frame
			evs[i] = ev
			rest = append(rest, ev)
		}
	}
	const rows = 500 // 13 parameters a row, well below either engine's limit
	for start := 0; start < len(rest); start += rows {
		chunk := rest[start:min(start+rows, len(rest))]
		var b strings.Builder
		b.WriteString(`INSERT INTO events (org_id, seq, channel_id, user_id, all_users, no_guests, guest_peers, revoke, type, joins, leaves, frame, created_at) VALUES `)
		args := make([]any, 0, len(chunk)*13)
		for i, ev := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, ev.Org, ev.Seq, ev.Channel, ev.User, ev.All, ev.NoGuests, ev.GuestPeers, ev.Revoke, ev.Type, joinIDs(ev.Join),
				joinIDs(ev.Leave), ev.Frame, now)
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(b.String()), args...); err != nil {
			return nil, -1, dbErr(op, err)
		}
	}
	return evs, -1, nil
}

// insertOrgEvents takes the next len(idx) sequences of org and stores its
// events with them in one statement (PostgreSQL), splicing each sequence
// into its frame template; it returns the sequence before the first.
func (db *DB) insertOrgEvents(ctx context.Context, tx *sql.Tx, org int64, pend []pendingEvent, tmpls []frameTmpl, idx []int, now int64) (int64, error) {
	n := len(idx)
	chans, users := make([]int64, n), make([]int64, n)
	all, noGuests, guestPeers, revoke := make([]bool, n), make([]bool, n), make([]bool, n), make([]bool, n)
	types, joins, leaves := make([]string, n), make([]string, n), make([]string, n)
	heads, tails := make([][]byte, n), make([][]byte, n)
	for k, i := range idx {
		ev := pend[i].ev
		chans[k], users[k], all[k], noGuests[k], guestPeers[k], revoke[k] = ev.Channel, ev.User, ev.All, ev.NoGuests,
			ev.GuestPeers, ev.Revoke
		types[k], joins[k], leaves[k] = ev.Type, joinIDs(ev.Join), joinIDs(ev.Leave)
		heads[k], tails[k] = tmpls[i].head, tmpls[i].tail
	}
	var base int64
	err := tx.QueryRowContext(ctx, db.d.rebind(`
		WITH o AS (
			UPDATE orgs SET event_seq = event_seq + ? WHERE id = ? RETURNING event_seq - ? AS base
		), e AS (
			INSERT INTO events (org_id, seq, channel_id, user_id, all_users, no_guests, guest_peers, revoke, type, joins,
				leaves, frame, created_at)
			SELECT ?, o.base + x.i, x.channel_id, x.user_id, x.all_users, x.no_guests, x.guest_peers, x.revoke, x.type,
				x.joins, x.leaves, x.head || convert_to(CAST(o.base + x.i AS text), 'UTF8') || x.tail, ?
			FROM o, unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS boolean[]), CAST(? AS boolean[]),
				CAST(? AS boolean[]), CAST(? AS boolean[]), CAST(? AS text[]), CAST(? AS text[]), CAST(? AS text[]),
				CAST(? AS bytea[]), CAST(? AS bytea[])) WITH ORDINALITY AS x(channel_id, user_id, all_users, no_guests,
				guest_peers, revoke, type, joins, leaves, head, tail, i)
		)
		SELECT base FROM o`),
		n, org, n, org, now, chans, users, all, noGuests, guestPeers, revoke, types, joins, leaves, heads, tails).Scan(&base)
	return base, err
}

// frameTmpl is a frame rendered around a hole for its sequence.
type frameTmpl struct {
	head, tail []byte
	ok         bool // false: the frame must be rendered with its sequence
}

// seqMark is the sequence frames are rendered with before their sequence is
// known: 19 digits that a frame is unlikely to contain otherwise.
const seqMark = 7364529103846215937

var seqMarkText = []byte(strconv.FormatInt(seqMark, 10))

// frameTemplate renders a frame with seqMark and cuts it around the mark.
// Renderers write the sequence once, in decimal (a JSON number), and do not
// otherwise depend on it, so splicing a sequence into the hole gives the
// frame rendered with it (allocEvents checks, and stores the real frame if
// not). A frame whose text holds the mark anywhere else (the user typed
// those digits) is not a template: its organisation's events take the
// two-statement path.
func frameTemplate(render func(seq int64) ([]byte, error)) (frameTmpl, error) {
	f, err := render(seqMark)
	if err != nil {
		return frameTmpl{}, err
	}
	i := bytes.Index(f, seqMarkText)
	if i < 0 || bytes.Contains(f[i+len(seqMarkText):], seqMarkText) {
		return frameTmpl{}, nil
	}
	return frameTmpl{head: f[:i], tail: f[i+len(seqMarkText):], ok: true}, nil
}

// matches reports whether frame is the template with seq spliced in.
func (t frameTmpl) matches(frame []byte, seq int64) bool {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], seq, 10)
	return len(frame) == len(t.head)+len(d)+len(t.tail) && bytes.HasPrefix(frame, t.head) &&
		bytes.HasSuffix(frame, t.tail) && bytes.Equal(frame[len(t.head):len(t.head)+len(d)], d)
}

func allTemplated(tmpls []frameTmpl, idx []int) bool {
	for _, i := range idx {
		if !tmpls[i].ok {
			return false
		}
	}
	return true
}

// LatestSeq returns the organisation's latest committed event sequence.
func (q Queries) LatestSeq(ctx context.Context, org int64) (int64, error) {
	var seq int64
	err := q.queryRow(ctx, `SELECT event_seq FROM orgs WHERE id = ?`, org).Scan(&seq)
	if err != nil {
		return 0, notFound("store.LatestSeq", "org_not_found", err)
	}
	return seq, nil
}

// EventsSince returns up to limit events after seq that the user may see:
// addressed to them, to everyone, or to a channel they are a member of now.
// It returns Conflict "resync_required" when events after seq were pruned
// (older than the replay window) or seq is ahead of the organisation.
func (q Queries) EventsSince(ctx context.Context, org, user, after int64, limit int) ([]event.Event, error) {
	const op = "store.EventsSince"
	var latest, pruned int64
	if err := q.queryRow(ctx, `SELECT event_seq, events_pruned_seq FROM orgs WHERE id = ?`, org).Scan(&latest, &pruned); err != nil {
		return nil, notFound(op, "org_not_found", err)
	}
	if after < pruned || after > latest || after < 0 {
		return nil, errs.New(op, errs.Conflict, "resync_required")
	}
	rows, err := q.query(ctx, `
		SELECT seq, channel_id, user_id, all_users, no_guests, guest_peers, revoke, type, joins, leaves, frame
		FROM events
		WHERE org_id = ? AND seq > ?
		  AND (all_users = TRUE OR user_id = ?
		       OR channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = ?))
		ORDER BY seq LIMIT ?`, org, after, user, user, limit)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	return scanEvents(op, org, rows)
}

// scanEvents reads the rows of an events query (seq, channel_id, user_id,
// all_users, no_guests, guest_peers, revoke, type, joins, leaves, frame).
func scanEvents(op string, org int64, rows *sql.Rows) ([]event.Event, error) {
	var evs []event.Event
	for rows.Next() {
		ev := event.Event{Org: org}
		var joins, leaves string
		if err := rows.Scan(&ev.Seq, &ev.Channel, &ev.User, &ev.All, &ev.NoGuests, &ev.GuestPeers, &ev.Revoke, &ev.Type, &joins, &leaves, &ev.Frame); err != nil {
			return nil, dbErr(op, err)
		}
		ev.Join, ev.Leave = splitIDs(joins), splitIDs(leaves)
		evs = append(evs, ev)
	}
	return evs, dbErr(op, rows.Err())
}

// OrgEventsSince returns up to limit events of the organisation after seq,
// whatever their audience, in seq order, with every stored field: a cluster
// node fills what its bus missed from it and routes the events as if the bus
// had carried them. It returns Conflict "resync_required" when events after
// seq were pruned or seq is ahead of the organisation.
func (q Queries) OrgEventsSince(ctx context.Context, org, after int64, limit int) ([]event.Event, error) {
	const op = "store.OrgEventsSince"
	var latest, pruned int64
	if err := q.queryRow(ctx, `SELECT event_seq, events_pruned_seq FROM orgs WHERE id = ?`, org).Scan(&latest, &pruned); err != nil {
		return nil, notFound(op, "org_not_found", err)
	}
	if after < pruned || after > latest || after < 0 {
		return nil, errs.New(op, errs.Conflict, "resync_required")
	}
	rows, err := q.query(ctx, `
		SELECT seq, channel_id, user_id, all_users, no_guests, guest_peers, revoke, type, joins, leaves, frame
		FROM events
		WHERE org_id = ? AND seq > ?
		ORDER BY seq LIMIT ?`, org, after, limit)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	return scanEvents(op, org, rows)
}

// LatestSeqs returns every organisation's latest committed event sequence,
// so that a cluster node can tell which streams its bus left behind.
func (q Queries) LatestSeqs(ctx context.Context) (map[int64]int64, error) {
	const op = "store.LatestSeqs"
	rows, err := q.query(ctx, `SELECT id, event_seq FROM orgs`)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := make(map[int64]int64)
	for rows.Next() {
		var id, seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, dbErr(op, err)
		}
		out[id] = seq
	}
	return out, dbErr(op, rows.Err())
}

// PruneEvents deletes events older than the cutoff and records, per
// organisation, the highest sequence pruned, so that a client resuming from
// before it is told to resync instead of silently missing events.
func (t *Tx) PruneEvents(ctx context.Context, before time.Time) (int64, error) {
	const op = "store.PruneEvents"
	cut := ms(before)
	if _, err := t.exec(ctx, `
		UPDATE orgs SET events_pruned_seq = (
			SELECT MAX(seq) FROM events WHERE events.org_id = orgs.id AND created_at < ?)
		WHERE EXISTS (SELECT 1 FROM events WHERE events.org_id = orgs.id AND created_at < ?)`, cut, cut); err != nil {
		return 0, dbErr(op, err)
	}
	res, err := t.exec(ctx, `DELETE FROM events WHERE created_at < ?`, cut)
	if err != nil {
		return 0, dbErr(op, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
