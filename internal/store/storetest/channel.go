package storetest

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/store"
)

// mkChannel creates a channel (a DM when kind is direct) with its members;
// the first member is its owner.
func mkChannel(tb testing.TB, db *store.DB, org int64, kind chat.Kind, name string, members ...int64) chat.Channel {
	tb.Helper()
	c := chat.Channel{Org: org, Kind: kind, Name: name, CreatedBy: members[0], CreatedAt: at}
	if kind.IsDirect() {
		ids := slices.Clone(members)
		slices.Sort(ids)
		var parts []string
		for _, id := range ids {
			parts = append(parts, strconv.FormatInt(id, 10))
		}
		c.DMKey = strings.Join(parts, ",")
	}
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if c, err = tx.InsertChannel(ctx, c); err != nil {
			return err
		}
		for i, u := range members {
			role := chat.RoleMember
			if i == 0 {
				role = chat.RoleOwner
			}
			if _, err := tx.AddMember(ctx, chat.Member{Channel: c.ID, User: u, Org: org, Role: role, JoinedAt: at}); err != nil {
				return err
			}
		}
		return nil
	})
	got, err := db.Channel(context.Background(), org, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func testChannel(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	other := mkOrg(t, db)
	a, b, c := mkUser(t, db, org, "a"), mkUser(t, db, org, "b"), mkUser(t, db, org, "c")
	gen := mkChannel(t, db, org, chat.KindPublic, "General", a.ID, b.ID)
	if gen.Name != "General" || gen.Kind != chat.KindPublic || gen.MemberCount != 2 || gen.CreatedBy != a.ID ||
		!gen.CreatedAt.Equal(at) || gen.LastSeq != 0 || gen.Announcement || gen.Archived || gen.DMKey != "" || gen.MemberIDs != nil {
		t.Fatalf("channel %+v", gen)
	}
	if _, err := db.Channel(ctx, other, gen.ID); errs.CodeOf(err) != "channel_not_found" {
		t.Fatalf("channel of another org: %v", err)
	}
	err := db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertChannel(ctx, chat.Channel{Org: org, Kind: chat.KindPrivate, Name: "GENERAL", CreatedBy: a.ID, CreatedAt: at})
		return err
	})
	if errs.KindOf(err) != errs.Conflict || errs.CodeOf(err) != "channel_name_taken" {
		t.Fatalf("duplicate name: %v", err)
	}
	mkChannel(t, db, other, chat.KindPublic, "general", mkUser(t, db, other, "z").ID) // names are per organisation
	priv := mkChannel(t, db, org, chat.KindPrivate, "secret", a.ID)
	rnd := mkChannel(t, db, org, chat.KindPublic, "random_talk", b.ID)
	dm := mkChannel(t, db, org, chat.KindDM, "", b.ID, a.ID)
	if !slices.Equal(dm.MemberIDs, []int64{a.ID, b.ID}) || dm.Kind != chat.KindDM {
		t.Fatalf("dm %+v", dm)
	}
	if got, err := db.ChannelByDMKey(ctx, org, dm.DMKey); err != nil || got.ID != dm.ID {
		t.Fatalf("dm by key %+v (%v)", got, err)
	}
	if _, err := db.ChannelByDMKey(ctx, org, "1,2,3"); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("missing dm: %v", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertChannel(ctx, chat.Channel{Org: org, Kind: chat.KindDM, DMKey: dm.DMKey, CreatedBy: a.ID, CreatedAt: at})
		return err
	})
	if errs.CodeOf(err) != "dm_exists" {
		t.Fatalf("duplicate dm: %v", err)
	}
	// Two DMs have no name: the name index ignores them.
	mkChannel(t, db, org, chat.KindDM, "", a.ID, c.ID)
	grp := mkChannel(t, db, org, chat.KindGroup, "", c.ID, b.ID, a.ID)
	if !slices.Equal(grp.MemberIDs, []int64{a.ID, b.ID, c.ID}) || grp.MemberCount != 3 {
		t.Fatalf("group %+v", grp)
	}

	ids := func(cs []chat.Channel) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, q := range []struct {
		query string
		after int64
		limit int
		want  []int64
	}{
		{"", 0, 10, []int64{gen.ID, rnd.ID}}, // public only
		{"", gen.ID, 10, []int64{rnd.ID}},
		{"", 0, 1, []int64{gen.ID}},
		{"NERA", 0, 10, []int64{gen.ID}}, // anywhere in the name, any case
		{"m_t", 0, 10, []int64{rnd.ID}},
		{"n_t", 0, 10, nil}, // '_' is literal
		{"%", 0, 10, nil},
		{"secret", 0, 10, nil},
	} {
		cs, err := db.BrowseChannels(ctx, org, q.query, q.after, q.limit)
		if err != nil || !slices.Equal(ids(cs), q.want) {
			t.Errorf("BrowseChannels(%q, %d, %d) = %v (%v), want %v", q.query, q.after, q.limit, ids(cs), err, q.want)
		}
	}
	if cs, err := db.ChannelsByName(ctx, org, []string{"GENERAL", "secret", "nope"}); err != nil || !slices.Equal(ids(cs), []int64{gen.ID, priv.ID}) {
		t.Fatalf("channels by name %v (%v)", ids(cs), err)
	}
	if cs, err := db.ChannelsByName(ctx, org, []string{}); err != nil || len(cs) != 0 {
		t.Fatalf("no names: %v (%v)", ids(cs), err)
	}

	gen.Name, gen.Topic, gen.Purpose, gen.Announcement, gen.Archived = "Lobby", "话题", "purpose", true, true
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateChannel(ctx, gen) })
	got, err := db.Channel(ctx, org, gen.ID)
	if err != nil || got.Name != "Lobby" || got.Topic != "话题" || got.Purpose != "purpose" || !got.Announcement || !got.Archived {
		t.Fatalf("updated channel %+v (%v)", got, err)
	}
	// The old name is free again, the new one taken.
	mkChannel(t, db, org, chat.KindPublic, "general", a.ID)
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertChannel(ctx, chat.Channel{Org: org, Kind: chat.KindPublic, Name: "lobby", CreatedBy: a.ID, CreatedAt: at})
		return err
	})
	if errs.CodeOf(err) != "channel_name_taken" {
		t.Fatalf("renamed channel's name: %v", err)
	}

	var seqs []int64
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		for i := 0; i < 3; i++ {
			seq, err := tx.NextChannelSeq(ctx, rnd.ID, at.Add(time.Duration(i)*time.Second))
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if !slices.Equal(seqs, []int64{1, 2, 3}) {
		t.Fatalf("channel seqs %v", seqs)
	}
	if got, err := db.Channel(ctx, org, rnd.ID); err != nil || got.LastSeq != 3 || !got.LastMessageAt.Equal(at.Add(2*time.Second)) {
		t.Fatalf("after allocating: %+v (%v)", got, err)
	}
}

