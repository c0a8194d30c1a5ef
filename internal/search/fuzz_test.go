package search

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that any query parses or fails with an error, and that a
// parsed query's FTS5 expressions quote every term (no stray quote can end
// a string early) and its snippets cover only the text they cut from.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"数据安全", `from:@alice in:#general "exact phrase" -draft`, "ＡＢＣ１２３ has:link is:thread",
		"on:2024-02-29", `"""`, "-", `-"`, "王"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			return
		}
		for _, e := range []string{q.Match(), q.NotMatch()} {
			if strings.Count(e, `"`)%2 != 0 {
				t.Fatalf("unbalanced quotes in %q", e)
			}
		}
		for _, p := range append(q.Must, q.Not...) {
			if len(p.Terms) == 0 || (p.Column != "body" && p.Column != "uni") {
				t.Fatalf("bad phrase %+v", p)
			}
			for _, term := range p.Terms {
				if term == "" || strings.ContainsAny(term, " \"") {
					t.Fatalf("bad term %q", term)
				}
			}
		}
		if utf8.ValidString(s) {
			var n int
			for _, seg := range Snippet(s, q.Highlight) {
				n += len(strings.TrimSuffix(strings.TrimPrefix(seg.Text, "…"), "…"))
			}
			if n > len(s) {
				t.Fatalf("snippet longer than text")
			}
		}
	})
}
