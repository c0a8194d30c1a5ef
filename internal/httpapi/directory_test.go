package httpapi_test

import (
	"context"
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
)

// named creates a user with a display name and returns its client and id.
func named(t *testing.T, env *servertest.Env, role, display string) (*apiclient.Client, int64) {
	t.Helper()
	c, id := env.User(role)
	do(t, c, "PATCH", "/api/v1/users/me", map[string]any{"display_name": display}, nil)
	return c, id
}

func userIDs(us []httpapi.User) []int64 {
	out := []int64{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func search(t *testing.T, c *apiclient.Client, q string) httpapi.DirectoryResult {
	t.Helper()
	return get[httpapi.DirectoryResult](t, c, "/api/v1/directory/search?q="+q)
}

func TestDirectorySearchPinyin(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	_, zhang := named(t, env, "member", "张三")
	_, li := named(t, env, "member", "李四")
	_, ouyang := named(t, env, "member", "欧阳娜娜")
	for _, c := range []struct {
		q    string
		want []int64
	}{
		{"zhangsan", []int64{zhang}},
		{"zs", []int64{zhang}},
		{"san", []int64{zhang}},       // the given name alone
		{"%E5%BC%A0", []int64{zhang}}, // 张
		{"ls", []int64{li}},
		{"oynn", []int64{ouyang}},
		{"ouyang", []int64{ouyang}},
		{"zx", nil},
	} {
		got := userIDs(search(t, alice, c.q).Users)
		if !slices.Equal(got, append([]int64{}, c.want...)) {
			t.Errorf("search %q = %v, want %v", c.q, got, c.want)
		}
	}
	// Channels by pinyin, only those the caller may read.
	pub := must(alice.CreateChannel(ctx, "研发部", "public", nil))
	priv := must(alice.CreateChannel(ctx, "研发秘密", "private", nil))
	bob, _ := env.User("member")
	var got []int64
	for _, ch := range search(t, bob, "yanfa").Channels {
		got = append(got, ch.ID)
	}
	if !slices.Equal(got, []int64{pub.ID}) {
		t.Errorf("bob's channels for yanfa = %v, want only the public %d", got, pub.ID)
	}
	got = nil
	for _, ch := range search(t, alice, "yf").Channels {
		got = append(got, ch.ID)
	}
	if !slices.Contains(got, pub.ID) || !slices.Contains(got, priv.ID) {
		t.Errorf("alice's channels for yf = %v, want %d and %d", got, pub.ID, priv.ID)
	}
	_, err := alice.Do(ctx, "GET", "/api/v1/directory/search?q=", nil, nil)
	wantCode(t, err, 400, "query_required")
}

func TestDirectoryProfileAndScheme(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, aliceID := env.User("member")
	bob, bobID := named(t, env, "member", "王五")
	boss, bossID := env.User("member")
	_ = boss
	var dept httpapi.Department
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "研发"}, &dept)
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", dept.ID, bobID), map[string]any{"head": true}, nil)
	var field httpapi.ProfileField
	do(t, env.Owner, "POST", "/api/v1/profile-fields", map[string]any{"name": "工位", "admin_only": true}, &field)
	do(t, env.Owner, "PATCH", fmt.Sprintf("/api/v1/users/%d/profile", bobID), map[string]any{"title": "工程师",
		"employee_no": "E001", "phone": "+86 138 0000 0000", "manager_id": bossID,
		"fields": map[string]string{fmt.Sprint(field.ID): "A-101"}}, nil)

	card := get[httpapi.Profile](t, alice, fmt.Sprintf("/api/v1/users/%d/profile", bobID))
	if card.User.Title != "工程师" || card.User.Phone == "" || card.Manager == nil || card.Manager.ID != bossID ||
		!slices.Equal(card.DepartmentIDs, []int64{dept.ID}) || !slices.Equal(card.HeadOf, []int64{dept.ID}) ||
		len(card.Fields) != 1 || card.Fields[0].Value != "A-101" {
		t.Fatalf("card = %+v", card)
	}
	// Bob may change his phone but not his admin-only field or title.
	do(t, bob, "PATCH", fmt.Sprintf("/api/v1/users/%d/profile", bobID), map[string]any{"phone": "010-1234"}, nil)
	_, err := bob.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/users/%d/profile", bobID), map[string]any{"title": "CEO"}, nil)
	wantCode(t, err, 403, "department_admin_required")
	_, err = bob.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/users/%d/profile", bobID), map[string]any{"fields": map[string]string{fmt.Sprint(field.ID): "x"}}, nil)
	wantCode(t, err, 403, "department_admin_required")
	// A manager cycle and a duplicate employee number are refused.
	_, err = env.Owner.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/users/%d/profile", bossID), map[string]any{"manager_id": bobID}, nil)
	wantCode(t, err, 400, "manager_cycle")
	_, err = env.Owner.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/users/%d/profile", aliceID), map[string]any{"employee_no": "E001"}, nil)
	wantCode(t, err, 409, "employee_no_taken")

	// Found by phone and employee number while phones are visible.
	if got := userIDs(search(t, alice, "010").Users); !slices.Equal(got, []int64{bobID}) {
		t.Errorf("search by phone = %v", got)
	}
	if got := userIDs(search(t, alice, "E001").Users); !slices.Equal(got, []int64{bobID}) {
		t.Errorf("search by employee number = %v", got)
	}
	// Hide phones and e-mail from members: the card, the user and search
	// stop showing them, and searching by them finds nothing.
	do(t, env.Owner, "PATCH", "/api/v1/org/permissions", map[string]any{"see_phone": "admins", "see_email": "admins"}, nil)
	u := get[httpapi.User](t, alice, fmt.Sprintf("/api/v1/users/%d", bobID))
	if u.Phone != "" || u.Email != "" {
		t.Errorf("hidden phone/e-mail shown to a member: %+v", u)
	}
	if u := get[httpapi.User](t, env.Owner, fmt.Sprintf("/api/v1/users/%d", bobID)); u.Phone == "" || u.Email == "" {
		t.Errorf("admin does not see phone/e-mail: %+v", u)
	}
	if me := get[httpapi.User](t, bob, "/api/v1/users/me"); me.Phone == "" {
		t.Errorf("bob does not see his own phone")
	}
	if got := search(t, alice, "010").Users; len(got) != 0 {
		t.Errorf("search by a hidden phone found %v", userIDs(got))
	}
}

