// Package sso owns sign-on through an organisation's identity provider and
// the provisioning it implies: per-organisation provider settings (OIDC,
// LDAP, SAML), the OIDC authorization-code flow with PKCE, LDAP bind logins
// and the scheduled LDAP directory sync, SCIM provisioning tokens, the
// mapping of IdP groups to roles, and just-in-time creation of users on
// their first login. It hands the authenticated account.User back to its
// caller, which opens the session through auth.
package sso

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Kind is the protocol of a provider.
type Kind string

// Provider kinds.
const (
	KindOIDC Kind = "oidc"
	KindLDAP Kind = "ldap"
	KindSAML Kind = "saml"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindOIDC || k == KindLDAP || k == KindSAML }

// Provider is one identity provider configured for an organisation.
type Provider struct {
	ID      int64
	Org     int64
	Kind    Kind
	Name    string
	Enabled bool
	// Settings holds the protocol settings; only the part for Kind is used.
	Settings Settings
	// Secret is the OIDC client secret or the LDAP bind password. It is
	// never returned by the API.
	Secret    string
	SyncedAt  time.Time // last finished LDAP sync
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Settings are a provider's non-secret settings. The store keeps them as
// one JSON object, so field names are part of the stored format.
type Settings struct {
	OIDC    OIDCSettings
	LDAP    LDAPSettings
	SAML    SAMLSettings
	Mapping Mapping
}

// OIDCSettings configure an OpenID Connect relying party.
type OIDCSettings struct {
	Issuer   string   // discovery: Issuer + "/.well-known/openid-configuration"
	ClientID string   // the client registered at the provider
	Scopes   []string // besides "openid"; default "profile", "email"
	// GroupsClaim names the claim listing the user's groups ("groups").
	GroupsClaim string
}

// LDAPSettings configure an LDAP or Active Directory server.
type LDAPSettings struct {
	URL      string // ldap://host:389 or ldaps://host:636
	StartTLS bool
	// BindDN is the service account used to search (and to sync); its
	// password is the provider's Secret.
	BindDN string
	BaseDN string // where users are searched
	// UserFilter selects user entries, e.g. "(objectClass=inetOrgPerson)".
	UserFilter string
	// LoginAttr is matched against the login name ("uid"; AD: "sAMAccountName").
	LoginAttr string
	EmailAttr string // "mail"
	NameAttr  string // "cn" or "displayName"
	// GroupAttr lists a user's groups ("memberOf"); "" to not read groups.
	GroupAttr string
	// SyncInterval is how often the directory is synced; 0 disables the
	// scheduled sync (a sync can still be run by hand).
	SyncInterval time.Duration
	// Departments makes the sync maintain the department tree from the
	// organisational units below BaseDN.
	Departments bool
}

// Mapping turns IdP groups (and LDAP organisational units) into roles and
// department memberships.
type Mapping struct {
	DefaultRole account.Role // role of a provisioned user no rule matches; member if ""
	Rules       []Rule
	// Departments are the department rules (ADR 0014, decision 12): the
	// departments they name are managed by this provider.
	Departments []DepartmentRule `json:",omitempty"`
}

// DepartmentRule puts the people in one IdP group into one department, by
// the department's id: ids survive renames and moves, where a path would
// silently point elsewhere. A rule whose department was deleted later is
// inert at sign-in, and saving the provider with it is refused
// (sso_department_unknown), so the admin removes it knowingly.
type DepartmentRule struct {
	Group      string // as Rule.Group
	Department int64
}

// Rule maps one IdP group to a role. A user matching several rules gets
// the most powerful role among them.
type Rule struct {
	Group string // group name, group DN, or OU name, compared case-insensitively
	Role  account.Role
}

// Identity is what a provider asserts about a user.
type Identity struct {
	Subject       string // stable id at the provider
	Email         string
	EmailVerified bool
	Username      string // preferred username, if any
	Name          string
	Groups        []string // group names or DNs
	Units         []string // LDAP organisational units, outermost first
}

// PendingLogin is an OIDC login between the redirect to the provider and
// its callback.
type PendingLogin struct {
	StateHash []byte
	Org       int64
	Provider  int64
	Nonce     string
	Verifier  string
	ExpiresAt time.Time
}

// LinkedUser is a user provisioned by a provider, with their subject there.
type LinkedUser struct {
	Subject string
	User    account.User
}

// Store is what sso needs from persistence. Reads return errs.NotFound for
// missing rows.
type Store interface {
	// Provider finds a provider by id in any organisation (public login
	// flows name the provider, not the organisation).
	Provider(ctx context.Context, id int64) (Provider, error)
	// Providers lists an organisation's providers (org 0: every organisation's).
	Providers(ctx context.Context, org int64) ([]Provider, error)
	SCIMStore
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Tx is a write transaction.
type Tx interface {
	SCIMTx
	account.SchemeReader // the scheme redacts user.updated frames
	Provider(ctx context.Context, id int64) (Provider, error)
	InsertProvider(ctx context.Context, p Provider) (Provider, error)
	UpdateProvider(ctx context.Context, p Provider) error
	DeleteProvider(ctx context.Context, org, id int64) error
	SetProviderSynced(ctx context.Context, id int64, at time.Time) error

	InsertPendingLogin(ctx context.Context, l PendingLogin) error
	// TakePendingLogin deletes and returns a pending login; NotFound when
	// it never existed or was taken already.
	TakePendingLogin(ctx context.Context, stateHash []byte) (PendingLogin, error)
	DeleteExpiredLogins(ctx context.Context, before time.Time) error
	// InsertAssertion remembers an accepted SAML assertion id until
	// expires (and forgets expired ones); Conflict when it is known.
	InsertAssertion(ctx context.Context, provider int64, id string, expires, now time.Time) error

	// IdentityUser returns the user linked to a subject at a provider.
	IdentityUser(ctx context.Context, provider int64, subject string) (account.User, error)
	LinkIdentity(ctx context.Context, org, provider int64, subject string, user int64, at time.Time) error
	// LinkedUsers lists the users a provider provisioned.
	LinkedUsers(ctx context.Context, provider int64) ([]LinkedUser, error)
	// UserByEmail finds a user by (lower-case) e-mail in any organisation.
	UserByEmail(ctx context.Context, email string) (account.User, error)
	// UsernameTaken reports whether the organisation has the username.
	UsernameTaken(ctx context.Context, org int64, username string) (bool, error)
	InsertUser(ctx context.Context, u account.User, passwordHash string) (account.User, error)
	UpdateUser(ctx context.Context, u account.User) error
	DeleteSessions(ctx context.Context, org, user int64) error
	Emit(ctx context.Context, ev event.Event, render func(seq int64) ([]byte, error)) error
	// InsertAudit appends to the audit trail in the same transaction.
	InsertAudit(ctx context.Context, e audit.Entry) error
}

// Audit actions recorded by sso (besides the identity actions of package
// audit: logins, user creation, role changes, deactivation).
const (
	AuditProviderCreated audit.Action = "sso.provider_create"
	AuditProviderUpdated audit.Action = "sso.provider_update"
	AuditProviderDeleted audit.Action = "sso.provider_delete"
	AuditSynced          audit.Action = "sso.sync"
	AuditSignedIn        audit.Action = "sso.login" // the identity check; auth records the session
	// TargetProvider is an identity provider as an audit target.
	TargetProvider audit.TargetType = "sso_provider"
)

func (s *Service) audit(ctx context.Context, tx Tx, e audit.Entry) error {
	return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), e))
}

