package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

type plainHasher struct{}

func (plainHasher) Hash(p string) (string, error) { return "plain:" + p, nil }

func (plainHasher) CheckPassword(context.Context, int64, string, account.User) error { return nil }

// TestInvitationExpires: with a controlled clock, a link works until its
// expiry and is refused as expired from then on.
func TestInvitationExpires(t *testing.T) {
	ctx := context.Background()
	tg := storetest.FromEnv(t)
	db, err := store.Open(ctx, tg.Dir, true, store.Options{Database: tg.Database, Publish: func([]event.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	accounts := account.NewService(store.Accounts{DB: db}, httpapi.Encoder{}, plainHasher{}, func() time.Time { return clock })
	_, o, err := accounts.Bootstrap(ctx, account.BootstrapInput{OrgName: "W", Email: "o@w.test", Username: "owner", Password: "invite-pw-1"})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := accounts.CreateInvitation(ctx, account.ActorOf(o), account.NewInvitation{MaxUses: 5, ExpiresIn: 24 * time.Hour, LinkBase: "https://x/invite/"})
	if err != nil {
		t.Fatal(err)
	}
	tok := inv.Link[len("https://x/invite/"):]
	clock = clock.Add(24*time.Hour - time.Second)
	if _, err := accounts.AcceptInvitation(ctx, tok, account.AcceptInput{Email: "a@w.test", Username: "alice", Password: "invite-pw-1"}); err != nil {
		t.Fatalf("accept before expiry: %v", err)
	}
	clock = clock.Add(time.Second)
	if _, err := accounts.PreviewInvitation(ctx, tok); errs.CodeOf(err) != "invite_expired" {
		t.Fatalf("preview at expiry: %v", err)
	}
	if _, err := accounts.AcceptInvitation(ctx, tok, account.AcceptInput{Email: "b@w.test", Username: "bob", Password: "invite-pw-1"}); errs.CodeOf(err) != "invite_expired" {
		t.Fatalf("accept at expiry: %v", err)
	}
}
