package sso_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/logger"

	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// The identity provider in these tests is crewjam/saml's IdentityProvider
// serving on loopback with its own key and certificate: real signed SAML
// responses, which the tests then tamper with as an attacker would.

type fixedSession struct{ s *saml.Session }

func (f fixedSession) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	return f.s
}

type fixedSP struct{ md *saml.EntityDescriptor }

func (f *fixedSP) GetServiceProvider(r *http.Request, id string) (*saml.EntityDescriptor, error) {
	return f.md, nil
}

type samlEnv struct {
	env      *servertest.Env
	provider httpapi.SSOProvider
	client   *http.Client
}

func startSAML(t *testing.T) *samlEnv {
	env := servertest.Start(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	mdURL, _ := url.Parse(base + "/metadata")
	ssoURL, _ := url.Parse(base + "/sso")
	spp := &fixedSP{}
	idp := &saml.IdentityProvider{Key: key, Signer: key, Certificate: cert, Logger: logger.DefaultLogger,
		MetadataURL: *mdURL, SSOURL: *ssoURL, ServiceProviderProvider: spp,
		SessionProvider: fixedSession{&saml.Session{ID: "s1", CreateTime: time.Now(), ExpireTime: time.Now().Add(time.Hour),
			NameID: "u-ada", UserName: "ada", UserEmail: "ada@corp.test", UserCommonName: "Ada Lovelace",
			Groups: []string{"parley-admins"}}}}
	mux := http.NewServeMux()
	mux.HandleFunc("/sso", idp.ServeSSO)
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	idpMD, err := xml.Marshal(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	var p httpapi.SSOProvider
	if _, err := env.Owner.Do(context.Background(), "POST", "/api/v1/sso/providers", map[string]any{
		"kind": "saml", "name": "Corp SAML", "saml": map[string]any{"idp_metadata": string(idpMD), "groups_attr": "eduPersonAffiliation"},
		"mapping": map[string]any{"default_role": "member", "rules": []map[string]any{{"group": "parley-admins", "role": "admin"}}},
	}, &p); err != nil {
		t.Fatalf("create provider: %v", err)
	}
	if p.SAML == nil || p.RedirectURI != fmt.Sprintf("%s/api/v1/auth/saml/%d/acs", env.URL, p.ID) {
		t.Fatalf("provider %+v", p)
	}
	// The IdP learns the service provider from its metadata endpoint.
	resp, err := http.Get(p.SAML.MetadataURL)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var spMD saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &spMD); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sp metadata: %d %v %s", resp.StatusCode, err, raw)
	}
	if len(spMD.SPSSODescriptors) != 1 || spMD.SPSSODescriptors[0].AssertionConsumerServices[0].Location != p.RedirectURI {
		t.Fatalf("sp metadata: %s", raw)
	}
	spp.md = &spMD
	var tr httpapi.SSOTestResult
	if _, err := env.Owner.Do(context.Background(), "POST", fmt.Sprintf("/api/v1/sso/providers/%d/test", p.ID), map[string]any{}, &tr); err != nil || !tr.OK || !strings.Contains(tr.Detail, base+"/sso") {
		t.Fatalf("test connection: %v %+v", err, tr)
	}
	return &samlEnv{env: env, provider: p, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var (
	samlResponseRe = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)
	relayStateRe   = regexp.MustCompile(`name="RelayState" value="([^"]*)"`)
)

// signIn runs the flow up to the IdP's form post and returns the decoded
// SAML response XML and the RelayState.
func (e *samlEnv) signIn(t *testing.T) (string, string) {
	t.Helper()
	resp, err := e.client.Get(fmt.Sprintf("%s/api/v1/auth/saml/%d/start", e.env.URL, e.provider.ID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	resp, err = e.client.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m, r := samlResponseRe.FindSubmatch(body), relayStateRe.FindSubmatch(body)
	if m == nil || r == nil {
		t.Fatalf("idp answered %d: %s", resp.StatusCode, body)
	}
	xmlResp, err := base64.StdEncoding.DecodeString(html.UnescapeString(string(m[1])))
	if err != nil {
		t.Fatal(err)
	}
	return string(xmlResp), html.UnescapeString(string(r[1]))
}

// post sends a SAML response to the ACS as the browser would, asking for
// JSON.
func (e *samlEnv) post(t *testing.T, xmlResp, relay string) (int, string, httpapi.User) {
	t.Helper()
	form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString([]byte(xmlResp))}, "RelayState": {relay}}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/auth/saml/%d/acs", e.env.URL, e.provider.ID), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		var eb httpapi.ErrorBody
		json.Unmarshal(body, &eb)
		return resp.StatusCode, eb.Error.Code, httpapi.User{}
	}
	var lr httpapi.LoginResponse
	json.Unmarshal(body, &lr)
	return resp.StatusCode, "", lr.User
}

