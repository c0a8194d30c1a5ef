package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

type bulkResult struct {
	Method   string   `json:"method"`
	BulkID   string   `json:"bulkId"`
	Location string   `json:"location"`
	Status   string   `json:"status"`
	Response *scimErr `json:"response"`
}

type bulkResponse struct {
	Schemas    []string     `json:"schemas"`
	Operations []bulkResult `json:"Operations"`
}

func bulkReq(failOnErrors int, ops ...map[string]any) map[string]any {
	b := map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:BulkRequest"}, "Operations": ops}
	if failOnErrors > 0 {
		b["failOnErrors"] = failOnErrors
	}
	return b
}

func postUser(bulkID, email string) map[string]any {
	return map[string]any{"method": "POST", "path": "/Users", "bulkId": bulkID, "data": map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": email, "displayName": bulkID}}
}

// bulk sends a bulk request that must answer 200, and returns its results.
func (c *client) bulk(body any) []bulkResult {
	c.t.Helper()
	st, data := c.do("POST", "/scim/v2/Bulk", body)
	if st != 200 {
		c.t.Fatalf("bulk: %d %s", st, data)
	}
	var r bulkResponse
	if err := json.Unmarshal(data, &r); err != nil || len(r.Schemas) != 1 || r.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:BulkResponse" {
		c.t.Fatalf("bulk response %s: %v", data, err)
	}
	return r.Operations
}

func statuses(rs []bulkResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}

func (c *client) userCount(filter string) int {
	c.t.Helper()
	return c.list(filter).TotalResults
}

