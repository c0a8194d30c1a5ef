package storetest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/search"
	"github.com/parley-chat/parley/internal/store"
)

// What a post checks (channel, membership, an earlier send with the same
// client id) comes from one query, and the sequence, the message and the
// author's read position from one write.
func testPost(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	a, b, c := mkUser(t, db, org, "a"), mkUser(t, db, org, "b"), mkUser(t, db, org, "c")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID)
	chats := store.Chats{DB: db}

	target := func(author int64, channelOrg, channel int64, clientID string) (chat.PostTarget, error) {
		var pt chat.PostTarget
		err := chats.UpdatePost(ctx, chat.PostKey{Org: channelOrg, Author: author, Channel: channel, ClientID: clientID},
			func(tx chat.Tx) error {
				var err error
				pt, err = tx.PostTarget(ctx, channelOrg, author, channel, clientID)
				return err
			})
		return pt, err
	}
	pt, err := target(b.ID, org, ch.ID, "x-1")
	if err != nil || pt.Channel.ID != ch.ID || pt.Channel.Name != "general" || pt.Resent || pt.Member == nil ||
		pt.Member.User != b.ID || pt.Member.Channel != ch.ID || pt.Member.Org != org || pt.Member.Role != chat.RoleMember ||
		!pt.Member.JoinedAt.Equal(at) {
		t.Fatalf("member's target %+v %+v (%v)", pt, pt.Member, err)
	}
	if pt, err := target(c.ID, org, ch.ID, "x-1"); err != nil || pt.Channel.ID != ch.ID || pt.Member != nil {
		t.Fatalf("non-member's target %+v (%v)", pt, err)
	}
	if _, err := target(b.ID, other, ch.ID, "x-1"); errs.CodeOf(err) != "channel_not_found" {
		t.Fatalf("channel of another org: %v", err)
	}

	var first chat.Message
	err = chats.UpdatePost(ctx, chat.PostKey{Org: org, Author: b.ID, Channel: ch.ID, ClientID: "x-1"}, func(tx chat.Tx) error {
		var err error
		first, err = tx.InsertPost(ctx, chat.Message{Org: org, Channel: ch.ID, Author: b.ID, ClientID: "x-1", Text: "one",
			CreatedAt: at})
		return err
	})
	if err != nil || first.ID == 0 || first.Seq != 1 {
		t.Fatalf("first post %+v (%v)", first, err)
	}
	got, err := db.Message(ctx, org, first.ID)
	if err != nil || got.Seq != 1 || got.Text != "one" || got.ClientID != "x-1" || !got.CreatedAt.Equal(at) {
		t.Fatalf("stored post %+v (%v)", got, err)
	}
	if pt, err := target(b.ID, org, ch.ID, "x-1"); err != nil || !pt.Resent || pt.Channel.LastSeq != 1 ||
		!pt.Channel.LastMessageAt.Equal(at) || pt.Member.LastReadSeq != 1 {
		t.Fatalf("target after the post %+v %+v (%v)", pt, pt.Member, err)
	}
	if pt, err := target(a.ID, org, ch.ID, "x-1"); err != nil || pt.Resent || pt.Member.LastReadSeq != 0 {
		t.Fatalf("another author's target %+v (%v)", pt, err)
	}
	// The same client id again is a Conflict, and rolls the sequence back.
	err = chats.UpdatePost(ctx, chat.PostKey{Org: org, Author: b.ID, Channel: ch.ID, ClientID: "x-1"}, func(tx chat.Tx) error {
		_, err := tx.InsertPost(ctx, chat.Message{Org: org, Channel: ch.ID, Author: b.ID, ClientID: "x-1", Text: "again", CreatedAt: at})
		return err
	})
	if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "client_id_taken" {
		t.Fatalf("duplicate client id: %v", err)
	}
	// A read position ahead of the new message is not moved back.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		m, err := tx.Member(ctx, ch.ID, a.ID)
		if err != nil {
			return err
		}
		m.LastReadSeq = 50
		return tx.UpdateMember(ctx, m)
	})
	var second chat.Message
	err = chats.UpdatePost(ctx, chat.PostKey{Org: org, Author: a.ID, Channel: ch.ID, ClientID: "y-1"}, func(tx chat.Tx) error {
		var err error
		second, err = tx.InsertPost(ctx, chat.Message{Org: org, Channel: ch.ID, Author: a.ID, ClientID: "y-1", Text: "two", CreatedAt: at})
		return err
	})
	if err != nil || second.Seq != 2 {
		t.Fatalf("second post %+v (%v)", second, err)
	}
	if m, err := db.Member(ctx, ch.ID, a.ID); err != nil || m.LastReadSeq != 50 {
		t.Fatalf("read position %d (%v), want 50", m.LastReadSeq, err)
	}
	if r, err := db.SearchMessages(ctx, search.Filter{Org: org, Match: `body : "two"`, Channels: []int64{ch.ID}, Limit: 10}); err != nil ||
		len(r) != 1 || r[0].ID != second.ID {
		t.Fatalf("search for the post: %+v (%v)", r, err)
	}
}

