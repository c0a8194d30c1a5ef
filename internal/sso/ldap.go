package sso

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/go-ldap/ldap/v3"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

const ldapTimeout = 10 * time.Second

// dialLDAP connects to the provider's server and binds as the service
// account (anonymously when no bind DN is set).
func (s *Service) dialLDAP(ctx context.Context, p Provider) (*ldap.Conn, error) {
	l := p.Settings.LDAP
	d := &net.Dialer{Timeout: ldapTimeout}
	conn, err := ldap.DialURL(l.URL, ldap.DialWithDialer(d))
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", l.URL, err)
	}
	conn.SetTimeout(ldapTimeout)
	if l.StartTLS {
		host, _, _ := strings.Cut(strings.TrimPrefix(l.URL, "ldap://"), ":")
		if err := conn.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			conn.Close()
			return nil, fmt.Errorf("starttls: %w", err)
		}
	}
	if l.BindDN != "" {
		if err := conn.Bind(l.BindDN, p.Secret); err != nil {
			conn.Close()
			return nil, fmt.Errorf("bind as %s: %w", l.BindDN, err)
		}
	}
	return conn, nil
}

func (l LDAPSettings) attributes() []string {
	attrs := []string{"entryUUID", "objectGUID", l.LoginAttr, l.EmailAttr, l.NameAttr}
	if l.GroupAttr != "" {
		attrs = append(attrs, l.GroupAttr)
	}
	return attrs
}

// cleanLogin refuses login names that cannot be a directory login: empty,
// too long or holding control characters. Filter metacharacters are not
// refused but escaped (RFC 4515) where the name goes into a filter.
func cleanLogin(op, login string) (string, error) {
	login = strings.TrimSpace(login)
	if login == "" || len(login) > 256 {
		return "", errs.New(op, errs.Invalid, "credentials_required")
	}
	for _, r := range login {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", errs.New(op, errs.Unauthenticated, "invalid_credentials")
		}
	}
	return login, nil
}

// LoginLDAP signs in with a directory login name and password: it finds
// the user's entry with the service account (the name escaped into the
// filter), binds as that entry with the password, and returns the user,
// provisioning them on first login. Wrong credentials, unknown or
// ambiguous names are Unauthenticated "invalid_credentials" and count
// toward the login lockout of the name at this provider and of the client
// address addr; while either is locked out the directory is not contacted
// (RateLimited "too_many_attempts"). An unreachable server is Unavailable
// "sso_provider_unreachable".
func (s *Service) LoginLDAP(ctx context.Context, providerID int64, login, password, addr string) (_ account.User, err error) {
	const op = "sso.LoginLDAP"
	login, err = cleanLogin(op, login)
	if err != nil {
		return account.User{}, err
	}
	// An empty password is an unauthenticated bind (RFC 4513 5.1.2), which
	// many servers answer with success: never treat it as a login.
	if password == "" || len(password) > 1024 {
		return account.User{}, errs.New(op, errs.Invalid, "credentials_required")
	}
	p, err := s.store.Provider(ctx, providerID)
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	if !p.Enabled || p.Kind != KindLDAP {
		return account.User{}, errs.New(op, errs.NotFound, "sso_provider_not_found")
	}
	// Before the directory hears of it: password spraying must not reach
	// it, nor lock the real accounts out there. Attempts refused here are
	// not audited one by one, as for password logins.
	subject := directorySubject(p.ID, login)
	if err := s.limit.CheckLogin(ctx, subject, addr); err != nil {
		return account.User{}, err
	}
	var locked time.Duration
	defer func() {
		if err != nil {
			s.auditFailureLocked(ctx, p, "ldap", err, login, locked)
		}
	}()
	wrong := func(cause error) error {
		if locked, err = s.limit.LoginFailed(ctx, subject, addr); err != nil {
			s.log.Error("count failed ldap login", "err", err)
		}
		return errs.E(op, errs.Unauthenticated, "invalid_credentials", cause)
	}
	conn, err := s.dialLDAP(ctx, p)
	if err != nil {
		s.log.Warn("ldap connect failed", "provider", p.ID, "err", err)
		return account.User{}, errs.E(op, errs.Unavailable, "sso_provider_unreachable", err)
	}
	defer conn.Close()
	l := p.Settings.LDAP
	filter := fmt.Sprintf("(&%s(%s=%s))", l.UserFilter, l.LoginAttr, ldap.EscapeFilter(login))
	res, err := conn.Search(ldap.NewSearchRequest(l.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 2,
		int(ldapTimeout/time.Second), false, filter, l.attributes(), nil))
	if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
		return account.User{}, errs.E(op, errs.Unavailable, "sso_provider_unreachable", err)
	}
	if res == nil || len(res.Entries) != 1 {
		s.log.Info("ldap login failed", "provider", p.ID, "login", login, "reason", "no single entry")
		return account.User{}, wrong(nil)
	}
	entry := res.Entries[0]
	if err := conn.Bind(entry.DN, password); err != nil {
		s.log.Info("ldap login failed", "provider", p.ID, "login", login, "err", err)
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return account.User{}, wrong(nil)
		}
		return account.User{}, wrong(err)
	}
	if err := s.limit.LoginSucceeded(ctx, subject); err != nil {
		s.log.Error("clear ldap login failures", "err", err)
	}
	return s.provision(ctx, op, p, ldapIdentity(l, entry))
}

