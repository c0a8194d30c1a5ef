// Package mailtest runs a real SMTP server (github.com/emersion/go-smtp) on
// loopback for tests, optionally with STARTTLS and PLAIN authentication,
// and hands over every message it accepts.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	// User is who authenticated ("" without AUTH).
	User string
}

// Server is a running SMTP server.
type Server struct {
	Addr     string
	Messages chan Message
	// Roots trusts the server's certificate when it offers STARTTLS.
	Roots      *x509.CertPool
	user, pass string
}

// Options configure Start.
type Options struct {
	STARTTLS   bool   // offer STARTTLS with a fresh self-signed certificate for 127.0.0.1
	User, Pass string // require PLAIN authentication with these credentials
}

// Start starts a server on 127.0.0.1 and stops it at cleanup.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	s := &Server{Messages: make(chan Message, 16), user: o.User, pass: o.Pass}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.AllowInsecureAuth = !o.STARTTLS
	if o.STARTTLS {
		cert, roots := selfSigned(tb)
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.Roots = roots
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go srv.Serve(l)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Next returns the next accepted message, failing the test after 10s.
func (s *Server) Next(tb testing.TB) Message {
	tb.Helper()
	select {
	case m := <-s.Messages:
		return m
	case <-time.After(10 * time.Second):
		tb.Fatal("no message arrived at the SMTP server")
		return Message{}
	}
}

func selfSigned(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, roots
}

type backend struct{ s *Server }

func (b backend) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s    *Server
	m    Message
	user string
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.user || pass != x.s.pass {
			return errors.New("invalid credentials")
		}
		x.user = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	x.m = Message{From: from, User: x.user}
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.m.To = append(x.m.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.m.Data = b
	x.s.Messages <- x.m
	return nil
}

func (x *session) Reset()        { x.m = Message{} }
func (x *session) Logout() error { return nil }
