package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/search"
	"github.com/parley-chat/parley/internal/store"
)

// searchCase is a query and the texts of the messages it must find (in
// order when sorted by date, as a set by relevance).
type searchCase struct {
	query string
	want  []string
}

// testSearch checks the query language end to end through the search
// service, so that every engine answers the expressions it really builds.
func testSearch(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a, b := mkUser(t, db, org, "alice"), mkUser(t, db, org, "bob")
	guest := mkUser(t, db, org, "guest")
	gen := mkChannel(t, db, org, chat.KindPublic, "general", a.ID, b.ID, guest.ID)
	ops := mkChannel(t, db, org, chat.KindPublic, "ops", b.ID)        // a is not a member: public, still readable
	secret := mkChannel(t, db, org, chat.KindPrivate, "secret", b.ID) // a may not read it
	day := func(d int) func(*chat.Message) {
		return func(m *chat.Message) { m.CreatedAt = time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }
	}
	texts := []struct {
		ch     chat.Channel
		author int64
		text   string
		edit   func(*chat.Message)
	}{
		{gen, a.ID, "please review the quarterly reports", day(1)},
		{gen, b.ID, "明天下午开会议，讨论数据安全合规要求", day(2)},
		{gen, a.ID, "数据 和 安全 分开说", day(3)},
		{ops, b.ID, "deploy the release on Friday", day(4)},
		{ops, b.ID, "deploy finished, see https://example.com/run/42", day(5)},
		{secret, b.ID, "secret deploy plan 会议", day(6)},
		{gen, b.ID, "pull request approved", day(7)},
		{gen, a.ID, "request to pull the branch", day(8)},
		{gen, b.ID, "王伟 will deploy", day(9)},
		{gen, a.ID, "王 alone", day(10)},
		{gen, a.ID, "Ｆｕｌｌ　ｗｉｄｔｈ REPORT", day(11)},
	}
	var root chat.Message
	for i, m := range texts {
		got := post(t, db, m.ch, m.author, m.text, m.edit)
		if i == 6 {
			root = got
		}
	}
	post(t, db, gen, b.ID, "reply in thread about approval", func(m *chat.Message) {
		m.Root = root.ID
		day(12)(m)
	})
	svc := search.NewService(db)
	member := account.Actor{Org: org, User: a.ID, Role: account.RoleMember}
	run := func(actor account.Actor, q string, sort search.Sort) []string {
		t.Helper()
		res, err := svc.Messages(ctx, actor, q, search.Options{Sort: sort, Limit: 50})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		var out []string
		for _, h := range res.Hits {
			out = append(out, h.Message.Text)
		}
		return out
	}
	for _, c := range []searchCase{
		{"reports", []string{"Ｆｕｌｌ　ｗｉｄｔｈ REPORT", "please review the quarterly reports"}}, // stems, width and case
		{"会议", []string{"明天下午开会议，讨论数据安全合规要求"}},                                            // not the secret one
		{"数据安全", []string{"明天下午开会议，讨论数据安全合规要求"}},                                          // bigrams in order
		{"数据 安全", []string{"数据 和 安全 分开说", "明天下午开会议，讨论数据安全合规要求"}},                          // two clauses
		{"王", []string{"王 alone", "王伟 will deploy"}},                                      // a single character: the uni column
		{`"pull request"`, []string{"pull request approved"}},                             // a phrase, in order
		{"pull request", []string{"request to pull the branch", "pull request approved"}}, //
		{"deploy -friday", []string{"王伟 will deploy", "deploy finished, see https://example.com/run/42"}},
		{"-deploy -会议 -数据 -review -pull -王 -report -approval", nil}, // only exclusions
		{"has:link", []string{"deploy finished, see https://example.com/run/42"}},
		{"haslink", nil}, // a facet is not a word
		{"c" + strconv.FormatInt(gen.ID, 10), nil},
		{"deploy from:@bob", []string{"王伟 will deploy", "deploy finished, see https://example.com/run/42", "deploy the release on Friday"}},
		{"deploy in:#ops", []string{"deploy finished, see https://example.com/run/42", "deploy the release on Friday"}},
		{"from:@alice in:#general 王", []string{"王 alone"}},
		{"in:#secret deploy", nil},
		{"from:@nobody deploy", nil},
		{"deploy after:2025-01-04 before:2025-01-09", []string{"deploy finished, see https://example.com/run/42"}},
		{"deploy on:2025-01-04", []string{"deploy the release on Friday"}},
		{"is:thread", []string{"reply in thread about approval", "pull request approved"}},
		{"approval is:thread", []string{"reply in thread about approval"}},
		{"nothing-matches-this", nil},
	} {
		if got := run(member, c.query, search.ByDate); !slices.Equal(got, c.want) {
			t.Errorf("search %q by date:\n got %q\nwant %q", c.query, got, c.want)
		}
		if strings.Contains(c.query, "-") || strings.HasPrefix(c.query, "is:") || strings.HasPrefix(c.query, "has:") {
			continue
		}
		if got := run(member, c.query, search.ByRelevance); !sameStrings(got, c.want) {
			t.Errorf("search %q by relevance:\n got %q\nwant %q", c.query, got, c.want)
		}
	}
	// The only-exclusion query excludes: everything else a member reads is found.
	if got := run(member, "-deploy", search.ByDate); len(got) != 8 || slices.Contains(got, "deploy the release on Friday") {
		t.Errorf("-deploy found %q", got)
	}
	// A guest reads only the channels they are a member of.
	if got := run(account.Actor{Org: org, User: guest.ID, Role: account.RoleGuest}, "deploy", search.ByDate); !slices.Equal(got, []string{"王伟 will deploy"}) {
		t.Errorf("guest found %q", got)
	}
	// A member of the private channel finds its messages.
	if got := run(account.Actor{Org: org, User: b.ID, Role: account.RoleMember}, "会议", search.ByDate); len(got) != 2 {
		t.Errorf("member of secret found %q", got)
	}
	// Relevance: a message about the word ranks above one that mentions it.
	post(t, db, gen, a.ID, "budget budget budget budget", nil)
	post(t, db, gen, a.ID, "the budget meeting is moved to the afternoon, bring the slides and the notes", nil)
	if got := run(member, "budget", search.ByRelevance); len(got) != 2 || got[0] != "budget budget budget budget" {
		t.Errorf("relevance order %q", got)
	}
	// Paging: by date with a cursor, by relevance with an offset.
	for _, sort := range []search.Sort{search.ByDate, search.ByRelevance} {
		var seen []string
		cursor := ""
		for page := 0; page < 10; page++ {
			res, err := svc.Messages(ctx, member, "deploy", search.Options{Sort: sort, Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range res.Hits {
				seen = append(seen, h.Message.Text)
			}
			if cursor = res.NextCursor; cursor == "" {
				break
			}
		}
		all := run(member, "deploy", sort)
		if !slices.Equal(seen, all) || len(all) == 0 {
			t.Errorf("%s pages %q, all at once %q", sort, seen, all)
		}
	}
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// The index follows edits, deletions and recalls in the same transaction.
func testSearchIndexFollowsUpdates(t *testing.T, s suite) {
	db := s.open(t)
	ctx := context.Background()
	org := mkOrg(t, db)
	a := mkUser(t, db, org, "alice")
	ch := mkChannel(t, db, org, chat.KindPublic, "general", a.ID)
	m := post(t, db, ch, a.ID, "original wording", nil)
	gone := post(t, db, ch, a.ID, "original but deleted", nil)
	svc := search.NewService(db)
	actor := account.Actor{Org: org, User: a.ID, Role: account.RoleMember}
	find := func(q string) int {
		t.Helper()
		res, err := svc.Messages(ctx, actor, q, search.Options{Sort: search.ByDate})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits)
	}
	if find("original") != 2 {
		t.Fatal("new messages not indexed")
	}
	m.Text, m.EditedAt = "rewritten text", at
	gone.DeletedAt = at
	update(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.UpdateMessage(ctx, m); err != nil {
			return err
		}
		return tx.UpdateMessage(ctx, gone)
	})
	if n, w := find("original"), find("rewritten"); n != 0 || w != 1 {
		t.Fatalf("after edit and delete: original %d, rewritten %d", n, w)
	}
	m.RecalledAt = at
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateMessage(ctx, m) })
	if find("rewritten") != 0 {
		t.Fatal("recalled message still found")
	}
	// Undeleting (a compliance restore) indexes it again.
	gone.DeletedAt = time.Time{}
	update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.UpdateMessage(ctx, gone) })
	if find("deleted") != 1 {
		t.Fatal("restored message not found")
	}
	// A long message with many repeats stays searchable at its end.
	long := strings.Repeat("的 ", 400) + strings.Repeat("word ", 300) + "最后一句话 finalword"
	post(t, db, ch, a.ID, long, nil)
	if find("finalword") != 1 || find("最后一句") != 1 || find(`"一句话 finalword"`) != 1 {
		t.Fatal("the end of a long message is not found")
	}
}

