package file

import (
	"bytes"
	"context"
	"image"

	"github.com/parley-chat/parley/internal/errs"
)

// Thumbnail is a re-encoded small copy of an image.
type Thumbnail struct {
	Data          []byte
	ContentType   string // image/jpeg or image/png
	Width, Height int
}

// Thumbnail makes a thumbnail of an image that is not an upload (a link
// preview's og:image), with the same checks and code as uploads: the type
// is sniffed from the bytes (PNG, JPEG, GIF or WebP), the header's
// dimensions are checked against MaxImagePixels (and GIF frames counted)
// before anything is decoded, decodes take turns with uploads' (one at a
// time), and the result is always re-encoded, never the original bytes.
// Errors: Invalid (image_invalid: another type, or it does not decode),
// TooLarge (image_too_large, image_too_many_frames), Unavailable (ctx ended).
func (s *Service) Thumbnail(ctx context.Context, data []byte) (Thumbnail, error) {
	const op = "file.Thumbnail"
	ct, _, err := sniff(op, "", data[:min(len(data), 512)])
	if err != nil {
		return Thumbnail{}, err
	}
	if previews[ct] != PreviewImage {
		return Thumbnail{}, errs.New(op, errs.Invalid, "image_invalid")
	}
	r := bytes.NewReader(data)
	info, err := checkImage(op, ct, r)
	if err != nil {
		return Thumbnail{}, err
	}
	select {
	case s.decode <- struct{}{}:
	case <-ctx.Done():
		return Thumbnail{}, errs.E(op, errs.Unavailable, "", ctx.Err())
	}
	out, outType, ok := thumbnail(ct, r, info.Orientation)
	<-s.decode
	if !ok {
		return Thumbnail{}, errs.New(op, errs.Invalid, "image_invalid")
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(out))
	if err != nil {
		return Thumbnail{}, errs.E(op, errs.Invalid, "image_invalid", err)
	}
	return Thumbnail{Data: out, ContentType: outType, Width: cfg.Width, Height: cfg.Height}, nil
}