// auditFailure records a refused sign-in in its own transaction (the
// refusal itself wrote nothing). A failure to record is logged, never
// returned: it must not change what the caller is told.
func (s *Service) auditFailure(ctx context.Context, p Provider, method string, err error, login string) {
	s.auditFailureLocked(ctx, p, method, err, login, 0)
}

// auditFailureLocked is auditFailure for a failure that started a lockout
// of locked (0: none).
func (s *Service) auditFailureLocked(ctx context.Context, p Provider, method string, err error, login string, locked time.Duration) {
	if p.Org == 0 && p.ID != 0 {
		// A refusal before the pending login was found (a forged state):
		// the provider named in the URL tells whose trail it belongs to.
		if known, perr := s.store.Provider(ctx, p.ID); perr == nil {
			p.Org = known.Org
		}
	}
	d := map[string]string{"method": method, "code": errs.CodeOf(err)}
	if p.ID != 0 {
		d["provider"] = strconv.FormatInt(p.ID, 10)
	}
	if login != "" {
		d["login"] = login
	}
	if locked > 0 {
		d["locked_seconds"] = strconv.Itoa(int(locked.Seconds()))
	}
	e := audit.Entry{Org: p.Org, Action: audit.LoginFailed, Outcome: audit.Failure, Details: d}
	if werr := s.store.Update(ctx, func(tx Tx) error { return s.audit(ctx, tx, e) }); werr != nil {
		s.log.Warn("audit of a failed sign-in", "err", werr)
	}
}

