// Package scim is the SCIM 2.0 server (RFC 7643, 7644) under /scim/v2: the
// transport through which an organisation's identity provider (Okta,
// Microsoft Entra ID, Feishu and the like) provisions and deprovisions its
// users. Requests carry an organisation's SCIM bearer token; the work is
// done by the sso service, and the wire format, filters and errors are
// SCIM's own.
package scim

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/sso"
)

// Schema URNs.
const (
	schemaUser     = "urn:ietf:params:scim:schemas:core:2.0:User"
	schemaList     = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaError    = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaPatch    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaSPConfig = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	schemaRT       = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema   = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	// schemaEnterprise is the enterprise User extension (RFC 7643 4.3):
	// employeeNumber and manager are kept in the directory profile.
	schemaEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

const (
	maxBody      = 1 << 20
	defaultCount = 100
	maxCount     = 200
)

// Handler serves /scim/v2.
type Handler struct {
	sso *sso.Service
	log *slog.Logger
	mux *http.ServeMux
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error

// New returns the SCIM server.
func New(s *sso.Service, log *slog.Logger) *Handler {
	h := &Handler{sso: s, log: log, mux: http.NewServeMux()}
	for _, rt := range []struct {
		pattern string
		fn      handlerFunc
	}{
		{"GET /scim/v2/ServiceProviderConfig", h.serviceProviderConfig},
		{"GET /scim/v2/ResourceTypes", h.resourceTypes},
		{"GET /scim/v2/Schemas", h.schemas},
		{"GET /scim/v2/Users", h.listUsers},
		{"POST /scim/v2/Users", h.createUser},
		{"GET /scim/v2/Users/{id}", h.getUser},
		{"PUT /scim/v2/Users/{id}", h.putUser},
		{"PATCH /scim/v2/Users/{id}", h.patchUser},
		{"DELETE /scim/v2/Users/{id}", h.deleteUser},
		{"GET /scim/v2/Groups", h.listGroups},
		{"POST /scim/v2/Groups", h.createGroup},
		{"GET /scim/v2/Groups/{id}", h.getGroup},
		{"PUT /scim/v2/Groups/{id}", h.putGroup},
		{"PATCH /scim/v2/Groups/{id}", h.patchGroup},
		{"DELETE /scim/v2/Groups/{id}", h.deleteGroup},
		{"POST /scim/v2/Bulk", h.bulk},
	} {
		h.mux.Handle(rt.pattern, h.authed(rt.fn))
	}
	h.mux.HandleFunc("/scim/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "", "no such SCIM endpoint")
	})
	return h
}

// Routes lists the SCIM routes, for docs and tests.
func Routes() []string {
	return []string{"GET /scim/v2/ServiceProviderConfig", "GET /scim/v2/ResourceTypes", "GET /scim/v2/Schemas",
		"GET /scim/v2/Users", "POST /scim/v2/Users", "GET /scim/v2/Users/{id}", "PUT /scim/v2/Users/{id}",
		"PATCH /scim/v2/Users/{id}", "DELETE /scim/v2/Users/{id}",
		"GET /scim/v2/Groups", "POST /scim/v2/Groups", "GET /scim/v2/Groups/{id}", "PUT /scim/v2/Groups/{id}",
		"PATCH /scim/v2/Groups/{id}", "DELETE /scim/v2/Groups/{id}", "POST /scim/v2/Bulk"}
}

// ServeHTTP serves SCIM requests; a panic becomes a SCIM 500.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("panic in scim handler", "path", r.URL.Path, "panic", p)
			writeError(w, http.StatusInternalServerError, "", "internal error")
		}
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// The audit entries of provisioning carry the provider's address, as
	// those of the REST API carry the client's (the connection's remote
	// address: no trusted-proxy setting yet).
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	r = r.WithContext(audit.WithSource(r.Context(), audit.Source{Address: addr, UserAgent: r.UserAgent()}))
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) authed(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
			writeError(w, http.StatusUnauthorized, "", "a SCIM bearer token is required")
			return
		}
		c, err := h.sso.AuthenticateSCIM(r.Context(), strings.TrimSpace(tok))
		if err == nil {
			err = fn(w, r, c)
		}
		if err != nil {
			h.fail(w, r, err)
		}
	})
}

// scimError is the SCIM error body (RFC 7644 3.12).
type scimError struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

