package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// These tests drive the real server over HTTP as an identity provider
// would (Okta's and Entra ID's request shapes).

type client struct {
	t     *testing.T
	base  string
	token string
}

type scimUser struct {
	ID          string `json:"id"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName"`
	Active      bool   `json:"active"`
	Emails      []struct {
		Value string `json:"value"`
	} `json:"emails"`
}

type list struct {
	Schemas      []string          `json:"schemas"`
	TotalResults int               `json:"totalResults"`
	StartIndex   int               `json:"startIndex"`
	ItemsPerPage int               `json:"itemsPerPage"`
	Resources    []json.RawMessage `json:"Resources"`
}

type scimErr struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType"`
	Detail   string   `json:"detail"`
}

func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/scim+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 && resp.Header.Get("Content-Type") != "application/scim+json" {
		c.t.Fatalf("%s %s: %d with content type %q: %s", method, path, resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	return resp.StatusCode, data
}

func (c *client) list(filter string) list {
	c.t.Helper()
	st, data := c.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(filter), nil)
	if st != 200 {
		c.t.Fatalf("filter %q: %d %s", filter, st, data)
	}
	var l list
	if err := json.Unmarshal(data, &l); err != nil {
		c.t.Fatal(err)
	}
	return l
}

func (c *client) create(email, display string) scimUser {
	c.t.Helper()
	st, data := c.do("POST", "/scim/v2/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": email, "name": map[string]any{"givenName": display, "familyName": "X"},
		"displayName": display, "emails": []map[string]any{{"value": email, "primary": true, "type": "work"}},
		"active": true, "externalId": "00u" + display,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{"department": "R&D"},
	})
	if st != 201 {
		c.t.Fatalf("create %s: %d %s", email, st, data)
	}
	var u scimUser
	json.Unmarshal(data, &u)
	return u
}

func newToken(t *testing.T, owner *apiclient.Client, base string) *client {
	t.Helper()
	var tok httpapi.SCIMToken
	if _, err := owner.Do(context.Background(), "POST", "/api/v1/sso/scim-tokens", map[string]any{"name": "Okta"}, &tok); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "scim_") {
		t.Fatalf("token %+v", tok)
	}
	// The value is shown once: listing does not return it.
	var l httpapi.SCIMTokenList
	if _, err := owner.Do(context.Background(), "GET", "/api/v1/sso/scim-tokens", nil, &l); err != nil {
		t.Fatal(err)
	}
	for _, x := range l.Tokens {
		if x.Token != "" {
			t.Fatalf("listed token carries its value: %+v", x)
		}
	}
	return &client{t: t, base: base, token: tok.Token}
}

func TestSCIMProvisioningLifecycle(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)

	st, data := c.do("GET", "/scim/v2/ServiceProviderConfig", nil)
	if st != 200 || !strings.Contains(string(data), `"patch":{"supported":true}`) {
		t.Fatalf("ServiceProviderConfig: %d %s", st, data)
	}
	for _, p := range []string{"/scim/v2/ResourceTypes", "/scim/v2/Schemas"} {
		if st, data := c.do("GET", p, nil); st != 200 || !strings.Contains(string(data), "urn:ietf:params:scim:schemas:core:2.0:User") {
			t.Fatalf("%s: %d %s", p, st, data)
		}
	}

	alice := c.create("alice@corp.test", "Alice")
	c.create("bob@corp.test", "Bob")
	c.create("carol@sales.corp.test", "Carol")
	if alice.UserName != "alice@corp.test" || !alice.Active || alice.DisplayName != "Alice" {
		t.Fatalf("created %+v", alice)
	}
	// The same address again is a uniqueness conflict.
	st, data = c.do("POST", "/scim/v2/Users", map[string]any{"userName": "alice@corp.test"})
	var e scimErr
	json.Unmarshal(data, &e)
	if st != 409 || e.ScimType != "uniqueness" || e.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("duplicate: %d %s", st, data)
	}

	for filter, want := range map[string]int{
		`userName eq "alice@corp.test"`:                           1,
		`userName eq "ALICE@corp.test"`:                           1, // case-insensitive
		`userName co "corp.test"`:                                 3,
		`userName sw "b"`:                                         1,
		`emails.value ew "@sales.corp.test"`:                      1,
		`displayName pr`:                                          4, // the owner too
		`userName sw "a" or userName sw "b"`:                      2,
		`userName co "corp" and active eq true`:                   3,
		`not (userName co "corp")`:                                1,
		`(userName sw "a" or userName sw "c") and active eq true`: 2,
		`userName eq "a\" or \"1\"=\"1"`:                          0, // quotes stay inside the string
		`userName eq "x' OR 1=1 --"`:                              0,
	} {
		if l := c.list(filter); l.TotalResults != want {
			t.Errorf("filter %s: %d results, want %d", filter, l.TotalResults, want)
		}
	}
	// Pagination: 1-based startIndex and count.
	st, data = c.do("GET", "/scim/v2/Users?startIndex=2&count=2", nil)
	var l list
	json.Unmarshal(data, &l)
	if st != 200 || l.TotalResults != 4 || l.StartIndex != 2 || l.ItemsPerPage != 2 || len(l.Resources) != 2 {
		t.Fatalf("page: %d %+v", st, l)
	}

	// The user signs in (an admin gives them a session here through the
	// normal API: they have no password) — deactivation must end it.
	var u httpapi.User
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/users/"+alice.ID, nil, &u); err != nil || u.Email != "alice@corp.test" {
		t.Fatalf("alice in the directory: %v %+v", err, u)
	}
	// Okta deactivates with a path-less replace; Entra ID sends "False".
	st, data = c.do("PATCH", "/scim/v2/Users/"+alice.ID, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{"active": false}}}})
	if st != 200 || strings.Contains(string(data), `"active":true`) {
		t.Fatalf("deactivate: %d %s", st, data)
	}
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/users/"+alice.ID, nil, &u); err != nil || u.Active {
		t.Fatalf("alice after deactivation: %v %+v", err, u)
	}
	st, data = c.do("PATCH", "/scim/v2/Users/"+alice.ID, map[string]any{
		"schemas":    []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "Replace", "path": "active", "value": "True"}, {"op": "Add", "path": "displayName", "value": "Alice L."}}})
	if st != 200 || !strings.Contains(string(data), `"active":true`) || !strings.Contains(string(data), `"displayName":"Alice L."`) {
		t.Fatalf("reactivate and rename: %d %s", st, data)
	}
	if l := c.list(`active eq false`); l.TotalResults != 0 {
		t.Fatalf("inactive after reactivation: %d", l.TotalResults)
	}
	// DELETE deprovisions (deactivates; history keeps its author).
	if st, data := c.do("DELETE", "/scim/v2/Users/"+alice.ID, nil); st != 204 {
		t.Fatalf("delete: %d %s", st, data)
	}
	st, data = c.do("GET", "/scim/v2/Users/"+alice.ID, nil)
	if st != 200 || !strings.Contains(string(data), `"active":false`) {
		t.Fatalf("after delete: %d %s", st, data)
	}
}

