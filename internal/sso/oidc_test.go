package sso_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// The identity provider in these tests is zitadel/oidc's OpenID Provider
// (package op, a maintained, certified implementation) serving on
// loopback, with the library's in-memory example storage. Hostile
// behaviour (a token for another audience or another login, an oversized
// token) is produced by the real provider from an altered auth request,
// so the tokens are properly signed and only the claim under test is wrong.

const idpPassword = "idp-password-1"

// users is the provider's user store.
type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User { return u[id] }
func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u users) ExampleClientID() string { return "service" }

// hostileStorage lets a test alter the auth request the provider builds
// its tokens from.
type hostileStorage struct {
	*storage.Storage
	mutate  func(op.AuthRequest) op.AuthRequest
	expired bool

	mu     sync.Mutex
	groups map[string][]string // the "groups" claim by user id
}

// setGroups makes the provider assert these groups for a user from now on.
func (h *hostileStorage) setGroups(user string, groups ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.groups == nil {
		h.groups = map[string][]string{}
	}
	h.groups[user] = groups
}

func (h *hostileStorage) addGroups(info *oidc.UserInfo, user string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if g, ok := h.groups[user]; ok {
		info.AppendClaims("groups", g)
	}
}

// SetUserinfoFromToken serves the userinfo endpoint, with the user's groups.
func (h *hostileStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, origin string) error {
	if err := h.Storage.SetUserinfoFromToken(ctx, info, tokenID, subject, origin); err != nil {
		return err
	}
	h.addGroups(info, subject)
	return nil
}

func (h *hostileStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	r, err := h.Storage.AuthRequestByCode(ctx, code)
	if err == nil && h.mutate != nil {
		r = h.mutate(r)
	}
	return r, err
}

// GetClientByClientID lets a test alter the client's token settings.
func (h *hostileStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := h.Storage.GetClientByClientID(ctx, id)
	if err == nil && h.expired {
		c = expiredTokens{c}
	}
	return c, err
}

// expiredTokens makes the provider issue ID tokens that expired an hour
// ago (as a provider with a wrong clock, or a token replayed later, would).
type expiredTokens struct{ op.Client }

func (expiredTokens) IDTokenLifetime() time.Duration { return -time.Hour }

type wrongAudience struct{ op.AuthRequest }

func (wrongAudience) GetAudience() []string { return []string{"another-app"} }

type wrongNonce struct{ op.AuthRequest }

func (wrongNonce) GetNonce() string { return "a-nonce-from-another-login" }

type hugeAMR struct{ op.AuthRequest }

func (hugeAMR) GetAMR() []string { return []string{strings.Repeat("x", 40<<10)} }

type idp struct {
	issuer  string
	storage *hostileStorage
}

// startIDP serves an OpenID Provider on loopback whose one client may
// redirect to redirectURI.
func startIDP(t *testing.T, ln net.Listener, redirectURI string) *idp {
	t.Helper()
	issuer := "http://" + ln.Addr().String()
	us := users{
		"u-alice": {ID: "u-alice", Username: "alice", Password: idpPassword, FirstName: "Alice", LastName: "Liddell",
			Email: "alice@corp.test", EmailVerified: true, PreferredLanguage: language.English},
		"u-zhang": {ID: "u-zhang", Username: "zhangsan", Password: idpPassword, FirstName: "三", LastName: "张",
			Email: "zhangsan@corp.test", EmailVerified: true, PreferredLanguage: language.Chinese},
	}
	st := &hostileStorage{Storage: storage.NewStorageWithClients(us, map[string]*storage.Client{
		"parley": storage.WebClient("parley", "parley-secret", redirectURI),
	})}
	provider, err := op.NewProvider(&op.Config{CryptoKey: sha256.Sum256([]byte("test")), CodeMethodS256: true,
		AuthMethodPost: true}, st, op.StaticIssuer(issuer), op.WithAllowInsecure())
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// The login step of the provider: a form post with the user's
	// credentials, as the library's example login page does.
	mux.HandleFunc("/login/username", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Write([]byte("login form"))
			return
		}
		id := r.FormValue("id")
		if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		http.Redirect(w, r, op.AuthCallbackURL(provider)(r.Context(), id), http.StatusFound)
	})
	mux.Handle("/", provider)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &idp{issuer: issuer, storage: st}
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so each step of the flow can be looked at.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, u string, form url.Values, accept string) (*http.Response, []byte) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, data
}