func testMember(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a, b, c := mkUser(t, db, org, "a"), mkUser(t, db, org, "b"), mkUser(t, db, org, "c")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID)
	other := mkChannel(t, db, org, chat.KindPrivate, "other", b.ID)
	for i := 0; i < 4; i++ {
		post(t, db, ch, a.ID, "hi "+strconv.Itoa(i), nil)
	}
	// A member joining later starts at the end of the history.
	var added, again bool
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if added, err = tx.AddMember(ctx, chat.Member{Channel: ch.ID, User: c.ID, Org: org, Role: chat.RoleReadonly, JoinedAt: at}); err != nil {
			return err
		}
		again, err = tx.AddMember(ctx, chat.Member{Channel: ch.ID, User: c.ID, Org: org, Role: chat.RoleAdmin, JoinedAt: at})
		return err
	})
	if !added || again {
		t.Fatalf("add member: %v, again: %v", added, again)
	}
	m, err := db.Member(ctx, ch.ID, c.ID)
	if err != nil || m.Role != chat.RoleReadonly || m.LastReadSeq != 4 || m.Org != org || !m.JoinedAt.Equal(at) || m.Muted || m.Starred {
		t.Fatalf("member %+v (%v)", m, err)
	}
	if got, _ := db.Channel(ctx, org, ch.ID); got.MemberCount != 3 {
		t.Fatalf("member count %d", got.MemberCount)
	}
	m.Role, m.LastReadSeq, m.Muted, m.Starred, m.StarOrder = chat.RoleAdmin, 2, true, true, 7
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateMember(ctx, m) })
	if got, err := db.Member(ctx, ch.ID, c.ID); err != nil || got != m {
		t.Fatalf("updated member\n got %+v\nwant %+v (%v)", got, m, err)
	}
	ms, err := db.Members(ctx, ch.ID)
	if err != nil || len(ms) != 3 || ms[0].User != a.ID || ms[0].Role != chat.RoleOwner || ms[2].User != c.ID {
		t.Fatalf("members %+v (%v)", ms, err)
	}
	if ids, err := db.UserChannelIDs(ctx, org, b.ID); err != nil || !sameSet(ids, []int64{ch.ID, other.ID}) {
		t.Fatalf("b's channels %v (%v)", ids, err)
	}
	views, err := db.UserChannels(ctx, org, b.ID)
	if err != nil || len(views) != 2 || views[0].ID != ch.ID || views[1].ID != other.ID || views[0].Membership == nil ||
		views[0].Membership.User != b.ID || views[0].Name != "general" || views[0].Membership.UnreadCount != 4 {
		t.Fatalf("b's channel views %+v (%v)", views, err)
	}
	var removed, twice bool
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if removed, err = tx.RemoveMember(ctx, ch.ID, c.ID); err != nil {
			return err
		}
		twice, err = tx.RemoveMember(ctx, ch.ID, c.ID)
		return err
	})
	if !removed || twice {
		t.Fatalf("remove member: %v, twice: %v", removed, twice)
	}
	if _, err := db.Member(ctx, ch.ID, c.ID); errs.CodeOf(err) != "not_a_member" {
		t.Fatalf("removed member: %v", err)
	}
	if _, err := db.MemberWithCounts(ctx, ch.ID, c.ID); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("removed member's counts: %v", err)
	}
	if got, _ := db.Channel(ctx, org, ch.ID); got.MemberCount != 2 {
		t.Fatalf("member count after removal %d", got.MemberCount)
	}
}