// Posts committed together see what the writes before them in the batch
// did: a second send of a client id is a retry, and a post after its
// author's removal is refused, whatever the store loaded up front.
func testPostBatch(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a, b := mkUser(t, db, org, "a"), mkUser(t, db, org, "b")
	chats := store.Chats{DB: db}
	// Posts share a commit loop with other writes when their channel id is
	// a multiple of the number of loops (one on SQLite, four on PostgreSQL).
	var chs []chat.Channel
	for i := 0; len(chs) < 2; i++ {
		if c := mkChannel(t, db, org, chat.KindPublic, fmt.Sprint("c", i), a.ID, b.ID); c.ID%4 == 0 {
			chs = append(chs, c)
		}
	}
	ch := chs[0]
	for round := 0; round < 10; round++ {
		// Hold the commit loop while the writes queue, so that they tend to
		// share a batch; the assertions hold however they are batched.
		started, release := make(chan struct{}), make(chan struct{})
		var blocker sync.WaitGroup
		blocker.Add(1)
		go func() {
			defer blocker.Done()
			db.Update(ctx, func(tx *store.Tx) error {
				close(started)
				<-release
				return nil
			})
		}()
		<-started
		type sent struct {
			msg     chat.Message
			created bool
			err     error
		}
		results := make([]sent, 9)
		var mismatch atomic.Value
		var wg sync.WaitGroup
		// In odd rounds b leaves in the same batch, before their post.
		var left error
		if round%2 == 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				left = db.Update(ctx, func(tx *store.Tx) error {
					_, err := tx.RemoveMember(ctx, ch.ID, b.ID)
					return err
				})
			}()
			for db.Pending() < 1 {
				runtime.Gosched()
			}
		}
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Pairs share a client id; the last post reuses the first
				// pair's in another channel.
				author, channel, clientID := a.ID, ch.ID, fmt.Sprintf("r%d-%d", round, i/2)
				switch i {
				case 7:
					author, clientID = b.ID, fmt.Sprintf("r%d-b", round)
				case 8:
					channel, clientID = chs[1].ID, fmt.Sprintf("r%d-0", round)
				}
				r := &results[i]
				r.err = chats.UpdatePost(ctx, chat.PostKey{Org: org, Author: author, Channel: channel, ClientID: clientID},
					func(tx chat.Tx) error {
						pt, err := tx.PostTarget(ctx, org, author, channel, clientID)
						if err != nil {
							return err
						}
						// What the target says must be what the transaction
						// sees now, whatever ran before in the batch.
						_, merr := tx.Member(ctx, channel, author)
						_, rerr := tx.MessageByClientID(ctx, org, author, clientID)
						if (pt.Member != nil) != (merr == nil) || pt.Resent != (rerr == nil) {
							mismatch.Store(fmt.Sprintf("post %d: target %+v, member error %v, earlier send error %v", i, pt, merr, rerr))
						}
						if pt.Resent {
							r.msg, err = tx.MessageByClientID(ctx, org, author, clientID)
							return err
						}
						if pt.Member == nil {
							return errs.New("test", errs.Permission, "not_a_member")
						}
						r.msg, err = tx.InsertPost(ctx, chat.Message{Org: org, Channel: channel, Author: author, ClientID: clientID,
							Text: "hi", CreatedAt: at})
						r.created = err == nil
						return err
					})
			}()
		}
		// Wait until every write is queued behind the held loop.
		want := len(results)
		if round%2 == 1 {
			want++
		}
		for db.Pending() < want {
			runtime.Gosched()
		}
		// A write after the posts sees the read position they moved.
		var readSeq int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			update(t, db, func(ctx context.Context, tx *store.Tx) error {
				m, err := tx.Member(ctx, ch.ID, a.ID)
				readSeq = m.LastReadSeq
				return err
			})
		}()
		for db.Pending() < want+1 {
			runtime.Gosched()
		}
		close(release)
		wg.Wait()
		blocker.Wait()
		if left != nil {
			t.Fatal(left)
		}
		// Each client id was stored once; its other sends found that message.
		for _, group := range [][]int{{0, 1, 8}, {2, 3}, {4, 5}} {
			created := 0
			for _, i := range group {
				r := results[i]
				if r.err != nil || r.msg.ID == 0 || r.msg.ID != results[group[0]].msg.ID {
					t.Fatalf("round %d: send %d: %+v (%v), first of its client id: %+v", round, i, r, r.err, results[group[0]])
				}
				if r.created {
					created++
				}
			}
			if created != 1 {
				t.Fatalf("round %d: client id of sends %v stored %d times", round, group, created)
			}
		}
		if r := results[6]; r.err != nil || !r.created {
			t.Fatalf("round %d: single post %+v", round, r)
		}
		var last int64
		for _, r := range results[:7] {
			if r.created {
				last = max(last, r.msg.Seq)
			}
		}
		if readSeq != last {
			t.Fatalf("round %d: a write after the posts read a's position %d, want %d", round, readSeq, last)
		}
		// b's post is refused after b left earlier in the batch.
		if r := results[7]; round%2 == 0 && (r.err != nil || !r.created) || round%2 == 1 && errs.CodeOf(r.err) != "not_a_member" {
			t.Fatalf("round %d: post of b: %+v (%v)", round, r, r.err)
		}
		if m := mismatch.Load(); m != nil {
			t.Fatalf("round %d: %s", round, m)
		}
		if round%2 == 1 {
			update(t, db, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.AddMember(ctx, chat.Member{Channel: ch.ID, User: b.ID, Org: org, Role: chat.RoleMember, JoinedAt: at})
				return err
			})
		}
	}
	// Sequences stay gap-free whatever was refused or retried.
	h, err := db.History(ctx, ch.ID, chat.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range h.Messages {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
}
