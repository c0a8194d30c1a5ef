package search

import (
	"cmp"
	"slices"
)

// Candidate is a match in the relevance window: what ranking needs of a
// message.
type Candidate struct {
	ID      int64
	Channel int64
	Author  int64
	Text    string
}

// BM25 parameters and column weights: those of FTS5's bm25() and of
// migration 0002 (body 1.0, uni 0.4, meta 0).
const (
	bm25K1     = 1.2
	bm25B      = 0.75
	weightBody = 1.0
	weightUni  = 0.4
)

// Rank orders the candidates by relevance to the phrases, best first (ties:
// newest first), with BM25 computed in Go over the window instead of by the
// database (docs/search.md, Scale). It scores as FTS5's bm25() does — per
// phrase, its weighted frequency in the columns, saturated (k1 = 1.2) and
// normalised by the message's length in terms against the window's average
// (b = 0.75) — except for IDF: every candidate contains every required
// phrase, so the window cannot tell a rare phrase from a common one, and
// counting that across the whole index is the cost being avoided (it grows
// with the history). Phrases are weighed equally, which for the usual
// single-phrase query changes nothing.
func Rank(cands []Candidate, phrases []Phrase) []Candidate {
	type scored struct {
		c     Candidate
		score float64
	}
	docs := make([]scored, len(cands))
	lens := make([]int, len(cands))
	freqs := make([][]float64, len(cands))
	total := 0
	var body, uni []string // reused: ranking runs on every relevance query
	for i, c := range cands {
		body, uni = columns(c.Text, body[:0], uni[:0])
		// The meta column holds the channel and author scopes and, for a
		// message with a link, "haslink" (MessageDocument).
		meta := 2
		if HasLink(c.Text) {
			meta++
		}
		lens[i] = len(body) + len(uni) + meta
		total += lens[i]
		f := make([]float64, len(phrases))
		for j, p := range phrases {
			switch p.Column {
			case "body":
				f[j] = weightBody * float64(occurrences(body, p.Terms))
			case "uni":
				f[j] = weightUni * float64(occurrences(uni, p.Terms))
			}
		}
		freqs[i] = f
		docs[i].c = c
	}
	avg := 1.0
	if len(cands) > 0 && total > 0 {
		avg = float64(total) / float64(len(cands))
	}
	for i := range docs {
		norm := bm25K1 * (1 - bm25B + bm25B*float64(lens[i])/avg)
		for _, f := range freqs[i] {
			docs[i].score += f * (bm25K1 + 1) / (f + norm)
		}
	}
	slices.SortFunc(docs, func(a, b scored) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(b.c.ID, a.c.ID)
	})
	out := make([]Candidate, len(docs))
	for i, d := range docs {
		out[i] = d.c
	}
	return out
}

// columns appends to body and uni the terms Index writes in those columns
// for text, as substrings of the tokens (no string is built per term).
func columns(text string, body, uni []string) ([]string, []string) {
	scan(text, false, func(t Token) {
		if !t.CJK {
			body = append(body, Stem(t.Text))
			return
		}
		// t.Text is the folded run: cut it at its characters.
		n := 0
		prev, prev2 := -1, -1 // byte offsets of the previous two characters
		for j := range t.Text {
			if prev >= 0 {
				uni = append(uni, t.Text[prev:j])
			}
			if prev2 >= 0 {
				body = append(body, t.Text[prev2:j])
			}
			prev2, prev = prev, j
			n++
		}
		uni = append(uni, t.Text[prev:])
		if prev2 >= 0 {
			body = append(body, t.Text[prev2:])
		}
		if n == 1 {
			body = append(body, t.Text)
		}
	})
	return body, uni
}

// occurrences counts the places where terms appear consecutively in doc.
func occurrences(doc, terms []string) int {
	if len(terms) == 0 {
		return 0
	}
	n := 0
	for i := 0; i+len(terms) <= len(doc); i++ {
		if doc[i] == terms[0] && slices.Equal(doc[i:i+len(terms)], terms) {
			n++
		}
	}
	return n
}
