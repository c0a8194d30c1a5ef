package file

import (
	"bufio"
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
)

func TestCleanName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf": "report.pdf", "  spaced name.txt  ": "spaced name.txt", "假期 照片.JPG": "假期 照片.JPG",
		"..hidden": "..hidden", "a..b": "a..b",
	} {
		if got, err := CleanName("t", in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for in, code := range map[string]string{
		"": "file_name_required", "   ": "file_name_required", ".": "file_name_invalid", "..": "file_name_invalid",
		"../x": "file_name_invalid", `a\b`: "file_name_invalid", "a/b": "file_name_invalid", "a\nb": "file_name_invalid",
		"a\x00b": "file_name_invalid", "x\u202Etxt.exe": "file_name_invalid", "\xff.txt": "file_name_invalid",
		strings.Repeat("x", MaxNameLen+1): "file_name_too_long",
	} {
		if _, err := CleanName("t", in); errs.CodeOf(err) != code {
			t.Errorf("%q: %v, want %s", in, err, code)
		}
	}
}

func pngBytes(t *testing.T, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniff(t *testing.T) {
	pngData := pngBytes(t, image.NewGray(image.Rect(0, 0, 1, 1)))
	webp := []byte("RIFF\x24\x00\x00\x00WEBPVP8 ")
	mp4 := []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	for _, tc := range []struct {
		name    string
		data    []byte
		ct      string
		preview Preview
	}{
		{"a.png", pngData, "image/png", PreviewImage},
		{"A.PNG", pngData, "image/png", PreviewImage},
		{"a.webp", webp, "image/webp", PreviewImage},
		{"a.pdf", []byte("%PDF-1.7\n"), "application/pdf", PreviewPDF},
		{"a.mp4", mp4, "video/mp4", PreviewVideo},
		{"a.m4a", mp4, "audio/mp4", PreviewAudio},
		{"a.mp3", []byte("ID3\x03\x00\x00\x00\x00\x00\x00"), "audio/mpeg", PreviewAudio},
		{"a.ogg", []byte("OggS\x00\x02"), "audio/ogg", PreviewAudio},
		// Other extensions, or none: stored, never previewed, whatever the bytes.
		{"a.txt", pngData, "image/png", PreviewNone},
		{"noext", pngData, "image/png", PreviewNone},
		{"a.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>`), "text/xml", PreviewNone},
		{"a.html", []byte("<html><script></script>"), "text/html", PreviewNone},
		{"a.txt", []byte("hello"), "text/plain", PreviewNone},
	} {
		ct, p, err := sniff("t", tc.name, tc.data)
		if err != nil || ct != tc.ct || p != tc.preview {
			t.Errorf("%s: %q %q %v, want %q %q", tc.name, ct, p, err, tc.ct, tc.preview)
		}
	}
	for name, data := range map[string][]byte{"a.png": []byte("<html>"), "a.jpg": pngData, "a.pdf": []byte("PK\x03\x04"),
		"a.mp4": []byte("<svg/>"), "a.webp": pngData} {
		if _, _, err := sniff("t", name, data); errs.CodeOf(err) != "file_type_mismatch" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func gifBytes(t *testing.T, frames int, w, h int) []byte {
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{}
	for range frames {
		g.Image = append(g.Image, image.NewPaletted(image.Rect(0, 0, w, h), pal))
		g.Delay = append(g.Delay, 1)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGIFFrames(t *testing.T) {
	for _, n := range []int{1, 3, 50} {
		frames, pixels, err := gifFrames(bufio.NewReader(bytes.NewReader(gifBytes(t, n, 4, 3))))
		if err != nil || frames != n || pixels != int64(n*12) {
			t.Errorf("%d frames: %d %d %v", n, frames, pixels, err)
		}
	}
	// The count stops just past the limit.
	frames, _, err := gifFrames(bufio.NewReader(bytes.NewReader(gifBytes(t, MaxGIFFrames+50, 1, 1))))
	if err != nil || frames != MaxGIFFrames+1 {
		t.Errorf("over the limit: %d %v", frames, err)
	}
	// Truncated and garbage input ends with an error, never a hang or panic.
	good := gifBytes(t, 5, 2, 2)
	for i := 0; i < len(good); i++ {
		gifFrames(bufio.NewReader(bytes.NewReader(good[:i])))
	}
	if _, _, err := gifFrames(bufio.NewReader(strings.NewReader("GIF89a\x01\x00\x01\x00\x00\x00\x00\x99"))); err == nil {
		t.Error("unknown block accepted")
	}
}

func FuzzGIFFrames(f *testing.F) {
	f.Add([]byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"))
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, pixels, _ := gifFrames(bufio.NewReader(bytes.NewReader(data)))
		if frames < 0 || pixels < 0 || frames > MaxGIFFrames+1 {
			t.Fatalf("%d frames, %d pixels", frames, pixels)
		}
	})
}

func TestThumbnail(t *testing.T) {
	// Transparency survives as PNG; the aspect ratio is kept.
	img := image.NewNRGBA(image.Rect(0, 0, 1000, 250))
	img.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	data, typ, ok := thumbnail("image/png", bytes.NewReader(pngBytes(t, img)))
	if !ok || typ != "image/png" {
		t.Fatalf("thumbnail %q %v", typ, ok)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != ThumbSize || cfg.Height != 100 {
		t.Fatalf("thumbnail %dx%d %v", cfg.Width, cfg.Height, err)
	}
	// Small images are not enlarged.
	data, typ, ok = thumbnail("image/png", bytes.NewReader(pngBytes(t, image.NewGray(image.Rect(0, 0, 20, 10)))))
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); !ok || typ != "image/jpeg" || err != nil || cfg.Width != 20 {
		t.Fatalf("small: %q %v %+v", typ, ok, cfg)
	}
	// Undecodable pixels: no thumbnail, no error.
	if _, _, ok := thumbnail("image/png", strings.NewReader("\x89PNG\r\n\x1a\nnonsense")); ok {
		t.Fatal("thumbnail of garbage")
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1000: "1000 B", 1024: "1 KB", 100 << 20: "100 MB", 10 << 30: "10 GB", 1536: "1.5 KB"} {
		if got := humanSize(n); got != want {
			t.Errorf("%d: %q, want %q", n, got, want)
		}
	}
}
