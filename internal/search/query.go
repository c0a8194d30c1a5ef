package search

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/errs"
)

// MaxQueryLen bounds a query, in characters.
const MaxQueryLen = 500

// maxClauses bounds the terms and phrases of one query.
const maxClauses = 32

// Date is a calendar day; the service turns it into an interval in the
// searcher's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d.Year == 0 }

// Start returns the first instant of the day in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Phrase is a sequence of index terms that must appear consecutively in one
// column ("body" or "uni"). A single term is a phrase of one.
type Phrase struct {
	Column string
	Terms  []string
}

// Query is a parsed search query.
type Query struct {
	Must    []Phrase // all of these
	Not     []Phrase // none of these
	From    []string // usernames (from:@alice); any of them
	In      []string // channel names (in:#general); any of them
	Before  Date     // created before this day
	After   Date     // created after this day
	On      Date     // created on this day
	HasLink bool
	HasFile bool // messages carrying files
	Thread  bool // is:thread: a reply or a thread root with replies
	// Highlight holds the folded words (stemmed) and CJK runs to mark in
	// snippets.
	Highlight []string
}

// IsEmpty reports whether the query has no term and no filter.
func (q Query) IsEmpty() bool {
	return len(q.Must) == 0 && len(q.Not) == 0 && len(q.From) == 0 && len(q.In) == 0 && q.Before.IsZero() &&
		q.After.IsZero() && q.On.IsZero() && !q.HasLink && !q.HasFile && !q.Thread
}

// Parse parses the query language:
//
//	words "exact phrase" -excluded -"excluded phrase"
//	from:@username in:#channel before:YYYY-MM-DD after:YYYY-MM-DD on:YYYY-MM-DD
//	has:link has:file is:thread
//
// Operators are recognised in any width and case (ＦＲＯＭ：). A word with a
// colon that is not an operator (10:30, http://x) is searched as text. Errors
// are Invalid with codes search_query_too_long, search_date_invalid,
// search_operator_invalid and search_query_too_complex.
func Parse(s string) (Query, error) {
	const op = "search.Parse"
	var q Query
	if !utf8.ValidString(s) {
		return q, errs.New(op, errs.Invalid, "search_query_invalid")
	}
	if utf8.RuneCountInString(s) > MaxQueryLen {
		return q, errs.New(op, errs.Invalid, "search_query_too_long").With("max", MaxQueryLen)
	}
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(Fold(r))
	}
	s = b.String()
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		if s == "" {
			break
		}
		neg := false
		if s[0] == '-' && len(s) > 1 && s[1] != ' ' && s[1] != '-' {
			neg, s = true, s[1:]
		}
		var item string
		quoted := false
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				item, s = s[1:], ""
			} else {
				item, s = s[1:1+end], s[2+end:]
			}
			quoted = true
		} else {
			end := strings.IndexAny(s, " \t\n\r\v\f")
			if end < 0 {
				end = len(s)
			}
			item, s = s[:end], s[end:]
		}
		if !quoted && !neg {
			if ok, err := q.operator(item); err != nil {
				return Query{}, err
			} else if ok {
				continue
			}
		}
		ps := phrases(item, quoted)
		if neg {
			q.Not = append(q.Not, ps...)
		} else {
			q.Must = append(q.Must, ps...)
			for _, t := range Tokenize(item) {
				if t.CJK {
					q.Highlight = append(q.Highlight, t.Text)
				} else {
					q.Highlight = append(q.Highlight, Stem(t.Text))
				}
			}
		}
		if len(q.Must)+len(q.Not) > maxClauses {
			return Query{}, errs.New(op, errs.Invalid, "search_query_too_complex").With("max", maxClauses)
		}
	}
	return q, nil
}

