package unfurl

import (
	"bytes"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

// Meta is what a page says about itself.
type Meta struct {
	Title       string
	Description string
	SiteName    string
	Image       string // absolute http(s) URL of og:image, if any
}

// Lengths of the preview fields, in characters: page metadata has no limit
// of its own, and a card shows a line or three.
const (
	MaxTitle       = 200
	MaxDescription = 500
	MaxSiteName    = 100
)

// ParseMeta reads a page's title, description, site name and image from its
// head with an HTML tokenizer (never a regular expression), preferring Open
// Graph properties over <title> and <meta name=description>. The body is
// decoded from the charset the Content-Type, a BOM or a <meta charset>
// declares (GBK and GB18030 pages are common in China). Parsing stops at the
// end of the head or at the start of the body.
func ParseMeta(body []byte, contentType string, base *url.URL) Meta {
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		r = bytes.NewReader(body)
	}
	z := html.NewTokenizer(r)
	z.SetMaxBuf(len(body) + 4096)
	var m Meta
	var title, desc string
	inTitle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// The end of the (possibly cut) body: keep what was read.
			return m.finish(title, desc, base)
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			switch string(name) {
			case "body":
				return m.finish(title, desc, base)
			case "title":
				inTitle = tt == html.StartTagToken && title == ""
			case "meta":
				if hasAttr {
					m.meta(z, &desc)
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "head":
				return m.finish(title, desc, base)
			case "title":
				inTitle = false
			}
		case html.TextToken:
			if inTitle {
				title += string(z.Text())
			}
		}
	}
}

// meta records one <meta> tag's property or name and content.
func (m *Meta) meta(z *html.Tokenizer, desc *string) {
	var key, content string
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "property", "name":
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(string(v)))
			}
		case "content":
			content = string(v)
		}
		if !more {
			break
		}
	}
	switch key {
	case "og:title":
		m.Title = content
	case "og:description":
		m.Description = content
	case "og:site_name":
		m.SiteName = content
	case "og:image", "og:image:url", "og:image:secure_url":
		if m.Image == "" {
			m.Image = content
		}
	case "twitter:title":
		if m.Title == "" {
			m.Title = content
		}
	case "description", "twitter:description":
		if *desc == "" {
			*desc = content
		}
	}
}

func (m Meta) finish(title, desc string, base *url.URL) Meta {
	if m.Title == "" {
		m.Title = title
	}
	if m.Description == "" {
		m.Description = desc
	}
	m.Title = clean(m.Title, MaxTitle)
	m.Description = clean(m.Description, MaxDescription)
	m.SiteName = clean(m.SiteName, MaxSiteName)
	m.Image = absoluteHTTP(m.Image, base)
	return m
}

// clean collapses whitespace, drops control and invalid characters and
// shortens to max characters with an ellipsis.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		rs := []rune(s)
		s = strings.TrimSpace(string(rs[:max-1])) + "…"
	}
	return s
}

// absoluteHTTP resolves ref against base and keeps it only if it is http(s).
func absoluteHTTP(ref string, base *url.URL) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ""
	}
	u, err := base.Parse(ref)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || len(u.String()) > 2048 {
		return ""
	}
	return u.String()
}
