package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Emit allocates the organisation's next event sequence, renders the frame
// with it and stores the event. The event is published after the commit.
func (t *Tx) Emit(ctx context.Context, ev event.Event, render func(seq int64) ([]byte, error)) error {
	const op = "store.Emit"
	seq, err := t.nextEventSeq(ctx, ev.Org)
	if err != nil {
		return err
	}
	ev.Seq = seq
	frame, err := render(ev.Seq)
	if err != nil {
		return errs.E(op, errs.Internal, "", err)
	}
	ev.Frame = frame
	_, err = t.exec(ctx, `
		INSERT INTO events (org_id, seq, channel_id, user_id, all_users, no_guests, revoke, type, joins, leaves, frame, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Org, ev.Seq, ev.Channel, ev.User, ev.All, ev.NoGuests, ev.Revoke, ev.Type, joinIDs(ev.Join), joinIDs(ev.Leave),
		ev.Frame, ms(t.now()))
	if err != nil {
		return dbErr(op, err)
	}
	t.events = append(t.events, ev)
	return nil
}

// nextEventSeq allocates the organisation's next event sequence. On SQLite
// (one writer process) it counts within the batch in memory and the commit
// stores the counter once per organisation; on PostgreSQL, which several
// nodes share, it increments the row, whose lock serialises the writers of
// an organisation until commit. Sequences stay gap-free in commit order: a
// rolled-back write gives its numbers back.
func (t *Tx) nextEventSeq(ctx context.Context, org int64) (int64, error) {
	if !t.d.memSeq {
		var seq int64
		err := t.queryRow(ctx, `UPDATE orgs SET event_seq = event_seq + 1 WHERE id = ? RETURNING event_seq`, org).Scan(&seq)
		if err != nil {
			return 0, notFound("store.Emit", "org_not_found", err)
		}
		return seq, nil
	}
	cur, ok := t.pending[org]
	if !ok {
		cur, ok = t.committed[org]
	}
	if !ok {
		if err := t.queryRow(ctx, `SELECT event_seq FROM orgs WHERE id = ?`, org).Scan(&cur); err != nil {
			return 0, notFound("store.Emit", "org_not_found", err)
		}
	}
	cur++
	t.pending[org] = cur
	return cur, nil
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
		SELECT seq, channel_id, user_id, all_users, no_guests, revoke, type, joins, leaves, frame
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
// all_users, no_guests, revoke, type, joins, leaves, frame).
func scanEvents(op string, org int64, rows *sql.Rows) ([]event.Event, error) {
	var evs []event.Event
	for rows.Next() {
		ev := event.Event{Org: org}
		var joins, leaves string
		if err := rows.Scan(&ev.Seq, &ev.Channel, &ev.User, &ev.All, &ev.NoGuests, &ev.Revoke, &ev.Type, &joins, &leaves, &ev.Frame); err != nil {
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
		SELECT seq, channel_id, user_id, all_users, no_guests, revoke, type, joins, leaves, frame
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
