package store

import (
	"context"
	"strings"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
)

// Directory search: people and channels found by name, username, e-mail,
// phone, employee number or pinyin (full, or the syllables' initials). Names
// match anywhere; the other keys match from their start, except pinyin,
// which matches anywhere so that a given name alone ("san") finds 张三.
// Matches at the start of a name or key rank first.

// SearchUsers finds active users of an organisation; only, when non-nil,
// among the given ids (a guest's channel peers).
func (q Queries) SearchUsers(ctx context.Context, org int64, query string, only []int64, limit int) ([]account.User, error) {
	const op = "store.SearchUsers"
	prefix := likePrefix(query)
	anywhere := "%" + prefix
	where := []string{"org_id = ?", "active = TRUE", `(lower(display_name) LIKE ? ESCAPE '\' OR username LIKE ? ESCAPE '\'
		OR email LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\' OR lower(employee_no) = ?
		OR name_pinyin LIKE ? ESCAPE '\' OR name_initials LIKE ? ESCAPE '\')`}
	args := []any{org, anywhere, prefix, prefix, anywhere, query, anywhere, prefix}
	if only != nil {
		if len(only) == 0 {
			return []account.User{}, nil
		}
		where = append(where, "id IN ("+placeholders(len(only))+")")
		for _, id := range only {
			args = append(args, id)
		}
	}
	args = append(args, prefix, prefix, prefix, prefix, limit)
	return q.users(ctx, op, `SELECT `+userCols+` FROM users WHERE `+strings.Join(where, " AND ")+`
		ORDER BY CASE WHEN lower(display_name) LIKE ? ESCAPE '\' OR username LIKE ? ESCAPE '\'
			OR name_pinyin LIKE ? ESCAPE '\' OR name_initials LIKE ? ESCAPE '\' THEN 0 ELSE 1 END,
			display_name, id
		LIMIT ?`, args...)
}

// ChannelPeers lists the users who share a channel, DM or group DM with
// user (user included): everyone a guest may see.
func (q Queries) ChannelPeers(ctx context.Context, org, user int64) ([]int64, error) {
	return q.ids(ctx, "store.ChannelPeers", `SELECT DISTINCT p.user_id FROM channel_members m
		JOIN channel_members p ON p.channel_id = m.channel_id
		WHERE m.org_id = ? AND m.user_id = ? ORDER BY p.user_id`, org, user)
}

// ChannelMembersOf returns, by channel, the members of the channels, DMs
// and group DMs user is a member of (only channel, when not 0), user
// included: the same people as ChannelPeers, kept by channel so that a
// stream can follow each channel's membership changes.
func (q Queries) ChannelMembersOf(ctx context.Context, org, user, channel int64) (map[int64][]int64, error) {
	const op = "store.ChannelMembersOf"
	rows, err := q.query(ctx, `SELECT p.channel_id, p.user_id FROM channel_members m
		JOIN channel_members p ON p.channel_id = m.channel_id
		WHERE m.org_id = ? AND m.user_id = ? AND (? = 0 OR m.channel_id = ?)`, org, user, channel, channel)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := make(map[int64][]int64)
	for rows.Next() {
		var ch, u int64
		if err := rows.Scan(&ch, &u); err != nil {
			return nil, dbErr(op, err)
		}
		out[ch] = append(out[ch], u)
	}
	return out, dbErr(op, rows.Err())
}

