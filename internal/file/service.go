package file

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/blob"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
)

// Service implements the file use cases.
type Service struct {
	store    Store
	blobs    Blobs
	channels Channels
	tmpDir   string // uploads are spooled here before they are checked and stored
	now      func() time.Time
	// decode admits one image decode at a time: with MaxImagePixels it
	// bounds the memory thumbnails can take, whatever arrives at once.
	decode chan struct{}
}

// NewService returns a file service. Uploads are spooled in tmpDir, an
// existing directory (the data directory's tmp folder).
func NewService(st Store, blobs Blobs, channels Channels, tmpDir string, now func() time.Time) *Service {
	return &Service{store: st, blobs: blobs, channels: channels, tmpDir: tmpDir, now: now, decode: make(chan struct{}, 1)}
}

// Upload is a file being uploaded.
type Upload struct {
	Name string
	Body io.Reader
	// MinSize, when positive, is a lower bound of the body's size known
	// before reading it (from Content-Length), to refuse what is certainly
	// too large or over quota without reading it.
	MinSize int64
}

// Upload stores a file in a channel the actor may post in. The file is
// private to the actor until a message attaches it (chat.NewMessage.Files).
// Errors: Invalid (file_name_*, file_type_mismatch, image_invalid),
// TooLarge (file_too_large, file_quota_exceeded, image_too_large,
// image_too_many_frames), NotFound (channel_not_found), Permission
// (not_a_member, channel_read_only), Conflict (channel_archived),
// Unavailable.
func (s *Service) Upload(ctx context.Context, actor account.Actor, channelID int64, up Upload) (File, error) {
	const op = "file.Upload"
	name, err := CleanName(op, up.Name)
	if err != nil {
		return File{}, err
	}
	ch, m, err := s.channels.Access(ctx, actor, channelID)
	if err != nil {
		return File{}, err
	}
	if m == nil {
		return File{}, errs.New(op, errs.Permission, "not_a_member")
	}
	if ch.Archived {
		return File{}, errs.New(op, errs.Conflict, "channel_archived")
	}
	if !m.CanPost(ch) {
		return File{}, errs.New(op, errs.Permission, "channel_read_only")
	}
	org, err := s.store.Org(ctx, actor.Org)
	if err != nil {
		return File{}, errs.E(op, errs.Other, "", err)
	}
	if up.MinSize > org.FileMaxBytes {
		return File{}, tooLarge(op, org.FileMaxBytes)
	}
	// Refuse early what cannot fit; the insert checks again.
	if err := quota(ctx, op, s.store, actor, org, up.MinSize); err != nil {
		return File{}, err
	}

	spool, err := os.CreateTemp(s.tmpDir, "upload-*")
	if err != nil {
		return File{}, errs.E(op, errs.Unavailable, "", err)
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(spool, h), io.LimitReader(up.Body, org.FileMaxBytes+1))
	if err != nil {
		if errs.KindOf(err) != errs.Other {
			return File{}, err // the transport's own error (a body over its limit)
		}
		return File{}, errs.E(op, errs.Invalid, "upload_incomplete", err)
	}
	if n > org.FileMaxBytes {
		return File{}, tooLarge(op, org.FileMaxBytes)
	}
	head := make([]byte, 512)
	k, _ := spool.ReadAt(head, 0)
	ct, preview, err := sniff(op, name, head[:k])
	if err != nil {
		return File{}, err
	}
	f := File{Org: actor.Org, Channel: ch.ID, Uploader: actor.User, Name: name, ContentType: ct, Size: n,
		SHA256: hex.EncodeToString(h.Sum(nil)), Preview: preview, CreatedAt: s.now()}
	var thumb []byte
	var thumbType string
	if preview == PreviewImage {
		info, err := checkImage(op, ct, spool)
		if err != nil {
			return File{}, err
		}
		f.Width, f.Height = info.Width, info.Height
		select {
		case s.decode <- struct{}{}:
		case <-ctx.Done():
			return File{}, errs.E(op, errs.Unavailable, "", ctx.Err())
		}
		var ok bool
		thumb, thumbType, ok = thumbnail(ct, spool, info.Orientation)
		<-s.decode
		if !ok {
			thumb = nil
		}
	}

	f.Key = newKey(actor.Org)
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return File{}, errs.E(op, errs.Unavailable, "", err)
	}
	if err := s.blobs.Put(ctx, f.Key, spool, n); err != nil {
		return File{}, errs.E(op, errs.Other, "", err)
	}
	stored := []string{f.Key}
	cleanup := func() {
		for _, k := range stored {
			s.blobs.Delete(context.WithoutCancel(ctx), k)
		}
	}
	if thumb != nil {
		f.ThumbKey = f.Key + "-thumb" + thumbExt[thumbType]
		if err := s.blobs.Put(ctx, f.ThumbKey, bytes.NewReader(thumb), int64(len(thumb))); err != nil {
			cleanup()
			return File{}, errs.E(op, errs.Other, "", err)
		}
		stored = append(stored, f.ThumbKey)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		org, err := tx.Org(ctx, actor.Org)
		if err != nil {
			return err
		}
		if err := quota(ctx, op, tx, actor, org, n); err != nil {
			return err
		}
		f, err = tx.InsertFile(ctx, f)
		return err
	})
	if err != nil {
		cleanup()
		return File{}, errs.E(op, errs.Other, "", err)
	}
	return f, nil
}

