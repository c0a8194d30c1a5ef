// Package unfurl owns link previews: fetching the pages linked from
// messages with a client that cannot be turned against the server's own
// networks (SSRF), reading their title, description and site name, caching
// them per organisation, and the background workers that attach previews
// to messages after they are posted (see docs/api.md and ADR 0009).
package unfurl

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
)

// Cached is the remembered result of fetching one URL in one organisation:
// a preview (OK) or a failure, so that a dead link is not fetched at every
// post.
type Cached struct {
	URL         string
	OK          bool
	Title       string
	Description string
	SiteName    string
	FetchedAt   time.Time
}

// Store caches fetches. CachedPreview returns NotFound for a URL never
// fetched; both return Unavailable on database errors.
type Store interface {
	CachedPreview(ctx context.Context, org int64, url string) (Cached, error)
	CachePreview(ctx context.Context, org int64, c Cached) error
	// PruneCachedPreviews deletes what was fetched before a time.
	PruneCachedPreviews(ctx context.Context, before time.Time) (int64, error)
}

// Messages is the chat side: the queue of messages waiting for previews,
// and storing them (which tells the channel). chat.Service implements it.
type Messages interface {
	PendingPreviews(ctx context.Context, limit int) ([]chat.Message, error)
	SetPreviews(ctx context.Context, org, id int64, text string, ps []chat.LinkPreview) error
}

var _ Messages = (*chat.Service)(nil)

// Config tunes the Service. The zero value is usable.
type Config struct {
	Workers  int           // pages fetched at once; default 4
	Poll     time.Duration // how often the queue is looked at when idle; default 1s
	CacheTTL time.Duration // a preview is fetched again after this; default 24h
	FailTTL  time.Duration // a failed fetch is retried after this; default 1h
}

// Service attaches previews to queued messages.
type Service struct {
	client *Client
	msgs   Messages
	store  Store
	cfg    Config
	now    func() time.Time
	log    *slog.Logger

	mu       sync.Mutex
	inFlight map[flightKey]*flight // fetches under way, shared by messages with the same link
}

type flightKey struct {
	org int64
	url string
}

// flight is one fetch that other workers wanting the same URL wait for.
type flight struct {
	done chan struct{}
	c    Cached
	err  error
}

// NewService returns a preview service. With a nil client nothing is
// fetched: queued messages are taken off the queue without previews (the
// server's --link-previews=false).
func NewService(c *Client, msgs Messages, st Store, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 24 * time.Hour
	}
	if cfg.FailTTL <= 0 {
		cfg.FailTTL = time.Hour
	}
	return &Service{client: c, msgs: msgs, store: st, cfg: cfg, now: now, log: log, inFlight: map[flightKey]*flight{}}
}

// Run works through the queue until ctx ends: a batch at a time, each
// message on one of Workers goroutines, then a look at the queue every
// Poll while it is empty (or after a database error). Hourly it prunes the
// cache.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if now := s.now(); now.Sub(pruned) >= time.Hour {
			pruned = now
			if err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("link preview cache", "err", err)
			}
		}
		n, err := s.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			s.log.Warn("link previews", "err", err)
			t.Reset(s.cfg.Poll)
		case n == 0:
			t.Reset(s.cfg.Poll)
		default:
			t.Reset(0)
		}
	}
}

// Prune deletes cached fetches older than the cache's lifetime: they would
// be fetched again anyway, and without pruning every URL ever posted would
// stay in the database.
func (s *Service) Prune(ctx context.Context) error {
	n, err := s.store.PruneCachedPreviews(ctx, s.now().Add(-max(s.cfg.CacheTTL, s.cfg.FailTTL)))
	if n > 0 {
		s.log.Info("pruned link preview cache", "count", n)
	}
	return err
}

// RunOnce processes one batch of queued messages and reports how many it
// took. Messages are taken off the queue only when their previews are
// stored, so an error leaves them for the next batch.
func (s *Service) RunOnce(ctx context.Context) (int, error) {
	ms, err := s.msgs.PendingPreviews(ctx, s.cfg.Workers*4)
	if err != nil || len(ms) == 0 {
		return 0, err
	}
	sem := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errList []error
	for _, m := range ms {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.unfurl(ctx, m); err != nil {
				mu.Lock()
				errList = append(errList, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return len(ms), errors.Join(errList...)
}

// unfurl previews the links of one message and stores the result.
func (s *Service) unfurl(ctx context.Context, m chat.Message) error {
	ps := []chat.LinkPreview{}
	if !m.Hidden() {
		for _, link := range chat.Links(m.Text) {
			p, ok, err := s.Preview(ctx, m.Org, link)
			if err != nil {
				return err
			}
			if ok {
				ps = append(ps, p)
			}
		}
	}
	return s.msgs.SetPreviews(ctx, m.Org, m.ID, m.Text, ps)
}

// Preview returns the preview of a URL for an organisation, from the cache
// when fresh, otherwise fetched (and cached, success or failure). ok is
// false when the page could not be fetched or says nothing worth showing;
// err is only for database errors. Workers wanting the same URL at the same
// time share one lookup and fetch, so a link posted in many messages at once
// is fetched once.
func (s *Service) Preview(ctx context.Context, org int64, link string) (p chat.LinkPreview, ok bool, err error) {
	if s.client == nil {
		return chat.LinkPreview{}, false, nil
	}
	k := flightKey{org, link}
	s.mu.Lock()
	if f, found := s.inFlight[k]; found {
		s.mu.Unlock()
		select {
		case <-f.done:
			return preview(f.c), f.c.OK, f.err
		case <-ctx.Done():
			return chat.LinkPreview{}, false, ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	s.inFlight[k] = f
	s.mu.Unlock()
	f.c, f.err = s.lookup(ctx, org, link)
	s.mu.Lock()
	delete(s.inFlight, k) // only once the result is in the cache
	s.mu.Unlock()
	close(f.done)
	return preview(f.c), f.c.OK, f.err
}

// lookup returns the cached result when fresh, or fetches and caches it.
func (s *Service) lookup(ctx context.Context, org int64, link string) (Cached, error) {
	c, err := s.store.CachedPreview(ctx, org, link)
	switch {
	case err == nil:
		ttl := s.cfg.CacheTTL
		if !c.OK {
			ttl = s.cfg.FailTTL
		}
		if s.now().Sub(c.FetchedAt) < ttl {
			return c, nil
		}
	case !errs.Is(err, errs.NotFound):
		return Cached{}, err
	}
	c = s.fetch(ctx, link)
	if ctx.Err() != nil {
		return Cached{}, ctx.Err() // shutting down: not a verdict on the link
	}
	if err := s.store.CachePreview(ctx, org, c); err != nil {
		return Cached{}, err
	}
	return c, nil
}

func preview(c Cached) chat.LinkPreview {
	return chat.LinkPreview{URL: c.URL, Title: c.Title, Description: c.Description, SiteName: c.SiteName}
}

// fetch gets and parses one page; failures are results, logged at debug
// level (they are the linked site's business, not the operator's).
func (s *Service) fetch(ctx context.Context, link string) Cached {
	c := Cached{URL: link, FetchedAt: s.now()}
	if s.client == nil {
		return c
	}
	page, err := s.client.Get(ctx, link)
	if err != nil {
		s.log.Debug("link preview not fetched", "url", link, "err", err)
		return c
	}
	meta := ParseMeta(page.Body, page.ContentType, page.URL)
	if meta.Title == "" && meta.Description == "" {
		return c
	}
	c.OK, c.Title, c.Description, c.SiteName = true, meta.Title, meta.Description, meta.SiteName
	return c
}
