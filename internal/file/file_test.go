package file

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
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
	data, typ, ok := thumbnail("image/png", bytes.NewReader(pngBytes(t, img)), 1)
	if !ok || typ != "image/png" {
		t.Fatalf("thumbnail %q %v", typ, ok)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width != ThumbSize || cfg.Height != 100 {
		t.Fatalf("thumbnail %dx%d %v", cfg.Width, cfg.Height, err)
	}
	// Small images are not enlarged.
	data, typ, ok = thumbnail("image/png", bytes.NewReader(pngBytes(t, image.NewGray(image.Rect(0, 0, 20, 10)))), 1)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); !ok || typ != "image/jpeg" || err != nil || cfg.Width != 20 {
		t.Fatalf("small: %q %v %+v", typ, ok, cfg)
	}
	// Undecodable pixels: no thumbnail, no error.
	if _, _, ok := thumbnail("image/png", strings.NewReader("\x89PNG\r\n\x1a\nnonsense"), 1); ok {
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

// withOrientation inserts an EXIF segment with the orientation tag after
// the JPEG's SOI marker.
func withOrientation(jpg []byte, o int, bigEndian bool) []byte {
	var tiff bytes.Buffer
	var bo binary.ByteOrder = binary.LittleEndian
	tiff.WriteString("II")
	if bigEndian {
		bo = binary.BigEndian
		tiff.Reset()
		tiff.WriteString("MM")
	}
	binary.Write(&tiff, bo, uint16(42))
	binary.Write(&tiff, bo, uint32(8))
	binary.Write(&tiff, bo, uint16(2)) // two entries: an unrelated one, then orientation
	for _, e := range [][3]uint32{{0x010F, 2, 0}, {0x0112, 3, uint32(o)}} {
		binary.Write(&tiff, bo, uint16(e[0]))
		binary.Write(&tiff, bo, uint16(e[1]))
		binary.Write(&tiff, bo, uint32(1))
		binary.Write(&tiff, bo, uint16(e[2]))
		binary.Write(&tiff, bo, uint16(0))
	}
	binary.Write(&tiff, bo, uint32(0))
	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	var out bytes.Buffer
	out.Write(jpg[:2])
	out.Write([]byte{0xFF, 0xE1})
	binary.Write(&out, binary.BigEndian, uint16(len(seg)+2))
	out.Write(seg)
	out.Write(jpg[2:])
	return out.Bytes()
}

func TestEXIFOrientation(t *testing.T) {
	// 40×20: left half red, right half blue.
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for y := range 20 {
		for x := range 40 {
			c := color.RGBA{255, 0, 0, 255}
			if x >= 20 {
				c = color.RGBA{0, 0, 255, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	for _, be := range []bool{false, true} {
		data := withOrientation(b.Bytes(), 6, be)
		if o := jpegOrientation(bytes.NewReader(data)); o != 6 {
			t.Fatalf("big endian %v: orientation %d", be, o)
		}
		info, err := checkImage("t", "image/jpeg", bytes.NewReader(data))
		if err != nil || info.Width != 20 || info.Height != 40 || info.Orientation != 6 {
			t.Fatalf("info %+v %v", info, err)
		}
		thumb, _, ok := thumbnail("image/jpeg", bytes.NewReader(data), info.Orientation)
		if !ok {
			t.Fatal("no thumbnail")
		}
		m, err := jpeg.Decode(bytes.NewReader(thumb))
		if err != nil || m.Bounds().Dx() != 20 || m.Bounds().Dy() != 40 {
			t.Fatalf("thumbnail %v %v", m.Bounds(), err)
		}
		// Turned clockwise: the red left half is now on top.
		if r, _, bl, _ := m.At(10, 5).RGBA(); r < 0xc000 || bl > 0x4000 {
			t.Errorf("top is not red: %x %x", r, bl)
		}
		if r, _, bl, _ := m.At(10, 35).RGBA(); bl < 0xc000 || r > 0x4000 {
			t.Errorf("bottom is not blue: %x %x", r, bl)
		}
	}
	if o := jpegOrientation(bytes.NewReader(b.Bytes())); o != 1 {
		t.Errorf("no EXIF: %d", o)
	}
	for _, junk := range [][]byte{nil, []byte("\xff\xd8"), []byte("\xff\xd8\xff\xe1\x00\x02"), []byte("\xff\xd8\xff\xe1\xff\xff")} {
		if o := jpegOrientation(bytes.NewReader(junk)); o != 1 {
			t.Errorf("%q: %d", junk, o)
		}
	}
}

// Every orientation maps the corners where EXIF says.
func TestOrient(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 3, 2)) // pixel (x,y) has red = 10*y+x+1
	for y := range 2 {
		for x := range 3 {
			src.Set(x, y, color.RGBA{uint8(10*y + x + 1), 0, 0, 255})
		}
	}
	// The top-left pixel of the result for each orientation.
	topLeft := map[int]uint8{1: 1, 2: 3, 3: 13, 4: 11, 5: 1, 6: 11, 7: 13, 8: 3}
	for o, want := range topLeft {
		d := orient(src, o)
		if o >= 5 && (d.Bounds().Dx() != 2 || d.Bounds().Dy() != 3) || o < 5 && d.Bounds().Dx() != 3 {
			t.Errorf("%d: bounds %v", o, d.Bounds())
		}
		if got := d.RGBAAt(0, 0).R; got != want {
			t.Errorf("%d: top-left %d, want %d", o, got, want)
		}
	}
}
