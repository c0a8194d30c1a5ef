// Package search owns full-text search: the tokenizer that turns text in any
// mix of Chinese, English and digits into index terms, the query language
// (operators, phrases, exclusions), highlighted snippets, and the Service
// that searches messages a user may read. The text functions are pure; the
// Service declares the store it needs (see docs/search.md).
package search

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Fold maps a rune to its search form: full-width ASCII (U+FF01–U+FF5E) to
// half-width, the ideographic space to a space, and letters to lower case.
// It is the subset of NFKC casefolding that Chinese input methods produce.
func Fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		r -= 0xFEE0
	case r == 0x3000:
		return ' '
	}
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if r >= 0x4E00 && r <= 0x9FFF {
		return r // CJK Unified Ideographs, most of Chinese text: no case
	}
	return unicode.ToLower(r)
}

// IsCJK reports whether r is written without spaces between words: Han,
// kana and Hangul. Runs of these are indexed as overlapping bigrams.
func IsCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	if r >= 0x4E00 && r <= 0x9FFF {
		return true // the common block, without a table search
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r)
}

// isWord reports whether r belongs to a space-separated word (Latin, Cyrillic,
// digits...), after folding.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
	}
	return (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) && !IsCJK(r)
}

// Token is one unit of text: a word (Latin, digits) or a run of CJK
// characters, with its byte offsets in the original text.
type Token struct {
	Text       string // folded: lower case, half-width
	Start, End int    // byte offsets in the original text
	CJK        bool
	// Offsets holds, for a CJK run, the byte offset of each character in
	// the original text, plus End.
	Offsets []int
}

// Tokenize splits text into words and CJK runs. Everything else
// (punctuation, spaces, symbols, emoji) separates tokens.
func Tokenize(text string) []Token {
	var toks []Token
	scan(text, true, func(t Token) { toks = append(toks, t) })
	return toks
}

// scan calls fn with each token of text in order, as Tokenize returns them;
// without offsets it leaves Token.Offsets nil. Ranking scans thousands of
// messages per query and keeps nothing of the tokens.
func scan(text string, offsets bool, fn func(Token)) {
	// The folded token is built in buf only when folding changed a
	// character; otherwise its text is a substring of text (most words are
	// already lower case), which saves an allocation per token: ranking
	// tokenizes thousands of messages per query.
	var buf []byte
	folded := false
	var offs []int
	start, kind := -1, 0 // kind: 0 none, 1 word, 2 CJK
	flush := func(end int) {
		if kind != 0 {
			t := Token{Text: text[start:end], Start: start, End: end, CJK: kind == 2}
			if folded {
				t.Text = string(buf)
			}
			if t.CJK && offsets {
				t.Offsets = append(offs, end)
			}
			fn(t)
		}
		buf, folded = buf[:0], false
		offs = nil
		start, kind = -1, 0
	}
	for i, r := range text {
		f := Fold(r)
		k := 0
		switch {
		case IsCJK(f):
			k = 2
		case isWord(f):
			k = 1
		}
		if k != kind {
			flush(i)
		}
		if k == 0 {
			continue
		}
		if kind == 0 {
			start, kind = i, k
		}
		if f != r && !folded {
			folded = true
			buf = append(buf[:0], text[start:i]...)
		}
		if folded {
			buf = utf8.AppendRune(buf, f)
		}
		if k == 2 && offsets {
			offs = append(offs, i)
		}
	}
	flush(len(text))
}

// Stem reduces an English word to a light stem so that plural forms find the
// singular and back: "reports" and "report", "companies" and "company",
// "boxes" and "box", "matches" and "match". It deliberately does not strip
// -ing or -ed: without a dictionary that conflates unrelated words ("red",
// "bed", "sing") and splits related ones ("making"/"make"). Words of other
// scripts and words with digits are returned unchanged.
func Stem(w string) string {
	n := len(w)
	if n <= 3 {
		return w
	}
	for i := 0; i < n; i++ {
		if c := w[i]; c < 'a' || c > 'z' {
			return w
		}
	}
	switch {
	case strings.HasSuffix(w, "ies") && n > 4:
		return w[:n-3] + "y"
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"),
		strings.HasSuffix(w, "shes"), strings.HasSuffix(w, "zzes"):
		return w[:n-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		return w
	case w[n-1] == 's':
		return w[:n-1]
	}
	return w
}

// Document is a message's text as index columns: Body holds words (stemmed)
// and CJK bigrams in text order (a one-character CJK run holds its
// character), Uni every CJK character, Meta the facets has:link.
type Document struct {
	Body, Uni, Meta string
}

// Meta terms.
const (
	metaLink = "haslink"
)

// Index turns text into index columns, space-separated terms.
func Index(text string) Document {
	var body, uni []string
	for _, t := range Tokenize(text) {
		if !t.CJK {
			body = append(body, Stem(t.Text))
			continue
		}
		rs := []rune(t.Text)
		if len(rs) == 1 {
			body = append(body, t.Text)
		}
		for i := 0; i+1 < len(rs); i++ {
			body = append(body, string(rs[i:i+2]))
		}
		for _, r := range rs {
			uni = append(uni, string(r))
		}
	}
	d := Document{Body: strings.Join(body, " "), Uni: strings.Join(uni, " ")}
	if HasLink(text) {
		d.Meta = metaLink
	}
	return d
}

// MessageDocument is Index plus the message's channel and author as meta
// terms, so that in: and from: narrow the full-text match inside the index
// instead of filtering a long stream of matches afterwards.
func MessageDocument(text string, channel, author int64) Document {
	d := Index(text)
	scope := scopeTerm('c', channel) + " " + scopeTerm('a', author)
	if d.Meta == "" {
		d.Meta = scope
	} else {
		d.Meta += " " + scope
	}
	return d
}

// HasLink reports whether text contains a web link (http://, https:// or
// www.), in any case and width.
func HasLink(text string) bool {
	if !strings.ContainsAny(text, "hHwWｈＨｗＷ") {
		return false
	}
	// Folded into a buffer on the stack for ordinary messages: ranking
	// asks this of thousands of messages per query.
	var stack [1024]byte
	b := stack[:0]
	for _, r := range text {
		b = utf8.AppendRune(b, Fold(r))
	}
	return bytes.Contains(b, []byte("http://")) || bytes.Contains(b, []byte("https://")) || bytes.Contains(b, []byte("www."))
}
