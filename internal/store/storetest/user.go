package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

func testOrg(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	if n, err := db.OrgCount(ctx); err != nil || n != 0 {
		t.Fatalf("org count %d (%v)", n, err)
	}
	var o account.Org
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		o, err = tx.InsertOrg(ctx, account.Org{Name: "Acme", RecallWindow: 2 * time.Minute, ReceiptMaxMembers: 50, CreatedAt: at})
		return err
	})
	got, err := db.Org(ctx, o.ID)
	if err != nil || got.Name != "Acme" || got.RecallWindow != 2*time.Minute || got.ReceiptMaxMembers != 50 || !got.CreatedAt.Equal(at) {
		t.Fatalf("org %+v (%v)", got, err)
	}
	o.Name, o.RecallWindow, o.ReceiptMaxMembers = "Acme 2", time.Hour, 10
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateOrg(ctx, o) })
	if got, err := db.Org(ctx, o.ID); err != nil || got.Name != "Acme 2" || got.RecallWindow != time.Hour || got.ReceiptMaxMembers != 10 {
		t.Fatalf("updated org %+v (%v)", got, err)
	}
	if n, err := db.OrgCount(ctx); err != nil || n != 1 {
		t.Fatalf("org count %d (%v)", n, err)
	}
	if _, err := db.Org(ctx, o.ID+100); errs.KindOf(err) != errs.NotFound || errs.CodeOf(err) != "org_not_found" {
		t.Fatalf("missing org: %v", err)
	}
	if seq, err := db.LatestSeq(ctx, o.ID); err != nil || seq != 0 {
		t.Fatalf("new org's seq %d (%v)", seq, err)
	}
}

func testSettings(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	if _, err := db.Setting(ctx, "k"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("missing setting: %v", err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.PutSetting(ctx, "k", "v1") })
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.PutSetting(ctx, "k", "v2") })
	if v, err := db.Setting(ctx, "k"); err != nil || v != "v2" {
		t.Fatalf("setting %q (%v)", v, err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteSetting(ctx, "k") })
	if _, err := db.Setting(ctx, "k"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("deleted setting: %v", err)
	}
}

