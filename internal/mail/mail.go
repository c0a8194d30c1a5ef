// Package mail sends Parley's e-mail (today: invitations) through an SMTP
// server with the standard library's net/smtp, upgrading to TLS with
// STARTTLS whenever the server offers it. The messages are plain text in
// the recipient's language (en or zh-CN).
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
)

// Sender delivers messages to one SMTP server.
type Sender struct {
	addr      string // host:port
	host      string
	user, pwd string
	from      mail.Address
	roots     *x509.CertPool // nil: the system's
	now       func() time.Time
}

// timeout bounds one delivery: the admin's request waits for it.
const timeout = 15 * time.Second

// New parses smtp://[user:password@]host[:port] (port 587 when absent) and
// the From address.
func New(rawURL, from string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return nil, fmt.Errorf("smtp url: want smtp://[user:password@]host[:port]")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp from %q: %w", from, err)
	}
	port := u.Port()
	if port == "" {
		port = "587"
	}
	s := &Sender{addr: net.JoinHostPort(u.Hostname(), port), host: u.Hostname(), from: *addr, now: time.Now}
	if u.User != nil {
		s.user = u.User.Username()
		s.pwd, _ = u.User.Password()
	}
	return s, nil
}

// TrustRoots makes STARTTLS verify the server against roots instead of the
// system's certificate authorities (a private CA; tests).
func (s *Sender) TrustRoots(roots *x509.CertPool) { s.roots = roots }

// SendInvite e-mails an invitation link.
func (s *Sender) SendInvite(ctx context.Context, m account.InviteMail) error {
	subject, body := inviteText(m)
	return s.send(ctx, m.To, subject, body)
}

// send delivers one plain-text message. net/smtp's PLAIN auth refuses to
// send the password over an unencrypted connection except to localhost.
func (s *Sender) send(ctx context.Context, to, subject, body string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("mail: dial %s: %w", s.addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: greeting: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: s.host, RootCAs: s.roots, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("mail: starttls: %w", err)
		}
	}
	if s.user != "" {
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pwd, s.host)); err != nil {
			return fmt.Errorf("mail: auth: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(s.message(to, subject, body)); err != nil {
		return fmt.Errorf("mail: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: end of data: %w", err)
	}
	return c.Quit()
}

// message renders the headers and the quoted-printable UTF-8 body. Header
// values that come from users (the organisation and inviter names in the
// subject) are RFC 2047-encoded, which also neutralises line breaks.
func (s *Sender) message(to, subject, body string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", s.from.String())
	fmt.Fprintf(&b, "To: %s\r\n", (&mail.Address{Address: to}).String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
	fmt.Fprintf(&b, "Date: %s\r\n", s.now().Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n")))
	qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}

// inviteText is the subject and body of an invitation in the inviter's
// language.
func inviteText(m account.InviteMail) (string, string) {
	expires := m.ExpiresAt.UTC().Format("2006-01-02 15:04")
	if m.Locale == "zh-CN" {
		role := "成员"
		if m.Role == account.RoleGuest {
			role = "访客"
		}
		return fmt.Sprintf("%s 邀请你加入 Parley 上的「%s」", m.Inviter, m.OrgName),
			fmt.Sprintf("%s 邀请你以%s身份加入 Parley 上的「%s」。\n\n打开以下链接创建账号：\n%s\n\n链接有效期至 %s（UTC）。\n如果你没有预期收到此邀请，请忽略本邮件。\n",
				m.Inviter, role, m.OrgName, m.Link, expires)
	}
	role := "a member"
	if m.Role == account.RoleGuest {
		role = "a guest"
	}
	return fmt.Sprintf("%s invited you to %s on Parley", m.Inviter, m.OrgName),
		fmt.Sprintf("%s invited you to join %s on Parley as %s.\n\nOpen this link to create your account:\n%s\n\nThe link works until %s (UTC).\nIf you did not expect this invitation, you can ignore this e-mail.\n",
			m.Inviter, m.OrgName, role, m.Link, expires)
}
