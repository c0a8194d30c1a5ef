package search

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/errs"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in    string
		match string
		check func(Query) bool
	}{
		{"hello", `body : "hello"`, nil},
		{"Hello WORLDS", `body : "hello" AND body : "world"`, nil},
		{"数据安全", `body : "数据 据安 安全"`, nil},
		{"王", `uni : "王"`, nil},
		{`"exact phrase"`, `body : "exact phrase"`, nil},
		{`"unterminated phrase`, `body : "unterminated phrase"`, nil},
		{"budget -draft", `(body : "budget") NOT body : "draft"`, nil},
		{"from:@alice", "", func(q Query) bool { return reflect.DeepEqual(q.From, []string{"alice"}) }},
		{"ＦＲＯＭ：＠Alice", "", func(q Query) bool { return reflect.DeepEqual(q.From, []string{"alice"}) }},
		{"from:bob in:#General", "", func(q Query) bool {
			return reflect.DeepEqual(q.From, []string{"bob"}) && reflect.DeepEqual(q.In, []string{"general"})
		}},
		{"on:2024-05-01 x", `body : "x"`, func(q Query) bool { return q.On == Date{2024, time.May, 1} }},
		{"before:2024-05-01 after:2024-01-31", "", func(q Query) bool {
			return q.Before == Date{2024, time.May, 1} && q.After == Date{2024, time.January, 31}
		}},
		{"has:link", `meta : "haslink"`, func(q Query) bool { return q.HasLink }},
		{"has:file", "", func(q Query) bool { return q.HasFile }},
		{"is:thread 审批", `body : "审批"`, func(q Query) bool { return q.Thread }},
		{"10:30 meeting", `body : "10" AND body : "30" AND body : "meeting"`, nil},
		{"http://example.com", `body : "http" AND body : "example" AND body : "com"`, nil},
		{"-draft", "", func(q Query) bool { return q.NotMatch() == `body : "draft"` }},
		{"a - b", `body : "a" AND body : "b"`, nil},
		{`-"from:x"`, "", func(q Query) bool { return q.NotMatch() == `body : "from x"` }},
		{"", "", func(q Query) bool { return q.IsEmpty() }},
		{"  ,,, ", "", func(q Query) bool { return q.IsEmpty() }},
	}
	for _, tt := range tests {
		q, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := q.Match(); got != tt.match {
			t.Errorf("Parse(%q).Match() = %s, want %s", tt.in, got, tt.match)
		}
		if tt.check != nil && !tt.check(q) {
			t.Errorf("Parse(%q) = %+v", tt.in, q)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for in, code := range map[string]string{
		"on:2024-13-01":          "search_date_invalid",
		"before:yesterday":       "search_date_invalid",
		"has:video":              "search_operator_invalid",
		"is:pinned":              "search_operator_invalid",
		strings.Repeat("长", 501): "search_query_too_long",
		strings.Repeat("w ", 40): "search_query_too_complex",
		"bad \xff utf8":          "search_query_invalid",
	} {
		_, err := Parse(in)
		if errs.CodeOf(err) != code || !errs.Is(err, errs.Invalid) {
			t.Errorf("Parse(%.20q) error %v, want Invalid %s", in, err, code)
		}
	}
}