func testUser(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	other := mkOrg(t, db)
	var alice account.User
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		alice, err = tx.InsertUser(ctx, account.User{Org: org, Email: "alice@x.test", Username: "alice", DisplayName: "Alice Liddell",
			AvatarURL: "/a.png", Locale: "zh-CN", TimeZone: "Asia/Shanghai", StatusText: "在开会", Role: account.RoleAdmin,
			Active: true, CreatedAt: at}, "argon-hash")
		return err
	})
	got, err := db.User(ctx, org, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != alice {
		t.Fatalf("user\n got %+v\nwant %+v", got, alice)
	}
	if _, err := db.User(ctx, other, alice.ID); errs.CodeOf(err) != "user_not_found" {
		t.Fatalf("user of another org: %v", err)
	}
	bob := mkUser(t, db, org, "bob")
	carol := mkUser(t, db, org, "carol")
	mkUser(t, db, other, "dave")
	ids := func(us []account.User) []int64 {
		var out []int64
		for _, u := range us {
			out = append(out, u.ID)
		}
		return out
	}
	if us, err := db.Users(ctx, org, []int64{carol.ID, alice.ID, 9999}); err != nil || !slices.Equal(ids(us), []int64{alice.ID, carol.ID}) {
		t.Fatalf("users %v (%v)", ids(us), err)
	}
	if us, err := db.Users(ctx, org, nil); err != nil || us == nil || len(us) != 0 {
		t.Fatalf("no ids: %v (%v)", us, err)
	}
	if us, err := db.UsersByUsername(ctx, org, []string{"bob", "dave", "nobody"}); err != nil || !slices.Equal(ids(us), []int64{bob.ID}) {
		t.Fatalf("users by name %v (%v)", ids(us), err)
	}
	for _, c := range []struct {
		query string
		after int64
		limit int
		want  []int64
	}{
		{"", 0, 10, []int64{alice.ID, bob.ID, carol.ID}},
		{"", alice.ID, 1, []int64{bob.ID}},
		{"ALI", 0, 10, []int64{alice.ID}},      // username, any case
		{"alice l", 0, 10, []int64{alice.ID}},  // display name
		{"carol@", 0, 10, []int64{carol.ID}},   // e-mail
		{"%", 0, 10, nil},                      // LIKE wildcards are literal
		{"_ob", 0, 10, nil},                    //
		{"dave", 0, 10, nil},                   // another organisation
		{"b", bob.ID, 10, nil},                 // paging past the match
		{"", carol.ID, 10, nil},                // the end
		{"c", 0, 10, []int64{carol.ID}},        // prefix only: "alice" has a c inside
		{"x.test", 0, 10, nil},                 // not a prefix of anything
		{"bob@x.test", 0, 10, []int64{bob.ID}}, // whole e-mail
		{"Bob@X.TEST", 0, 10, []int64{bob.ID}}, // folded
		{"alice liddell", 0, 1, []int64{alice.ID}},
	} {
		us, err := db.ListUsers(ctx, org, c.query, c.after, c.limit)
		if err != nil || !slices.Equal(ids(us), c.want) {
			t.Errorf("ListUsers(%q, %d, %d) = %v (%v), want %v", c.query, c.after, c.limit, ids(us), err, c.want)
		}
	}
	u, hash, err := db.UserByLogin(ctx, "Alice@X.test")
	if err != nil || u.ID != alice.ID || hash != "argon-hash" {
		t.Fatalf("login by e-mail: %+v %q (%v)", u, hash, err)
	}
	if u, _, err := db.UserByLogin(ctx, "bob"); err != nil || u.ID != bob.ID {
		t.Fatalf("login by username: %+v (%v)", u, err)
	}
	// The same username in two organisations does not identify one user.
	mkUser(t, db, other, "bob2")
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.InsertUser(ctx, account.User{Org: other, Email: "bob@other.test", Username: "bob", DisplayName: "B",
			Role: account.RoleMember, Active: true, CreatedAt: at}, "h")
		return err
	})
	if _, _, err := db.UserByLogin(ctx, "bob"); errs.CodeOf(err) != "user_not_found" {
		t.Fatalf("ambiguous username: %v", err)
	}
	alice.DisplayName, alice.Active, alice.Role, alice.StatusText = "Alice", false, account.RoleMember, ""
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.UpdateUser(ctx, alice); err != nil {
			return err
		}
		return tx.SetPasswordHash(ctx, org, alice.ID, "new-hash")
	})
	if got, err := db.User(ctx, org, alice.ID); err != nil || got != alice {
		t.Fatalf("updated user %+v (%v)", got, err)
	}
	if _, hash, err := db.UserByLogin(ctx, "alice@x.test"); err != nil || hash != "new-hash" {
		t.Fatalf("new hash %q (%v)", hash, err)
	}
}

func testSession(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	u := mkUser(t, db, org, "alice")
	hash := bytes.Repeat([]byte{0, 0xff, 0x80}, 11)[:32] // binary, not text
	var sess auth.Session
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		sess, err = tx.InsertSession(ctx, auth.Session{Org: org, User: u.ID, TokenHash: hash, Kind: auth.KindCookie, CSRF: "c",
			UserAgent: "ua", Address: "127.0.0.1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
		return err
	})
	got, gotU, err := db.SessionUser(ctx, hash)
	if err != nil || gotU != u || !bytes.Equal(got.TokenHash, hash) || got.ID != sess.ID || got.Kind != auth.KindCookie ||
		got.CSRF != "c" || got.UserAgent != "ua" || got.Address != "127.0.0.1" || !got.ExpiresAt.Equal(at.Add(time.Hour)) {
		t.Fatalf("session %+v user %+v (%v)", got, gotU, err)
	}
	var second auth.Session
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		second, err = tx.InsertSession(ctx, auth.Session{Org: org, User: u.ID, TokenHash: []byte("second"), Kind: auth.KindToken,
			CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
		return err
	})
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteSession(ctx, sess.ID) })
	if _, _, err := db.SessionUser(ctx, hash); errs.CodeOf(err) != "session_not_found" {
		t.Fatalf("deleted session: %v", err)
	}
	if got, _, err := db.SessionUser(ctx, []byte("second")); err != nil || got.ID != second.ID {
		t.Fatalf("other session: %v", err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteSessions(ctx, org, u.ID) })
	if _, _, err := db.SessionUser(ctx, []byte("second")); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("revoked sessions: %v", err)
	}
}
