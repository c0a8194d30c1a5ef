package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/config"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/mail/mailtest"
	"github.com/parley-chat/parley/internal/server/servertest"
)

func inviteToken(t *testing.T, inv httpapi.InvitationCreated) string {
	t.Helper()
	i := strings.LastIndex(inv.URL, "/invite/")
	if i < 0 || !strings.HasPrefix(inv.URL, "http") {
		t.Fatalf("invitation url %q", inv.URL)
	}
	return inv.URL[i+len("/invite/"):]
}

// TestInvitations: an admin invites by link; anyone holding it sees the
// organisation and the role, and creates an account that is logged in at
// once with the invited role. Used-up, revoked, unknown and
// another-address links are refused with their own codes; the password
// policy applies; another organisation can neither see nor revoke; every
// step is in the audit trail.
func TestInvitations(t *testing.T) {
	env := servertest.Start(t)
	ctx := context.Background()
	admin, adminID := env.User("admin")
	member, _ := env.User("member")
	anon := env.Client()

	var multi httpapi.InvitationCreated
	do(t, admin, "POST", "/api/v1/invitations", map[string]any{"role": "guest", "max_uses": 2, "expires_in_days": 3}, &multi)
	if multi.Role != "guest" || multi.MaxUses != 2 || multi.State != "open" || multi.EmailSent || multi.CreatedBy != adminID {
		t.Fatalf("created %+v", multi)
	}
	if d := multi.ExpiresAt; (httpapi.Time(d) == httpapi.Time{}) {
		t.Fatal("no expiry")
	}
	tok := inviteToken(t, multi)
	var pv httpapi.InvitationPreview
	do(t, anon, "GET", "/api/v1/invites/"+tok, nil, &pv)
	if pv.OrgName != "Acme" || pv.Role != "guest" || pv.Email != "" {
		t.Fatalf("preview %+v", pv)
	}

	// The password policy applies; nothing is spent by a refused attempt.
	_, err := anon.Do(ctx, "POST", "/api/v1/invites/"+tok+"/accept", map[string]any{"email": "g1@ext.test", "username": "g1", "password": "short"}, nil)
	wantCode(t, err, 400, "password_too_short")
	for i := 1; i <= 2; i++ {
		var lr httpapi.LoginResponse
		do(t, anon, "POST", "/api/v1/invites/"+tok+"/accept", map[string]any{"email": fmt.Sprintf("g%d@ext.test", i),
			"username": fmt.Sprintf("g%d", i), "display_name": "Guest", "password": servertest.Password}, &lr)
		if lr.Token == "" || lr.User.Role != "guest" || !lr.User.IsGuest {
			t.Fatalf("accept %d: %+v", i, lr)
		}
		var me httpapi.User
		do(t, anon.WithToken(lr.Token), "GET", "/api/v1/users/me", nil, &me)
		if me.ID != lr.User.ID {
			t.Fatalf("session is of %d, want %d", me.ID, lr.User.ID)
		}
	}
	_, err = anon.Do(ctx, "POST", "/api/v1/invites/"+tok+"/accept", map[string]any{"email": "g3@ext.test", "username": "g3", "password": servertest.Password}, nil)
	wantCode(t, err, 409, "invite_used_up")
	_, err = anon.Do(ctx, "GET", "/api/v1/invites/"+tok, nil, nil)
	wantCode(t, err, 409, "invite_used_up")
	_, err = anon.Do(ctx, "GET", "/api/v1/invites/inv_nope", nil, nil)
	wantCode(t, err, 404, "invite_not_found")

	// Bound to an address: single use, and only for that address.
	var bound httpapi.InvitationCreated
	do(t, admin, "POST", "/api/v1/invitations", map[string]any{"email": "Bo@Ext.test"}, &bound)
	if bound.Email != "bo@ext.test" || bound.MaxUses != 1 || bound.Role != "member" || bound.EmailSent {
		t.Fatalf("bound %+v", bound)
	}
	_, err = admin.Do(ctx, "POST", "/api/v1/invitations", map[string]any{"email": "x@ext.test", "max_uses": 5}, nil)
	wantCode(t, err, 400, "invite_max_uses_invalid")
	_, err = admin.Do(ctx, "POST", "/api/v1/invitations", map[string]any{"role": "admin"}, nil)
	wantCode(t, err, 400, "invite_role_invalid")
	_, err = admin.Do(ctx, "POST", "/api/v1/invitations", map[string]any{"expires_in_days": 31}, nil)
	wantCode(t, err, 400, "invite_expiry_invalid")
	_, err = member.Do(ctx, "POST", "/api/v1/invitations", map[string]any{}, nil)
	wantCode(t, err, 403, "admin_required")
	btok := inviteToken(t, bound)
	_, err = anon.Do(ctx, "POST", "/api/v1/invites/"+btok+"/accept", map[string]any{"email": "eve@ext.test", "username": "eve", "password": servertest.Password}, nil)
	wantCode(t, err, 400, "invite_email_mismatch")
	var bo httpapi.LoginResponse
	do(t, anon, "POST", "/api/v1/invites/"+btok+"/accept", map[string]any{"username": "bo", "password": servertest.Password}, &bo)
	if bo.User.Email != "bo@ext.test" || bo.User.Role != "member" {
		t.Fatalf("bound accept %+v", bo.User)
	}

	// Another organisation neither sees nor revokes; the admin revokes.
	var open httpapi.InvitationCreated
	do(t, admin, "POST", "/api/v1/invitations", map[string]any{}, &open)
	other := env.OtherOrg("globex")
	var otherList httpapi.InvitationList
	do(t, other, "GET", "/api/v1/invitations", nil, &otherList)
	if len(otherList.Invitations) != 0 {
		t.Fatalf("another organisation sees %+v", otherList.Invitations)
	}
	_, err = other.Do(ctx, "DELETE", fmt.Sprintf("/api/v1/invitations/%d", open.ID), nil, nil)
	wantCode(t, err, 404, "invite_not_found")
	do(t, admin, "DELETE", fmt.Sprintf("/api/v1/invitations/%d", open.ID), nil, nil)
	_, err = anon.Do(ctx, "POST", "/api/v1/invites/"+inviteToken(t, open)+"/accept", map[string]any{"email": "late@ext.test", "username": "late", "password": servertest.Password}, nil)
	wantCode(t, err, 409, "invite_revoked")

	var list httpapi.InvitationList
	do(t, admin, "GET", "/api/v1/invitations", nil, &list)
	states := map[int64]string{}
	for _, i := range list.Invitations {
		states[i.ID] = fmt.Sprintf("%s/%d", i.State, i.Uses)
	}
	if len(list.Invitations) != 3 || states[multi.ID] != "used_up/2" || states[bound.ID] != "used_up/1" || states[open.ID] != "revoked/0" {
		t.Fatalf("list %v", states)
	}
	for _, i := range list.Invitations {
		if i.ID == open.ID && (httpapi.Time(i.RevokedAt) == httpapi.Time{}) {
			t.Fatal("revoked_at not set")
		}
	}

	var page httpapi.AuditPage
	do(t, env.Owner, "GET", "/api/v1/audit?action=invite.accept", nil, &page)
	if len(page.Entries) != 3 || page.Entries[0].ActorID != bo.User.ID || page.Entries[0].TargetID != bound.ID {
		t.Fatalf("invite.accept entries %+v", page.Entries)
	}
	do(t, env.Owner, "GET", "/api/v1/audit?action=invite.create", nil, &page)
	if len(page.Entries) != 3 || page.Entries[0].ActorID != adminID {
		t.Fatalf("invite.create entries %+v", page.Entries)
	}
	do(t, env.Owner, "GET", "/api/v1/audit?action=invite.revoke", nil, &page)
	if len(page.Entries) != 1 || page.Entries[0].TargetID != open.ID {
		t.Fatalf("invite.revoke entries %+v", page.Entries)
	}
}

