package httpapi_test

import (
	"context"
	"fmt"
	"testing"

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