func writeError(w http.ResponseWriter, status int, scimType, detail string) {
	writeJSON(w, status, scimError{Schemas: []string{schemaError}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"schemas":["`+schemaError+`"],"status":"500","detail":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/scim+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// fail renders a domain or request error as a SCIM error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if fe, ok := err.(*filterError); ok {
		writeError(w, http.StatusBadRequest, "invalidFilter", fe.msg)
		return
	}
	if le, ok := err.(*limitError); ok {
		writeError(w, http.StatusRequestEntityTooLarge, le.scimType, le.msg)
		return
	}
	code := errs.CodeOf(err)
	switch errs.KindOf(err) {
	case errs.Invalid:
		writeError(w, http.StatusBadRequest, "invalidValue", code)
	case errs.NotFound:
		writeError(w, http.StatusNotFound, "", "resource not found")
	case errs.Conflict:
		writeError(w, http.StatusConflict, "uniqueness", code)
	case errs.Permission:
		writeError(w, http.StatusForbidden, "", code)
	case errs.Unauthenticated:
		writeError(w, http.StatusUnauthorized, "", "invalid SCIM bearer token")
	case errs.TooLarge:
		writeError(w, http.StatusRequestEntityTooLarge, "", code)
	case errs.Unavailable:
		writeError(w, http.StatusServiceUnavailable, "", "temporarily unavailable")
	default:
		h.log.Error("scim internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "", "internal error")
	}
}

func invalid(detail string) error { return errs.New("scim", errs.Invalid, detail) }

// decode reads a JSON body of at most maxBody bytes. SCIM clients send
// attributes we do not keep (addresses, locale, other extensions): those
// are ignored.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return invalid("unreadable body")
	}
	if len(body) > maxBody {
		return errs.New("scim", errs.TooLarge, "body_too_large").With("max", maxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return errs.New("scim", errs.Invalid, "invalid_json")
	}
	return nil
}

// ---- users

type name struct {
	Formatted  string `json:"formatted,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
}

type email struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

type meta struct {
	ResourceType string `json:"resourceType"`
	Created      string `json:"created"`
	LastModified string `json:"lastModified"`
	Location     string `json:"location"`
}

// phone is a phoneNumbers entry; Parley keeps one number, the work one.
type phone struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// managerRef is the enterprise extension's manager: the manager's User id.
type managerRef struct {
	Value string `json:"value"`
	Ref   string `json:"$ref,omitempty"`
}

// enterprise is the part of the enterprise extension Parley keeps.
type enterprise struct {
	EmployeeNumber string      `json:"employeeNumber,omitempty"`
	Manager        *managerRef `json:"manager,omitempty"`
}

type user struct {
	Schemas      []string `json:"schemas"`
	ID           string   `json:"id"`
	ExternalID   string   `json:"externalId,omitempty"`
	UserName     string   `json:"userName"`
	Name         name     `json:"name"`
	DisplayName  string   `json:"displayName"`
	Title        string   `json:"title,omitempty"`
	Emails       []email  `json:"emails"`
	PhoneNumbers []phone  `json:"phoneNumbers,omitempty"`
	Active       bool     `json:"active"`
	// Groups are the user's departments, read-only (changed through the
	// Group resource, as RFC 7643 4.1.2 has it).
	Groups     []groupRef  `json:"groups"`
	Enterprise *enterprise `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User,omitempty"`
	Meta       meta        `json:"meta"`
}

// wireUser renders a user; groups are their departments, ext the
// provider's externalId ("" for none).
func wireUser(u account.User, groups []account.Department, ext string) user {
	created := u.CreatedAt.UTC().Format(time.RFC3339)
	id := strconv.FormatInt(u.ID, 10)
	w := user{Schemas: []string{schemaUser}, ID: id, ExternalID: ext, UserName: u.Email, Name: name{Formatted: u.DisplayName},
		DisplayName: u.DisplayName, Title: u.Title, Emails: []email{{Value: u.Email, Type: "work", Primary: true}}, Active: u.Active,
		Groups: groupRefs(groups),
		Meta:   meta{ResourceType: "User", Created: created, LastModified: created, Location: "/scim/v2/Users/" + id}}
	if u.Phone != "" {
		w.PhoneNumbers = []phone{{Value: u.Phone, Type: "work", Primary: true}}
	}
	if u.EmployeeNo != "" || u.Manager != 0 {
		w.Enterprise = &enterprise{EmployeeNumber: u.EmployeeNo}
		if u.Manager != 0 {
			m := strconv.FormatInt(u.Manager, 10)
			w.Enterprise.Manager = &managerRef{Value: m, Ref: "/scim/v2/Users/" + m}
		}
		w.Schemas = append(w.Schemas, schemaEnterprise)
	}
	return w
}

func filterable(u account.User, ext string) resource {
	r := resource{"id": strconv.FormatInt(u.ID, 10), "username": u.Email, "displayname": u.DisplayName,
		"active": u.Active, "emails": u.Email, "emails.value": u.Email, "name.formatted": u.DisplayName}
	if ext != "" {
		r["externalid"] = ext
	}
	return r
}

type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// page reads startIndex (1-based) and count (RFC 7644 3.4.2.4).
func page(r *http.Request) (start, count int, err error) {
	start, count = 1, defaultCount
	q := r.URL.Query()
	if s := q.Get("startIndex"); s != "" {
		v, perr := strconv.Atoi(s)
		if perr != nil {
			return 0, 0, invalid("startIndex must be an integer")
		}
		if v > 1 {
			start = v
		}
	}
	if s := q.Get("count"); s != "" {
		v, perr := strconv.Atoi(s)
		if perr != nil {
			return 0, 0, invalid("count must be an integer")
		}
		count = max(0, min(v, maxCount))
	}
	return start, count, nil
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	start, count, err := page(r)
	if err != nil {
		return err
	}
	var f node
	if fs := r.URL.Query().Get("filter"); fs != "" {
		if f, err = parseFilter(fs, userAttrs); err != nil {
			return err
		}
	}
	us, err := h.sso.SCIMUsers(r.Context(), c)
	if err != nil {
		return err
	}
	exts, err := h.sso.SCIMUserExternalIDs(r.Context(), c)
	if err != nil {
		return err
	}
	var matched []account.User
	for _, u := range us {
		if u.Role == account.RoleBot {
			continue // bots are Parley's own, not the directory's
		}
		if f == nil || f.match(filterable(u, exts[u.ID])) {
			matched = append(matched, u)
		}
	}
	resp := listResponse{Schemas: []string{schemaList}, TotalResults: len(matched), StartIndex: start, Resources: []any{}}
	for i := start - 1; i < len(matched) && len(resp.Resources) < count; i++ {
		gs, err := h.sso.SCIMUserGroups(r.Context(), c, matched[i].ID)
		if err != nil {
			return err
		}
		resp.Resources = append(resp.Resources, wireUser(matched[i], gs, exts[matched[i].ID]))
	}
	resp.ItemsPerPage = len(resp.Resources)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func userID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		// Not a Parley id: no such resource (rather than a syntax error).
		return 0, errs.New("scim", errs.NotFound, "user_not_found")
	}
	return id, nil
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := h.sso.SCIMUser(r.Context(), c, id)
	if err != nil {
		return err
	}
	return h.writeUser(w, r, c, http.StatusOK, u)
}