func TestPermissionSchemeEnforced(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	_, guestID := env.User("guest")
	ch := must(alice.CreateChannel(ctx, "team", "private", []int64{bobID}))
	m := must2First(alice.Post(ctx, ch.ID, "s1", "hello"))

	do(t, env.Owner, "PATCH", "/api/v1/org/permissions", map[string]any{"create_public_channel": "admins",
		"mention_all": "channel_admins", "invite_guests": "admins", "edit_messages": "admins",
		"delete_messages": "admins", "recall_messages": "admins", "create_bots": "members"}, nil)
	perms := get[httpapi.Permissions](t, bob, "/api/v1/org/permissions")
	if perms.MentionAll != "channel_admins" || perms.CreatePrivateChannel != "members" {
		t.Fatalf("scheme = %+v", perms)
	}
	_, err := bob.CreateChannel(ctx, "public-by-bob", "public", nil)
	wantCode(t, err, 403, "channel_create_not_allowed")
	if _, err := bob.CreateChannel(ctx, "private-by-bob", "private", nil); err != nil {
		t.Fatalf("private channel: %v", err)
	}
	// @all: refused for bob, allowed for the channel's owner.
	_, _, err = bob.Post(ctx, ch.ID, "s2", "@all look")
	wantCode(t, err, 403, "mention_all_not_allowed")
	if _, _, err := alice.Post(ctx, ch.ID, "s3", "@all look"); err != nil {
		t.Fatalf("owner @all: %v", err)
	}
	// Inviting a guest is for admins now.
	err = alice.Invite(ctx, ch.ID, []int64{guestID})
	wantCode(t, err, 403, "guest_invite_not_allowed")
	if err := env.Owner.Invite(ctx, ch.ID, []int64{guestID}); err == nil {
		t.Fatal("the owner is not in the private channel and still invited")
	}
	// Editing, deleting and recalling one's own messages.
	_, err = alice.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m.ID), map[string]any{"text": "edited"}, nil)
	wantCode(t, err, 403, "edit_not_allowed")
	_, err = bob.Do(ctx, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", must2First(bob.Post(ctx, ch.ID, "s4", "x")).ID), map[string]any{}, nil)
	wantCode(t, err, 403, "recall_not_allowed")
	bm := must2First(bob.Post(ctx, ch.ID, "s5", "y"))
	_, err = bob.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/messages/%d", bm.ID), nil, nil)
	wantCode(t, err, 403, "delete_not_allowed")
	// The channel owner still moderates.
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/messages/%d", bm.ID), nil, nil)
	// Members may create bots under this scheme.
	if _, err := bob.CreateUser(ctx, "bot1@acme.test", "bot1", servertest.Password, "bot"); err != nil {
		t.Fatalf("member creating a bot: %v", err)
	}
	_, err = bob.CreateUser(ctx, "m1@acme.test", "m1", servertest.Password, "member")
	wantCode(t, err, 403, "admin_required")
	// A bad level names the setting.
	_, err = env.Owner.Do(ctx, "PATCH", "/api/v1/org/permissions", map[string]any{"see_email": "nobody"}, nil)
	wantCode(t, err, 400, "permission_level_invalid")
	_, err = bob.Do(ctx, "PATCH", "/api/v1/org/permissions", map[string]any{"see_email": "members"}, nil)
	wantCode(t, err, 403, "admin_required")
}

