package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/search"
)

var _ search.Store = (*DB)(nil)

// SearchMessages returns visible messages matching f, newest first: f.Limit
// of them after f.BeforeID. The match is full-text through the
// message_search index when f.Match is set, restricted to the readable
// channels the caller passed in.
func (q Queries) SearchMessages(ctx context.Context, f search.Filter) ([]chat.Message, error) {
	const op = "store.SearchMessages"
	from, where, args, err := q.searchWhere(f)
	if err != nil {
		return nil, errs.E(op, errs.Internal, "", err)
	}
	order := "m.id"
	if f.Match != "" {
		order = "s.rowid" // the index's order: no sort of the matches
	}
	if f.BeforeID > 0 {
		where = append(where, order+" < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	return q.messages(ctx, op, `SELECT `+qualified("m.", messageCols)+` FROM `+from+`
		WHERE `+strings.Join(where, " AND ")+` ORDER BY `+order+` DESC LIMIT ?`, args...)
}

// SearchWindow returns the newest f.Limit visible messages matching f.Match
// (which must be set) as ranking candidates: id, channel, author and text,
// newest first. The search service ranks them in Go (search.Rank).
func (q Queries) SearchWindow(ctx context.Context, f search.Filter) ([]search.Candidate, error) {
	const op = "store.SearchWindow"
	if f.Match == "" {
		return nil, errs.E(op, errs.Internal, "", errors.New("no full-text match to rank"))
	}
	from, where, args, err := q.searchWhere(f)
	if err != nil {
		return nil, errs.E(op, errs.Internal, "", err)
	}
	rows, err := q.query(ctx, `SELECT m.id, m.channel_id, m.author_id, m.text FROM `+from+`
		WHERE `+strings.Join(where, " AND ")+` ORDER BY s.rowid DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	cs := make([]search.Candidate, 0, f.Limit)
	for rows.Next() {
		var c search.Candidate
		if err := rows.Scan(&c.ID, &c.Channel, &c.Author, &c.Text); err != nil {
			return nil, dbErr(op, err)
		}
		cs = append(cs, c)
	}
	return cs, dbErr(op, rows.Err())
}

// searchWhere is the FROM and WHERE of a search: the full-text match, the
// organisation, visibility, the readable channels and the filters.
func (q Queries) searchWhere(f search.Filter) (string, []string, []any, error) {
	from := "messages m"
	var where []string
	var args []any
	if f.Match != "" {
		from = "message_search s JOIN messages m ON m.id = s.rowid"
		cond, arg, err := q.d.match(f.Match)
		if err != nil {
			return "", nil, nil, err
		}
		where = append(where, cond)
		args = append(args, arg)
	}
	member, memberArg := q.d.anyOf("m.channel_id", f.Channels)
	where = append(where, "m.org_id = ?", "m.deleted_at = 0", "m.recalled_at = 0",
		`(`+member+` OR (? AND m.channel_id IN (SELECT id FROM channels WHERE org_id = ? AND kind = 'public')))`)
	args = append(args, f.Org, memberArg, f.Public, f.Org)
	if f.In != nil {
		cond, arg := q.d.anyOf("m.channel_id", f.In)
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.Authors != nil {
		cond, arg := q.d.anyOf("m.author_id", f.Authors)
		where = append(where, cond)
		args = append(args, arg)
	}
	if !f.Since.IsZero() {
		where = append(where, "m.created_at >= ?")
		args = append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "m.created_at < ?")
		args = append(args, ms(f.Until))
	}
	if f.Thread {
		where = append(where, "(m.root_id <> 0 OR m.reply_count > 0)")
	}
	if f.HasFile {
		where = append(where, "EXISTS (SELECT 1 FROM files WHERE files.message_id = m.id)")
	}
	if f.NotMatch != "" {
		cond, arg, err := q.d.match(f.NotMatch)
		if err != nil {
			return "", nil, nil, err
		}
		where = append(where, "m.id NOT IN (SELECT rowid FROM message_search WHERE "+cond+")")
		args = append(args, arg)
	}
	return from, where, args, nil
}

// MessagesByID returns the organisation's messages with these ids, in no
// particular order (missing ids are skipped).
func (q Queries) MessagesByID(ctx context.Context, org int64, ids []int64) ([]chat.Message, error) {
	if len(ids) == 0 {
		return []chat.Message{}, nil
	}
	args := []any{org}
	for _, id := range ids {
		args = append(args, id)
	}
	return q.messages(ctx, "store.MessagesByID", `SELECT `+messageCols+` FROM messages
		WHERE org_id = ? AND id IN (`+placeholders(len(ids))+`)`, args...)
}

// qualified prefixes each of a comma-separated column list with a table alias.
func qualified(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// ChannelsByName returns the organisation's channels with these names
// (compared lower-cased).
func (q Queries) ChannelsByName(ctx context.Context, org int64, names []string) ([]chat.Channel, error) {
	const op = "store.ChannelsByName"
	keys := make([]string, len(names))
	for i, n := range names {
		keys[i] = strings.ToLower(n)
	}
	cond, arg := q.d.anyOf("name_key", keys)
	return q.channels(ctx, op, `SELECT `+channelCols+` FROM channels
		WHERE org_id = ? AND `+cond+` ORDER BY id`, org, arg)
}

// indexOp is a pending change to the search index: a document to write
// for a message, or its removal (doc nil).
type indexOp struct {
	id  int64
	doc *search.Document
}

// indexMessage schedules (re)writing a message's row of the search index.
// Index writes are deferred to the end of the batch's transaction (see
// applyIndex): once an FTS5 table has pending changes, every later write
// statement in the transaction makes it flush them into a new segment, and
// merging those tiny segments tripled the cost of a send on a large index.
func (t *Tx) indexMessage(ctx context.Context, id, channel, author int64, text string) error {
	d := search.MessageDocument(text, channel, author)
	t.index = append(t.index, indexOp{id: id, doc: &d})
	return nil
}

// unindexMessage schedules removing a message from the search index.
func (t *Tx) unindexMessage(ctx context.Context, id int64) error {
	t.index = append(t.index, indexOp{id: id})
	return nil
}

// applyIndex writes a batch's index changes as the last statements before
// COMMIT; for a message changed twice in one batch only the last change
// counts.
func (db *DB) applyIndex(ctx context.Context, tx *sql.Tx, ops []indexOp) error {
	last := make(map[int64]int, len(ops))
	for i, op := range ops {
		last[op.id] = i
	}
	var ids []int64
	var docs []search.Document
	for i, op := range ops {
		if last[op.id] != i {
			continue
		}
		if op.doc != nil {
			ids, docs = append(ids, op.id), append(docs, *op.doc)
			continue
		}
		if _, err := tx.ExecContext(ctx, db.d.rebind(`DELETE FROM message_search WHERE rowid = ?`), op.id); err != nil {
			return dbErr("store.applyIndex", err)
		}
	}
	// On PostgreSQL the batch's new and changed rows are one statement (a
	// round trip per message was a seventh of a post's).
	if query, args := db.d.indexDocs(ids, docs); query != "" && len(ids) > 1 {
		_, err := tx.ExecContext(ctx, db.d.rebind(query), args...)
		return dbErr("store.applyIndex", err)
	}
	for i, id := range ids {
		query, args := db.d.indexDoc(id, docs[i])
		if _, err := tx.ExecContext(ctx, db.d.rebind(query), args...); err != nil {
			return dbErr("store.applyIndex", err)
		}
	}
	return nil
}

// reindexMessage brings a message's index row in line with an update:
// removed when the message became hidden, rewritten when its text changed.
func (t *Tx) reindexMessage(ctx context.Context, m chat.Message, oldText string, wasHidden bool) error {
	switch {
	case m.Hidden() && !wasHidden:
		return t.unindexMessage(ctx, m.ID)
	case !m.Hidden() && (wasHidden || m.Text != oldText):
		return t.indexMessage(ctx, m.ID, m.Channel, m.Author, m.Text)
	}
	return nil
}

// ReindexBatch is how many messages one reindex transaction covers.
const ReindexBatch = 2000

// Reindex rebuilds the search index from the messages table, a batch per
// transaction through the writer (so it can run beside normal traffic), and
// reports progress after each batch. It is idempotent: visible messages are
// (re)written, hidden ones removed.
func (db *DB) Reindex(ctx context.Context, progress func(done, total int)) error {
	const op = "store.Reindex"
	var total int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&total); err != nil {
		return dbErr(op, err)
	}
	var after int64
	done := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := 0
		err := db.update(ctx, func(t *Tx) error {
			rows, err := t.tx.QueryContext(ctx, t.d.rebind(`SELECT id, channel_id, author_id, text, deleted_at <> 0 OR recalled_at <> 0 FROM messages
				WHERE id > ? ORDER BY id LIMIT ?`), after, ReindexBatch)
			if err != nil {
				return dbErr(op, err)
			}
			type msg struct {
				id, channel, author int64
				text                string
				hidden              bool
			}
			var batch []msg
			for rows.Next() {
				var m msg
				if err := rows.Scan(&m.id, &m.channel, &m.author, &m.text, &m.hidden); err != nil {
					rows.Close()
					return dbErr(op, err)
				}
				batch = append(batch, m)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return dbErr(op, err)
			}
			var ids, hidden []int64
			var docs []search.Document
			for _, m := range batch {
				if m.hidden {
					hidden = append(hidden, m.id)
				} else {
					ids = append(ids, m.id)
					docs = append(docs, search.MessageDocument(m.text, m.channel, m.author))
				}
			}
			if query, args := t.d.indexDocs(ids, docs); query != "" {
				if _, err := t.exec(ctx, query, args...); err != nil {
					return dbErr(op, err)
				}
				if len(hidden) > 0 {
					cond, arg := t.d.anyOf("rowid", hidden)
					if _, err := t.exec(ctx, `DELETE FROM message_search WHERE `+cond, arg); err != nil {
						return dbErr(op, err)
					}
				}
				ids, hidden = nil, nil
			}
			for i, id := range ids {
				query, args := t.d.indexDoc(id, docs[i])
				if _, err := t.exec(ctx, query, args...); err != nil {
					return dbErr(op, err)
				}
			}
			for _, id := range hidden {
				if err := t.unindexMessage(ctx, id); err != nil {
					return err
				}
			}
			n = len(batch)
			if n > 0 {
				after = batch[n-1].id
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += n
		if progress != nil {
			progress(done, max(total, done))
		}
		if n < ReindexBatch {
			return nil
		}
	}
}
