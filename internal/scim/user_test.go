package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// fullUser is a SCIM User with the attributes Parley keeps besides the core.
type fullUser struct {
	Schemas      []string `json:"schemas"`
	ID           string   `json:"id"`
	ExternalID   string   `json:"externalId"`
	Title        string   `json:"title"`
	PhoneNumbers []struct {
		Value string `json:"value"`
		Type  string `json:"type"`
	} `json:"phoneNumbers"`
	Enterprise *struct {
		EmployeeNumber string `json:"employeeNumber"`
		Manager        *struct {
			Value string `json:"value"`
		} `json:"manager"`
	} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
}

func (c *client) fullUser(id string) fullUser {
	c.t.Helper()
	st, data := c.do("GET", "/scim/v2/Users/"+id, nil)
	if st != 200 {
		c.t.Fatalf("get %s: %d %s", id, st, data)
	}
	var u fullUser
	if err := json.Unmarshal(data, &u); err != nil {
		c.t.Fatal(err)
	}
	return u
}

// directoryCard is what people see on the user's card in Parley.
func directoryCard(t *testing.T, env *servertest.Env, id string) httpapi.User {
	t.Helper()
	var p httpapi.Profile
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/users/"+id+"/profile", nil, &p); err != nil {
		t.Fatal(err)
	}
	return p.User
}

