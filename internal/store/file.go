package store

import (
	"context"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/file"
)

const fileCols = `f.id, f.org_id, f.channel_id, f.uploader_id, f.message_id, f.name, f.content_type, f.size, f.sha256,
	f.blob_key, f.thumb_key, f.width, f.height, f.preview, f.created_at,
	COALESCE(m.deleted_at <> 0 OR m.recalled_at <> 0, FALSE)`

// fileFrom joins each file to the message carrying it, for its visibility.
const fileFrom = `files f LEFT JOIN messages m ON m.id = f.message_id`

func scanFile(s scanner) (file.File, error) {
	var f file.File
	var created int64
	var preview string
	err := s.Scan(&f.ID, &f.Org, &f.Channel, &f.Uploader, &f.Message, &f.Name, &f.ContentType, &f.Size, &f.SHA256,
		&f.Key, &f.ThumbKey, &f.Width, &f.Height, &preview, &created, &f.MessageHidden)
	f.Preview, f.CreatedAt = file.Preview(preview), fromMS(created)
	return f, err
}

// File returns a file with the visibility of its message.
func (q Queries) File(ctx context.Context, org, id int64) (file.File, error) {
	f, err := scanFile(q.queryRow(ctx, `SELECT `+fileCols+` FROM `+fileFrom+` WHERE f.org_id = ? AND f.id = ?`, org, id))
	if err != nil {
		return file.File{}, notFound("store.File", "file_not_found", err)
	}
	return f, nil
}

// UploadedBytes is the total size of the files a user uploaded.
func (q Queries) UploadedBytes(ctx context.Context, org, user int64) (int64, error) {
	var n int64
	err := q.queryRow(ctx, `SELECT COALESCE(SUM(size), 0) FROM files WHERE uploader_id = ? AND org_id = ?`, user, org).Scan(&n)
	return n, dbErr("store.UploadedBytes", err)
}

// SearchFiles returns the attached files of visible messages that f
// selects, newest first: in the channels the user is a member of, and the
// organisation's public channels when f.Public.
func (q Queries) SearchFiles(ctx context.Context, f file.SearchFilter) ([]file.File, error) {
	const op = "store.SearchFiles"
	where := []string{"f.org_id = ?", "f.message_id <> 0", "m.deleted_at = 0", "m.recalled_at = 0",
		`(f.channel_id IN (SELECT channel_id FROM channel_members WHERE user_id = ?)
		  OR (? AND f.channel_id IN (SELECT id FROM channels WHERE org_id = ? AND kind = 'public')))`}
	args := []any{f.Org, f.User, f.Public, f.Org}
	if f.Channel != 0 {
		where = append(where, "f.channel_id = ?")
		args = append(args, f.Channel)
	}
	if f.Name != "" {
		where = append(where, `f.name_key LIKE ? ESCAPE '\'`)
		args = append(args, "%"+strings.TrimSuffix(likePrefix(f.Name), "%")+"%")
	}
	if f.BeforeID > 0 {
		where = append(where, "f.id < ?")
		args = append(args, f.BeforeID)
	}
	args = append(args, f.Limit)
	rows, err := q.query(ctx, `SELECT `+fileCols+` FROM files f JOIN messages m ON m.id = f.message_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY f.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []file.File{}
	for rows.Next() {
		fl, err := scanFile(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, fl)
	}
	return out, dbErr(op, rows.Err())
}

// InsertFile stores a new file's metadata.
func (t *Tx) InsertFile(ctx context.Context, f file.File) (file.File, error) {
	err := t.queryRow(ctx, `
		INSERT INTO files (org_id, channel_id, uploader_id, message_id, name, name_key, content_type, size, sha256,
			blob_key, thumb_key, width, height, preview, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		f.Org, f.Channel, f.Uploader, f.Message, f.Name, strings.ToLower(f.Name), f.ContentType, f.Size, f.SHA256,
		f.Key, f.ThumbKey, f.Width, f.Height, string(f.Preview), ms(f.CreatedAt)).Scan(&f.ID)
	return f, dbErr("store.InsertFile", err)
}

// DeleteUnattached deletes up to limit files no message attached that were
// uploaded before the cutoff, and returns them (for their blobs).
func (t *Tx) DeleteUnattached(ctx context.Context, before time.Time, limit int) ([]file.File, error) {
	const op = "store.DeleteUnattached"
	rows, err := t.query(ctx, `SELECT `+fileCols+` FROM `+fileFrom+`
		WHERE f.message_id = 0 AND f.created_at < ? ORDER BY f.id LIMIT ?`, ms(before), limit)
	if err != nil {
		return nil, dbErr(op, err)
	}
	var fs []file.File
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			rows.Close()
			return nil, dbErr(op, err)
		}
		fs = append(fs, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, err)
	}
	if len(fs) == 0 {
		return nil, nil
	}
	args := make([]any, len(fs))
	for i, f := range fs {
		args[i] = f.ID
	}
	// Another node may have attached one since the SELECT (PostgreSQL):
	// only the rows still unattached are deleted, and only theirs returned.
	rows, err = t.query(ctx, `DELETE FROM files WHERE message_id = 0 AND id IN (`+placeholders(len(args))+`) RETURNING id`, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	deleted := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, dbErr(op, err)
		}
		deleted[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, err)
	}
	out := fs[:0]
	for _, f := range fs {
		if deleted[f.ID] {
			out = append(out, f)
		}
	}
	return out, nil
}

