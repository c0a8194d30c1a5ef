package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/blob/s3blob/s3test"
	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// fileEnv is a server with a public channel of alice and bob, and carol, an
// organisation member outside it.
type fileEnv struct {
	env               *servertest.Env
	alice, bob, carol *apiclient.Client
	channel           int64
}

func newFileEnv(t *testing.T, kind string) *fileEnv {
	t.Helper()
	e := &fileEnv{env: servertest.Start(t)}
	var bobID int64
	e.alice, _ = e.env.User("member")
	e.bob, bobID = e.env.User("member")
	e.carol, _ = e.env.User("member")
	ch, err := e.alice.CreateChannel(context.Background(), "files-"+kind, kind, []int64{bobID})
	if err != nil {
		t.Fatal(err)
	}
	e.channel = ch.ID
	return e
}

func photo(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestFileUploadAttachDownload(t *testing.T) {
	e := newFileEnv(t, "private")
	ctx := context.Background()
	data := photo(t, 800, 600)
	f, err := e.alice.Upload(ctx, e.channel, "Holiday 假期.JPG", data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "Holiday 假期.JPG" || f.ContentType != "image/jpeg" || f.Size != int64(len(data)) || f.Width != 800 ||
		f.Height != 600 || f.Preview != "image" || !f.HasThumbnail || f.MessageID != 0 || f.ChannelID != e.channel {
		t.Fatalf("uploaded %+v", f)
	}
	// Until attached, only the uploader sees it.
	if _, err := e.bob.Do(ctx, "GET", f.URL, nil, nil); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("bob reads an unattached file: %v", err)
	}
	m, err := e.alice.PostFiles(ctx, e.channel, "with-file", "", []int64{f.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 1 || m.Files[0].ID != f.ID || m.Files[0].URL != f.URL || m.Text != "" {
		t.Fatalf("message %+v", m)
	}
	// History shows the attachment.
	h, err := e.bob.History(ctx, e.channel, "")
	if err != nil || len(h.Messages) != 1 || len(h.Messages[0].Files) != 1 || h.Messages[0].Files[0].Name != f.Name {
		t.Fatalf("history %+v (%v)", h, err)
	}
	// A member downloads it with safe headers, inline as it is an image.
	resp, body, err := e.bob.Get(ctx, f.URL, nil)
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("download: %v %v %d bytes", resp.Status, err, len(body))
	}
	for k, want := range map[string]string{"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
		"Content-Disposition": `inline; filename*=utf-8''Holiday%20%E5%81%87%E6%9C%9F.JPG`} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// Range requests (video players, resumed downloads).
	resp, body, err = e.bob.Get(ctx, f.URL, http.Header{"Range": {"bytes=10-19"}})
	if err != nil || resp.StatusCode != 206 || !bytes.Equal(body, data[10:20]) {
		t.Fatalf("range: %v %v", resp.Status, err)
	}
	// Conditional requests.
	resp, _, err = e.bob.Get(ctx, f.URL, http.Header{"If-None-Match": {resp.Header.Get("ETag")}})
	if err != nil || resp.StatusCode != 304 {
		t.Fatalf("if-none-match: %v %v", resp.Status, err)
	}
	// ?download=1 forces an attachment.
	resp, _, _ = e.bob.Get(ctx, f.URL+"?download=1", nil)
	if !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("download=1: %q", resp.Header.Get("Content-Disposition"))
	}
	// The thumbnail fits in 400×400 and keeps the aspect ratio.
	resp, body, err = e.bob.Get(ctx, f.ThumbnailURL, nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("thumbnail: %v %v", resp.Status, err)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || format != "jpeg" || cfg.Width != 400 || cfg.Height != 300 {
		t.Fatalf("thumbnail %s %dx%d %v", format, cfg.Width, cfg.Height, err)
	}
	// Carol is not in the private channel: not found, like the channel.
	if _, err := e.carol.Do(ctx, "GET", f.URL, nil, nil); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("outsider: %v", err)
	}
	// The channel's file list.
	var page httpapi.FilePage
	if _, err := e.bob.Do(ctx, "GET", fmt.Sprintf("/api/v1/channels/%d/files", e.channel), nil, &page); err != nil ||
		len(page.Files) != 1 || page.Files[0].ID != f.ID || page.Files[0].MessageID != m.ID {
		t.Fatalf("list %+v %v", page, err)
	}
	// A file attaches once.
	if _, err := e.alice.PostFiles(ctx, e.channel, "again", "again", []int64{f.ID}); apiclient.CodeOf(err) != "file_already_attached" {
		t.Fatalf("second attach: %v", err)
	}
	// Bob cannot attach Alice's upload.
	g, err := e.alice.Upload(ctx, e.channel, "notes.txt", []byte("plain notes"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.bob.PostFiles(ctx, e.channel, "steal", "mine", []int64{g.ID}); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("attach another's file: %v", err)
	}

	// Recalling the message hides its files from members.
	if _, err := e.alice.Do(ctx, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", m.ID), map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.bob.Do(ctx, "GET", f.URL, nil, nil); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("file of a recalled message: %v", err)
	}
	if _, err := e.bob.Do(ctx, "GET", fmt.Sprintf("/api/v1/channels/%d/files", e.channel), nil, &page); err != nil || len(page.Files) != 0 {
		t.Fatalf("list after recall %+v %v", page, err)
	}
	h, _ = e.bob.History(ctx, e.channel, "")
	if len(h.Messages[0].Files) != 0 {
		t.Fatalf("recalled message still shows files: %+v", h.Messages[0])
	}
}

// Files that a browser could run are never served inline or with their type.
func TestFileUnsafeTypesAreAttachments(t *testing.T) {
	e := newFileEnv(t, "public")
	ctx := context.Background()
	for _, tc := range []struct{ name, body string }{
		{"drawing.svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`},
		{"page.html", `<!DOCTYPE html><html><script>alert(document.cookie)</script></html>`},
		{"page.htm", `<html><body onload="alert(1)"></body></html>`},
	} {
		f, err := e.alice.Upload(ctx, e.channel, tc.name, []byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.Preview != "" || f.HasThumbnail {
			t.Errorf("%s: preview %q", tc.name, f.Preview)
		}
		if _, err := e.alice.PostFiles(ctx, e.channel, "unsafe-"+tc.name, "", []int64{f.ID}); err != nil {
			t.Fatal(err)
		}
		resp, body, err := e.bob.Get(ctx, f.URL, nil)
		if err != nil || resp.StatusCode != 200 || string(body) != tc.body {
			t.Fatalf("%s: %v %v", tc.name, resp.Status, err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("%s: Content-Type %q", tc.name, ct)
		}
		if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("%s: Content-Disposition %q", tc.name, cd)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: headers %v", tc.name, resp.Header)
		}
	}
}

// The same upload, attach and download on the S3-compatible store
// (--files-s3): the bytes land in the bucket, ranges and thumbnails work.
func TestFilesOnS3(t *testing.T) {
	g := s3test.Start(t)
	bucket := g.NewBucket(t)
	env := servertest.StartWith(t, func(c *config.Config) {
		c.FilesS3 = g.URL + "/" + bucket
		c.FilesS3Access, c.FilesS3Secret = s3test.AccessKey, s3test.SecretKey
	})
	ctx := context.Background()
	alice, _ := env.User("member")
	ch, err := alice.CreateChannel(ctx, "s3", "public", nil)
	if err != nil {
		t.Fatal(err)
	}
	data := photo(t, 300, 200)
	f, err := alice.Upload(ctx, ch.ID, "s3.jpg", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.PostFiles(ctx, ch.ID, "s3-file", "on S3", []int64{f.ID}); err != nil {
		t.Fatal(err)
	}
	resp, body, err := alice.Get(ctx, f.URL, http.Header{"Range": {"bytes=100-"}})
	if err != nil || resp.StatusCode != 206 || !bytes.Equal(body, data[100:]) {
		t.Fatalf("range from S3: %v %v", resp.Status, err)
	}
	resp, body, err = alice.Get(ctx, f.ThumbnailURL, nil)
	if err != nil || resp.StatusCode != 200 || len(body) == 0 {
		t.Fatalf("thumbnail from S3: %v %v", resp.Status, err)
	}
	objects := 0
	filepath.WalkDir(filepath.Join(g.Root, bucket), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			objects++
		}
		return nil
	})
	if objects != 2 {
		t.Fatalf("%d objects in the bucket, want the file and its thumbnail", objects)
	}
	if entries, _ := os.ReadDir(filepath.Join(env.Dir, "files")); len(entries) != 0 {
		t.Fatalf("files also written to disk: %v", entries)
	}
}

// Deleting a message hides its files from members, lists and search; an
// organisation admin who can read the channel still downloads them
// (compliance), and the bytes are kept.
func TestFileOfDeletedMessage(t *testing.T) {
	e := newFileEnv(t, "public")
	ctx := context.Background()
	f, err := e.alice.Upload(ctx, e.channel, "minutes.txt", []byte("minutes"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.alice.PostFiles(ctx, e.channel, "del-1", "see file", []int64{f.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.alice.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/messages/%d", m.ID), nil, nil); err != nil {
		t.Fatal(err)
	}
	for who, c := range map[string]*apiclient.Client{"author": e.alice, "member": e.bob, "outsider": e.carol} {
		if _, err := c.Do(ctx, "GET", f.URL, nil, nil); apiclient.CodeOf(err) != "file_not_found" {
			t.Errorf("%s reads the file of a deleted message: %v", who, err)
		}
	}
	var page httpapi.FilePage
	if _, err := e.alice.Do(ctx, "GET", "/api/v1/search/files?q=minutes", nil, &page); err != nil || len(page.Files) != 0 {
		t.Errorf("search finds the file of a deleted message: %+v %v", page, err)
	}
	resp, body, err := e.env.Owner.Get(ctx, f.URL, nil)
	if err != nil || resp.StatusCode != 200 || string(body) != "minutes" {
		t.Fatalf("admin download: %v %v", resp.Status, err)
	}
}

// An upload removed from the composer before sending is deleted with its
// bytes; attached files are not deleted this way.
func TestFileDeleteUnattached(t *testing.T) {
	e := newFileEnv(t, "public")
	ctx := context.Background()
	f, err := e.alice.Upload(ctx, e.channel, "draft.jpg", photo(t, 50, 50))
	if err != nil {
		t.Fatal(err)
	}
	blobDir := filepath.Join(e.env.Dir, "files")
	before := countFiles(t, blobDir)
	if before != 2 {
		t.Fatalf("%d blobs after the upload, want the file and its thumbnail", before)
	}
	if _, err := e.bob.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, nil); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("bob deletes alice's upload: %v", err)
	}
	if st, err := e.alice.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/files/%d", f.ID), nil, nil); err != nil || st != 204 {
		t.Fatalf("delete: %d %v", st, err)
	}
	if _, err := e.alice.Do(ctx, "GET", f.URL, nil, nil); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("deleted file: %v", err)
	}
	if _, err := e.alice.PostFiles(ctx, e.channel, "del-att", "", []int64{f.ID}); apiclient.CodeOf(err) != "file_not_found" {
		t.Fatalf("attach a deleted file: %v", err)
	}
	if n := countFiles(t, blobDir); n != 0 {
		t.Fatalf("%d blobs left", n)
	}
	g, err := e.alice.Upload(ctx, e.channel, "sent.txt", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.alice.PostFiles(ctx, e.channel, "sent", "", []int64{g.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.alice.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/files/%d", g.ID), nil, nil); apiclient.CodeOf(err) != "file_already_attached" {
		t.Fatalf("delete an attached file: %v", err)
	}
}

// countFiles counts the regular files under dir, outside the temporary folder.
func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == ".tmp" {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}