func providerDetails(p Provider) map[string]string {
	return map[string]string{"kind": string(p.Kind), "name": p.Name, "enabled": strconv.FormatBool(p.Enabled)}
}

// Encoder renders event payloads in the public wire format.
type Encoder interface {
	EncodeEvent(typ string, seq int64, payload any) ([]byte, error)
}

// Service runs sign-on and provisioning.
type Service struct {
	store Store
	enc   Encoder
	now   func() time.Time
	log   *slog.Logger
	// client makes the outbound requests to identity providers (discovery,
	// token exchange, keys, userinfo).
	client *http.Client
	dir    Directory // nil: the LDAP sync leaves departments alone
	limit  Limiter   // the lockout of LDAP logins (WithLimiter; the server always sets it)
}

// Limiter is the login lockout (auth's), applied to directory logins.
type Limiter interface {
	// CheckLogin is RateLimited "too_many_attempts" while the subject or
	// the client address is locked out.
	CheckLogin(ctx context.Context, subject, addr string) error
	// LoginFailed counts a failure and returns the lockout it started.
	LoginFailed(ctx context.Context, subject, addr string) (time.Duration, error)
	// LoginSucceeded forgets the subject's failures.
	LoginSucceeded(ctx context.Context, subject string) error
}

// WithLimiter sets the lockout that LDAP logins go through.
func (s *Service) WithLimiter(l Limiter) *Service {
	s.limit = l
	return s
}

// WithDirectory lets the LDAP sync maintain departments from
// organisational units.
func (s *Service) WithDirectory(d Directory) *Service {
	s.dir = d
	return s
}

// NewService returns the sso service. client may be nil for a default with
// timeouts.
func NewService(st Store, enc Encoder, client *http.Client, now func() time.Time, log *slog.Logger) *Service {
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Service{store: st, enc: enc, client: client, now: now, log: log}
}

// Limits on what we accept from identity providers and browsers.
const (
	MaxIDTokenBytes = 16 << 10 // an ID token larger than this is refused
	maxParamLen     = 2048     // state and code query parameters
	maxNameLen      = 200
	loginLifetime   = 10 * time.Minute
)

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("sso: crypto/rand failed: " + err.Error()) // the OS RNG never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashString(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// ProviderInput creates or changes a provider; nil fields stay.
type ProviderInput struct {
	Kind     Kind
	Name     *string
	Enabled  *bool
	Settings *Settings
	Secret   *string // "" clears it
}

// Providers lists the actor's organisation's providers (admins only).
func (s *Service) Providers(ctx context.Context, actor account.Actor) ([]Provider, error) {
	const op = "sso.Providers"
	if !actor.IsAdmin() {
		return nil, errs.New(op, errs.Permission, "admin_required")
	}
	ps, err := s.store.Providers(ctx, actor.Org)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ps, nil
}

// Provider returns one provider of the actor's organisation (admins only).
func (s *Service) Provider(ctx context.Context, actor account.Actor, id int64) (Provider, error) {
	const op = "sso.Provider"
	if !actor.IsAdmin() {
		return Provider{}, errs.New(op, errs.Permission, "admin_required")
	}
	p, err := s.store.Provider(ctx, id)
	if err != nil {
		return Provider{}, errs.E(op, errs.Other, "", err)
	}
	if p.Org != actor.Org {
		return Provider{}, errs.New(op, errs.NotFound, "sso_provider_not_found")
	}
	return p, nil
}

// LoginOption is an enabled provider as the login page shows it.
type LoginOption struct {
	ID   int64
	Org  int64
	Kind Kind
	Name string
}

// LoginOptions lists the enabled providers people can sign in with; org 0
// lists every organisation's.
func (s *Service) LoginOptions(ctx context.Context, org int64) ([]LoginOption, error) {
	ps, err := s.store.Providers(ctx, org)
	if err != nil {
		return nil, errs.E("sso.LoginOptions", errs.Other, "", err)
	}
	out := []LoginOption{}
	for _, p := range ps {
		if p.Enabled {
			out = append(out, LoginOption{ID: p.ID, Org: p.Org, Kind: p.Kind, Name: p.Name})
		}
	}
	return out, nil
}