// authorize runs the flow up to the provider's redirect back to Parley and
// returns that callback URL (not yet visited).
func (b *browser) authorize(startURL, username string) *url.URL {
	b.t.Helper()
	resp, body := b.do("GET", startURL, nil, "")
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	next, _ := resp.Location()
	for range 10 {
		if strings.Contains(next.Path, "/api/v1/auth/sso/") {
			return next
		}
		if next.Path == "/login/username" {
			id := next.Query().Get("authRequestID")
			resp, body = b.do("POST", next.Scheme+"://"+next.Host+next.Path,
				url.Values{"id": {id}, "username": {username}, "password": {idpPassword}}, "")
		} else {
			resp, body = b.do("GET", next.String(), nil, "")
		}
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			b.t.Fatalf("%s: %d %s", next, resp.StatusCode, body)
		}
		loc, err := resp.Location()
		if err != nil {
			b.t.Fatal(err)
		}
		next = loc
	}
	b.t.Fatalf("no redirect back to parley")
	return nil
}

// callback visits the callback URL as a JSON client and returns the status
// and error code (or the signed-in user).
func (b *browser) callback(u *url.URL) (int, string, httpapi.User) {
	b.t.Helper()
	resp, body := b.do("GET", u.String(), nil, "application/json")
	if resp.StatusCode != http.StatusOK {
		var eb httpapi.ErrorBody
		json.Unmarshal(body, &eb)
		return resp.StatusCode, eb.Error.Code, httpapi.User{}
	}
	var lr httpapi.LoginResponse
	if err := json.Unmarshal(body, &lr); err != nil {
		b.t.Fatalf("callback body %s: %v", body, err)
	}
	return resp.StatusCode, "", lr.User
}

type oidcEnv struct {
	env      *servertest.Env
	idp      *idp
	provider httpapi.SSOProvider
}

func startOIDC(t *testing.T) *oidcEnv {
	env := servertest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String()
	var p httpapi.SSOProvider
	_, err = env.Owner.Do(context.Background(), "POST", "/api/v1/sso/providers", map[string]any{
		"kind": "oidc", "name": "Corp IdP", "secret": "parley-secret",
		"oidc":    map[string]any{"issuer": issuer, "client_id": "parley", "scopes": []string{"profile", "email"}},
		"mapping": map[string]any{"default_role": "member"},
	}, &p)
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	if p.RedirectURI != env.URL+fmt.Sprintf("/api/v1/auth/sso/%d/callback", p.ID) {
		t.Fatalf("redirect_uri %q", p.RedirectURI)
	}
	return &oidcEnv{env: env, idp: startIDP(t, ln, p.RedirectURI), provider: p}
}

func (e *oidcEnv) startURL() string {
	return fmt.Sprintf("%s/api/v1/auth/sso/%d/start", e.env.URL, e.provider.ID)
}

// userCount is the number of users in the first organisation.
func (e *oidcEnv) userCount(t *testing.T) int {
	t.Helper()
	var list httpapi.UserList
	if _, err := e.env.Owner.Do(context.Background(), "GET", "/api/v1/users?limit=200", nil, &list); err != nil {
		t.Fatal(err)
	}
	return len(list.Users)
}

func TestOIDCLoginProvisionsUserOnFirstLogin(t *testing.T) {
	e := startOIDC(t)
	ctx := context.Background()
	before := e.userCount(t)

	b := newBrowser(t)
	cb := b.authorize(e.startURL(), "alice")
	if cb.Query().Get("code") == "" || cb.Query().Get("state") == "" {
		t.Fatalf("callback without code or state: %s", cb)
	}
	st, code, u := b.callback(cb)
	if st != http.StatusOK {
		t.Fatalf("callback: %d %s", st, code)
	}
	if u.Email != "alice@corp.test" || u.Username != "alice" || u.DisplayName != "Alice Liddell" || u.Role != "member" {
		t.Fatalf("provisioned user %+v", u)
	}
	if n := e.userCount(t); n != before+1 {
		t.Fatalf("users: %d, want %d", n, before+1)
	}
	// The browser now holds a working session: the web client's next call.
	req, _ := http.NewRequest("GET", e.env.URL+"/api/v1/users/me", nil)
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var me httpapi.User
	json.NewDecoder(resp.Body).Decode(&me)
	resp.Body.Close()
	if resp.StatusCode != 200 || me.ID != u.ID {
		t.Fatalf("session after sso: %d %+v", resp.StatusCode, me)
	}

	// A second login finds the same user, nothing new is created.
	b2 := newBrowser(t)
	st, code, u2 := b2.callback(b2.authorize(e.startURL(), "alice"))
	if st != 200 || u2.ID != u.ID {
		t.Fatalf("second login: %d %s %+v", st, code, u2)
	}
	if n := e.userCount(t); n != before+1 {
		t.Fatalf("users after second login: %d, want %d", n, before+1)
	}
	if created := auditEntries(t, e.env, "user.create"); len(created) != 1 || created[0].TargetID != u.ID ||
		created[0].Details["provisioned_by"] != "oidc" {
		t.Fatalf("audit of provisioning: %+v", created)
	}
	if cfg := auditEntries(t, e.env, "sso.provider_create"); len(cfg) != 1 || cfg[0].TargetID != e.provider.ID {
		t.Fatalf("audit of the provider's creation: %+v", cfg)
	}
	// A provisioned user has no password.
	if _, _, err := e.env.Client().Login(ctx, "alice@corp.test", "any password at all"); apiclient.StatusOf(err) != 401 {
		t.Fatalf("password login of sso user: %v", err)
	}
}

