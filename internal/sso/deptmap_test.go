package sso_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// Department rules (ADR 0014, decision 12): a provider's mapping puts the
// people in an IdP group into a department at every sign-in and sync, and
// takes them out of the departments its rules manage when they left the
// group; other departments are left alone.

func newDepartment(t *testing.T, env *servertest.Env, name string) httpapi.Department {
	t.Helper()
	var d httpapi.Department
	if _, err := env.Owner.Do(context.Background(), "POST", "/api/v1/departments", map[string]any{"name": name}, &d); err != nil {
		t.Fatalf("create department %s: %v", name, err)
	}
	return d
}

// memberOf lists the names of the departments a user is a direct member of.
func memberOf(t *testing.T, env *servertest.Env, user int64) []string {
	t.Helper()
	ctx := context.Background()
	var list httpapi.DepartmentList
	if _, err := env.Owner.Do(ctx, "GET", "/api/v1/departments", nil, &list); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range list.Departments {
		var ms httpapi.DepartmentMemberList
		if _, err := env.Owner.Do(ctx, "GET", fmt.Sprintf("/api/v1/departments/%d/members", d.ID), nil, &ms); err != nil {
			t.Fatal(err)
		}
		for _, m := range ms.Members {
			if m.UserID == user {
				out = append(out, d.Name)
			}
		}
	}
	return out
}

func setDepartmentRules(env *servertest.Env, p httpapi.SSOProvider, lang string, rules ...map[string]any) error {
	c := *env.Owner
	c.Lang = lang
	m := map[string]any{"default_role": p.Mapping.DefaultRole, "rules": p.Mapping.Rules, "departments": rules}
	_, err := c.Do(context.Background(), "PATCH", fmt.Sprintf("/api/v1/sso/providers/%d", p.ID), map[string]any{"mapping": m}, nil)
	return err
}

