package chat_test

import (
	"context"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestSchemeWindows checks the edit and delete windows of the permission
// scheme with a controlled clock: inside the window the author may, after it
// they get a Conflict naming the window, and channel admins still moderate.
func TestSchemeWindows(t *testing.T) {
	ctx := context.Background()
	tg := storetest.FromEnv(t)
	db, err := store.Open(ctx, tg.Dir, true, store.Options{Database: tg.Database, Publish: func([]event.Event) {}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	accounts := account.NewService(store.Accounts{DB: db}, httpapi.Encoder{}, plainHasher{}, now)
	chats := chat.NewService(store.Chats{DB: db}, httpapi.Encoder{}, nil, now)
	_, o, err := accounts.Bootstrap(ctx, account.BootstrapInput{OrgName: "W", Email: "o@w.test", Username: "owner", Password: "windows-pw"})
	if err != nil {
		t.Fatal(err)
	}
	owner := account.ActorOf(o)
	u, err := accounts.CreateUser(ctx, owner, account.NewUserInput{Email: "a@w.test", Username: "alice", Password: "windows-pw", Role: account.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	alice := account.ActorOf(u)
	if _, err := accounts.UpdateScheme(ctx, owner, account.SchemePatch{Windows: map[string]time.Duration{
		"edit_window_seconds": time.Minute, "delete_window_seconds": 2 * time.Minute}}); err != nil {
		t.Fatal(err)
	}
	ch, err := chats.CreateChannel(ctx, owner, chat.NewChannel{Name: "w", Kind: chat.KindPublic, Users: []int64{alice.User}})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := chats.Post(ctx, alice, ch.ID, chat.NewMessage{ClientID: "w1", Text: "one"})
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(59 * time.Second)
	if _, err := chats.Edit(ctx, alice, m.ID, "one, edited"); err != nil {
		t.Fatalf("edit inside the window: %v", err)
	}
	clock = clock.Add(2 * time.Second)
	if _, err := chats.Edit(ctx, alice, m.ID, "too late"); errs.CodeOf(err) != "edit_window_passed" {
		t.Fatalf("edit after the window: %v", err)
	}
	if err := chats.Delete(ctx, alice, m.ID); err != nil {
		t.Fatalf("delete inside its window: %v", err)
	}
	m2, _, err := chats.Post(ctx, alice, ch.ID, chat.NewMessage{ClientID: "w2", Text: "two"})
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(3 * time.Minute)
	if err := chats.Delete(ctx, alice, m2.ID); errs.CodeOf(err) != "delete_window_passed" {
		t.Fatalf("delete after the window: %v", err)
	}
	if err := chats.Delete(ctx, owner, m2.ID); err != nil {
		t.Fatalf("the channel owner moderates after the window: %v", err)
	}
}