func (h *Handler) writeUser(w http.ResponseWriter, r *http.Request, c sso.SCIMClient, status int, u account.User) error {
	gs, err := h.sso.SCIMUserGroups(r.Context(), c, u.ID)
	if err != nil {
		return err
	}
	ext, err := h.sso.SCIMUserExternalID(r.Context(), c, u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, status, wireUser(u, gs, ext))
	return nil
}

// userBody is a User as clients send it.
type userBody struct {
	UserName     string          `json:"userName"`
	ExternalID   string          `json:"externalId"`
	Name         name            `json:"name"`
	DisplayName  string          `json:"displayName"`
	Title        string          `json:"title"`
	Emails       []email         `json:"emails"`
	PhoneNumbers []phone         `json:"phoneNumbers"`
	Active       *bool           `json:"active"`
	Enterprise   json.RawMessage `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
}

// profile is the directory part of the body, whole: what it does not
// carry is cleared (a POST or PUT states the entire resource).
func (b userBody) profile() (sso.SCIMProfile, error) {
	ph, title := workPhone(b.PhoneNumbers), b.Title
	var ent enterpriseBody
	if len(b.Enterprise) > 0 && string(b.Enterprise) != "null" {
		if json.Unmarshal(b.Enterprise, &ent) != nil {
			return sso.SCIMProfile{}, invalid(schemaEnterprise + " must be an object")
		}
	}
	mgr, err := managerID(ent.Manager)
	if err != nil {
		return sso.SCIMProfile{}, err
	}
	emp := ent.EmployeeNumber
	return sso.SCIMProfile{Phone: &ph, Title: &title, EmployeeNo: &emp, Manager: &mgr}, nil
}

// enterpriseBody is the enterprise extension as clients send it; manager
// comes as {"value": "<id>"} (Okta) or as the bare id (Entra ID's PATCH).
type enterpriseBody struct {
	EmployeeNumber string          `json:"employeeNumber"`
	Manager        json.RawMessage `json:"manager"`
}

// workPhone picks the number Parley keeps: the work one, else the primary,
// else the first.
func workPhone(ps []phone) string {
	for _, p := range ps {
		if strings.EqualFold(p.Type, "work") {
			return p.Value
		}
	}
	for _, p := range ps {
		if p.Primary {
			return p.Value
		}
	}
	if len(ps) > 0 {
		return ps[0].Value
	}
	return ""
}

// managerID reads a manager reference: {"value": "42"}, "42", or null/""
// for none (0). Anything else is not a User id of Parley's.
func managerID(raw json.RawMessage) (int64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		var ref managerRef
		if json.Unmarshal(raw, &ref) != nil {
			return 0, invalid("manager must be {\"value\": \"<User id>\"}")
		}
		v = ref.Value
	}
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New("scim", errs.Invalid, "manager_invalid")
	}
	return id, nil
}

func (b userBody) displayName() string {
	if b.DisplayName != "" {
		return b.DisplayName
	}
	if b.Name.Formatted != "" {
		return b.Name.Formatted
	}
	return strings.TrimSpace(b.Name.GivenName + " " + b.Name.FamilyName)
}

func (b userBody) email() string {
	for _, e := range b.Emails {
		if e.Primary {
			return e.Value
		}
	}
	if len(b.Emails) > 0 {
		return b.Emails[0].Value
	}
	return ""
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	var b userBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.UserName == "" {
		return invalid("userName is required")
	}
	active := b.Active == nil || *b.Active
	prof, err := b.profile()
	if err != nil {
		return err
	}
	u, err := h.sso.SCIMCreateUser(r.Context(), c, sso.SCIMUserInput{UserName: b.UserName, Email: b.email(),
		DisplayName: b.displayName(), Active: active, ExternalID: b.ExternalID, Profile: prof})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/scim/v2/Users/"+strconv.FormatInt(u.ID, 10))
	return h.writeUser(w, r, c, http.StatusCreated, u)
}

func (h *Handler) putUser(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	var b userBody
	if err := decode(r, &b); err != nil {
		return err
	}
	prof, err := b.profile()
	if err != nil {
		return err
	}
	// PUT replaces the resource: an absent externalId, phone, title,
	// employee number or manager is removed.
	p := sso.SCIMUserPatch{Active: b.Active, ExternalID: &b.ExternalID, SCIMProfile: prof}
	if n := b.displayName(); n != "" {
		p.DisplayName = &n
	}
	u, err := h.sso.SCIMUpdateUser(r.Context(), c, id, p)
	if err != nil {
		return err
	}
	return h.writeUser(w, r, c, http.StatusOK, u)
}

type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	Value json.RawMessage `json:"value"`
}

type patchBody struct {
	Schemas    []string  `json:"schemas"`
	Operations []patchOp `json:"Operations"`
}

// boolValue reads true/false, also as the strings "True"/"False" some
// providers (Entra ID) send.
func boolValue(raw json.RawMessage) (bool, bool) {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		switch strings.ToLower(s) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// enterprisePrefix starts the paths into the enterprise extension
// ("urn:...:User:employeeNumber"), lower-cased.
var enterprisePrefix = strings.ToLower(schemaEnterprise) + ":"

// workPhonePath is Entra ID's path to the work number.
const workPhonePath = `phonenumbers[type eq "work"].value`

// str reads a JSON string value; null is "".
func str(path string, raw json.RawMessage) (string, error) {
	if string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", invalid(path + " must be a string")
	}
	return s, nil
}

// apply adds one attribute assignment to the patch.
func apply(p *sso.SCIMUserPatch, path string, raw json.RawMessage) error {
	lp := strings.ToLower(path)
	var err error
	switch lp {
	case "active":
		v, ok := boolValue(raw)
		if !ok {
			return invalid("active must be true or false")
		}
		p.Active = &v
	case "displayname", "name.formatted":
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return invalid(path + " must be a string")
		}
		p.DisplayName = &s
	case "externalid":
		v, err := str(path, raw)
		if err != nil {
			return err
		}
		p.ExternalID = &v
	case "title":
		v, err := str(path, raw)
		if err != nil {
			return err
		}
		p.Title = &v
	case "phonenumbers":
		var ps []phone
		if string(raw) != "null" && json.Unmarshal(raw, &ps) != nil {
			return invalid("phoneNumbers must be a list of {value, type}")
		}
		v := workPhone(ps)
		p.Phone = &v
	case workPhonePath:
		v, err := str(path, raw)
		if err != nil {
			return err
		}
		p.Phone = &v
	case strings.ToLower(schemaEnterprise):
		var ent map[string]json.RawMessage
		if json.Unmarshal(raw, &ent) != nil {
			return invalid(schemaEnterprise + " must be an object")
		}
		for k, v := range ent {
			if err := apply(p, schemaEnterprise+":"+k, v); err != nil {
				return err
			}
		}
	case enterprisePrefix + "employeenumber":
		v, err := str(path, raw)
		if err != nil {
			return err
		}
		p.EmployeeNo = &v
	case enterprisePrefix + "manager", enterprisePrefix + "manager.value":
		var id int64
		if id, err = managerID(raw); err != nil {
			return err
		}
		p.Manager = &id
	default:
		// Attributes Parley does not keep (addresses, locale, the other
		// enterprise attributes) are accepted and ignored, as RFC 7644
		// allows for attributes the service provider does not support.
	}
	return nil
}

// removeAttr applies a remove operation: the attributes Parley keeps that can
// be empty are cleared; the others cannot be removed and are left alone.
func removeAttr(p *sso.SCIMUserPatch, path string) error {
	switch lp := strings.ToLower(path); lp {
	case "externalid", "title", "phonenumbers", workPhonePath, enterprisePrefix + "employeenumber",
		enterprisePrefix + "manager", enterprisePrefix + "manager.value":
		return apply(p, path, json.RawMessage("null"))
	case strings.ToLower(schemaEnterprise):
		var none int64
		empty := ""
		p.EmployeeNo, p.Manager = &empty, &none
	}
	return nil
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	b, err := decodePatch(r)
	if err != nil {
		return err
	}
	var p sso.SCIMUserPatch
	for _, o := range b.Operations {
		switch strings.ToLower(o.Op) {
		case "add", "replace":
		case "remove":
			if err := removeAttr(&p, o.Path); err != nil {
				return err
			}
			continue
		default:
			return invalid("op must be add, replace or remove")
		}
		if o.Path != "" {
			if err := apply(&p, o.Path, o.Value); err != nil {
				return err
			}
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(o.Value, &obj) != nil {
			return invalid("an operation without path needs an object value")
		}
		for k, v := range obj {
			if strings.EqualFold(k, "name") {
				var n name
				if json.Unmarshal(v, &n) == nil && n.Formatted != "" {
					nv, _ := json.Marshal(n.Formatted)
					if err := apply(&p, "name.formatted", nv); err != nil {
						return err
					}
				}
				continue
			}
			if err := apply(&p, k, v); err != nil {
				return err
			}
		}
	}
	u, err := h.sso.SCIMUpdateUser(r.Context(), c, id, p)
	if err != nil {
		return err
	}
	return h.writeUser(w, r, c, http.StatusOK, u)
}

// deleteUser deprovisions: the user is deactivated (sessions revoked),
// never erased, so that their messages keep their author.
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := userID(r)
	if err != nil {
		return err
	}
	inactive := false
	if _, err := h.sso.SCIMUpdateUser(r.Context(), c, id, sso.SCIMUserPatch{Active: &inactive}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ---- discovery

func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	type supported struct {
		Supported bool `json:"supported"`
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{schemaSPConfig},
		"documentationUri": "https://github.com/parley-chat/parley/blob/main/docs/sso.md",
		"patch":            supported{true},
		"bulk":             map[string]any{"supported": true, "maxOperations": maxBulkOperations, "maxPayloadSize": maxBulkPayload},
		"filter":           map[string]any{"supported": true, "maxResults": maxCount},
		"changePassword":   supported{false},
		"sort":             supported{false},
		"etag":             supported{false},
		"authenticationSchemes": []map[string]any{{"type": "oauthbearertoken", "name": "Bearer token",
			"description": "An organisation's SCIM token, created by its admins (POST /api/v1/sso/scim-tokens).", "primary": true}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": "/scim/v2/ServiceProviderConfig"},
	})
	return nil
}

func (h *Handler) resourceTypes(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	rt := func(name, endpoint, schema string) any {
		return map[string]any{"schemas": []string{schemaRT}, "id": name, "name": name, "endpoint": endpoint,
			"schema": schema, "meta": map[string]any{"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/" + name}}
	}
	userRT := rt("User", "/Users", schemaUser).(map[string]any)
	userRT["schemaExtensions"] = []any{map[string]any{"schema": schemaEnterprise, "required": false}}
	groupRT := rt("Group", "/Groups", schemaGroup).(map[string]any)
	groupRT["schemaExtensions"] = []any{map[string]any{"schema": schemaDept, "required": false}}
	writeJSON(w, http.StatusOK, listResponse{Schemas: []string{schemaList}, TotalResults: 2, StartIndex: 1, ItemsPerPage: 2,
		Resources: []any{userRT, groupRT}})
	return nil
}

func (h *Handler) schemas(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	attr := func(n, typ string, required bool, mut string) map[string]any {
		return map[string]any{"name": n, "type": typ, "multiValued": false, "required": required, "caseExact": false,
			"mutability": mut, "returned": "default", "uniqueness": "none"}
	}
	un := attr("userName", "string", true, "readWrite")
	un["uniqueness"] = "server"
	emails := attr("emails", "complex", false, "readWrite")
	emails["multiValued"] = true
	emails["subAttributes"] = []any{attr("value", "string", false, "readWrite"), attr("type", "string", false, "readWrite"),
		attr("primary", "boolean", false, "readWrite")}
	nm := attr("name", "complex", false, "readWrite")
	nm["subAttributes"] = []any{attr("formatted", "string", false, "readWrite"), attr("givenName", "string", false, "readWrite"),
		attr("familyName", "string", false, "readWrite")}
	refs := func(n, mut string) map[string]any {
		a := attr(n, "complex", false, mut)
		a["multiValued"] = true
		a["subAttributes"] = []any{attr("value", "string", false, mut), attr("$ref", "reference", false, mut),
			attr("display", "string", false, "readOnly")}
		return a
	}
	schema := func(id, name, desc string, attrs ...any) any {
		return map[string]any{"schemas": []string{schemaSchema}, "id": id, "name": name, "description": desc,
			"attributes": attrs, "meta": map[string]any{"resourceType": "Schema", "location": "/scim/v2/Schemas/" + id}}
	}
	ext := attr("externalId", "string", false, "readWrite")
	ext["caseExact"] = true
	ext["description"] = "The provider's own id of the group, kept as sent; filterable with eq."
	parent := attr("parent", "string", false, "immutable")
	parent["description"] = "The parent group's id; absent for a top-level department."
	userExt := attr("externalId", "string", false, "readWrite")
	userExt["caseExact"] = true
	userExt["description"] = "The provider's own id of the user, kept as sent; filterable with eq."
	phones := attr("phoneNumbers", "complex", false, "readWrite")
	phones["multiValued"] = true
	phones["description"] = "Parley keeps one number: the work one (else the primary, else the first)."
	phones["subAttributes"] = []any{attr("value", "string", false, "readWrite"), attr("type", "string", false, "readWrite"),
		attr("primary", "boolean", false, "readWrite")}
	mgr := attr("manager", "complex", false, "readWrite")
	mgr["subAttributes"] = []any{attr("value", "string", false, "readWrite"), attr("$ref", "reference", false, "readOnly")}
	writeJSON(w, http.StatusOK, listResponse{Schemas: []string{schemaList}, TotalResults: 4, StartIndex: 1, ItemsPerPage: 4,
		Resources: []any{
			schema(schemaUser, "User", "A Parley user", attr("id", "string", false, "readOnly"), userExt, un, nm,
				attr("displayName", "string", false, "readWrite"), attr("title", "string", false, "readWrite"), emails, phones,
				attr("active", "boolean", false, "readWrite"), refs("groups", "readOnly")),
			schema(schemaEnterprise, "EnterpriseUser", "The enterprise attributes Parley keeps",
				attr("employeeNumber", "string", false, "readWrite"), mgr),
			schema(schemaGroup, "Group", "A Parley department",
				attr("id", "string", false, "readOnly"), ext, attr("displayName", "string", true, "readWrite"),
				refs("members", "readWrite")),
			schema(schemaDept, "Department", "Where the department sits in Parley's tree", parent),
		}})
	return nil
}

// decodePatch reads a PatchOp request body of 1 to 100 operations, for
// Users and Groups alike.
func decodePatch(r *http.Request) (patchBody, error) {
	var b patchBody
	if err := decode(r, &b); err != nil {
		return b, err
	}
	if len(b.Operations) == 0 || len(b.Operations) > 100 {
		return b, invalid("Operations must hold 1 to 100 operations")
	}
	return b, nil
}
