package httpapi_test

import (
	"context"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// TestLockoutIsSharedAndDurable: the lockout counters live in the database.
// On PostgreSQL, failures on one node lock the account on another node of
// the same database (a cluster gives an attacker no more attempts); on
// both engines a restart forgets nothing.
func TestLockoutIsSharedAndDurable(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	login := func(env *servertest.Env, password string) (int, string) {
		t.Helper()
		st, err := env.Client().Do(ctx, "POST", "/api/v1/auth/login",
			map[string]any{"login": "owner@acme.test", "password": password}, nil)
		if err != nil {
			return apiclient.StatusOf(err), apiclient.CodeOf(err)
		}
		return st, ""
	}
	nodes := []*servertest.Env{env}
	if env.Database != "" {
		nodes = append(nodes, env.Node(), env.Node())
	}
	// Five wrong passwords spread over the nodes, one burst.
	for i := range 5 {
		if st, code := login(nodes[i%len(nodes)], "wrong password"); st != 401 || code != "invalid_credentials" {
			t.Fatalf("failure %d: %d %s", i+1, st, code)
		}
	}
	// Every node now refuses even the right password.
	for i, n := range nodes {
		if st, code := login(n, servertest.Password); st != 429 || code != "too_many_attempts" {
			t.Fatalf("node %d after the burst: %d %s", i, st, code)
		}
	}
	env.Restart()
	if st, code := login(env, servertest.Password); st != 429 || code != "too_many_attempts" {
		t.Fatalf("after a restart: %d %s", st, code)
	}
	// The failure that started the lockout says so in the audit trail.
	var page struct {
		Entries []struct {
			Details map[string]string `json:"details"`
		} `json:"entries"`
	}
	do(t, env.Owner, "GET", "/api/v1/audit?action=auth.login_failed", nil, &page)
	if len(page.Entries) != 5 || page.Entries[0].Details["locked_seconds"] != "60" || page.Entries[1].Details["locked_seconds"] != "" {
		t.Fatalf("audit of the failures: %+v", page.Entries)
	}
}

// TestSSOTwoFactorSetting: the organisation's "SSO sign-ins also need
// Parley's 2FA" setting is off by default, changed by admins only, and
// audited as a policy change.
func TestSSOTwoFactorSetting(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	member, _ := env.User("member")
	var p httpapi.SecurityPolicy
	do(t, member, "GET", "/api/v1/org/security-policy", nil, &p)
	if p.SSORequire2FA {
		t.Fatalf("default policy %+v", p)
	}
	_, err := member.Do(ctx, "PATCH", "/api/v1/org/security-policy", map[string]any{"sso_require_2fa": true}, nil)
	wantCode(t, err, 403, "admin_required")
	do(t, env.Owner, "PATCH", "/api/v1/org/security-policy", map[string]any{"sso_require_2fa": true}, &p)
	if !p.SSORequire2FA || p.Require2FA {
		t.Fatalf("after the change %+v", p)
	}
	do(t, member, "GET", "/api/v1/org/security-policy", nil, &p)
	if !p.SSORequire2FA {
		t.Fatalf("read back %+v", p)
	}
	var page httpapi.AuditPage
	do(t, env.Owner, "GET", "/api/v1/audit?action=org.security_policy", nil, &page)
	if len(page.Entries) != 1 || page.Entries[0].Details["sso_require_2fa"] != "false → true" {
		t.Fatalf("audit %+v", page.Entries)
	}
}
