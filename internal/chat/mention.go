package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// mentions is what a message's text mentions.
type mentions struct {
	users   []string // lower-cased usernames, without '@'
	channel bool     // @channel or @all
	here    bool     // @here
}

// parseMentions finds @username, @channel, @all and @here in markdown source,
// ignoring code spans and fenced code blocks. A mention starts at the
// beginning of the text or after a character that is not a letter, digit or
// one of ._- (so e-mail addresses are not mentions).
func parseMentions(text string) mentions {
	var m mentions
	seen := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		inCode := false
		prev := ' '
		for i := 0; i < len(line); {
			r, size := utf8.DecodeRuneInString(line[i:])
			if r == '`' {
				inCode = !inCode
			}
			if r == '@' && !inCode && !isNameRune(prev) {
				j := i + 1
				for j < len(line) && isNameByte(line[j]) {
					j++
				}
				name := strings.ToLower(strings.TrimRight(line[i+1:j], ".-_"))
				switch {
				case name == "channel" || name == "all":
					m.channel = true
				case name == "here":
					m.here = true
				case len(name) >= 2 && !seen[name]:
					seen[name] = true
					m.users = append(m.users, name)
				}
				if j > i+1 {
					prev = rune(line[j-1])
					i = j
					continue
				}
			}
			prev = r
			i += size
		}
	}
	return m
}

func isNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '.' || b == '_' || b == '-'
}

func isNameRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-'
}

// ValidEmoji reports whether s is one emoji: a short sequence of symbol
// characters, joiners, variation selectors, skin-tone modifiers, keycaps and
// regional indicators, with no letters, digits alone, spaces or controls.
func ValidEmoji(s string) bool {
	if s == "" || len(s) > 64 || !utf8.ValidString(s) {
		return false
	}
	symbols := 0
	for _, r := range s {
		switch {
		case r == 0x200D, r == 0xFE0F, r == 0xFE0E, r == 0x20E3: // ZWJ, variation selectors, keycap
		case r >= 0x1F3FB && r <= 0x1F3FF: // skin tones
		case r >= 0xE0020 && r <= 0xE007F: // tag sequences (flags of regions)
		case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators
			symbols++
		case unicode.Is(unicode.So, r) || unicode.Is(unicode.Sk, r) || r == 0x00A9 || r == 0x00AE || r == 0x203C || r == 0x2049:
			symbols++
		case (r >= '0' && r <= '9') || r == '#' || r == '*': // keycap bases
			if !strings.ContainsRune(s, 0x20E3) {
				return false
			}
			symbols++
		default:
			return false
		}
	}
	return symbols >= 1 && symbols <= 10
}
