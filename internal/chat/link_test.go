package chat_test

import (
	"slices"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
)

func TestLinks(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"see https://a.example/x.", []string{"https://a.example/x"}},
		{"(see https://a.example/x)", []string{"https://a.example/x"}},
		{"https://en.wikipedia.org/wiki/Go_(game)!", []string{"https://en.wikipedia.org/wiki/Go_(game)"}},
		{"[docs](https://a.example/docs) and <http://b.example/>", []string{"https://a.example/docs", "http://b.example/"}},
		{"看这个：https://a.example/报告，很好。", []string{"https://a.example/报告"}},
		{"HTTPS://A.example/ and https://a.example/x https://a.example/x", []string{"HTTPS://A.example/", "https://a.example/x"}},
		{"`https://code.example/` and\n```\nhttps://fence.example/\n```\nhttps://after.example/", []string{"https://after.example/"}},
		{"https://1.example https://2.example https://3.example https://4.example", []string{"https://1.example", "https://2.example", "https://3.example"}},
		{"no links, ftp://x.example, mailto:a@b.example, http:// alone", nil},
	} {
		if got := chat.Links(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Links(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
