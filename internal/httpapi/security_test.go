package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/server/servertest"
)

func expectRevoked(t *testing.T, s *realtime.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, err := s.Next(ctx)
		if err == nil {
			continue
		}
		var ce *realtime.CloseError
		if !errors.As(err, &ce) || ce.Code != realtime.CloseRevoked {
			t.Fatalf("stream ended with %v, want close %d", err, realtime.CloseRevoked)
		}
		return
	}
}

// TestSessionsAndTokens: the session list marks the current one; revoking
// another session ends it and closes its stream but not the caller's;
// access tokens are shown once, scoped, kept away from account security.
func TestSessionsAndTokens(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	a, _ := env.User("member")
	var me httpapi.User
	do(t, a, "GET", "/api/v1/users/me", nil, &me)
	b, _, err := env.Client().Login(ctx, me.Email, servertest.Password)
	if err != nil {
		t.Fatal(err)
	}
	streamA, streamB := dial(t, env, a, -1), dial(t, env, b, -1)
	next(t, streamA, "ready")
	next(t, streamB, "ready")
	var list httpapi.SessionList
	do(t, a, "GET", "/api/v1/users/me/sessions", nil, &list)
	if len(list.Sessions) != 2 || !list.Sessions[1].Current || list.Sessions[0].Current || list.Sessions[0].Address != "127.0.0.1" {
		t.Fatalf("sessions %+v", list.Sessions)
	}
	do(t, a, "DELETE", fmt.Sprintf("/api/v1/users/me/sessions/%d", list.Sessions[0].ID), nil, nil)
	expectRevoked(t, streamB)
	_, err = b.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	wantCode(t, err, 401, "unauthenticated")
	// The caller's own stream stays open: it still gets events.
	do(t, a, "PATCH", "/api/v1/users/me", map[string]any{"status_text": "still here"}, nil)
	if f := next(t, streamA, "user.updated"); f.Type != "user.updated" {
		t.Fatalf("frame %+v", f)
	}
	_, err = a.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/users/me/sessions/%d", list.Sessions[0].ID), nil, nil)
	wantCode(t, err, 404, "session_not_found")

	// A read-only token.
	var nt httpapi.NewTokenResponse
	st, err := a.Do(ctx, "POST", "/api/v1/users/me/tokens", map[string]any{"name": "报表脚本", "scope": "read", "expires_in_days": 7}, &nt)
	if err != nil || st != 201 || nt.Token == "" || nt.Info.Name != "报表脚本" || nt.Info.Scope != "read" || nt.Info.Expired {
		t.Fatalf("create token: %d %v %+v", st, err, nt)
	}
	tok := apiclient.New(env.URL).WithToken(nt.Token)
	do(t, tok, "GET", "/api/v1/channels", nil, nil)
	_, err = tok.Do(ctx, "POST", "/api/v1/channels", map[string]any{"name": "by-token", "kind": "public"}, nil)
	wantCode(t, err, 403, "token_scope_insufficient")
	_, err = tok.Do(ctx, "GET", "/api/v1/users/me/sessions", nil, nil)
	wantCode(t, err, 403, "token_not_allowed")
	var tl httpapi.TokenList
	do(t, a, "GET", "/api/v1/users/me/tokens", nil, &tl)
	if len(tl.Tokens) != 1 || tl.Tokens[0].ID != nt.Info.ID {
		t.Fatalf("tokens %+v", tl)
	}
	for body, code := range map[string]map[string]any{
		"token_expiry_invalid": {"name": "x", "expires_in_days": 400},
		"token_scope_invalid":  {"name": "x", "scope": "admin", "expires_in_days": 1},
		"token_name_required":  {"name": " ", "expires_in_days": 1},
	} {
		_, err := a.Do(ctx, "POST", "/api/v1/users/me/tokens", code, nil)
		wantCode(t, err, 400, body)
	}
	do(t, a, "DELETE", fmt.Sprintf("/api/v1/users/me/tokens/%d", nt.Info.ID), nil, nil)
	_, err = tok.Do(ctx, "GET", "/api/v1/channels", nil, nil)
	wantCode(t, err, 401, "unauthenticated")

	var page httpapi.AuditPage
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/audit?actor_id=%d&action=token.", me.ID), nil, &page)
	if auditActions(page) != "token.revoke token.create" {
		t.Fatalf("token audit %q", auditActions(page))
	}
}