// DeleteFile deletes a file no message attached; false when it is attached
// (or gone).
func (t *Tx) DeleteFile(ctx context.Context, org, id int64) (bool, error) {
	res, err := t.exec(ctx, `DELETE FROM files WHERE org_id = ? AND id = ? AND message_id = 0`, org, id)
	if err != nil {
		return false, dbErr("store.DeleteFile", err)
	}
	n, err := res.RowsAffected()
	return n == 1, dbErr("store.DeleteFile", err)
}

// AttachFiles attaches files to a new message: each must be in the
// message's channel, uploaded by its author and not attached yet.
func (t *Tx) AttachFiles(ctx context.Context, m chat.Message, ids []int64) ([]chat.Attachment, error) {
	const op = "store.AttachFiles"
	args := []any{m.Org}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := t.query(ctx, `SELECT id, channel_id, uploader_id, message_id FROM files
		WHERE org_id = ? AND id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	found := map[int64]bool{}
	for rows.Next() {
		var id, channel, uploader, message int64
		if err := rows.Scan(&id, &channel, &uploader, &message); err != nil {
			rows.Close()
			return nil, dbErr(op, err)
		}
		switch {
		case channel != m.Channel || uploader != m.Author:
			rows.Close()
			return nil, errs.New(op, errs.NotFound, "file_not_found").With("id", id)
		case message != 0:
			rows.Close()
			return nil, errs.New(op, errs.Conflict, "file_already_attached").With("id", id)
		}
		found[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, dbErr(op, err)
	}
	for _, id := range ids {
		if !found[id] {
			return nil, errs.New(op, errs.NotFound, "file_not_found").With("id", id)
		}
	}
	if _, err := t.exec(ctx, `UPDATE files SET message_id = ? WHERE org_id = ? AND id IN (`+placeholders(len(ids))+`)`,
		append([]any{m.ID}, args...)...); err != nil {
		return nil, dbErr(op, err)
	}
	ms := []chat.Message{m}
	if err := t.attachments(ctx, op, ms, map[int64]int{m.ID: 0}); err != nil {
		return nil, err
	}
	return ms[0].Files, nil
}

// attachments fills the Files of a page of messages (idx maps message id
// to its index), in upload order.
func (q Queries) attachments(ctx context.Context, op string, ms []chat.Message, idx map[int64]int) error {
	args := make([]any, 0, len(ms))
	for _, m := range ms {
		args = append(args, m.ID)
	}
	rows, err := q.query(ctx, `
		SELECT message_id, id, name, content_type, size, width, height, thumb_key <> '', preview FROM files
		WHERE message_id IN (`+placeholders(len(args))+`) ORDER BY message_id, id`, args...)
	if err != nil {
		return dbErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var msg int64
		var a chat.Attachment
		if err := rows.Scan(&msg, &a.ID, &a.Name, &a.ContentType, &a.Size, &a.Width, &a.Height, &a.Thumbnail, &a.Preview); err != nil {
			return dbErr(op, err)
		}
		m := &ms[idx[msg]]
		m.Files = append(m.Files, a)
	}
	return dbErr(op, rows.Err())
}
