package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
)

// maxResponseBytes caps every response read from an identity provider.
const maxResponseBytes = 1 << 20

// limitedTransport cuts provider responses at maxResponseBytes, so that a
// hostile or broken provider cannot make us buffer without bound.
type limitedTransport struct{ rt http.RoundTripper }

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{ReadCloser: resp.Body, left: maxResponseBytes}
	return resp, nil
}

type limitedBody struct {
	io.ReadCloser
	left int64
}

var errResponseTooLarge = errors.New("identity provider response too large")

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errResponseTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

func (s *Service) providerContext(ctx context.Context) context.Context {
	c := *s.client
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = limitedTransport{rt: base}
	ctx = oidc.ClientContext(ctx, &c)
	return context.WithValue(ctx, oauth2.HTTPClient, &c)
}

// oidcProvider loads an enabled OIDC provider and its discovery document.
func (s *Service) oidcProvider(ctx context.Context, op string, id int64) (Provider, *oidc.Provider, error) {
	p, err := s.store.Provider(ctx, id)
	if err != nil {
		return Provider{}, nil, errs.E(op, errs.Other, "", err)
	}
	if !p.Enabled || p.Kind != KindOIDC {
		return Provider{}, nil, errs.New(op, errs.NotFound, "sso_provider_not_found")
	}
	disc, err := oidc.NewProvider(s.providerContext(ctx), p.Settings.OIDC.Issuer)
	if err != nil {
		s.log.Warn("oidc discovery failed", "provider", p.ID, "issuer", p.Settings.OIDC.Issuer, "err", err)
		return Provider{}, nil, errs.E(op, errs.Unavailable, "sso_provider_unreachable", err)
	}
	return p, disc, nil
}

func oauthConfig(p Provider, disc *oidc.Provider, redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.Settings.OIDC.ClientID, ClientSecret: p.Secret, Endpoint: disc.Endpoint(),
		RedirectURL: redirectURI, Scopes: append([]string{oidc.ScopeOpenID}, p.Settings.OIDC.Scopes...)}
}

// BeginOIDC starts an authorization-code login with PKCE: it remembers
// the state, nonce and code verifier and returns the provider's
// authorization URL and the state, which the caller also binds to the
// browser (a cookie) so that a callback from another browser is refused.
// NotFound for unknown or disabled providers; Unavailable when the
// provider's discovery document cannot be fetched.
func (s *Service) BeginOIDC(ctx context.Context, providerID int64, redirectURI string) (authURL, state string, err error) {
	const op = "sso.BeginOIDC"
	p, disc, err := s.oidcProvider(ctx, op, providerID)
	if err != nil {
		return "", "", err
	}
	state, nonce, verifier := randomString(24), randomString(24), oauth2.GenerateVerifier()
	now := s.now()
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteExpiredLogins(ctx, now); err != nil {
			return err
		}
		return tx.InsertPendingLogin(ctx, PendingLogin{StateHash: hashString(state), Org: p.Org, Provider: p.ID,
			Nonce: nonce, Verifier: verifier, ExpiresAt: now.Add(loginLifetime)})
	})
	if err != nil {
		return "", "", errs.E(op, errs.Other, "", err)
	}
	u := oauthConfig(p, disc, redirectURI).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
	return u, state, nil
}

// Callback is the provider's redirect back to us.
type Callback struct {
	Provider    int64
	State       string // the state query parameter
	BoundState  string // the state remembered by the browser (cookie)
	Code        string
	Error       string // the provider's error parameter, if it refused
	RedirectURI string // as given to BeginOIDC
}

