package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// TestProvisionedUserEventsFollowGuestRules checks over real WebSockets that
// a user.updated emitted by provisioning (SCIM here; SSO sign-in and LDAP sync
// share the code) obeys the same rules as one from the API: a guest, who sees
// only the members of their channels, receives nothing about a stranger, and
// members get the profile redacted as the permission scheme says.
func TestProvisionedUserEventsFollowGuestRules(t *testing.T) {
	env := servertest.Start(t)
	guest, _ := env.User("guest")
	member, _ := env.User("member")
	do(t, env.Owner, "PATCH", "/api/v1/org/permissions", map[string]any{"see_email": "admins"}, nil)

	gs, ms := dial(t, env, guest, -1), dial(t, env, member, -1)
	next(t, gs, "ready")
	next(t, ms, "ready")

	var tok httpapi.SCIMToken
	do(t, env.Owner, "POST", "/api/v1/sso/scim-tokens", map[string]any{"name": "Okta"}, &tok)
	body, _ := json.Marshal(map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "stranger@acme.test", "displayName": "Stranger",
		"emails": []map[string]any{{"value": "stranger@acme.test", "primary": true}}, "active": true,
	})
	req, _ := http.NewRequestWithContext(context.Background(), "POST", env.URL+"/scim/v2/Users", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("SCIM create: %d", resp.StatusCode)
	}
	do(t, env.Owner, "PATCH", "/api/v1/org", map[string]any{"name": "Acme marker"}, nil)

	upto := func(s *realtime.Client) []realtime.Frame {
		var out []realtime.Frame
		for {
			f := nextAny(t, s)
			if f.Type == "org.updated" && strings.Contains(string(f.Data), "Acme marker") {
				return out
			}
			out = append(out, f)
		}
	}
	for _, f := range upto(gs) {
		if f.Type == "user.updated" {
			t.Errorf("guest received a provisioned stranger's profile: %s", f.Raw)
		}
	}
	got := false
	for _, f := range upto(ms) {
		if f.Type == "user.updated" && strings.Contains(string(f.Data), "Stranger") {
			got = true
			if strings.Contains(string(f.Data), "stranger@acme.test") {
				t.Errorf("member received an e-mail the scheme hides: %s", f.Raw)
			}
		}
	}
	if !got {
		t.Error("member did not receive user.updated for the provisioned user")
	}
}
