package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// auditActions lists the actions of a page, newest first, as one string.
func auditActions(p httpapi.AuditPage) string {
	var out []string
	for _, e := range p.Entries {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

// TestAuditTrail does security-relevant things through the API and reads
// them back as an admin: who, what, on whom, from where, and the outcome;
// with filters and pages; and only within the admin's organisation.
func TestAuditTrail(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Second)
	admin, adminID := env.User("admin")
	member, memberID := env.User("member")
	var me httpapi.User
	do(t, member, "GET", "/api/v1/users/me", nil, &me)

	// A failed login of a known user, and one with a name nobody has.
	_, _, err := env.Client().Login(ctx, me.Email, "wrong password!")
	wantCode(t, err, 401, "invalid_credentials")
	_, _, err = env.Client().Login(ctx, "nobody@nowhere.test", "wrong password!")
	wantCode(t, err, 401, "invalid_credentials")
	// A login, a logout, a settings change, a deactivation.
	fresh, _, err := env.Client().Login(ctx, me.Email, servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	do(t, fresh, "POST", "/api/v1/auth/logout", map[string]any{}, nil)
	do(t, admin, "PATCH", "/api/v1/org", map[string]any{"receipt_max_members": 42}, nil)
	do(t, admin, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", memberID), map[string]any{}, nil)
	// A refused action is not recorded as done.
	_, err = member.Do(ctx, "PATCH", "/api/v1/org", map[string]any{"name": "Hijacked"}, nil)
	wantCode(t, err, 401, "unauthenticated")

	var page httpapi.AuditPage
	do(t, admin, "GET", "/api/v1/audit?since="+url.QueryEscape(start.UTC().Format(time.RFC3339Nano)), nil, &page)
	got := auditActions(page)
	// Newest first; the helpers' own logins and user creations come before.
	want := "user.deactivate org.update auth.logout auth.login auth.login_failed"
	if !strings.HasPrefix(got, want) {
		t.Fatalf("audit trail %q, want it to start with %q", got, want)
	}
	if strings.Count(got, "auth.login_failed") != 1 {
		t.Fatalf("the unknown login's failure is visible to the organisation: %q", got)
	}
	deact, setting, logout, login, failed := page.Entries[0], page.Entries[1], page.Entries[2], page.Entries[3], page.Entries[4]
	if deact.ActorID != adminID || deact.TargetType != "user" || deact.TargetID != memberID || deact.Outcome != "success" ||
		deact.Address != "127.0.0.1" || deact.UserAgent == "" {
		t.Errorf("deactivation entry %+v", deact)
	}
	if setting.ActorID != adminID || setting.TargetType != "org" || setting.Details["receipt_max_members"] != "500 → 42" {
		t.Errorf("settings entry %+v", setting)
	}
	if logout.ActorID != memberID || logout.TargetType != "session" || logout.TargetID != login.TargetID || login.ActorID != memberID {
		t.Errorf("login %+v / logout %+v", login, logout)
	}
	if failed.ActorID != 0 || failed.TargetID != memberID || failed.Outcome != "failure" || failed.Details["reason"] != "wrong_password" ||
		failed.Details["login"] != me.Email || failed.Address != "127.0.0.1" {
		t.Errorf("failed login entry %+v", failed)
	}

	// Filters and pages.
	afterHelpers := url.QueryEscape(time.Time(failed.At).Format(time.RFC3339Nano))
	for _, tc := range []struct{ query, want string }{
		{"outcome=failure", "auth.login_failed"},
		{fmt.Sprintf("actor_id=%d&action=auth.&since=%s", memberID, afterHelpers), "auth.logout auth.login"},
		{fmt.Sprintf("target_type=user&target_id=%d&action=user.deactivate", memberID), "user.deactivate"},
		{"action=org.update", "org.update"},
		{"until=2000-01-01T00:00:00Z", ""},
	} {
		var p httpapi.AuditPage
		do(t, admin, "GET", "/api/v1/audit?"+tc.query, nil, &p)
		if got := auditActions(p); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	var p1, p2 httpapi.AuditPage
	do(t, admin, "GET", "/api/v1/audit?limit=2", nil, &p1)
	if len(p1.Entries) != 2 || p1.NextCursor == "" {
		t.Fatalf("first page %+v", p1)
	}
	do(t, admin, "GET", "/api/v1/audit?limit=2&cursor="+p1.NextCursor, nil, &p2)
	if len(p2.Entries) != 2 || p2.Entries[0].ID >= p1.Entries[1].ID || auditActions(p2) != "auth.logout auth.login" {
		t.Fatalf("second page %+v after %+v", p2, p1)
	}

	// Bad filters are refused precisely.
	for q, code := range map[string]string{
		"since=yesterday": "time_invalid", "outcome=maybe": "audit_outcome_invalid", "action=auth%25": "audit_action_invalid",
		"since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z": "audit_range_invalid", "cursor=x": "cursor_invalid",
		"limit=500": "limit_invalid", "actor_id=-1": "id_invalid",
	} {
		_, err := admin.Do(ctx, "GET", "/api/v1/audit?"+q, nil, nil)
		wantCode(t, err, 400, code)
	}

	// Another organisation's owner sees their own trail only.
	other := env.OtherOrg("Globex")
	var op httpapi.AuditPage
	do(t, other, "GET", "/api/v1/audit", nil, &op)
	for _, e := range op.Entries {
		if e.ActorID == adminID || e.ActorID == memberID || e.Action == "auth.login_failed" {
			t.Fatalf("another organisation sees %+v", e)
		}
	}
	if auditActions(op) != "auth.login" {
		t.Fatalf("new organisation's trail %q", auditActions(op))
	}
}
