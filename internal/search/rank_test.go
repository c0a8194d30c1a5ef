package search_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/search"
)

func rankIDs(t *testing.T, query string, texts ...string) []int64 {
	t.Helper()
	q, err := search.Parse(query)
	if err != nil {
		t.Fatal(err)
	}
	var cs []search.Candidate
	for i, text := range texts {
		cs = append(cs, search.Candidate{ID: int64(i + 1), Channel: 1, Author: 1, Text: text})
	}
	var ids []int64
	for _, c := range search.Rank(cs, q.Must) {
		ids = append(ids, c.ID)
	}
	return ids
}

func TestRank(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		texts []string
		want  []int64
	}{
		{"more occurrences first", "budget", []string{"the budget", "budget budget budget", "budget budget"}, []int64{2, 3, 1}},
		{"shorter message first at equal frequency", "budget",
			[]string{"budget for the whole of next year including travel and hardware", "budget now"}, []int64{2, 1}},
		{"ties: newest first", "deploy", []string{"deploy", "deploy", "deploy"}, []int64{3, 2, 1}},
		{"a phrase counts where its terms are adjacent", `"release notes"`,
			[]string{"notes on the release", "release notes release notes", "release notes"}, []int64{2, 3, 1}},
		{"Chinese bigrams in order", "数据安全", []string{"数据 安全 数据", "企业数据安全合规", "数据安全数据安全"}, []int64{3, 2, 1}},
		{"one character in the unigram column: short texts (names) first", "王",
			[]string{"王经理说下午三点开会讨论预算", "王伟"}, []int64{2, 1}},
		{"two clauses add up", "审批 预算", []string{"预算 预算", "审批 预算", "审批"}, []int64{2, 1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rankIDs(t, tc.query, tc.texts...); !slices.Equal(got, tc.want) {
				t.Fatalf("order %v, want %v", got, tc.want)
			}
		})
	}
	if got := search.Rank(nil, nil); len(got) != 0 {
		t.Fatalf("empty window: %v", got)
	}
}

// TestRankColumnsMatchIndex: the terms ranking counts are those the index
// holds (search.Index), for mixed text.
func TestRankColumnsMatchIndex(t *testing.T) {
	for _, text := range []string{"Q3报告 reports 企业数据安全合规要求，王 伟 ｈｔｔｐｓ://x.example", "", "!!!", "a 安 bb 安全 boxes"} {
		body, uni := search.IndexColumns(text)
		d := search.Index(text)
		if strings.Join(body, " ") != d.Body || strings.Join(uni, " ") != d.Uni {
			t.Errorf("%q: columns %q %q, index %q %q", text, body, uni, d.Body, d.Uni)
		}
	}
}

// BenchmarkRank ranks a full window of 2,000 messages of 100–200 bytes
// (the bench harness's history) for a one-word query.
//
//	go test ./internal/search -run '^$' -bench Rank
func BenchmarkRank(b *testing.B) {
	words := strings.Fields("the deploy is green again please review my change before lunch we should ship the " +
		"release notes today 会议 改到 下午 三点 thanks for the quick fix the dashboard looks slow on mobile")
	cands := make([]search.Candidate, search.RankWindow)
	for i := range cands {
		var sb strings.Builder
		for j := 0; sb.Len() < 100+i%100; j++ {
			if sb.Len() > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[(i*7+j*13)%len(words)])
		}
		cands[i] = search.Candidate{ID: int64(i), Channel: 1, Author: 2, Text: sb.String()}
	}
	q, _ := search.Parse("deploy")
	b.ReportAllocs()
	for b.Loop() {
		search.Rank(cands, q.Must)
	}
}
