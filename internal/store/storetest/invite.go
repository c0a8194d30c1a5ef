package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

// Invitations: stored by token hash, listed per organisation, revoked, and
// used no more than their count allows.
func testInvitation(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	admin := mkUser(t, db, org, "admin")
	var inv, bound account.Invitation
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		inv, err = tx.InsertInvitation(ctx, account.Invitation{Org: org, TokenHash: []byte("hash-1"), Role: account.RoleGuest,
			MaxUses: 2, CreatedBy: admin.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
		if err != nil {
			return err
		}
		bound, err = tx.InsertInvitation(ctx, account.Invitation{Org: org, TokenHash: []byte("hash-2"), Role: account.RoleMember,
			Email: "x@acme.test", MaxUses: 1, CreatedBy: admin.ID, CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
		return err
	})
	got, err := db.InvitationByToken(ctx, []byte("hash-1"))
	if err != nil || got.ID != inv.ID || got.Org != org || got.Role != account.RoleGuest || got.MaxUses != 2 || got.Uses != 0 ||
		!got.CreatedAt.Equal(at) || !got.ExpiresAt.Equal(at.Add(time.Hour)) || !got.RevokedAt.IsZero() || !bytes.Equal(got.TokenHash, []byte("hash-1")) {
		t.Fatalf("by token: %+v (%v)", got, err)
	}
	if _, err := db.InvitationByToken(ctx, []byte("nope")); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("unknown token: %v", err)
	}
	if _, err := db.Invitation(ctx, other, inv.ID); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another organisation's invitation: %v", err)
	}
	list, err := db.Invitations(ctx, org)
	if err != nil || len(list) != 2 || list[0].ID != bound.ID || list[0].Email != "x@acme.test" || list[1].ID != inv.ID {
		t.Fatalf("list %+v (%v)", list, err)
	}
	if list, err := db.Invitations(ctx, other); err != nil || len(list) != 0 {
		t.Fatalf("other organisation lists %+v (%v)", list, err)
	}
	use := func(org, id int64) bool {
		var ok bool
		update(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			ok, err = tx.UseInvitation(ctx, org, id)
			return err
		})
		return ok
	}
	if use(other, inv.ID) || !use(org, inv.ID) || !use(org, inv.ID) || use(org, inv.ID) {
		t.Fatal("UseInvitation must allow exactly max_uses uses, in its own organisation")
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.RevokeInvitation(ctx, org, bound.ID, at) })
	if use(org, bound.ID) {
		t.Fatal("a revoked invitation was used")
	}
	got, err = db.Invitation(ctx, org, bound.ID)
	if err != nil || !got.RevokedAt.Equal(at) || got.State(at) != account.InviteRevoked {
		t.Fatalf("revoked: %+v (%v)", got, err)
	}
	if got, _ := db.Invitation(ctx, org, inv.ID); got.Uses != 2 || got.State(at) != account.InviteUsedUp {
		t.Fatalf("used up: %+v", got)
	}
}
