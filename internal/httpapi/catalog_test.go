package httpapi

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
)

// codeUse is one place in the source that produces a stable error code.
type codeUse struct {
	code   string
	kind   string   // errs kind name as written ("Invalid", "Other"...), "" when unknown
	params []string // .With parameters supplied at this place
	where  string   // file:line
}

var (
	// errs.New(op, errs.Kind, "code") and errs.E(op, errs.Kind, "code", err),
	// optionally followed by .With("param", ...) on the same line.
	litCodeRe = regexp.MustCompile(`errs\.(?:New|E)\(\s*[^,()]+,\s*errs\.(\w+),\s*"([a-z0-9_]+)"`)
	// errs.New(op, errs.Kind, field+"_suffix"): codes built from a field name.
	fieldCodeRe = regexp.MustCompile(`errs\.(?:New|E)\(\s*[^,()]+,\s*errs\.(\w+),\s*field\s*\+\s*"(_[a-z0-9_]+)"`)
	withRe      = regexp.MustCompile(`\.With\("(\w+)"`)
	// account.CleanText(op, "field", s, min, max) and CleanURL(op, "field", s).
	cleanTextRe = regexp.MustCompile(`\bCleanText\(\s*[^,()]+,\s*"([a-z_]+)",\s*[^,]+,\s*([^,]+),`)
	cleanURLRe  = regexp.MustCompile(`\bCleanURL\(\s*[^,()]+,\s*"([a-z_]+)"`)
	// store: notFound(op, "code", err) and the values of uniqueCodes.
	notFoundRe   = regexp.MustCompile(`\bnotFound\(\s*[^,()]+,\s*"([a-z0-9_]+)"`)
	uniqueMapRe  = regexp.MustCompile(`(?s)var uniqueCodes = map\[string\]string\{(.*?)\n\}`)
	mapValueRe   = regexp.MustCompile(`:\s*"([a-z0-9_]+)",`)
	detailCodeRe = regexp.MustCompile(`ErrorDetail\{Code:\s*"([a-z0-9_]+)"`)
	funcRe       = regexp.MustCompile(`\nfunc (\w+)\(`)
	placeholder  = regexp.MustCompile(`\{(\w+)\}`)
)

// cleanTextFields are the fields the code base validates with CleanText or
// CleanURL today. The scan must find at least these, so that a broken
// regexp cannot make the catalog test pass with nothing to check.
var cleanTextFields = []string{"org_name", "display_name", "channel_name", "topic", "purpose", "status_text",
	"avatar_url", "query", "email"}

