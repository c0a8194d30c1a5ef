package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// TestRefusedSecurityActionsAreAudited checks that a member refused on a
// security action leaves a "failure" entry in the audit trail, read by an
// admin through GET /api/v1/audit, while the action itself took no effect.
func TestRefusedSecurityActionsAreAudited(t *testing.T) {
	env := servertest.Start(t)
	member, memberID := env.User("member")
	_, victim := env.User("member")
	tries := []struct {
		method, path string
		body         any
		action       string
		target       int64
	}{
		{"POST", fmt.Sprintf("/api/v1/users/%d/deactivate", victim), map[string]any{}, "user.deactivate", victim},
		{"POST", fmt.Sprintf("/api/v1/users/%d/reactivate", victim), map[string]any{}, "user.reactivate", victim},
		{"PUT", fmt.Sprintf("/api/v1/users/%d/role", victim), map[string]any{"role": "admin"}, "user.role_change", victim},
		{"PATCH", "/api/v1/org/permissions", map[string]any{"see_email": "admins"}, "permissions.update", 0},
		{"DELETE", "/api/v1/sso/providers/1", nil, "sso.provider_delete", 1},
	}
	for _, tr := range tries {
		_, err := member.Do(context.Background(), tr.method, tr.path, tr.body, nil)
		if apiclient.StatusOf(err) != http.StatusForbidden {
			t.Fatalf("%s %s as a member: %v, want 403", tr.method, tr.path, err)
		}
	}

	var page httpapi.AuditPage
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/audit?actor_id=%d&outcome=failure", memberID), nil, &page)
	for _, tr := range tries {
		i := slices.IndexFunc(page.Entries, func(e httpapi.AuditEntry) bool { return e.Action == tr.action })
		if i < 0 {
			t.Errorf("no audit entry for the refused %s %s: %+v", tr.method, tr.path, page.Entries)
			continue
		}
		e := page.Entries[i]
		if e.Outcome != "failure" || e.Details["reason"] == "" || (tr.target != 0 && e.TargetID != tr.target) {
			t.Errorf("refused %s: entry %+v, want outcome failure with a reason on target %d", tr.action, e, tr.target)
		}
	}
	if len(page.Entries) != len(tries) {
		t.Errorf("%d entries for %d refusals: %+v", len(page.Entries), len(tries), page.Entries)
	}
	// Nothing took effect.
	if u := get[httpapi.User](t, env.Owner, fmt.Sprintf("/api/v1/users/%d", victim)); !u.Active || u.Role != "member" {
		t.Errorf("refused actions changed the user: %+v", u)
	}
}
