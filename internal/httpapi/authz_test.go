package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// principals, in the column order of testdata/authz.policy.
var principals = []string{"anon", "member", "nonmember", "chadmin", "guest", "deptin", "deptout", "admin", "other", "deact"}

type policyRow struct {
	method, pattern, variant string
	want                     map[string]int
	line                     int
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
		if len(fs) != 3+len(principals) {
			t.Fatalf("authz.policy:%d: want %d fields, got %d", n, 3+len(principals), len(fs))
		}
		r := policyRow{method: fs[0], pattern: fs[1], variant: fs[2], want: map[string]int{}, line: n}
		for i, p := range principals {
			st, err := strconv.Atoi(fs[3+i])
			if err != nil {
				t.Fatalf("authz.policy:%d: status %q", n, fs[3+i])
			}
			r.want[p] = st
		}
		rows = append(rows, r)
	}
	return rows
}

// world is the fixture one policy cell runs against: fresh objects, so that
// one principal's allowed change does not affect another's result.
type world struct {
	channel, message, member2, department, file, field, group int64
}

// uploadBody is a multipart request body.
type uploadBody struct {
	contentType string
	data        []byte
}

// tinyPNG is a 2×2 PNG image.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewNRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func multipartFile(t testing.TB, name string, data []byte) uploadBody {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	return uploadBody{contentType: mw.FormDataContentType(), data: b.Bytes()}
}

type authzEnv struct {
	env     *servertest.Env
	clients map[string]*apiclient.Client
	ids     map[string]int64
	creator *apiclient.Client
	n       atomic.Int64
	// deptIn and deptOut are the roots of the two department admins'
	// subtrees; member2 belongs to deptIn.
	deptIn, deptOut int64
}

func newAuthzEnv(t *testing.T) *authzEnv {
	e := &authzEnv{env: servertest.Start(t), clients: map[string]*apiclient.Client{}, ids: map[string]int64{}}
	e.clients["anon"] = e.env.Client()
	for _, p := range []struct{ name, role string }{{"member", "member"}, {"nonmember", "member"}, {"chadmin", "member"},
		{"guest", "guest"}, {"deptin", "member"}, {"deptout", "member"}, {"admin", "admin"}, {"deact", "member"},
		{"member2", "member"}, {"creator", "member"}} {
		c, id := e.env.User(p.role)
		e.clients[p.name], e.ids[p.name] = c, id
	}
	e.creator = e.clients["creator"]
	e.clients["other"] = e.env.OtherOrg("Globex")
	ctx := context.Background()
	owner := e.env.Owner
	var in, out httpapi.Department
	if _, err := owner.Do(ctx, "POST", "/api/v1/departments", map[string]any{"name": "authz-in"}, &in); err != nil {
		t.Fatalf("create department: %v", err)
	}
	if _, err := owner.Do(ctx, "POST", "/api/v1/departments", map[string]any{"name": "authz-out"}, &out); err != nil {
		t.Fatalf("create department: %v", err)
	}
	e.deptIn, e.deptOut = in.ID, out.ID
	for _, step := range []string{
		fmt.Sprintf("/api/v1/departments/%d/admins/%d", in.ID, e.ids["deptin"]),
		fmt.Sprintf("/api/v1/departments/%d/admins/%d", out.ID, e.ids["deptout"]),
		fmt.Sprintf("/api/v1/departments/%d/members/%d", in.ID, e.ids["member2"]),
		fmt.Sprintf("/api/v1/departments/%d/members/%d", in.ID, e.ids["member"]),
	} {
		if _, err := owner.Do(ctx, "PUT", step, map[string]any{}, nil); err != nil {
			t.Fatalf("PUT %s: %v", step, err)
		}
	}
	return e
}

