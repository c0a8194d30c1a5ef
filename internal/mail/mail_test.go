package mail_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	parleymail "github.com/parley-chat/parley/internal/mail"
	"github.com/parley-chat/parley/internal/mail/mailtest"
)

func read(t *testing.T, m mailtest.Message) (subject, body string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	b, err := io.ReadAll(msg.Body) // net/mail leaves the body encoded
	if err != nil {
		t.Fatal(err)
	}
	dec, err := io.ReadAll(qpReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return subject, string(dec)
}

// TestSendInviteOverSTARTTLS: against a real SMTP server that offers
// STARTTLS and requires PLAIN authentication, the invitation arrives with
// the link, in the inviter's language.
func TestSendInviteOverSTARTTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, User: "parley", Pass: "s3cret"})
	s, err := parleymail.New("smtp://parley:s3cret@"+srv.Addr, "Parley <noreply@acme.test>")
	if err != nil {
		t.Fatal(err)
	}
	s.TrustRoots(srv.Roots)
	link := "https://chat.acme.test/invite/inv_" + strings.Repeat("x", 43)
	exp := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	if err := s.SendInvite(context.Background(), account.InviteMail{To: "bo@ext.test", Locale: "zh-CN", OrgName: "Acme\r\nBcc: evil@x.test",
		Inviter: "王芳", Link: link, Role: account.RoleGuest, ExpiresAt: exp}); err != nil {
		t.Fatalf("send: %v", err)
	}
	m := srv.Next(t)
	if m.User != "parley" || m.From != "noreply@acme.test" || len(m.To) != 1 || m.To[0] != "bo@ext.test" {
		t.Fatalf("envelope %+v", m)
	}
	subject, body := read(t, m)
	if !strings.Contains(subject, "王芳 邀请你加入") || strings.Contains(strings.SplitN(string(m.Data), "\r\n\r\n", 2)[0], "\r\nBcc:") {
		t.Fatalf("subject %q / header injection in %q", subject, m.Data)
	}
	if !strings.Contains(body, link) || !strings.Contains(body, "访客") || !strings.Contains(body, "2026-12-02 08:00") {
		t.Fatalf("body %q", body)
	}

	// A wrong password is an error, not a silent drop.
	bad, _ := parleymail.New("smtp://parley:wrong@"+srv.Addr, "noreply@acme.test")
	bad.TrustRoots(srv.Roots)
	if err := bad.SendInvite(context.Background(), account.InviteMail{To: "x@ext.test", Link: link, ExpiresAt: exp}); err == nil {
		t.Fatal("sent with a wrong password")
	}
}

// TestSendInviteEnglish: without STARTTLS offered, plain SMTP on loopback;
// English text for any other locale.
func TestSendInviteEnglish(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s, err := parleymail.New("smtp://"+srv.Addr, "noreply@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	link := "http://127.0.0.1:8080/invite/inv_abc"
	if err := s.SendInvite(context.Background(), account.InviteMail{To: "bo@ext.test", Locale: "en", OrgName: "Acme",
		Inviter: "Ada", Link: link, Role: account.RoleMember, ExpiresAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	subject, body := read(t, srv.Next(t))
	if subject != "Ada invited you to Acme on Parley" || !strings.Contains(body, link) || !strings.Contains(body, "as a member") {
		t.Fatalf("subject %q body %q", subject, body)
	}
}

func TestNewRejectsBadSettings(t *testing.T) {
	for _, c := range [][2]string{{"http://x", "a@b.test"}, {"smtp://", "a@b.test"}, {"smtp://h:25", "not an address"}} {
		if _, err := parleymail.New(c[0], c[1]); err == nil {
			t.Errorf("New(%q, %q) accepted", c[0], c[1])
		}
	}
}

func qpReader(s string) io.Reader { return quotedprintable.NewReader(strings.NewReader(s)) }
