package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/server/servertest"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// must and must2 unwrap a call's results, panicking (which fails the test
// run with a stack trace) on error; they keep fixture set-up on one line.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func do(t *testing.T, c *apiclient.Client, method, path string, body, out any) {
	t.Helper()
	if _, err := c.Do(context.Background(), method, path, body, out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	if apiclient.StatusOf(err) != status || apiclient.CodeOf(err) != code {
		t.Fatalf("got %v, want %d %s", err, status, code)
	}
}

func TestMessagingFlow(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	ch := must(alice.CreateChannel(ctx, "项目-alpha", "private", []int64{bobID}))
	if ch.Name != "项目-alpha" || ch.MemberCount != 2 {
		t.Fatalf("channel: %+v", ch)
	}

	// Idempotent send: a retry with the same client id returns the original.
	m1, created := must2(alice.Post(ctx, ch.ID, "c-1", "hello @"+usernameOf(t, bob)))
	if !created || m1.Seq != 1 || !slices.Equal(m1.Mentions, []int64{bobID}) {
		t.Fatalf("first send: created=%v %+v", created, m1)
	}
	again, created := must2(alice.Post(ctx, ch.ID, "c-1", "a different text"))
	if created || again.ID != m1.ID || again.Text != "hello @"+usernameOf(t, bob) {
		t.Fatalf("retry: created=%v %+v", created, again)
	}
	// Bob sees one unread with one mention.
	var list httpapi.ChannelList
	do(t, bob, "GET", "/api/v1/channels", nil, &list)
	if len(list.Channels) != 1 || list.Channels[0].Membership.UnreadCount != 1 || list.Channels[0].Membership.MentionCount != 1 {
		t.Fatalf("bob's channels: %+v", list.Channels[0].Membership)
	}

	// Thread: replies count on the root; also_in_channel shows in history.
	var r1, r2 httpapi.Message
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", ch.ID), map[string]any{"client_id": "b-1", "text": "reply", "root_id": m1.ID}, &r1)
	do(t, alice, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", ch.ID), map[string]any{"client_id": "c-2", "text": "reply 2 @channel", "root_id": m1.ID, "also_in_channel": true}, &r2)
	root := get[httpapi.Message](t, alice, fmt.Sprintf("/api/v1/messages/%d", m1.ID))
	if root.ReplyCount != 2 || root.LastReplyAt == (httpapi.Time{}) || len(root.ThreadParticipants) != 2 {
		t.Fatalf("root after replies: %+v", root)
	}
	hist := must(alice.History(ctx, ch.ID, ""))
	if seqs := seqsOf(hist.Messages); !slices.Equal(seqs, []int64{1, 3}) {
		t.Fatalf("history seqs %v, want [1 3] (reply 2 only, also in channel)", seqs)
	}
	replies := get[httpapi.ReplyPage](t, alice, fmt.Sprintf("/api/v1/messages/%d/replies", m1.ID))
	if len(replies.Messages) != 2 || replies.Messages[0].ID != r1.ID {
		t.Fatalf("replies: %+v", replies)
	}
	// A reply to a reply is refused.
	_, err := alice.Do(ctx, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", ch.ID), map[string]any{"client_id": "c-3", "text": "x", "root_id": r1.ID}, nil)
	wantCode(t, err, 400, "reply_to_reply")

	// Edit keeps history; only the author may edit.
	var edited httpapi.Message
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m1.ID), map[string]any{"text": "hello, edited"}, &edited)
	if edited.Text != "hello, edited" || edited.EditedAt == (httpapi.Time{}) {
		t.Fatalf("edit: %+v", edited)
	}
	_, err = bob.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m1.ID), map[string]any{"text": "hijack"}, nil)
	wantCode(t, err, 403, "not_author")
	edits := get[httpapi.EditList](t, bob, fmt.Sprintf("/api/v1/messages/%d/history", m1.ID))
	if len(edits.Edits) != 1 || !strings.HasPrefix(edits.Edits[0].Text, "hello @") {
		t.Fatalf("edit history: %+v", edits)
	}

	// Reactions and pins.
	var reacted httpapi.Message
	do(t, bob, "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", m1.ID, "%F0%9F%91%8D"), nil, &reacted)
	do(t, alice, "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", m1.ID, "%F0%9F%91%8D"), nil, &reacted)
	do(t, alice, "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", m1.ID, "%F0%9F%8E%89"), nil, &reacted)
	if len(reacted.Reactions) != 2 || reacted.Reactions[0].Emoji != "👍" || reacted.Reactions[0].Count != 2 {
		t.Fatalf("reactions: %+v", reacted.Reactions)
	}
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", m1.ID, "%F0%9F%8E%89"), nil, &reacted)
	if len(reacted.Reactions) != 1 {
		t.Fatalf("after removing a reaction: %+v", reacted.Reactions)
	}
	do(t, bob, "POST", fmt.Sprintf("/api/v1/messages/%d/pin", m1.ID), nil, nil)
	pins := get[httpapi.MessageList](t, alice, fmt.Sprintf("/api/v1/channels/%d/pins", ch.ID))
	if len(pins.Messages) != 1 || pins.Messages[0].ID != m1.ID {
		t.Fatalf("pins: %+v", pins)
	}

	// Read receipts: bob has not read message 3 yet.
	rc := get[httpapi.ReceiptList](t, alice, fmt.Sprintf("/api/v1/messages/%d/receipts", r2.ID))
	if !slices.Equal(rc.Unread, []int64{bobID}) || len(rc.Read) != 0 {
		t.Fatalf("receipts before read: %+v", rc)
	}
	var rs httpapi.ReadState
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/read", ch.ID), map[string]any{"seq": 3}, &rs)
	if rs.UnreadCount != 0 || rs.MentionCount != 0 || rs.LastReadSeq != 3 {
		t.Fatalf("after read: %+v", rs)
	}
	rc = get[httpapi.ReceiptList](t, alice, fmt.Sprintf("/api/v1/messages/%d/receipts", r2.ID))
	if !slices.Equal(rc.Read, []int64{bobID}) || len(rc.Unread) != 0 {
		t.Fatalf("receipts after read: %+v", rc)
	}
	// Mark unread from message 1 again: it counts again, mentions too.
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/unread", ch.ID), map[string]any{"seq": 1}, &rs)
	if rs.LastReadSeq != 0 || rs.UnreadCount != 2 || rs.MentionCount != 2 {
		t.Fatalf("after mark unread: %+v (want 2 unread: the root and the reply sent to the channel; mentions @bob and @channel)", rs)
	}

	// Recall: the text is gone for everyone, the place stays.
	var rec httpapi.Message
	do(t, alice, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", r2.ID), nil, &rec)
	if !rec.Recalled || rec.Text != "" || rec.RecalledBy == 0 {
		t.Fatalf("recall: %+v", rec)
	}
	seen := get[httpapi.Message](t, bob, fmt.Sprintf("/api/v1/messages/%d", r2.ID))
	if seen.Text != "" || !seen.Recalled {
		t.Fatalf("bob still sees recalled text: %+v", seen)
	}
	// The original stays stored for compliance, only hidden from users.
	keptRecalled(t, env, r2.ID, "reply 2 @channel")

	// Outside the window the author cannot recall.
	do(t, env.Owner, "PATCH", "/api/v1/org", map[string]any{"recall_window_seconds": 0}, nil)
	_, err = alice.Do(ctx, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", m1.ID), nil, nil)
	wantCode(t, err, 409, "recall_window_passed")

	// Delete hides the message; history keeps the sequence without holes.
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/messages/%d", m1.ID), nil, nil)
	all := must(alice.AllMessages(ctx, ch.ID))
	if len(all) != 2 || !all[0].Deleted || all[0].Text != "" || all[0].Pinned {
		t.Fatalf("after delete: %+v", all)
	}
	keptRecalled(t, env, m1.ID, "hello, edited")
}

// keptRecalled checks, in the database itself, that a deleted or recalled
// message still holds its text.
func keptRecalled(t *testing.T, env *servertest.Env, id int64, text string) {
	t.Helper()
	ctx := context.Background()
	// A second connection to the running server's database.
	db := storetest.Target{Dir: env.Dir, Database: env.Database}.Open(t, store.Options{})
	org := get[httpapi.Org](t, env.Owner, "/api/v1/org")
	m, err := db.Message(ctx, org.ID, id)
	if err != nil || m.Text != text || !m.Hidden() {
		t.Fatalf("stored message %d: %+v %v, want hidden with text %q", id, m, err, text)
	}
}

func TestChannelLifecycle(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	carol, carolID := env.User("member")

	pub := must(alice.CreateChannel(ctx, "general", "public", nil))
	_, err := bob.CreateChannel(ctx, "GENERAL", "public", nil)
	wantCode(t, err, 409, "channel_name_taken")

	// Browse and join a public channel.
	browse := get[httpapi.ChannelList](t, bob, "/api/v1/channels/browse?q=gen")
	if len(browse.Channels) != 1 || browse.Channels[0].ID != pub.ID {
		t.Fatalf("browse: %+v", browse)
	}
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/join", pub.ID), nil, nil)
	// Rename needs a channel admin.
	_, err = bob.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/channels/%d", pub.ID), map[string]any{"name": "bobs"}, nil)
	wantCode(t, err, 403, "channel_admin_required")
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d", pub.ID), map[string]any{"name": "all-hands", "topic": "Q4"}, nil)

	// Read-only members cannot post; announcement channels only for admins.
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d/members/%d", pub.ID, bobID), map[string]any{"role": "readonly"}, nil)
	_, _, err = bob.Post(ctx, pub.ID, "b-ro", "can I?")
	wantCode(t, err, 403, "channel_read_only")
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d/members/%d", pub.ID, bobID), map[string]any{"role": "member"}, nil)
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d", pub.ID), map[string]any{"announcement": true}, nil)
	_, _, err = bob.Post(ctx, pub.ID, "b-ann", "can I?")
	wantCode(t, err, 403, "channel_read_only")
	must2(alice.Post(ctx, pub.ID, "a-ann", "announcement"))
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d", pub.ID), map[string]any{"announcement": false}, nil)

	// Invite and remove; leave.
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/members", pub.ID), map[string]any{"user_ids": []int64{carolID}}, nil)
	members := get[httpapi.MemberList](t, alice, fmt.Sprintf("/api/v1/channels/%d/members", pub.ID))
	if len(members.Members) != 3 {
		t.Fatalf("members: %+v", members)
	}
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", pub.ID, carolID), nil, nil)
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/leave", pub.ID), nil, nil)
	members = get[httpapi.MemberList](t, alice, fmt.Sprintf("/api/v1/channels/%d/members", pub.ID))
	if len(members.Members) != 1 {
		t.Fatalf("members after remove and leave: %+v", members)
	}
	_ = carol

	// Archive: no posting until unarchived.
	do(t, alice, "POST", fmt.Sprintf("/api/v1/channels/%d/archive", pub.ID), nil, nil)
	_, _, err = alice.Post(ctx, pub.ID, "a-arch", "x")
	wantCode(t, err, 409, "channel_archived")
	do(t, alice, "POST", fmt.Sprintf("/api/v1/channels/%d/unarchive", pub.ID), nil, nil)
	must2(alice.Post(ctx, pub.ID, "a-arch", "x"))

	// DMs are found again, not duplicated; group DMs are capped at 16.
	dm1 := must(alice.OpenDM(ctx, []int64{bobID}))
	dm2 := must(bob.OpenDM(ctx, []int64{mustMe(t, alice)}))
	if dm1.ID != dm2.ID || dm1.Kind != "dm" || len(dm1.MemberIDs) != 2 {
		t.Fatalf("dm: %+v vs %+v", dm1, dm2)
	}
	group := must(alice.OpenDM(ctx, []int64{bobID, carolID}))
	if group.Kind != "group" {
		t.Fatalf("group: %+v", group)
	}
	many := make([]int64, 16)
	for i := range many {
		many[i] = int64(1000 + i)
	}
	_, err = alice.OpenDM(ctx, many)
	wantCode(t, err, 400, "group_too_large")
	_, err = alice.Do(ctx, "POST", fmt.Sprintf("/api/v1/channels/%d/leave", dm1.ID), nil, nil)
	wantCode(t, err, 400, "dm_cannot_be_left")
}

func TestReceiptsLimit(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	_, bobID := env.User("member")
	_, carolID := env.User("member")
	ch := must(alice.CreateChannel(ctx, "big", "public", []int64{bobID, carolID}))
	m, _ := must2(alice.Post(ctx, ch.ID, "r1", "read me"))
	do(t, env.Owner, "PATCH", "/api/v1/org", map[string]any{"receipt_max_members": 2}, nil)
	_, err := alice.Do(ctx, "GET", fmt.Sprintf("/api/v1/messages/%d/receipts", m.ID), nil, nil)
	wantCode(t, err, 409, "channel_too_large_for_receipts")
}

func TestDeactivationRevokesEverything(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	bob, bobID := env.User("member")
	stream := dial(t, env, bob, -1)
	next(t, stream, "hello")
	next(t, stream, "ready")
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", bobID), nil, nil)
	// The open stream is closed with "revoked".
	for {
		_, err := stream.Next(ctx)
		if err == nil {
			continue
		}
		var ce *realtime.CloseError
		if !errors.As(err, &ce) || ce.Code != realtime.CloseRevoked {
			t.Fatalf("stream ended with %v, want close %d", err, realtime.CloseRevoked)
		}
		break
	}
	_, err := bob.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	wantCode(t, err, 401, "unauthenticated")
	_, _, err = env.Client().Login(ctx, usernameOfID(t, env, bobID), servertest.Password)
	wantCode(t, err, 401, "invalid_credentials")
	// Reactivation lets them log in again; the old token stays dead.
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/users/%d/reactivate", bobID), nil, nil)
	if _, _, err := env.Client().Login(ctx, usernameOfID(t, env, bobID), servertest.Password); err != nil {
		t.Fatalf("login after reactivation: %v", err)
	}
	_, err = bob.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	wantCode(t, err, 401, "unauthenticated")
}

func TestStreamDeliversOnlyWhatTheUserMayRead(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	eve, _ := env.User("member")
	ch := must(alice.CreateChannel(ctx, "secret", "private", []int64{bobID}))

	bs := dial(t, env, bob, -1)
	next(t, bs, "hello")
	next(t, bs, "ready")
	es := dial(t, env, eve, -1)
	next(t, es, "hello")
	next(t, es, "ready")

	m1, _ := must2(alice.Post(ctx, ch.ID, "s1", "for bob"))
	f := next(t, bs, "message.posted")
	var got httpapi.Message
	if err := json.Unmarshal(f.Data, &got); err != nil || got.ID != m1.ID || got.Text != "for bob" {
		t.Fatalf("bob got %s", f.Raw)
	}
	// Remove bob: he receives the removal, then nothing of the channel.
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", ch.ID, bobID), nil, nil)
	f = next(t, bs, "member.left")
	must2(alice.Post(ctx, ch.ID, "s2", "after bob left"))
	// A marker in a channel bob still reads proves the stream is live and
	// that nothing of "secret" came before it.
	pub := must(alice.CreateChannel(ctx, "open", "public", []int64{bobID}))
	must2(alice.Post(ctx, pub.ID, "marker", "marker"))
	for {
		f = nextAny(t, bs)
		if f.ChannelID == ch.ID || strings.Contains(string(f.Raw), "after bob left") {
			t.Fatalf("removed member received %s", f.Raw)
		}
		if f.Type == "message.posted" && strings.Contains(string(f.Raw), `"marker"`) {
			break
		}
	}
	// Eve never saw anything of the private channel.
	for {
		f = nextAny(t, es)
		if strings.Contains(string(f.Raw), "for bob") || strings.Contains(string(f.Raw), "after bob left") {
			t.Fatalf("non-member received %s", f.Raw)
		}
		if f.Type == "channel.created" && strings.Contains(string(f.Raw), `"open"`) {
			break
		}
	}
}

func TestStreamResumeExactlyOnce(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	ch := must(alice.CreateChannel(ctx, "resume", "public", []int64{bobID}))
	s := dial(t, env, bob, -1)
	hello := next(t, s, "hello")
	next(t, s, "ready")
	_ = hello
	must2(alice.Post(ctx, ch.ID, "r-1", "one"))
	first := next(t, s, "message.posted")
	s.Close()
	// While bob is away: three more.
	for i := 2; i <= 4; i++ {
		must2(alice.Post(ctx, ch.ID, fmt.Sprintf("r-%d", i), fmt.Sprint(i)))
	}
	s = dial(t, env, bob, first.Seq)
	next(t, s, "hello")
	var seqs []int64
	var texts []string
	for {
		f := nextAny(t, s)
		if f.Type == "ready" {
			break
		}
		if f.Type == "message.posted" {
			var m httpapi.Message
			json.Unmarshal(f.Data, &m)
			texts = append(texts, m.Text)
		}
		seqs = append(seqs, f.Seq)
	}
	if !slices.Equal(texts, []string{"2", "3", "4"}) {
		t.Fatalf("replayed %v, want [2 3 4]", texts)
	}
	if !slices.IsSorted(seqs) || slices.Compact(slices.Clone(seqs)) == nil || len(slices.Compact(slices.Clone(seqs))) != len(seqs) || seqs[0] <= first.Seq {
		t.Fatalf("replayed seqs %v not strictly increasing after %d", seqs, first.Seq)
	}
	// Live again.
	must2(alice.Post(ctx, ch.ID, "r-5", "5"))
	f := next(t, s, "message.posted")
	if f.Seq <= seqs[len(seqs)-1] {
		t.Fatalf("live seq %d after replay %v", f.Seq, seqs)
	}
}

// Helpers.

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

func get[T any](t *testing.T, c *apiclient.Client, path string) T {
	t.Helper()
	var v T
	do(t, c, "GET", path, nil, &v)
	return v
}

func seqsOf(ms []httpapi.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

func usernameOf(t *testing.T, c *apiclient.Client) string {
	return get[httpapi.User](t, c, "/api/v1/users/me").Username
}

func usernameOfID(t *testing.T, env *servertest.Env, id int64) string {
	return get[httpapi.User](t, env.Owner, fmt.Sprintf("/api/v1/users/%d", id)).Username
}

func mustMe(t *testing.T, c *apiclient.Client) int64 {
	return get[httpapi.User](t, c, "/api/v1/users/me").ID
}

func dial(t *testing.T, env *servertest.Env, c *apiclient.Client, since int64) *realtime.Client {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + c.Token}}
	url := "ws" + strings.TrimPrefix(env.URL, "http") + "/api/v1/stream"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := realtime.Dial(ctx, url, h, since)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// nextAny returns the next frame other than pings, failing after 10 s.
func nextAny(t *testing.T, s *realtime.Client) realtime.Frame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		f, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		if f.Type == "pong" || f.Type == "presence" || f.Type == "typing" {
			continue
		}
		return f
	}
}