// SearchChannels finds channels (not DMs) by name or pinyin among those the
// user is a member of and, with public, the organisation's public channels.
// Archived channels come last.
func (q Queries) SearchChannels(ctx context.Context, org, user int64, query string, public bool, limit int) ([]chat.Channel, error) {
	const op = "store.SearchChannels"
	prefix := likePrefix(query)
	anywhere := "%" + prefix
	return q.channels(ctx, op, `SELECT `+channelCols+` FROM channels
		WHERE org_id = ? AND kind IN ('public', 'private')
		  AND (name_key LIKE ? ESCAPE '\' OR name_pinyin LIKE ? ESCAPE '\' OR name_initials LIKE ? ESCAPE '\')
		  AND ((? = TRUE AND kind = 'public') OR id IN (SELECT channel_id FROM channel_members WHERE user_id = ?))
		ORDER BY archived, CASE WHEN name_key LIKE ? ESCAPE '\' OR name_pinyin LIKE ? ESCAPE '\'
			OR name_initials LIKE ? ESCAPE '\' THEN 0 ELSE 1 END, name_key, id
		LIMIT ?`, org, anywhere, anywhere, prefix, public, user, prefix, prefix, prefix, limit)
}

// BackfillNameKeys writes the pinyin search keys of users and channels
// created before the directory migration (their keys are empty). It is
// cheap when there is nothing to do and runs at start-up.
func (db *DB) BackfillNameKeys(ctx context.Context) error {
	type row struct {
		id   int64
		name string
	}
	read := func(query string) ([]row, error) {
		rows, err := db.Queries.query(ctx, query)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.name); err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, rows.Err()
	}
	users, err := read(`SELECT id, display_name FROM users WHERE name_initials = '' AND display_name <> ''`)
	if err != nil {
		return dbErr("store.BackfillNameKeys", err)
	}
	chans, err := read(`SELECT id, name FROM channels WHERE name_initials = '' AND name <> ''`)
	if err != nil {
		return dbErr("store.BackfillNameKeys", err)
	}
	if len(users) == 0 && len(chans) == 0 {
		return nil
	}
	return db.update(ctx, func(t *Tx) error {
		for _, u := range users {
			full, initials := account.NameKeys(u.name)
			if _, err := t.exec(ctx, `UPDATE users SET name_pinyin = ?, name_initials = ? WHERE id = ?`, full, initials, u.id); err != nil {
				return dbErr("store.BackfillNameKeys", err)
			}
		}
		for _, c := range chans {
			full, initials := account.NameKeys(c.name)
			if _, err := t.exec(ctx, `UPDATE channels SET name_pinyin = ?, name_initials = ? WHERE id = ?`, full, initials, c.id); err != nil {
				return dbErr("store.BackfillNameKeys", err)
			}
		}
		return nil
	})
}

// DepartmentChannels lists the channels bound to a department.
func (q Queries) DepartmentChannels(ctx context.Context, org int64) ([]chat.Channel, error) {
	const op = "store.DepartmentChannels"
	return q.channels(ctx, op, `SELECT `+channelCols+` FROM channels WHERE org_id = ? AND department_id <> 0 ORDER BY id`, org)
}

// SubtreeMemberIDs lists the active users of a department and every
// department below it.
func (q Queries) SubtreeMemberIDs(ctx context.Context, org, dept int64) ([]int64, error) {
	return q.ids(ctx, "store.SubtreeMemberIDs", `SELECT DISTINCT m.user_id FROM department_members m
		JOIN departments d ON d.id = m.department_id
		JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND u.active = TRUE
		  AND d.path LIKE (SELECT path FROM departments WHERE org_id = ? AND id = ?) || '%'
		ORDER BY m.user_id`, org, org, dept)
}

// GroupMemberIDs returns the active members of the groups with the given
// handles.
func (q Queries) GroupMemberIDs(ctx context.Context, org int64, handles []string) ([]int64, error) {
	if len(handles) == 0 {
		return []int64{}, nil
	}
	args := []any{org}
	for _, h := range handles {
		args = append(args, h)
	}
	return q.ids(ctx, "store.GroupMemberIDs", `SELECT DISTINCT gm.user_id FROM user_group_members gm
		JOIN user_groups g ON g.id = gm.group_id
		JOIN users u ON u.id = gm.user_id
		WHERE g.org_id = ? AND u.active = TRUE AND g.handle IN (`+placeholders(len(handles))+`)
		ORDER BY gm.user_id`, args...)
}