// newWorld creates a channel (private, or public for the "public" variant)
// owned by creator with member, member2 and chadmin (as channel admin), and
// a message by member; for department routes, a department. (The
// deactivated user cannot be added any more; their token fails first.)
func (e *authzEnv) newWorld(t *testing.T, variant, pattern string) world {
	t.Helper()
	ctx := context.Background()
	if strings.HasPrefix(pattern, "/api/v1/departments") {
		// A fresh department inside deptin's subtree; no channel needed.
		var d httpapi.Department
		if _, err := e.env.Owner.Do(ctx, "POST", "/api/v1/departments",
			map[string]any{"name": fmt.Sprintf("authz-d%d", e.n.Add(1)), "parent_id": e.deptIn}, &d); err != nil {
			t.Fatalf("create department: %v", err)
		}
		return world{department: d.ID, member2: e.ids["member2"]}
	}
	if strings.HasPrefix(pattern, "/api/v1/profile-fields/") {
		var f httpapi.ProfileField
		if _, err := e.env.Owner.Do(ctx, "POST", "/api/v1/profile-fields", map[string]any{"name": fmt.Sprintf("authz-f%d", e.n.Add(1))}, &f); err != nil {
			t.Fatalf("create field: %v", err)
		}
		return world{field: f.ID, member2: e.ids["member2"]}
	}
	if strings.HasPrefix(pattern, "/api/v1/groups/") {
		var g httpapi.Group
		if _, err := e.env.Owner.Do(ctx, "POST", "/api/v1/groups", map[string]any{"handle": fmt.Sprintf("authz-g%d", e.n.Add(1)), "name": "G"}, &g); err != nil {
			t.Fatalf("create group: %v", err)
		}
		return world{group: g.ID, member2: e.ids["member2"]}
	}
	kind := "private"
	if variant == "public" {
		kind = "public"
	}
	ch, err := e.creator.CreateChannel(ctx, fmt.Sprintf("authz-%d", e.n.Add(1)), kind,
		[]int64{e.ids["member"], e.ids["member2"], e.ids["chadmin"]})
	if err != nil {
		t.Fatalf("create channel: %v", err)
	}
	if _, err := e.creator.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/channels/%d/members/%d", ch.ID, e.ids["chadmin"]),
		map[string]any{"role": "admin"}, nil); err != nil {
		t.Fatalf("make channel admin: %v", err)
	}
	f, err := e.clients["member"].Upload(ctx, ch.ID, "authz.png", tinyPNG(t))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	msg, err := e.clients["member"].PostFiles(ctx, ch.ID, fmt.Sprintf("authz-msg-%d", e.n.Add(1)), "hello @member2", []int64{f.ID})
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	return world{channel: ch.ID, message: msg.ID, member2: e.ids["member2"], file: f.ID}
}

