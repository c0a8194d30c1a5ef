package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

// post stores a message in ch as the chat service does (next sequence,
// insert, thread counters), after edit adjusts it.
func post(tb testing.TB, db *store.DB, ch chat.Channel, author int64, text string, edit func(*chat.Message)) chat.Message {
	tb.Helper()
	var m chat.Message
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		seq, err := tx.NextChannelSeq(ctx, ch.ID, at)
		if err != nil {
			return err
		}
		m = chat.Message{Org: ch.Org, Channel: ch.ID, Seq: seq, Author: author, ClientID: fmt.Sprintf("c%d-%d", ch.ID, seq),
			Text: text, CreatedAt: at.Add(time.Duration(seq) * time.Second)}
		if edit != nil {
			edit(&m)
		}
		if m, err = tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		if m.Root != 0 {
			root, err := tx.Message(ctx, ch.Org, m.Root)
			if err != nil {
				return err
			}
			root.ReplyCount++
			root.LastReplyAt = m.CreatedAt
			return tx.UpdateMessage(ctx, root)
		}
		return nil
	})
	return m
}

func seqsOf(ms []chat.Message) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.Seq)
	}
	return out
}

func testMessage(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	other := mkOrg(t, db)
	a, b := mkUser(t, db, org, "a"), mkUser(t, db, org, "b")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID)
	m := post(t, db, ch, a.ID, "hello @b 你好", func(m *chat.Message) {
		m.ClientID, m.Mentions, m.MentionHere = "client-1", []int64{b.ID}, true
	})
	got, err := db.Message(ctx, org, m.ID)
	if err != nil || got.Text != m.Text || got.Seq != 1 || got.Author != a.ID || got.ClientID != "client-1" ||
		!slices.Equal(got.Mentions, []int64{b.ID}) || !got.MentionHere || got.MentionChannel || got.Pinned ||
		!got.CreatedAt.Equal(m.CreatedAt) || !got.EditedAt.IsZero() || got.Reactions != nil {
		t.Fatalf("message %+v (%v)", got, err)
	}
	if _, err := db.Message(ctx, other, m.ID); errs.CodeOf(err) != "message_not_found" {
		t.Fatalf("message of another org: %v", err)
	}
	if got, err := db.MessageByClientID(ctx, org, a.ID, "client-1"); err != nil || got.ID != m.ID {
		t.Fatalf("by client id %+v (%v)", got, err)
	}
	if _, err := db.MessageByClientID(ctx, org, b.ID, "client-1"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another author's client id: %v", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		dup := m
		dup.Seq = 99
		_, err := tx.InsertMessage(ctx, dup)
		return err
	})
	if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "client_id_taken" {
		t.Fatalf("duplicate client id: %v", err)
	}

	// Edits keep the previous texts, oldest first.
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		for i, text := range []string{"first", "second"} {
			old, err := tx.Message(ctx, org, m.ID)
			if err != nil {
				return err
			}
			if err := tx.InsertEdit(ctx, org, m.ID, chat.Edit{Text: old.Text, EditedAt: at.Add(time.Duration(i) * time.Minute)}); err != nil {
				return err
			}
			old.Text, old.EditedAt = text, at.Add(time.Duration(i)*time.Minute)
			if err := tx.UpdateMessage(ctx, old); err != nil {
				return err
			}
		}
		return nil
	})
	es, err := db.Edits(ctx, m.ID)
	if err != nil || len(es) != 2 || es[0].Text != "hello @b 你好" || es[1].Text != "first" || !es[0].EditedAt.Equal(at) ||
		!es[1].EditedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("edits %+v (%v)", es, err)
	}
	if es, err := db.Edits(ctx, 9999); err != nil || es == nil || len(es) != 0 {
		t.Fatalf("no edits: %v (%v)", es, err)
	}

	// Pins: newest first, only pinned.
	var pinned []int64
	for i := 0; i < 4; i++ {
		p := post(t, db, ch, b.ID, fmt.Sprint("p", i), nil)
		if i%2 == 1 {
			p.Pinned = true
			update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateMessage(ctx, p) })
			pinned = append([]int64{p.Seq}, pinned...)
		}
	}
	if ps, err := db.Pins(ctx, ch.ID); err != nil || !slices.Equal(seqsOf(ps), pinned) || !ps[0].Pinned {
		t.Fatalf("pins %v (%v), want %v", seqsOf(ps), err, pinned)
	}

	// Every mutable field round-trips.
	got, _ = db.Message(ctx, org, m.ID)
	got.ReplyCount, got.LastReplyAt, got.Mentions, got.MentionChannel, got.MentionHere = 3, at, nil, true, false
	got.DeletedAt, got.RecalledAt, got.RecalledBy = at.Add(time.Hour), at.Add(2*time.Hour), b.ID
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateMessage(ctx, got) })
	again, err := db.Message(ctx, org, m.ID)
	if err != nil || again.ReplyCount != 3 || !again.LastReplyAt.Equal(at) || again.Mentions != nil || !again.MentionChannel ||
		again.MentionHere || !again.DeletedAt.Equal(at.Add(time.Hour)) || !again.RecalledAt.Equal(at.Add(2*time.Hour)) || again.RecalledBy != b.ID {
		t.Fatalf("updated message %+v (%v)", again, err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.UpdateMessage(ctx, chat.Message{Org: org, ID: 9999}) })
	if errs.CodeOf(err) != "message_not_found" {
		t.Fatalf("updating a missing message: %v", err)
	}
}

