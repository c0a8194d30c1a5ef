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

// refusal is a request expected to be refused with 403 and reason, and
// recorded as a failure of action by the caller on the target.
type refusal struct {
	method, path string
	body         any
	reason       string
	action       string
	targetType   string
	target       int64
	details      map[string]string // besides reason
}

// checkRefusals sends each refusal as c, whose user id is actor, and checks
// that the trail (read by the owner) holds exactly one failure entry by the
// actor for each, in order, with the target, the reason, the details and
// the source address.
func checkRefusals(t *testing.T, env *servertest.Env, c *apiclient.Client, actor int64, tries []refusal) {
	t.Helper()
	for _, tr := range tries {
		_, err := c.Do(context.Background(), tr.method, tr.path, tr.body, nil)
		wantCode(t, err, http.StatusForbidden, tr.reason)
	}
	var page httpapi.AuditPage
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/audit?actor_id=%d&outcome=failure&limit=100", actor), nil, &page)
	if len(page.Entries) != len(tries) {
		t.Errorf("%d failure entries by the actor for %d refusals: %+v", len(page.Entries), len(tries), page.Entries)
	}
	for i, tr := range tries {
		j := len(page.Entries) - 1 - i // newest first
		if j < 0 {
			break
		}
		e := page.Entries[j]
		ok := e.Action == tr.action && e.ActorID == actor && e.TargetType == tr.targetType && e.TargetID == tr.target &&
			e.Details["reason"] == tr.reason && e.Address == "127.0.0.1" && e.UserAgent != ""
		for k, v := range tr.details {
			ok = ok && e.Details[k] == v
		}
		if !ok {
			t.Errorf("refused %s %s: entry %+v, want %s on %s %d by %d from 127.0.0.1, reason %s, details %v",
				tr.method, tr.path, e, tr.action, tr.targetType, tr.target, actor, tr.reason, tr.details)
		}
	}
}

// TestRefusedSSOAndSCIMActionsAreAudited: a member's connection test, sync
// trigger and SCIM token changes are refused and recorded as failures.
func TestRefusedSSOAndSCIMActionsAreAudited(t *testing.T) {
	env := servertest.Start(t)
	member, memberID := env.User("member")
	var p httpapi.SSOProvider
	do(t, env.Owner, "POST", "/api/v1/sso/providers", map[string]any{"kind": "ldap", "name": "AD",
		"ldap": map[string]any{"url": "ldap://127.0.0.1:1", "base_dn": "dc=corp", "user_filter": "(objectClass=person)"}}, &p)
	var tok httpapi.SCIMToken
	do(t, env.Owner, "POST", "/api/v1/sso/scim-tokens", map[string]any{"name": "Okta"}, &tok)

	const ar = "admin_required"
	checkRefusals(t, env, member, memberID, []refusal{
		{"POST", fmt.Sprintf("/api/v1/sso/providers/%d/test", p.ID), map[string]any{}, ar, "sso.provider_test", "sso_provider", p.ID, nil},
		{"POST", fmt.Sprintf("/api/v1/sso/providers/%d/sync", p.ID), map[string]any{}, ar, "sso.sync", "sso_provider", p.ID, nil},
		{"POST", "/api/v1/sso/scim-tokens", map[string]any{"name": "Mine"}, ar, "scim.token_create", "scim_token", 0, nil},
		{"DELETE", fmt.Sprintf("/api/v1/sso/scim-tokens/%d", tok.ID), nil, ar, "scim.token_delete", "scim_token", tok.ID, nil},
	})
	// Nothing took effect: the one token is still there.
	if l := get[httpapi.SCIMTokenList](t, env.Owner, "/api/v1/sso/scim-tokens"); len(l.Tokens) != 1 || l.Tokens[0].ID != tok.ID {
		t.Errorf("tokens after the refusals: %+v", l.Tokens)
	}
}

// TestRefusedDirectoryEditsAreAudited: a department admin acting outside
// their subtree, and a member acting at all, are refused and recorded.
func TestRefusedDirectoryEditsAreAudited(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	deptAdmin, deptAdminID := env.User("member")
	member, memberID := env.User("member")
	_, someone := env.User("member")
	var mine, theirs, child httpapi.Department
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "Mine"}, &mine)
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "Theirs"}, &theirs)
	do(t, env.Owner, "POST", "/api/v1/departments", map[string]any{"name": "Team", "parent_id": theirs.ID}, &child)
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/admins/%d", mine.ID, deptAdminID), map[string]any{}, nil)
	do(t, env.Owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", theirs.ID, someone), map[string]any{}, nil)
	// Inside their subtree the department admin may edit: a success entry,
	// which the check (failures only) does not count.
	do(t, deptAdmin, "PATCH", fmt.Sprintf("/api/v1/departments/%d", mine.ID), map[string]any{"name": "Mine 2"}, nil)

	d := func(id int64) string { return fmt.Sprintf("/api/v1/departments/%d", id) }
	u := func(id int64) string { return fmt.Sprintf("%d", id) }
	const dar, ar = "department_admin_required", "admin_required"
	checkRefusals(t, env, deptAdmin, deptAdminID, []refusal{
		{"POST", "/api/v1/departments", map[string]any{"name": "Sneaky", "parent_id": theirs.ID}, dar, "department.create", "department", theirs.ID, map[string]string{"name": "Sneaky"}},
		{"PATCH", d(theirs.ID), map[string]any{"name": "Renamed"}, dar, "department.update", "department", theirs.ID, nil},
		{"POST", d(child.ID) + "/move", map[string]any{"parent_id": mine.ID}, dar, "department.move", "department", child.ID, map[string]string{"parent": u(mine.ID)}},
		{"DELETE", d(child.ID), nil, dar, "department.delete", "department", child.ID, nil},
		{"PUT", d(theirs.ID) + "/members/" + u(deptAdminID), map[string]any{"head": true}, dar, "department.member_set", "department", theirs.ID, map[string]string{"user": u(deptAdminID), "head": "true"}},
		{"DELETE", d(theirs.ID) + "/members/" + u(someone), nil, dar, "department.member_remove", "department", theirs.ID, map[string]string{"user": u(someone)}},
		{"PUT", d(mine.ID) + "/admins/" + u(someone), map[string]any{}, ar, "department.admin_grant", "user", someone, map[string]string{"department": u(mine.ID)}},
		{"DELETE", d(mine.ID) + "/admins/" + u(deptAdminID), nil, ar, "department.admin_revoke", "user", deptAdminID, map[string]string{"department": u(mine.ID)}},
	})
	// A plain member may not create even a top-level department.
	checkRefusals(t, env, member, memberID, []refusal{
		{"POST", "/api/v1/departments", map[string]any{"name": "Mine too"}, dar, "department.create", "department", 0, map[string]string{"name": "Mine too"}},
	})
	// Nothing took effect.
	var dd httpapi.DepartmentDetail
	if _, err := env.Owner.Do(ctx, "GET", d(theirs.ID), nil, &dd); err != nil || dd.Name != "Theirs" || len(dd.Members) != 1 || len(dd.AdminIDs) != 0 {
		t.Errorf("department after the refusals: %v %+v", err, dd)
	}
	if _, err := env.Owner.Do(ctx, "GET", d(child.ID), nil, &dd); err != nil || dd.ParentID != theirs.ID {
		t.Errorf("child after the refusals: %v %+v", err, dd)
	}
	if _, err := env.Owner.Do(ctx, "GET", d(mine.ID), nil, &dd); err != nil || len(dd.AdminIDs) != 1 {
		t.Errorf("own department after the refusals: %v %+v", err, dd)
	}
}