// request builds a valid request for the route, so that the status measures
// authorisation rather than input validation.
func (e *authzEnv) request(t *testing.T, method, pattern string, w world) (string, any) {
	n := e.n.Add(1)
	path := pattern
	if strings.HasSuffix(pattern, "/deactivate") || strings.HasSuffix(pattern, "/reactivate") {
		// Deactivation targets a fresh user so shared fixtures stay active.
		_, id := e.env.User("member")
		path = strings.Replace(path, "{id}", strconv.FormatInt(id, 10), 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/users/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(w.member2, 10), 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/profile-fields/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(w.field, 10), 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/groups/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(w.group, 10), 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/departments/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(w.department, 10), 1)
	}
	if pattern == "/api/v1/sso/scim-tokens/{id}" {
		var tok httpapi.SCIMToken
		if _, err := e.env.Owner.Do(context.Background(), "POST", "/api/v1/sso/scim-tokens", map[string]any{"name": fmt.Sprintf("t%d", n)}, &tok); err != nil {
			panic(fmt.Sprintf("create scim token fixture: %v", err))
		}
		path = strings.Replace(path, "{id}", strconv.FormatInt(tok.ID, 10), 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/sso/providers/{id}") || strings.HasPrefix(pattern, "/api/v1/auth/sso/{id}") ||
		strings.HasPrefix(pattern, "/api/v1/auth/saml/{id}") {
		body := ldapProvider(fmt.Sprintf("fixture-%d", n))
		if pattern == "/api/v1/sso/providers/{id}/sync" {
			body = map[string]any{"kind": "oidc", "name": fmt.Sprintf("fixture-%d", n),
				"oidc": map[string]any{"issuer": "http://127.0.0.1:1", "client_id": "parley"}}
		}
		path = strings.Replace(path, "{id}", strconv.FormatInt(e.ssoProvider(body), 10), 1)
	}
	if pattern == "/api/v1/invitations/{id}" || strings.HasPrefix(pattern, "/api/v1/invites/{token}") {
		var inv httpapi.InvitationCreated
		if _, err := e.env.Owner.Do(context.Background(), "POST", "/api/v1/invitations", map[string]any{"role": "member"}, &inv); err != nil {
			panic(fmt.Sprintf("create invitation fixture: %v", err))
		}
		path = strings.Replace(path, "{id}", strconv.FormatInt(inv.ID, 10), 1)
		path = strings.Replace(path, "{token}", inv.URL[strings.LastIndex(inv.URL, "/")+1:], 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/messages/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(w.message, 10), 1)
	}
	if strings.HasPrefix(pattern, "/api/v1/files/{id}") {
		path = strings.Replace(path, "{id}", strconv.FormatInt(w.file, 10), 1)
	}
	path = strings.Replace(path, "{id}", strconv.FormatInt(w.channel, 10), 1)
	path = strings.Replace(path, "{user_id}", strconv.FormatInt(w.member2, 10), 1)
	path = strings.Replace(path, "{emoji}", "%F0%9F%91%8D", 1)
	if pattern == "/api/v1/link-previews/images/{name}" {
		path = strings.Replace(path, "{name}", e.previewImage(t), 1)
	}
	key := method + " " + pattern
	switch key {
	case "POST /api/v1/setup":
		return path, map[string]any{"setup_token": "x", "org_name": "X", "email": "x@x.test", "username": "xx",
			"password": servertest.Password}
	case "POST /api/v1/auth/login":
		return path, map[string]any{"login": "owner@acme.test", "password": servertest.Password}
	case "PATCH /api/v1/org":
		return path, map[string]any{"receipt_max_members": 500}
	case "PATCH /api/v1/users/me":
		return path, map[string]any{"status_text": "busy"}
	case "PUT /api/v1/users/{id}/role":
		return path, map[string]any{"role": "admin"}
	case "POST /api/v1/auth/login/2fa":
		return path, map[string]any{"challenge": "pc_unknown", "code": "123456"}
	case "PATCH /api/v1/org/security-policy":
		return path, map[string]any{"password_min_length": 8}
	case "POST /api/v1/users/me/password":
		return path, map[string]any{"current_password": servertest.Password, "new_password": servertest.Password}
	case "POST /api/v1/users/me/2fa/enable":
		return path, map[string]any{"code": "000000"}
	case "POST /api/v1/users/me/2fa/disable", "POST /api/v1/users/me/2fa/recovery-codes":
		return path, map[string]any{"password": servertest.Password}
	case "POST /api/v1/users/me/tokens":
		return path, map[string]any{"name": fmt.Sprintf("script %d", n), "expires_in_days": 30}
	case "POST /api/v1/users":
		return path, map[string]any{"email": fmt.Sprintf("new%d@acme.test", n), "username": fmt.Sprintf("new%d", n),
			"password": servertest.Password, "role": "member"}
	case "POST /api/v1/invites/{token}/accept":
		return path, map[string]any{"email": fmt.Sprintf("invited%d@acme.test", n), "username": fmt.Sprintf("invited%d", n),
			"password": servertest.Password}
	case "POST /api/v1/departments":
		return path, map[string]any{"name": fmt.Sprintf("new-%d", n), "parent_id": w.department}
	case "PATCH /api/v1/departments/{id}":
		return path, map[string]any{"name": fmt.Sprintf("renamed-%d", n), "sort_order": 3}
	case "POST /api/v1/departments/{id}/move":
		return path, map[string]any{"parent_id": e.deptIn, "sort_order": 1}
	case "DELETE /api/v1/departments/{id}/members/{user_id}":
		if _, err := e.env.Owner.Do(context.Background(), "PUT", path, map[string]any{}, nil); err != nil {
			panic(fmt.Sprintf("add department member: %v", err))
		}
	case "POST /api/v1/auth/ldap/login":
		return path, map[string]any{"provider_id": 999999, "login": "someone", "password": "secret"}
	case "POST /api/v1/sso/scim-tokens":
		return path, map[string]any{"name": fmt.Sprintf("okta-%d", n)}
	case "POST /api/v1/sso/providers":
		return path, ldapProvider(fmt.Sprintf("dir-%d", n))
	case "PATCH /api/v1/sso/providers/{id}":
		return path, map[string]any{"name": "renamed"}
	case "GET /api/v1/directory/search":
		return path + "?q=member", nil
	case "PATCH /api/v1/users/{id}/profile":
		return path, map[string]any{"title": fmt.Sprintf("title %d", n), "phone": "+86 10 1234"}
	case "POST /api/v1/profile-fields", "PATCH /api/v1/profile-fields/{id}":
		return path, map[string]any{"name": fmt.Sprintf("field-%d", n)}
	case "PATCH /api/v1/org/permissions":
		return path, map[string]any{"mention_all": "everyone"}
	case "POST /api/v1/groups", "PATCH /api/v1/groups/{id}":
		return path, map[string]any{"handle": fmt.Sprintf("grp-%d", n), "name": "Group"}
	case "PUT /api/v1/channels/{id}/department":
		return path, map[string]any{"department_id": e.deptIn}
	case "GET /api/v1/search":
		return path + "?q=hello", nil
	case "GET /api/v1/search/files":
		return path + "?q=authz", nil
	case "POST /api/v1/channels/{id}/files":
		return path, multipartFile(t, "notes.txt", []byte("some notes"))
	case "GET /api/v1/presence":
		return path + "?user_ids=" + strconv.FormatInt(w.member2, 10), nil
	case "POST /api/v1/channels":
		return path, map[string]any{"name": fmt.Sprintf("new-%d", n), "kind": "public"}
	case "POST /api/v1/dms":
		return path, map[string]any{"user_ids": []int64{w.member2}}
	case "PATCH /api/v1/channels/{id}":
		return path, map[string]any{"topic": "new topic"}
	case "POST /api/v1/channels/{id}/members":
		return path, map[string]any{"user_ids": []int64{e.ids["nonmember"]}}
	case "PATCH /api/v1/channels/{id}/members/{user_id}":
		return path, map[string]any{"role": "admin"}
	case "PUT /api/v1/channels/{id}/preferences":
		return path, map[string]any{"muted": true}
	case "POST /api/v1/channels/{id}/read", "POST /api/v1/channels/{id}/unread":
		return path, map[string]any{"seq": 1}
	case "POST /api/v1/channels/{id}/messages":
		return path, map[string]any{"client_id": fmt.Sprintf("authz-%d", n), "text": "hi"}
	case "PATCH /api/v1/messages/{id}":
		return path, map[string]any{"text": "edited"}
	}
	if method == "POST" || method == "PUT" || method == "PATCH" {
		return path, map[string]any{}
	}
	return path, nil
}

func TestAuthorizationPolicy(t *testing.T) {
	rows := readPolicy(t)
	// Every route has a row and every row a route.
	routes := httpapi.Routes()
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.method+" "+r.pattern] = true
	}
	known := map[string]bool{}
	for _, r := range routes {
		key := r[0] + " " + r[1]
		known[key] = true
		if !covered[key] {
			t.Errorf("route %s has no row in testdata/authz.policy", key)
		}
	}
	for _, r := range rows {
		if !known[r.method+" "+r.pattern] {
			t.Errorf("authz.policy:%d: %s %s is not a route", r.line, r.method, r.pattern)
		}
	}
	if t.Failed() {
		return
	}

	e := newAuthzEnv(t)
	ctx := context.Background()
	// The deactivated user logged in while active; their token must stop working.
	deact := e.clients["deact"]
	if _, err := e.env.Owner.Do(ctx, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", e.ids["deact"]), map[string]any{}, nil); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	for _, r := range rows {
		t.Run(fmt.Sprintf("%s %s %s", r.method, r.pattern, r.variant), func(t *testing.T) {
			for _, p := range principals {
				w := e.newWorld(t, r.variant, r.pattern)
				c := e.clients[p]
				if p == "deact" {
					c = deact
				}
				if r.pattern == "/api/v1/auth/logout" && p != "anon" && p != "deact" {
					// Log in afresh so that logging out does not end the
					// session the other cases use.
					fresh, err := e.freshLogin(ctx, p)
					if err != nil {
						t.Fatalf("fresh login %s: %v", p, err)
					}
					c = fresh
				}
				path, body := e.request(t, r.method, r.pattern, w)
				if r.method == "DELETE" && strings.HasPrefix(r.pattern, "/api/v1/users/me/") {
					// Revoke a session or token of the principal's own, made
					// for the purpose, so the shared clients keep working.
					path = strings.Replace(r.pattern, "{id}", strconv.FormatInt(e.ownSecondary(t, ctx, p, r.pattern), 10), 1)
				}
				var st int
				var err error
				if up, ok := body.(uploadBody); ok {
					st, err = c.DoRaw(ctx, r.method, path, up.contentType, up.data, nil)
				} else if r.method == "GET" && (strings.HasSuffix(r.pattern, "/content") || strings.HasSuffix(r.pattern, "/thumbnail")) {
					st, err = getStatus(ctx, c, path)
				} else {
					st, err = c.Do(ctx, r.method, path, body, nil)
				}
				if err != nil && apiclient.StatusOf(err) == 0 {
					t.Fatalf("%s: %v", p, err)
				}
				if st != r.want[p] {
					t.Errorf("%s: %s %s: got %d (%v), policy says %d", p, r.method, path, st, err, r.want[p])
				}
				if st >= 500 {
					t.Errorf("%s: server error %d", p, st)
				}
			}
		})
	}
}