func TestSCIMBulkCreatesUsersAndAGroupByBulkID(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)
	st, data := c.do("GET", "/scim/v2/ServiceProviderConfig", nil)
	if st != 200 || !strings.Contains(string(data), `"bulk":{"maxOperations":1000,"maxPayloadSize":1048576,"supported":true}`) {
		t.Fatalf("ServiceProviderConfig does not advertise bulk: %d %s", st, data)
	}
	const ext = "urn:parley:params:scim:schemas:extension:department:2.0:Group"
	// The group comes first and names its members and its parent by the
	// bulkIds of operations further down: they run first.
	rs := c.bulk(bulkReq(0,
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "eng", "data": map[string]any{
			"displayName": "Engineering", "externalId": "00gEng",
			"members": []map[string]any{{"value": "bulkId:alice"}, {"value": "bulkId:bob"}},
			ext:       map[string]any{"parent": "bulkId:rnd"}}},
		postUser("alice", "alice@corp.test"),
		postUser("bob", "bob@corp.test"),
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "rnd", "data": map[string]any{"displayName": "R&D"}},
		map[string]any{"method": "PATCH", "path": "/Users/bulkId:alice", "data": patchOps(
			map[string]any{"op": "replace", "path": "displayName", "value": "Alice L."})},
		map[string]any{"method": "PATCH", "path": "/Groups/bulkId:rnd", "data": patchOps(
			map[string]any{"op": "add", "path": "members", "value": []map[string]any{{"value": "bulkId:bob"}}})},
	))
	if got := statuses(rs); !slices.Equal(got, []string{"201", "201", "201", "201", "200", "200"}) {
		t.Fatalf("statuses %v: %+v", got, rs)
	}
	// Results come in request order, with the method, bulkId and location.
	for i, want := range []struct{ method, bulkID, prefix string }{
		{"POST", "eng", "/scim/v2/Groups/"}, {"POST", "alice", "/scim/v2/Users/"}, {"POST", "bob", "/scim/v2/Users/"},
		{"POST", "rnd", "/scim/v2/Groups/"}, {"PATCH", "", "/scim/v2/Users/"}, {"PATCH", "", "/scim/v2/Groups/"},
	} {
		r := rs[i]
		if r.Method != want.method || r.BulkID != want.bulkID || !strings.HasPrefix(r.Location, want.prefix) || r.Response != nil {
			t.Errorf("result %d: %+v, want %+v", i, r, want)
		}
	}
	id := func(loc string) string { return loc[strings.LastIndexByte(loc, '/')+1:] }
	eng, alice, bob, rnd := id(rs[0].Location), id(rs[1].Location), id(rs[2].Location), id(rs[3].Location)
	if rs[4].Location != "/scim/v2/Users/"+alice || rs[5].Location != "/scim/v2/Groups/"+rnd {
		t.Errorf("PATCH locations %q %q", rs[4].Location, rs[5].Location)
	}
	g := c.group("GET", "/scim/v2/Groups/"+eng, nil, 200)
	if !slices.Equal(g.memberIDs(), sorted(alice, bob)) {
		t.Fatalf("Engineering members %v, want %s and %s", g.memberIDs(), alice, bob)
	}
	if g := c.group("GET", "/scim/v2/Groups/"+rnd, nil, 200); !slices.Equal(g.memberIDs(), []string{bob}) {
		t.Fatalf("R&D members %v", g.memberIDs())
	}
	var d httpapi.DepartmentDetail
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/departments/"+eng, nil, &d); err != nil || d.ParentID != mustInt(t, rnd) {
		t.Fatalf("Engineering in the directory: %v %+v", err, d)
	}
	if st, data := c.do("GET", "/scim/v2/Users/"+alice, nil); st != 200 || !strings.Contains(string(data), `"displayName":"Alice L."`) {
		t.Fatalf("alice: %d %s", st, data)
	}
	if l, _ := c.groups("filter=" + url.QueryEscape(`externalId eq "00gEng"`)); l.TotalResults != 1 {
		t.Fatalf("externalId set in bulk: %d", l.TotalResults)
	}
	// Each operation is audited as if sent alone.
	var p httpapi.AuditPage
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/audit?action=user.create", nil, &p); err != nil || len(p.Entries) != 2 ||
		p.Entries[0].Details["provisioned_by"] != "scim" || p.Entries[0].Address != "127.0.0.1" || p.Entries[0].UserAgent == "" {
		t.Fatalf("user.create audit (by scim, from the provider's address): %v %+v", err, p.Entries)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestSCIMBulkErrors(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)
	c.create("taken@corp.test", "Taken")

	// Without failOnErrors every operation runs; each failure carries a
	// SCIM error, and what depends on a failed POST fails too.
	rs := c.bulk(bulkReq(0,
		postUser("c", "c@corp.test"),
		// A group's bulkId where a user is expected, and the reverse.
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g1", "data": map[string]any{"displayName": "G1",
			"members": []map[string]any{{"value": "bulkId:g0"}}}},
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g0", "data": map[string]any{"displayName": "G0"}},
		map[string]any{"method": "PATCH", "path": "/Groups/bulkId:c", "data": patchOps(map[string]any{"op": "replace", "path": "displayName", "value": "X"})},
		postUser("dup", "taken@corp.test"),
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "g", "data": map[string]any{"displayName": "G",
			"members": []map[string]any{{"value": "bulkId:dup"}}}},
		map[string]any{"method": "PATCH", "path": "/Users/999999", "data": patchOps(map[string]any{"op": "replace", "path": "active", "value": false})},
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "ghost", "data": map[string]any{"displayName": "Ghost",
			"members": []map[string]any{{"value": "bulkId:nobody"}}}},
		map[string]any{"method": "GET", "path": "/Users"},
		map[string]any{"method": "DELETE", "path": "/Widgets/1"},
		map[string]any{"method": "POST", "path": "/Users", "data": map[string]any{"userName": "nobulkid@corp.test"}},
		postUser("d", "d@corp.test"),
	))
	want := []struct{ status, scimType string }{
		{"201", ""}, {"400", "invalidValue"}, {"201", ""}, {"400", "invalidValue"}, {"409", "uniqueness"}, {"409", ""}, {"404", ""}, {"400", "invalidValue"},
		{"400", "invalidValue"}, {"400", "invalidPath"}, {"400", "invalidValue"}, {"201", ""},
	}
	if len(rs) != len(want) {
		t.Fatalf("%d results for %d operations: %+v", len(rs), len(want), rs)
	}
	for i, w := range want {
		r := rs[i]
		if r.Status != w.status {
			t.Errorf("operation %d: status %s, want %s: %+v", i, r.Status, w.status, r)
			continue
		}
		if w.status >= "400" && (r.Response == nil || r.Response.Status != w.status || r.Response.ScimType != w.scimType ||
			r.Response.Detail == "" || r.Response.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("operation %d: response %+v, want a SCIM error %s %s", i, r.Response, w.status, w.scimType)
		}
	}
	for email, n := range map[string]int{"c@corp.test": 1, "d@corp.test": 1, "taken@corp.test": 1, "nobulkid@corp.test": 0} {
		if got := c.userCount(`userName eq "` + email + `"`); got != n {
			t.Errorf("%s: %d users, want %d", email, got, n)
		}
	}
	if l, gs := c.groups(""); l.TotalResults != 1 || gs[0].DisplayName != "G0" {
		t.Errorf("groups after the failed operations: %+v, want G0 only", gs)
	}

	// failOnErrors 1: the first error ends the job; what came before stays
	// (operations are not a transaction), what comes after does not run.
	rs = c.bulk(bulkReq(1, postUser("e", "e@corp.test"), postUser("dup", "taken@corp.test"), postUser("f", "f@corp.test")))
	if got := statuses(rs); !slices.Equal(got, []string{"201", "409"}) {
		t.Fatalf("failOnErrors 1: %v %+v", got, rs)
	}
	if c.userCount(`userName eq "e@corp.test"`) != 1 || c.userCount(`userName eq "f@corp.test"`) != 0 {
		t.Fatal("failOnErrors 1: e must exist and f must not")
	}
	// failOnErrors 2 tolerates one error.
	rs = c.bulk(bulkReq(2, postUser("dup", "taken@corp.test"), postUser("g", "g@corp.test"),
		postUser("dup2", "taken@corp.test"), postUser("h", "h@corp.test")))
	if got := statuses(rs); !slices.Equal(got, []string{"409", "201", "409"}) {
		t.Fatalf("failOnErrors 2: %v %+v", got, rs)
	}
	if c.userCount(`userName eq "g@corp.test"`) != 1 || c.userCount(`userName eq "h@corp.test"`) != 0 {
		t.Fatal("failOnErrors 2: g must exist and h must not")
	}

	// Malformed requests are refused whole, in SCIM's error format.
	for _, tc := range []struct {
		body     string
		scimType string
	}{
		{`{`, "invalidValue"},
		{`{"Operations": []}`, "invalidValue"},
		{`{"failOnErrors": 0, "Operations": [{"method": "DELETE", "path": "/Users/1"}]}`, "invalidValue"},
		{`{"Operations": [{"method": "POST", "path": "/Users", "bulkId": "x", "data": {"userName": "x1@corp.test"}},
			{"method": "POST", "path": "/Users", "bulkId": "x", "data": {"userName": "x2@corp.test"}}]}`, "invalidValue"},
	} {
		st, data := c.raw("POST", "/scim/v2/Bulk", tc.body)
		var e scimErr
		json.Unmarshal(data, &e)
		if st != 400 || e.ScimType != tc.scimType || e.Status != "400" {
			t.Errorf("body %s: %d %s", tc.body, st, data)
		}
	}
	if c.userCount(`userName sw "x"`) != 0 {
		t.Error("a refused bulk request created a user")
	}
}

