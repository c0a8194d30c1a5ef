package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

func searchPage(t *testing.T, c *apiclient.Client, q, extra string) httpapi.SearchPage {
	t.Helper()
	var p httpapi.SearchPage
	do(t, c, "GET", "/api/v1/search?q="+url.QueryEscape(q)+extra, nil, &p)
	return p
}

// found returns the ids of the messages a search finds, in result order.
func found(t *testing.T, c *apiclient.Client, q string) []int64 {
	t.Helper()
	ids := []int64{}
	for _, r := range searchPage(t, c, q, "&sort=date").Results {
		if r.ChannelID != r.Message.ChannelID {
			t.Fatalf("result channel %d, message channel %d", r.ChannelID, r.Message.ChannelID)
		}
		ids = append(ids, r.Message.ID)
	}
	return ids
}

func wantFound(t *testing.T, who string, c *apiclient.Client, q string, want ...int64) {
	t.Helper()
	if want == nil {
		want = []int64{}
	}
	slices.Sort(want)
	slices.Reverse(want) // sort=date: newest (highest id) first
	if got := found(t, c, q); !slices.Equal(got, want) {
		t.Errorf("%s searching %q found %v, want %v", who, q, got, want)
	}
}

func TestSearch(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	bob, bobID := env.User("member")
	carol, _ := env.User("member")
	guest, _ := env.User("guest")
	other := env.OtherOrg("Globex")
	bobName := usernameOf(t, bob)

	pub := must(alice.CreateChannel(ctx, "general-search", "public", []int64{bobID}))
	priv := must(alice.CreateChannel(ctx, "secret", "private", []int64{bobID}))
	carols := must(carol.CreateChannel(ctx, "carol-only", "private", nil))
	dm := must(alice.OpenDM(ctx, []int64{bobID}))
	otherCh := must(other.CreateChannel(ctx, "globex", "public", nil))
	n := 0
	post := func(c *apiclient.Client, ch int64, text string) int64 {
		n++
		m, _, err := c.Post(ctx, ch, fmt.Sprintf("s-%d", n), text)
		if err != nil {
			t.Fatalf("post %q: %v", text, err)
		}
		return m.ID
	}
	m1 := post(alice, pub.ID, "企业数据安全合规要求")
	m2 := post(bob, pub.ID, "明天的会议需要审批")
	m3 := post(alice, priv.ID, "Quarterly REPORTS are ready: https://example.com/q3")
	m4 := post(carol, carols.ID, "数据安全 secret plan")
	m5 := post(bob, dm.ID, "王伟的报告 ＡＢＣ１２３")
	post(other, otherCh.ID, "数据安全 at another organisation")

	// Only what the searcher may read: members' channels, DMs, and public
	// channels except for guests; never another organisation.
	wantFound(t, "alice", alice, "数据安全", m1)
	wantFound(t, "carol (public channel as a non-member, her private channel)", carol, "数据安全", m1, m4)
	wantFound(t, "guest", guest, "数据安全")
	wantFound(t, "other organisation", other, "企业数据安全")
	wantFound(t, "admin of the organisation, not a member", env.Owner, "数据安全", m1)
	wantFound(t, "carol (private channel of others, DM of others)", carol, "report")

	// Chinese and English examples.
	wantFound(t, "alice", alice, "合规", m1)
	wantFound(t, "alice", alice, "会议", m2)
	wantFound(t, "alice", alice, "审批", m2)
	wantFound(t, "alice", alice, "王", m5)
	wantFound(t, "alice", alice, "abc123", m5)
	wantFound(t, "alice", alice, "Report", m3)
	wantFound(t, "alice", alice, "quarterly report", m3)
	wantFound(t, "alice", alice, "报告", m5)
	wantFound(t, "alice", alice, "安全数据")

	// Operators.
	wantFound(t, "alice", alice, "from:@"+bobName, m2, m5)
	wantFound(t, "alice", alice, "in:#general-search", m1, m2)
	wantFound(t, "alice", alice, "数据 in:#secret")
	wantFound(t, "alice", alice, "has:link", m3)
	wantFound(t, "alice", alice, "has:file")
	wantFound(t, "alice", alice, `"数据安全合规"`, m1)
	wantFound(t, "alice", alice, `"ready quarterly"`)
	wantFound(t, "alice", alice, "数据 -合规")
	wantFound(t, "alice", alice, "-合规 in:#general-search", m2)
	today := time.Now().UTC().Format("2006-01-02")
	wantFound(t, "alice", alice, "on:"+today+" 审批", m2)
	wantFound(t, "alice", alice, "before:2000-01-01 审批")
	wantFound(t, "alice", alice, "after:2000-01-01 审批", m2)
	var reply httpapi.Message
	do(t, bob, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", pub.ID),
		map[string]any{"client_id": "s-reply", "text": "合规 reply", "root_id": m1}, &reply)
	wantFound(t, "alice", alice, "合规 is:thread", m1, reply.ID)
	wantFound(t, "alice", alice, "is:thread -reply", m1)

	// Relevance, snippets and the jump target.
	p := searchPage(t, alice, "数据安全", "")
	if len(p.Results) != 1 || p.Results[0].Message.Seq != 1 || p.Results[0].ChannelID != pub.ID {
		t.Fatalf("result: %+v", p)
	}
	want := []httpapi.SnippetSegment{{Text: "企业"}, {Text: "数据安全", Highlight: true}, {Text: "合规要求"}}
	if !slices.Equal(p.Results[0].Snippet, want) {
		t.Errorf("snippet %+v, want %+v", p.Results[0].Snippet, want)
	}

	// Paging by date.
	for i := 0; i < 5; i++ {
		post(alice, pub.ID, fmt.Sprintf("paging item %d", i))
	}
	var seen []int64
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		pg := searchPage(t, alice, "paging", "&sort=date&limit=2&cursor="+cursor)
		for _, r := range pg.Results {
			seen = append(seen, r.Message.ID)
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 5 || !slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("paged %v", seen)
	}
	seen = nil
	for _, c := range []string{"", "r2", "r4"} {
		for _, r := range searchPage(t, alice, "paging", "&limit=2&cursor="+c).Results {
			seen = append(seen, r.Message.ID)
		}
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != 5 {
		t.Errorf("relevance pages %v", seen)
	}

	// The index follows edits, deletions and recalls in the same write.
	do(t, alice, "PATCH", fmt.Sprintf("/api/v1/messages/%d", m1), map[string]any{"text": "新的预算 budgets"}, nil)
	wantFound(t, "alice after edit", alice, "数据安全")
	wantFound(t, "alice after edit", alice, "预算 budget", m1)
	do(t, bob, "DELETE", fmt.Sprintf("/api/v1/messages/%d", m2), nil, nil)
	wantFound(t, "alice after delete", alice, "会议")
	do(t, alice, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", m3), nil, nil)
	wantFound(t, "alice after recall", alice, "report")
	wantFound(t, "alice after recall", alice, "has:link")

	// Removal from a channel: the removed member no longer finds its messages.
	m6 := post(alice, priv.ID, "roadmap 路线图")
	wantFound(t, "bob", bob, "路线图", m6)
	do(t, alice, "DELETE", fmt.Sprintf("/api/v1/channels/%d/members/%d", priv.ID, bobID), nil, nil)
	wantFound(t, "bob after removal", bob, "路线图")
	wantFound(t, "alice", alice, "路线图", m6)

	// has:file finds messages carrying files; files are found by name in
	// the channels the searcher may read.
	up, err := alice.Upload(ctx, pub.ID, "季度 Budget.txt", []byte("numbers"))
	if err != nil {
		t.Fatal(err)
	}
	withFile, err := alice.PostFiles(ctx, pub.ID, "s-file", "附件 attached", []int64{up.ID})
	if err != nil {
		t.Fatal(err)
	}
	secretUp, err := alice.Upload(ctx, priv.ID, "secret budget.txt", []byte("numbers"))
	if err != nil {
		t.Fatal(err)
	}
	withSecret, err := alice.PostFiles(ctx, priv.ID, "s-file-2", "", []int64{secretUp.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantFound(t, "alice", alice, "has:file", withFile.ID, withSecret.ID)
	wantFound(t, "alice", alice, "has:file 附件", withFile.ID)
	wantFound(t, "carol (public channel as a non-member)", carol, "has:file", withFile.ID)
	wantFound(t, "guest", guest, "has:file")
	files := func(c *apiclient.Client, q string) []int64 {
		t.Helper()
		var p httpapi.FilePage
		if _, err := c.Do(ctx, "GET", "/api/v1/search/files?q="+url.QueryEscape(q), nil, &p); err != nil {
			t.Fatal(err)
		}
		ids := []int64{}
		for _, f := range p.Files {
			ids = append(ids, f.ID)
		}
		return ids
	}
	if got := files(alice, "BUDGET"); !slices.Equal(got, []int64{secretUp.ID, up.ID}) {
		t.Errorf("alice's file search: %v", got)
	}
	if got := files(alice, "季度"); !slices.Equal(got, []int64{up.ID}) {
		t.Errorf("alice's file search in Chinese: %v", got)
	}
	if got := files(carol, "budget"); !slices.Equal(got, []int64{up.ID}) {
		t.Errorf("carol's file search: %v", got)
	}
	if got := files(guest, "budget"); len(got) != 0 {
		t.Errorf("guest's file search: %v", got)
	}
	_, err = alice.Do(ctx, "GET", "/api/v1/search/files?q=", nil, nil)
	wantCode(t, err, 400, "search_query_required")

	// Errors.
	for q, code := range map[string]string{"": "search_query_required", "   ": "search_query_required",
		"on:2024-02-30": "search_date_invalid", "has:video": "search_operator_invalid"} {
		_, err := alice.Do(ctx, "GET", "/api/v1/search?q="+url.QueryEscape(q), nil, nil)
		wantCode(t, err, 400, code)
	}
	_, err = alice.Do(ctx, "GET", "/api/v1/search?q=x&sort=random", nil, nil)
	wantCode(t, err, 400, "sort_invalid")
	_, err = alice.Do(ctx, "GET", "/api/v1/search?q=x&cursor=zz", nil, nil)
	wantCode(t, err, 400, "cursor_invalid")
	_, err = alice.Do(ctx, "GET", "/api/v1/search?q=x&tz=Mars/Base", nil, nil)
	wantCode(t, err, 400, "time_zone_invalid")
}