func (c *client) patch(id string, ops ...map[string]any) (int, string) {
	c.t.Helper()
	st, data := c.do("PATCH", "/scim/v2/Users/"+id, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
	return st, string(data)
}

func TestSCIMUserExternalIDAndDirectoryProfile(t *testing.T) {
	env := servertest.Start(t)
	c := newToken(t, env.Owner, env.URL)
	boss := c.create("boss@corp.test", "Boss")

	// Okta's shape: externalId, phoneNumbers, title, the enterprise extension.
	st, data := c.do("POST", "/scim/v2/Users", map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User", enterpriseURN},
		"userName": "ann@corp.test", "displayName": "Ann", "externalId": "00uAnnX", "title": "Engineer",
		"phoneNumbers": []map[string]any{{"value": "+86 10 5555", "type": "home"}, {"value": "+86 10 1234", "type": "work"}},
		enterpriseURN:  map[string]any{"employeeNumber": "E-7", "manager": map[string]any{"value": boss.ID}, "costCenter": "ignored"},
	})
	if st != 201 {
		t.Fatalf("create: %d %s", st, data)
	}
	var ann fullUser
	json.Unmarshal(data, &ann)
	if ann.ExternalID != "00uAnnX" || ann.Title != "Engineer" || len(ann.PhoneNumbers) != 1 || ann.PhoneNumbers[0].Value != "+86 10 1234" ||
		ann.PhoneNumbers[0].Type != "work" || ann.Enterprise == nil || ann.Enterprise.EmployeeNumber != "E-7" ||
		ann.Enterprise.Manager == nil || ann.Enterprise.Manager.Value != boss.ID || !slices.Contains(ann.Schemas, enterpriseURN) {
		t.Fatalf("created user: %s", data)
	}
	card := directoryCard(t, env, ann.ID)
	if card.Phone != "+86 10 1234" || card.Title != "Engineer" || card.EmployeeNo != "E-7" || fmt.Sprint(card.ManagerID) != boss.ID {
		t.Fatalf("directory card after create: %+v", card)
	}

	// externalId filters are case-sensitive.
	if l := c.list(`externalId eq "00uAnnX"`); l.TotalResults != 1 || !strings.Contains(string(l.Resources[0]), `"id":"`+ann.ID+`"`) {
		t.Fatalf("externalId filter: %+v", l)
	}
	if l := c.list(`externalId eq "00uannx"`); l.TotalResults != 0 {
		t.Fatalf("externalId filter ignored case: %d", l.TotalResults)
	}

	// Entra ID's shape: paths into the extension and the work number, a
	// path-less value, and removals.
	if st, body := c.patch(ann.ID,
		map[string]any{"op": "Replace", "path": `phoneNumbers[type eq "work"].value`, "value": "+1 555 0100"},
		map[string]any{"op": "Replace", "path": enterpriseURN + ":employeeNumber", "value": "E-8"},
		map[string]any{"op": "Replace", "value": map[string]any{"title": "Lead", "externalId": "00uAnnY"}},
		map[string]any{"op": "Remove", "path": enterpriseURN + ":manager"},
	); st != 200 {
		t.Fatalf("patch: %d %s", st, body)
	}
	got := c.fullUser(ann.ID)
	if got.ExternalID != "00uAnnY" || got.Title != "Lead" || got.PhoneNumbers[0].Value != "+1 555 0100" ||
		got.Enterprise == nil || got.Enterprise.EmployeeNumber != "E-8" || got.Enterprise.Manager != nil {
		t.Fatalf("after patch: %+v", got)
	}
	if card := directoryCard(t, env, ann.ID); card.Phone != "+1 555 0100" || card.Title != "Lead" || card.EmployeeNo != "E-8" || card.ManagerID != 0 {
		t.Fatalf("directory card after patch: %+v", card)
	}
	if l := c.list(`externalId eq "00uAnnX"`); l.TotalResults != 0 {
		t.Fatalf("the old externalId still matches: %d", l.TotalResults)
	}
	// Okta sets the manager by object; Entra ID by the bare id.
	if st, body := c.patch(ann.ID, map[string]any{"op": "add", "path": enterpriseURN + ":manager", "value": boss.ID}); st != 200 {
		t.Fatalf("manager by id: %d %s", st, body)
	}
	if card := directoryCard(t, env, ann.ID); fmt.Sprint(card.ManagerID) != boss.ID {
		t.Fatalf("manager: %+v", card)
	}

	// Bad values are 400s (409 for a taken employee number), and change nothing.
	for _, tc := range []struct {
		name   string
		op     map[string]any
		status int
		detail string
	}{
		{"self as manager", map[string]any{"op": "replace", "path": enterpriseURN + ":manager", "value": map[string]any{"value": ann.ID}}, 400, "manager_cycle"},
		{"manager not a user", map[string]any{"op": "replace", "path": enterpriseURN + ":manager", "value": "99999"}, 400, "manager_invalid"},
		{"manager not an id", map[string]any{"op": "replace", "path": enterpriseURN + ":manager", "value": "boss"}, 400, "manager_invalid"},
		{"phone", map[string]any{"op": "replace", "path": "phoneNumbers", "value": []map[string]any{{"value": "call me", "type": "work"}}}, 400, "phone_invalid"},
		{"title not a string", map[string]any{"op": "replace", "path": "title", "value": 7}, 400, "title must be a string"},
		{"long externalId", map[string]any{"op": "replace", "path": "externalId", "value": strings.Repeat("x", 300)}, 400, "external_id_invalid"},
	} {
		st, body := c.patch(ann.ID, tc.op)
		var e scimErr
		json.Unmarshal([]byte(body), &e)
		if st != tc.status || !strings.Contains(e.Detail, tc.detail) {
			t.Errorf("%s: %d %s", tc.name, st, body)
		}
	}
	st, data = c.do("PATCH", "/scim/v2/Users/"+boss.ID, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "value": map[string]any{enterpriseURN: map[string]any{"employeeNumber": "E-8"}}}}})
	if st != 409 {
		t.Fatalf("taken employee number: %d %s", st, data)
	}
	if got := c.fullUser(ann.ID); got.Title != "Lead" || got.ExternalID != "00uAnnY" || got.Enterprise.Manager == nil {
		t.Fatalf("a refused patch changed the user: %+v", got)
	}

	// PUT states the whole user: what it leaves out is removed.
	st, data = c.do("PUT", "/scim/v2/Users/"+ann.ID, map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": "ann@corp.test", "displayName": "Ann", "active": true})
	if st != 200 {
		t.Fatalf("put: %d %s", st, data)
	}
	got = c.fullUser(ann.ID)
	if got.ExternalID != "" || got.Title != "" || len(got.PhoneNumbers) != 0 || got.Enterprise != nil || slices.Contains(got.Schemas, enterpriseURN) {
		t.Fatalf("after put: %+v", got)
	}
	if card := directoryCard(t, env, ann.ID); card.Phone != "" || card.Title != "" || card.EmployeeNo != "" || card.ManagerID != 0 {
		t.Fatalf("directory card after put: %+v", card)
	}
}
