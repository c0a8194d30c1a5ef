package unfurl_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
)

func pngData(tb testing.TB, w, h int) []byte {
	var b bytes.Buffer
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = 0xff // opaque white: re-encoded as JPEG
	}
	if err := png.Encode(&b, m); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid 1×1 PNG whose header claims w×h pixels.
func bombPNG(tb testing.TB, w, h uint32) []byte {
	data := pngData(tb, 1, 1)
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestPreviewImages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	site := w.site.srv.URL
	page := func(name, img string) string { return site + "/img/" + name + "?image=" + url.QueryEscape(img) }
	internal := "http://127.0.0.1:" + w.internal.port + "/secret.png"
	m := w.post(t, page("good", "/wide.png"))
	refused := map[string]string{
		"bomb":      page("bomb", "/bomb.png"),
		"huge":      page("huge", "/huge.png"),
		"wrongtype": page("wrongtype", "/wrong-type.png"),
		"loopback":  page("loopback", internal),
		"dns":       page("dns", "http://loopback.test:"+w.internal.port+"/secret.png"),
		"redirect":  page("redirect", site+"/r?to="+url.QueryEscape(internal)),
	}
	var others []int64
	for _, link := range refused {
		others = append(others, w.post(t, link).ID)
	}
	w.drain(t)

	ps := w.message(t, m.ID).Previews
	if len(ps) != 1 || ps[0].Image == "" || ps[0].ImageWidth != 400 || ps[0].ImageHeight != 100 {
		t.Fatalf("previews %+v, want one with a 400×100 image", ps)
	}
	// Clients get it as a path on this server, with its size.
	wantWire := `"image_url":"/api/v1/link-previews/images/` + ps[0].Image + `","image_width":400,"image_height":100`
	w.mu.Lock()
	found := false
	for _, u := range w.updates {
		found = found || strings.Contains(string(u), wantWire)
	}
	w.mu.Unlock()
	if !found {
		t.Errorf("no message.updated carries %s", wantWire)
	}
	img, err := w.previews.OpenImage(ctx, w.owner, ps[0].Image)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(img)
	img.Close()
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(data)); err != nil || img.ContentType != "image/jpeg" || cfg.Width != 400 || cfg.Height != 100 {
		t.Fatalf("stored image: %v %q %+v", err, img.ContentType, cfg)
	}
	// Names are per organisation; malformed names open nothing.
	other := account.Actor{Org: w.owner.Org + 1, User: 999, Role: account.RoleOwner}
	for _, c := range []struct {
		actor account.Actor
		name  string
	}{{other, ps[0].Image}, {w.owner, "../" + ps[0].Image}, {w.owner, strings.ToUpper(ps[0].Image)},
		{w.owner, strings.Repeat("0", 32) + ".jpg"}} {
		if _, err := w.previews.OpenImage(ctx, c.actor, c.name); !errs.Is(err, errs.NotFound) {
			t.Errorf("OpenImage(org %d, %q): %v, want NotFound", c.actor.Org, c.name, err)
		}
	}

	// Every refused image leaves the preview, without an image.
	for _, id := range others {
		ps := w.message(t, id).Previews
		if len(ps) != 1 || !strings.HasPrefix(ps[0].Title, "Page ") || ps[0].Image != "" || ps[0].ImageWidth != 0 {
			t.Errorf("message %d: previews %+v, want one without image", id, ps)
		}
	}
	for _, p := range []string{"/bomb.png", "/huge.png", "/wrong-type.png", "/wide.png"} {
		if w.hits(p) != 1 {
			t.Errorf("%s fetched %d times, want 1", p, w.hits(p))
		}
	}
	if n := w.internal.hits.Load(); n != 0 {
		t.Errorf("the internal address received %d requests", n)
	}
}
