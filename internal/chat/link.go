package chat

import (
	"context"
	"net/url"
	"strings"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// LinkPreview is what a page linked from a message says about itself,
// fetched after the message was posted (see internal/unfurl).
type LinkPreview struct {
	URL         string // as written in the message
	Title       string
	Description string
	SiteName    string
	// Image names the preview's thumbnail, re-encoded from the page's
	// og:image and kept by the server (unfurl.Service.OpenImage); "" when
	// none. Width and height are the thumbnail's.
	Image                   string
	ImageWidth, ImageHeight int
}

// MaxPreviews is how many links of one message get a preview: the first
// ones, in text order.
const MaxPreviews = 3

// maxLinkLen bounds the URLs considered for a preview.
const maxLinkLen = 2048

// Links returns the distinct http(s) URLs of a message's markdown source, in
// text order, at most MaxPreviews, ignoring code spans and fenced code
// blocks. A URL ends at whitespace, at quotes and angle brackets, at CJK
// punctuation, and loses trailing sentence punctuation and an unbalanced
// closing parenthesis (so "(see https://x.org/a)." and the markdown link
// "[x](https://x.org/a)" both give https://x.org/a).
func Links(text string) []string {
	var out []string
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
		for i, part := range strings.Split(line, "`") {
			if i%2 == 1 {
				continue // inside a code span
			}
			for rest := part; ; {
				at := indexScheme(rest)
				if at < 0 {
					break
				}
				rest = rest[at:]
				end := strings.IndexFunc(rest, endsLink)
				if end < 0 {
					end = len(rest)
				}
				link := trimLink(rest[:end])
				rest = rest[end:]
				if len(link) > maxLinkLen || seen[link] {
					continue
				}
				if u, err := url.Parse(link); err != nil || u.Host == "" {
					continue
				}
				seen[link] = true
				if out = append(out, link); len(out) == MaxPreviews {
					return out
				}
			}
		}
	}
	return out
}

func indexScheme(s string) int {
	lower := strings.ToLower(s)
	i, j := strings.Index(lower, "http://"), strings.Index(lower, "https://")
	switch {
	case i < 0:
		return j
	case j < 0 || i < j:
		return i
	}
	return j
}

func endsLink(r rune) bool {
	switch r {
	case ' ', '\t', '"', '\'', '<', '>', '`', '，', '。', '、', '；', '：', '！', '？', '（', '）', '【', '】', '《', '》', '「', '」', '“', '”', '\u3000':
		return true
	}
	return r < 0x20
}

func trimLink(s string) string {
	for s != "" {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?*_~]}", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}

// PendingPreviews returns messages waiting for their link previews, oldest
// first, at most limit. It is the work queue of the preview fetcher, kept in
// the database so that a restart loses none. Errors: Unavailable.
func (s *Service) PendingPreviews(ctx context.Context, limit int) ([]Message, error) {
	ms, err := s.store.PendingPreviews(ctx, limit)
	if err != nil {
		return nil, errs.E("chat.PendingPreviews", errs.Other, "", err)
	}
	return ms, nil
}

// SetPreviews stores the previews fetched for a message whose text was
// text, takes it off the queue and tells its channel (message.updated).
// When the message was edited since (its text differs) nothing is stored
// and it stays queued, to be fetched again for the new text; a hidden or
// vanished message is just taken off the queue. Errors: Unavailable.
func (s *Service) SetPreviews(ctx context.Context, org, id int64, text string, ps []LinkPreview) error {
	const op = "chat.SetPreviews"
	return s.update(ctx, op, func(tx Tx) error {
		msg, err := tx.Message(ctx, org, id)
		if errs.Is(err, errs.NotFound) {
			return tx.DequeuePreviews(ctx, id)
		}
		if err != nil {
			return err
		}
		if msg.Text != text {
			return nil
		}
		if err := tx.DequeuePreviews(ctx, id); err != nil {
			return err
		}
		if msg.Hidden() || samePreviews(msg.Previews, ps) {
			return nil
		}
		if err := tx.SetPreviews(ctx, msg.Org, msg.ID, ps); err != nil {
			return err
		}
		msg.Previews = ps
		return s.emit(ctx, tx, event.Event{Org: msg.Org, Channel: msg.Channel, Type: "message.updated"}, msg)
	})
}

func samePreviews(a, b []LinkPreview) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// queuePreviews puts a message on the preview queue when its text has links
// or, after an edit, when it had previews that may now be stale, provided
// the organisation has previews on.
func (s *Service) queuePreviews(ctx context.Context, tx Tx, msg Message) error {
	if len(msg.Previews) == 0 && !hasScheme(msg.Text) {
		return nil
	}
	org, err := tx.Org(ctx, msg.Org)
	if err != nil {
		return err
	}
	if !org.LinkPreviews {
		return nil
	}
	return tx.QueuePreviews(ctx, msg.Org, msg.ID, s.now())
}

func hasScheme(text string) bool { return indexScheme(text) >= 0 }
