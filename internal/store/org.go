package store

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/account"
)

// OrgCount returns how many organisations exist.
func (q Queries) OrgCount(ctx context.Context) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n)
	return n, dbErr("store.OrgCount", err)
}

// Org returns an organisation.
func (q Queries) Org(ctx context.Context, id int64) (account.Org, error) {
	var o account.Org
	var recall, created int64
	err := q.queryRow(ctx, `
		SELECT id, name, recall_window_ms, receipt_max_members, link_previews, file_max_bytes, file_quota_bytes, created_at
		FROM orgs WHERE id = ?`, id).Scan(&o.ID, &o.Name, &recall, &o.ReceiptMaxMembers, &o.LinkPreviews, &o.FileMaxBytes,
		&o.FileQuotaBytes, &created)
	if err != nil {
		return account.Org{}, notFound("store.Org", "org_not_found", err)
	}
	o.RecallWindow = time.Duration(recall) * time.Millisecond
	o.CreatedAt = fromMS(created)
	return o, nil
}

// InsertOrg creates an organisation. Zero file limits take the defaults.
func (t *Tx) InsertOrg(ctx context.Context, o account.Org) (account.Org, error) {
	if o.FileMaxBytes == 0 {
		o.FileMaxBytes = account.DefaultFileMaxBytes
	}
	if o.FileQuotaBytes == 0 {
		o.FileQuotaBytes = account.DefaultFileQuotaBytes
	}
	err := t.queryRow(ctx, `
		INSERT INTO orgs (name, recall_window_ms, receipt_max_members, link_previews, file_max_bytes, file_quota_bytes,
			created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.Name, o.RecallWindow.Milliseconds(), o.ReceiptMaxMembers, o.LinkPreviews, o.FileMaxBytes, o.FileQuotaBytes,
		ms(o.CreatedAt)).Scan(&o.ID)
	return o, dbErr("store.InsertOrg", err)
}

// UpdateOrg saves an organisation's settings.
func (t *Tx) UpdateOrg(ctx context.Context, o account.Org) error {
	_, err := t.exec(ctx, `
		UPDATE orgs SET name = ?, recall_window_ms = ?, receipt_max_members = ?, link_previews = ?, file_max_bytes = ?,
			file_quota_bytes = ? WHERE id = ?`,
		o.Name, o.RecallWindow.Milliseconds(), o.ReceiptMaxMembers, o.LinkPreviews, o.FileMaxBytes, o.FileQuotaBytes, o.ID)
	return dbErr("store.UpdateOrg", err)
}

// Setting returns a stored setting, or NotFound.
func (q Queries) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := q.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if err != nil {
		return "", notFound("store.Setting", "setting_not_found", err)
	}
	return v, nil
}

// PutSetting stores a setting.
func (t *Tx) PutSetting(ctx context.Context, key, value string) error {
	_, err := t.exec(ctx, `
		INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return dbErr("store.PutSetting", err)
}

// DeleteSetting removes a setting.
func (t *Tx) DeleteSetting(ctx context.Context, key string) error {
	_, err := t.exec(ctx, `DELETE FROM settings WHERE key = ?`, key)
	return dbErr("store.DeleteSetting", err)
}