// usage is the part of Store and Tx quota checks read.
type usage interface {
	UploadedBytes(ctx context.Context, org, user int64) (int64, error)
}

var thumbExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png"}

// ThumbType is the content type of a thumbnail, from its key.
func ThumbType(key string) string {
	if strings.HasSuffix(key, ".png") {
		return "image/png"
	}
	return "image/jpeg"
}

func tooLarge(op string, max int64) error {
	return errs.New(op, errs.TooLarge, "file_too_large").With("max", humanSize(max))
}

func quota(ctx context.Context, op string, tx usage, actor account.Actor, org account.Org, size int64) error {
	used, err := tx.UploadedBytes(ctx, actor.Org, actor.User)
	if err != nil {
		return err
	}
	if used+size > org.FileQuotaBytes {
		max, used := humanSize(org.FileQuotaBytes), humanSize(used)
		return errs.New(op, errs.TooLarge, "file_quota_exceeded").With("max", max).With("used", used)
	}
	return nil
}

// humanSize renders a byte count for error messages: "100 MB".
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "B"
}

// newKey returns a fresh random blob key in the organisation's prefix.
func newKey(org int64) string {
	var b [16]byte
	rand.Read(b[:])
	return strconv.FormatInt(org, 10) + "/" + hex.EncodeToString(b[:])
}

// readable loads a file and checks the actor may read it: the uploader
// always (until it is attached only they may); once attached, whoever may
// read its channel, unless the message was deleted or recalled, when only
// organisation admins still may. A file the actor may not read is NotFound.
func (s *Service) readable(ctx context.Context, op string, actor account.Actor, id int64) (File, error) {
	f, err := s.store.File(ctx, actor.Org, id)
	if err != nil {
		return File{}, errs.E(op, errs.Other, "file_not_found", err)
	}
	switch {
	case f.Message == 0:
		if f.Uploader != actor.User {
			return File{}, errs.New(op, errs.NotFound, "file_not_found")
		}
		return f, nil
	case f.MessageHidden && !actor.IsAdmin():
		return File{}, errs.New(op, errs.NotFound, "file_not_found")
	}
	if _, _, err := s.channels.Access(ctx, actor, f.Channel); err != nil {
		if errs.Is(err, errs.NotFound) {
			return File{}, errs.New(op, errs.NotFound, "file_not_found")
		}
		return File{}, err
	}
	return f, nil
}

// File returns a file's metadata. Errors: NotFound (file_not_found),
// Unavailable.
func (s *Service) File(ctx context.Context, actor account.Actor, id int64) (File, error) {
	return s.readable(ctx, "file.File", actor, id)
}

// Open returns a file's metadata and its content, which the caller closes.
// Errors: as File.
func (s *Service) Open(ctx context.Context, actor account.Actor, id int64) (File, blob.Object, error) {
	const op = "file.Open"
	f, err := s.readable(ctx, op, actor, id)
	if err != nil {
		return File{}, nil, err
	}
	o, err := s.blobs.Open(ctx, f.Key)
	if err != nil {
		return File{}, nil, errs.E(op, errs.Other, "", err)
	}
	return f, o, nil
}

// OpenThumbnail returns a file's metadata and its thumbnail. Errors: as
// File, and NotFound (file_no_thumbnail).
func (s *Service) OpenThumbnail(ctx context.Context, actor account.Actor, id int64) (File, blob.Object, error) {
	const op = "file.OpenThumbnail"
	f, err := s.readable(ctx, op, actor, id)
	if err != nil {
		return File{}, nil, err
	}
	if f.ThumbKey == "" {
		return File{}, nil, errs.New(op, errs.NotFound, "file_no_thumbnail")
	}
	o, err := s.blobs.Open(ctx, f.ThumbKey)
	if err != nil {
		return File{}, nil, errs.E(op, errs.Other, "", err)
	}
	return f, o, nil
}

// Page is a page of files, newest first; NextBefore is the cursor of the
// next page (0 on the last).
type Page struct {
	Files      []File
	NextBefore int64
}

