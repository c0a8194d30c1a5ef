package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// A filter (RFC 7644 3.4.2.2) is parsed into this tree and evaluated in Go
// against the organisation's users; it never becomes SQL, so there is
// nothing to inject into. Limits keep a hostile filter cheap to refuse.
const (
	maxFilterLen   = 2048
	maxFilterDepth = 8
	maxFilterTerms = 64
)

type node interface{ match(r resource) bool }

type andNode struct{ l, r node }
type orNode struct{ l, r node }
type notNode struct{ n node }

// cmpNode is "attr op value" or "attr pr".
type cmpNode struct {
	attr string // lower-case, as in resource
	op   string // eq ne co sw ew gt ge lt le pr
	val  any    // string, bool, float64 or nil
}

func (n andNode) match(r resource) bool { return n.l.match(r) && n.r.match(r) }
func (n orNode) match(r resource) bool  { return n.l.match(r) || n.r.match(r) }
func (n notNode) match(r resource) bool { return !n.n.match(r) }

// resource is a user's filterable attributes by lower-case path.
type resource map[string]any

func (n cmpNode) match(r resource) bool {
	v, ok := r[n.attr]
	if vs, multi := v.([]string); multi {
		// A multi-valued attribute matches when one of its values does.
		if n.op == "pr" {
			return len(vs) > 0
		}
		for _, x := range vs {
			if (cmpNode{attr: n.attr, op: n.op, val: n.val}).match(resource{n.attr: x}) {
				return true
			}
		}
		return false
	}
	if n.op == "pr" {
		if !ok || v == nil {
			return false
		}
		s, isStr := v.(string)
		return !isStr || s != ""
	}
	switch x := v.(type) {
	case string:
		want, ok := n.val.(string)
		if !ok {
			return false
		}
		// userName, e-mail and names compare case-insensitively (caseExact
		// false in the core schema); ids are digits, where case is moot;
		// externalId is caseExact (RFC 7643 3.1).
		a, b := x, want
		if !caseExact[n.attr] {
			a, b = strings.ToLower(x), strings.ToLower(want)
		}
		switch n.op {
		case "eq":
			return a == b
		case "ne":
			return a != b
		case "co":
			return strings.Contains(a, b)
		case "sw":
			return strings.HasPrefix(a, b)
		case "ew":
			return strings.HasSuffix(a, b)
		case "gt":
			return a > b
		case "ge":
			return a >= b
		case "lt":
			return a < b
		case "le":
			return a <= b
		}
	case bool:
		want, ok := n.val.(bool)
		if !ok {
			return false
		}
		switch n.op {
		case "eq":
			return x == want
		case "ne":
			return x != want
		}
	}
	return false
}

// userAttrs and groupAttrs are the attributes a filter may name, and
// their types.
var userAttrs = map[string]string{
	"id": "string", "username": "string", "displayname": "string", "active": "bool",
	"emails": "string", "emails.value": "string", "name.formatted": "string", "externalid": "string",
}

var groupAttrs = map[string]string{
	"id": "string", "displayname": "string", "externalid": "string", "members": "string", "members.value": "string",
}

// caseExact are the attributes compared with their case.
var caseExact = map[string]bool{"externalid": true}

type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

func badFilter(format string, args ...any) error { return &filterError{fmt.Sprintf(format, args...)} }

type token struct {
	kind string // word, string, lparen, rparen, eof
	text string
	val  any
}

type parser struct {
	attrs map[string]string
	toks  []token
	pos   int
	depth int
	terms int
}

