package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// TestDirectoryAudit changes the permission scheme and the directory through
// the API and finds each change in the organisation's audit trail, with who
// did it, to what, the outcome and the before/after values.
func TestDirectoryAudit(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Second)
	owner := env.Owner
	var me httpapi.User
	do(t, owner, "GET", "/api/v1/users/me", nil, &me)
	_, bobID := env.User("member")

	do(t, owner, "PATCH", "/api/v1/org/permissions", map[string]any{"see_phone": "admins", "mention_all": "everyone"}, nil)
	var eng, be httpapi.Department
	do(t, owner, "POST", "/api/v1/departments", map[string]any{"name": "Engineering"}, &eng)
	do(t, owner, "POST", "/api/v1/departments", map[string]any{"name": "Backend"}, &be)
	do(t, owner, "PATCH", fmt.Sprintf("/api/v1/departments/%d", be.ID), map[string]any{"name": "后端"}, nil)
	do(t, owner, "POST", fmt.Sprintf("/api/v1/departments/%d/move", be.ID), map[string]any{"parent_id": eng.ID}, nil)
	do(t, owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", be.ID, bobID), map[string]any{}, nil)
	do(t, owner, "PUT", fmt.Sprintf("/api/v1/departments/%d/admins/%d", eng.ID, bobID), map[string]any{}, nil)
	do(t, owner, "DELETE", fmt.Sprintf("/api/v1/departments/%d/admins/%d", eng.ID, bobID), nil, nil)
	do(t, owner, "DELETE", fmt.Sprintf("/api/v1/departments/%d/members/%d", be.ID, bobID), nil, nil)
	ch := must(owner.CreateChannel(ctx, "eng-all", "private", nil))
	do(t, owner, "PUT", fmt.Sprintf("/api/v1/channels/%d/department", ch.ID), map[string]any{"department_id": eng.ID}, nil)
	do(t, owner, "DELETE", fmt.Sprintf("/api/v1/departments/%d", be.ID), nil, nil)
	var g httpapi.Group
	do(t, owner, "POST", "/api/v1/groups", map[string]any{"handle": "oncall", "name": "On call"}, &g)
	do(t, owner, "PATCH", fmt.Sprintf("/api/v1/groups/%d", g.ID), map[string]any{"name": "值班"}, nil)
	do(t, owner, "DELETE", fmt.Sprintf("/api/v1/groups/%d", g.ID), nil, nil)
	var f httpapi.ProfileField
	do(t, owner, "POST", "/api/v1/profile-fields", map[string]any{"name": "工位"}, &f)
	do(t, owner, "PATCH", fmt.Sprintf("/api/v1/profile-fields/%d", f.ID), map[string]any{"admin_only": true}, nil)
	do(t, owner, "DELETE", fmt.Sprintf("/api/v1/profile-fields/%d", f.ID), nil, nil)
	// A refused permission-scheme change is recorded as a failure, and
	// nothing else.
	member, memberID := env.User("member")
	_, err := member.Do(ctx, "PATCH", "/api/v1/org/permissions", map[string]any{"see_email": "everyone"}, nil)
	wantCode(t, err, 403, "admin_required")

	var page httpapi.AuditPage
	do(t, owner, "GET", "/api/v1/audit?limit=100&since="+url.QueryEscape(start.UTC().Format(time.RFC3339Nano)), nil, &page)
	byAction := map[string][]httpapi.AuditEntry{}
	var refused []httpapi.AuditEntry
	for _, e := range page.Entries {
		if e.Outcome == "failure" {
			refused = append(refused, e)
			continue
		}
		byAction[e.Action] = append(byAction[e.Action], e)
	}
	if len(refused) != 1 || refused[0].Action != "permissions.update" || refused[0].ActorID != memberID ||
		refused[0].Details["reason"] != "admin_required" {
		t.Errorf("refused entries %+v, want one permissions.update by the member", refused)
	}
	one := func(action string) httpapi.AuditEntry {
		t.Helper()
		es := byAction[action]
		if len(es) != 1 {
			t.Fatalf("%d %s entries, want 1 (trail: %s)", len(es), action, auditActions(page))
		}
		e := es[0]
		if e.ActorID != me.ID || e.Outcome != "success" || e.Address != "127.0.0.1" {
			t.Errorf("%s entry %+v: want actor %d, success, from 127.0.0.1", action, e, me.ID)
		}
		return e
	}
	perm := one("permissions.update")
	if perm.TargetType != "org" || perm.Details["see_phone"] != "members → admins" || len(perm.Details) != 1 {
		// mention_all was already "everyone": unchanged keys are not listed.
		t.Errorf("permission entry %+v", perm)
	}
	grant := one("department.admin_grant")
	if grant.TargetType != "user" || grant.TargetID != bobID || grant.Details["department"] != fmt.Sprint(eng.ID) ||
		grant.Details["role"] != "member → dept_admin" {
		t.Errorf("grant entry %+v", grant)
	}
	if e := one("department.admin_revoke"); e.TargetType != "user" || e.TargetID != bobID {
		t.Errorf("revoke entry %+v", e)
	}
	if len(byAction["department.create"]) != 2 {
		t.Errorf("department.create entries: %+v", byAction["department.create"])
	}
	if e := one("department.update"); e.TargetType != "department" || e.TargetID != be.ID || e.Details["name"] != "Backend → 后端" {
		t.Errorf("rename entry %+v", e)
	}
	if e := one("department.move"); e.TargetID != be.ID || e.Details["parent"] != fmt.Sprintf("0 → %d", eng.ID) {
		t.Errorf("move entry %+v", e)
	}
	if e := one("department.member_set"); e.TargetID != be.ID || e.Details["user"] != fmt.Sprint(bobID) {
		t.Errorf("member entry %+v", e)
	}
	if e := one("department.member_remove"); e.TargetID != be.ID || e.Details["user"] != fmt.Sprint(bobID) {
		t.Errorf("member removal entry %+v", e)
	}
	if e := one("department.delete"); e.TargetID != be.ID || e.Details["name"] != "后端" {
		t.Errorf("delete entry %+v", e)
	}
	if e := one("channel.department_bind"); e.TargetType != "channel" || e.TargetID != ch.ID || e.Details["department"] != fmt.Sprintf("0 → %d", eng.ID) {
		t.Errorf("binding entry %+v", e)
	}
	if e := one("group.create"); e.TargetType != "group" || e.TargetID != g.ID || e.Details["handle"] != "oncall" {
		t.Errorf("group entry %+v", e)
	}
	if e := one("group.update"); e.Details["name"] != "On call → 值班" {
		t.Errorf("group update entry %+v", e)
	}
	one("group.delete")
	if e := one("profile_field.create"); e.TargetType != "profile_field" || e.TargetID != f.ID {
		t.Errorf("field entry %+v", e)
	}
	if e := one("profile_field.update"); e.Details["admin_only"] != "false → true" {
		t.Errorf("field update entry %+v", e)
	}
	one("profile_field.delete")

	// The action family filter finds them.
	do(t, owner, "GET", "/api/v1/audit?action=department.", nil, &page)
	if len(page.Entries) == 0 {
		t.Fatal("action=department. finds nothing")
	}
	for _, e := range page.Entries {
		if e.Action[:11] != "department." {
			t.Fatalf("action=department. returned %s", e.Action)
		}
	}
}