// ChannelFiles lists the files of a channel the actor may read: those
// attached to messages that are not deleted or recalled, newest first.
// Errors: NotFound (channel_not_found), Invalid (cursor_invalid),
// Unavailable.
func (s *Service) ChannelFiles(ctx context.Context, actor account.Actor, channelID, before int64, limit int) (Page, error) {
	const op = "file.ChannelFiles"
	ch, _, err := s.channels.Access(ctx, actor, channelID)
	if err != nil {
		return Page{}, err
	}
	return s.search(ctx, op, SearchFilter{Org: actor.Org, User: actor.User, Public: chat.ReadsPublicChannels(actor),
		Channel: ch.ID, BeforeID: before, Limit: limit})
}

// MaxQueryLen bounds a file-name search.
const MaxQueryLen = 200

// Search finds files by name (a case-insensitive substring) in the
// channels the actor may read, newest first. Errors: Invalid
// (search_query_required, search_query_too_long, query_invalid_characters,
// cursor_invalid), Unavailable.
func (s *Service) Search(ctx context.Context, actor account.Actor, query string, before int64, limit int) (Page, error) {
	const op = "file.Search"
	q := strings.TrimSpace(query)
	switch {
	case q == "":
		return Page{}, errs.New(op, errs.Invalid, "search_query_required")
	case len([]rune(q)) > MaxQueryLen:
		return Page{}, errs.New(op, errs.Invalid, "search_query_too_long").With("max", MaxQueryLen)
	}
	for _, r := range q {
		if account.IsForbiddenRune(r, false) {
			return Page{}, errs.New(op, errs.Invalid, "query_invalid_characters")
		}
	}
	return s.search(ctx, op, SearchFilter{Org: actor.Org, User: actor.User, Public: chat.ReadsPublicChannels(actor),
		Name: strings.ToLower(q), BeforeID: before, Limit: limit})
}

func (s *Service) search(ctx context.Context, op string, f SearchFilter) (Page, error) {
	if f.BeforeID < 0 {
		return Page{}, errs.New(op, errs.Invalid, "cursor_invalid")
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	want := f.Limit
	f.Limit++
	fs, err := s.store.SearchFiles(ctx, f)
	if err != nil {
		return Page{}, errs.E(op, errs.Other, "", err)
	}
	p := Page{Files: fs}
	if len(fs) > want {
		p.Files = fs[:want]
		p.NextBefore = p.Files[want-1].ID
	}
	return p, nil
}

// Delete deletes an upload that no message attached yet (a file removed
// from the composer before sending), by its uploader. Attached files go
// with their message (delete or recall it). Errors: NotFound
// (file_not_found), Permission (not_uploader), Conflict
// (file_already_attached), Unavailable.
func (s *Service) Delete(ctx context.Context, actor account.Actor, id int64) error {
	const op = "file.Delete"
	f, err := s.readable(ctx, op, actor, id)
	if err != nil {
		return err
	}
	if f.Uploader != actor.User {
		return errs.New(op, errs.Permission, "not_uploader")
	}
	if f.Message != 0 {
		return errs.New(op, errs.Conflict, "file_already_attached")
	}
	var deleted bool
	if err := s.store.Update(ctx, func(tx Tx) error {
		deleted, err = tx.DeleteFile(ctx, actor.Org, f.ID)
		return err
	}); err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	if !deleted {
		return errs.New(op, errs.Conflict, "file_already_attached")
	}
	for _, k := range []string{f.Key, f.ThumbKey} {
		if k != "" {
			if err := s.blobs.Delete(ctx, k); err != nil {
				return errs.E(op, errs.Other, "", err)
			}
		}
	}
	return nil
}

// Sweep deletes the files that no message attached within PendingTTL of
// their upload (a client that uploaded and never sent), rows first and then
// their blobs, so that a file is never listed without its bytes. It returns
// how many files it deleted. A blob whose deletion fails is logged by the
// caller's error and left behind: it is unreachable, never served.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	const op = "file.Sweep"
	n := 0
	for {
		var fs []File
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			fs, err = tx.DeleteUnattached(ctx, s.now().Add(-PendingTTL), 500)
			return err
		})
		if err != nil {
			return n, errs.E(op, errs.Other, "", err)
		}
		var berr error
		for _, f := range fs {
			for _, k := range []string{f.Key, f.ThumbKey} {
				if k == "" {
					continue
				}
				if err := s.blobs.Delete(ctx, k); err != nil && berr == nil {
					berr = errs.E(op, errs.Other, "", err)
				}
			}
		}
		n += len(fs)
		if berr != nil {
			return n, berr
		}
		if len(fs) < 500 {
			return n, nil
		}
	}
}

// Run sweeps unattached uploads hourly until ctx ends.
func (s *Service) Run(ctx context.Context, log func(deleted int, err error)) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.Sweep(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if n > 0 || err != nil {
			log(n, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
