package sso_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// SSO and LDAP sign-ins under the organisation's "SSO sign-ins also need
// Parley's 2FA" setting (ADR 0018), against the real providers: off (the
// default), the identity provider owns the second factor; on, a user with
// TOTP passes the same challenge as after a password, and under "require
// 2FA" a user without it gets the same enrol-only session.

// jsonDo sends a JSON request with hc's cookies (and the CSRF token a
// cookie session needs) and decodes the answer into out; it returns the
// status and the error code.
func jsonDo(t *testing.T, hc *http.Client, base, method, path string, body, out any) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if u, _ := url.Parse(base); hc.Jar != nil {
		for _, c := range hc.Jar.Cookies(u) {
			if c.Name == "parley_csrf" {
				req.Header.Set("X-CSRF-Token", c.Value)
			}
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var eb httpapi.ErrorBody
		json.Unmarshal(data, &eb)
		return resp.StatusCode, eb.Error.Code
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp.StatusCode, ""
}

// enrolTOTP turns TOTP on for the session in hc and returns the secret and
// the recovery codes.
func enrolTOTP(t *testing.T, hc *http.Client, base string) (string, []string) {
	t.Helper()
	var setup httpapi.TwoFactorSetup
	if st, code := jsonDo(t, hc, base, "POST", "/api/v1/users/me/2fa/setup", map[string]any{}, &setup); st != 200 {
		t.Fatalf("2fa setup: %d %s", st, code)
	}
	c, _ := auth.CodeAt(setup.Secret, time.Now())
	var rc httpapi.RecoveryCodes
	if st, code := jsonDo(t, hc, base, "POST", "/api/v1/users/me/2fa/enable", map[string]any{"code": c}, &rc); st != 200 {
		t.Fatalf("2fa enable: %d %s", st, code)
	}
	return setup.Secret, rc.RecoveryCodes
}

// aheadCode is the authenticator's code of the next time step: accepted
// now (one step of drift is), and later than the step enrolment spent.
func aheadCode(secret string) string {
	c, _ := auth.CodeAt(secret, time.Now().Add(30*time.Second))
	return c
}

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func setSSO2FA(t *testing.T, env *servertest.Env, sso, require bool) {
	t.Helper()
	var p httpapi.SecurityPolicy
	if _, err := env.Owner.Do(context.Background(), "PATCH", "/api/v1/org/security-policy",
		map[string]any{"sso_require_2fa": sso, "require_2fa": require}, &p); err != nil || p.SSORequire2FA != sso || p.Require2FA != require {
		t.Fatalf("policy: %v %+v", err, p)
	}
}

// loginMethods are the methods of the auth.login entries, newest first.
func loginMethods(t *testing.T, env *servertest.Env) string {
	var ms []string
	for _, e := range auditEntries(t, env, "auth.login") {
		ms = append(ms, e.Details["method"])
	}
	return strings.Join(ms, " ")
}

func TestOIDCSignInUnderParleys2FA(t *testing.T) {
	e := startOIDC(t)
	base := e.env.URL

	// Off: alice signs in and sets TOTP up; signing in again asks nothing.
	b := newBrowser(t)
	if st, code, _ := b.callback(b.authorize(e.startURL(), "alice")); st != 200 {
		t.Fatalf("first sign-in: %d %s", st, code)
	}
	secret, recovery := enrolTOTP(t, b.hc, base)
	b2 := newBrowser(t)
	if st, code, _ := b2.callback(b2.authorize(e.startURL(), "alice")); st != 200 {
		t.Fatalf("sign-in with the setting off: %d %s", st, code)
	}

	setSSO2FA(t, e.env, true, true)
	// A JSON client gets the challenge as after a password; no session yet.
	b3 := newBrowser(t)
	resp, body := b3.do("GET", b3.authorize(e.startURL(), "alice").String(), nil, "application/json")
	var ch httpapi.TwoFactorChallenge
	json.Unmarshal(body, &ch)
	if resp.StatusCode != 202 || !ch.TwoFactorRequired || ch.Challenge == "" {
		t.Fatalf("callback with 2FA: %d %s", resp.StatusCode, body)
	}
	if st, code := jsonDo(t, b3.hc, base, "GET", "/api/v1/users/me", nil, nil); st != 401 {
		t.Fatalf("a session before the second step: %d %s", st, code)
	}
	if st, code := jsonDo(t, b3.hc, base, "POST", "/api/v1/auth/login/2fa", map[string]any{"challenge": ch.Challenge, "code": "000000"}, nil); st != 400 || code != "two_factor_code_invalid" {
		t.Fatalf("wrong code: %d %s", st, code)
	}
	c := aheadCode(secret)
	var lr httpapi.LoginResponse
	if st, code := jsonDo(t, b3.hc, base, "POST", "/api/v1/auth/login/2fa", map[string]any{"challenge": ch.Challenge, "code": c}, &lr); st != 200 || lr.User.Email != "alice@corp.test" {
		t.Fatalf("second step: %d %s %+v", st, code, lr)
	}
	if st, code := jsonDo(t, b3.hc, base, "GET", "/api/v1/channels", nil, nil); st != 200 {
		t.Fatalf("session after the second step: %d %s", st, code)
	}

	// A browser is sent to the web client with the challenge in an
	// HttpOnly cookie (never in the URL); the code alone finishes.
	b4 := newBrowser(t)
	resp, _ = b4.do("GET", b4.authorize(e.startURL(), "alice").String(), nil, "text/html")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc != "/?sso_2fa=1" {
		t.Fatalf("browser callback: %d %q", resp.StatusCode, loc)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "parley_2fa" {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/api/v1/auth/login/2fa" {
		t.Fatalf("challenge cookie %+v", cookie)
	}
	if st, code := jsonDo(t, b4.hc, base, "POST", "/api/v1/auth/login/2fa", map[string]any{"recovery_code": recovery[0]}, &lr); st != 200 {
		t.Fatalf("second step from the cookie: %d %s", st, code)
	}
	if st, code := jsonDo(t, b4.hc, base, "GET", "/api/v1/channels", nil, nil); st != 200 {
		t.Fatalf("browser session after the second step: %d %s", st, code)
	}

	// A user without TOTP under enforcement: the session may only enrol.
	b5 := newBrowser(t)
	st, _, _ := b5.callback(b5.authorize(e.startURL(), "zhangsan"))
	if st != 200 {
		t.Fatalf("zhangsan: %d", st)
	}
	if st, code := jsonDo(t, b5.hc, base, "GET", "/api/v1/channels", nil, nil); st != 403 || code != "two_factor_enrolment_required" {
		t.Fatalf("zhangsan before enrolling: %d %s", st, code)
	}
	var tf httpapi.TwoFactorStatus
	if jsonDo(t, b5.hc, base, "GET", "/api/v1/users/me/2fa", nil, &tf); !tf.EnrolmentRequired || !tf.Required || tf.Enabled {
		t.Fatalf("zhangsan's 2fa status %+v", tf)
	}
	if m := loginMethods(t, e.env); m != "external external+recovery_code external+totp external external password" {
		t.Fatalf("auth.login methods %q", m)
	}
}

func TestSAMLSignInUnderParleys2FA(t *testing.T) {
	e := startSAML(t)
	base := e.env.URL
	xmlResp, relay := e.signIn(t)
	form := func(x, r string) url.Values {
		return url.Values{"SAMLResponse": {base64Std(x)}, "RelayState": {r}}
	}
	b := newBrowser(t)
	acs := fmt.Sprintf("%s/api/v1/auth/saml/%d/acs", base, e.provider.ID)
	if resp, body := b.do("POST", acs, form(xmlResp, relay), "application/json"); resp.StatusCode != 200 {
		t.Fatalf("first sign-in: %d %s", resp.StatusCode, body)
	}
	secret, _ := enrolTOTP(t, b.hc, base)
	setSSO2FA(t, e.env, true, false)

	xmlResp, relay = e.signIn(t)
	b2 := newBrowser(t)
	resp, _ := b2.do("POST", acs, form(xmlResp, relay), "text/html")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?sso_2fa=1" {
		t.Fatalf("acs with 2FA: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if st, _ := jsonDo(t, b2.hc, base, "GET", "/api/v1/users/me", nil, nil); st != 401 {
		t.Fatalf("a session before the second step: %d", st)
	}
	var lr httpapi.LoginResponse
	if st, code := jsonDo(t, b2.hc, base, "POST", "/api/v1/auth/login/2fa", map[string]any{"code": aheadCode(secret)}, &lr); st != 200 || lr.User.Email != "ada@corp.test" {
		t.Fatalf("second step: %d %s", st, code)
	}
	if st, code := jsonDo(t, b2.hc, base, "GET", "/api/v1/channels", nil, nil); st != 200 {
		t.Fatalf("session after the second step: %d %s", st, code)
	}
	// The challenge cookie went with its use.
	if st, code := jsonDo(t, b2.hc, base, "POST", "/api/v1/auth/login/2fa", map[string]any{"code": "123456"}, nil); st != 401 || code != "challenge_invalid" {
		t.Fatalf("second step again: %d %s", st, code)
	}
}

func TestLDAPSignInUnderParleys2FA(t *testing.T) {
	e := startLDAP(t)
	ctx := context.Background()
	var lr httpapi.LoginResponse
	if _, err := e.env.Client().Do(ctx, "POST", "/api/v1/auth/ldap/login",
		map[string]any{"provider_id": e.provider.ID, "login": "wangwu", "password": userPass}, &lr); err != nil {
		t.Fatal(err)
	}
	tok := e.env.Client().WithToken(lr.Token)
	var setup httpapi.TwoFactorSetup
	if _, err := tok.Do(ctx, "POST", "/api/v1/users/me/2fa/setup", map[string]any{}, &setup); err != nil {
		t.Fatal(err)
	}
	c, _ := auth.CodeAt(setup.Secret, time.Now())
	if _, err := tok.Do(ctx, "POST", "/api/v1/users/me/2fa/enable", map[string]any{"code": c}, nil); err != nil {
		t.Fatal(err)
	}
	setSSO2FA(t, e.env, true, false)
	var ch httpapi.TwoFactorChallenge
	st, err := e.env.Client().Do(ctx, "POST", "/api/v1/auth/ldap/login",
		map[string]any{"provider_id": e.provider.ID, "login": "wangwu", "password": userPass}, &ch)
	if err != nil || st != 202 || ch.Challenge == "" {
		t.Fatalf("ldap login with 2FA: %d %v %+v", st, err, ch)
	}
	st, err = e.env.Client().Do(ctx, "POST", "/api/v1/auth/login/2fa",
		map[string]any{"challenge": ch.Challenge, "code": aheadCode(setup.Secret)}, &lr)
	if err != nil || st != 200 || lr.Token == "" {
		t.Fatalf("second step: %d %v", st, err)
	}
	if m := loginMethods(t, e.env); !strings.HasPrefix(m, "external+totp external") {
		t.Fatalf("auth.login methods %q", m)
	}
	// Off again: the directory's word is enough.
	setSSO2FA(t, e.env, false, false)
	if st, code, _ := e.login("wangwu", userPass); st != 200 {
		t.Fatalf("setting off: %d %s", st, code)
	}
}
