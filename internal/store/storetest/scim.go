package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/sso"
	"github.com/parley-chat/parley/internal/store"
)

// SCIM tokens: found by hash, last use recorded in their own organisation
// only, revoked per organisation.
func testSCIMToken(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	var tok sso.SCIMToken
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		tok, err = tx.InsertSCIMToken(ctx, sso.SCIMToken{Org: org, Name: "Okta", TokenHash: []byte("hash-1"), CreatedAt: at})
		return err
	})
	q := store.SSO{DB: db}
	if got, err := q.SCIMTokenByHash(ctx, []byte("hash-1")); err != nil || got.ID != tok.ID || got.Org != org || !got.LastUsedAt.IsZero() {
		t.Fatalf("by hash: %+v (%v)", got, err)
	}
	used := at.Add(time.Hour)
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.TouchSCIMToken(ctx, other, tok.ID, used) })
	if got, _ := q.SCIMTokenByHash(ctx, []byte("hash-1")); !got.LastUsedAt.IsZero() {
		t.Fatalf("another organisation touched the token: %+v", got)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.TouchSCIMToken(ctx, org, tok.ID, used) })
	if ts, err := q.SCIMTokens(ctx, org); err != nil || len(ts) != 1 || !ts[0].LastUsedAt.Equal(used) {
		t.Fatalf("tokens after use: %+v (%v)", ts, err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if ok, err := tx.DeleteSCIMToken(ctx, other, tok.ID); ok || err != nil {
			t.Errorf("another organisation revoked the token: %v %v", ok, err)
		}
		ok, err := tx.DeleteSCIMToken(ctx, org, tok.ID)
		if !ok {
			t.Error("revoke found no token")
		}
		return err
	})
	if _, err := q.SCIMTokenByHash(ctx, []byte("hash-1")); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("revoked token: %v", err)
	}
}

// SCIM Group externalIds: set, replaced, removed, per organisation, and
// gone with their department.
func testSCIMGroupExternalID(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	eng := mkDept(t, db, org, account.Department{}, "Engineering", 0)
	sales := mkDept(t, db, org, account.Department{}, "Sales", 0)
	q := store.SSO{DB: db}
	set := func(org, dept int64, ext string) {
		t.Helper()
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetSCIMGroupExternalID(ctx, org, dept, ext) })
	}
	get := func(org, dept int64) string {
		t.Helper()
		ext, err := q.SCIMGroupExternalID(ctx, org, dept)
		if err != nil {
			t.Fatal(err)
		}
		return ext
	}
	if ext := get(org, eng.ID); ext != "" {
		t.Fatalf("externalId before any: %q", ext)
	}
	set(org, eng.ID, "00gAbC")
	set(org, sales.ID, "00gAbC") // not unique: two providers may collide
	set(org, sales.ID, "00gSales")
	if ext := get(org, eng.ID); ext != "00gAbC" {
		t.Fatalf("externalId: %q", ext)
	}
	if ext := get(other, eng.ID); ext != "" {
		t.Fatalf("another organisation reads the externalId: %q", ext)
	}
	if m, err := q.SCIMGroupExternalIDs(ctx, org); err != nil || len(m) != 2 || m[eng.ID] != "00gAbC" || m[sales.ID] != "00gSales" {
		t.Fatalf("externalIds: %v (%v)", m, err)
	}
	if m, err := q.SCIMGroupExternalIDs(ctx, other); err != nil || len(m) != 0 {
		t.Fatalf("another organisation's externalIds: %v (%v)", m, err)
	}
	set(other, eng.ID, "theirs") // another organisation can neither change
	set(other, eng.ID, "")       // nor remove it
	set(org, sales.ID, "")
	if m, _ := q.SCIMGroupExternalIDs(ctx, org); len(m) != 1 || m[eng.ID] != "00gAbC" {
		t.Fatalf("after removal: %v", m)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteDepartment(ctx, org, eng.ID) })
	if m, _ := q.SCIMGroupExternalIDs(ctx, org); len(m) != 0 {
		t.Fatalf("externalId outlived its department: %v", m)
	}
}

// SCIM User externalIds: set, replaced, removed, per organisation.
func testSCIMUserExternalID(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	ann, bob := mkUser(t, db, org, "ann").ID, mkUser(t, db, org, "bob").ID
	q := store.SSO{DB: db}
	set := func(org, user int64, ext string) {
		t.Helper()
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.SetSCIMUserExternalID(ctx, org, user, ext) })
	}
	get := func(org, user int64) string {
		t.Helper()
		ext, err := q.SCIMUserExternalID(ctx, org, user)
		if err != nil {
			t.Fatal(err)
		}
		return ext
	}
	if ext := get(org, ann); ext != "" {
		t.Fatalf("externalId before any: %q", ext)
	}
	set(org, ann, "00uAnn")
	set(org, bob, "00uAnn") // not unique: two providers may collide
	set(org, bob, "00uBob")
	if ext := get(org, ann); ext != "00uAnn" {
		t.Fatalf("externalId: %q", ext)
	}
	if ext := get(other, ann); ext != "" {
		t.Fatalf("another organisation reads the externalId: %q", ext)
	}
	if m, err := q.SCIMUserExternalIDs(ctx, org); err != nil || len(m) != 2 || m[ann] != "00uAnn" || m[bob] != "00uBob" {
		t.Fatalf("externalIds: %v (%v)", m, err)
	}
	set(other, ann, "theirs") // another organisation can neither change
	set(other, ann, "")       // nor remove it
	set(org, bob, "")
	if m, _ := q.SCIMUserExternalIDs(ctx, org); len(m) != 1 || m[ann] != "00uAnn" {
		t.Fatalf("after removal: %v", m)
	}
	if m, err := q.SCIMUserExternalIDs(ctx, other); err != nil || len(m) != 0 {
		t.Fatalf("another organisation's externalIds: %v (%v)", m, err)
	}
}
