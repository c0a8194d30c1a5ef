package storetest

import (
	"context"
	"testing"
	"time"

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
