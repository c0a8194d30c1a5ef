package storetest

import (
	"context"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

// testBulkLoad checks that preloaded data looks exactly like data written
// through the normal path: sequences contiguous per channel, msg_seq and
// member_count consistent, read positions at the end, tokens usable.
func testBulkLoad(t *testing.T, s suite) {
	ctx := context.Background()
	db := s.open(t)
	var org account.Org
	var err error
	err = db.Update(ctx, func(tx *store.Tx) error {
		org, err = tx.InsertOrg(ctx, account.Org{Name: "Bench", CreatedAt: time.Now()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	in := store.BulkInput{Org: org.ID, Batch: 7, Tokens: []string{"pt_a", "pt_b", "pt_c"}}
	for _, n := range []string{"a", "b", "c"} {
		in.Users = append(in.Users, store.BulkUser{PasswordHash: "x", User: account.User{Email: n + "@x.invalid",
			Username: n, DisplayName: n, Role: account.RoleMember, CreatedAt: now}})
	}
	in.Channels = []store.BulkChannel{
		{Channel: chat.Channel{Kind: chat.KindPublic, Name: "General", CreatedAt: now}, Members: []int{0, 1, 2}},
		{Channel: chat.Channel{Kind: chat.KindDM, CreatedAt: now}, Members: []int{0, 2}},
	}
	in.Messages = func(yield func(store.BulkMessage) bool) {
		for i := range 25 {
			if !yield(store.BulkMessage{Channel: i % 2, Author: 0, ClientID: "p" + string(rune('a'+i)), Text: "hi",
				CreatedAt: now.Add(time.Duration(i) * time.Second)}) {
				return
			}
		}
	}
	res, err := db.BulkLoad(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 25 || len(res.Users) != 3 || len(res.Channels) != 2 {
		t.Fatalf("result %+v", res)
	}
	for i, want := range []int64{13, 12} {
		ch, err := db.Channel(ctx, org.ID, res.Channels[i])
		if err != nil {
			t.Fatal(err)
		}
		if ch.LastSeq != want || ch.MemberCount != len(in.Channels[i].Members) {
			t.Errorf("channel %d: msg_seq %d members %d", i, ch.LastSeq, ch.MemberCount)
		}
		h, err := db.History(ctx, ch.ID, chat.Page{After: 0, HasAfter: true, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, m := range h.Messages {
			seqs = append(seqs, m.Seq)
		}
		wantSeqs := make([]int64, want)
		for j := range wantSeqs {
			wantSeqs[j] = int64(j + 1)
		}
		if !slices.Equal(seqs, wantSeqs) {
			t.Errorf("channel %d seqs %v", i, seqs)
		}
		m, err := db.Member(ctx, ch.ID, res.Users[0])
		if err != nil || m.LastReadSeq != want {
			t.Errorf("channel %d read position %d (%v)", i, m.LastReadSeq, err)
		}
	}
	dm, err := db.Channel(ctx, org.ID, res.Channels[1])
	if err != nil || !slices.Equal(dm.MemberIDs, []int64{res.Users[0], res.Users[2]}) {
		t.Errorf("DM members %v (%v)", dm.MemberIDs, err)
	}
	// The tokens are sessions of their users.
	for i, tok := range in.Tokens {
		h := sha256.Sum256([]byte(tok))
		_, u, err := db.SessionUser(ctx, h[:])
		if err != nil || u.ID != res.Users[i] {
			t.Errorf("token %d: user %d (%v), want %d", i, u.ID, err, res.Users[i])
		}
	}
}