// CreateProvider adds a provider to the actor's organisation (admins only).
func (s *Service) CreateProvider(ctx context.Context, actor account.Actor, in ProviderInput) (Provider, error) {
	const op = "sso.CreateProvider"
	if !actor.IsAdmin() {
		return Provider{}, errs.New(op, errs.Permission, "admin_required")
	}
	if !in.Kind.Valid() {
		return Provider{}, errs.New(op, errs.Invalid, "sso_kind_invalid")
	}
	now := s.now()
	p := Provider{Org: actor.Org, Kind: in.Kind, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if in.Name == nil {
		return Provider{}, errs.New(op, errs.Invalid, "provider_name_required")
	}
	if err := applyInput(op, &p, in); err != nil {
		return Provider{}, err
	}
	if err := s.checkDepartmentRules(ctx, op, p); err != nil {
		return Provider{}, err
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.InsertProvider(ctx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Entry{Org: actor.Org, Actor: actor.User, Action: AuditProviderCreated,
			TargetType: TargetProvider, TargetID: p.ID, Details: providerDetails(p)})
	})
	if err != nil {
		return Provider{}, errs.E(op, errs.Other, "", err)
	}
	return p, nil
}

// UpdateProvider changes a provider of the actor's organisation (admins only).
func (s *Service) UpdateProvider(ctx context.Context, actor account.Actor, id int64, in ProviderInput) (Provider, error) {
	const op = "sso.UpdateProvider"
	if !actor.IsAdmin() {
		return Provider{}, errs.New(op, errs.Permission, "admin_required")
	}
	var p Provider
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if p, err = tx.Provider(ctx, id); err != nil {
			return err
		}
		if p.Org != actor.Org {
			return errs.New(op, errs.NotFound, "sso_provider_not_found")
		}
		if in.Kind != "" && in.Kind != p.Kind {
			return errs.New(op, errs.Invalid, "sso_kind_immutable")
		}
		if err := applyInput(op, &p, in); err != nil {
			return err
		}
		if in.Settings != nil {
			if err := s.checkDepartmentRules(ctx, op, p); err != nil {
				return err
			}
		}
		p.UpdatedAt = s.now()
		if err := tx.UpdateProvider(ctx, p); err != nil {
			return err
		}
		d := providerDetails(p)
		if in.Secret != nil {
			d["secret_changed"] = "true" // never the secret itself
		}
		if in.Settings != nil {
			d["settings_changed"] = "true"
		}
		return s.audit(ctx, tx, audit.Entry{Org: actor.Org, Actor: actor.User, Action: AuditProviderUpdated,
			TargetType: TargetProvider, TargetID: p.ID, Details: d})
	})
	if err != nil {
		return Provider{}, errs.E(op, errs.Other, "", err)
	}
	return p, nil
}

