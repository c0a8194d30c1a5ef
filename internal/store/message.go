package store

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/chat"
)

const messageCols = `id, org_id, channel_id, seq, author_id, client_id, text, root_id, also_in_channel,
	reply_count, last_reply_at, mentions, mention_channel, mention_here, pinned, created_at, edited_at,
	deleted_at, recalled_at, recalled_by`

func scanMessage(s scanner) (chat.Message, error) {
	var m chat.Message
	var mentions string
	var lastReply, created, edited, deleted, recalled int64
	err := s.Scan(&m.ID, &m.Org, &m.Channel, &m.Seq, &m.Author, &m.ClientID, &m.Text, &m.Root, &m.AlsoInChannel,
		&m.ReplyCount, &lastReply, &mentions, &m.MentionChannel, &m.MentionHere, &m.Pinned, &created, &edited,
		&deleted, &recalled, &m.RecalledBy)
	if err != nil {
		return chat.Message{}, err
	}
	m.Mentions = splitIDs(mentions)
	m.LastReplyAt, m.CreatedAt, m.EditedAt = fromMS(lastReply), fromMS(created), fromMS(edited)
	m.DeletedAt, m.RecalledAt = fromMS(deleted), fromMS(recalled)
	return m, nil
}

// messages runs a message query and fills reactions and thread participants
// for the whole page with one query each.
func (q Queries) messages(ctx context.Context, op, query string, args ...any) ([]chat.Message, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	ms := []chat.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, dbErr(op, err)
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, err)
	}
	if err := q.decorate(ctx, op, ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// decorate loads reactions and thread participants for a page of messages.
func (q Queries) decorate(ctx context.Context, op string, ms []chat.Message) error {
	if len(ms) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(ms))
	args := make([]any, 0, len(ms))
	var roots []any
	for i, m := range ms {
		idx[m.ID] = i
		args = append(args, m.ID)
		if m.ReplyCount > 0 {
			roots = append(roots, m.ID)
		}
	}
	rows, err := q.query(ctx, `
		SELECT message_id, emoji, user_id FROM reactions
		WHERE message_id IN (`+placeholders(len(args))+`)
		ORDER BY message_id, created_at, emoji, user_id`, args...)
	if err != nil {
		return dbErr(op, err)
	}
	for rows.Next() {
		var id, user int64
		var emoji string
		if err := rows.Scan(&id, &emoji, &user); err != nil {
			rows.Close()
			return dbErr(op, err)
		}
		m := &ms[idx[id]]
		found := false
		for j := range m.Reactions {
			if m.Reactions[j].Emoji == emoji {
				m.Reactions[j].Users = append(m.Reactions[j].Users, user)
				found = true
				break
			}
		}
		if !found {
			m.Reactions = append(m.Reactions, chat.Reaction{Emoji: emoji, Users: []int64{user}})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr(op, err)
	}
	if err := q.attachments(ctx, op, ms, idx); err != nil {
		return err
	}
	if err := q.previews(ctx, op, ms, idx, args); err != nil {
		return err
	}
	if len(roots) == 0 {
		return nil
	}
	rows, err = q.query(ctx, `
		SELECT root_id, author_id FROM messages
		WHERE root_id IN (`+placeholders(len(roots))+`)
		GROUP BY root_id, author_id ORDER BY root_id, MIN(seq)`, roots...)
	if err != nil {
		return dbErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var root, author int64
		if err := rows.Scan(&root, &author); err != nil {
			return dbErr(op, err)
		}
		m := &ms[idx[root]]
		m.ThreadParticipants = append(m.ThreadParticipants, author)
	}
	return dbErr(op, rows.Err())
}

// Message returns one message with its reactions.
func (q Queries) Message(ctx context.Context, org, id int64) (chat.Message, error) {
	ms, err := q.messages(ctx, "store.Message", `SELECT `+messageCols+` FROM messages WHERE org_id = ? AND id = ?`, org, id)
	if err != nil {
		return chat.Message{}, err
	}
	if len(ms) == 0 {
		return chat.Message{}, notFound("store.Message", "message_not_found", errNoRows)
	}
	return ms[0], nil
}

// MessageByClientID finds a user's message by the client id it was sent with.
func (q Queries) MessageByClientID(ctx context.Context, org, author int64, clientID string) (chat.Message, error) {
	ms, err := q.messages(ctx, "store.MessageByClientID",
		`SELECT `+messageCols+` FROM messages WHERE author_id = ? AND client_id = ? AND org_id = ?`, author, clientID, org)
	if err != nil {
		return chat.Message{}, err
	}
	if len(ms) == 0 {
		return chat.Message{}, notFound("store.MessageByClientID", "message_not_found", errNoRows)
	}
	return ms[0], nil
}

// inChannel selects what a channel's history shows: top-level messages and
// replies also sent to the channel.
const inChannel = `(root_id = 0 OR also_in_channel = TRUE)`

// History returns a page of a channel's history, ascending by sequence.
func (q Queries) History(ctx context.Context, channel int64, p chat.Page) (chat.History, error) {
	const op = "store.History"
	var h chat.History
	limit := p.Limit
	switch {
	case p.HasAfter || p.After > 0:
		ms, err := q.messages(ctx, op, `SELECT `+messageCols+` FROM messages
			WHERE channel_id = ? AND seq > ? AND `+inChannel+` ORDER BY seq LIMIT ?`, channel, p.After, limit+1)
		if err != nil {
			return h, err
		}
		if len(ms) > limit {
			ms, h.HasMoreAfter = ms[:limit], true
		}
		h.Messages, h.HasMoreBefore = ms, p.After > 0
		return h, nil
	case p.Around > 0:
		before, err := q.History(ctx, channel, chat.Page{Before: p.Around + 1, Limit: limit/2 + 1})
		if err != nil {
			return h, err
		}
		after, err := q.History(ctx, channel, chat.Page{After: p.Around, HasAfter: true, Limit: limit / 2})
		if err != nil {
			return h, err
		}
		h.Messages = append(before.Messages, after.Messages...)
		h.HasMoreBefore, h.HasMoreAfter = before.HasMoreBefore, after.HasMoreAfter
		return h, nil
	}
	before := p.Before
	if before <= 0 {
		before = 1 << 62
	}
	ms, err := q.messages(ctx, op, `SELECT `+messageCols+` FROM messages
		WHERE channel_id = ? AND seq < ? AND `+inChannel+` ORDER BY seq DESC LIMIT ?`, channel, before, limit+1)
	if err != nil {
		return h, err
	}
	if len(ms) > limit {
		ms, h.HasMoreBefore = ms[:limit], true
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	h.Messages = ms
	h.HasMoreAfter = p.Before > 0
	return h, nil
}

// Replies returns a thread's replies after a sequence, ascending.
func (q Queries) Replies(ctx context.Context, root, afterSeq int64, limit int) ([]chat.Message, bool, error) {
	ms, err := q.messages(ctx, "store.Replies", `SELECT `+messageCols+` FROM messages
		WHERE root_id = ? AND seq > ? ORDER BY seq LIMIT ?`, root, afterSeq, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(ms) > limit
	if more {
		ms = ms[:limit]
	}
	return ms, more, nil
}

// Pins returns a channel's pinned messages, newest first.
func (q Queries) Pins(ctx context.Context, channel int64) ([]chat.Message, error) {
	return q.messages(ctx, "store.Pins", `SELECT `+messageCols+` FROM messages
		WHERE channel_id = ? AND `+q.d.pinned+` ORDER BY seq DESC LIMIT 200`, channel)
}

// Edits returns a message's previous texts, oldest first.
func (q Queries) Edits(ctx context.Context, message int64) ([]chat.Edit, error) {
	rows, err := q.query(ctx, `SELECT text, edited_at FROM message_edits WHERE message_id = ? ORDER BY id`, message)
	if err != nil {
		return nil, dbErr("store.Edits", err)
	}
	defer rows.Close()
	es := []chat.Edit{}
	for rows.Next() {
		var e chat.Edit
		var at int64
		if err := rows.Scan(&e.Text, &at); err != nil {
			return nil, dbErr("store.Edits", err)
		}
		e.EditedAt = fromMS(at)
		es = append(es, e)
	}
	return es, dbErr("store.Edits", rows.Err())
}

// InsertMessage stores a new message.
func (t *Tx) InsertMessage(ctx context.Context, m chat.Message) (chat.Message, error) {
	err := t.queryRow(ctx, `
		INSERT INTO messages (org_id, channel_id, seq, author_id, client_id, text, root_id, also_in_channel,
			mentions, mention_channel, mention_here, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.Org, m.Channel, m.Seq, m.Author, m.ClientID, m.Text, m.Root, m.AlsoInChannel,
		joinIDs(m.Mentions), m.MentionChannel, m.MentionHere, ms(m.CreatedAt)).Scan(&m.ID)
	if err != nil {
		return m, dbErr("store.InsertMessage", err)
	}
	return m, t.indexMessage(ctx, m.ID, m.Channel, m.Author, m.Text)
}

// UpdateMessage saves a message's mutable fields and keeps its search index
// row in step (rewritten on an edit, removed on deletion or recall).
func (t *Tx) UpdateMessage(ctx context.Context, m chat.Message) error {
	var oldText string
	var wasHidden bool
	if err := t.queryRow(ctx, `SELECT text, deleted_at <> 0 OR recalled_at <> 0 FROM messages WHERE org_id = ? AND id = ?`,
		m.Org, m.ID).Scan(&oldText, &wasHidden); err != nil {
		return notFound("store.UpdateMessage", "message_not_found", err)
	}
	_, err := t.exec(ctx, `
		UPDATE messages SET text = ?, reply_count = ?, last_reply_at = ?, mentions = ?, mention_channel = ?,
			mention_here = ?, pinned = ?, edited_at = ?, deleted_at = ?, recalled_at = ?, recalled_by = ?
		WHERE org_id = ? AND id = ?`,
		m.Text, m.ReplyCount, ms(m.LastReplyAt), joinIDs(m.Mentions), m.MentionChannel, m.MentionHere,
		m.Pinned, ms(m.EditedAt), ms(m.DeletedAt), ms(m.RecalledAt), m.RecalledBy, m.Org, m.ID)
	if err != nil {
		return dbErr("store.UpdateMessage", err)
	}
	return t.reindexMessage(ctx, m, oldText, wasHidden)
}

// InsertEdit records a message's previous text.
func (t *Tx) InsertEdit(ctx context.Context, org, message int64, e chat.Edit) error {
	_, err := t.exec(ctx, `INSERT INTO message_edits (org_id, message_id, text, edited_at) VALUES (?, ?, ?, ?)`,
		org, message, e.Text, ms(e.EditedAt))
	return dbErr("store.InsertEdit", err)
}

// InsertMentions records that users were mentioned at a sequence.
func (t *Tx) InsertMentions(ctx context.Context, org, channel, seq int64, users []int64) error {
	for _, u := range users {
		if _, err := t.exec(ctx, `
			INSERT INTO mentions (channel_id, user_id, seq, org_id) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, channel, u, seq, org); err != nil {
			return dbErr("store.InsertMentions", err)
		}
	}
	return nil
}

// AddReaction adds a reaction; false when it was already there.
func (t *Tx) AddReaction(ctx context.Context, org, message, user int64, emoji string, at time.Time) (bool, error) {
	res, err := t.exec(ctx, `
		INSERT INTO reactions (message_id, emoji, user_id, org_id, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, message, emoji, user, org, ms(at))
	if err != nil {
		return false, dbErr("store.AddReaction", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// RemoveReaction removes a reaction; false when it was not there.
func (t *Tx) RemoveReaction(ctx context.Context, message, user int64, emoji string) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM reactions WHERE message_id = ? AND emoji = ? AND user_id = ?`, message, emoji, user)
	if err != nil {
		return false, dbErr("store.RemoveReaction", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
