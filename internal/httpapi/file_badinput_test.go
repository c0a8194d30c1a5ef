package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"io"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
)

// pngChunk appends one PNG chunk.
func pngChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}

// pixelBomb is a valid 1-bit PNG of side × side black pixels: a few tens of
// kilobytes that decode to side² pixels (400 MP for 20000, 1.6 GB as RGBA).
func pixelBomb(t testing.TB, side int) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(side))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(side))
	ihdr[8], ihdr[9] = 1, 0 // bit depth 1, grayscale
	pngChunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestSpeed)
	row := make([]byte, 1+(side+7)/8)
	for range side {
		zw.Write(row)
	}
	zw.Close()
	pngChunk(&b, "IDAT", z.Bytes())
	pngChunk(&b, "IEND", nil)
	return b.Bytes()
}

// manyFrames is an animated GIF of n 1×1 frames.
func manyFrames(t testing.TB, n int) []byte {
	t.Helper()
	pal := color.Palette{color.Black, color.White}
	g := &gif.GIF{}
	for i := range n {
		img := image.NewPaletted(image.Rect(0, 0, 1, 1), pal)
		img.SetColorIndex(0, 0, uint8(i%2))
		g.Image = append(g.Image, img)
		g.Delay = append(g.Delay, 1)
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, g); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// rawUpload sends a multipart body with a hand-written part header, so that
// file names a well-behaved client would never send reach the server as is.
func rawUpload(ctx context.Context, c *apiclient.Client, channel int64, disposition string, data []byte) error {
	var b bytes.Buffer
	b.WriteString("--XBOUNDARYX\r\nContent-Disposition: " + disposition + "\r\nContent-Type: application/octet-stream\r\n\r\n")
	b.Write(data)
	b.WriteString("\r\n--XBOUNDARYX--\r\n")
	_, err := c.DoRaw(ctx, "POST", fmt.Sprintf("/api/v1/channels/%d/files", channel), "multipart/form-data; boundary=XBOUNDARYX", b.Bytes(), nil)
	return err
}

func TestFileBadInput(t *testing.T) {
	e := newFileEnv(t, "public")
	ctx := context.Background()
	upload := func(name string, data []byte) error {
		_, err := e.alice.Upload(ctx, e.channel, name, data)
		return err
	}
	want := func(what string, err error, status int, code string) {
		t.Helper()
		if apiclient.StatusOf(err) != status || apiclient.CodeOf(err) != code {
			t.Errorf("%s: got %v, want %d %s", what, err, status, code)
		}
	}

	// A 400-megapixel PNG of 50 KB: refused from its header, nothing decoded.
	bomb := pixelBomb(t, 20000)
	if len(bomb) > 200<<10 {
		t.Fatalf("bomb is %d bytes", len(bomb))
	}
	want("pixel bomb", upload("bomb.png", bomb), 413, "image_too_large")
	// 10,000 frames: refused after counting frame headers.
	want("10,000-frame GIF", upload("anim.gif", manyFrames(t, 10000)), 413, "image_too_many_frames")
	// Polyglots: the extension names an inline format the bytes are not.
	want("HTML named .png", upload("photo.png", []byte("<html><script>alert(1)</script></html>")), 400, "file_type_mismatch")
	want("PNG named .pdf", upload("report.pdf", tinyPNG(t)), 400, "file_type_mismatch")
	want("GIF named .jpg", upload("pic.jpg", manyFrames(t, 1)), 400, "file_type_mismatch")
	want("ZIP named .mp4", upload("clip.mp4", []byte("PK\x03\x04"+strings.Repeat("x", 100))), 400, "file_type_mismatch")
	want("damaged PNG header", upload("broken.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")), 400, "image_invalid")
	// Names: paths, control and direction-override characters.
	for _, name := range []string{"../../etc/passwd", `..\..\boot.ini`, "dir/file.txt", "..", "evil\u202Etxt.exe", "tab\there.txt", "nul\x00.txt"} {
		err := rawUpload(ctx, e.alice, e.channel, `form-data; name="file"; filename*=utf-8''`+urlEscape(name), []byte("x"))
		want(fmt.Sprintf("name %q", name), err, 400, "file_name_invalid")
	}
	want("no name", rawUpload(ctx, e.alice, e.channel, `form-data; name="file"`, []byte("x")), 400, "file_name_required")
	want("long name", upload(strings.Repeat("長", 201)+".txt", []byte("x")), 400, "file_name_too_long")
	want("no file part", rawUpload(ctx, e.alice, e.channel, `form-data; name="other"; filename="a.txt"`, []byte("x")), 400, "file_part_missing")
	if _, err := e.alice.Do(ctx, "POST", fmt.Sprintf("/api/v1/channels/%d/files", e.channel), map[string]any{"name": "x"}, nil); apiclient.CodeOf(err) != "multipart_required" {
		t.Errorf("JSON body: %v", err)
	}

	// A compressed bomb is stored as it is, never decompressed: 100 MB of
	// zeros arrive as ~100 KB and are served back byte for byte.
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	io.CopyN(zw, zeros{}, 100<<20)
	zw.Close()
	f, err := e.alice.Upload(ctx, e.channel, "bomb.tar.gz", gz.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Size != int64(gz.Len()) || f.Preview != "" || f.ContentType != "application/x-gzip" {
		t.Errorf("gzip bomb stored as %+v", f)
	}

	// The organisation's size limit and the member's quota.
	var org httpapi.Org
	if _, err := e.env.Owner.Do(ctx, "PATCH", "/api/v1/org", map[string]any{"file_max_bytes": 1000, "file_quota_bytes": f.Size + 1500}, &org); err != nil ||
		org.FileMaxBytes != 1000 {
		t.Fatalf("patch org: %+v %v", org, err)
	}
	want("over the size limit", upload("big.txt", bytes.Repeat([]byte("a"), 1001)), 413, "file_too_large")
	if err := upload("ok.txt", bytes.Repeat([]byte("a"), 1000)); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	want("over the quota", upload("more.txt", bytes.Repeat([]byte("a"), 600)), 413, "file_quota_exceeded")
	// The quota error says how much is used, in the caller's language.
	zh := *e.alice
	zh.Lang = "zh-CN"
	_, err = zh.Upload(ctx, e.channel, "more.txt", bytes.Repeat([]byte("a"), 600))
	if e, ok := err.(*apiclient.Error); !ok || !strings.Contains(e.Message, "配额") {
		t.Errorf("zh-CN quota message: %v", err)
	}
	if _, err := e.env.Owner.Do(ctx, "PATCH", "/api/v1/org", map[string]any{"file_max_bytes": 0}, nil); apiclient.CodeOf(err) != "file_max_bytes_invalid" {
		t.Errorf("file_max_bytes 0: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