// DeleteProvider removes a provider; the users it provisioned stay, with
// their sign-in link to it removed (admins only).
func (s *Service) DeleteProvider(ctx context.Context, actor account.Actor, id int64) error {
	const op = "sso.DeleteProvider"
	if !actor.IsAdmin() {
		return errs.New(op, errs.Permission, "admin_required")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		p, err := tx.Provider(ctx, id)
		if err != nil {
			return err
		}
		if p.Org != actor.Org {
			return errs.New(op, errs.NotFound, "sso_provider_not_found")
		}
		if err := tx.DeleteProvider(ctx, actor.Org, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Entry{Org: actor.Org, Actor: actor.User, Action: AuditProviderDeleted,
			TargetType: TargetProvider, TargetID: id, Details: providerDetails(p)})
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

func applyInput(op string, p *Provider, in ProviderInput) error {
	if in.Name != nil {
		name, err := account.CleanText(op, "provider_name", *in.Name, 1, maxNameLen)
		if err != nil {
			return err
		}
		p.Name = name
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if in.Secret != nil {
		if len(*in.Secret) > 4096 {
			return errs.New(op, errs.Invalid, "sso_secret_too_long")
		}
		p.Secret = *in.Secret
	}
	if in.Settings != nil {
		set, err := cleanSettings(op, p.Kind, *in.Settings)
		if err != nil {
			return err
		}
		p.Settings = set
	}
	return nil
}

// cleanSettings validates the settings for a kind and fills defaults.
func cleanSettings(op string, kind Kind, in Settings) (Settings, error) {
	out := Settings{Mapping: in.Mapping}
	if out.Mapping.DefaultRole == "" {
		out.Mapping.DefaultRole = account.RoleMember
	}
	if !assignable(out.Mapping.DefaultRole) {
		return Settings{}, errs.New(op, errs.Invalid, "sso_role_invalid")
	}
	if len(out.Mapping.Rules) > 200 {
		return Settings{}, errs.New(op, errs.Invalid, "sso_too_many_rules")
	}
	for _, r := range out.Mapping.Rules {
		if strings.TrimSpace(r.Group) == "" || len(r.Group) > 1024 || !assignable(r.Role) {
			return Settings{}, errs.New(op, errs.Invalid, "sso_rule_invalid")
		}
	}
	if len(out.Mapping.Departments) > 200 {
		return Settings{}, errs.New(op, errs.Invalid, "sso_too_many_rules")
	}
	for _, r := range out.Mapping.Departments {
		if strings.TrimSpace(r.Group) == "" || len(r.Group) > 1024 || r.Department <= 0 {
			return Settings{}, errs.New(op, errs.Invalid, "sso_department_rule_invalid")
		}
	}
	switch kind {
	case KindOIDC:
		o := in.OIDC
		if err := checkURL(op, o.Issuer); err != nil {
			return Settings{}, err
		}
		o.Issuer = strings.TrimRight(o.Issuer, "/")
		if o.ClientID == "" || len(o.ClientID) > 512 {
			return Settings{}, errs.New(op, errs.Invalid, "sso_client_id_invalid")
		}
		if len(o.Scopes) == 0 {
			o.Scopes = []string{"profile", "email"}
		}
		for _, sc := range o.Scopes {
			if sc == "" || len(sc) > 128 || strings.ContainsAny(sc, " \t\r\n") {
				return Settings{}, errs.New(op, errs.Invalid, "sso_scope_invalid")
			}
		}
		if o.GroupsClaim == "" {
			o.GroupsClaim = "groups"
		}
		out.OIDC = o
	case KindLDAP:
		l := in.LDAP
		if !strings.HasPrefix(l.URL, "ldap://") && !strings.HasPrefix(l.URL, "ldaps://") {
			return Settings{}, errs.New(op, errs.Invalid, "sso_ldap_url_invalid")
		}
		if l.BaseDN == "" || len(l.BaseDN) > 1024 || len(l.BindDN) > 1024 {
			return Settings{}, errs.New(op, errs.Invalid, "sso_ldap_dn_invalid")
		}
		if l.UserFilter == "" {
			l.UserFilter = "(objectClass=person)"
		}
		if !strings.HasPrefix(l.UserFilter, "(") || len(l.UserFilter) > 1024 {
			return Settings{}, errs.New(op, errs.Invalid, "sso_ldap_filter_invalid")
		}
		for _, a := range []*string{&l.LoginAttr, &l.EmailAttr, &l.NameAttr, &l.GroupAttr} {
			if !attrName(*a) {
				return Settings{}, errs.New(op, errs.Invalid, "sso_ldap_attribute_invalid")
			}
		}
		if l.LoginAttr == "" {
			l.LoginAttr = "uid"
		}
		if l.EmailAttr == "" {
			l.EmailAttr = "mail"
		}
		if l.NameAttr == "" {
			l.NameAttr = "cn"
		}
		if l.SyncInterval != 0 && (l.SyncInterval < time.Minute || l.SyncInterval > 7*24*time.Hour) {
			return Settings{}, errs.New(op, errs.Invalid, "sso_sync_interval_invalid")
		}
		out.LDAP = l
	case KindSAML:
		sm := in.SAML
		if _, err := parseIDPMetadata(op, sm.IDPMetadata); err != nil {
			return Settings{}, err
		}
		for _, a := range []string{sm.EmailAttr, sm.NameAttr, sm.GroupsAttr} {
			if len(a) > 256 {
				return Settings{}, errs.New(op, errs.Invalid, "sso_saml_attribute_invalid")
			}
		}
		out.SAML = sm
	}
	return out, nil
}

// assignable reports whether a mapping may grant the role: never owner, and
// never bot (bots are not people signing in).
func assignable(r account.Role) bool {
	return r == account.RoleAdmin || r == account.RoleMember || r == account.RoleGuest
}

// attrName reports whether s is empty or a plain LDAP attribute name, so
// that it can be placed into a filter without escaping.
func attrName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i, r := range s {
		ok := (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && ((r >= '0' && r <= '9') || r == '-'))
		if !ok {
			return false
		}
	}
	return true
}

func checkURL(op, raw string) error {
	if len(raw) > 1024 || !(strings.HasPrefix(raw, "https://") || strings.HasPrefix(raw, "http://")) {
		return errs.New(op, errs.Invalid, "sso_issuer_invalid")
	}
	return nil
}