// TestPasswordPolicyAndChange: the organisation's policy applies to new
// users and password changes; a change ends the user's other sessions.
func TestPasswordPolicyAndChange(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	admin, _ := env.User("admin")
	var pol httpapi.SecurityPolicy
	do(t, admin, "PATCH", "/api/v1/org/security-policy", map[string]any{"password_min_length": 12, "password_min_classes": 3}, &pol)
	if pol.PasswordMinLength != 12 || pol.PasswordMinClasses != 3 || pol.Require2FA {
		t.Fatalf("policy %+v", pol)
	}
	_, err := admin.Do(ctx, "PATCH", "/api/v1/org/security-policy", map[string]any{"password_min_length": 4}, nil)
	wantCode(t, err, 400, "policy_min_length_invalid")
	for pw, code := range map[string]string{
		"Short1!":              "password_too_short",
		"only lower case here": "password_too_simple",
		"Zhang.San-2026!":      "password_contains_name",
	} {
		_, err := admin.Do(ctx, "POST", "/api/v1/users", map[string]any{"email": "zhang.san@acme.test", "username": "zhangsan",
			"password": pw}, nil)
		wantCode(t, err, 400, code)
	}
	good := "Tea-Pot 4 Elephants"
	do(t, admin, "POST", "/api/v1/users", map[string]any{"email": "zhang.san@acme.test", "username": "zhangsan", "password": good}, nil)
	u1, _, err := env.Client().Login(ctx, "zhangsan", good)
	if err != nil {
		t.Fatal(err)
	}
	u2, _, _ := env.Client().Login(ctx, "zhangsan", good)
	_, err = u1.Do(ctx, "POST", "/api/v1/users/me/password", map[string]any{"current_password": "wrong", "new_password": "Another-Good 99"}, nil)
	wantCode(t, err, 403, "password_wrong")
	_, err = u1.Do(ctx, "POST", "/api/v1/users/me/password", map[string]any{"current_password": good, "new_password": "weak"}, nil)
	wantCode(t, err, 400, "password_too_short")
	do(t, u1, "POST", "/api/v1/users/me/password", map[string]any{"current_password": good, "new_password": "Another-Good 99"}, nil)
	do(t, u1, "GET", "/api/v1/users/me", nil, nil)
	_, err = u2.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	wantCode(t, err, 401, "unauthenticated")
	if _, _, err := env.Client().Login(ctx, "zhangsan", "Another-Good 99"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	// The common-password list, at any policy.
	do(t, admin, "PATCH", "/api/v1/org/security-policy", map[string]any{"password_min_length": 8, "password_min_classes": 1}, nil)
	_, err = admin.Do(ctx, "POST", "/api/v1/users", map[string]any{"email": "w@acme.test", "username": "wang", "password": "Sunshine"}, nil)
	wantCode(t, err, 400, "password_too_common")
}

// TestTwoFactorOverHTTP: enforcement makes a user enrol before anything
// else; the login becomes two steps; an admin can reset a lost factor.
func TestTwoFactorOverHTTP(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	_, id := env.User("member")
	member, _ := env.User("member") // logged in before the policy changed
	var u httpapi.User
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/users/%d", id), nil, &u)
	do(t, env.Owner, "PATCH", "/api/v1/org/security-policy", map[string]any{"require_2fa": true}, nil)

	var lr httpapi.LoginResponse
	st, err := env.Client().Do(ctx, "POST", "/api/v1/auth/login", map[string]any{"login": u.Email, "password": servertest.Password}, &lr)
	if err != nil || st != 200 || !lr.TwoFactorEnrolmentRequired {
		t.Fatalf("login under enforcement: %d %v %+v", st, err, lr)
	}
	c := apiclient.New(env.URL).WithToken(lr.Token)
	_, err = c.Do(ctx, "GET", "/api/v1/channels", nil, nil)
	wantCode(t, err, 403, "two_factor_enrolment_required")
	do(t, c, "GET", "/api/v1/users/me", nil, nil)
	var setup httpapi.TwoFactorSetup
	do(t, c, "POST", "/api/v1/users/me/2fa/setup", map[string]any{}, &setup)
	code, _ := auth.CodeAt(setup.Secret, time.Now())
	var rc httpapi.RecoveryCodes
	do(t, c, "POST", "/api/v1/users/me/2fa/enable", map[string]any{"code": code}, &rc)
	if len(rc.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes %v", rc)
	}
	do(t, c, "GET", "/api/v1/channels", nil, nil) // the same session is now a full one
	_, err = c.Do(ctx, "POST", "/api/v1/users/me/2fa/disable", map[string]any{"password": servertest.Password}, nil)
	wantCode(t, err, 403, "two_factor_required_by_policy")

	// Two steps now; a recovery code finishes the second.
	var ch httpapi.TwoFactorChallenge
	st, err = env.Client().Do(ctx, "POST", "/api/v1/auth/login", map[string]any{"login": u.Email, "password": servertest.Password}, &ch)
	if err != nil || st != 202 || !ch.TwoFactorRequired || ch.Challenge == "" {
		t.Fatalf("first step: %d %v %+v", st, err, ch)
	}
	_, err = env.Client().Do(ctx, "POST", "/api/v1/auth/login/2fa", map[string]any{"challenge": ch.Challenge, "code": "000000"}, nil)
	wantCode(t, err, 400, "two_factor_code_invalid")
	st, err = env.Client().Do(ctx, "POST", "/api/v1/auth/login/2fa", map[string]any{"challenge": ch.Challenge, "recovery_code": rc.RecoveryCodes[0]}, &lr)
	if err != nil || st != 200 || lr.Token == "" || lr.TwoFactorEnrolmentRequired {
		t.Fatalf("second step: %d %v %+v", st, err, lr)
	}
	var tf httpapi.TwoFactorStatus
	do(t, apiclient.New(env.URL).WithToken(lr.Token), "GET", "/api/v1/users/me/2fa", nil, &tf)
	if !tf.Enabled || !tf.Required || tf.RecoveryCodesLeft != 9 {
		t.Fatalf("status %+v", tf)
	}

	// Lost phone: an admin resets; the next login asks to enrol again.
	_, err = member.Do(ctx, "POST", fmt.Sprintf("/api/v1/users/%d/2fa/reset", id), map[string]any{}, nil)
	wantCode(t, err, 403, "admin_required")
	do(t, env.Owner, "POST", fmt.Sprintf("/api/v1/users/%d/2fa/reset", id), map[string]any{}, nil)
	st, err = env.Client().Do(ctx, "POST", "/api/v1/auth/login", map[string]any{"login": u.Email, "password": servertest.Password}, &lr)
	if err != nil || st != 200 || !lr.TwoFactorEnrolmentRequired {
		t.Fatalf("login after reset: %d %v %+v", st, err, lr)
	}
	var page httpapi.AuditPage
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/audit?target_type=user&target_id=%d&action=2fa.", id), nil, &page)
	if auditActions(page) != "2fa.reset 2fa.enable" {
		t.Fatalf("2fa audit %q", auditActions(page))
	}
}

// TestRoleChange: admins assign roles within the rules; demotion to guest
// ends the user's sessions; every change is in the audit trail.
func TestRoleChange(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	admin, adminID := env.User("admin")
	m, mID := env.User("member")
	var u httpapi.User
	do(t, admin, "PUT", fmt.Sprintf("/api/v1/users/%d/role", mID), map[string]any{"role": "admin"}, &u)
	if u.Role != "admin" {
		t.Fatalf("role %q", u.Role)
	}
	do(t, m, "PATCH", "/api/v1/org", map[string]any{"receipt_max_members": 100}, nil) // now an admin
	for role, code := range map[string]string{"dept_admin": "role_not_assignable", "bot": "role_not_assignable", "boss": "role_invalid"} {
		_, err := admin.Do(ctx, "PUT", fmt.Sprintf("/api/v1/users/%d/role", mID), map[string]any{"role": role}, nil)
		wantCode(t, err, 400, code)
	}
	_, err := admin.Do(ctx, "PUT", fmt.Sprintf("/api/v1/users/%d/role", adminID), map[string]any{"role": "member"}, nil)
	wantCode(t, err, 400, "cannot_change_own_role")
	_, err = admin.Do(ctx, "PUT", fmt.Sprintf("/api/v1/users/%d/role", mID), map[string]any{"role": "owner"}, nil)
	wantCode(t, err, 403, "owner_required")
	do(t, admin, "PUT", fmt.Sprintf("/api/v1/users/%d/role", mID), map[string]any{"role": "guest"}, &u)
	_, err = m.Do(ctx, "GET", "/api/v1/users/me", nil, nil)
	wantCode(t, err, 401, "unauthenticated")
	var page httpapi.AuditPage
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/audit?action=user.role_change&target_id=%d&outcome=success", mID), nil, &page)
	if len(page.Entries) != 2 || page.Entries[0].Details["role"] != "admin → guest" || page.Entries[1].Details["role"] != "member → admin" ||
		page.Entries[0].ActorID != adminID {
		t.Fatalf("role audit %+v", page.Entries)
	}
	// The refused promotion to owner is recorded as a failure.
	do(t, env.Owner, "GET", fmt.Sprintf("/api/v1/audit?action=user.role_change&target_id=%d&outcome=failure", mID), nil, &page)
	if len(page.Entries) != 1 || page.Entries[0].Details["reason"] != "owner_required" || page.Entries[0].ActorID != adminID {
		t.Fatalf("refused role audit %+v", page.Entries)
	}
}