func must2First[A, B any](a A, b B, err error) A {
	if err != nil {
		panic(err)
	}
	return a
}

func TestGroupMentions(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, aliceID := env.User("member")
	_, bobID := env.User("member")
	_, carolID := env.User("member")
	var g httpapi.Group
	do(t, env.Owner, "POST", "/api/v1/groups", map[string]any{"handle": "design", "name": "设计组"}, &g)
	for _, u := range []int64{aliceID, bobID, carolID} {
		do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/groups/%d/members/%d", g.ID, u), nil, nil)
	}
	if got := get[httpapi.Group](t, alice, fmt.Sprintf("/api/v1/groups/%d", g.ID)); len(got.MemberIDs) != 3 {
		t.Fatalf("group = %+v", got)
	}
	ch := must(alice.CreateChannel(ctx, "design-review", "private", []int64{bobID}))
	m := must2First(alice.Post(ctx, ch.ID, "g1", "please look @design"))
	// Bob is notified; carol cannot read the channel; alice wrote it.
	if !slices.Equal(m.Mentions, []int64{bobID}) {
		t.Fatalf("mentions = %v, want [%d]", m.Mentions, bobID)
	}
	// A handle cannot shadow a username or a special mention.
	_, err := env.Owner.Do(ctx, "POST", "/api/v1/groups", map[string]any{"handle": usernameOfID(t, env, bobID), "name": "x"}, nil)
	wantCode(t, err, 409, "group_handle_taken")
	_, err = env.Owner.Do(ctx, "POST", "/api/v1/groups", map[string]any{"handle": "all", "name": "x"}, nil)
	wantCode(t, err, 400, "group_handle_invalid")
}

func TestDepartmentChannelFollowsTree(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	_, aliceID := env.User("member")
	_, bobID := env.User("member")
	_, carolID := env.User("member")
	var eng, be, sales httpapi.Department
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "Engineering"}, &eng)
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "Backend", "parent_id": eng.ID}, &be)
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "Sales"}, &sales)
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", eng.ID, aliceID), map[string]any{}, nil)
	ch := must(env.Owner.CreateChannel(ctx, "eng-all", "private", nil))
	var bound httpapi.Channel
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/channels/%d/department", ch.ID), map[string]any{"department_id": eng.ID}, &bound)
	if bound.DepartmentID != eng.ID {
		t.Fatalf("bound channel %+v", bound)
	}
	members := func() []int64 {
		var ms httpapi.MemberList
		do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/channels/%d/members", ch.ID), nil, &ms)
		var out []int64
		for _, m := range ms.Members {
			out = append(out, m.UserID)
		}
		slices.Sort(out)
		return out
	}
	has := func(u int64) bool { return slices.Contains(members(), u) }
	if !has(aliceID) {
		t.Fatalf("alice (Engineering) not added on binding: %v", members())
	}
	// Joining a sub-department adds; leaving it removes.
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", be.ID, bobID), map[string]any{}, nil)
	if !has(bobID) {
		t.Fatalf("bob (Backend) not added: %v", members())
	}
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", sales.ID, carolID), map[string]any{}, nil)
	if has(carolID) {
		t.Fatalf("carol (Sales) added: %v", members())
	}
	do(t, env.Owner, "DELETE", fmt.Sprintf("/api/v1/departments/%d/members/%d", be.ID, bobID), map[string]any{}, nil)
	if has(bobID) {
		t.Fatalf("bob left Backend but stays: %v", members())
	}
	// Moving a sub-department out of the tree takes its people out; moving
	// one in brings them.
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", be.ID, bobID), map[string]any{}, nil)
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/departments/%d/move", be.ID), map[string]any{"parent_id": sales.ID}, nil)
	if has(bobID) {
		t.Fatalf("bob's department moved out but he stays: %v", members())
	}
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/departments/%d/move", sales.ID), map[string]any{"parent_id": eng.ID}, nil)
	if !has(bobID) || !has(carolID) {
		t.Fatalf("Sales moved under Engineering: %v, want bob and carol", members())
	}
}