// parseFilter parses a filter; errors are *filterError with a message fit
// for the SCIM error's detail.
func parseFilter(s string, attrs map[string]string) (node, error) {
	if len(s) > maxFilterLen {
		return nil, badFilter("filter longer than %d bytes", maxFilterLen)
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{attrs: attrs, toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, badFilter("unexpected %q", t.text)
	}
	return n, nil
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case c == '(':
			out = append(out, token{kind: "lparen", text: "("})
			i++
		case c == ')':
			out = append(out, token{kind: "rparen", text: ")"})
			i++
		case c == '"':
			// A JSON string literal, escapes included.
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, badFilter("unterminated string")
			}
			var v string
			if err := json.Unmarshal([]byte(s[i:j+1]), &v); err != nil {
				return nil, badFilter("invalid string %s", s[i:j+1])
			}
			out = append(out, token{kind: "string", text: s[i : j+1], val: v})
			i = j + 1
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '(' && s[j] != ')' && s[j] != '"' {
				j++
			}
			w := s[i:j]
			for _, r := range w {
				if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_' || r == ':' || r == '+') {
					return nil, badFilter("unexpected character %q", r)
				}
			}
			out = append(out, token{kind: "word", text: w})
			i = j
		}
		if len(out) > 4*maxFilterTerms {
			return nil, badFilter("filter has too many terms (at most %d)", maxFilterTerms)
		}
	}
	return append(out, token{kind: "eof", text: "end of filter"}), nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token { t := p.toks[p.pos]; p.pos++; return t }

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == "word" && strings.EqualFold(t.text, w)
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) and() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	if p.isWord("not") {
		p.next()
		if p.peek().kind != "lparen" {
			return nil, badFilter("\"not\" must be followed by \"(\"")
		}
		n, err := p.group()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	if p.peek().kind == "lparen" {
		return p.group()
	}
	return p.comparison()
}

func (p *parser) group() (node, error) {
	p.next() // (
	p.depth++
	if p.depth > maxFilterDepth {
		return nil, badFilter("filter nested deeper than %d", maxFilterDepth)
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != "rparen" {
		return nil, badFilter("expected \")\", found %q", t.text)
	}
	p.depth--
	return n, nil
}

func (p *parser) comparison() (node, error) {
	p.terms++
	if p.terms > maxFilterTerms {
		return nil, badFilter("filter has too many terms (at most %d)", maxFilterTerms)
	}
	at := p.next()
	if at.kind != "word" {
		return nil, badFilter("expected an attribute, found %q", at.text)
	}
	attr := strings.ToLower(at.text)
	// Full URNs name the core schemas' attributes.
	attr = strings.TrimPrefix(attr, "urn:ietf:params:scim:schemas:core:2.0:user:")
	attr = strings.TrimPrefix(attr, "urn:ietf:params:scim:schemas:core:2.0:group:")
	typ, ok := p.attrs[attr]
	if !ok {
		return nil, badFilter("unsupported attribute %q", at.text)
	}
	opTok := p.next()
	if opTok.kind != "word" {
		return nil, badFilter("expected an operator after %s, found %q", at.text, opTok.text)
	}
	op := strings.ToLower(opTok.text)
	switch op {
	case "pr":
		return cmpNode{attr: attr, op: op}, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return nil, badFilter("unknown operator %q", opTok.text)
	}
	vt := p.next()
	var val any
	switch {
	case vt.kind == "string":
		val = vt.val
	case vt.kind == "word" && (vt.text == "true" || vt.text == "false"):
		val = vt.text == "true"
	case vt.kind == "word" && vt.text == "null":
		val = nil
	case vt.kind == "word":
		f, err := strconv.ParseFloat(vt.text, 64)
		if err != nil {
			return nil, badFilter("invalid value %q", vt.text)
		}
		val = f
	default:
		return nil, badFilter("expected a value after %s %s, found %q", at.text, op, vt.text)
	}
	if typ == "bool" {
		if _, ok := val.(bool); !ok || (op != "eq" && op != "ne") {
			return nil, badFilter("%s takes eq or ne with true or false", at.text)
		}
	} else if _, ok := val.(string); !ok {
		return nil, badFilter("%s compares with a string", at.text)
	}
	return cmpNode{attr: attr, op: op, val: val}, nil
}
