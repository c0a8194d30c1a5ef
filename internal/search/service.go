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
	ByDate   bool      // newest first; otherwise by relevance (Match must be set)
	BeforeID int64     // ByDate cursor: messages with a smaller id
	Offset   int       // relevance cursor
	Limit    int
	// Window, when positive, ranks by relevance only the newest Window
	// matches (bounding the cost of a common word in a long history).
	Window int
}

// Store is what the search service needs from persistence. Every method
// returns Unavailable on database errors.
type Store interface {
	UserChannelIDs(ctx context.Context, org, user int64) ([]int64, error)
	UsersByUsername(ctx context.Context, org int64, usernames []string) ([]account.User, error)
	// ChannelsByName returns the channels with these (lower-case) names.
	ChannelsByName(ctx context.Context, org int64, names []string) ([]chat.Channel, error)
	// SearchMessages returns visible (not deleted, not recalled) messages
	// matching f, in f's order.
	SearchMessages(ctx context.Context, f Filter) ([]chat.Message, error)
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

// RankWindow is how many of the newest matches relevance ranks. BM25 is
// computed per match, so ranking every match of a common word grows with
// the history; in chat the newest matches are also the likeliest wanted.
// Sorting by date, or narrowing with from:, in: or dates, reaches older ones.
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
		Thread: q.Thread, Limit: o.Limit, Window: RankWindow}
	switch o.Sort {
	case "", ByRelevance:
		f.ByDate = f.Match == "" // nothing to rank by: newest first
	case ByDate:
		f.ByDate = true
	default:
		return Results{}, errs.New(op, errs.Invalid, "sort_invalid")
	}
	if o.Cursor != "" {
		n, err := strconv.ParseInt(o.Cursor[1:], 10, 64)
		switch {
		case err != nil || n < 0:
			return Results{}, errs.New(op, errs.Invalid, "cursor_invalid")
		case o.Cursor[0] == 'd' && f.ByDate:
			f.BeforeID = n
		case o.Cursor[0] == 'r' && !f.ByDate && n <= maxOffset:
			f.Offset = int(n)
		default:
			return Results{}, errs.New(op, errs.Invalid, "cursor_invalid")
		}
	}
	empty := Results{Hits: []Hit{}}
	if q.HasFile {
		return empty, nil // messages carry no files yet
	}
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
	ms, err := s.store.SearchMessages(ctx, f)
	if err != nil {
		return Results{}, errs.E(op, errs.Other, "", err)
	}
	res := Results{Hits: make([]Hit, len(ms))}
	for i, m := range ms {
		res.Hits[i] = Hit{Message: m.Redacted(), Snippet: Snippet(m.Text, q.Highlight)}
	}
	if len(ms) == f.Limit {
		if f.ByDate {
			res.NextCursor = "d" + strconv.FormatInt(ms[len(ms)-1].ID, 10)
		} else if next := f.Offset + f.Limit; next <= maxOffset {
			res.NextCursor = "r" + strconv.Itoa(next)
		}
	}
	return res, nil
}