// directorySubject is the lockout subject of a login name at a directory
// provider: directory names are not Parley's, so they get their own.
func directorySubject(provider int64, login string) string {
	return "l:" + strconv.FormatInt(provider, 10) + ":" + strings.ToLower(login)
}

// ldapIdentity reads an entry. The subject is the entry's stable id
// (OpenLDAP entryUUID, AD objectGUID), so a renamed or moved entry stays
// the same user; the DN only when the server has neither.
func ldapIdentity(l LDAPSettings, e *ldap.Entry) Identity {
	id := Identity{Subject: e.GetAttributeValue("entryUUID"), Email: e.GetAttributeValue(l.EmailAttr),
		Username: e.GetAttributeValue(l.LoginAttr), Name: e.GetAttributeValue(l.NameAttr),
		// The directory is the organisation's own record of its people.
		EmailVerified: true}
	if id.Subject == "" {
		if g := e.GetRawAttributeValue("objectGUID"); len(g) > 0 {
			id.Subject = "guid:" + hex.EncodeToString(g)
		} else {
			id.Subject = "dn:" + strings.ToLower(e.DN)
		}
	}
	if l.GroupAttr != "" {
		id.Groups = e.GetAttributeValues(l.GroupAttr)
	}
	if dn, err := ldap.ParseDN(e.DN); err == nil {
		for i := len(dn.RDNs) - 1; i >= 0; i-- {
			for _, a := range dn.RDNs[i].Attributes {
				if strings.EqualFold(a.Type, "ou") {
					id.Units = append(id.Units, a.Value)
				}
			}
		}
	}
	return id
}

// SyncResult counts what one directory sync changed.
type SyncResult struct {
	Seen        int // user entries read
	Created     int
	Updated     int // linked users whose name or role changed, or who were linked now
	Deactivated int // linked users no longer in the directory
	Skipped     int // entries without a usable e-mail, or refused (deactivated, e-mail taken)
	Departments int // departments created from organisational units
}

