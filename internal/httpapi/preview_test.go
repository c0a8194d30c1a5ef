package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"

	"github.com/parley-chat/parley/internal/server/servertest"
)

// TestLinkPreviewSettingAndWire checks the organisation switch (on by
// default, admins change it) and that messages always carry a previews
// array. Fetching itself is tested in internal/unfurl, against servers the
// real server's fetcher is rightly not allowed to reach (loopback).
func TestLinkPreviewSettingAndWire(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	var org map[string]any
	do(t, env.Owner, "GET", "/api/v1/org", nil, &org)
	if org["link_previews"] != true {
		t.Fatalf("new organisation: link_previews %v, want true", org["link_previews"])
	}
	member, _ := env.User("member")
	_, err := member.Do(ctx, "PATCH", "/api/v1/org", map[string]any{"link_previews": false}, nil)
	wantCode(t, err, 403, "admin_required")
	do(t, env.Owner, "PATCH", "/api/v1/org", map[string]any{"link_previews": false}, &org)
	if org["link_previews"] != false {
		t.Fatalf("after PATCH: %v", org)
	}
	do(t, env.Owner, "GET", "/api/v1/org", nil, &org)
	if org["link_previews"] != false {
		t.Fatalf("setting not kept: %v", org)
	}
	ch := must(env.Owner.CreateChannel(ctx, "links", "public", nil))
	var msg map[string]any
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", ch.ID), map[string]any{"client_id": "l1", "text": "see https://example.com/"}, &msg)
	if ps, ok := msg["previews"].([]any); !ok || len(ps) != 0 {
		t.Fatalf("previews of a new message: %#v, want []", msg["previews"])
	}
}

// tinyJPEG is a 4×2 JPEG image.
func tinyJPEG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 4, 2)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// keepPreviewImage stores an image where the server keeps the first
// organisation's link preview images (the embedded disk store) and returns
// its name.
func keepPreviewImage(t *testing.T, env *servertest.Env, data []byte) string {
	t.Helper()
	var org struct{ ID int64 }
	do(t, env.Owner, "GET", "/api/v1/org", nil, &org)
	const name = "0123456789abcdef0123456789abcdef.jpg"
	dir := filepath.Join(env.Dir, "files", "previews", strconv.FormatInt(org.ID, 10))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestPreviewImageServed checks what a browser gets: the image with the
// files' safe headers for a member, 404 with a stable code otherwise.
func TestPreviewImageServed(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	data := tinyJPEG(t)
	name := keepPreviewImage(t, env, data)
	member, _ := env.User("member")
	resp, body, err := member.Get(ctx, "/api/v1/link-previews/images/"+name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	for h, want := range map[string]string{"Content-Type": "image/jpeg", "X-Content-Type-Options": "nosniff",
		"Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "private, max-age=86400"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	for _, c := range []struct {
		client *apiclient.Client
		name   string
	}{{env.OtherOrg("Globex"), name}, {member, "0123456789abcdef0123456789abcdef.png"}, {member, "x.jpg"},
		{member, "..%2Fsecret"}} {
		_, err := c.client.Do(ctx, "GET", "/api/v1/link-previews/images/"+c.name, nil, nil)
		wantCode(t, err, 404, "preview_image_not_found")
	}
}