// next skips frames until one of the given type.
func next(t *testing.T, s *realtime.Client, typ string) realtime.Frame {
	t.Helper()
	for {
		f := nextAny(t, s)
		if f.Type == typ {
			return f
		}
	}
}

func TestMembershipRules(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, aliceID := env.User("member")
	bob, bobID := env.User("member")
	_, carolID := env.User("member")
	_, guestID := env.User("guest")

	// Leaving a group DM and opening it again brings you back.
	group := must(alice.OpenDM(ctx, []int64{bobID, carolID}))
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/leave", group.ID), nil, nil)
	again := must(bob.OpenDM(ctx, []int64{aliceID, carolID}))
	if again.ID != group.ID || again.Membership == nil {
		t.Fatalf("reopened group DM: %+v", again)
	}

	// Guests may be invited to private channels, never public ones.
	pub := must(alice.CreateChannel(ctx, "pub", "public", nil))
	_, err := alice.Do(ctx, "POST", fmt.Sprintf("/api/v1/channels/%d/members", pub.ID), map[string]any{"user_ids": []int64{guestID}}, nil)
	wantCode(t, err, 403, "guest_public_channel")
	priv := must(alice.CreateChannel(ctx, "priv", "private", nil))
	do(t, alice, "POST", fmt.Sprintf("/api/v1/channels/%d/members", priv.ID), map[string]any{"user_ids": []int64{guestID, bobID}}, nil)

	// A channel admin cannot demote or remove the channel's owner.
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/channels/%d/members/%d", priv.ID, bobID), map[string]any{"role": "admin"}, nil)
	_, err = bob.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/channels/%d/members/%d", priv.ID, aliceID), map[string]any{"role": "member"}, nil)
	wantCode(t, err, 403, "channel_owner_required")
	_, err = bob.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", priv.ID, aliceID), nil, nil)
	wantCode(t, err, 403, "channel_owner_required")
	// But removes an ordinary member.
	do(t, bob, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", priv.ID, guestID), nil, nil)

	// A client id is the key of one message: reusing it elsewhere conflicts.
	must2(alice.Post(ctx, pub.ID, "same-id", "first"))
	_, _, err = alice.Post(ctx, priv.ID, "same-id", "second")
	wantCode(t, err, 409, "client_id_taken")
}

func TestUsersByIDs(t *testing.T) {
	env := servertest.Start(t)
	alice, aliceID := env.User("member")
	_, bobID := env.User("member")
	other := env.OtherOrg("Elsewhere")
	otherMe := get[httpapi.User](t, other, "/api/v1/users/me")
	got := get[httpapi.UserList](t, alice, fmt.Sprintf("/api/v1/users?ids=%d,%d,%d,999999", aliceID, bobID, otherMe.ID))
	if len(got.Users) != 2 || got.Users[0].ID != aliceID || got.Users[1].ID != bobID {
		t.Fatalf("users by ids: %+v (another organisation's user must not appear)", got.Users)
	}
	_, err := alice.Do(context.Background(), "GET", "/api/v1/users?ids=1,x", nil, nil)
	wantCode(t, err, 400, "id_invalid")
}
