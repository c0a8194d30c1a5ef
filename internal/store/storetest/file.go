package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/file"
	"github.com/parley-chat/parley/internal/store"
)

// mkFile stores an unattached file's metadata.
func mkFile(tb testing.TB, db *store.DB, ch chat.Channel, uploader int64, name string, size int64) file.File {
	tb.Helper()
	f := file.File{Org: ch.Org, Channel: ch.ID, Uploader: uploader, Name: name, ContentType: "image/png", Size: size,
		SHA256: fmt.Sprintf("%064d", size), Key: fmt.Sprintf("%d/%s", ch.Org, name), ThumbKey: fmt.Sprintf("%d/%s-thumb.jpg", ch.Org, name),
		Width: 640, Height: 480, Preview: file.PreviewImage, CreatedAt: at}
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		f, err = tx.InsertFile(ctx, f)
		return err
	})
	return f
}

func attach(tb testing.TB, db *store.DB, m chat.Message, ids ...int64) ([]chat.Attachment, error) {
	tb.Helper()
	var as []chat.Attachment
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		var err error
		as, err = tx.AttachFiles(context.Background(), m, ids)
		return err
	})
	return as, err
}

func fileIDs(fs []file.File) []int64 {
	out := []int64{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func testFile(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	a, b, c := mkUser(t, db, org, "a"), mkUser(t, db, org, "b"), mkUser(t, db, org, "c")
	pub := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID)
	priv := mkChannel(t, db, org, chat.KindPrivate, "secret", a.ID)

	f1 := mkFile(t, db, pub, a.ID, "Report 2025.PNG", 1000)
	got, err := db.File(ctx, org, f1.ID)
	if err != nil || got.Name != "Report 2025.PNG" || got.Size != 1000 || got.Message != 0 || got.MessageHidden ||
		got.Preview != file.PreviewImage || got.Width != 640 || got.ThumbKey != f1.ThumbKey || !got.CreatedAt.Equal(at) {
		t.Fatalf("file %+v (%v)", got, err)
	}
	if _, err := db.File(ctx, other, f1.ID); errs.CodeOf(err) != "file_not_found" {
		t.Fatalf("file of another organisation: %v", err)
	}
	f2 := mkFile(t, db, pub, a.ID, "notes.png", 500)
	f3 := mkFile(t, db, pub, b.ID, "b's.png", 300)
	f4 := mkFile(t, db, priv, a.ID, "private report.png", 200)
	if n, err := db.UploadedBytes(ctx, org, a.ID); err != nil || n != 1700 {
		t.Fatalf("a uploaded %d (%v)", n, err)
	}
	if n, err := db.UploadedBytes(ctx, org, c.ID); err != nil || n != 0 {
		t.Fatalf("c uploaded %d (%v)", n, err)
	}

	m := post(t, db, pub, a.ID, "", nil)
	// Only the author's unattached files of the message's channel attach.
	if _, err := attach(t, db, m, f1.ID, f3.ID); errs.CodeOf(err) != "file_not_found" {
		t.Fatalf("attach another's file: %v", err)
	}
	if _, err := attach(t, db, m, f4.ID); errs.CodeOf(err) != "file_not_found" {
		t.Fatalf("attach a file of another channel: %v", err)
	}
	if _, err := attach(t, db, m, 999999); errs.CodeOf(err) != "file_not_found" {
		t.Fatalf("attach a missing file: %v", err)
	}
	as, err := attach(t, db, m, f2.ID, f1.ID)
	if err != nil || len(as) != 2 || as[0].ID != f1.ID || as[1].ID != f2.ID || as[0].Name != f1.Name || !as[0].Thumbnail ||
		as[0].Preview != "image" || as[0].Width != 640 || as[0].Size != 1000 {
		t.Fatalf("attach: %+v %v", as, err)
	}
	m2 := post(t, db, pub, a.ID, "again", nil)
	if _, err := attach(t, db, m2, f1.ID); errs.CodeOf(err) != "file_already_attached" {
		t.Fatalf("attach twice: %v", err)
	}
	// Messages carry their files on every read.
	if got, err := db.Message(ctx, org, m.ID); err != nil || len(got.Files) != 2 || got.Files[1].ID != f2.ID {
		t.Fatalf("message files %+v (%v)", got.Files, err)
	}
	h, err := db.History(ctx, pub.ID, chat.Page{Limit: 10})
	if err != nil || len(h.Messages) != 2 || len(h.Messages[0].Files) != 2 || len(h.Messages[1].Files) != 0 {
		t.Fatalf("history %+v (%v)", h, err)
	}

	search := func(f file.SearchFilter) []int64 {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 10
		}
		f.Org = org
		fs, err := db.SearchFiles(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return fileIDs(fs)
	}
	eq := func(what string, got []int64, want ...int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(append([]int64{}, want...)) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	// Attached files only, newest first; names match case-insensitively.
	eq("channel list", search(file.SearchFilter{User: a.ID, Channel: pub.ID}), f2.ID, f1.ID)
	eq("name", search(file.SearchFilter{User: a.ID, Name: "report"}), f1.ID)
	eq("LIKE characters are literal", search(file.SearchFilter{User: a.ID, Name: "%"}))
	eq("underscore is literal", search(file.SearchFilter{User: a.ID, Name: "_"}))
	eq("paging", search(file.SearchFilter{User: a.ID, Channel: pub.ID, BeforeID: f2.ID}), f1.ID)
	// c is not a member of the public channel: it is readable with Public only.
	eq("non-member without public", search(file.SearchFilter{User: c.ID, Channel: pub.ID}))
	eq("non-member with public", search(file.SearchFilter{User: c.ID, Public: true, Name: "png"}), f2.ID, f1.ID)

	// A private channel's files are found by its members only.
	m3 := post(t, db, priv, a.ID, "secret", nil)
	if _, err := attach(t, db, m3, f4.ID); err != nil {
		t.Fatal(err)
	}
	eq("member of the private channel", search(file.SearchFilter{User: a.ID, Name: "private"}), f4.ID)
	eq("public reader of a private channel", search(file.SearchFilter{User: c.ID, Public: true, Name: "private"}))

	// A deleted message hides its files from lists and search; File says so.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		m.DeletedAt = at
		return tx.UpdateMessage(ctx, m)
	})
	eq("after deletion", search(file.SearchFilter{User: a.ID, Channel: pub.ID}))
	if got, err := db.File(ctx, org, f1.ID); err != nil || !got.MessageHidden || got.Message != m.ID {
		t.Fatalf("file of a deleted message %+v (%v)", got, err)
	}

	// Unattached uploads older than the cutoff are deleted and returned.
	var swept []file.File
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		swept, err = tx.DeleteUnattached(ctx, at, 10)
		return err
	})
	eq("nothing uploaded before the cutoff", fileIDs(swept))
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		swept, err = tx.DeleteUnattached(ctx, at.Add(time.Second), 10)
		return err
	})
	eq("swept", fileIDs(swept), f3.ID)
	if len(swept) == 1 && swept[0].Key != f3.Key {
		t.Errorf("swept file without its key: %+v", swept[0])
	}
	if _, err := db.File(ctx, org, f3.ID); errs.KindOf(err) != errs.NotFound {
		t.Errorf("swept file still there: %v", err)
	}
	if _, err := db.File(ctx, org, f1.ID); err != nil {
		t.Errorf("attached file swept: %v", err)
	}
}
