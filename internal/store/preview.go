package store

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/unfurl"
)

var _ unfurl.Store = (*DB)(nil)

// previews fills the link previews of a page of messages (one query).
func (q Queries) previews(ctx context.Context, op string, ms []chat.Message, idx map[int64]int, ids []any) error {
	rows, err := q.query(ctx, `
		SELECT message_id, url, title, description, site_name, image, image_width, image_height FROM message_previews
		WHERE message_id IN (`+placeholders(len(ids))+`) ORDER BY message_id, position`, ids...)
	if err != nil {
		return dbErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p chat.LinkPreview
		if err := rows.Scan(&id, &p.URL, &p.Title, &p.Description, &p.SiteName, &p.Image, &p.ImageWidth, &p.ImageHeight); err != nil {
			return dbErr(op, err)
		}
		m := &ms[idx[id]]
		m.Previews = append(m.Previews, p)
	}
	return dbErr(op, rows.Err())
}

// PendingPreviews returns the queued messages, oldest first.
func (q Queries) PendingPreviews(ctx context.Context, limit int) ([]chat.Message, error) {
	return q.messages(ctx, "store.PendingPreviews", `SELECT `+qualified("m.", messageCols)+`
		FROM preview_queue p JOIN messages m ON m.id = p.message_id
		ORDER BY p.queued_at, p.message_id LIMIT ?`, limit)
}

// QueuePreviews puts a message on the preview queue; a queued one stays.
func (t *Tx) QueuePreviews(ctx context.Context, org, message int64, at time.Time) error {
	_, err := t.exec(ctx, `INSERT INTO preview_queue (message_id, org_id, queued_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, message, org, ms(at))
	return dbErr("store.QueuePreviews", err)
}

// DequeuePreviews takes a message off the preview queue.
func (t *Tx) DequeuePreviews(ctx context.Context, message int64) error {
	_, err := t.exec(ctx, `DELETE FROM preview_queue WHERE message_id = ?`, message)
	return dbErr("store.DequeuePreviews", err)
}

// SetPreviews replaces a message's link previews.
func (t *Tx) SetPreviews(ctx context.Context, org, message int64, ps []chat.LinkPreview) error {
	const op = "store.SetPreviews"
	if _, err := t.exec(ctx, `DELETE FROM message_previews WHERE message_id = ?`, message); err != nil {
		return dbErr(op, err)
	}
	for i, p := range ps {
		if _, err := t.exec(ctx, `
			INSERT INTO message_previews (message_id, position, org_id, url, title, description, site_name,
				image, image_width, image_height)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, message, i, org, p.URL, p.Title, p.Description, p.SiteName,
			p.Image, p.ImageWidth, p.ImageHeight); err != nil {
			return dbErr(op, err)
		}
	}
	return nil
}

// CachedPreview returns the cached fetch of a URL in an organisation, or
// NotFound.
func (q Queries) CachedPreview(ctx context.Context, org int64, url string) (unfurl.Cached, error) {
	var c unfurl.Cached
	var at int64
	err := q.queryRow(ctx, `SELECT url, ok, title, description, site_name, image, image_width, image_height, fetched_at
		FROM link_previews WHERE org_id = ? AND url = ?`, org, url).Scan(&c.URL, &c.OK, &c.Title, &c.Description,
		&c.SiteName, &c.Image, &c.ImageWidth, &c.ImageHeight, &at)
	if err != nil {
		return unfurl.Cached{}, notFound("store.CachedPreview", "preview_not_found", err)
	}
	c.FetchedAt = fromMS(at)
	return c, nil
}

// CachePreview stores (or replaces) the fetch of a URL in an organisation.
func (db *DB) CachePreview(ctx context.Context, org int64, c unfurl.Cached) error {
	return db.update(ctx, func(t *Tx) error {
		_, err := t.exec(ctx, `
			INSERT INTO link_previews (org_id, url, ok, title, description, site_name, image, image_width,
				image_height, fetched_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id, url) DO UPDATE SET ok = excluded.ok, title = excluded.title,
				description = excluded.description, site_name = excluded.site_name, image = excluded.image,
				image_width = excluded.image_width, image_height = excluded.image_height,
				fetched_at = excluded.fetched_at`,
			org, c.URL, c.OK, c.Title, c.Description, c.SiteName, c.Image, c.ImageWidth, c.ImageHeight,
			ms(c.FetchedAt))
		return dbErr("store.CachePreview", err)
	})
}

// PruneCachedPreviews deletes the cached fetches made before a time, in
// every organisation, and reports how many.
func (db *DB) PruneCachedPreviews(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.update(ctx, func(t *Tx) error {
		res, err := t.exec(ctx, `DELETE FROM link_previews WHERE fetched_at < ?`, ms(before))
		if err != nil {
			return dbErr("store.PruneCachedPreviews", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n, err
}