// TestInvitationByEmail: with an SMTP server configured, an invitation
// bound to an address is e-mailed there in the inviter's language, and the
// link in the e-mail works; when the server cannot be reached the
// invitation still exists and the answer says the e-mail was not sent.
func TestInvitationByEmail(t *testing.T) {
	smtpSrv := mailtest.Start(t, mailtest.Options{})
	env := servertest.StartWith(t, func(c *config.Config) {
		c.SMTPURL = "smtp://" + smtpSrv.Addr
		c.SMTPFrom = "Parley <noreply@acme.test>"
	})
	do(t, env.Owner, "PATCH", "/api/v1/users/me", map[string]any{"locale": "zh-CN", "display_name": "王芳"}, nil)
	var inv httpapi.InvitationCreated
	do(t, env.Owner, "POST", "/api/v1/invitations", map[string]any{"email": "bo@ext.test", "role": "guest"}, &inv)
	if !inv.EmailSent || inv.EmailError != "" {
		t.Fatalf("created %+v", inv)
	}
	m := smtpSrv.Next(t)
	if len(m.To) != 1 || m.To[0] != "bo@ext.test" || m.From != "noreply@acme.test" {
		t.Fatalf("envelope %+v", m)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.Contains(string(body), inv.URL) || !strings.Contains(subject, "王芳 邀请你加入") || !strings.Contains(string(body), "访客") {
		t.Fatalf("subject %q body %q, want the link %s", subject, body, inv.URL)
	}
	var lr httpapi.LoginResponse
	do(t, env.Client(), "POST", "/api/v1/invites/"+inviteToken(t, inv)+"/accept", map[string]any{"username": "bo", "password": servertest.Password}, &lr)
	if lr.User.Email != "bo@ext.test" || lr.User.Role != "guest" {
		t.Fatalf("accepted %+v", lr.User)
	}

	// No SMTP server listening: the invitation stands, the e-mail was not sent.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	down := servertest.StartWith(t, func(c *config.Config) {
		c.SMTPURL = "smtp://" + closed
		c.SMTPFrom = "noreply@acme.test"
	})
	do(t, down.Owner, "POST", "/api/v1/invitations", map[string]any{"email": "cy@ext.test"}, &inv)
	if inv.EmailSent || inv.EmailError != "email_failed" || inv.URL == "" {
		t.Fatalf("with SMTP down: %+v", inv)
	}
	var pv httpapi.InvitationPreview
	do(t, down.Client(), "GET", "/api/v1/invites/"+inviteToken(t, inv), nil, &pv)
}
