// Package webui serves the browser client: the Preact app in web/, built by
// Vite into dist/ and embedded into the binary. It owns the caching policy
// (hashed assets are immutable; index.html and the service worker sw.js are
// revalidated, so a deploy is noticed at once), the security
// headers (a strict Content-Security-Policy with no inline scripts) and the
// single-page-app fallback that lets client-side routes such as /c/7/m/42 load
// index.html. A checkout where the client was never built still compiles: dist/
// then holds only .gitkeep and every page explains how to build the client.
package webui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// ContentSecurityPolicy is sent with every response of this handler. Scripts
// and styles come only from our own origin; user content is rendered by the
// client through one sanitising markdown renderer and never loads remote media.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; media-src 'self' data: blob:; " +
	"manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// notBuilt is served in place of index.html when the client was not built.
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley</title></head>
<body><h1>The Parley web client was not built</h1>
<p>This binary was compiled without the web client. The REST API under /api/v1 works.
To include the client, run <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>,
then <code>go build ./cmd/parley</code> again.</p>
<p lang="zh-CN">此程序编译时未包含网页客户端。请在 web/ 目录运行 npm ci 和 npm run build，然后重新 go build。</p>
</body></html>
`

// Handler serves the embedded web client. Mount it at "/" after the API
// routes; it answers 404 for /api/ paths rather than falling back to the app.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub only fails for an invalid path, which "dist" is not.
		panic(err)
	}
	return NewHandler(sub)
}

// Built reports whether the embedded client was built (dist/index.html exists).
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

// file is one servable file, read once at start.
type file struct {
	body      []byte
	gzip      []byte // precompressed copy (name.gz in dist), if any
	etag      string
	ctype     string
	immutable bool
}

type handler struct {
	files map[string]*file // by path without leading slash
	index *file
}

// NewHandler serves the client from fsys (the contents of a dist folder).
func NewHandler(fsys fs.FS) http.Handler {
	h := &handler{files: map[string]*file{}}
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".gz") || path.Base(p) == ".gitkeep" {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		f := &file{body: body, etag: etag(body), ctype: contentType(p, body), immutable: strings.HasPrefix(p, "assets/")}
		if gz, err := fs.ReadFile(fsys, p+".gz"); err == nil {
			f.gzip = gz
		}
		h.files[p] = f
		return nil
	})
	h.index = h.files["index.html"]
	if h.index == nil {
		h.index = &file{body: []byte(notBuilt), etag: etag([]byte(notBuilt)), ctype: "text/html; charset=utf-8"}
	}
	return h
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

func contentType(p string, body []byte) string {
	switch path.Ext(p) {
	case ".webmanifest":
		return "application/manifest+json"
	case ".html":
		return "text/html; charset=utf-8"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return http.DetectContentType(body)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(p, "/")
	if f, ok := h.files[name]; ok && name != "index.html" {
		h.serve(w, r, f)
		return
	}
	// Missing files are 404; anything that looks like a client route gets the app.
	if strings.HasPrefix(name, "assets/") || (name != "" && strings.Contains(path.Base(name), ".")) {
		http.NotFound(w, r)
		return
	}
	h.serve(w, r, h.index)
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	if f.immutable {
		hdr.Set("Cache-Control", cacheImmutable)
	} else {
		hdr.Set("Cache-Control", cacheRevalidate)
	}
	hdr.Set("Content-Type", f.ctype)
	body := f.body
	tag := f.etag
	if f.gzip != nil {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			hdr.Set("Content-Encoding", "gzip")
			body = f.gzip
			tag = strings.TrimSuffix(tag, `"`) + `-gz"`
		}
	}
	hdr.Set("ETag", tag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
			return true
		}
	}
	return false
}