// scanErrorCodes reads every non-test Go file under internal/ and returns
// every stable error code it can produce.
func scanErrorCodes(tb testing.TB) []codeUse {
	tb.Helper()
	root := ".." // internal/
	var uses []codeUse
	type fieldSuffix struct{ kind, suffix, fn string }
	var suffixes []fieldSuffix
	type fieldCall struct {
		field, fn string
		min       string // literal min argument of CleanText; "" for CleanURL
	}
	var calls []fieldCall
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		src := string(b)
		lineOf := func(off int) string {
			return path + ":" + strconv.Itoa(strings.Count(src[:off], "\n")+1)
		}
		restOfLine := func(off int) string {
			if i := strings.IndexByte(src[off:], '\n'); i >= 0 {
				return src[off : off+i]
			}
			return src[off:]
		}
		for _, m := range litCodeRe.FindAllStringSubmatchIndex(src, -1) {
			u := codeUse{kind: src[m[2]:m[3]], code: src[m[4]:m[5]], where: lineOf(m[0])}
			for _, w := range withRe.FindAllStringSubmatch(restOfLine(m[1]), -1) {
				u.params = append(u.params, w[1])
			}
			uses = append(uses, u)
		}
		for _, m := range fieldCodeRe.FindAllStringSubmatchIndex(src, -1) {
			fn := ""
			if fm := funcRe.FindAllStringSubmatch(src[:m[0]], -1); len(fm) > 0 {
				fn = fm[len(fm)-1][1]
			}
			suffixes = append(suffixes, fieldSuffix{kind: src[m[2]:m[3]], suffix: src[m[4]:m[5]], fn: fn})
		}
		for _, m := range cleanTextRe.FindAllStringSubmatch(src, -1) {
			calls = append(calls, fieldCall{field: m[1], fn: "CleanText", min: strings.TrimSpace(m[2])})
		}
		for _, m := range cleanURLRe.FindAllStringSubmatch(src, -1) {
			calls = append(calls, fieldCall{field: m[1], fn: "CleanURL"})
		}
		for _, m := range notFoundRe.FindAllStringSubmatchIndex(src, -1) {
			uses = append(uses, codeUse{kind: "NotFound", code: src[m[2]:m[3]], where: lineOf(m[0])})
		}
		if m := uniqueMapRe.FindStringSubmatchIndex(src); m != nil {
			for _, v := range mapValueRe.FindAllStringSubmatch(src[m[2]:m[3]], -1) {
				uses = append(uses, codeUse{kind: "Conflict", code: v[1], where: lineOf(m[0])})
			}
		}
		for _, m := range detailCodeRe.FindAllStringSubmatchIndex(src, -1) {
			uses = append(uses, codeUse{code: src[m[2]:m[3]], where: lineOf(m[0])})
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("scan sources: %v", err)
	}

	// Expand field+"_suffix" codes. CleanText's suffixes apply to CleanText
	// and CleanURL fields (CleanURL calls CleanText with min 0), CleanURL's
	// own only to CleanURL fields. "_required" needs min > 0 and "_too_short"
	// min > 1; a min that is not a literal counts as both.
	found := map[string]bool{}
	for _, c := range calls {
		found[c.field] = true
		minN := 0
		switch c.min {
		case "", "0":
		case "1":
			minN = 1
		default:
			minN = 2
		}
		for _, s := range suffixes {
			if s.fn != c.fn && !(s.fn == "CleanText" && c.fn == "CleanURL") {
				continue
			}
			if (s.suffix == "_required" && minN < 1) || (s.suffix == "_too_short" && minN < 2) {
				continue
			}
			u := codeUse{kind: s.kind, code: c.field + s.suffix, where: c.fn + "(" + c.field + ")"}
			switch s.suffix {
			case "_too_long":
				u.params = []string{"max"}
			case "_too_short":
				u.params = []string{"min"}
			}
			uses = append(uses, u)
		}
	}
	for _, f := range cleanTextFields {
		if !found[f] {
			tb.Errorf("scan found no CleanText/CleanURL call for field %q: is the regexp out of date?", f)
		}
	}
	if len(suffixes) < 6 {
		tb.Errorf("scan found only %d field+suffix codes in account/validate.go: is the regexp out of date?", len(suffixes))
	}
	codes := map[string]bool{}
	for _, u := range uses {
		codes[u.code] = true
	}
	for _, c := range []string{"message_too_long", "channel_not_found", "body_too_large", "email_taken", "user_not_found", "topic_too_long"} {
		if !codes[c] {
			tb.Errorf("scan did not find the code %q: is the regexp out of date?", c)
		}
	}
	return uses
}

// kindNames returns the String of every errs kind: the generic codes.
func kindNames() []string {
	var out []string
	for k := errs.Kind(0); ; k++ {
		s := k.String()
		if strings.HasPrefix(s, "kind(") {
			return out
		}
		out = append(out, s)
	}
}

func TestCatalogHasEveryCode(t *testing.T) {
	uses := scanErrorCodes(t)
	var missing []string
	seen := map[string]bool{}
	for _, u := range uses {
		if _, ok := catalog[u.code]; !ok && !seen[u.code] {
			seen[u.code] = true
			missing = append(missing, u.code+" ("+u.where+")")
		}
	}
	for _, k := range kindNames() {
		if _, ok := catalog[k]; !ok {
			missing = append(missing, k+" (generic message of the kind)")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%d error codes have no entry in catalog (errors.go):\n\t%s", len(missing), strings.Join(missing, "\n\t"))
	}
}

func TestCatalogMessages(t *testing.T) {
	for code, m := range catalog {
		if strings.TrimSpace(m.en) == "" || strings.TrimSpace(m.zh) == "" {
			t.Errorf("catalog[%q]: empty message in en or zh: %+v", code, m)
			continue
		}
		en, zh := placeholders(m.en), placeholders(m.zh)
		if !slices.Equal(en, zh) {
			t.Errorf("catalog[%q]: placeholders differ: en %v, zh %v", code, en, zh)
		}
	}
}

// TestCatalogPlaceholdersSupplied checks that every {param} of a message is
// supplied with .With wherever the code is produced, so no user sees "{max}".
func TestCatalogPlaceholdersSupplied(t *testing.T) {
	for _, u := range scanErrorCodes(t) {
		m, ok := catalog[u.code]
		if !ok {
			continue // reported by TestCatalogHasEveryCode
		}
		for _, p := range placeholders(m.en) {
			if !slices.Contains(u.params, p) {
				t.Errorf("%s: code %q is produced without .With(%q, ...), but its message uses {%s}", u.where, u.code, p, p)
			}
		}
	}
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}
