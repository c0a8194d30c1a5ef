package search

import (
	"context"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
)

// Filter is a message search as the store runs it. Who may read what is
// decided by the Service and passed in: the channels the searcher is a
// member of, and whether the organisation's public channels are readable too.
type Filter struct {
	Org      int64
	Match    string  // FTS5 expression that matching messages satisfy; "" for none
	NotMatch string  // FTS5 expression that matching messages must not satisfy; "" for none
	Channels []int64 // readable as a member
	Public   bool    // the organisation's public channels are readable too
	In       []int64 // when not nil, only these channels
	Authors  []int64 // when not nil, only these authors
	Since    time.Time
	Until    time.Time // exclusive
	Thread   bool      // replies and thread roots with replies only
	HasFile  bool      // messages carrying files only
	BeforeID int64     // cursor: messages with a smaller id
	Limit    int
}

// Store is what the search service needs from persistence. Every method
// returns Unavailable on database errors.
type Store interface {
	UserChannelIDs(ctx context.Context, org, user int64) ([]int64, error)
	UsersByUsername(ctx context.Context, org int64, usernames []string) ([]account.User, error)
	// ChannelsByName returns the channels with these (lower-case) names.
	ChannelsByName(ctx context.Context, org int64, names []string) ([]chat.Channel, error)
	// SearchMessages returns visible (not deleted, not recalled) messages
	// matching f, newest first.
	SearchMessages(ctx context.Context, f Filter) ([]chat.Message, error)
	// SearchWindow returns the newest f.Limit visible messages matching
	// f.Match (set) as ranking candidates, newest first.
	SearchWindow(ctx context.Context, f Filter) ([]Candidate, error)
	// MessagesByID returns the organisation's messages with these ids, in
	// any order, skipping missing ones.
	MessagesByID(ctx context.Context, org int64, ids []int64) ([]chat.Message, error)
}

// Sort orders results.
type Sort string

// Sort orders.
const (
	ByRelevance Sort = "relevance"
	ByDate      Sort = "date"
)

// Options page and order a search.
type Options struct {
	Sort     Sort
	Limit    int
	Cursor   string
	Location *time.Location // dates in the query are days in this zone; default UTC
}

// Hit is one matching message with its highlighted snippet.
type Hit struct {
	Message chat.Message
	Snippet []Segment
}

// Results is a page of hits; NextCursor is "" on the last page.
type Results struct {
	Hits       []Hit
	NextCursor string
}

// RankWindow is how many of the newest matches relevance ranks (in Go, see
// Rank). Ranking every match of a common word would grow with the history;
// in chat the newest matches are also the likeliest wanted. Sorting by
// date, or narrowing with from:, in: or dates, reaches older ones.
const RankWindow = 2000

// maxOffset bounds relevance paging: past it, results are better found by
// a narrower query or by date.
const maxOffset = 1000

// Service searches what a user may read.
type Service struct {
	store Store
}

// NewService returns a search service.
func NewService(st Store) *Service { return &Service{store: st} }

