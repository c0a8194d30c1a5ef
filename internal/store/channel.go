package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
)

// channelColsOf lists a channel's columns qualified by a table alias.
func channelColsOf(a string) string {
	return a + `id, ` + a + `org_id, ` + a + `kind, ` + a + `name, COALESCE(` + a + `dm_key, ''), ` + a + `topic, ` +
		a + `purpose, ` + a + `announcement, ` + a + `archived, ` + a + `created_by, ` + a + `created_at, ` +
		a + `msg_seq, ` + a + `last_message_at, ` + a + `member_count, ` + a + `department_id`
}

var channelCols = channelColsOf("")

func scanChannel(s scanner, extra ...any) (chat.Channel, error) {
	var c chat.Channel
	var kind string
	var created, last int64
	dest := append([]any{&c.ID, &c.Org, &kind, &c.Name, &c.DMKey, &c.Topic, &c.Purpose, &c.Announcement,
		&c.Archived, &c.CreatedBy, &created, &c.LastSeq, &last, &c.MemberCount, &c.Department}, extra...)
	if err := s.Scan(dest...); err != nil {
		return chat.Channel{}, err
	}
	c.Kind = chat.Kind(kind)
	c.CreatedAt, c.LastMessageAt = fromMS(created), fromMS(last)
	if c.Kind.IsDirect() {
		c.MemberIDs = splitIDs(c.DMKey)
	}
	return c, nil
}

// Channel returns a channel of an organisation.
func (q Queries) Channel(ctx context.Context, org, id int64) (chat.Channel, error) {
	c, err := scanChannel(q.queryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE org_id = ? AND id = ?`, org, id))
	if err != nil {
		return chat.Channel{}, notFound("store.Channel", "channel_not_found", err)
	}
	return c, nil
}

// ChannelByDMKey finds a DM or group DM by its sorted member list.
func (q Queries) ChannelByDMKey(ctx context.Context, org int64, key string) (chat.Channel, error) {
	c, err := scanChannel(q.queryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE org_id = ? AND dm_key = ?`, org, key))
	if err != nil {
		return chat.Channel{}, notFound("store.ChannelByDMKey", "channel_not_found", err)
	}
	return c, nil
}

// BrowseChannels pages the organisation's public channels by id.
func (q Queries) BrowseChannels(ctx context.Context, org int64, query string, afterID int64, limit int) ([]chat.Channel, error) {
	where := []string{"org_id = ?", "kind = 'public'", "id > ?"}
	args := []any{org, afterID}
	if query != "" {
		where = append(where, `name_key LIKE ? ESCAPE '\'`)
		args = append(args, "%"+strings.TrimSuffix(likePrefix(query), "%")+"%")
	}
	args = append(args, limit)
	return q.channels(ctx, "store.BrowseChannels", `SELECT `+channelCols+` FROM channels WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`, args...)
}

// channels runs a query selecting channelCols and returns the channels.
func (q Queries) channels(ctx context.Context, op, query string, args ...any) ([]chat.Channel, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	cs := []chat.Channel{}
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		cs = append(cs, c)
	}
	return cs, dbErr(op, rows.Err())
}

// unreadCountsSQL counts, for one member, the top-level messages after their
// read position and the messages after it that mention them (by name or
// @here via the mentions table, or @channel/@all via the message flag). Each
// count stops at MaxUnreadCount so that a member far behind in a busy
// channel costs a bounded index scan; clients show "999+".
const unreadCountsSQL = `
	(SELECT COUNT(*) FROM (SELECT 1 FROM messages m
	 WHERE m.channel_id = cm.channel_id AND m.seq > cm.last_read_seq
	   AND (m.root_id = 0 OR m.also_in_channel = TRUE) AND m.deleted_at = 0 AND m.recalled_at = 0
	   AND m.author_id <> cm.user_id LIMIT 1000) AS unread),
	(SELECT COUNT(*) FROM (SELECT 1 FROM mentions x
	 WHERE x.channel_id = cm.channel_id AND x.user_id = cm.user_id AND x.seq > cm.last_read_seq LIMIT 1000) AS named)
	+ (SELECT COUNT(*) FROM (SELECT 1 FROM messages m
	 WHERE m.channel_id = cm.channel_id AND m.seq > cm.last_read_seq AND m.mention_channel = TRUE
	   AND m.author_id <> cm.user_id AND m.deleted_at = 0 AND m.recalled_at = 0 LIMIT 1000) AS everyone)`

