package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/sso"
)

// SSOProvider is an identity provider as administrators see it. The secret
// (OIDC client secret, LDAP bind password) is never returned: has_secret
// tells whether one is set.
type SSOProvider struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Name        string     `json:"name"`
	Enabled     bool       `json:"enabled"`
	HasSecret   bool       `json:"has_secret"`
	OIDC        *SSOOIDC   `json:"oidc,omitempty"`
	LDAP        *SSOLDAP   `json:"ldap,omitempty"`
	SAML        *SSOSAML   `json:"saml,omitempty"`
	Mapping     SSOMapping `json:"mapping"`
	RedirectURI string     `json:"redirect_uri,omitempty"`
	SyncedAt    Time       `json:"synced_at"`
	CreatedAt   Timestamp  `json:"created_at"`
	UpdatedAt   Timestamp  `json:"updated_at"`
}

// SSOOIDC are the settings of an OpenID Connect provider.
type SSOOIDC struct {
	Issuer      string   `json:"issuer"`
	ClientID    string   `json:"client_id"`
	Scopes      []string `json:"scopes"`
	GroupsClaim string   `json:"groups_claim"`
}

// SSOLDAP are the settings of an LDAP or Active Directory server.
type SSOLDAP struct {
	URL                 string `json:"url"`
	StartTLS            bool   `json:"start_tls"`
	BindDN              string `json:"bind_dn"`
	BaseDN              string `json:"base_dn"`
	UserFilter          string `json:"user_filter"`
	LoginAttr           string `json:"login_attr"`
	EmailAttr           string `json:"email_attr"`
	NameAttr            string `json:"name_attr"`
	GroupAttr           string `json:"group_attr"`
	SyncIntervalSeconds int64  `json:"sync_interval_seconds"`
	Departments         bool   `json:"departments"`
}

// SSOSAML are the settings of a SAML 2.0 identity provider.
type SSOSAML struct {
	IDPMetadata string `json:"idp_metadata"`
	EmailAttr   string `json:"email_attr"`
	NameAttr    string `json:"name_attr"`
	GroupsAttr  string `json:"groups_attr"`
	MetadataURL string `json:"metadata_url,omitempty"`
}

// SSOMapping maps IdP groups and LDAP units to roles and departments.
type SSOMapping struct {
	DefaultRole string              `json:"default_role"`
	Rules       []SSOMapRule        `json:"rules"`
	Departments []SSODepartmentRule `json:"departments"`
}

// SSODepartmentRule puts the members of one group into one department.
type SSODepartmentRule struct {
	Group        string `json:"group"`
	DepartmentID int64  `json:"department_id"`
}

// SSOMapRule maps one group to a role.
type SSOMapRule struct {
	Group string `json:"group"`
	Role  string `json:"role"`
}

// SSOProviderList lists providers.
type SSOProviderList struct {
	Providers []SSOProvider `json:"providers"`
}