// Messages searches the messages the actor may read: those of channels they
// are a member of and, unless they are a guest, of the organisation's public
// channels. Errors: Invalid (search_query_required, cursor_invalid,
// sort_invalid and the codes of Parse), Unavailable.
func (s *Service) Messages(ctx context.Context, actor account.Actor, raw string, o Options) (Results, error) {
	const op = "search.Messages"
	q, err := Parse(raw)
	if err != nil {
		return Results{}, err
	}
	if q.IsEmpty() {
		return Results{}, errs.New(op, errs.Invalid, "search_query_required")
	}
	if o.Limit <= 0 || o.Limit > 200 {
		o.Limit = 20
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	f := Filter{Org: actor.Org, Match: q.Match(), NotMatch: q.NotMatch(), Public: chat.ReadsPublicChannels(actor),
		Thread: q.Thread, Limit: o.Limit}
	var byDate bool
	var offset int
	switch o.Sort {
	case "", ByRelevance:
		byDate = f.Match == "" // nothing to rank by: newest first
	case ByDate:
		byDate = true
	default:
		return Results{}, errs.New(op, errs.Invalid, "sort_invalid")
	}
	if o.Cursor != "" {
		n, err := strconv.ParseInt(o.Cursor[1:], 10, 64)
		switch {
		case err != nil || n < 0:
			return Results{}, errs.New(op, errs.Invalid, "cursor_invalid")
		case o.Cursor[0] == 'd' && byDate:
			f.BeforeID = n
		case o.Cursor[0] == 'r' && !byDate && n <= maxOffset:
			offset = int(n)
		default:
			return Results{}, errs.New(op, errs.Invalid, "cursor_invalid")
		}
	}
	empty := Results{Hits: []Hit{}}
	f.HasFile = q.HasFile
	switch {
	case !q.On.IsZero():
		f.Since, f.Until = q.On.Start(o.Location), q.On.Start(o.Location).AddDate(0, 0, 1)
	}
	if !q.After.IsZero() {
		if t := q.After.Start(o.Location).AddDate(0, 0, 1); t.After(f.Since) {
			f.Since = t
		}
	}
	if !q.Before.IsZero() {
		if t := q.Before.Start(o.Location); f.Until.IsZero() || t.Before(f.Until) {
			f.Until = t
		}
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return empty, nil
	}
	if len(q.From) > 0 {
		us, err := s.store.UsersByUsername(ctx, actor.Org, q.From)
		if err != nil {
			return Results{}, errs.E(op, errs.Other, "", err)
		}
		if len(us) == 0 {
			return empty, nil
		}
		f.Authors = []int64{}
		for _, u := range us {
			f.Authors = append(f.Authors, u.ID)
		}
	}
	if len(q.In) > 0 {
		cs, err := s.store.ChannelsByName(ctx, actor.Org, q.In)
		if err != nil {
			return Results{}, errs.E(op, errs.Other, "", err)
		}
		if len(cs) == 0 {
			return empty, nil
		}
		f.In = []int64{}
		for _, c := range cs {
			f.In = append(f.In, c.ID)
		}
	}
	var scope []string
	if f.In != nil {
		scope = append(scope, Scope('c', f.In))
	}
	if f.Authors != nil {
		scope = append(scope, Scope('a', f.Authors))
	}
	if f.Match = q.MatchWith(scope); f.Match != "" {
		f.NotMatch = ""
	}
	if f.Channels, err = s.store.UserChannelIDs(ctx, actor.Org, actor.User); err != nil {
		return Results{}, errs.E(op, errs.Other, "", err)
	}
	if f.Channels == nil {
		f.Channels = []int64{}
	}
	var ms []chat.Message
	more := false
	if byDate {
		ms, err = s.store.SearchMessages(ctx, f)
		more = len(ms) == f.Limit
	} else {
		ms, more, err = s.ranked(ctx, f, q.Must, offset)
	}
	if err != nil {
		return Results{}, errs.E(op, errs.Other, "", err)
	}
	res := Results{Hits: make([]Hit, len(ms))}
	for i, m := range ms {
		res.Hits[i] = Hit{Message: m.Redacted(), Snippet: Snippet(m.Text, q.Highlight)}
	}
	if more {
		if byDate {
			res.NextCursor = "d" + strconv.FormatInt(ms[len(ms)-1].ID, 10)
		} else if next := offset + f.Limit; next <= maxOffset {
			res.NextCursor = "r" + strconv.Itoa(next)
		}
	}
	return res, nil
}

// ranked returns the page at offset of the newest RankWindow matches of f
// ordered by relevance to the phrases: the candidates' texts come from the
// store in one query, are ranked in Go, and only the page's messages are
// then loaded in full. more reports whether the window goes on after the
// page.
func (s *Service) ranked(ctx context.Context, f Filter, phrases []Phrase, offset int) ([]chat.Message, bool, error) {
	limit := f.Limit
	f.Limit = RankWindow
	cands, err := s.store.SearchWindow(ctx, f)
	if err != nil {
		return nil, false, err
	}
	cands = Rank(cands, phrases)
	if offset >= len(cands) {
		return []chat.Message{}, false, nil
	}
	more := offset+limit < len(cands)
	cands = cands[offset:min(offset+limit, len(cands))]
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.ID
	}
	found, err := s.store.MessagesByID(ctx, f.Org, ids)
	if err != nil {
		return nil, false, err
	}
	byID := make(map[int64]chat.Message, len(found))
	for _, m := range found {
		byID[m.ID] = m
	}
	ms := make([]chat.Message, 0, len(ids))
	for _, id := range ids {
		// A message hidden since the window was read is left out.
		if m, ok := byID[id]; ok && !m.Hidden() {
			ms = append(ms, m)
		}
	}
	return ms, more, nil
}
