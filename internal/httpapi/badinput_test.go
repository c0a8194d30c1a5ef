package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// TestBadInput sends malformed and hostile input and checks each is refused
// with a precise 4xx and a stable code, and that nothing changed.
func TestBadInput(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	alice, _ := env.User("member")
	ch, err := alice.CreateChannel(ctx, "bad-input", "public", nil)
	if err != nil {
		t.Fatal(err)
	}
	other := env.OtherOrg("Initech")
	otherCh, err := other.CreateChannel(ctx, "theirs", "public", nil)
	if err != nil {
		t.Fatal(err)
	}
	otherMsg, _, err := other.Post(ctx, otherCh.ID, "o1", "their secret")
	if err != nil {
		t.Fatal(err)
	}
	msgs := fmt.Sprintf("/api/v1/channels/%d/messages", ch.ID)
	big := bytes.Repeat([]byte("a"), 1<<20)

	cases := []struct {
		name, method, path string
		body               []byte
		contentType        string
		status             int
		code               string
	}{
		{"invalid utf-8", "POST", msgs, []byte("{\"client_id\":\"a\",\"text\":\"\xff\xfe\"}"), "", 400, "invalid_utf8"},
		{"control character", "POST", msgs, []byte(`{"client_id":"a","text":"bell\u0007"}`), "", 400, "text_invalid_characters"},
		{"nul character", "POST", msgs, []byte(`{"client_id":"a","text":"a\u0000b"}`), "", 400, "text_invalid_characters"},
		{"unknown field", "POST", msgs, []byte(`{"client_id":"a","text":"x","admin":true}`), "", 400, "unknown_field"},
		{"wrong type", "POST", msgs, []byte(`{"client_id":5,"text":"x"}`), "", 400, "wrong_type"},
		{"not json", "POST", msgs, []byte(`client_id=a`), "", 400, "invalid_json"},
		{"trailing data", "POST", msgs, []byte(`{"client_id":"a","text":"x"} {}`), "", 400, "invalid_json"},
		{"wrong media type", "POST", msgs, []byte(`{"client_id":"a","text":"x"}`), "text/plain", 400, "unsupported_media"},
		{"1 MiB body", "POST", msgs, big, "", 413, "body_too_large"},
		{"oversize message", "POST", msgs, []byte(`{"client_id":"a","text":"` + strings.Repeat("长", 16001) + `"}`), "", 413, "message_too_long"},
		{"empty message", "POST", msgs, []byte(`{"client_id":"a","text":"  \n "}`), "", 400, "text_required"},
		{"bad client id", "POST", msgs, []byte(`{"client_id":"a b","text":"x"}`), "", 400, "client_id_invalid"},
		{"bidi override in channel name", "POST", "/api/v1/channels", []byte(`{"name":"pay\u202Egnp.exe","kind":"public"}`), "", 400, "channel_name_invalid_characters"},
		{"control char in display name", "PATCH", "/api/v1/users/me", []byte(`{"display_name":"a\u001bb"}`), "", 400, "display_name_invalid_characters"},
		{"too long display name", "PATCH", "/api/v1/users/me", []byte(`{"display_name":"` + strings.Repeat("x", 81) + `"}`), "", 400, "display_name_too_long"},
		{"unknown locale", "PATCH", "/api/v1/users/me", []byte(`{"locale":"klingon"}`), "", 400, "locale_unsupported"},
		{"unknown channel", "GET", "/api/v1/channels/999999/messages", nil, "", 404, "channel_not_found"},
		{"non-numeric id", "GET", "/api/v1/channels/abc", nil, "", 400, "id_invalid"},
		{"negative id", "GET", "/api/v1/channels/-1", nil, "", 400, "id_invalid"},
		{"other org's channel", "GET", fmt.Sprintf("/api/v1/channels/%d/messages", otherCh.ID), nil, "", 404, "channel_not_found"},
		{"post into other org's channel", "POST", fmt.Sprintf("/api/v1/channels/%d/messages", otherCh.ID), []byte(`{"client_id":"x1","text":"hi"}`), "", 404, "channel_not_found"},
		{"other org's message", "GET", fmt.Sprintf("/api/v1/messages/%d", otherMsg.ID), nil, "", 404, "message_not_found"},
		{"react on other org's message", "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%%F0%%9F%%91%%8D", otherMsg.ID), nil, "", 404, "message_not_found"},
		{"not an emoji", "PUT", "/api/v1/messages/1/reactions/abc", nil, "", 400, "emoji_invalid"},
		{"bad limit", "GET", msgs + "?limit=100000", nil, "", 400, "limit_invalid"},
		{"two cursors", "GET", msgs + "?before=5&after=1", nil, "", 400, "cursor_conflict"},
		{"bad cursor", "GET", msgs + "?before=x", nil, "", 400, "cursor_invalid"},
		{"unknown route", "GET", "/api/v1/nothing", nil, "", 404, "not_found"},
		{"wrong method", "DELETE", "/api/v1/channels", nil, "", 405, "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, env.URL+tc.path, bytes.NewReader(tc.body))
			ct := tc.contentType
			if ct == "" && tc.body != nil {
				ct = "application/json"
			}
			if ct != "" {
				req.Header.Set("Content-Type", ct)
			}
			req.Header.Set("Authorization", "Bearer "+alice.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var eb httpapi.ErrorBody
			decodeBody(t, resp, &eb)
			if resp.StatusCode != tc.status || eb.Error.Code != tc.code {
				t.Errorf("got %d %q (%s), want %d %q", resp.StatusCode, eb.Error.Code, eb.Error.Message, tc.status, tc.code)
			}
			if eb.Error.Message == "" {
				t.Errorf("no message for %s", tc.code)
			}
		})
	}
	// Nothing above created a message or a channel.
	all, err := alice.AllMessages(ctx, ch.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 0 {
		t.Errorf("bad input created %d messages", len(all))
	}
	var list httpapi.ChannelList
	if _, err := alice.Do(ctx, "GET", "/api/v1/channels", nil, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Channels) != 1 {
		t.Errorf("alice is in %d channels, want 1", len(list.Channels))
	}
	theirs, err := other.AllMessages(ctx, otherCh.ID)
	if err != nil || len(theirs) != 1 || len(theirs[0].Reactions) != 0 {
		t.Errorf("other organisation's channel changed: %v %+v", err, theirs)
	}
}

// TestErrorLanguage checks that error messages follow Accept-Language.
func TestErrorLanguage(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	c := env.Client()
	c.Lang = "zh-CN,zh;q=0.9,en;q=0.5"
	_, err := c.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	if apiclient.CodeOf(err) != "unauthenticated" || !strings.Contains(err.Error(), "请先登录") {
		t.Errorf("zh-CN: %v", err)
	}
	c.Lang = "en-GB"
	_, err = c.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	if !strings.Contains(err.Error(), "Please log in") {
		t.Errorf("en: %v", err)
	}
}