func TestSCIMFilterInjectionAndIsolation(t *testing.T) {
	env := servertest.Start(t)
	acme := newToken(t, env.Owner, env.URL)
	acme.create("secret.person@acme.test", "Secret")
	other := env.OtherOrg("Globex")
	globex := newToken(t, other, env.URL)
	g := globex.create("gina@globex.test", "Gina")

	for _, filter := range []string{
		`userName eq`,                                   // no value
		`userName eq "unterminated`,                     // broken string
		`userName zz "a"`,                               // unknown operator
		`password eq "x"`,                               // unknown attribute
		`org_id eq "1"`,                                 // not an attribute
		`emails[type eq "work"].value pr`,               // value paths are not supported
		`userName eq "a" or`,                            // dangling operator
		`((((((((((userName pr))))))))))`,               // too deep
		`userName eq "a" ) or (id pr`,                   // unbalanced
		`active eq "yes"`,                               // wrong type
		`userName eq "a"; DROP TABLE users`,             // junk after the filter
		strings.Repeat(`userName pr or `, 70) + `id pr`, // too many terms
		strings.Repeat("a", 3000),                       // too long
	} {
		st, data := globex.do("GET", "/scim/v2/Users?filter="+url.QueryEscape(filter), nil)
		var e scimErr
		json.Unmarshal(data, &e)
		if st != 400 || e.ScimType != "invalidFilter" || e.Status != "400" || e.Detail == "" {
			t.Errorf("filter %q: %d %s", filter, st, data)
		}
	}
	// Whatever the filter, one organisation's token sees only its own users.
	for _, filter := range []string{`id pr`, `userName co "@"`, `userName eq "secret.person@acme.test"`,
		`not (userName eq "x")`, `active eq true or active eq false`} {
		l := globex.list(filter)
		for _, raw := range l.Resources {
			if strings.Contains(string(raw), "acme.test") {
				t.Errorf("filter %q leaked another organisation's user: %s", filter, raw)
			}
		}
	}
	// Nor can it read or change them by id.
	al := acme.list(`userName eq "secret.person@acme.test"`)
	var secret scimUser
	json.Unmarshal(al.Resources[0], &secret)
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE"} {
		var body any
		if m == "PUT" {
			body = map[string]any{"userName": "x@x.test", "active": false}
		}
		if m == "PATCH" {
			body = map[string]any{"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}}
		}
		if st, data := globex.do(m, "/scim/v2/Users/"+secret.ID, body); st != 404 {
			t.Errorf("%s another organisation's user: %d %s", m, st, data)
		}
	}
	if l := acme.list(`userName eq "secret.person@acme.test" and active eq true`); l.TotalResults != 1 {
		t.Fatal("another organisation's token changed a user")
	}
	// No token, a wrong token, a session token: 401 in SCIM's format.
	var ownerTok string
	{
		c, _, err := env.Client().Login(context.Background(), "owner@acme.test", servertest.Password)
		if err != nil {
			t.Fatal(err)
		}
		ownerTok = c.Token
	}
	for _, tok := range []string{"", "scim_forged", ownerTok} {
		c := &client{t: t, base: env.URL, token: tok}
		st, data := c.do("GET", "/scim/v2/Users", nil)
		if st != 401 || !strings.Contains(string(data), "urn:ietf:params:scim:api:messages:2.0:Error") {
			t.Errorf("token %q: %d %s", tok, st, data)
		}
	}
	// A revoked token stops working at once.
	var l httpapi.SCIMTokenList
	other.Do(context.Background(), "GET", "/api/v1/sso/scim-tokens", nil, &l)
	if _, err := other.Do(context.Background(), "DELETE", fmt.Sprintf("/api/v1/sso/scim-tokens/%d", l.Tokens[0].ID), nil, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := globex.do("GET", "/scim/v2/Users/"+g.ID, nil); st != 401 {
		t.Fatalf("revoked token: %d", st)
	}
	// Bad bodies are SCIM errors, not 500s.
	for _, body := range []string{`{`, `[]`, `{"userName": 5}`, `{"userName": "not an email"}`} {
		req, _ := http.NewRequest("POST", env.URL+"/scim/v2/Users", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+acme.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(data), `"status":"400"`) {
			t.Errorf("body %s: %d %s", body, resp.StatusCode, data)
		}
	}
}
