// Package httpapi is the public REST API under /api/v1: the route table,
// request decoding, wire types, authentication of requests, and the one
// mapping from error kinds to HTTP statuses.
package httpapi

import (
	"context"
	_ "embed"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/file"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/search"
	"github.com/parley-chat/parley/internal/sso"
	"github.com/parley-chat/parley/internal/unfurl"
)

// Stream is the realtime hub as the API sees it.
type Stream interface {
	ServeStream(w http.ResponseWriter, r *http.Request, p realtime.Principal)
	Presence(org int64, users []int64) map[int64]string
}

// Deps are the services the API calls.
type Deps struct {
	Accounts *account.Service
	Auth     *auth.Service
	Chat     *chat.Service
	Search   *search.Service
	Audit    *audit.Service
	SSO      *sso.Service
	Files    *file.Service
	Previews *unfurl.Service
	Stream   Stream
	// Ready reports whether the store is reachable and migrated (/readyz).
	Ready func(ctx context.Context) error
	Log   *slog.Logger
	// SecureCookies marks session cookies Secure (behind HTTPS).
	SecureCookies bool
	// PublicURL is the server's external base URL (for SSO redirect URIs);
	// "" derives it from each request.
	PublicURL string
}

// API serves /api/v1 and the health endpoints.
type API struct {
	Deps
	mux *http.ServeMux
}

// New builds the API and its route table.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{Deps: d, mux: http.NewServeMux()}
	for _, rt := range a.routes() {
		a.mux.Handle(rt.Method+" "+rt.Pattern, rt.handler)
	}
	a.mux.HandleFunc("/api/", a.notFound)
	return a
}

// ServeHTTP serves the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			a.Log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", p)
			writeError(w, r, a.Log, errs.New("httpapi", errs.Internal, "internal"))
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	a.mux.ServeHTTP(&methodWriter{ResponseWriter: w, r: r, log: a.Log}, r)
}

// notFound answers paths no route serves: 405 with an Allow header when the
// path exists for other methods, else 404.
func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := a.mux.Handler(r2); pattern != "/api/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed",
			Message: message(lang(r), "method_not_allowed", errs.Invalid, nil)}})
		return
	}
	writeError(w, r, a.Log, errs.New("httpapi", errs.NotFound, "not_found"))
}

// methodWriter replaces the mux's plain-text 405 with a JSON error.
type methodWriter struct {
	http.ResponseWriter
	r       *http.Request
	log     *slog.Logger
	swallow bool
}

func (m *methodWriter) WriteHeader(st int) {
	if st == http.StatusMethodNotAllowed && m.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		m.swallow = true
		m.Header().Del("X-Content-Type-Options")
		writeJSON(m.ResponseWriter, st, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed",
			Message: message(lang(m.r), "method_not_allowed", errs.Invalid, nil)}})
		return
	}
	m.ResponseWriter.WriteHeader(st)
}

func (m *methodWriter) Write(b []byte) (int, error) {
	if m.swallow {
		return len(b), nil
	}
	return m.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (for hijacking).
func (m *methodWriter) Unwrap() http.ResponseWriter { return m.ResponseWriter }

// call is one authenticated request.
type call struct {
	actor   account.Actor
	session auth.Session
	token   string
}

type (
	publicHandler func(w http.ResponseWriter, r *http.Request) error
	authedHandler func(w http.ResponseWriter, r *http.Request, c call) error
)

// public adapts a handler that needs no authentication.
func (a *API) public(h publicHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withSource(r)
		if err := h(w, r); err != nil {
			writeError(w, r, a.Log, err)
		}
	})
}

// gate says which restricted sessions a route admits.
type gate uint8

const (
	// admitEnrol admits sessions that must set up 2FA before anything else.
	admitEnrol gate = 1 << iota
	// refuseTokens refuses personal access tokens: managing the account's
	// own security needs an interactive login.
	refuseTokens
)

// authed adapts a handler that needs an authenticated, active user. Cookie
// sessions must send the CSRF token on state-changing requests.
func (a *API) authed(h authedHandler) http.Handler { return a.guarded(h, 0) }

// accountSecurity adapts the handlers of the caller's own account security
// (password, 2FA, sessions, tokens): open to a session that must enrol in
// 2FA, closed to personal access tokens.
func (a *API) accountSecurity(h authedHandler) http.Handler {
	return a.guarded(h, admitEnrol|refuseTokens)
}

func (a *API) guarded(h authedHandler, g gate) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withSource(r)
		c, err := a.authenticate(r)
		if err == nil {
			err = admit(c.session, r.Method, g)
		}
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			writeError(w, r, a.Log, err)
		}
	})
}

const (
	sessionCookie = "parley_session"
	csrfCookie    = "parley_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// admit applies the session's restrictions: a session that must enrol in
// 2FA reaches only the routes that admit it; a read-only token only reads;
// no token manages account security.
func admit(s auth.Session, method string, g gate) error {
	const op = "httpapi.admit"
	if s.Pending == auth.PendingEnrol && g&admitEnrol == 0 {
		return errs.New(op, errs.Permission, "two_factor_enrolment_required")
	}
	if s.Kind == auth.KindPAT {
		if g&refuseTokens != 0 {
			return errs.New(op, errs.Permission, "token_not_allowed")
		}
		if s.Scope == auth.ScopeRead && method != http.MethodGet && method != http.MethodHead {
			return errs.New(op, errs.Permission, "token_scope_insufficient")
		}
	}
	return nil
}

func (a *API) authenticate(r *http.Request) (call, error) {
	const op = "httpapi.authenticate"
	tok, fromCookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return call{}, errs.New(op, errs.Unauthenticated, "unauthenticated")
		}
		tok = strings.TrimSpace(rest)
	} else if ck, err := r.Cookie(sessionCookie); err == nil {
		tok, fromCookie = ck.Value, true
	}
	if tok == "" {
		return call{}, errs.New(op, errs.Unauthenticated, "unauthenticated")
	}
	actor, sess, err := a.Auth.Authenticate(r.Context(), tok)
	if err != nil {
		return call{}, err
	}
	if fromCookie {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			if !auth.CheckCSRF(sess, r.Header.Get(csrfHeader)) {
				return call{}, errs.New(op, errs.Permission, "csrf_failed")
			}
		}
	}
	return call{actor: actor, session: sess, token: tok}, nil
}

// sameOrigin reports whether a browser request comes from our own pages:
// the Origin header, when present, must name the host the request was sent
// to. It protects the cookie-authenticated WebSocket from cross-site use.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// withSource puts the request's source (address, user agent) in its
// context, where the audit trail finds it whichever service records.
func withSource(r *http.Request) *http.Request {
	return r.WithContext(audit.WithSource(r.Context(), audit.Source{Address: clientAddr(r), UserAgent: r.UserAgent()}))
}

// clientAddr is the request's remote IP address, for rate limiting and the
// audit trail. Parley has no trusted-proxy setting yet, so X-Forwarded-For is
// ignored: behind a reverse proxy every address is the proxy's.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *API) setSessionCookies(w http.ResponseWriter, tok string, sess auth.Session) {
	exp := sess.ExpiresAt
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", Expires: exp, HttpOnly: true,
		Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: sess.CSRF, Path: "/", Expires: exp,
		Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (a *API) clearSessionCookies(w http.ResponseWriter) {
	for _, n := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
			HttpOnly: n == sessionCookie, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
	}
}

//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of this API.
func OpenAPI() []byte { return openAPI }