// FinishOIDC completes a login: it checks the state against the browser's
// and the pending login (each usable once), exchanges the code with the
// PKCE verifier, verifies the ID token (signature, issuer, audience,
// expiry, nonce) and returns the user, provisioning them on first login.
// Every refusal is Unauthenticated with a code saying why, except an
// oversized token (TooLarge "sso_token_too_large") and an unreachable
// provider (Unavailable); nothing is created on a refusal.
func (s *Service) FinishOIDC(ctx context.Context, cb Callback) (_ account.User, err error) {
	const op = "sso.FinishOIDC"
	var pending PendingLogin
	defer func() {
		if err != nil {
			s.auditFailure(ctx, Provider{ID: cb.Provider, Org: pending.Org}, "oidc", err, "")
		}
	}()
	if cb.Error != "" {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_denied")
	}
	if cb.State == "" || cb.Code == "" || len(cb.State) > maxParamLen || len(cb.Code) > maxParamLen {
		return account.User{}, errs.New(op, errs.Invalid, "sso_callback_invalid")
	}
	if subtle.ConstantTimeCompare([]byte(cb.State), []byte(cb.BoundState)) != 1 {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_state_mismatch")
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		pending, err = tx.TakePendingLogin(ctx, hashString(cb.State))
		return err
	})
	if errs.Is(err, errs.NotFound) || (err == nil && (pending.Provider != cb.Provider || !s.now().Before(pending.ExpiresAt))) {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_state_mismatch")
	}
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	p, disc, err := s.oidcProvider(ctx, op, cb.Provider)
	if err != nil {
		return account.User{}, err
	}
	pctx := s.providerContext(ctx)
	conf := oauthConfig(p, disc, cb.RedirectURI)
	tok, err := conf.Exchange(pctx, cb.Code, oauth2.VerifierOption(pending.Verifier))
	if err != nil {
		s.log.Info("oidc code exchange failed", "provider", p.ID, "err", err)
		if errors.Is(err, errResponseTooLarge) {
			return account.User{}, errs.E(op, errs.TooLarge, "sso_token_too_large", err)
		}
		return account.User{}, errs.E(op, errs.Unauthenticated, "sso_exchange_failed", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_token_invalid")
	}
	if len(raw) > MaxIDTokenBytes {
		return account.User{}, errs.New(op, errs.TooLarge, "sso_token_too_large").With("max", MaxIDTokenBytes)
	}
	idt, err := disc.Verifier(&oidc.Config{ClientID: p.Settings.OIDC.ClientID, Now: s.now}).Verify(pctx, raw)
	if err != nil {
		s.log.Info("oidc id token refused", "provider", p.ID, "err", err)
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return account.User{}, errs.E(op, errs.Unauthenticated, "sso_token_expired", err)
		}
		return account.User{}, errs.E(op, errs.Unauthenticated, "sso_token_invalid", err)
	}
	// go-oidc checks that we are among the audiences; OIDC Core 3.1.3.7
	// also says to reject a token carrying audiences we do not trust (a
	// token minted for another app as well), and we trust none but us.
	if len(idt.Audience) != 1 {
		s.log.Info("oidc id token refused", "provider", p.ID, "audience", idt.Audience)
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_token_invalid")
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pending.Nonce)) != 1 {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_nonce_mismatch")
	}
	id, err := s.oidcIdentity(pctx, p, disc, tok, idt)
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	return s.provision(ctx, op, p, id)
}

// oidcIdentity reads the claims from the ID token, and from the userinfo
// endpoint when the token carries no e-mail (many providers put only the
// subject in the ID token).
func (s *Service) oidcIdentity(ctx context.Context, p Provider, disc *oidc.Provider, tok *oauth2.Token, idt *oidc.IDToken) (Identity, error) {
	const op = "sso.oidcIdentity"
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, errs.E(op, errs.Unauthenticated, "sso_token_invalid", err)
	}
	if _, ok := claims["email"]; !ok && disc.UserInfoEndpoint() != "" {
		ui, err := disc.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return Identity{}, errs.E(op, errs.Unauthenticated, "sso_userinfo_failed", err)
		}
		if ui.Subject != idt.Subject {
			return Identity{}, errs.New(op, errs.Unauthenticated, "sso_userinfo_failed")
		}
		extra := map[string]any{}
		if err := ui.Claims(&extra); err != nil {
			return Identity{}, errs.E(op, errs.Unauthenticated, "sso_userinfo_failed", err)
		}
		for k, v := range extra {
			if _, ok := claims[k]; !ok {
				claims[k] = v
			}
		}
	}
	str := func(k string) string { v, _ := claims[k].(string); return v }
	id := Identity{Subject: idt.Subject, Email: str("email"), Username: str("preferred_username"), Name: str("name")}
	switch v := claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = v
	case string:
		id.EmailVerified = v == "true"
	}
	if groups, ok := claims[p.Settings.OIDC.GroupsClaim].([]any); ok {
		for _, g := range groups {
			if gs, ok := g.(string); ok && len(id.Groups) < 1000 {
				id.Groups = append(id.Groups, gs)
			}
		}
	}
	return id, nil
}

// TestOIDC checks that the provider's discovery document can be fetched
// and names the issuer configured; it returns the authorization endpoint.
func (s *Service) TestOIDC(ctx context.Context, p Provider) (string, error) {
	disc, err := oidc.NewProvider(s.providerContext(ctx), p.Settings.OIDC.Issuer)
	if err != nil {
		return "", errs.E("sso.TestOIDC", errs.Unavailable, "sso_provider_unreachable", fmt.Errorf("discovery: %w", err))
	}
	return disc.Endpoint().AuthURL, nil
}
