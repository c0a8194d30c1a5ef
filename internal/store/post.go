package store

import (
	"context"
	"database/sql"

	"github.com/parley-chat/parley/internal/chat"
)

// A post is the hottest write: on PostgreSQL each statement is a round trip
// to another process, and round trips, not commits, bound a commit loop. So a
// post costs one read and one write statement, and on PostgreSQL the reads
// of a whole batch's posts are one statement at the start of the batch
// (ADR 0020).

// postTargetCols is the select list of a post target: the channel (alias
// c), whether the author already used the client id (the three SQL
// expressions given) and the membership (alias cm, LEFT JOINed), NULLs folded
// so that a non-member scans.
func postTargetCols(author, clientID, org string) string {
	return channelColsOf("c.") + `,
	EXISTS (SELECT 1 FROM messages WHERE author_id = ` + author + ` AND client_id = ` + clientID + ` AND org_id = ` + org + `),
	cm.user_id IS NOT NULL, COALESCE(cm.role, ''), COALESCE(cm.last_read_seq, 0), COALESCE(cm.muted, FALSE),
	COALESCE(cm.starred, FALSE), COALESCE(cm.star_order, 0), COALESCE(cm.joined_at, 0)`
}

var (
	postTargetQuery = `SELECT ` + postTargetCols("?", "?", "?") + `
		FROM channels c LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = ?
		WHERE c.org_id = ? AND c.id = ?`
	// postTargetsQuery is postTargetQuery for a list of posts (PostgreSQL):
	// one row per post whose channel exists, numbered from 1 in list order.
	postTargetsQuery = `SELECT ` + postTargetCols("k.author", "k.client_id", "k.org") + `, k.i
		FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS text[]))
			WITH ORDINALITY AS k(org, author, channel, client_id, i)
		JOIN channels c ON c.org_id = k.org AND c.id = k.channel
		LEFT JOIN channel_members cm ON cm.channel_id = c.id AND cm.user_id = k.author`
)

// scanPostTarget reads a row of postTargetCols, then extra columns.
func scanPostTarget(s scanner, author int64, extra ...any) (chat.PostTarget, error) {
	var t chat.PostTarget
	var isMember bool
	var m chat.Member
	var role string
	var joined int64
	dest := append([]any{&t.Resent, &isMember, &role, &m.LastReadSeq, &m.Muted, &m.Starred, &m.StarOrder, &joined}, extra...)
	c, err := scanChannel(s, dest...)
	if err != nil {
		return t, err
	}
	t.Channel = c
	if isMember {
		m.Channel, m.User, m.Org, m.Role, m.JoinedAt = c.ID, author, c.Org, chat.Role(role), fromMS(joined)
		t.Member = &m
	}
	return t, nil
}

// PostTarget loads the channel, the author's membership and whether the
// author already used clientID: from the batch's prefetch when it is still
// valid, otherwise with one query.
func (t *Tx) PostTarget(ctx context.Context, org, author, channel int64, clientID string) (chat.PostTarget, error) {
	key := chat.PostKey{Org: org, Author: author, Channel: channel, ClientID: clientID}
	if pt, ok := t.posts.take(key); ok {
		return pt, nil
	}
	pt, err := scanPostTarget(t.queryRow(ctx, postTargetQuery, author, clientID, org, author, org, channel), author)
	if err != nil {
		return pt, notFound("store.PostTarget", "channel_not_found", err)
	}
	return pt, nil
}

// InsertPost allocates the channel's next sequence, stores the message with
// it and moves the author's read position up to it. On PostgreSQL the three
// writes are one statement (one round trip instead of three).
func (t *Tx) InsertPost(ctx context.Context, m chat.Message) (chat.Message, error) {
	const op = "store.InsertPost"
	t.posts.sent(m.Author, m.ClientID)
	if !t.d.writableCTEs {
		seq, err := t.NextChannelSeq(ctx, m.Channel, m.CreatedAt)
		if err != nil {
			return m, err
		}
		m.Seq = seq
		if m, err = t.InsertMessage(ctx, m); err != nil {
			return m, err
		}
		_, err = t.exec(ctx, `UPDATE channel_members SET last_read_seq = ? WHERE channel_id = ? AND user_id = ? AND last_read_seq < ?`,
			m.Seq, m.Channel, m.Author, m.Seq)
		return m, dbErr(op, err)
	}
	// The sub-statements see one snapshot; the INSERT reads the UPDATE's
	// RETURNING row. The read position is moved with the batch's others
	// (applyReads): updating a row again in the transaction that last
	// updated it makes PostgreSQL check its foreign keys again.
	err := t.queryRow(ctx, `
		WITH s AS (
			UPDATE channels SET msg_seq = msg_seq + 1, last_message_at = ? WHERE id = ? RETURNING msg_seq
		)
		INSERT INTO messages (org_id, channel_id, seq, author_id, client_id, text, root_id, also_in_channel,
			mentions, mention_channel, mention_here, created_at)
		VALUES (?, ?, (SELECT msg_seq FROM s), ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, seq`,
		ms(m.CreatedAt), m.Channel,
		m.Org, m.Channel, m.Author, m.ClientID, m.Text, m.Root, m.AlsoInChannel,
		joinIDs(m.Mentions), m.MentionChannel, m.MentionHere, ms(m.CreatedAt)).Scan(&m.ID, &m.Seq)
	if err != nil {
		return m, dbErr(op, err)
	}
	t.reads = append(t.reads, readMove{channel: m.Channel, user: m.Author, seq: m.Seq})
	return m, t.indexMessage(ctx, m.ID, m.Channel, m.Author, m.Text)
}

