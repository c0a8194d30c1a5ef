package scim_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

type scimGroup struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Members     []struct {
		Value string `json:"value"`
	} `json:"members"`
}

func (g scimGroup) memberIDs() []string {
	var out []string
	for _, m := range g.Members {
		out = append(out, m.Value)
	}
	slices.Sort(out)
	return out
}

func (c *client) group(method, path string, body any, want int) scimGroup {
	c.t.Helper()
	st, data := c.do(method, path, body)
	if st != want {
		c.t.Fatalf("%s %s: %d %s", method, path, st, data)
	}
	var g scimGroup
	json.Unmarshal(data, &g)
	return g
}

func (c *client) groups(query string) (list, []scimGroup) {
	c.t.Helper()
	st, data := c.do("GET", "/scim/v2/Groups?"+query, nil)
	if st != 200 {
		c.t.Fatalf("groups %q: %d %s", query, st, data)
	}
	var l list
	json.Unmarshal(data, &l)
	var gs []scimGroup
	for _, raw := range l.Resources {
		var g scimGroup
		json.Unmarshal(raw, &g)
		gs = append(gs, g)
	}
	return l, gs
}

func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

func TestSCIMGroupsAreDepartments(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	c := newToken(t, env.Owner, env.URL)
	for _, p := range []string{"/scim/v2/ResourceTypes", "/scim/v2/Schemas"} {
		if st, data := c.do("GET", p, nil); st != 200 || !strings.Contains(string(data), "urn:ietf:params:scim:schemas:core:2.0:Group") {
			t.Fatalf("%s does not advertise Groups: %d %s", p, st, data)
		}
	}
	alice := c.create("alice@corp.test", "Alice")
	bob := c.create("bob@corp.test", "Bob")
	carol := c.create("carol@corp.test", "Carol")

	// Okta pushes a group with its members.
	eng := c.group("POST", "/scim/v2/Groups", map[string]any{
		"schemas":     []string{"urn:ietf:params:scim:schemas:core:2.0:Group"},
		"displayName": "Engineering", "members": []map[string]any{{"value": alice.ID, "display": "Alice"}, {"value": bob.ID}},
	}, 201)
	if eng.DisplayName != "Engineering" || !slices.Equal(eng.memberIDs(), []string{alice.ID, bob.ID}) {
		t.Fatalf("created %+v", eng)
	}
	// It is a top-level department with those members in the directory.
	var d httpapi.DepartmentDetail
	if _, err := env.Owner.Do(ctx, "GET", "/api/v1/departments/"+eng.ID, nil, &d); err != nil || d.Name != "Engineering" ||
		d.ParentID != 0 || len(d.Members) != 2 {
		t.Fatalf("department: %v %+v", err, d)
	}
	// The same name again is a uniqueness conflict.
	if st, data := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "engineering"}); st != 409 {
		t.Fatalf("duplicate group: %d %s", st, data)
	}
	// Members that are not users of the organisation are refused, and
	// nothing is created.
	if st, data := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Ghosts",
		"members": []map[string]any{{"value": "999999"}}}); st != 400 || !strings.Contains(string(data), "invalidValue") {
		t.Fatalf("unknown member: %d %s", st, data)
	}
	sales := c.group("POST", "/scim/v2/Groups", map[string]any{"displayName": "Sales"}, 201)

	// Okta: add, remove by value path, path-less replace of displayName.
	g := c.group("PATCH", "/scim/v2/Groups/"+sales.ID, patchOps(
		map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": carol.ID}, {"value": alice.ID}}}), 200)
	if !slices.Equal(g.memberIDs(), []string{alice.ID, carol.ID}) {
		t.Fatalf("after add: %+v", g)
	}
	g = c.group("PATCH", "/scim/v2/Groups/"+sales.ID, patchOps(
		map[string]any{"op": "remove", "path": `members[value eq "` + alice.ID + `"]`},
		map[string]any{"op": "replace", "value": map[string]any{"id": sales.ID, "displayName": "Sales EMEA"}}), 200)
	if g.DisplayName != "Sales EMEA" || !slices.Equal(g.memberIDs(), []string{carol.ID}) {
		t.Fatalf("after Okta remove and rename: %+v", g)
	}
	// Entra ID: capitalised ops, remove with a value list, path displayName.
	g = c.group("PATCH", "/scim/v2/Groups/"+eng.ID, patchOps(
		map[string]any{"op": "Remove", "path": "members", "value": []map[string]any{{"value": bob.ID}}},
		map[string]any{"op": "Add", "path": "members", "value": []map[string]any{{"value": carol.ID}}},
		map[string]any{"op": "Replace", "path": "displayName", "value": "R&D"}), 200)
	if g.DisplayName != "R&D" || !slices.Equal(g.memberIDs(), []string{alice.ID, carol.ID}) {
		t.Fatalf("after Entra patch: %+v", g)
	}
	// A user's groups list their departments (read-only).
	st, data := c.do("GET", "/scim/v2/Users/"+carol.ID, nil)
	if st != 200 || !strings.Contains(string(data), `"display":"R\u0026D"`) || !strings.Contains(string(data), `"display":"Sales EMEA"`) {
		t.Fatalf("carol's groups: %d %s", st, data)
	}

	// Filters and pagination.
	for filter, want := range map[string]int{
		`displayName eq "r&d"`:                1,
		`displayName sw "Sales"`:              1,
		`id eq "` + eng.ID + `"`:              1,
		`members.value eq "` + carol.ID + `"`: 2,
		`members.value eq "` + bob.ID + `"`:   0,
		`externalId eq "00g1"`:                0,
		`displayName pr and not (id eq "0")`:  2,
		`displayName eq "x\" or \"1\"=\"1"`:   0,
	} {
		if l, _ := c.groups("filter=" + url.QueryEscape(filter)); l.TotalResults != want {
			t.Errorf("group filter %s: %d results, want %d", filter, l.TotalResults, want)
		}
	}
	l, gs := c.groups("startIndex=2&count=1")
	if l.TotalResults != 2 || l.ItemsPerPage != 1 || len(gs) != 1 || gs[0].ID != sales.ID {
		t.Fatalf("group page: %+v %+v", l, gs)
	}
	// Entra ID leaves members out of its lookups.
	if _, gs := c.groups("excludedAttributes=members&filter=" + url.QueryEscape(`displayName eq "R&D"`)); len(gs) != 1 || gs[0].Members != nil {
		t.Fatalf("excludedAttributes=members: %+v", gs)
	}

	// PUT replaces the name and the whole member list.
	g = c.group("PUT", "/scim/v2/Groups/"+eng.ID, map[string]any{"displayName": "Engineering",
		"members": []map[string]any{{"value": bob.ID}}}, 200)
	if g.DisplayName != "Engineering" || !slices.Equal(g.memberIDs(), []string{bob.ID}) {
		t.Fatalf("after PUT: %+v", g)
	}
	// Bad requests are SCIM errors.
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"PATCH", "/scim/v2/Groups/" + eng.ID, patchOps(map[string]any{"op": "move", "path": "members"}), 400},
		{"PATCH", "/scim/v2/Groups/" + eng.ID, patchOps(map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": "abc"}}}), 400},
		{"PATCH", "/scim/v2/Groups/" + eng.ID, patchOps(map[string]any{"op": "remove", "path": `members[value zz "1"]`}), 400},
		{"PATCH", "/scim/v2/Groups/" + eng.ID, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": ""}), 400},
		{"PUT", "/scim/v2/Groups/" + eng.ID, map[string]any{"members": []any{}}, 400},
		{"GET", "/scim/v2/Groups/abc", nil, 404},
		{"GET", "/scim/v2/Groups/999999", nil, 404},
	} {
		if st, data := c.do(tc.method, tc.path, tc.body); st != tc.want || !strings.Contains(string(data), "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("%s %s %v: %d %s", tc.method, tc.path, tc.body, st, data)
		}
	}

	// DELETE empties and removes the department; its users stay.
	if st, data := c.do("DELETE", "/scim/v2/Groups/"+eng.ID, nil); st != 204 {
		t.Fatalf("delete: %d %s", st, data)
	}
	if st, _ := c.do("GET", "/scim/v2/Groups/"+eng.ID, nil); st != 404 {
		t.Fatalf("deleted group: %d", st)
	}
	if st, data := c.do("GET", "/scim/v2/Users/"+bob.ID, nil); st != 200 || !strings.Contains(string(data), `"active":true`) ||
		!strings.Contains(string(data), `"groups":[]`) {
		t.Fatalf("bob after his group went: %d %s", st, data)
	}
	// A provider that pushes a tree names the parent in Parley's extension.
	const ext = "urn:parley:params:scim:schemas:extension:department:2.0:Group"
	st, data = c.do("POST", "/scim/v2/Groups", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group", ext},
		"displayName": "Nordics", ext: map[string]any{"parent": sales.ID}})
	if st != 201 || !strings.Contains(string(data), `"parent":"`+sales.ID+`"`) {
		t.Fatalf("child group: %d %s", st, data)
	}
	var child scimGroup
	json.Unmarshal(data, &child)
	var cd httpapi.DepartmentDetail
	if _, err := env.Owner.Do(ctx, "GET", "/api/v1/departments/"+child.ID, nil, &cd); err != nil || cd.ParentID != mustInt(t, sales.ID) {
		t.Fatalf("child department: %v %+v", err, cd)
	}
	for _, parent := range []string{"999999", "abc", eng.ID} { // eng is deleted
		if st, data := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Orphans", ext: map[string]any{"parent": parent}}); st != 400 {
			t.Errorf("parent %s: %d %s", parent, st, data)
		}
	}
	// A department with sub-departments is not deleted.
	if st, data := c.do("DELETE", "/scim/v2/Groups/"+sales.ID, nil); st != 409 {
		t.Fatalf("delete with a sub-department: %d %s", st, data)
	}

	// Every change is in the audit trail, attributed to SCIM.
	for action, n := range map[string]int{"scim.group.create": 3, "scim.group.update": 5, "scim.group.delete": 1} {
		var p httpapi.AuditPage
		if _, err := env.Owner.Do(ctx, "GET", "/api/v1/audit?action="+action, nil, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Entries) != n {
			t.Errorf("%s: %d entries, want %d: %+v", action, len(p.Entries), n, p.Entries)
		}
		for _, e := range p.Entries {
			if e.TargetType != "department" || e.Details["provisioned_by"] != "scim" {
				t.Errorf("%s entry %+v", action, e)
			}
		}
	}
	// The token records when it was last used.
	var tl httpapi.SCIMTokenList
	if _, err := env.Owner.Do(ctx, "GET", "/api/v1/sso/scim-tokens", nil, &tl); err != nil || len(tl.Tokens) != 1 ||
		time.Time(tl.Tokens[0].LastUsedAt).IsZero() {
		t.Fatalf("token last used: %v %+v", err, tl)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSCIMGroupsIsolationAndHostileFilters(t *testing.T) {
	env := servertest.Start(t)
	acme := newToken(t, env.Owner, env.URL)
	secret := acme.group("POST", "/scim/v2/Groups", map[string]any{"displayName": "Secret Project"}, 201)
	globex := newToken(t, env.OtherOrg("Globex"), env.URL)
	gina := globex.create("gina@globex.test", "Gina")

	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		var body any
		switch m {
		case "PUT":
			body = map[string]any{"displayName": "Taken"}
		case "PATCH":
			body = patchOps(map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": gina.ID}}})
		}
		if st, data := globex.do(m, "/scim/v2/Groups/"+secret.ID, body); st != 404 {
			t.Errorf("%s another organisation's group: %d %s", m, st, data)
		}
	}
	if st, data := globex.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Inside",
		"urn:parley:params:scim:schemas:extension:department:2.0:Group": map[string]any{"parent": secret.ID}}); st != 400 {
		t.Errorf("another organisation's group as parent: %d %s", st, data)
	}
	if l, _ := globex.groups("filter=" + url.QueryEscape(`displayName pr`)); l.TotalResults != 0 {
		t.Errorf("another organisation's groups listed: %d", l.TotalResults)
	}
	// Nor can a group take another organisation's user.
	if st, data := acme.do("PATCH", "/scim/v2/Groups/"+secret.ID, patchOps(
		map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": gina.ID}}})); st != 400 {
		t.Errorf("another organisation's user as a member: %d %s", st, data)
	}
	g := acme.group("GET", "/scim/v2/Groups/"+secret.ID, nil, 200)
	if g.DisplayName != "Secret Project" || len(g.Members) != 0 {
		t.Fatalf("group changed: %+v", g)
	}
	for _, filter := range []string{
		`displayName eq`, `userName eq "a"`, `members[value eq "1"]`, `displayName eq "a") or (id pr`,
		`displayName eq "a"; DROP TABLE departments`, strings.Repeat(`id pr or `, 70) + `id pr`,
	} {
		st, data := acme.do("GET", "/scim/v2/Groups?filter="+url.QueryEscape(filter), nil)
		var e scimErr
		json.Unmarshal(data, &e)
		if st != 400 || e.ScimType != "invalidFilter" {
			t.Errorf("group filter %q: %d %s", filter, st, data)
		}
	}
}

// TestSCIMGroupExternalID: the provider's id of a group is kept, returned,
// filtered on (case-sensitively) and changed by PATCH and PUT.
func TestSCIMGroupExternalID(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)
	type extGroup struct {
		ID          string  `json:"id"`
		ExternalID  *string `json:"externalId"`
		DisplayName string  `json:"displayName"`
	}
	read := func(method, path string, body any, want int) extGroup {
		t.Helper()
		st, data := c.do(method, path, body)
		if st != want {
			t.Fatalf("%s %s: %d %s", method, path, st, data)
		}
		var g extGroup
		json.Unmarshal(data, &g)
		return g
	}
	ext := func(g extGroup) string {
		if g.ExternalID == nil {
			return "<absent>"
		}
		return *g.ExternalID
	}
	eng := read("POST", "/scim/v2/Groups", map[string]any{"displayName": "Engineering", "externalId": "00gEng"}, 201)
	read("POST", "/scim/v2/Groups", map[string]any{"displayName": "Sales"}, 201)
	if ext(eng) != "00gEng" {
		t.Fatalf("created: %+v", eng)
	}
	if g := read("GET", "/scim/v2/Groups/"+eng.ID, nil, 200); ext(g) != "00gEng" {
		t.Fatalf("read back: %+v", g)
	}
	count := func(filter string) int {
		t.Helper()
		l, gs := c.groups("filter=" + url.QueryEscape(filter))
		for _, g := range gs {
			if g.ID != eng.ID {
				t.Errorf("filter %s matched group %s", filter, g.ID)
			}
		}
		return l.TotalResults
	}
	for filter, want := range map[string]int{
		`externalId eq "00gEng"`: 1,
		`externalId eq "00geng"`: 0, // caseExact
		`externalId pr`:          1,
		`externalId sw "00g"`:    1,
		`externalId eq "00gEng" and displayName eq "engineering"`: 1,
	} {
		if n := count(filter); n != want {
			t.Errorf("filter %s: %d, want %d", filter, n, want)
		}
	}
	// Entra ID: replace by path; Okta: path-less replace.
	if g := read("PATCH", "/scim/v2/Groups/"+eng.ID, patchOps(map[string]any{"op": "Replace", "path": "externalId", "value": "aad-1"}), 200); ext(g) != "aad-1" {
		t.Fatalf("after replace by path: %+v", g)
	}
	if g := read("PATCH", "/scim/v2/Groups/"+eng.ID, patchOps(map[string]any{"op": "replace",
		"value": map[string]any{"id": eng.ID, "externalId": "okta-1"}}), 200); ext(g) != "okta-1" || g.DisplayName != "Engineering" {
		t.Fatalf("after path-less replace: %+v", g)
	}
	if n := count(`externalId eq "okta-1"`); n != 1 {
		t.Fatalf("filter on the new externalId: %d", n)
	}
	if g := read("PATCH", "/scim/v2/Groups/"+eng.ID, patchOps(map[string]any{"op": "remove", "path": "externalId"}), 200); ext(g) != "<absent>" {
		t.Fatalf("after remove: %+v", g)
	}
	read("PUT", "/scim/v2/Groups/"+eng.ID, map[string]any{"displayName": "Engineering", "externalId": "put-1"}, 200)
	// PUT replaces the whole group: no externalId removes it.
	if g := read("PUT", "/scim/v2/Groups/"+eng.ID, map[string]any{"displayName": "Engineering"}, 200); ext(g) != "<absent>" {
		t.Fatalf("after PUT without externalId: %+v", g)
	}
	read("PATCH", "/scim/v2/Groups/"+eng.ID, patchOps(map[string]any{"op": "add", "path": "externalId", "value": "00gEng"}), 200)
	// Bad values are refused and change nothing.
	for _, body := range []any{
		patchOps(map[string]any{"op": "replace", "path": "externalId", "value": 5}),
		patchOps(map[string]any{"op": "replace", "path": "externalId", "value": "a\u0000b"}),
		patchOps(map[string]any{"op": "replace", "path": "externalId", "value": strings.Repeat("x", 257)}),
	} {
		if st, data := c.do("PATCH", "/scim/v2/Groups/"+eng.ID, body); st != 400 || !strings.Contains(string(data), "invalidValue") {
			t.Errorf("bad externalId %v: %d %s", body, st, data)
		}
	}
	if st, data := c.do("POST", "/scim/v2/Groups", map[string]any{"displayName": "Bad", "externalId": strings.Repeat("x", 257)}); st != 400 {
		t.Errorf("create with a long externalId: %d %s", st, data)
	}
	if _, gs := c.groups("filter=" + url.QueryEscape(`displayName eq "Bad"`)); len(gs) != 0 {
		t.Errorf("a group was created with a bad externalId: %+v", gs)
	}
	if g := read("GET", "/scim/v2/Groups/"+eng.ID, nil, 200); ext(g) != "00gEng" {
		t.Fatalf("after refused changes: %+v", g)
	}
	// Another organisation's token does not find it by its externalId.
	globex := newToken(t, env.OtherOrg("Globex"), env.URL)
	if l, _ := globex.groups("filter=" + url.QueryEscape(`externalId eq "00gEng"`)); l.TotalResults != 0 {
		t.Errorf("another organisation's group found by externalId: %d", l.TotalResults)
	}
	// Changes are audited with the new value.
	var p httpapi.AuditPage
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/audit?action=scim.group.update&target_id="+eng.ID, nil, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) == 0 || p.Entries[0].Details["external_id"] != "00gEng" {
		t.Errorf("audit of the externalId change: %+v", p.Entries)
	}
}
