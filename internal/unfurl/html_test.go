package unfurl_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/parley-chat/parley/internal/unfurl"
)

func TestParseMeta(t *testing.T) {
	base, _ := url.Parse("https://news.example/a/b.html")
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String(`<html><head><meta charset="gbk"><title>季度报告</title><meta name="description" content="收入增长百分之十二"></head></html>`)
	for _, tc := range []struct {
		name, body, contentType string
		want                    unfurl.Meta
	}{
		{"open graph wins over title", `<head><title>Plain</title><meta property="og:title" content="OG &amp; more">
			<meta property="og:description" content="Desc"><meta name="description" content="Plain desc">
			<meta property="og:site_name" content="Site"><meta property="og:image" content="/img/x.png"></head>`, "text/html",
			unfurl.Meta{Title: "OG & more", Description: "Desc", SiteName: "Site", Image: "https://news.example/img/x.png"}},
		{"title and meta description", "<title>\n  Hello\t  world </title><meta name=description content='A page'>", "text/html",
			unfurl.Meta{Title: "Hello world", Description: "A page"}},
		{"GBK page", gbk, "text/html", unfurl.Meta{Title: "季度报告", Description: "收入增长百分之十二"}},
		{"charset from the header", gbk, "text/html; charset=gbk", unfurl.Meta{Title: "季度报告", Description: "收入增长百分之十二"}},
		{"stops at the body", `<head></head><body><title>not the title</title><meta property="og:title" content="x"></body>`, "text/html",
			unfurl.Meta{}},
		{"script text is not a title", `<head><script>var t = "<title>x</title>"</script><title>Real</title></head>`, "text/html",
			unfurl.Meta{Title: "Real"}},
		{"no javascript: image", `<meta property="og:title" content="T"><meta property="og:image" content="javascript:alert(1)">`, "text/html",
			unfurl.Meta{Title: "T"}},
		{"cut document", `<head><title>Cut`, "text/html", unfurl.Meta{Title: "Cut"}},
		{"control characters", "<title>a\x01b\u0085c</title>", "text/html", unfurl.Meta{Title: "a b c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := unfurl.ParseMeta([]byte(tc.body), tc.contentType, base); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	long := unfurl.ParseMeta([]byte("<title>"+strings.Repeat("长", 500)+"</title>"), "text/html", base)
	if n := utf8.RuneCountInString(long.Title); n != unfurl.MaxTitle || !strings.HasSuffix(long.Title, "…") {
		t.Fatalf("long title: %d characters", n)
	}
}