// MaxUnreadCount is where unread and mention counts stop counting.
const MaxUnreadCount = 1000

const memberCols = `cm.channel_id, cm.user_id, cm.org_id, cm.role, cm.last_read_seq, cm.muted, cm.starred,
	cm.star_order, cm.joined_at`

func scanMember(s scanner, extra ...any) (chat.Member, error) {
	var m chat.Member
	var role string
	var joined int64
	dest := append([]any{&m.Channel, &m.User, &m.Org, &role, &m.LastReadSeq, &m.Muted, &m.Starred, &m.StarOrder, &joined}, extra...)
	if err := s.Scan(dest...); err != nil {
		return chat.Member{}, err
	}
	m.Role = chat.Role(role)
	m.JoinedAt = fromMS(joined)
	return m, nil
}

// UserChannels returns every channel the user is a member of, with their
// membership and unread and mention counts.
func (q Queries) UserChannels(ctx context.Context, org, user int64) ([]chat.ChannelView, error) {
	rows, err := q.query(ctx, `
		SELECT `+channelColsOf("c.")+`, `+memberCols+`, `+unreadCountsSQL+`
		FROM channel_members cm JOIN channels c ON c.id = cm.channel_id
		WHERE cm.user_id = ? AND c.org_id = ?
		ORDER BY c.id`, user, org)
	if err != nil {
		return nil, dbErr("store.UserChannels", err)
	}
	defer rows.Close()
	vs := []chat.ChannelView{}
	for rows.Next() {
		var m chat.Member
		var role string
		var joined int64
		c, err := scanChannel(rows, &m.Channel, &m.User, &m.Org, &role, &m.LastReadSeq, &m.Muted, &m.Starred,
			&m.StarOrder, &joined, &m.UnreadCount, &m.MentionCount)
		if err != nil {
			return nil, dbErr("store.UserChannels", err)
		}
		m.Role, m.JoinedAt = chat.Role(role), fromMS(joined)
		vs = append(vs, chat.ChannelView{Channel: c, Membership: &m})
	}
	return vs, dbErr("store.UserChannels", rows.Err())
}

// UserChannelIDs returns the ids of the channels a user is a member of.
func (q Queries) UserChannelIDs(ctx context.Context, org, user int64) ([]int64, error) {
	rows, err := q.query(ctx, `SELECT channel_id FROM channel_members WHERE user_id = ? AND org_id = ?`, user, org)
	if err != nil {
		return nil, dbErr("store.UserChannelIDs", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, dbErr("store.UserChannelIDs", err)
		}
		ids = append(ids, id)
	}
	return ids, dbErr("store.UserChannelIDs", rows.Err())
}

// Member returns a membership, or NotFound.
func (q Queries) Member(ctx context.Context, channel, user int64) (chat.Member, error) {
	m, err := scanMember(q.queryRow(ctx, `SELECT `+memberCols+` FROM channel_members cm WHERE cm.channel_id = ? AND cm.user_id = ?`, channel, user))
	if err != nil {
		return chat.Member{}, notFound("store.Member", "not_a_member", err)
	}
	return m, nil
}

// MemberWithCounts returns a membership with its unread and mention counts.
func (q Queries) MemberWithCounts(ctx context.Context, channel, user int64) (chat.Member, error) {
	var unread, mentions int
	m, err := scanMember(q.queryRow(ctx, `SELECT `+memberCols+`, `+unreadCountsSQL+`
		FROM channel_members cm WHERE cm.channel_id = ? AND cm.user_id = ?`, channel, user), &unread, &mentions)
	if err != nil {
		return chat.Member{}, notFound("store.MemberWithCounts", "not_a_member", err)
	}
	m.UnreadCount, m.MentionCount = unread, mentions
	return m, nil
}

