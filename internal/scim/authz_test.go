package scim_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/scim"
	"github.com/parley-chat/parley/internal/server/servertest"
)

var scimPrincipals = []string{"anon", "forged", "session", "revoked", "own", "other"}

type policyRow struct {
	line   int
	route  string // "METHOD /path"
	expect []int
}

func readPolicy(t *testing.T) []policyRow {
	t.Helper()
	f, err := os.Open("testdata/authz.policy")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []policyRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 2+len(scimPrincipals) {
			t.Fatalf("authz.policy:%d: want METHOD PATH and %d statuses: %q", n, len(scimPrincipals), line)
		}
		row := policyRow{line: n, route: fs[0] + " " + fs[1]}
		for _, s := range fs[2:] {
			st, err := strconv.Atoi(s)
			if err != nil {
				t.Fatalf("authz.policy:%d: status %q", n, s)
			}
			row.expect = append(row.expect, st)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestSCIMAuthzPolicy checks every SCIM route against every principal of
// testdata/authz.policy with real requests, and that the policy lists
// exactly the routes of scim.Routes(): a new route fails until it has a row.
func TestSCIMAuthzPolicy(t *testing.T) {
	rows := readPolicy(t)
	listed := map[string]bool{}
	for _, r := range rows {
		if listed[r.route] {
			t.Errorf("authz.policy:%d: %s listed twice", r.line, r.route)
		}
		listed[r.route] = true
	}
	routes := map[string]bool{}
	for _, r := range scim.Routes() {
		routes[r] = true
		if !listed[r] {
			t.Errorf("route %s has no row in testdata/authz.policy", r)
		}
	}
	for _, r := range rows {
		if !routes[r.route] {
			t.Errorf("authz.policy:%d: %s is not a route of scim.Routes()", r.line, r.route)
		}
	}

	env := servertest.Start(t)
	own := newToken(t, env.Owner, env.URL)
	other := newToken(t, env.OtherOrg("Globex"), env.URL)
	revoked := newToken(t, env.Owner, env.URL)
	var tl httpapi.SCIMTokenList
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/sso/scim-tokens", nil, &tl); err != nil || len(tl.Tokens) != 2 {
		t.Fatalf("tokens: %v %+v", err, tl)
	}
	if _, err := env.Owner.Do(context.Background(), "DELETE", fmt.Sprintf("/api/v1/sso/scim-tokens/%d", tl.Tokens[1].ID), nil, nil); err != nil {
		t.Fatal(err)
	}
	sess, _, err := env.Client().Login(context.Background(), "owner@acme.test", servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*client{
		"anon": {t: t, base: env.URL}, "forged": {t: t, base: env.URL, token: "scim_" + strings.Repeat("f", 43)},
		"session": {t: t, base: env.URL, token: sess.Token}, "revoked": revoked, "own": own, "other": other,
	}

	n := 0
	for _, row := range rows {
		method, pattern, _ := strings.Cut(row.route, " ")
		for i, who := range scimPrincipals {
			n++
			path, body := fixture(t, own, method, pattern, n)
			st, data := clients[who].do(method, path, body)
			if st != row.expect[i] {
				t.Errorf("%s as %s: %d, policy says %d (authz.policy:%d): %s", row.route, who, st, row.expect[i], row.line, data)
			}
		}
	}
}

// fixture returns the path and body of a request to the route, with fresh
// resources of the first organisation for {id}; n makes names unique.
func fixture(t *testing.T, own *client, method, pattern string, n int) (string, any) {
	t.Helper()
	path := pattern
	if strings.Contains(pattern, "{id}") {
		var id string
		if strings.HasPrefix(pattern, "/scim/v2/Users/") {
			id = own.create(fmt.Sprintf("fixture%d@acme.test", n), fmt.Sprintf("Fixture %d", n)).ID
		} else {
			id = own.group("POST", "/scim/v2/Groups", map[string]any{"displayName": fmt.Sprintf("Fixture %d", n)}, 201).ID
		}
		path = strings.Replace(pattern, "{id}", id, 1)
	}
	name := fmt.Sprintf("Route %d", n)
	switch method + " " + pattern {
	case "POST /scim/v2/Users":
		return path, map[string]any{"userName": fmt.Sprintf("route%d@corp.test", n)}
	case "PUT /scim/v2/Users/{id}":
		return path, map[string]any{"userName": "ignored@corp.test", "displayName": name}
	case "PATCH /scim/v2/Users/{id}", "PATCH /scim/v2/Groups/{id}":
		return path, patchOps(map[string]any{"op": "replace", "path": "displayName", "value": name})
	case "POST /scim/v2/Groups", "PUT /scim/v2/Groups/{id}":
		return path, map[string]any{"displayName": name}
	case "POST /scim/v2/Bulk":
		return path, bulkReq(0, postUser("b", fmt.Sprintf("bulk%d@corp.test", n)))
	}
	return path, nil
}
