package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

// Password policy, TOTP secrets with their replay guard, recovery codes,
// and the session fields of tokens and two-step logins.
func testSecurity(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	u := mkUser(t, db, org, "li")
	if _, err := db.SecurityPolicy(ctx, org); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("policy of a new organisation: %v", err)
	}
	want := auth.Policy{MinLength: 12, MinClasses: 3, Require2FA: true, SSORequire2FA: true, UpdatedAt: at}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.PutSecurityPolicy(ctx, org, want) })
	want.MinLength = 14
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.PutSecurityPolicy(ctx, org, want) })
	if got, err := db.SecurityPolicy(ctx, org); err != nil || got != want {
		t.Fatalf("policy %+v (%v), want %+v", got, err, want)
	}
	if h, err := db.PasswordHash(ctx, org, u.ID); err != nil || h != "hash-li" {
		t.Fatalf("password hash %q (%v)", h, err)
	}

	secret := []byte("12345678901234567890")
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutTOTP(ctx, auth.TOTP{User: u.ID, Org: org, Secret: secret, Enabled: true, LastStep: 10, CreatedAt: at})
	})
	advance := func(step int64) bool {
		var ok bool
		update(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			ok, err = tx.AdvanceTOTP(ctx, org, u.ID, step)
			return err
		})
		return ok
	}
	if advance(10) || !advance(11) || advance(11) || advance(9) || !advance(13) {
		t.Fatal("AdvanceTOTP must accept only later steps, once")
	}
	if got, err := db.TOTP(ctx, org, u.ID); err != nil || string(got.Secret) != string(secret) || !got.Enabled || got.LastStep != 13 {
		t.Fatalf("totp %+v (%v)", got, err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.ReplaceRecoveryCodes(ctx, org, u.ID, [][]byte{[]byte("h1"), []byte("h2"), []byte("h3")})
	})
	use := func(h string) bool {
		var ok bool
		update(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			ok, err = tx.UseRecoveryCode(ctx, org, u.ID, []byte(h), at)
			return err
		})
		return ok
	}
	if !use("h2") || use("h2") || use("nope") {
		t.Fatal("a recovery code must work once")
	}
	if n, err := db.RecoveryCodesLeft(ctx, org, u.ID); err != nil || n != 2 {
		t.Fatalf("codes left %d (%v)", n, err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteTOTP(ctx, org, u.ID) })
	if _, err := db.TOTP(ctx, org, u.ID); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("deleted totp: %v", err)
	}
	if n, _ := db.RecoveryCodesLeft(ctx, org, u.ID); n != 0 {
		t.Fatalf("codes left after delete: %d", n)
	}

	var pat, web, other auth.Session
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if pat, err = tx.InsertSession(ctx, auth.Session{Org: org, User: u.ID, TokenHash: []byte("pat"), Kind: auth.KindPAT, Name: "CI 脚本",
			Scope: auth.ScopeRead, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
			return err
		}
		if web, err = tx.InsertSession(ctx, auth.Session{Org: org, User: u.ID, TokenHash: []byte("web"), Kind: auth.KindCookie,
			Pending: auth.PendingEnrol, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}); err != nil {
			return err
		}
		other, err = tx.InsertSession(ctx, auth.Session{Org: org, User: u.ID, TokenHash: []byte("other"), Kind: auth.KindToken,
			CreatedAt: at, ExpiresAt: at.Add(time.Hour)})
		return err
	})
	got, _, err := db.SessionUser(ctx, []byte("pat"))
	if err != nil || got.Kind != auth.KindPAT || got.Name != "CI 脚本" || got.Scope != auth.ScopeRead || got.Pending != "" {
		t.Fatalf("token read back %+v (%v)", got, err)
	}
	web.Pending, web.LastUsedAt = "", at.Add(time.Minute)
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateSession(ctx, web) })
	if got, _, err := db.SessionUser(ctx, []byte("web")); err != nil || got.Pending != "" || !got.LastUsedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("updated session %+v (%v)", got, err)
	}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteSessionsExcept(ctx, org, u.ID, web.ID) })
	all, err := db.Sessions(ctx, org, u.ID)
	if err != nil || len(all) != 1 || all[0].ID != web.ID {
		t.Fatalf("after DeleteSessionsExcept: %+v (%v); pat %d other %d", all, err, pat.ID, other.ID)
	}
}
