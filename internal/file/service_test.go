package file_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/file"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// noChannels is a file.Channels for tests that never upload.
type noChannels struct{}

func (noChannels) Access(context.Context, account.Actor, int64) (chat.Channel, *chat.Member, error) {
	return chat.Channel{}, nil, errs.New("test", errs.NotFound, "channel_not_found")
}

// Uploads no message attached within PendingTTL are deleted with their
// blobs; attached and recent ones stay.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t).Open(t, store.Options{})
	disk, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	svc := file.NewService(store.Files{DB: db}, disk, noChannels{}, t.TempDir(), func() time.Time { return now })

	var ch chat.Channel
	var files []file.File
	err = db.Update(ctx, func(tx *store.Tx) error {
		org, err := tx.InsertOrg(ctx, account.Org{Name: "O", RecallWindow: time.Hour, ReceiptMaxMembers: 10, CreatedAt: now})
		if err != nil {
			return err
		}
		u, err := tx.InsertUser(ctx, account.User{Org: org.ID, Email: "u@x.test", Username: "u", DisplayName: "U",
			Role: account.RoleMember, Active: true, CreatedAt: now}, "")
		if err != nil {
			return err
		}
		if ch, err = tx.InsertChannel(ctx, chat.Channel{Org: org.ID, Kind: chat.KindPublic, Name: "c", CreatedBy: u.ID, CreatedAt: now}); err != nil {
			return err
		}
		for i, age := range []time.Duration{25 * time.Hour, 23 * time.Hour, 48 * time.Hour} {
			f := file.File{Org: org.ID, Channel: ch.ID, Uploader: u.ID, Name: "f", ContentType: "text/plain", Size: 1,
				SHA256: "x", Key: "1/k" + string(rune('a'+i)), CreatedAt: now.Add(-age)}
			if i == 0 {
				f.ThumbKey = f.Key + "-thumb.jpg"
			}
			if f, err = tx.InsertFile(ctx, f); err != nil {
				return err
			}
			files = append(files, f)
		}
		// The third is attached: it stays, however old.
		seq, err := tx.NextChannelSeq(ctx, ch.ID, now)
		if err != nil {
			return err
		}
		m, err := tx.InsertMessage(ctx, chat.Message{Org: org.ID, Channel: ch.ID, Seq: seq, Author: u.ID, ClientID: "c", CreatedAt: now})
		if err != nil {
			return err
		}
		_, err = tx.AttachFiles(ctx, m, []int64{files[2].ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, k := range []string{f.Key, f.ThumbKey} {
			if k != "" {
				if err := disk.Put(ctx, k, bytes.NewReader([]byte("x")), 1); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	n, err := svc.Sweep(ctx)
	if err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want the one unattached upload older than a day", n, err)
	}
	if _, err := db.File(ctx, ch.Org, files[0].ID); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("swept file still there: %v", err)
	}
	for _, k := range []string{files[0].Key, files[0].ThumbKey} {
		if _, err := disk.Open(ctx, k); errs.KindOf(err) != errs.NotFound {
			t.Errorf("blob %s still there: %v", k, err)
		}
	}
	for _, f := range files[1:] {
		if _, err := db.File(ctx, ch.Org, f.ID); err != nil {
			t.Errorf("file %d deleted: %v", f.ID, err)
		}
		if o, err := disk.Open(ctx, f.Key); err != nil {
			t.Errorf("blob of file %d deleted: %v", f.ID, err)
		} else {
			o.Close()
		}
	}
	if n, err := svc.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v", n, err)
	}
}
