package store

import (
	"context"
	"database/sql"
	"maps"
	"slices"
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
// its numbers back). On failure it returns the write to blame (-1: none)
// and its error.
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
	for _, org := range orgs {
		idx := byOrg[org]
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
		}
	}
	const rows = 500 // 13 parameters a row, well below either engine's limit
	for start := 0; start < len(evs); start += rows {
		chunk := evs[start:min(start+rows, len(evs))]
		var b strings.Builder
		b.WriteString(`INSERT INTO events (org_id, seq, channel_id, user_id, all_users, no_guests, guest_peers, revoke, type, joins, leaves, frame, created_at) VALUES `)
		args := make([]any, 0, len(chunk)*13)
		now := ms(db.opts.Now())
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