func addMember(t *testing.T, env *servertest.Env, dept, user int64) {
	t.Helper()
	if _, err := env.Owner.Do(context.Background(), "PUT", fmt.Sprintf("/api/v1/departments/%d/members/%d", dept, user), map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestOIDCGroupsMapToDepartments(t *testing.T) {
	e := startOIDC(t)
	ctx := context.Background()
	eng, sales, other := newDepartment(t, e.env, "Engineering"), newDepartment(t, e.env, "Sales"), newDepartment(t, e.env, "Choir")

	// Rules are checked on save: a department the organisation does not
	// have is a 400 with its id, in the caller's language.
	err := setDepartmentRules(e.env, e.provider, "en", map[string]any{"group": "eng", "department_id": 999999})
	if apiclient.StatusOf(err) != 400 || apiclient.CodeOf(err) != "sso_department_unknown" || !strings.Contains(err.(*apiclient.Error).Message, "999999") {
		t.Fatalf("unknown department: %v", err)
	}
	err = setDepartmentRules(e.env, e.provider, "zh-CN", map[string]any{"group": "eng", "department_id": 999999})
	if ae, ok := err.(*apiclient.Error); !ok || ae.Status != 400 || !strings.Contains(ae.Message, "部门规则") {
		t.Fatalf("unknown department in Chinese: %v", err)
	}
	if err := setDepartmentRules(e.env, e.provider, "en", map[string]any{"group": " ", "department_id": eng.ID}); apiclient.CodeOf(err) != "sso_department_rule_invalid" {
		t.Fatalf("rule without a group: %v", err)
	}
	if err := setDepartmentRules(e.env, e.provider, "en",
		map[string]any{"group": "eng", "department_id": eng.ID}, map[string]any{"group": "sales", "department_id": sales.ID}); err != nil {
		t.Fatal(err)
	}
	var p httpapi.SSOProvider
	if _, err := e.env.Owner.Do(ctx, "GET", fmt.Sprintf("/api/v1/sso/providers/%d", e.provider.ID), nil, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Mapping.Departments) != 2 || p.Mapping.Departments[1] != (httpapi.SSODepartmentRule{Group: "sales", DepartmentID: sales.ID}) {
		t.Fatalf("stored rules: %+v", p.Mapping.Departments)
	}
	// A channel bound to Engineering follows its members.
	ch, err := e.env.Owner.CreateChannel(ctx, "eng-all", "private", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.env.Owner.Do(ctx, "PUT", fmt.Sprintf("/api/v1/channels/%d/department", ch.ID), map[string]any{"department_id": eng.ID}, nil); err != nil {
		t.Fatal(err)
	}

	// First sign-in: provisioned straight into Engineering.
	e.idp.storage.setGroups("u-alice", "ENG")
	login := func() httpapi.User {
		t.Helper()
		b := newBrowser(t)
		st, code, u := b.callback(b.authorize(e.startURL(), "alice"))
		if st != 200 {
			t.Fatalf("sign-in: %d %s", st, code)
		}
		return u
	}
	alice := login()
	if got := memberOf(t, e.env, alice.ID); len(got) != 1 || got[0] != "Engineering" {
		t.Fatalf("after the first sign-in alice is in %v", got)
	}
	var members httpapi.MemberList
	if _, err := e.env.Owner.Do(ctx, "GET", fmt.Sprintf("/api/v1/channels/%d/members", ch.ID), nil, &members); err != nil {
		t.Fatal(err)
	}
	if !hasMember(members, alice.ID) {
		t.Fatalf("alice is not in the Engineering channel: %+v", members)
	}
	// A department no rule names is the admin's: left alone.
	addMember(t, e.env, other.ID, alice.ID)

	// She moved to sales at the IdP: in Sales, out of Engineering (and its channel).
	e.idp.storage.setGroups("u-alice", "sales")
	login()
	if got := memberOf(t, e.env, alice.ID); !sameNames(got, "Sales", "Choir") {
		t.Fatalf("after the move alice is in %v", got)
	}
	if _, err := e.env.Owner.Do(ctx, "GET", fmt.Sprintf("/api/v1/channels/%d/members", ch.ID), nil, &members); err != nil {
		t.Fatal(err)
	}
	if hasMember(members, alice.ID) {
		t.Fatalf("alice is still in the Engineering channel")
	}
	mapped := auditEntries(t, e.env, "sso.departments")
	if len(mapped) != 2 || mapped[0].TargetID != alice.ID || mapped[0].Details["added"] != fmt.Sprint(sales.ID) ||
		mapped[0].Details["removed"] != fmt.Sprint(eng.ID) || mapped[0].Details["provider"] != fmt.Sprint(e.provider.ID) {
		t.Fatalf("audit: %+v", mapped)
	}

	// Sales is deleted: the rule is inert (sign-ins still work and leave
	// the rest alone), and the provider cannot be saved with it.
	if _, err := e.env.Owner.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/departments/%d/members/%d", sales.ID, alice.ID), nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.env.Owner.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/departments/%d", sales.ID), nil, nil); err != nil {
		t.Fatal(err)
	}
	e.idp.storage.setGroups("u-alice", "sales", "eng")
	login()
	if got := memberOf(t, e.env, alice.ID); !sameNames(got, "Engineering", "Choir") {
		t.Fatalf("after the deletion alice is in %v", got)
	}
	if err := setDepartmentRules(e.env, p, "en", map[string]any{"group": "eng", "department_id": eng.ID},
		map[string]any{"group": "sales", "department_id": sales.ID}); apiclient.CodeOf(err) != "sso_department_unknown" {
		t.Fatalf("saving a rule naming a deleted department: %v", err)
	}
}

func hasMember(l httpapi.MemberList, user int64) bool {
	for _, m := range l.Members {
		if m.UserID == user {
			return true
		}
	}
	return false
}

func sameNames(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			return false
		}
	}
	return true
}