// readMove is a read position a post moved up (to its own message).
type readMove struct{ channel, user, seq int64 }

// applyReads moves the batch's read positions in one statement (PostgreSQL;
// SQLite moves each at once). The commit loop applies them before any write
// that is not a post, and at the end of the batch: posts do not read read
// positions, so every write sees the positions of the writes before it.
func (db *DB) applyReads(ctx context.Context, tx *sql.Tx, moves []readMove) error {
	if len(moves) == 0 {
		return nil
	}
	chans, users, seqs := make([]int64, len(moves)), make([]int64, len(moves)), make([]int64, len(moves))
	for i, m := range moves {
		chans[i], users[i], seqs[i] = m.channel, m.user, m.seq
	}
	_, err := tx.ExecContext(ctx, db.d.rebind(`
		UPDATE channel_members cm SET last_read_seq = v.seq
		FROM (SELECT channel_id, user_id, MAX(seq) AS seq
			FROM unnest(CAST(? AS bigint[]), CAST(? AS bigint[]), CAST(? AS bigint[])) AS x(channel_id, user_id, seq)
			GROUP BY channel_id, user_id) v
		WHERE cm.channel_id = v.channel_id AND cm.user_id = v.user_id AND cm.last_read_seq < v.seq`), chans, users, seqs)
	return dbErr("store.applyReads", err)
}

// postCache holds the post targets a batch loaded up front. An entry is
// what the database said when the batch started, so it is only used while
// nothing the batch did since can have changed it: every write that is not a
// post makes the whole cache stale (it may have changed a channel or a
// membership), and a post marks its author's client id as sent. A post
// changes no other post's target: the channel's message sequence and the
// read positions it moves are not what a post checks.
type postCache struct {
	targets map[chat.PostKey]chat.PostTarget
	used    map[sentKey]bool
	stale   bool
}

type sentKey struct {
	author   int64
	clientID string
}

// take returns the prefetched target of a post, once.
func (c *postCache) take(key chat.PostKey) (chat.PostTarget, bool) {
	if c == nil || c.stale || c.used[sentKey{key.Author, key.ClientID}] {
		return chat.PostTarget{}, false
	}
	t, ok := c.targets[key]
	delete(c.targets, key)
	return t, ok
}

// sent records that the batch stored a message with the author's client id.
func (c *postCache) sent(author int64, clientID string) {
	if c != nil {
		c.used[sentKey{author, clientID}] = true
	}
}

// prefetchPosts loads the targets of the batch's posts in one query
// (PostgreSQL). Posts whose channel is missing get no entry and query again.
func (db *DB) prefetchPosts(ctx context.Context, tx *sql.Tx, keys []chat.PostKey) (*postCache, error) {
	orgs, authors, channels := make([]int64, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	clientIDs := make([]string, len(keys))
	for i, k := range keys {
		orgs[i], authors[i], channels[i], clientIDs[i] = k.Org, k.Author, k.Channel, k.ClientID
	}
	rows, err := tx.QueryContext(ctx, db.d.rebind(postTargetsQuery), orgs, authors, channels, clientIDs)
	if err != nil {
		return nil, dbErr("store.prefetchPosts", err)
	}
	defer rows.Close()
	c := &postCache{targets: make(map[chat.PostKey]chat.PostTarget, len(keys)), used: map[sentKey]bool{}}
	for rows.Next() {
		var i int64
		t, err := scanPostTarget(rows, 0, &i)
		if err != nil {
			return nil, dbErr("store.prefetchPosts", err)
		}
		k := keys[i-1]
		if t.Member != nil {
			t.Member.User = k.Author
		}
		c.targets[k] = t
	}
	return c, dbErr("store.prefetchPosts", rows.Err())
}