// operator applies item when it is a known operator.
func (q *Query) operator(item string) (bool, error) {
	const op = "search.Parse"
	key, val, ok := strings.Cut(item, ":")
	if !ok || val == "" {
		return false, nil
	}
	date := func(d *Date) (bool, error) {
		t, err := time.Parse("2006-01-02", val)
		if err != nil {
			return false, errs.New(op, errs.Invalid, "search_date_invalid").With("value", val)
		}
		*d = Date{t.Year(), t.Month(), t.Day()}
		return true, nil
	}
	switch key {
	case "from":
		q.From = append(q.From, strings.TrimPrefix(val, "@"))
	case "in":
		q.In = append(q.In, strings.TrimPrefix(val, "#"))
	case "before":
		return date(&q.Before)
	case "after":
		return date(&q.After)
	case "on", "during":
		return date(&q.On)
	case "has":
		switch val {
		case "link":
			q.HasLink = true
		case "file", "attachment":
			q.HasFile = true
		default:
			return false, errs.New(op, errs.Invalid, "search_operator_invalid").With("value", item)
		}
	case "is":
		if val != "thread" {
			return false, errs.New(op, errs.Invalid, "search_operator_invalid").With("value", item)
		}
		q.Thread = true
	default:
		return false, nil
	}
	return true, nil
}

// phrases turns text into what must match: unquoted, each word and each CJK
// run is its own clause (a CJK run being the phrase of its bigrams, a lone
// CJK character a term of the unigram column); quoted, the whole text is one
// phrase of body terms, in order.
func phrases(text string, quoted bool) []Phrase {
	toks := Tokenize(text)
	if quoted {
		var terms []string
		for _, t := range toks {
			terms = append(terms, bodyTerms(t)...)
		}
		if len(terms) == 0 {
			return nil
		}
		if len(toks) == 1 && toks[0].CJK && utf8.RuneCountInString(toks[0].Text) == 1 {
			return []Phrase{{Column: "uni", Terms: terms}}
		}
		return []Phrase{{Column: "body", Terms: terms}}
	}
	var ps []Phrase
	for _, t := range toks {
		if t.CJK && utf8.RuneCountInString(t.Text) == 1 {
			ps = append(ps, Phrase{Column: "uni", Terms: []string{t.Text}})
			continue
		}
		ps = append(ps, Phrase{Column: "body", Terms: bodyTerms(t)})
	}
	return ps
}

// bodyTerms returns the body-column terms of one token, as Index writes them.
func bodyTerms(t Token) []string {
	if !t.CJK {
		return []string{Stem(t.Text)}
	}
	rs := []rune(t.Text)
	if len(rs) == 1 {
		return []string{t.Text}
	}
	out := make([]string, 0, len(rs)-1)
	for i := 0; i+1 < len(rs); i++ {
		out = append(out, string(rs[i:i+2]))
	}
	return out
}

// Match returns the FTS5 MATCH expression of the query's text and has:
// clauses, or "" when it has none that can drive a full-text match (only
// filters, or only exclusions).
func (q Query) Match() string { return q.MatchWith(nil) }

// MatchWith is Match with more positive clauses (already FTS5 syntax), such
// as the channel and author scopes the service resolves.
func (q Query) MatchWith(extra []string) string {
	var pos []string
	for _, p := range q.Must {
		pos = append(pos, p.expr())
	}
	if q.HasLink {
		pos = append(pos, `meta : "`+metaLink+`"`)
	}
	pos = append(pos, extra...)
	if len(pos) == 0 {
		return ""
	}
	e := strings.Join(pos, " AND ")
	if len(q.Not) > 0 {
		e = "(" + e + ")"
		for _, p := range q.Not {
			e += " NOT " + p.expr()
		}
	}
	return e
}

// NotMatch returns the FTS5 expression matching any excluded clause, for a
// query that has exclusions but nothing positive to match; "" otherwise.
func (q Query) NotMatch() string {
	if len(q.Not) == 0 || q.Match() != "" {
		return ""
	}
	var es []string
	for _, p := range q.Not {
		es = append(es, p.expr())
	}
	return strings.Join(es, " OR ")
}

// Scope returns the FTS5 clause matching messages of any of these channels
// ('c') or authors ('a'), which Document indexes in the meta column.
func Scope(kind byte, ids []int64) string {
	var b strings.Builder
	b.WriteString("meta : (")
	for i, id := range ids {
		if i > 0 {
			b.WriteString(" OR ")
		}
		b.WriteString(`"` + scopeTerm(kind, id) + `"`)
	}
	b.WriteString(")")
	return b.String()
}

func scopeTerm(kind byte, id int64) string { return string(kind) + strconv.FormatInt(id, 10) }

func (p Phrase) expr() string {
	var b strings.Builder
	b.WriteString(p.Column)
	b.WriteString(` : "`)
	for i, t := range p.Terms {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ReplaceAll(t, `"`, `""`))
	}
	b.WriteByte('"')
	return b.String()
}