func testHistory(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a := mkUser(t, db, org, "a")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID)
	quiet := mkChannel(t, db, org, chat.KindPublic, "quiet", a.ID)
	var root chat.Message
	for i := 1; i <= 12; i++ {
		switch i {
		case 4: // a reply only in its thread
			post(t, db, ch, a.ID, "reply", func(m *chat.Message) { m.Root = root.ID })
		case 5: // a reply also in the channel
			post(t, db, ch, a.ID, "reply", func(m *chat.Message) { m.Root = root.ID; m.AlsoInChannel = true })
		default:
			m := post(t, db, ch, a.ID, fmt.Sprint("m", i), nil)
			if i == 3 {
				root = m
			}
		}
	}
	for _, c := range []struct {
		name                string
		page                chat.Page
		want                []int64
		moreBefore, moreAft bool
	}{
		{"newest", chat.Page{Limit: 3}, []int64{10, 11, 12}, true, false},
		{"all", chat.Page{Limit: 50}, []int64{1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12}, false, false},
		{"before", chat.Page{Before: 6, Limit: 3}, []int64{2, 3, 5}, true, true},
		{"before start", chat.Page{Before: 3, Limit: 5}, []int64{1, 2}, false, true},
		{"after", chat.Page{After: 3, Limit: 3}, []int64{5, 6, 7}, true, true},
		{"from the beginning", chat.Page{After: 0, HasAfter: true, Limit: 2}, []int64{1, 2}, false, true},
		{"after end", chat.Page{After: 10, Limit: 5}, []int64{11, 12}, true, false},
		{"around", chat.Page{Around: 7, Limit: 4}, []int64{5, 6, 7, 8, 9}, true, true},
	} {
		h, err := db.History(ctx, ch.ID, c.page)
		if err != nil || !slices.Equal(seqsOf(h.Messages), c.want) || h.HasMoreBefore != c.moreBefore || h.HasMoreAfter != c.moreAft {
			t.Errorf("%s: %v before=%v after=%v (%v), want %v %v %v", c.name, seqsOf(h.Messages), h.HasMoreBefore, h.HasMoreAfter, err,
				c.want, c.moreBefore, c.moreAft)
		}
	}
	h, err := db.History(ctx, quiet.ID, chat.Page{Limit: 10})
	if err != nil || h.Messages == nil || len(h.Messages) != 0 || h.HasMoreBefore || h.HasMoreAfter {
		t.Fatalf("empty history %+v (%v)", h, err)
	}
}

