// Package unfurl owns link previews: fetching the pages linked from
// messages with a client that cannot be turned against the server's own
// networks (SSRF), reading their title, description and site name, caching
// them per organisation, and the background workers that attach previews
// to messages after they are posted (see docs/api.md and ADR 0009).
package unfurl

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/file"
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
	// Image is the name of the re-encoded og:image in the blob store (see
	// imageKey); "" when none.
	Image                   string
	ImageWidth, ImageHeight int
	FetchedAt               time.Time
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
	// Images makes and keeps preview images; without both parts previews
	// have none.
	Images Images
}

// Images is where preview images are re-encoded and kept.
type Images struct {
	Thumbnails Thumbnailer
	Blobs      Blobs
}

// Thumbnailer re-encodes an untrusted image to a small one, refusing pixel
// bombs before decoding; file.Service implements it (the uploads' own
// checks and code).
type Thumbnailer interface {
	Thumbnail(ctx context.Context, data []byte) (file.Thumbnail, error)
}

var _ Thumbnailer = (*file.Service)(nil)

// Blobs keeps preview images; blob.Disk and s3blob implement it.
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	Open(ctx context.Context, key string) (blob.Object, error)
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
	c = s.fetch(ctx, org, link)
	if ctx.Err() != nil {
		return Cached{}, ctx.Err() // shutting down: not a verdict on the link
	}
	if err := s.store.CachePreview(ctx, org, c); err != nil {
		return Cached{}, err
	}
	return c, nil
}

func preview(c Cached) chat.LinkPreview {
	return chat.LinkPreview{URL: c.URL, Title: c.Title, Description: c.Description, SiteName: c.SiteName,
		Image: c.Image, ImageWidth: c.ImageWidth, ImageHeight: c.ImageHeight}
}

// fetch gets and parses one page; failures are results, logged at debug
// level (they are the linked site's business, not the operator's).
func (s *Service) fetch(ctx context.Context, org int64, link string) Cached {
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
	if meta.Image != "" && s.cfg.Images.Thumbnails != nil && s.cfg.Images.Blobs != nil {
		img, err := s.image(ctx, org, meta.Image)
		if err != nil {
			// The preview is still worth showing without its image.
			s.log.Debug("link preview image not kept", "url", meta.Image, "err", err)
		} else {
			c.Image, c.ImageWidth, c.ImageHeight = img.name, img.width, img.height
		}
	}
	return c
}

type keptImage struct {
	name          string
	width, height int
}

// image fetches an og:image with the same client (same refusals, every
// redirect checked, image types only, MaxImageBytes), re-encodes it to a
// thumbnail with the uploads' bounded decoder and keeps it in the blob
// store under a random name: the name is the only way to it, and only
// members of the organisation can use it (OpenImage).
func (s *Service) image(ctx context.Context, org int64, link string) (keptImage, error) {
	data, err := s.client.GetImage(ctx, link)
	if err != nil {
		return keptImage{}, err
	}
	th, err := s.cfg.Images.Thumbnails.Thumbnail(ctx, data)
	if err != nil {
		return keptImage{}, err
	}
	var b [16]byte
	rand.Read(b[:])
	name := hex.EncodeToString(b[:]) + imageExt[th.ContentType]
	if err := s.cfg.Images.Blobs.Put(ctx, imageKey(org, name), bytes.NewReader(th.Data), int64(len(th.Data))); err != nil {
		return keptImage{}, err
	}
	return keptImage{name, th.Width, th.Height}, nil
}

var imageExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png"}

// imageKey is where an organisation's preview image is kept: the
// organisation is part of the key, so a name from one organisation opens
// nothing in another.
func imageKey(org int64, name string) string {
	return fmt.Sprintf("previews/%d/%s", org, name)
}

// validImageName reports whether name is one image() makes: 32 hex digits
// and .jpg or .png.
func validImageName(name string) bool {
	base, ext, ok := strings.Cut(name, ".")
	if !ok || len(base) != 32 || (ext != "jpg" && ext != "png") {
		return false
	}
	_, err := hex.DecodeString(base)
	return err == nil && strings.ToLower(base) == base
}

// Image is a kept preview image opened for reading.
type Image struct {
	blob.Object
	ContentType string
}

// OpenImage opens a preview image of the actor's organisation by the name
// its preview carries. Any member of the organisation may open it (guests
// included): the name is random and only sent with the messages carrying
// it, so knowing it means having read such a message or been given it.
// Errors: NotFound (preview_image_not_found) for a malformed name, another
// organisation's image or none, Unavailable.
func (s *Service) OpenImage(ctx context.Context, actor account.Actor, name string) (Image, error) {
	const op = "unfurl.OpenImage"
	if !validImageName(name) || s.cfg.Images.Blobs == nil {
		return Image{}, errs.New(op, errs.NotFound, "preview_image_not_found")
	}
	o, err := s.cfg.Images.Blobs.Open(ctx, imageKey(actor.Org, name))
	if errs.Is(err, errs.NotFound) {
		return Image{}, errs.New(op, errs.NotFound, "preview_image_not_found")
	}
	if err != nil {
		return Image{}, errs.E(op, errs.Unavailable, "", err)
	}
	ct := "image/jpeg"
	if strings.HasSuffix(name, ".png") {
		ct = "image/png"
	}
	return Image{Object: o, ContentType: ct}, nil
}
