package httpapi

import (
	"net/http"
	"strings"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/errs"
)

func (a *API) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (a *API) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := a.Ready(r.Context()); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
	return nil
}

type setupStatus struct {
	Needed bool `json:"needed"`
}

func (a *API) setupStatus(w http.ResponseWriter, r *http.Request) error {
	needed, err := a.Accounts.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, setupStatus{Needed: needed})
	return nil
}

type setupRequest struct {
	SetupToken  string `json:"setup_token"`
	OrgName     string `json:"org_name"`
	Email       string `json:"email"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Locale      string `json:"locale"`
	Cookie      *bool  `json:"cookie"`
}

// LoginResponse answers a login or setup.
type LoginResponse struct {
	Token string `json:"token"`
	User  User   `json:"user"`
	// TwoFactorEnrolmentRequired: the organisation requires 2FA and the
	// user has none; the session may only set it up.
	TwoFactorEnrolmentRequired bool `json:"two_factor_enrolment_required"`
}

func (a *API) setup(w http.ResponseWriter, r *http.Request) error {
	var req setupRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	needed, err := a.Accounts.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	if !needed {
		return errs.New("httpapi.setup", errs.Conflict, "already_set_up")
	}
	if !a.Auth.ConsumeSetupToken(req.SetupToken) {
		return errs.New("httpapi.setup", errs.Permission, "setup_token_invalid")
	}
	if req.Locale == "" {
		req.Locale = lang(r)
	}
	_, owner, err := a.Accounts.Bootstrap(r.Context(), account.BootstrapInput{OrgName: req.OrgName, Email: req.Email,
		Username: req.Username, DisplayName: req.DisplayName, Password: req.Password, Locale: req.Locale})
	if err != nil {
		a.Auth.RestoreSetupToken(req.SetupToken)
		return err
	}
	cookie := req.Cookie == nil || *req.Cookie
	kind := auth.KindToken
	if cookie {
		kind = auth.KindCookie
	}
	tok, sess, err := a.Auth.SessionFor(r.Context(), owner, kind, clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	resp := LoginResponse{User: wireUser(owner)}
	if cookie {
		a.setSessionCookies(w, tok, sess)
	} else {
		resp.Token = tok
	}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Cookie   bool   `json:"cookie"`
}

func (a *API) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	kind := auth.KindToken
	if req.Cookie {
		kind = auth.KindCookie
	}
	res, err := a.Auth.Login(r.Context(), auth.LoginInput{Login: req.Login, Password: req.Password,
		Kind: kind, Address: clientAddr(r), UserAgent: r.UserAgent()})
	if err != nil {
		return err
	}
	a.writeLogin(w, res)
	return nil
}

func (a *API) logout(w http.ResponseWriter, r *http.Request, c call) error {
	if err := a.Auth.Logout(r.Context(), c.session); err != nil {
		return err
	}
	a.clearSessionCookies(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) stream(w http.ResponseWriter, r *http.Request, c call) error {
	if c.session.Kind == auth.KindCookie && !sameOrigin(r) {
		return errs.New("httpapi.stream", errs.Permission, "origin_not_allowed")
	}
	// Refuse plain HTTP here, before the hub hijacks the connection, so the
	// client gets a normal error on a connection it may keep using.
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return errs.New("httpapi.stream", errs.Invalid, "websocket_required")
	}
	if _, err := queryInt(r, "since", "cursor_invalid"); err != nil {
		return err
	}
	a.Stream.ServeStream(w, r, realtimePrincipal(c.actor, c.session.ID))
	return nil
}
