package webui

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

func gz(tb testing.TB, s string) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func get(tb testing.TB, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler_Built(t *testing.T) {
	const index = `<!doctype html><script type="module" src="/assets/app-abc123.js"></script>`
	fsys := fstest.MapFS{
		"index.html":              {Data: []byte(index)},
		"assets/app-abc123.js":    {Data: []byte("console.log(1)")},
		"assets/app-abc123.js.gz": {Data: gz(t, "console.log(1)")},
		"manifest.webmanifest":    {Data: []byte(`{"name":"Parley"}`)},
		"sw.js":                   {Data: []byte("self.addEventListener('fetch', () => {})")},
		".gitkeep":                {Data: nil},
	}
	h := NewHandler(fsys)

	tests := []struct {
		name, method, target string
		hdr                  map[string]string
		status               int
		cache, ctype, body   string
		encoding             string
	}{
		{name: "index", method: "GET", target: "/", status: 200, cache: "no-cache", ctype: "text/html; charset=utf-8", body: index},
		{name: "client route falls back to index", method: "GET", target: "/c/7/m/42", status: 200, cache: "no-cache", body: index},
		{name: "setup route", method: "GET", target: "/setup?token=abc", status: 200, body: index},
		{name: "hashed asset is immutable", method: "GET", target: "/assets/app-abc123.js", status: 200, cache: "public, max-age=31536000, immutable", ctype: "text/javascript; charset=utf-8", body: "console.log(1)"},
		{name: "gzip when accepted", method: "GET", target: "/assets/app-abc123.js", hdr: map[string]string{"Accept-Encoding": "br, gzip"}, status: 200, encoding: "gzip"},
		// The service worker must revalidate: browsers compare its bytes to notice a deploy.
		{name: "service worker revalidates", method: "GET", target: "/sw.js", status: 200, cache: "no-cache", ctype: "text/javascript; charset=utf-8"},
		{name: "manifest revalidates", method: "GET", target: "/manifest.webmanifest", status: 200, cache: "no-cache", ctype: "application/manifest+json"},
		{name: "missing asset is 404, not the app", method: "GET", target: "/assets/gone-123.js", status: 404},
		{name: "missing file is 404", method: "GET", target: "/favicon.ico", status: 404},
		{name: "api is never the app", method: "GET", target: "/api/v1/nope", status: 404},
		{name: "api root", method: "GET", target: "/api", status: 404},
		{name: "gitkeep hidden", method: "GET", target: "/.gitkeep", status: 404},
		{name: "head", method: "HEAD", target: "/", status: 200},
		{name: "post refused", method: "POST", target: "/", status: 405},
		{name: "traversal stays inside", method: "GET", target: "/../../etc/passwd", status: 200, body: index},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, h, tt.method, tt.target, tt.hdr)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d", rec.Code, tt.status)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP = %q", csp)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("missing nosniff")
			}
			if tt.cache != "" && rec.Header().Get("Cache-Control") != tt.cache {
				t.Errorf("Cache-Control = %q, want %q", rec.Header().Get("Cache-Control"), tt.cache)
			}
			if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", rec.Header().Get("Content-Type"), tt.ctype)
			}
			if tt.body != "" && rec.Body.String() != tt.body {
				t.Errorf("body = %q, want %q", rec.Body.String(), tt.body)
			}
			if rec.Header().Get("Content-Encoding") != tt.encoding {
				t.Errorf("Content-Encoding = %q, want %q", rec.Header().Get("Content-Encoding"), tt.encoding)
			}
		})
	}
}

func TestHandler_ConditionalGet(t *testing.T) {
	h := NewHandler(fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}})
	first := get(t, h, "GET", "/", nil)
	tag := first.Header().Get("ETag")
	if tag == "" {
		t.Fatal("no ETag")
	}
	again := get(t, h, "GET", "/", map[string]string{"If-None-Match": tag})
	if again.Code != http.StatusNotModified {
		t.Fatalf("status = %d, want 304", again.Code)
	}
}

func TestHandler_NotBuilt(t *testing.T) {
	h := NewHandler(fstest.MapFS{".gitkeep": {Data: nil}})
	for _, target := range []string{"/", "/c/1"} {
		rec := get(t, h, "GET", target, nil)
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "was not built") {
			t.Errorf("%s: status %d body %q", target, rec.Code, rec.Body.String())
		}
	}
}

// The embedded copy works whether or not the client was built.
func TestHandler_Embedded(t *testing.T) {
	rec := get(t, Handler(), "GET", "/", nil)
	if rec.Code != 200 {
		t.Fatalf("status = %d", rec.Code)
	}
	body := rec.Body.String()
	if Built() {
		if !strings.Contains(body, `<div id="app">`) {
			t.Errorf("built index.html lacks the app root: %q", body)
		}
		if strings.Contains(strings.ReplaceAll(body, `<script type="module" crossorigin src=`, ""), "<script>") {
			t.Error("index.html has an inline script; the CSP forbids it")
		}
	} else if !strings.Contains(body, "was not built") {
		t.Errorf("unbuilt body = %q", body)
	}
}