func TestGuestsSeeOnlyTheirChannels(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, aliceID := env.User("member")
	_, bobID := env.User("member")
	guest, guestID := env.User("guest")
	ch := must(alice.CreateChannel(ctx, "with-guest", "private", []int64{guestID}))
	_ = ch
	// The guest sees alice (a channel peer), not bob.
	var list httpapi.UserList
	do(t, guest, "GET", "/api/v1/users", nil, &list)
	if ids := userIDs(list.Users); !slices.Contains(ids, aliceID) || slices.Contains(ids, bobID) {
		t.Fatalf("guest's directory = %v (alice %d, bob %d)", ids, aliceID, bobID)
	}
	_, err := guest.Do(ctx, "GET", fmt.Sprintf("/api/v1/users/%d", bobID), nil, nil)
	wantCode(t, err, 404, "user_not_found")
	do(t, guest, "GET", fmt.Sprintf("/api/v1/users?ids=%d,%d", aliceID, bobID), nil, &list)
	if ids := userIDs(list.Users); !slices.Equal(ids, []int64{aliceID}) {
		t.Fatalf("guest resolving ids = %v", ids)
	}
	if got := userIDs(search(t, guest, usernameOfID(t, env, bobID)).Users); len(got) != 0 {
		t.Fatalf("guest found bob: %v", got)
	}
	_, err = guest.Do(ctx, "GET", "/api/v1/departments", nil, nil)
	wantCode(t, err, 403, "guest_not_allowed")
	// Guests are marked on the wire.
	if u := get[httpapi.User](t, alice, fmt.Sprintf("/api/v1/users/%d", guestID)); !u.IsGuest {
		t.Fatalf("guest not marked: %+v", u)
	}
	if u := get[httpapi.User](t, alice, fmt.Sprintf("/api/v1/users/%d", bobID)); u.IsGuest {
		t.Fatalf("member marked as guest: %+v", u)
	}
}

func TestDeactivationEverywhere(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	ch := must(alice.CreateChannel(ctx, "deact", "private", []int64{bobID}))
	bm := must2First(bob.Post(ctx, ch.ID, "d1", "bob was here"))
	s1, s2 := dial(t, env, bob, -1), dial(t, env, bob, -1) // two devices
	hello := next(t, s1, "hello").Seq
	next(t, s1, "ready")
	next(t, s2, "hello")
	next(t, s2, "ready")
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", bobID), nil, nil)
	for i, s := range []*realtime.Client{s1, s2} {
		for {
			_, err := s.Next(ctx)
			if err == nil {
				continue
			}
			if closeCode(err) != realtime.CloseRevoked {
				t.Fatalf("stream %d ended with %v, want revoked", i, err)
			}
			break
		}
	}
	// The token is dead for REST and for a resumed stream; nothing more
	// reaches bob.
	_, err := bob.Do(ctx, "GET", "/api/v1/channels", nil, nil)
	wantCode(t, err, 401, "unauthenticated")
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(env.URL, "http") + "/api/v1/stream"
	if s, err := realtime.Dial(dctx, url, http.Header{"Authorization": {"Bearer " + bob.Token}}, hello); err == nil {
		s.Close()
		t.Fatal("a deactivated user's token opened a stream")
	}
	// History and authorship stay.
	got := get[httpapi.Message](t, alice, fmt.Sprintf("/api/v1/messages/%d", bm.ID))
	if got.AuthorID != bobID || got.Text != "bob was here" {
		t.Fatalf("message after deactivation = %+v", got)
	}
	if u := get[httpapi.User](t, alice, fmt.Sprintf("/api/v1/users/%d", bobID)); u.Active {
		t.Fatalf("deactivated user still active: %+v", u)
	}
}
