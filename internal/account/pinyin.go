package account

import (
	"strings"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// NameKeys returns the search keys of a name: its pinyin without tones or
// spaces ("张三" → "zhangsan") and the initials of its syllables and words
// ("zs"), so that the directory and the @ autocomplete find 张三 by typing
// either. Letters and digits of other scripts are kept, lower-cased, as they
// are typed; other characters separate words. Each character takes its most
// common reading (a polyphonic surname such as 单 may need its other one
// typed as characters).
func NameKeys(name string) (full, initials string) {
	var f, in strings.Builder
	args := pinyin.Args{Style: pinyin.Normal}
	word := false // inside a run of letters or digits
	for _, r := range name {
		if unicode.Is(unicode.Han, r) {
			word = false
			if ps := pinyin.SinglePinyin(r, args); len(ps) > 0 && ps[0] != "" {
				f.WriteString(ps[0])
				in.WriteByte(ps[0][0])
			}
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			r = unicode.ToLower(r)
			f.WriteRune(r)
			if !word {
				in.WriteRune(r)
			}
			word = true
			continue
		}
		word = false
	}
	return f.String(), in.String()
}