// SSOOption is a provider on the login page.
type SSOOption struct {
	ID       int64  `json:"id"`
	OrgID    int64  `json:"org_id"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	StartURL string `json:"start_url,omitempty"`
}

// SSOOptionList lists the login page's providers.
type SSOOptionList struct {
	Providers []SSOOption `json:"providers"`
}

// SSOTestResult is what a connection test found: ok false with the reason
// when the provider could not be reached with its settings.
type SSOTestResult struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// SSOSyncResult counts what a directory sync changed.
type SSOSyncResult struct {
	Seen        int `json:"seen"`
	Created     int `json:"created"`
	Updated     int `json:"updated"`
	Deactivated int `json:"deactivated"`
	Skipped     int `json:"skipped"`
	Departments int `json:"departments"`
}

type ssoProviderRequest struct {
	Kind    string      `json:"kind"`
	Name    *string     `json:"name"`
	Enabled *bool       `json:"enabled"`
	Secret  *string     `json:"secret"`
	OIDC    *SSOOIDC    `json:"oidc"`
	LDAP    *SSOLDAP    `json:"ldap"`
	SAML    *SSOSAML    `json:"saml"`
	Mapping *SSOMapping `json:"mapping"`
}

type ldapLoginRequest struct {
	ProviderID int64  `json:"provider_id"`
	Login      string `json:"login"`
	Password   string `json:"password"`
	Cookie     bool   `json:"cookie"`
}

const ssoStateCookie = "parley_sso_state"

// baseURL is the public URL of this server: the configured one, else the
// scheme and host the request came to.
func (a *API) baseURL(r *http.Request) string {
	if a.PublicURL != "" {
		return strings.TrimRight(a.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (a *API) ssoCallbackURL(r *http.Request, id int64) string {
	return a.baseURL(r) + "/api/v1/auth/sso/" + strconv.FormatInt(id, 10) + "/callback"
}

func (a *API) wireProvider(r *http.Request, p sso.Provider) SSOProvider {
	w := SSOProvider{ID: p.ID, Kind: string(p.Kind), Name: p.Name, Enabled: p.Enabled, HasSecret: p.Secret != "",
		CreatedAt: Timestamp(p.CreatedAt), UpdatedAt: Timestamp(p.UpdatedAt), SyncedAt: Time(p.SyncedAt),
		Mapping: SSOMapping{DefaultRole: string(p.Settings.Mapping.DefaultRole), Rules: []SSOMapRule{},
			Departments: []SSODepartmentRule{}}}
	for _, rule := range p.Settings.Mapping.Rules {
		w.Mapping.Rules = append(w.Mapping.Rules, SSOMapRule{Group: rule.Group, Role: string(rule.Role)})
	}
	for _, rule := range p.Settings.Mapping.Departments {
		w.Mapping.Departments = append(w.Mapping.Departments, SSODepartmentRule{Group: rule.Group, DepartmentID: rule.Department})
	}
	switch p.Kind {
	case sso.KindOIDC:
		o := p.Settings.OIDC
		w.OIDC = &SSOOIDC{Issuer: o.Issuer, ClientID: o.ClientID, Scopes: append([]string{}, o.Scopes...), GroupsClaim: o.GroupsClaim}
		w.RedirectURI = a.ssoCallbackURL(r, p.ID)
	case sso.KindSAML:
		sm := p.Settings.SAML
		prefix := a.baseURL(r) + "/api/v1/auth/saml/" + strconv.FormatInt(p.ID, 10)
		w.SAML = &SSOSAML{IDPMetadata: sm.IDPMetadata, EmailAttr: sm.EmailAttr, NameAttr: sm.NameAttr,
			GroupsAttr: sm.GroupsAttr, MetadataURL: prefix + "/metadata"}
		w.RedirectURI = prefix + "/acs"
	case sso.KindLDAP:
		l := p.Settings.LDAP
		w.LDAP = &SSOLDAP{URL: l.URL, StartTLS: l.StartTLS, BindDN: l.BindDN, BaseDN: l.BaseDN, UserFilter: l.UserFilter,
			LoginAttr: l.LoginAttr, EmailAttr: l.EmailAttr, NameAttr: l.NameAttr, GroupAttr: l.GroupAttr,
			SyncIntervalSeconds: int64(l.SyncInterval / time.Second), Departments: l.Departments}
	}
	return w
}

// providerInput turns a request into a service input; settings are given
// whole (the admin page sends the full form), the secret only when changed.
func providerInput(req ssoProviderRequest, current sso.Settings, kind sso.Kind) (sso.ProviderInput, error) {
	in := sso.ProviderInput{Kind: sso.Kind(req.Kind), Name: req.Name, Enabled: req.Enabled, Secret: req.Secret}
	if req.OIDC == nil && req.LDAP == nil && req.SAML == nil && req.Mapping == nil {
		return in, nil
	}
	set := current
	if req.OIDC != nil {
		set.OIDC = sso.OIDCSettings{Issuer: req.OIDC.Issuer, ClientID: req.OIDC.ClientID, Scopes: req.OIDC.Scopes,
			GroupsClaim: req.OIDC.GroupsClaim}
	}
	if req.LDAP != nil {
		l := req.LDAP
		if l.SyncIntervalSeconds < 0 || l.SyncIntervalSeconds > 7*24*3600 {
			return in, errs.New("httpapi.providerInput", errs.Invalid, "sso_sync_interval_invalid")
		}
		set.LDAP = sso.LDAPSettings{URL: l.URL, StartTLS: l.StartTLS, BindDN: l.BindDN, BaseDN: l.BaseDN,
			UserFilter: l.UserFilter, LoginAttr: l.LoginAttr, EmailAttr: l.EmailAttr, NameAttr: l.NameAttr,
			GroupAttr: l.GroupAttr, SyncInterval: time.Duration(l.SyncIntervalSeconds) * time.Second, Departments: l.Departments}
	}
	if req.SAML != nil {
		set.SAML = sso.SAMLSettings{IDPMetadata: req.SAML.IDPMetadata, EmailAttr: req.SAML.EmailAttr,
			NameAttr: req.SAML.NameAttr, GroupsAttr: req.SAML.GroupsAttr}
	}
	if req.Mapping != nil {
		set.Mapping = sso.Mapping{DefaultRole: account.Role(req.Mapping.DefaultRole)}
		for _, r := range req.Mapping.Rules {
			set.Mapping.Rules = append(set.Mapping.Rules, sso.Rule{Group: r.Group, Role: account.Role(r.Role)})
		}
		for _, r := range req.Mapping.Departments {
			set.Mapping.Departments = append(set.Mapping.Departments, sso.DepartmentRule{Group: r.Group, Department: r.DepartmentID})
		}
	}
	in.Settings = &set
	return in, nil
}

func (a *API) listSSOProviders(w http.ResponseWriter, r *http.Request, c call) error {
	ps, err := a.SSO.Providers(r.Context(), c.actor)
	if err != nil {
		return err
	}
	out := SSOProviderList{Providers: []SSOProvider{}}
	for _, p := range ps {
		out.Providers = append(out.Providers, a.wireProvider(r, p))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createSSOProvider(w http.ResponseWriter, r *http.Request, c call) error {
	var req ssoProviderRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	in, err := providerInput(req, sso.Settings{}, sso.Kind(req.Kind))
	if err != nil {
		return err
	}
	if in.Settings == nil {
		in.Settings = &sso.Settings{}
	}
	p, err := a.SSO.CreateProvider(r.Context(), c.actor, in)
	if err != nil {
		return a.refused(r, c, err, sso.AuditProviderCreated, sso.TargetProvider, 0)
	}
	writeJSON(w, http.StatusCreated, a.wireProvider(r, p))
	return nil
}

func (a *API) getSSOProvider(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := a.SSO.Provider(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.wireProvider(r, p))
	return nil
}

func (a *API) patchSSOProvider(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req ssoProviderRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	cur, err := a.SSO.Provider(r.Context(), c.actor, id)
	if err != nil {
		return a.refused(r, c, err, sso.AuditProviderUpdated, sso.TargetProvider, id)
	}
	in, err := providerInput(req, cur.Settings, cur.Kind)
	if err != nil {
		return err
	}
	p, err := a.SSO.UpdateProvider(r.Context(), c.actor, id, in)
	if err != nil {
		return a.refused(r, c, err, sso.AuditProviderUpdated, sso.TargetProvider, id)
	}
	writeJSON(w, http.StatusOK, a.wireProvider(r, p))
	return nil
}

func (a *API) deleteSSOProvider(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.SSO.DeleteProvider(r.Context(), c.actor, id); err != nil {
		return a.refused(r, c, err, sso.AuditProviderDeleted, sso.TargetProvider, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) testSSOProvider(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.SSO.TestConnection(r.Context(), c.actor, id)
	if err != nil {
		return a.refused(r, c, err, sso.AuditProviderTested, sso.TargetProvider, id)
	}
	writeJSON(w, http.StatusOK, SSOTestResult{OK: res.OK, Detail: res.Detail})
	return nil
}

func (a *API) syncSSOProvider(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := a.SSO.Sync(r.Context(), c.actor, id)
	if err != nil {
		return a.refused(r, c, err, sso.AuditSynced, sso.TargetProvider, id)
	}
	writeJSON(w, http.StatusOK, SSOSyncResult{Seen: res.Seen, Created: res.Created, Updated: res.Updated,
		Deactivated: res.Deactivated, Skipped: res.Skipped, Departments: res.Departments})
	return nil
}

// ssoLoginOptions lists the enabled providers for the login page,
// optionally of one organisation (?org_id=).
func (a *API) ssoLoginOptions(w http.ResponseWriter, r *http.Request) error {
	org, err := queryInt(r, "org_id", "id_invalid")
	if err != nil {
		return err
	}
	opts, err := a.SSO.LoginOptions(r.Context(), org)
	if err != nil {
		return err
	}
	out := SSOOptionList{Providers: []SSOOption{}}
	for _, o := range opts {
		wo := SSOOption{ID: o.ID, OrgID: o.Org, Kind: string(o.Kind), Name: o.Name}
		switch o.Kind {
		case sso.KindOIDC:
			wo.StartURL = "/api/v1/auth/sso/" + strconv.FormatInt(o.ID, 10) + "/start"
		case sso.KindSAML:
			wo.StartURL = "/api/v1/auth/saml/" + strconv.FormatInt(o.ID, 10) + "/start"
		}
		out.Providers = append(out.Providers, wo)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ssoStart sends the browser to the identity provider, remembering the
// state in a short-lived cookie scoped to the callback path.
func (a *API) ssoStart(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	authURL, state, err := a.SSO.BeginOIDC(r.Context(), id, a.ssoCallbackURL(r, id))
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: state, Path: "/api/v1/auth/sso/", MaxAge: 600,
		HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, authURL, http.StatusFound)
	return nil
}

// ssoCallback finishes an OIDC login and starts a cookie session. Browsers
// (which ask for text/html on a navigation) are sent to the web client,
// with ?sso_error=CODE on failure; other clients get JSON.
func (a *API) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	bound := ""
	if ck, err := r.Cookie(ssoStateCookie); err == nil {
		bound = ck.Value
	}
	http.SetCookie(w, &http.Cookie{Name: ssoStateCookie, Value: "", Path: "/api/v1/auth/sso/", MaxAge: -1,
		HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
	u, err := a.SSO.FinishOIDC(r.Context(), sso.Callback{Provider: id, State: q.Get("state"), BoundState: bound,
		Code: q.Get("code"), Error: q.Get("error"), RedirectURI: a.ssoCallbackURL(r, id)})
	return a.finishSSO(w, r, u, err)
}

// finishSSO logs in after an SSO sign-in (under the organisation's 2FA
// policy for SSO) and answers: browsers (which ask for text/html on a
// navigation) are sent to the web client, with ?sso_error=CODE on failure,
// or ?sso_2fa=1 when the second step is owed (the challenge then travels in
// an HttpOnly cookie, never in a URL); other clients get JSON, with the
// challenge in a 202 body as after a password.
func (a *API) finishSSO(w http.ResponseWriter, r *http.Request, u account.User, err error) error {
	var res auth.LoginResult
	if err == nil {
		res, err = a.Auth.LoginExternal(r.Context(), u, auth.ExternalInput{Kind: auth.KindCookie, Address: clientAddr(r),
			UserAgent: r.UserAgent()})
	}
	wantsJSON := !strings.Contains(r.Header.Get("Accept"), "text/html")
	if err != nil {
		if wantsJSON {
			return err
		}
		code := errs.CodeOf(err)
		if errs.KindOf(err) == errs.Other || errs.KindOf(err) == errs.Internal {
			code = "internal"
			a.Log.Error("sso sign-in", "err", err)
		}
		http.Redirect(w, r, "/?sso_error="+code, http.StatusSeeOther)
		return nil
	}
	if wantsJSON {
		a.writeLogin(w, res)
		return nil
	}
	if res.SecondFactor {
		a.setChallengeCookie(w, res.Token, int(auth.ChallengeLifetime/time.Second))
		http.Redirect(w, r, "/?sso_2fa=1", http.StatusSeeOther)
		return nil
	}
	a.setSessionCookies(w, res.Token, res.Session)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

func (a *API) ldapLogin(w http.ResponseWriter, r *http.Request) error {
	var req ldapLoginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := a.SSO.LoginLDAP(r.Context(), req.ProviderID, req.Login, req.Password, clientAddr(r))
	if err != nil {
		return err
	}
	kind := auth.KindToken
	if req.Cookie {
		kind = auth.KindCookie
	}
	res, err := a.Auth.LoginExternal(r.Context(), u, auth.ExternalInput{Kind: kind, Address: clientAddr(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	a.writeLogin(w, res)
	return nil
}

// SCIMToken is a SCIM bearer token as administrators see it; its value is
// only in the answer that created it.
type SCIMToken struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Token      string    `json:"token,omitempty"`
	CreatedAt  Timestamp `json:"created_at"`
	LastUsedAt Time      `json:"last_used_at"`
}

// SCIMTokenList lists SCIM tokens.
type SCIMTokenList struct {
	Tokens []SCIMToken `json:"tokens"`
}

type scimTokenRequest struct {
	Name string `json:"name"`
}

func wireSCIMToken(t sso.SCIMToken) SCIMToken {
	return SCIMToken{ID: t.ID, Name: t.Name, CreatedAt: Timestamp(t.CreatedAt), LastUsedAt: Time(t.LastUsedAt)}
}

func (a *API) listSCIMTokens(w http.ResponseWriter, r *http.Request, c call) error {
	ts, err := a.SSO.SCIMTokens(r.Context(), c.actor)
	if err != nil {
		return err
	}
	out := SCIMTokenList{Tokens: []SCIMToken{}}
	for _, t := range ts {
		out.Tokens = append(out.Tokens, wireSCIMToken(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) createSCIMToken(w http.ResponseWriter, r *http.Request, c call) error {
	var req scimTokenRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, value, err := a.SSO.CreateSCIMToken(r.Context(), c.actor, req.Name)
	if err != nil {
		return a.refused(r, c, err, sso.AuditSCIMTokenCreated, sso.TargetSCIMToken, 0)
	}
	out := wireSCIMToken(t)
	out.Token = value
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (a *API) deleteSCIMToken(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.SSO.DeleteSCIMToken(r.Context(), c.actor, id); err != nil {
		return a.refused(r, c, err, sso.AuditSCIMTokenDeleted, sso.TargetSCIMToken, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) samlMetadata(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	md, err := a.SSO.SAMLMetadata(r.Context(), id, a.baseURL(r))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Write(md)
	return nil
}

func (a *API) samlStart(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.SSO.BeginSAML(r.Context(), id, a.baseURL(r))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// samlACS is the assertion consumer service: the identity provider's
// browser POST (HTTP-POST binding, form-encoded). Answers as ssoCallback.
func (a *API) samlACS(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 512<<10)
	if err := r.ParseForm(); err != nil {
		return errs.E("httpapi.samlACS", errs.Invalid, "sso_callback_invalid", err)
	}
	u, err := a.SSO.FinishSAML(r.Context(), sso.SAMLPost{Provider: id, SAMLResponse: r.PostForm.Get("SAMLResponse"),
		RelayState: r.PostForm.Get("RelayState"), Base: a.baseURL(r)})
	return a.finishSSO(w, r, u, err)
}