// raw sends a body as is.
func (c *client) raw(method, path, body string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.Header.Get("Content-Type") != "application/scim+json" {
		c.t.Fatalf("%s %s: content type %q", method, path, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, data
}

func TestSCIMBulkLimits(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)
	before := c.userCount(`userName pr`)

	// Over maxPayloadSize: a valid request padded past 1 MiB.
	big := bulkReq(0, map[string]any{"method": "POST", "path": "/Users", "bulkId": "big", "data": map[string]any{
		"userName": "big@corp.test", "title": strings.Repeat("x", 1<<20)}})
	st, data := c.do("POST", "/scim/v2/Bulk", big)
	var e scimErr
	json.Unmarshal(data, &e)
	if st != 413 || e.Status != "413" || !strings.Contains(e.Detail, "maxPayloadSize (1048576") {
		t.Fatalf("payload over the limit: %d %s", st, data)
	}
	// The same without a Content-Length (chunked): read up to the limit.
	b, _ := json.Marshal(big)
	req, _ := http.NewRequest("POST", env.URL+"/scim/v2/Bulk", io.MultiReader(bytes.NewReader(b)))
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || req.ContentLength != 0 || !strings.Contains(string(data), "maxPayloadSize") {
		t.Fatalf("chunked payload over the limit: %d (content length %d) %s", resp.StatusCode, req.ContentLength, data)
	}

	// Over maxOperations: 413 tooMany, and nothing runs.
	ops := make([]map[string]any, 1001)
	for i := range ops {
		ops[i] = postUser(fmt.Sprintf("u%d", i), fmt.Sprintf("u%d@corp.test", i))
	}
	st, data = c.do("POST", "/scim/v2/Bulk", bulkReq(0, ops...))
	e = scimErr{}
	json.Unmarshal(data, &e)
	if st != 413 || e.ScimType != "tooMany" || !strings.Contains(e.Detail, "maxOperations (1000)") {
		t.Fatalf("too many operations: %d %s", st, data)
	}
	if n := c.userCount(`userName pr`); n != before {
		t.Fatalf("refused bulk requests created users: %d, was %d", n, before)
	}
	// At the limit it runs.
	if rs := c.bulk(bulkReq(0, ops[:1000]...)); len(rs) != 1000 || rs[999].Status != "201" {
		t.Fatalf("1000 operations: %d results, last %+v", len(rs), rs[len(rs)-1])
	}
}

func TestSCIMBulkCircularReferences(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)
	const ext = "urn:parley:params:scim:schemas:extension:department:2.0:Group"
	group := func(bulkID, parent string, members ...string) map[string]any {
		d := map[string]any{"displayName": "Group " + bulkID}
		if parent != "" {
			d[ext] = map[string]any{"parent": "bulkId:" + parent}
		}
		var ms []map[string]any
		for _, m := range members {
			ms = append(ms, map[string]any{"value": "bulkId:" + m})
		}
		if ms != nil {
			d["members"] = ms
		}
		return map[string]any{"method": "POST", "path": "/Groups", "bulkId": bulkID, "data": d}
	}
	rs := c.bulk(bulkReq(0,
		group("a", "b"), group("b", "a"), // a is below b, b below a
		group("self", "self"),                             // its own parent
		group("x", "y"), group("y", "z"), group("z", "x"), // a longer cycle
		postUser("u", "u@corp.test"), group("ok", "", "u"), // and a chain that is fine
	))
	if got := statuses(rs); !slices.Equal(got, []string{"409", "409", "409", "409", "409", "409", "201", "201"}) {
		t.Fatalf("statuses %v: %+v", got, rs)
	}
	for _, r := range rs[:6] {
		if r.Response == nil || r.Response.Status != "409" || r.Response.Detail == "" {
			t.Errorf("circular %s: %+v", r.BulkID, r)
		}
	}
	if !strings.Contains(rs[0].Response.Detail+rs[1].Response.Detail, "circular") {
		t.Errorf("no result says circular: %q %q", rs[0].Response.Detail, rs[1].Response.Detail)
	}
	l, gs := c.groups("")
	if l.TotalResults != 1 || gs[0].DisplayName != "Group ok" || len(gs[0].Members) != 1 {
		t.Fatalf("groups after the circular bulk: %+v", gs)
	}
}