func (e *samlEnv) userCount(t *testing.T) int {
	t.Helper()
	var list httpapi.UserList
	if _, err := e.env.Owner.Do(context.Background(), "GET", "/api/v1/users?limit=200", nil, &list); err != nil {
		t.Fatal(err)
	}
	return len(list.Users)
}

func TestSAMLLoginProvisionsUser(t *testing.T) {
	e := startSAML(t)
	before := e.userCount(t)
	xmlResp, relay := e.signIn(t)
	st, code, u := e.post(t, xmlResp, relay)
	if st != 200 || u.Email != "ada@corp.test" || u.DisplayName != "Ada Lovelace" || u.Username != "ada" || u.Role != "admin" {
		t.Fatalf("acs: %d %s %+v", st, code, u)
	}
	if n := e.userCount(t); n != before+1 {
		t.Fatalf("users %d, want %d", n, before+1)
	}
	// Again: the same user.
	xmlResp, relay = e.signIn(t)
	if st, code, u2 := e.post(t, xmlResp, relay); st != 200 || u2.ID != u.ID {
		t.Fatalf("second sign-in: %d %s %+v", st, code, u2)
	}
}

// assertionRe finds the signed assertion of crewjam's responses.
var assertionRe = regexp.MustCompile(`(?s)<saml:Assertion .*?</saml:Assertion>`)

func TestSAMLRefusesWrappingTamperingAndReplay(t *testing.T) {
	e := startSAML(t)
	before := e.userCount(t)

	// An evil copy of the signed assertion, for another person, without
	// the signature, placed before the signed one (XML signature wrapping:
	// the signature still verifies over the original, which is still there).
	evil := func(a string) string {
		a = regexp.MustCompile(`(?s)<ds:Signature.*?</ds:Signature>`).ReplaceAllString(a, "")
		a = strings.ReplaceAll(a, "ada@corp.test", "mallory@evil.test")
		a = strings.ReplaceAll(a, ">u-ada<", ">u-mallory<")
		return strings.Replace(a, `ID="`, `ID="evil`, 1)
	}
	cases := []struct {
		name   string
		tamper func(xmlResp string) string
		code   string
	}{
		{"wrapping: forged assertion before the signed one", func(x string) string {
			a := assertionRe.FindString(x)
			return strings.Replace(x, a, evil(a)+a, 1)
		}, "sso_assertion_invalid"},
		{"wrapping: signed assertion hidden in an extension", func(x string) string {
			a := assertionRe.FindString(x)
			return strings.Replace(x, a, `<samlp:Extensions>`+a+`</samlp:Extensions>`+evil(a), 1)
		}, "sso_assertion_invalid"},
		{"signed assertion edited", func(x string) string {
			return strings.Replace(x, "ada@corp.test", "mallory@evil.test", -1)
		}, "sso_assertion_invalid"},
		{"signature removed", func(x string) string {
			return regexp.MustCompile(`(?s)<ds:Signature.*?</ds:Signature>`).ReplaceAllString(x, "")
		}, "sso_assertion_invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			xmlResp, relay := e.signIn(t)
			if !assertionRe.MatchString(xmlResp) {
				t.Fatalf("no assertion in %s", xmlResp)
			}
			st, code, u := e.post(t, c.tamper(xmlResp), relay)
			if st != 401 || code != c.code {
				t.Fatalf("got %d %q (%+v), want 401 %q", st, code, u, c.code)
			}
			if n := e.userCount(t); n != before {
				t.Fatalf("a refused response created a user")
			}
		})
	}

	t.Run("replayed response", func(t *testing.T) {
		xmlResp, relay := e.signIn(t)
		if st, code, _ := e.post(t, xmlResp, relay); st != 200 {
			t.Fatalf("first: %d %s", st, code)
		}
		n := e.userCount(t)
		// The same POST again: the RelayState was used.
		if st, code, _ := e.post(t, xmlResp, relay); st != 401 || code != "sso_state_mismatch" {
			t.Fatalf("replay: %d %s", st, code)
		}
		// With the RelayState of a fresh login: the response answers
		// another request (InResponseTo).
		_, relay2 := e.signIn(t)
		if st, code, _ := e.post(t, xmlResp, relay2); st != 401 || code != "sso_assertion_invalid" {
			t.Fatalf("replay with a fresh relay state: %d %s", st, code)
		}
		if e.userCount(t) != n {
			t.Fatal("a replay created a user")
		}
	})
}
