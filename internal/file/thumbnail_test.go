package file

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
)

// bombPNG is a valid 1×1 PNG whose header claims w×h pixels: what a
// decompression bomb looks like to DecodeConfig.
func bombPNG(t *testing.T, w, h uint32) []byte {
	data := pngBytes(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	// signature (8), length (4), "IHDR" (4), width, height, ..., CRC
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestServiceThumbnail(t *testing.T) {
	s := NewService(nil, nil, nil, t.TempDir(), nil)
	ctx := context.Background()
	th, err := s.Thumbnail(ctx, pngBytes(t, image.NewGray(image.Rect(0, 0, 800, 200))))
	if err != nil || th.ContentType != "image/jpeg" || th.Width != ThumbSize || th.Height != 100 {
		t.Fatalf("thumbnail: %v %q %dx%d", err, th.ContentType, th.Width, th.Height)
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(th.Data)); err != nil || cfg.Width != ThumbSize {
		t.Fatalf("thumbnail bytes: %v %+v", err, cfg)
	}
	if _, err := s.Thumbnail(ctx, bombPNG(t, 100_000, 100_000)); !errs.Is(err, errs.TooLarge) {
		t.Fatalf("bomb: %v", err)
	}
	for name, data := range map[string][]byte{"html": []byte("<html><svg/>"), "truncated": pngBytes(t, image.NewGray(image.Rect(0, 0, 50, 50)))[:60]} {
		if _, err := s.Thumbnail(ctx, data); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
