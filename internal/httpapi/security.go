package httpapi

import (
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
)

// Account security: the password policy, password change, TOTP two-factor
// login, the session list and personal access tokens.

// TwoFactorChallenge answers a login whose second factor is awaited (202).
type TwoFactorChallenge struct {
	TwoFactorRequired bool      `json:"two_factor_required"`
	Challenge         string    `json:"challenge"`
	ExpiresAt         Timestamp `json:"expires_at"`
}

type secondFactorRequest struct {
	Challenge    string `json:"challenge"`
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// challengeCookie carries the challenge of an SSO sign-in's second step
// from the browser redirect to POST /auth/login/2fa (ADR 0018): HttpOnly,
// SameSite=Strict and scoped to that one path, so neither scripts, other
// sites nor other routes ever see it.
const challengeCookie = "parley_2fa"

func (a *API) setChallengeCookie(w http.ResponseWriter, tok string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: challengeCookie, Value: tok, Path: "/api/v1/auth/login/2fa", MaxAge: maxAge,
		HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (a *API) loginSecondFactor(w http.ResponseWriter, r *http.Request) error {
	var req secondFactorRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	fromCookie := false
	if req.Challenge == "" {
		if ck, err := r.Cookie(challengeCookie); err == nil {
			req.Challenge, fromCookie = ck.Value, true
		}
	}
	res, err := a.Auth.LoginSecondFactor(r.Context(), auth.SecondFactorInput{Challenge: req.Challenge, Code: req.Code,
		RecoveryCode: req.RecoveryCode, Address: clientAddr(r), UserAgent: r.UserAgent()})
	// A wrong code may be typed again; a finished or dead challenge goes.
	if fromCookie && (err == nil || errs.CodeOf(err) == "challenge_invalid") {
		a.setChallengeCookie(w, "", -1)
	}
	if err != nil {
		return err
	}
	a.writeLogin(w, res)
	return nil
}

// writeLogin answers a completed login: cookies for a cookie session, the
// token in the body otherwise; or the challenge of the second step.
func (a *API) writeLogin(w http.ResponseWriter, res auth.LoginResult) {
	if res.SecondFactor {
		writeJSON(w, http.StatusAccepted, TwoFactorChallenge{TwoFactorRequired: true, Challenge: res.Token,
			ExpiresAt: Timestamp(res.Session.ExpiresAt)})
		return
	}
	resp := LoginResponse{User: wireUser(res.User), TwoFactorEnrolmentRequired: res.MustEnrol}
	if res.Session.Kind == auth.KindCookie {
		a.setSessionCookies(w, res.Token, res.Session)
	} else {
		resp.Token = res.Token
	}
	writeJSON(w, http.StatusOK, resp)
}

// SecurityPolicy is an organisation's password and 2FA policy.
type SecurityPolicy struct {
	PasswordMinLength  int  `json:"password_min_length"`
	PasswordMinClasses int  `json:"password_min_classes"`
	Require2FA         bool `json:"require_2fa"`
	// SSORequire2FA: SSO and LDAP sign-ins also pass Parley's second step
	// (and Require2FA's enrolment); false: the identity provider owns it.
	SSORequire2FA bool `json:"sso_require_2fa"`
}

type securityPolicyPatch struct {
	PasswordMinLength  *int  `json:"password_min_length"`
	PasswordMinClasses *int  `json:"password_min_classes"`
	Require2FA         *bool `json:"require_2fa"`
	SSORequire2FA      *bool `json:"sso_require_2fa"`
}

func wirePolicy(p auth.Policy) SecurityPolicy {
	return SecurityPolicy{PasswordMinLength: p.MinLength, PasswordMinClasses: p.MinClasses, Require2FA: p.Require2FA,
		SSORequire2FA: p.SSORequire2FA}
}

func (a *API) getSecurityPolicy(w http.ResponseWriter, r *http.Request, c call) error {
	p, err := a.Auth.Policy(r.Context(), c.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wirePolicy(p))
	return nil
}

func (a *API) patchSecurityPolicy(w http.ResponseWriter, r *http.Request, c call) error {
	var req securityPolicyPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	p, err := a.Auth.UpdatePolicy(r.Context(), c.actor, auth.PolicyPatch{MinLength: req.PasswordMinLength,
		MinClasses: req.PasswordMinClasses, Require2FA: req.Require2FA, SSORequire2FA: req.SSORequire2FA})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wirePolicy(p))
	return nil
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *API) changePassword(w http.ResponseWriter, r *http.Request, c call) error {
	var req passwordChange
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := a.Auth.ChangePassword(r.Context(), c.actor, c.session, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TwoFactorStatus is the caller's second factor.
type TwoFactorStatus struct {
	Enabled           bool `json:"enabled"`
	RecoveryCodesLeft int  `json:"recovery_codes_left"`
	Required          bool `json:"required"`
	// EnrolmentRequired: this session may do nothing but set 2FA up
	// (Required does not imply it: SSO sign-ins are exempt by default).
	EnrolmentRequired bool `json:"enrolment_required"`
}

func (a *API) getTwoFactor(w http.ResponseWriter, r *http.Request, c call) error {
	st, err := a.Auth.TwoFactor(r.Context(), c.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TwoFactorStatus{Enabled: st.Enabled, RecoveryCodesLeft: st.RecoveryCodesLeft, Required: st.Required,
		EnrolmentRequired: c.session.Pending == auth.PendingEnrol})
	return nil
}

// TwoFactorSetup is a new TOTP secret to add to an authenticator app.
type TwoFactorSetup struct {
	Secret     string `json:"secret"`
	OtpauthURI string `json:"otpauth_uri"`
}

func (a *API) setupTwoFactor(w http.ResponseWriter, r *http.Request, c call) error {
	if err := decode(r, &struct{}{}); err != nil {
		return err
	}
	e, err := a.Auth.BeginTwoFactor(r.Context(), c.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TwoFactorSetup{Secret: e.Secret, OtpauthURI: e.URI})
	return nil
}

// RecoveryCodes are shown once.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

type codeRequest struct {
	Code string `json:"code"`
}

func (a *API) enableTwoFactor(w http.ResponseWriter, r *http.Request, c call) error {
	var req codeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	codes, err := a.Auth.EnableTwoFactor(r.Context(), c.actor, c.session, req.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RecoveryCodes{RecoveryCodes: codes})
	return nil
}

type passwordConfirm struct {
	Password string `json:"password"`
}

func (a *API) disableTwoFactor(w http.ResponseWriter, r *http.Request, c call) error {
	var req passwordConfirm
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := a.Auth.DisableTwoFactor(r.Context(), c.actor, c.session, req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) newRecoveryCodes(w http.ResponseWriter, r *http.Request, c call) error {
	var req passwordConfirm
	if err := decode(r, &req); err != nil {
		return err
	}
	codes, err := a.Auth.NewRecoveryCodes(r.Context(), c.actor, c.session, req.Password)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RecoveryCodes{RecoveryCodes: codes})
	return nil
}

func (a *API) resetTwoFactor(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Auth.ResetTwoFactor(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// SessionInfo is one of the caller's logins.
type SessionInfo struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	UserAgent  string    `json:"user_agent"`
	Address    string    `json:"address"`
	CreatedAt  Timestamp `json:"created_at"`
	LastUsedAt Time      `json:"last_used_at"`
	ExpiresAt  Timestamp `json:"expires_at"`
	Current    bool      `json:"current"`
}

// SessionList lists the caller's logins, newest first.
type SessionList struct {
	Sessions []SessionInfo `json:"sessions"`
}

func (a *API) listSessions(w http.ResponseWriter, r *http.Request, c call) error {
	ss, err := a.Auth.Sessions(r.Context(), c.actor)
	if err != nil {
		return err
	}
	resp := SessionList{Sessions: make([]SessionInfo, len(ss))}
	for i, s := range ss {
		resp.Sessions[i] = SessionInfo{ID: s.ID, Kind: s.Kind, UserAgent: s.UserAgent, Address: s.Address,
			CreatedAt: Timestamp(s.CreatedAt), LastUsedAt: Time(s.LastUsedAt), ExpiresAt: Timestamp(s.ExpiresAt),
			Current: s.ID == c.session.ID}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) revokeSession(w http.ResponseWriter, r *http.Request, c call) error {
	return a.revoke(w, r, c, false)
}

func (a *API) revokeToken(w http.ResponseWriter, r *http.Request, c call) error {
	return a.revoke(w, r, c, true)
}

func (a *API) revoke(w http.ResponseWriter, r *http.Request, c call, pat bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Auth.RevokeSession(r.Context(), c.actor, id, pat); err != nil {
		return err
	}
	if !pat && id == c.session.ID {
		a.clearSessionCookies(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// TokenInfo is a personal access token, without its secret.
type TokenInfo struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Scope      string    `json:"scope"`
	CreatedAt  Timestamp `json:"created_at"`
	ExpiresAt  Timestamp `json:"expires_at"`
	LastUsedAt Time      `json:"last_used_at"`
	Expired    bool      `json:"expired"`
}

// TokenList lists the caller's personal access tokens, newest first.
type TokenList struct {
	Tokens []TokenInfo `json:"tokens"`
}

// NewTokenResponse carries a new token's secret, shown only this once.
type NewTokenResponse struct {
	Token string    `json:"token"`
	Info  TokenInfo `json:"info"`
}

type newTokenRequest struct {
	Name          string `json:"name"`
	Scope         string `json:"scope"`
	ExpiresInDays int    `json:"expires_in_days"`
}

func wireToken(s auth.Session, now time.Time) TokenInfo {
	return TokenInfo{ID: s.ID, Name: s.Name, Scope: s.Scope, CreatedAt: Timestamp(s.CreatedAt), ExpiresAt: Timestamp(s.ExpiresAt),
		LastUsedAt: Time(s.LastUsedAt), Expired: !now.Before(s.ExpiresAt)}
}

func (a *API) listTokens(w http.ResponseWriter, r *http.Request, c call) error {
	ts, err := a.Auth.Tokens(r.Context(), c.actor)
	if err != nil {
		return err
	}
	now := time.Now()
	resp := TokenList{Tokens: make([]TokenInfo, len(ts))}
	for i, t := range ts {
		resp.Tokens[i] = wireToken(t, now)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) createToken(w http.ResponseWriter, r *http.Request, c call) error {
	var req newTokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	days := time.Duration(-1)
	if req.ExpiresInDays > 0 && req.ExpiresInDays <= 366 {
		days = time.Duration(req.ExpiresInDays) * 24 * time.Hour
	}
	tok, s, err := a.Auth.CreateToken(r.Context(), c.actor, auth.NewToken{Name: req.Name, Scope: req.Scope, ExpiresIn: days})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, NewTokenResponse{Token: tok, Info: wireToken(s, time.Now())})
	return nil
}