func testThread(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a, b, c := mkUser(t, db, org, "a"), mkUser(t, db, org, "b"), mkUser(t, db, org, "c")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID, c.ID)
	root := post(t, db, ch, a.ID, "root", nil)
	var replies []int64
	for _, u := range []int64{c.ID, b.ID, c.ID, a.ID, b.ID} {
		replies = append(replies, post(t, db, ch, u, "reply", func(m *chat.Message) { m.Root = root.ID }).Seq)
	}
	got, err := db.Message(ctx, org, root.ID)
	if err != nil || got.ReplyCount != 5 || !slices.Equal(got.ThreadParticipants, []int64{c.ID, b.ID, a.ID}) {
		t.Fatalf("root %+v (%v)", got, err)
	}
	rs, more, err := db.Replies(ctx, root.ID, 0, 3)
	if err != nil || !more || !slices.Equal(seqsOf(rs), replies[:3]) || rs[0].Root != root.ID {
		t.Fatalf("replies %v more=%v (%v)", seqsOf(rs), more, err)
	}
	rs, more, err = db.Replies(ctx, root.ID, replies[2], 3)
	if err != nil || more || !slices.Equal(seqsOf(rs), replies[3:]) {
		t.Fatalf("more replies %v more=%v (%v)", seqsOf(rs), more, err)
	}
	h, err := db.History(ctx, ch.ID, chat.Page{Limit: 10})
	if err != nil || len(h.Messages) != 1 || !slices.Equal(h.Messages[0].ThreadParticipants, []int64{c.ID, b.ID, a.ID}) {
		t.Fatalf("history with a thread %+v (%v)", h, err)
	}
}

func testReaction(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a, b := mkUser(t, db, org, "a"), mkUser(t, db, org, "b")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID)
	m := post(t, db, ch, a.ID, "react to me", nil)
	n := post(t, db, ch, a.ID, "me too", nil)
	add := func(msg chat.Message, user int64, emoji string, sec int) bool {
		var added bool
		update(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			added, err = tx.AddReaction(ctx, org, msg.ID, user, emoji, at.Add(time.Duration(sec)*time.Second))
			return err
		})
		return added
	}
	if !add(m, b.ID, "👍", 1) || !add(m, a.ID, "🎉", 2) || !add(m, a.ID, "👍", 3) || !add(n, b.ID, "❤️", 4) {
		t.Fatal("a new reaction was not added")
	}
	if add(m, b.ID, "👍", 5) {
		t.Fatal("the same reaction added twice")
	}
	h, err := db.History(ctx, ch.ID, chat.Page{Limit: 10})
	if err != nil || len(h.Messages) != 2 {
		t.Fatal(h, err)
	}
	want := []chat.Reaction{{Emoji: "👍", Users: []int64{b.ID, a.ID}}, {Emoji: "🎉", Users: []int64{a.ID}}}
	if got := h.Messages[0].Reactions; !slices.EqualFunc(got, want, func(x, y chat.Reaction) bool {
		return x.Emoji == y.Emoji && slices.Equal(x.Users, y.Users)
	}) {
		t.Fatalf("reactions %+v, want %+v", got, want)
	}
	if got := h.Messages[1].Reactions; len(got) != 1 || got[0].Emoji != "❤️" {
		t.Fatalf("second message's reactions %+v", got)
	}
	var removed, twice bool
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if removed, err = tx.RemoveReaction(ctx, m.ID, b.ID, "👍"); err != nil {
			return err
		}
		twice, err = tx.RemoveReaction(ctx, m.ID, b.ID, "👍")
		return err
	})
	if !removed || twice {
		t.Fatalf("remove reaction: %v, twice: %v", removed, twice)
	}
	got, err := db.Message(ctx, org, m.ID)
	if err != nil || len(got.Reactions) != 2 || !slices.Equal(got.Reactions[0].Users, []int64{a.ID}) {
		t.Fatalf("after removal %+v (%v)", got.Reactions, err)
	}
}
