package sso

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/crewjam/saml"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
)

// SAMLSettings configure a SAML 2.0 identity provider.
type SAMLSettings struct {
	// IDPMetadata is the identity provider's metadata XML (its entity id,
	// single sign-on URL and signing certificates).
	IDPMetadata string
	// EmailAttr, NameAttr and GroupsAttr name the assertion attributes
	// (by Name or FriendlyName); empty tries the usual names.
	EmailAttr  string
	NameAttr   string
	GroupsAttr string
}

// Limits on SAML input.
const (
	maxSAMLResponse = 256 << 10 // base64 SAMLResponse form value
	maxMetadata     = 512 << 10
)

func parseIDPMetadata(op, raw string) (*saml.EntityDescriptor, error) {
	if raw == "" || len(raw) > maxMetadata {
		return nil, errs.New(op, errs.Invalid, "sso_saml_metadata_invalid")
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal([]byte(raw), &ed); err != nil || ed.EntityID == "" || len(ed.IDPSSODescriptors) == 0 {
		return nil, errs.New(op, errs.Invalid, "sso_saml_metadata_invalid")
	}
	return &ed, nil
}

// samlSP builds the service provider for a provider, at base (the public
// URL of this server).
func samlSP(op string, p Provider, base string) (*saml.ServiceProvider, error) {
	idp, err := parseIDPMetadata(op, p.Settings.SAML.IDPMetadata)
	if err != nil {
		return nil, err
	}
	prefix := strings.TrimRight(base, "/") + "/api/v1/auth/saml/" + strconv.FormatInt(p.ID, 10)
	md, err := url.Parse(prefix + "/metadata")
	if err != nil {
		return nil, errs.E(op, errs.Invalid, "sso_callback_invalid", err)
	}
	acs, _ := url.Parse(prefix + "/acs")
	// No key: we neither sign requests nor accept encrypted assertions, so
	// there is no private key to keep; IdP-initiated logins are refused
	// (an assertion must answer a request we made).
	return &saml.ServiceProvider{EntityID: md.String(), MetadataURL: *md, AcsURL: *acs, IDPMetadata: idp,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat, AllowIDPInitiated: false}, nil
}

func (s *Service) samlProvider(ctx context.Context, op string, id int64) (Provider, error) {
	p, err := s.store.Provider(ctx, id)
	if err != nil {
		return Provider{}, errs.E(op, errs.Other, "", err)
	}
	if !p.Enabled || p.Kind != KindSAML {
		return Provider{}, errs.New(op, errs.NotFound, "sso_provider_not_found")
	}
	return p, nil
}

// SAMLMetadata returns this service provider's metadata XML for a SAML
// provider, to be given to the identity provider.
func (s *Service) SAMLMetadata(ctx context.Context, id int64, base string) ([]byte, error) {
	const op = "sso.SAMLMetadata"
	p, err := s.samlProvider(ctx, op, id)
	if err != nil {
		return nil, err
	}
	sp, err := samlSP(op, p, base)
	if err != nil {
		return nil, err
	}
	b, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		return nil, errs.E(op, errs.Internal, "", err)
	}
	return b, nil
}

// BeginSAML starts an SP-initiated login: it remembers the request id
// under a fresh RelayState and returns the identity provider's URL
// (HTTP-Redirect binding).
func (s *Service) BeginSAML(ctx context.Context, id int64, base string) (string, error) {
	const op = "sso.BeginSAML"
	p, err := s.samlProvider(ctx, op, id)
	if err != nil {
		return "", err
	}
	sp, err := samlSP(op, p, base)
	if err != nil {
		return "", err
	}
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", errs.E(op, errs.Invalid, "sso_saml_metadata_invalid", err)
	}
	relay := randomString(24)
	u, err := req.Redirect(relay, sp)
	if err != nil {
		return "", errs.E(op, errs.Internal, "", err)
	}
	now := s.now()
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteExpiredLogins(ctx, now); err != nil {
			return err
		}
		return tx.InsertPendingLogin(ctx, PendingLogin{StateHash: hashString(relay), Org: p.Org, Provider: p.ID,
			Nonce: req.ID, ExpiresAt: now.Add(loginLifetime)})
	})
	if err != nil {
		return "", errs.E(op, errs.Other, "", err)
	}
	return u.String(), nil
}

// SAMLPost is the identity provider's POST to the assertion consumer
// service.
type SAMLPost struct {
	Provider     int64
	SAMLResponse string // base64
	RelayState   string
	Base         string // public URL of this server
}