// Unread counts cover top-level messages and replies also sent to the
// channel, not one's own, deleted or recalled ones; mention counts cover
// names, @here (the mentions table) and @channel.
func testUnreadCounts(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a, b := mkUser(t, db, org, "a"), mkUser(t, db, org, "b")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID)
	root := post(t, db, ch, a.ID, "root", nil)                                                             // unread
	post(t, db, ch, a.ID, "reply", func(m *chat.Message) { m.Root = root.ID })                             // thread only
	post(t, db, ch, a.ID, "reply too", func(m *chat.Message) { m.Root = root.ID; m.AlsoInChannel = true }) // unread
	post(t, db, ch, b.ID, "mine", nil)                                                                     // own
	post(t, db, ch, a.ID, "@channel", func(m *chat.Message) { m.MentionChannel = true })                   // unread, mention
	named := post(t, db, ch, a.ID, "@b", func(m *chat.Message) { m.Mentions = []int64{b.ID} })             // unread, mention
	gone := post(t, db, ch, a.ID, "deleted @channel", func(m *chat.Message) { m.MentionChannel = true })
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InsertMentions(ctx, org, ch.ID, named.Seq, []int64{b.ID}); err != nil {
			return err
		}
		// Inserting the same mention twice is harmless.
		if err := tx.InsertMentions(ctx, org, ch.ID, named.Seq, []int64{b.ID}); err != nil {
			return err
		}
		gone.DeletedAt = at
		return tx.UpdateMessage(ctx, gone)
	})
	m, err := db.MemberWithCounts(ctx, ch.ID, b.ID)
	if err != nil || m.UnreadCount != 4 || m.MentionCount != 2 {
		t.Fatalf("b: unread %d mentions %d (%v), want 4 and 2", m.UnreadCount, m.MentionCount, err)
	}
	m.LastReadSeq = named.Seq - 1
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateMember(ctx, m) })
	views, err := db.UserChannels(ctx, org, b.ID)
	if err != nil || len(views) != 1 || views[0].Membership.UnreadCount != 1 || views[0].Membership.MentionCount != 1 {
		t.Fatalf("b after reading: %+v (%v)", views[0].Membership, err)
	}
	if a, err := db.MemberWithCounts(ctx, ch.ID, a.ID); err != nil || a.UnreadCount != 1 || a.MentionCount != 0 {
		t.Fatalf("a: unread %d mentions %d (%v)", a.UnreadCount, a.MentionCount, err)
	}
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