func TestSAMLGroupsMapToDepartments(t *testing.T) {
	e := startSAML(t)
	admins, board, choir := newDepartment(t, e.env, "Admins"), newDepartment(t, e.env, "Board"), newDepartment(t, e.env, "Choir")
	if err := setDepartmentRules(e.env, e.provider, "en", map[string]any{"group": "parley-admins", "department_id": admins.ID},
		map[string]any{"group": "board", "department_id": board.ID}); err != nil {
		t.Fatal(err)
	}
	xmlResp, relay := e.signIn(t)
	st, code, ada := e.post(t, xmlResp, relay)
	if st != 200 {
		t.Fatalf("acs: %d %s", st, code)
	}
	if got := memberOf(t, e.env, ada.ID); !sameNames(got, "Admins") {
		t.Fatalf("ada is in %v", got)
	}
	// Put in Board by hand (a department the rules manage; she is not in
	// the IdP's board group) and in Choir (no rule names it).
	addMember(t, e.env, board.ID, ada.ID)
	addMember(t, e.env, choir.ID, ada.ID)
	xmlResp, relay = e.signIn(t)
	if st, code, _ := e.post(t, xmlResp, relay); st != 200 {
		t.Fatalf("second sign-in: %d %s", st, code)
	}
	if got := memberOf(t, e.env, ada.ID); !sameNames(got, "Admins", "Choir") {
		t.Fatalf("after the second sign-in ada is in %v", got)
	}
	if m := auditEntries(t, e.env, "sso.departments"); len(m) != 2 || m[0].Details["removed"] != fmt.Sprint(board.ID) ||
		m[1].Details["added"] != fmt.Sprint(admins.ID) || m[1].Details["provisioned_by"] != "saml" {
		t.Fatalf("audit: %+v", m)
	}
}

func TestLDAPGroupsMapToDepartments(t *testing.T) {
	e := startLDAP(t)
	ctx := context.Background()
	ops := newDepartment(t, e.env, "Operators")
	if err := setDepartmentRules(e.env, e.provider, "en", map[string]any{"group": "parley-admins", "department_id": ops.ID}); err != nil {
		t.Fatal(err)
	}
	st, code, carol := e.login("carol", userPass)
	if st != 200 {
		t.Fatalf("carol: %d %s", st, code)
	}
	if got := memberOf(t, e.env, carol.ID); !sameNames(got, "Operators") {
		t.Fatalf("carol after login is in %v", got)
	}
	// The sync also applies the rules (with the OU departments): wangwu is
	// not an admin, carol stays, both land in Engineering from their OU.
	path := fmt.Sprintf("/api/v1/sso/providers/%d/sync", e.provider.ID)
	if _, err := e.env.Owner.Do(ctx, "POST", path, map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	users := e.users(t)
	if got := memberOf(t, e.env, users["wangwu@corp.test"].ID); !sameNames(got, "Engineering") {
		t.Fatalf("wangwu after the sync is in %v", got)
	}
	if got := memberOf(t, e.env, carol.ID); !sameNames(got, "Operators", "Engineering") {
		t.Fatalf("carol after the sync is in %v", got)
	}
	// Carol leaves the group in the directory: the next sync takes her out.
	c := e.dir.admin()
	mod := ldap.NewModifyRequest("cn=parley-admins,ou=groups,"+ldapBase, nil)
	mod.Replace("member", []string{"uid=wangwu,ou=Engineering,ou=people," + ldapBase})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := e.env.Owner.Do(ctx, "POST", path, map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := memberOf(t, e.env, carol.ID); !sameNames(got, "Engineering") {
		t.Fatalf("carol after leaving the group is in %v", got)
	}
	if got := memberOf(t, e.env, users["wangwu@corp.test"].ID); !sameNames(got, "Engineering", "Operators") {
		t.Fatalf("wangwu after joining the group is in %v", got)
	}
	// Wangwu leaves the company: the sync deactivates him and takes him
	// out of the departments the rules manage (and, as before, the OU's).
	c = e.dir.admin()
	if err := c.Del(ldap.NewDelRequest("uid=wangwu,ou=Engineering,ou=people,"+ldapBase, nil)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := e.env.Owner.Do(ctx, "POST", path, map[string]any{}, nil); err != nil {
		t.Fatal(err)
	}
	if got := memberOf(t, e.env, users["wangwu@corp.test"].ID); len(got) != 0 {
		t.Fatalf("wangwu after leaving is in %v", got)
	}
	if m := auditEntries(t, e.env, "sso.departments"); len(m) == 0 || m[0].Details["provisioned_by"] != "ldap" {
		t.Fatalf("audit: %+v", m)
	}
}