// FinishSAML checks a SAML response: it must answer a pending request of
// ours (RelayState, used once, and InResponseTo), carry a valid signature
// from the identity provider over the assertion it is read from (which is
// what defeats signature wrapping), be addressed to us and current, and
// its assertion id must not have been accepted before (replay). Then the
// user is provisioned as for OIDC. Refusals are Unauthenticated
// ("sso_state_mismatch", "sso_assertion_invalid", "sso_assertion_replayed")
// and create nothing.
func (s *Service) FinishSAML(ctx context.Context, in SAMLPost) (_ account.User, err error) {
	const op = "sso.FinishSAML"
	var pending PendingLogin
	defer func() {
		if err != nil {
			s.auditFailure(ctx, Provider{ID: in.Provider, Org: pending.Org}, "saml", err, "")
		}
	}()
	if in.SAMLResponse == "" || len(in.SAMLResponse) > maxSAMLResponse || in.RelayState == "" || len(in.RelayState) > maxParamLen {
		return account.User{}, errs.New(op, errs.Invalid, "sso_callback_invalid")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		pending, err = tx.TakePendingLogin(ctx, hashString(in.RelayState))
		return err
	})
	if errs.Is(err, errs.NotFound) || (err == nil && (pending.Provider != in.Provider || !s.now().Before(pending.ExpiresAt))) {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_state_mismatch")
	}
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	p, err := s.samlProvider(ctx, op, in.Provider)
	if err != nil {
		return account.User{}, err
	}
	sp, err := samlSP(op, p, in.Base)
	if err != nil {
		return account.User{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(in.SAMLResponse)
	if err != nil {
		return account.User{}, errs.E(op, errs.Invalid, "sso_callback_invalid", err)
	}
	as, err := sp.ParseXMLResponse(raw, []string{pending.Nonce}, sp.AcsURL)
	if err != nil {
		var ie *saml.InvalidResponseError
		if errors.As(err, &ie) {
			s.log.Info("saml response refused", "provider", p.ID, "err", ie.PrivateErr)
		}
		return account.User{}, errs.E(op, errs.Unauthenticated, "sso_assertion_invalid", err)
	}
	id := samlIdentity(p.Settings.SAML, as)
	expires := s.now().Add(time.Hour)
	if as.Conditions != nil && as.Conditions.NotOnOrAfter.After(s.now()) {
		expires = as.Conditions.NotOnOrAfter.Add(saml.MaxClockSkew)
	}
	var u account.User
	err = s.store.Update(ctx, func(tx Tx) error {
		// The assertion id is remembered until the assertion would have
		// expired anyway: a second use is a replay.
		if err := tx.InsertAssertion(ctx, p.ID, as.ID, expires, s.now()); err != nil {
			if errs.Is(err, errs.Conflict) {
				return errs.New(op, errs.Unauthenticated, "sso_assertion_replayed")
			}
			return err
		}
		var err error
		if u, _, err = s.provisionTx(ctx, tx, op, p, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, signedIn(u, p))
	})
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	if err := s.mapDepartments(ctx, p, u, id); err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

// samlIdentity reads the subject and attributes of an assertion.
func samlIdentity(set SAMLSettings, as *saml.Assertion) Identity {
	var id Identity
	if as.Subject != nil && as.Subject.NameID != nil {
		id.Subject = as.Subject.NameID.Value
	}
	values := func(names ...string) []string {
		for _, st := range as.AttributeStatements {
			for _, a := range st.Attributes {
				for _, n := range names {
					if n != "" && (strings.EqualFold(a.Name, n) || strings.EqualFold(a.FriendlyName, n)) {
						var out []string
						for _, v := range a.Values {
							out = append(out, v.Value)
						}
						return out
					}
				}
			}
		}
		return nil
	}
	first := func(names ...string) string {
		if v := values(names...); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	id.Email = first(set.EmailAttr, "email", "mail", "urn:oid:0.9.2342.19200300.100.1.3",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress")
	if id.Email == "" && strings.Contains(id.Subject, "@") {
		id.Email = id.Subject
	}
	// A signed assertion from the organisation's own IdP vouches for the
	// address it carries.
	id.EmailVerified = id.Email != ""
	id.Name = first(set.NameAttr, "displayName", "cn", "urn:oid:2.5.4.3", "http://schemas.microsoft.com/identity/claims/displayname")
	id.Username = first("uid", "urn:oid:0.9.2342.19200300.100.1.1")
	id.Groups = values(set.GroupsAttr, "groups", "memberOf", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups")
	if len(id.Groups) > 1000 {
		id.Groups = id.Groups[:1000]
	}
	return id
}
