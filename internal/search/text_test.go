package search

import (
	"reflect"
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[rune]rune{'Ａ': 'a', 'ｚ': 'z', '１': '1', '！': '!', '　': ' ', 'B': 'b', 'Ä': 'ä', '数': '数', '＠': '@', '＃': '#', '：': ':'} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStem(t *testing.T) {
	for in, want := range map[string]string{
		"report": "report", "reports": "report", "companies": "company", "company": "company",
		"boxes": "box", "matches": "match", "wishes": "wish", "classes": "class", "class": "class",
		"status": "status", "analysis": "analysis", "files": "file", "file": "file", "bus": "bus",
		"is": "is", "was": "was", "its": "its", "meeting": "meeting", "abc123": "abc123", "2024": "2024",
		"cafés": "cafés", "buzzes": "buzz",
	} {
		if got := Stem(in); got != want {
			t.Errorf("Stem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIndex(t *testing.T) {
	tests := []struct {
		text string
		want Document
	}{
		{"Hello, World!", Document{Body: "hello world"}},
		{"企业数据安全", Document{Body: "企业 业数 数据 据安 安全", Uni: "企 业 数 据 安 全"}},
		{"王", Document{Body: "王", Uni: "王"}},
		{"ＡＢＣ１２３", Document{Body: "abc123"}},
		{"Q3报告reports", Document{Body: "q3 报告 report", Uni: "报 告"}},
		{"see https://example.com/a", Document{Body: "see http example com a", Meta: "haslink"}},
		{"Ｗｗｗ．example.cn", Document{Body: "www example cn", Meta: "haslink"}},
		{"会议　审批", Document{Body: "会议 审批", Uni: "会 议 审 批"}},
		{"🎉 :) --", Document{}},
	}
	for _, tt := range tests {
		if got := Index(tt.text); got != tt.want {
			t.Errorf("Index(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestTokenizeOffsets(t *testing.T) {
	text := "Ａ数据 x"
	toks := Tokenize(text)
	if len(toks) != 3 {
		t.Fatalf("tokens %+v", toks)
	}
	for _, tk := range toks {
		if tk.Start < 0 || tk.End > len(text) || tk.Start >= tk.End {
			t.Errorf("bad offsets %+v", tk)
		}
	}
	if toks[1].Text != "数据" || text[toks[1].Start:toks[1].End] != "数据" || !reflect.DeepEqual(toks[1].Offsets, []int{3, 6, 9}) {
		t.Errorf("CJK token %+v", toks[1])
	}
}

// matches reports whether query would find text, evaluating the parsed
// query against the index terms the way FTS5 does (phrases of consecutive
// terms within a column), so that the tokenizer and the parser are tested
// together without a database.
func matches(t *testing.T, query, text string) bool {
	t.Helper()
	q, err := Parse(query)
	if err != nil {
		t.Fatalf("Parse(%q): %v", query, err)
	}
	d := Index(text)
	cols := map[string][]string{"body": strings.Fields(d.Body), "uni": strings.Fields(d.Uni), "meta": strings.Fields(d.Meta)}
	has := func(p Phrase) bool {
		c := cols[p.Column]
		for i := 0; i+len(p.Terms) <= len(c); i++ {
			if reflect.DeepEqual(c[i:i+len(p.Terms)], p.Terms) {
				return true
			}
		}
		return false
	}
	if len(q.Must) == 0 && !q.HasLink {
		t.Fatalf("query %q has nothing to match", query)
	}
	for _, p := range q.Must {
		if !has(p) {
			return false
		}
	}
	if q.HasLink && !has(Phrase{Column: "meta", Terms: []string{metaLink}}) {
		return false
	}
	for _, p := range q.Not {
		if has(p) {
			return false
		}
	}
	return true
}

func TestQueryFindsText(t *testing.T) {
	tests := []struct {
		query, text string
		want        bool
	}{
		// Chinese without word spaces.
		{"数据安全", "企业数据安全合规要求", true},
		{"合规", "企业数据安全合规要求", true},
		{"会议", "明天下午三点开会议", true},
		{"审批", "请尽快审批这份报销单", true},
		{"安全数据", "企业数据安全合规要求", false},
		{"数据 合规", "企业数据安全合规要求", true},
		{"数据合规", "企业数据安全合规要求", false},
		{"会议", "开会", false},
		// Single characters find short texts such as names.
		{"王", "王伟", true},
		{"伟", "王伟", true},
		{"李", "王伟", false},
		// Mixed scripts and digits.
		{"Q3报告", "请看Q3报告", true},
		{"Q3 报告", "Q3 的销售报告已发", true},
		{"2024年", "2024年第一季度", true},
		{"v2 发布", "v2版本已发布", true},
		// Full-width and half-width.
		{"ＡＢＣ１２３", "order abc123 shipped", true},
		{"abc123", "订单ＡＢＣ１２３已发货", true},
		// English case and plurals.
		{"Report", "two REPORTS are due", true},
		{"reports", "the report is due", true},
		{"company", "three companies signed", true},
		{"boxes", "one box left", true},
		{"meeting", "the meetings moved", true},
		{"report", "reporting tools", false},
		// Phrases and exclusions.
		{`"exact phrase"`, "this is an exact phrase here", true},
		{`"exact phrase"`, "phrase exact", false},
		{`"数据 安全"`, "数据安全", false}, // a space in a quoted phrase still needs the words adjacent in the body
		{`"数据安全"`, "企业数据安全合规", true},
		{"budget -draft", "budget final", true},
		{"budget -draft", "budget draft", false},
		{`budget -"first draft"`, "budget first draft", false},
		{`budget -"first draft"`, "budget draft first", true},
		{"预算 -草稿", "预算草稿", false},
		{"预算 -草稿", "预算终稿", true},
		// has:link.
		{"has:link", "see https://example.com", true},
		{"has:link", "no link here", false},
		{"spec has:link", "spec at http://x.test", true},
	}
	for _, tt := range tests {
		if got := matches(t, tt.query, tt.text); got != tt.want {
			q, _ := Parse(tt.query)
			t.Errorf("%q finds %q = %v, want %v (match %s; index %+v)", tt.query, tt.text, got, tt.want, q.Match(), Index(tt.text))
		}
	}
}

func TestSnippet(t *testing.T) {
	hl := func(query string) []string {
		q, err := Parse(query)
		if err != nil {
			t.Fatal(err)
		}
		return q.Highlight
	}
	tests := []struct{ query, text, want string }{
		{"数据安全", "企业数据安全合规要求", "企业[数据安全]合规要求"},
		{"合规 审批", "合规审批流程", "[合规审批]流程"},
		{"reports", "Two Reports and one report.", "Two [Reports] and one [report]."},
		{"ａｂｃ", "see ABC and ＡＢＣ", "see [ABC] and [ＡＢＣ]"},
		{"王", "王伟", "[王]伟"},
		{"from:@bob", "plain <b>text</b>", "plain <b>text</b>"},
		{"x", strings.Repeat("a ", 150) + "x" + strings.Repeat(" b", 150),
			"…" + strings.Repeat("a ", 20) + "[x]" + strings.Repeat(" b", 79) + " …"},
	}
	for _, tt := range tests {
		got := SnippetText(Snippet(tt.text, hl(tt.query)), "[", "]")
		if got != tt.want {
			t.Errorf("Snippet(%q, %q) =\n%q, want\n%q", tt.text, tt.query, got, tt.want)
		}
	}
}