func TestSCIMBulkStaysInItsOrganisation(t *testing.T) {
	env := servertest.Start(t)
	acme := newToken(t, env.Owner, env.URL)
	secret := acme.create("secret@acme.test", "Secret")
	team := acme.group("POST", "/scim/v2/Groups", map[string]any{"displayName": "Team"}, 201)
	globex := newToken(t, env.OtherOrg("Globex"), env.URL)

	rs := globex.bulk(bulkReq(0,
		map[string]any{"method": "PATCH", "path": "/Users/" + secret.ID, "data": patchOps(map[string]any{"op": "replace", "path": "active", "value": false})},
		map[string]any{"method": "DELETE", "path": "/Users/" + secret.ID},
		map[string]any{"method": "PUT", "path": "/Groups/" + team.ID, "data": map[string]any{"displayName": "Taken"}},
		map[string]any{"method": "DELETE", "path": "/Groups/" + team.ID},
		map[string]any{"method": "POST", "path": "/Groups", "bulkId": "in", "data": map[string]any{"displayName": "Inside",
			"members": []map[string]any{{"value": secret.ID}}}},
	))
	if got := statuses(rs); !slices.Equal(got, []string{"404", "404", "404", "404", "400"}) {
		t.Fatalf("another organisation's ids: %v %+v", got, rs)
	}
	if st, data := acme.do("GET", "/scim/v2/Users/"+secret.ID, nil); st != 200 || !strings.Contains(string(data), `"active":true`) {
		t.Fatalf("secret after globex's bulk: %d %s", st, data)
	}
	if g := acme.group("GET", "/scim/v2/Groups/"+team.ID, nil, 200); g.DisplayName != "Team" {
		t.Fatalf("team after globex's bulk: %+v", g)
	}
	// No token, a forged one, a session token: 401 before anything runs.
	sess, _, err := env.Client().Login(context.Background(), "owner@acme.test", servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", "scim_forged", sess.Token} {
		c := &client{t: t, base: env.URL, token: tok}
		st, data := c.do("POST", "/scim/v2/Bulk", bulkReq(0, postUser("z", "z@acme.test")))
		if st != 401 || !strings.Contains(string(data), "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("token %q: %d %s", tok, st, data)
		}
	}
	if acme.userCount(`userName eq "z@acme.test"`) != 0 {
		t.Fatal("an unauthenticated bulk request created a user")
	}
}
