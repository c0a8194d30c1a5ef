package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/search"
	"github.com/parley-chat/parley/internal/store"
)

// searchWorld preloads an organisation with BulkLoad (which bypasses the
// write path, so nothing is indexed) and returns the searcher: a member of
// every fifth channel.
func searchWorld(tb testing.TB, dir string, messages int) (*store.DB, account.Actor) {
	tb.Helper()
	ctx := context.Background()
	existed := false
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		existed = true
	}
	db, err := store.Open(ctx, dir, true, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	const users, channels = 200, 300
	if existed {
		return db, account.Actor{Org: 1, User: 1, Role: account.RoleMember}
	}
	var org account.Org
	if err := db.Update(ctx, func(tx *store.Tx) error {
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
				Text: syntheticText(rng), CreatedAt: start.Add(time.Duration(i) * time.Minute)}) {
				return
			}
		}
	}
	if _, err := db.BulkLoad(ctx, in); err != nil {
		tb.Fatal(err)
	}
	return db, account.Actor{Org: org.ID, User: 1, Role: account.RoleMember}
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

// syntheticText builds a message of 4–24 tokens mixing Chinese and English,
// with a Zipf-like word frequency, occasional names, numbers and links.
func syntheticText(rng *rand.Rand) string {
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

// TestReindex checks that `parley admin reindex` indexes what a bulk load
// or an upgrade left unindexed, skips hidden messages, and is idempotent.
func TestReindex(t *testing.T) {
	ctx := context.Background()
	db, actor := searchWorld(t, t.TempDir(), 5000)
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
}

// BenchmarkSearch measures search latency over a large history (default
// 1,000,000 messages; PARLEY_SEARCH_BENCH_MESSAGES overrides, and
// PARLEY_SEARCH_BENCH_DIR keeps the database between runs). It reports the
// p50 and p99 over a fixed mix of queries, and the p99 of each.
//
//	go test ./internal/store -run '^$' -bench BenchmarkSearch -benchtime 1x -timeout 60m
func BenchmarkSearch(b *testing.B) {
	ctx := context.Background()
	n := 1_000_000
	if s := os.Getenv("PARLEY_SEARCH_BENCH_MESSAGES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := os.Getenv("PARLEY_SEARCH_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	fresh := true
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err == nil {
		fresh = false
	}
	t0 := time.Now()
	db, actor := searchWorld(b, dir, n)
	if fresh {
		b.Logf("loaded %d messages in %v", n, time.Since(t0).Round(time.Second))
		t0 = time.Now()
		if err := db.Reindex(ctx, nil); err != nil {
			b.Fatal(err)
		}
		b.Logf("reindexed in %v (%.0f messages/s)", time.Since(t0).Round(time.Second), float64(n)/time.Since(t0).Seconds())
	}
	svc := search.NewService(db)
	queries := []struct {
		q    string
		sort search.Sort
	}{
		{"会议", search.ByRelevance}, {"会议", search.ByDate}, {"数据安全", search.ByRelevance},
		{"审批 预算", search.ByRelevance}, {"王伟", search.ByRelevance}, {"王", search.ByDate},
		{"deploy", search.ByRelevance}, {"reports", search.ByDate}, {"the", search.ByRelevance},
		{`"pull request"`, search.ByRelevance}, {"term12345", search.ByRelevance}, {"server -timeout", search.ByDate},
		{"from:@user7 会议", search.ByDate}, {"in:#ch10 budget", search.ByRelevance}, {"has:link 发布", search.ByDate},
		{"from:@user3", search.ByDate}, {"latency after:2020-01-01", search.ByDate}, {"数据库 服务器 告警", search.ByRelevance},
	}
	per := make([][]time.Duration, len(queries))
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for rep := 0; rep < 20; rep++ {
			for j, q := range queries {
				t := time.Now()
				if _, err := svc.Messages(ctx, actor, q.q, search.Options{Sort: q.sort, Limit: 20}); err != nil {
					b.Fatal(err)
				}
				d := time.Since(t)
				per[j] = append(per[j], d)
				all = append(all, d)
			}
		}
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) time.Duration {
		s := slices.Clone(ds)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[min(len(s)-1, int(float64(len(s))*p))]
	}
	for j, q := range queries {
		b.Logf("%-28q %-9s p50 %6.1f ms  p99 %6.1f ms", q.q, q.sort, ms(pct(per[j], 0.5)), ms(pct(per[j], 0.99)))
	}
	b.ReportMetric(ms(pct(all, 0.5)), "p50-ms")
	b.ReportMetric(ms(pct(all, 0.99)), "p99-ms")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