// ldapProvider is the body creating an LDAP provider whose server does not
// answer (port 1 on loopback).
func ldapProvider(name string) map[string]any {
	return map[string]any{"kind": "ldap", "name": name, "secret": "bind-password",
		"ldap": map[string]any{"url": "ldap://127.0.0.1:1", "bind_dn": "cn=admin,dc=example,dc=org", "base_dn": "dc=example,dc=org"}}
}

// ssoProvider creates a fresh provider in the first organisation.
func (e *authzEnv) ssoProvider(body map[string]any) int64 {
	var p httpapi.SSOProvider
	if _, err := e.env.Owner.Do(context.Background(), "POST", "/api/v1/sso/providers", body, &p); err != nil {
		panic(fmt.Sprintf("create sso provider fixture: %v", err))
	}
	return p.ID
}

// getStatus fetches a non-JSON resource and returns its status.
func getStatus(ctx context.Context, c *apiclient.Client, path string) (int, error) {
	resp, _, err := c.Get(ctx, path, nil)
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

// ownSecondary creates, for principal p, a second session (a fresh login)
// or a personal access token, and returns its id; 1 for principals without
// a working login.
func (e *authzEnv) ownSecondary(t *testing.T, ctx context.Context, p, pattern string) int64 {
	t.Helper()
	if p == "anon" || p == "deact" {
		return 1
	}
	c := e.clients[p]
	if strings.Contains(pattern, "/tokens/") {
		var tok httpapi.NewTokenResponse
		if _, err := c.Do(ctx, "POST", "/api/v1/users/me/tokens", map[string]any{"name": "authz", "expires_in_days": 1}, &tok); err != nil {
			t.Fatalf("create token for %s: %v", p, err)
		}
		return tok.Info.ID
	}
	if _, err := e.freshLogin(ctx, p); err != nil {
		t.Fatalf("fresh login %s: %v", p, err)
	}
	var list httpapi.SessionList
	if _, err := c.Do(ctx, "GET", "/api/v1/users/me/sessions", nil, &list); err != nil {
		t.Fatalf("sessions of %s: %v", p, err)
	}
	for _, s := range list.Sessions {
		if !s.Current {
			return s.ID
		}
	}
	t.Fatalf("%s has no second session", p)
	return 0
}

func (e *authzEnv) freshLogin(ctx context.Context, p string) (*apiclient.Client, error) {
	var login string
	switch p {
	case "other":
		var me httpapi.User
		if _, err := e.clients["other"].Do(ctx, "GET", "/api/v1/users/me", nil, &me); err != nil {
			return nil, err
		}
		login = me.Email
	default:
		var u httpapi.User
		if _, err := e.env.Owner.Do(ctx, "GET", fmt.Sprintf("/api/v1/users/%d", e.ids[p]), nil, &u); err != nil {
			return nil, err
		}
		login = u.Email
	}
	c, _, err := e.env.Client().Login(ctx, login, servertest.Password)
	return c, err
}

// previewImage keeps a link preview image of the first organisation where
// the server keeps them (the real fetcher cannot reach the test's loopback
// sites; internal/unfurl tests the fetching) and returns its name.
func (e *authzEnv) previewImage(t *testing.T) string {
	t.Helper()
	return keepPreviewImage(t, e.env, tinyJPEG(t))
}