// testReindex checks that `parley admin reindex` indexes what a bulk load
// or an upgrade left unindexed, skips hidden messages, and is idempotent.
func testReindex(t *testing.T, s suite) {
	ctx := context.Background()
	db := s.open(t)
	actor := SearchWorld(t, db, 5000)
	svc := search.NewService(db)
	count := func(q string) int {
		t.Helper()
		res, err := svc.Messages(ctx, actor, q, search.Options{Sort: search.ByDate, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Hits)
	}
	if n := count("会议"); n != 0 {
		t.Fatalf("found %d before reindex", n)
	}
	var calls, last int
	for range 2 {
		if err := db.Reindex(ctx, func(done, total int) { calls++; last = done }); err != nil {
			t.Fatal(err)
		}
	}
	if last != 5000 || calls < 4 {
		t.Errorf("progress: %d calls, last %d", calls, last)
	}
	if n := count("会议"); n == 0 {
		t.Fatal("nothing found after reindex")
	}
	res, err := svc.Messages(ctx, actor, "会议", search.Options{Sort: search.ByDate, Limit: 1})
	if err != nil || len(res.Hits) != 1 {
		t.Fatal(res, err)
	}
	m := res.Hits[0].Message
	if !slices.ContainsFunc(res.Hits[0].Snippet, func(s search.Segment) bool { return s.Highlight && s.Text == "会议" }) {
		t.Errorf("snippet %+v of %q", res.Hits[0].Snippet, m.Text)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		m, err := tx.Message(ctx, actor.Org, m.ID)
		if err != nil {
			return err
		}
		m.DeletedAt = time.Now()
		return tx.UpdateMessage(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Reindex(ctx, nil); err != nil {
		t.Fatal(err)
	}
	res2, err := svc.Messages(ctx, actor, "会议", search.Options{Sort: search.ByDate, Limit: 1})
	if err != nil || len(res2.Hits) != 1 || res2.Hits[0].Message.ID == m.ID {
		t.Errorf("deleted message still found: %+v %v", res2, err)
	}
	// Relevance over a real history works and stays within the readable channels.
	res3, err := svc.Messages(ctx, actor, "数据 安全", search.Options{Sort: search.ByRelevance, Limit: 20})
	if err != nil || len(res3.Hits) == 0 {
		t.Fatalf("relevance over the history: %d hits (%v)", len(res3.Hits), err)
	}
}

// SearchWorld preloads an organisation into an empty store with BulkLoad
// (which bypasses the write path, so nothing is indexed): 200 users, 300
// channels (every third private) and messages of synthetic Chinese and
// English text. It returns the searcher: a member of every fifth channel.
func SearchWorld(tb testing.TB, db *store.DB, messages int) account.Actor {
	tb.Helper()
	ctx := context.Background()
	const users, channels = 200, 300
	var org account.Org
	if err := db.Update(ctx, func(tx *store.Tx) error {
		var err error
		org, err = tx.InsertOrg(ctx, account.Org{Name: "Search", CreatedAt: time.Now()})
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	now := time.Now().UTC()
	in := store.BulkInput{Org: org.ID}
	for i := range users {
		n := fmt.Sprintf("user%d", i)
		in.Users = append(in.Users, store.BulkUser{PasswordHash: "x", User: account.User{Email: n + "@x.invalid",
			Username: n, DisplayName: n, Role: account.RoleMember, CreatedAt: now}})
	}
	for i := range channels {
		kind := chat.KindPublic
		if i%3 == 2 {
			kind = chat.KindPrivate
		}
		members := []int{(i + 1) % users, (i + 2) % users}
		if i%5 == 0 {
			members = append(members, 0)
		}
		in.Channels = append(in.Channels, store.BulkChannel{Channel: chat.Channel{Kind: kind, Name: fmt.Sprintf("ch%d", i),
			CreatedAt: now}, Members: members})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	in.Messages = func(yield func(store.BulkMessage) bool) {
		start := now.Add(-time.Duration(messages) * time.Minute)
		for i := range messages {
			if !yield(store.BulkMessage{Channel: rng.IntN(channels), Author: rng.IntN(users), ClientID: "m" + strconv.Itoa(i),
				Text: SyntheticText(rng), CreatedAt: start.Add(time.Duration(i) * time.Minute)}) {
				return
			}
		}
	}
	res, err := db.BulkLoad(ctx, in)
	if err != nil {
		tb.Fatal(err)
	}
	return account.Actor{Org: org.ID, User: res.Users[0], Role: account.RoleMember}
}

var (
	zhWords = strings.Fields(`我们 项目 会议 审批 数据 安全 合规 要求 企业 客户 明天 今天 下午 上午 报告 预算 发布 版本 测试 上线
		问题 需要 确认 一下 已经 完成 进度 计划 方案 文档 系统 服务 用户 反馈 产品 设计 开发 运营 市场 销售 财务 合同 流程
		部署 监控 告警 故障 修复 优化 性能 接口 数据库 服务器 网络 权限 账号 登录 周报 月报 季度 目标 负责 安排 通知 大家`)
	enWords = strings.Fields(`the a to and of is in for on we it this that please review deploy release meeting report reports
		budget customer server database issue fix bug test build ticket sprint roadmap design spec api latency error timeout
		merge branch pull request approve approved approval plan today tomorrow monday friday update status done blocked`)
	names = strings.Fields(`王伟 李娜 张敏 刘洋 陈静 杨帆 alice bob carol dave`)
)

// SyntheticText builds a message of 4–24 tokens mixing Chinese and English,
// with a Zipf-like word frequency, occasional names, numbers and links.
func SyntheticText(rng *rand.Rand) string {
	n := 4 + rng.IntN(20)
	var b strings.Builder
	zh := rng.IntN(3) != 0
	for i := 0; i < n; i++ {
		r := rng.Float64()
		switch {
		case r < 0.03:
			b.WriteString(names[rng.IntN(len(names))])
		case r < 0.05:
			b.WriteString(strconv.Itoa(rng.IntN(10000)))
		case r < 0.055:
			b.WriteString("https://example.com/t/" + strconv.Itoa(rng.IntN(1e6)))
		case r < 0.08:
			// A long tail of rare words.
			b.WriteString("term" + strconv.Itoa(rng.IntN(200000)))
		case zh:
			b.WriteString(zhWords[zipf(rng, len(zhWords))])
		default:
			b.WriteString(enWords[zipf(rng, len(enWords))])
		}
		if !zh || rng.IntN(4) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func zipf(rng *rand.Rand, n int) int {
	// Inverse-CDF of a 1/k distribution, cheap enough for a million messages.
	return min(n-1, int(float64(n)*rng.Float64()*rng.Float64()))
}