// SyncLDAP reads every user entry of an LDAP provider, provisions the new
// ones, updates the known ones and deactivates the users it provisioned
// who are gone from the directory. A search that returns no entry at all
// deactivates nobody (Unavailable "sso_sync_empty"): that is far more often
// a wrong base DN or filter than an empty company.
func (s *Service) SyncLDAP(ctx context.Context, p Provider) (SyncResult, error) {
	const op = "sso.SyncLDAP"
	var r SyncResult
	if p.Kind != KindLDAP {
		return r, errs.New(op, errs.Invalid, "sso_kind_mismatch")
	}
	conn, err := s.dialLDAP(ctx, p)
	if err != nil {
		return r, errs.E(op, errs.Unavailable, "sso_provider_unreachable", err)
	}
	defer conn.Close()
	l := p.Settings.LDAP
	res, err := conn.SearchWithPaging(ldap.NewSearchRequest(l.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0,
		0, false, l.UserFilter, l.attributes(), nil), 500)
	if err != nil {
		return r, errs.E(op, errs.Unavailable, "sso_provider_unreachable", err)
	}
	if len(res.Entries) == 0 {
		return r, errs.New(op, errs.Unavailable, "sso_sync_empty")
	}
	ids := make([]Identity, 0, len(res.Entries))
	for _, e := range res.Entries {
		ids = append(ids, ldapIdentity(l, e))
	}
	r.Seen = len(ids)
	now := s.now()
	// Department membership wanted per OU path, among managed users.
	var want map[string][]int64
	var paths map[string][]string
	var managed map[int64]bool
	// The users whose department rules apply once the sync is committed.
	type mapped struct {
		u  account.User
		id Identity
	}
	var toMap []mapped
	err = s.store.Update(ctx, func(tx Tx) error {
		r = SyncResult{Seen: len(ids)}
		want, paths, managed = map[string][]int64{}, map[string][]string{}, map[int64]bool{}
		toMap = toMap[:0]
		linked, err := tx.LinkedUsers(ctx, p.ID)
		if err != nil {
			return err
		}
		before := map[string]account.User{}
		for _, lu := range linked {
			before[lu.Subject] = lu.User
		}
		seen := map[string]bool{}
		for _, id := range ids {
			seen[id.Subject] = true
			old, known := before[id.Subject]
			if known && !old.Active {
				r.Skipped++
				continue
			}
			u, created, err := s.provisionTx(ctx, tx, op, p, id)
			switch {
			case errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) || errs.Is(err, errs.Unauthenticated):
				r.Skipped++
				continue
			case err != nil:
				return err
			}
			managed[u.ID] = true
			toMap = append(toMap, mapped{u, id})
			if units := relativeUnits(l.BaseDN, id.Units); len(units) > 0 && u.Role != account.RoleGuest && u.Role != account.RoleBot {
				k := deptKey(units)
				paths[k] = units
				want[k] = append(want[k], u.ID)
			}
			switch {
			case !known:
				if created {
					r.Created++
				} else {
					r.Updated++ // an existing account linked by e-mail
				}
			case u.DisplayName != old.DisplayName || u.Role != old.Role:
				r.Updated++
			}
		}
		for subject, u := range before {
			if !seen[subject] && u.Active && u.Role != account.RoleOwner {
				if err := s.deactivate(ctx, tx, p, u); err != nil {
					return err
				}
				managed[u.ID] = true // and out of the synced departments
				u.Active = false
				toMap = append(toMap, mapped{u: u})
				r.Deactivated++
			}
		}
		if err := s.audit(ctx, tx, audit.Entry{Org: p.Org, Action: AuditSynced, TargetType: TargetProvider, TargetID: p.ID,
			Details: map[string]string{"seen": strconv.Itoa(r.Seen), "created": strconv.Itoa(r.Created),
				"updated": strconv.Itoa(r.Updated), "deactivated": strconv.Itoa(r.Deactivated), "skipped": strconv.Itoa(r.Skipped)}}); err != nil {
			return err
		}
		return tx.SetProviderSynced(ctx, p.ID, now)
	})
	if err != nil {
		return SyncResult{}, errs.E(op, errs.Other, "", err)
	}
	if l.Departments {
		if r.Departments, err = s.syncDepartments(ctx, p, want, paths, managed); err != nil {
			return r, err
		}
	}
	for _, m := range toMap {
		if err := s.mapDepartments(ctx, p, m.u, m.id); err != nil {
			return r, err
		}
	}
	s.log.Info("ldap sync", "org", p.Org, "provider", p.ID, "seen", r.Seen, "created", r.Created,
		"updated", r.Updated, "deactivated", r.Deactivated, "skipped", r.Skipped)
	return r, nil
}