// Members lists a channel's members by user id.
func (q Queries) Members(ctx context.Context, channel int64) ([]chat.Member, error) {
	rows, err := q.query(ctx, `SELECT `+memberCols+` FROM channel_members cm WHERE cm.channel_id = ? ORDER BY cm.user_id`, channel)
	if err != nil {
		return nil, dbErr("store.Members", err)
	}
	defer rows.Close()
	ms := []chat.Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, dbErr("store.Members", err)
		}
		ms = append(ms, m)
	}
	return ms, dbErr("store.Members", rows.Err())
}

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// InsertChannel creates a channel.
func (t *Tx) InsertChannel(ctx context.Context, c chat.Channel) (chat.Channel, error) {
	nameKey := ""
	if !c.Kind.IsDirect() {
		nameKey = strings.ToLower(c.Name)
	}
	full, initials := account.NameKeys(c.Name)
	err := t.queryRow(ctx, `
		INSERT INTO channels (org_id, kind, name, name_key, dm_key, topic, purpose, announcement, archived,
			created_by, created_at, department_id, name_pinyin, name_initials)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.Org, string(c.Kind), c.Name, nullable(nameKey), nullable(c.DMKey), c.Topic, c.Purpose,
		c.Announcement, c.Archived, c.CreatedBy, ms(c.CreatedAt), c.Department, full, initials).Scan(&c.ID)
	return c, dbErr("store.InsertChannel", err)
}

// UpdateChannel saves a channel's name, topic, purpose and flags.
func (t *Tx) UpdateChannel(ctx context.Context, c chat.Channel) error {
	nameKey := ""
	if !c.Kind.IsDirect() {
		nameKey = strings.ToLower(c.Name)
	}
	full, initials := account.NameKeys(c.Name)
	_, err := t.exec(ctx, `
		UPDATE channels SET name = ?, name_key = ?, topic = ?, purpose = ?, announcement = ?, archived = ?,
			department_id = ?, name_pinyin = ?, name_initials = ?
		WHERE org_id = ? AND id = ?`,
		c.Name, nullable(nameKey), c.Topic, c.Purpose, c.Announcement, c.Archived, c.Department, full, initials,
		c.Org, c.ID)
	return dbErr("store.UpdateChannel", err)
}

// AddMember adds a member; it reports false when they already were one.
func (t *Tx) AddMember(ctx context.Context, m chat.Member) (bool, error) {
	res, err := t.exec(ctx, `
		INSERT INTO channel_members (channel_id, user_id, org_id, role, last_read_seq, joined_at)
		VALUES (?, ?, ?, ?, (SELECT msg_seq FROM channels WHERE id = ?), ?)
		ON CONFLICT (channel_id, user_id) DO NOTHING`,
		m.Channel, m.User, m.Org, string(m.Role), m.Channel, ms(m.JoinedAt))
	if err != nil {
		return false, dbErr("store.AddMember", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return false, nil
	}
	_, err = t.exec(ctx, `UPDATE channels SET member_count = member_count + 1 WHERE id = ?`, m.Channel)
	return true, dbErr("store.AddMember", err)
}

// RemoveMember removes a member; it reports false when they were not one.
func (t *Tx) RemoveMember(ctx context.Context, channel, user int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM channel_members WHERE channel_id = ? AND user_id = ?`, channel, user)
	if err != nil {
		return false, dbErr("store.RemoveMember", err)
	}
	n, _ := res.RowsAffected()
	if n == 0 {
		return false, nil
	}
	_, err = t.exec(ctx, `UPDATE channels SET member_count = member_count - 1 WHERE id = ?`, channel)
	return true, dbErr("store.RemoveMember", err)
}

// UpdateMember saves a member's role, read position and preferences.
func (t *Tx) UpdateMember(ctx context.Context, m chat.Member) error {
	_, err := t.exec(ctx, `
		UPDATE channel_members SET role = ?, last_read_seq = ?, muted = ?, starred = ?, star_order = ?
		WHERE channel_id = ? AND user_id = ?`,
		string(m.Role), m.LastReadSeq, m.Muted, m.Starred, m.StarOrder, m.Channel, m.User)
	return dbErr("store.UpdateMember", err)
}

// NextChannelSeq allocates the channel's next message sequence. Inside the
// single write transaction this is gap-free: a rolled-back write gives its
// number back.
func (t *Tx) NextChannelSeq(ctx context.Context, channel int64, at time.Time) (int64, error) {
	var seq int64
	err := t.queryRow(ctx, `
		UPDATE channels SET msg_seq = msg_seq + 1, last_message_at = ? WHERE id = ? RETURNING msg_seq`,
		ms(at), channel).Scan(&seq)
	return seq, dbErr("store.NextChannelSeq", err)
}
