package httpapi

import (
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/file"
)

// File is an uploaded file on the wire.
type File struct {
	ID           int64     `json:"id"`
	ChannelID    int64     `json:"channel_id"`
	MessageID    int64     `json:"message_id"`
	UploaderID   int64     `json:"uploader_id"`
	Name         string    `json:"name"`
	ContentType  string    `json:"content_type"`
	Size         int64     `json:"size"`
	Width        int       `json:"width"`
	Height       int       `json:"height"`
	Preview      string    `json:"preview"`
	HasThumbnail bool      `json:"has_thumbnail"`
	URL          string    `json:"url"`
	ThumbnailURL string    `json:"thumbnail_url"`
	CreatedAt    Timestamp `json:"created_at"`
}

// Attachment is a file as a message carries it.
type Attachment struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	ContentType  string `json:"content_type"`
	Size         int64  `json:"size"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	Preview      string `json:"preview"`
	HasThumbnail bool   `json:"has_thumbnail"`
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url"`
}

// FilePage is a page of files, newest first.
type FilePage struct {
	Files      []File `json:"files"`
	NextCursor string `json:"next_cursor"`
}

func fileURLs(id int64, thumb bool) (string, string) {
	base := "/api/v1/files/" + strconv.FormatInt(id, 10)
	if thumb {
		return base + "/content", base + "/thumbnail"
	}
	return base + "/content", ""
}

func wireFile(f file.File) File {
	u, t := fileURLs(f.ID, f.ThumbKey != "")
	return File{ID: f.ID, ChannelID: f.Channel, MessageID: f.Message, UploaderID: f.Uploader, Name: f.Name,
		ContentType: f.ContentType, Size: f.Size, Width: f.Width, Height: f.Height, Preview: string(f.Preview),
		HasThumbnail: f.ThumbKey != "", URL: u, ThumbnailURL: t, CreatedAt: Timestamp(f.CreatedAt)}
}

func wireAttachments(as []chat.Attachment) []Attachment {
	out := make([]Attachment, len(as))
	for i, a := range as {
		u, t := fileURLs(a.ID, a.Thumbnail)
		out[i] = Attachment{ID: a.ID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, Width: a.Width,
			Height: a.Height, Preview: a.Preview, HasThumbnail: a.Thumbnail, URL: u, ThumbnailURL: t}
	}
	return out
}

func wireFilePage(p file.Page) FilePage {
	out := FilePage{Files: make([]File, len(p.Files))}
	for i, f := range p.Files {
		out.Files[i] = wireFile(f)
	}
	if p.NextBefore > 0 {
		out.NextCursor = strconv.FormatInt(p.NextBefore, 10)
	}
	return out
}

// multipartSlack bounds the bytes of a multipart body that are not the
// file (boundaries, part headers, the name): a body longer than the file
// limit by more than this is refused before it is read.
const multipartSlack = 64 << 10

// uploadFile takes one multipart/form-data part named "file"; its
// filename is the file's name. The body is streamed to a spool file, never
// held in memory.
func (a *API) uploadFile(w http.ResponseWriter, r *http.Request, c call) error {
	const op = "httpapi.uploadFile"
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return errs.New(op, errs.Invalid, "multipart_required")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(op, errs.Invalid, "multipart_required", err)
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return errs.E(op, errs.Invalid, "file_part_missing", err)
		}
		if part.FormName() != "file" {
			part.Close()
			continue
		}
		var minSize int64
		if r.ContentLength > multipartSlack {
			minSize = r.ContentLength - multipartSlack
		}
		f, err := a.Files.Upload(r.Context(), c.actor, id, file.Upload{Name: partFileName(part), Body: part, MinSize: minSize})
		part.Close()
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, wireFile(f))
		return nil
	}
}

// partFileName is the filename parameter of a part, as sent: unlike
// Part.FileName it does not strip directories, so that "../../x" is
// refused (file_name_invalid) rather than silently renamed.
func partFileName(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	return params["filename"]
}

func (a *API) getFile(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, err := a.Files.File(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireFile(f))
	return nil
}

func (a *API) deleteFile(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Files.Delete(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// fileCSP keeps a served file from running anything or reaching anything,
// should a browser render it despite its type: no scripts, no plugins, a
// unique origin (sandbox); images, media and styles from the file itself.
const fileCSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox"

// safeHeaders are set on every file response.
func safeHeaders(w http.ResponseWriter, f file.File, inline bool, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", fileCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=86400")
	h.Set("ETag", `"`+f.SHA256+`"`)
	disp := "attachment"
	if inline {
		disp = "inline"
	}
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": f.Name}))
}

// downloadFile serves a file's bytes. Files with a preview (images, video,
// audio, PDF) are served inline with their type, unless ?download=1; all
// others (SVG and HTML among them) always as an attachment of type
// application/octet-stream, so no browser renders them.
func (a *API) downloadFile(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, obj, err := a.Files.Open(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	defer obj.Close()
	inline := f.Preview != file.PreviewNone && r.URL.Query().Get("download") != "1"
	ct := "application/octet-stream"
	if f.Preview != file.PreviewNone {
		ct = f.ContentType
	}
	safeHeaders(w, f, inline, ct)
	http.ServeContent(w, r, "", time.Time(f.CreatedAt), obj)
	return nil
}

func (a *API) fileThumbnail(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	f, obj, err := a.Files.OpenThumbnail(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	defer obj.Close()
	safeHeaders(w, f, true, file.ThumbType(f.ThumbKey))
	w.Header().Set("ETag", `"`+f.SHA256+`-thumb"`)
	http.ServeContent(w, r, "", time.Time(f.CreatedAt), obj)
	return nil
}

// fileCursor parses the cursor of a file page.
func fileCursor(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("cursor")
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, errs.New("httpapi.fileCursor", errs.Invalid, "cursor_invalid")
	}
	return v, nil
}

func (a *API) channelFiles(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	before, err := fileCursor(r)
	if err != nil {
		return err
	}
	p, err := a.Files.ChannelFiles(r.Context(), c.actor, id, before, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireFilePage(p))
	return nil
}

func (a *API) searchFiles(w http.ResponseWriter, r *http.Request, c call) error {
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	before, err := fileCursor(r)
	if err != nil {
		return err
	}
	p, err := a.Files.Search(r.Context(), c.actor, r.URL.Query().Get("q"), before, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireFilePage(p))
	return nil
}