// Sync runs a directory sync of one of the actor's organisation's LDAP
// providers now (admins only).
func (s *Service) Sync(ctx context.Context, actor account.Actor, id int64) (SyncResult, error) {
	p, err := s.Provider(ctx, actor, id)
	if err != nil {
		return SyncResult{}, err
	}
	return s.SyncLDAP(ctx, p)
}

// SyncDue syncs every enabled LDAP provider whose sync interval has passed
// since its last sync. One provider's failure is logged and does not stop
// the others.
func (s *Service) SyncDue(ctx context.Context) error {
	ps, err := s.store.Providers(ctx, 0)
	if err != nil {
		return errs.E("sso.SyncDue", errs.Other, "", err)
	}
	now := s.now()
	for _, p := range ps {
		iv := p.Settings.LDAP.SyncInterval
		if p.Kind != KindLDAP || !p.Enabled || iv <= 0 || now.Sub(p.SyncedAt) < iv {
			continue
		}
		if _, err := s.SyncLDAP(ctx, p); err != nil {
			s.log.Warn("scheduled ldap sync failed", "org", p.Org, "provider", p.ID, "err", err)
		}
	}
	return nil
}

// Run runs the scheduled directory syncs until ctx ends, checking once a
// minute which providers are due.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if err := s.SyncDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("ldap sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// TestResult is what a connection test found.
type TestResult struct {
	OK     bool
	Detail string // what was reached (the authorization endpoint, the number of user entries), or why not
}

// AuditProviderTested is a connection test. A test changes nothing, so only
// a refused one is recorded (outcome failure, by the transport).
const AuditProviderTested audit.Action = "sso.provider_test"

// TestConnection checks that a provider of the actor's organisation is
// reachable with its settings: OIDC discovery, or an LDAP bind and a user
// search (admins only). A provider that cannot be reached is a result
// (OK false, with the reason), not an error.
func (s *Service) TestConnection(ctx context.Context, actor account.Actor, id int64) (TestResult, error) {
	const op = "sso.TestConnection"
	p, err := s.Provider(ctx, actor, id)
	if err != nil {
		return TestResult{}, err
	}
	switch p.Kind {
	case KindOIDC:
		authURL, err := s.TestOIDC(ctx, p)
		if err != nil {
			return TestResult{Detail: errors.Unwrap(err).Error()}, nil
		}
		return TestResult{OK: true, Detail: "authorization endpoint " + authURL}, nil
	case KindLDAP:
		conn, err := s.dialLDAP(ctx, p)
		if err != nil {
			return TestResult{Detail: err.Error()}, nil
		}
		defer conn.Close()
		l := p.Settings.LDAP
		res, err := conn.Search(ldap.NewSearchRequest(l.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 1000,
			int(ldapTimeout/time.Second), false, l.UserFilter, []string{"dn"}, nil))
		if err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultSizeLimitExceeded) {
			return TestResult{Detail: "search: " + err.Error()}, nil
		}
		n := 0
		if res != nil {
			n = len(res.Entries)
		}
		return TestResult{OK: true, Detail: fmt.Sprintf("%d user entries found", n)}, nil
	case KindSAML:
		// Nothing to reach ahead of a sign-in: check that the metadata
		// names an entity and a redirect sign-on endpoint.
		sp, err := samlSP(op, p, "http://parley.invalid")
		if err != nil {
			return TestResult{Detail: "identity provider metadata is not valid"}, nil
		}
		loc := sp.GetSSOBindingLocation("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect")
		if loc == "" {
			return TestResult{Detail: "the metadata has no HTTP-Redirect single sign-on endpoint"}, nil
		}
		return TestResult{OK: true, Detail: "identity provider " + sp.IDPMetadata.EntityID + ", sign-on at " + loc}, nil
	}
	return TestResult{}, errs.New(op, errs.Invalid, "sso_kind_unsupported")
}
