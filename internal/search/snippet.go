package search

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Segment is a piece of a snippet; Highlight marks a match. Clients render
// segments as text nodes (never as HTML), so a snippet cannot inject markup.
type Segment struct {
	Text      string
	Highlight bool
}

// SnippetLen is the length of a snippet, in characters.
const SnippetLen = 200

// snippetLead is how many characters of context precede the first match.
const snippetLead = 40

// Snippet returns the part of text around the first match of the highlight
// terms (from Query.Highlight), split into highlighted and plain segments.
// A cut at either end is marked with "…".
func Snippet(text string, highlight []string) []Segment {
	ranges := matchRanges(text, highlight)
	start, end := 0, len(text)
	if utf8.RuneCountInString(text) > SnippetLen {
		first := 0
		if len(ranges) > 0 {
			first = ranges[0][0]
		}
		start = backRunes(text, first, snippetLead)
		end = forwardRunes(text, start, SnippetLen)
	}
	var segs []Segment
	add := func(s string, hl bool) {
		if s == "" {
			return
		}
		if n := len(segs); n > 0 && segs[n-1].Highlight == hl {
			segs[n-1].Text += s
			return
		}
		segs = append(segs, Segment{Text: s, Highlight: hl})
	}
	if start > 0 {
		add("…", false)
	}
	pos := start
	for _, r := range ranges {
		a, b := max(r[0], pos), min(r[1], end)
		if a >= b {
			continue
		}
		add(text[pos:a], false)
		add(text[a:b], true)
		pos = b
	}
	add(text[pos:end], false)
	if end < len(text) {
		add("…", false)
	}
	if segs == nil {
		segs = []Segment{}
	}
	return segs
}

// matchRanges returns the sorted, merged byte ranges of text that match.
func matchRanges(text string, highlight []string) [][2]int {
	if len(highlight) == 0 {
		return nil
	}
	words := map[string]bool{}
	var runs [][]rune
	for _, h := range highlight {
		if r, _ := utf8.DecodeRuneInString(h); IsCJK(r) {
			runs = append(runs, []rune(h))
		} else {
			words[h] = true
		}
	}
	var rs [][2]int
	for _, t := range Tokenize(text) {
		if !t.CJK {
			if words[Stem(t.Text)] {
				rs = append(rs, [2]int{t.Start, t.End})
			}
			continue
		}
		tr := []rune(t.Text)
		for _, q := range runs {
			for i := 0; i+len(q) <= len(tr); i++ {
				if runesEqual(tr[i:i+len(q)], q) {
					rs = append(rs, [2]int{t.Offsets[i], t.Offsets[i+len(q)]})
				}
			}
		}
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var out [][2]int
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// backRunes moves back n characters from byte offset i, stopping early at a
// line start so that the snippet begins with the line of the match.
func backRunes(s string, i, n int) int {
	for ; n > 0 && i > 0; n-- {
		_, size := utf8.DecodeLastRuneInString(s[:i])
		if s[i-size] == '\n' {
			break
		}
		i -= size
	}
	return i
}

// forwardRunes moves forward n characters from byte offset i.
func forwardRunes(s string, i, n int) int {
	for ; n > 0 && i < len(s); n-- {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return i
}

// SnippetText renders segments as plain text with highlights between marks,
// for logs and tests.
func SnippetText(segs []Segment, open, close string) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Highlight {
			b.WriteString(open + s.Text + close)
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}