func TestOIDCRefusals(t *testing.T) {
	e := startOIDC(t)
	cases := []struct {
		name    string
		mutate  func(op.AuthRequest) op.AuthRequest
		expired bool
		// tamper changes the callback URL or the browser before the callback.
		tamper func(b *browser, cb *url.URL) *url.URL
		status int
		code   string
	}{
		{name: "state mismatch", status: 401, code: "sso_state_mismatch",
			tamper: func(b *browser, cb *url.URL) *url.URL {
				q := cb.Query()
				q.Set("state", "forged-state")
				cb.RawQuery = q.Encode()
				return cb
			}},
		{name: "callback in another browser (login CSRF)", status: 401, code: "sso_state_mismatch",
			tamper: func(b *browser, cb *url.URL) *url.URL {
				jar, _ := cookiejar.New(nil)
				b.hc.Jar = jar
				return cb
			}},
		{name: "nonce mismatch", status: 401, code: "sso_nonce_mismatch",
			mutate: func(r op.AuthRequest) op.AuthRequest { return wrongNonce{r} }},
		{name: "wrong audience", status: 401, code: "sso_token_invalid",
			mutate: func(r op.AuthRequest) op.AuthRequest { return wrongAudience{r} }},
		{name: "expired token", status: 401, code: "sso_token_expired", expired: true},
		{name: "oversized token", status: 413, code: "sso_token_too_large",
			mutate: func(r op.AuthRequest) op.AuthRequest { return hugeAMR{r} }},
		{name: "provider refused", status: 401, code: "sso_denied",
			tamper: func(b *browser, cb *url.URL) *url.URL {
				q := cb.Query()
				q.Del("code")
				q.Set("error", "access_denied")
				cb.RawQuery = q.Encode()
				return cb
			}},
		{name: "oversized code", status: 400, code: "sso_callback_invalid",
			tamper: func(b *browser, cb *url.URL) *url.URL {
				q := cb.Query()
				q.Set("code", strings.Repeat("c", 3000))
				cb.RawQuery = q.Encode()
				return cb
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.userCount(t)
			e.idp.storage.mutate, e.idp.storage.expired = c.mutate, c.expired
			defer func() { e.idp.storage.mutate, e.idp.storage.expired = nil, false }()
			b := newBrowser(t)
			cb := b.authorize(e.startURL(), "zhangsan")
			if c.tamper != nil {
				cb = c.tamper(b, cb)
			}
			st, code, _ := b.callback(cb)
			if st != c.status || code != c.code {
				t.Fatalf("got %d %q, want %d %q", st, code, c.status, c.code)
			}
			if n := e.userCount(t); n != before {
				t.Fatalf("a refused login created a user: %d users, want %d", n, before)
			}
			if f := auditEntries(t, e.env, "auth.login_failed"); len(f) == 0 || f[0].Details["code"] != c.code {
				t.Fatalf("refusal not in the audit trail: %+v", f)
			}
		})
	}
	// A callback can be used once: replaying a successful one is refused.
	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t)
		cb := b.authorize(e.startURL(), "zhangsan")
		if st, code, _ := b.callback(cb); st != 200 {
			t.Fatalf("first: %d %s", st, code)
		}
		// The callback cleared the state cookie; put it back as an attacker
		// holding the whole browser state would.
		b.hc.Jar.SetCookies(cb, []*http.Cookie{{Name: "parley_sso_state", Value: cb.Query().Get("state"), Path: "/api/v1/auth/sso/"}})
		if st, code, _ := b.callback(cb); st != 401 || code != "sso_state_mismatch" {
			t.Fatalf("replay: %d %s", st, code)
		}
	})
}
