package httpapi

import (
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/search"
)

// SearchPage is a page of message search results.
type SearchPage struct {
	Results    []SearchResult `json:"results"`
	NextCursor string         `json:"next_cursor"`
}

// SearchResult is one matching message: the client jumps to it in context
// with the channel id and the message's seq.
type SearchResult struct {
	Message   Message          `json:"message"`
	ChannelID int64            `json:"channel_id"`
	Snippet   []SnippetSegment `json:"snippet"`
}

// SnippetSegment is a piece of a snippet, rendered as a text node; matches
// have highlight set.
type SnippetSegment struct {
	Text      string `json:"text"`
	Highlight bool   `json:"highlight"`
}

func (a *API) searchMessages(w http.ResponseWriter, r *http.Request, c call) error {
	qs := r.URL.Query()
	limit := 20
	if qs.Has("limit") {
		var err error
		if limit, err = pageLimit(r); err != nil {
			return err
		}
	}
	loc := time.UTC
	if tz := qs.Get("tz"); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			return errs.New("httpapi.search", errs.Invalid, "time_zone_invalid")
		}
		loc = l
	}
	res, err := a.Search.Messages(r.Context(), c.actor, qs.Get("q"), search.Options{Sort: search.Sort(qs.Get("sort")),
		Limit: limit, Cursor: qs.Get("cursor"), Location: loc})
	if err != nil {
		return err
	}
	page := SearchPage{Results: make([]SearchResult, len(res.Hits)), NextCursor: res.NextCursor}
	for i, h := range res.Hits {
		segs := make([]SnippetSegment, len(h.Snippet))
		for j, s := range h.Snippet {
			segs[j] = SnippetSegment{Text: s.Text, Highlight: s.Highlight}
		}
		page.Results[i] = SearchResult{Message: wireMessage(h.Message), ChannelID: h.Message.Channel, Snippet: segs}
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
