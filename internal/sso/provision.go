package sso

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// signedIn is the audit entry of a sign-in through a provider.
func signedIn(u account.User, p Provider) audit.Entry {
	return audit.Entry{Org: u.Org, Actor: u.ID, Action: AuditSignedIn, TargetType: audit.TargetUser, TargetID: u.ID,
		Details: map[string]string{"method": string(p.Kind), "provider": strconv.FormatInt(p.ID, 10)}}
}

// roleFor maps an identity's groups and units to a role: the most powerful
// role among the matching rules, else the mapping's default.
func (m Mapping) roleFor(id Identity) account.Role {
	rank := map[account.Role]int{account.RoleGuest: 1, account.RoleMember: 2, account.RoleAdmin: 3}
	best := account.Role("")
	for _, r := range m.Rules {
		if matchesGroup(r.Group, id) && rank[r.Role] > rank[best] {
			best = r.Role
		}
	}
	if best == "" {
		best = m.DefaultRole
		if best == "" {
			best = account.RoleMember
		}
	}
	return best
}

// matchesGroup compares a rule's group with an identity's groups (by full
// name or DN, or by the DN's first RDN value) and units.
func matchesGroup(group string, id Identity) bool {
	for _, g := range id.Groups {
		if strings.EqualFold(g, group) || strings.EqualFold(rdnValue(g), group) {
			return true
		}
	}
	for _, u := range id.Units {
		if strings.EqualFold(u, group) {
			return true
		}
	}
	return false
}

// rdnValue returns "Engineering" for "cn=Engineering,ou=groups,dc=x".
func rdnValue(dn string) string {
	first, _, _ := strings.Cut(dn, ",")
	_, v, ok := strings.Cut(first, "=")
	if !ok {
		return dn
	}
	return v
}

// provision returns the user an identity asserted by p belongs to, creating
// them on their first login (just-in-time provisioning) and keeping their
// name and mapped role current. It fails with Unauthenticated
// "user_deactivated" for deactivated users and Conflict "sso_email_taken"
// when the e-mail belongs to an account the identity cannot be linked to.
// The sign-in is recorded in the audit trail as sso.login with the
// provider (the session it opens is recorded by auth), with the user's
// creation on first login. The mapping's department rules are applied
// once the user is stored.
func (s *Service) provision(ctx context.Context, op string, p Provider, id Identity) (account.User, error) {
	if id.Subject == "" || len(id.Subject) > 512 {
		return account.User{}, errs.New(op, errs.Unauthenticated, "sso_subject_missing")
	}
	var u account.User
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if u, _, err = s.provisionTx(ctx, tx, op, p, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, signedIn(u, p))
	})
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	// After the commit: the directory runs its own transactions.
	if err := s.mapDepartments(ctx, p, u, id); err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

// provisionTx is provision inside a transaction; created reports a new user.
func (s *Service) provisionTx(ctx context.Context, tx Tx, op string, p Provider, id Identity) (u account.User, created bool, err error) {
	u, err = tx.IdentityUser(ctx, p.ID, id.Subject)
	switch {
	case err == nil:
		if !u.Active {
			return account.User{}, false, errs.New(op, errs.Unauthenticated, "user_deactivated")
		}
		u, err = s.refreshUser(ctx, tx, p, u, id)
		return u, false, err
	case !errs.Is(err, errs.NotFound):
		return account.User{}, false, err
	}
	email, err := account.CleanEmail(op, id.Email)
	if err != nil {
		return account.User{}, false, errs.New(op, errs.Invalid, "sso_email_missing")
	}
	existing, err := tx.UserByEmail(ctx, email)
	switch {
	case err == nil:
		// Link an existing account only inside the provider's organisation
		// and only on an address the provider vouches for; anything else
		// would let an IdP user take over someone else's account.
		if existing.Org != p.Org || !id.EmailVerified {
			return account.User{}, false, errs.New(op, errs.Conflict, "sso_email_taken")
		}
		if !existing.Active {
			return account.User{}, false, errs.New(op, errs.Unauthenticated, "user_deactivated")
		}
		if err := tx.LinkIdentity(ctx, p.Org, p.ID, id.Subject, existing.ID, s.now()); err != nil {
			return account.User{}, false, err
		}
		u, err = s.refreshUser(ctx, tx, p, existing, id)
		return u, false, err
	case !errs.Is(err, errs.NotFound):
		return account.User{}, false, err
	}
	username, err := freeUsername(ctx, tx, op, p.Org, id, email)
	if err != nil {
		return account.User{}, false, err
	}
	name := cleanDisplayName(id.Name, username)
	u = account.User{Org: p.Org, Email: email, Username: username, DisplayName: name,
		Role: p.Settings.Mapping.roleFor(id), Active: true, CreatedAt: s.now()}
	// No password: Verify never matches an empty hash, so the account
	// signs in only through its provider.
	if u, err = tx.InsertUser(ctx, u, ""); err != nil {
		return account.User{}, false, err
	}
	if err := tx.LinkIdentity(ctx, p.Org, p.ID, id.Subject, u.ID, s.now()); err != nil {
		return account.User{}, false, err
	}
	s.log.Info("provisioned user", "org", p.Org, "provider", p.ID, "user", u.ID, "username", u.Username)
	if err := s.audit(ctx, tx, audit.Entry{Org: u.Org, Action: audit.UserCreated, TargetType: audit.TargetUser,
		TargetID: u.ID, Details: map[string]string{"provisioned_by": string(p.Kind), "provider": strconv.FormatInt(p.ID, 10),
			"email": u.Email, "role": string(u.Role)}}); err != nil {
		return account.User{}, false, err
	}
	return u, true, s.emitUser(ctx, tx, u)
}

// refreshUser keeps the display name and the mapped role in step with the
// provider. Owners keep their role whatever the provider says; roles are
// only changed when the mapping has rules, so that an admin's hand-made
// change survives a provider that sends no groups.
func (s *Service) refreshUser(ctx context.Context, tx Tx, p Provider, u account.User, id Identity) (account.User, error) {
	changed := false
	if id.Name != "" {
		if n := cleanDisplayName(id.Name, u.Username); n != u.DisplayName {
			u.DisplayName, changed = n, true
		}
	}
	if len(p.Settings.Mapping.Rules) > 0 && u.Role != account.RoleOwner && u.Role != account.RoleBot {
		if r := p.Settings.Mapping.roleFor(id); r != u.Role {
			if err := s.audit(ctx, tx, audit.Entry{Org: u.Org, Action: audit.RoleChanged, TargetType: audit.TargetUser,
				TargetID: u.ID, Details: map[string]string{"from": string(u.Role), "to": string(r),
					"provider": strconv.FormatInt(p.ID, 10)}}); err != nil {
				return account.User{}, err
			}
			u.Role, changed = r, true
		}
	}
	if !changed {
		return u, nil
	}
	if err := tx.UpdateUser(ctx, u); err != nil {
		return account.User{}, err
	}
	return u, s.emitUser(ctx, tx, u)
}

// emitUser announces a provisioned user as account does for its own changes:
// to members, to the user themself and to the guests who share a channel
// with them (not to other guests: they see only their channels' members),
// with what a plain member may see under the permission scheme, since the
// frame is shared by every recipient.
func (s *Service) emitUser(ctx context.Context, tx Tx, u account.User) error {
	sc, err := account.LoadScheme(ctx, tx, u.Org)
	if err != nil {
		return err
	}
	u = sc.Redact(account.Actor{Org: u.Org, Role: account.RoleMember}, u)
	return tx.Emit(ctx, event.Event{Org: u.Org, All: true, NoGuests: true, GuestPeers: true, User: u.ID, Type: "user.updated"}, func(seq int64) ([]byte, error) {
		return s.enc.EncodeEvent("user.updated", seq, u)
	})
}

// deactivate turns off a user the provider no longer has: every session
// and token is revoked and their streams closed, as account.SetActive does.
func (s *Service) deactivate(ctx context.Context, tx Tx, p Provider, u account.User) error {
	if err := s.audit(ctx, tx, audit.Entry{Org: u.Org, Action: audit.UserDeactivated, TargetType: audit.TargetUser,
		TargetID: u.ID, Details: map[string]string{"reason": "gone_from_directory", "provider": strconv.FormatInt(p.ID, 10)}}); err != nil {
		return err
	}
	u.Active = false
	if err := tx.UpdateUser(ctx, u); err != nil {
		return err
	}
	if err := tx.DeleteSessions(ctx, u.Org, u.ID); err != nil {
		return err
	}
	return s.emitRevoke(ctx, tx, u)
}

// emitRevoke closes a deactivated user's streams and tells everyone.
func (s *Service) emitRevoke(ctx context.Context, tx Tx, u account.User) error {
	if err := tx.Emit(ctx, event.Event{Org: u.Org, User: u.ID, Revoke: true, Type: "session.revoked"}, func(seq int64) ([]byte, error) {
		return s.enc.EncodeEvent("session.revoked", seq, nil)
	}); err != nil {
		return err
	}
	return s.emitUser(ctx, tx, u)
}

// freeUsername derives a username from the identity (preferred username,
// else the e-mail's local part), made valid and unique in the organisation.
func freeUsername(ctx context.Context, tx Tx, op string, org int64, id Identity, email string) (string, error) {
	base := id.Username
	if i := strings.IndexByte(base, '@'); i >= 0 {
		base = base[:i]
	}
	if base == "" {
		base, _, _ = strings.Cut(email, "@")
	}
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		switch {
		case (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			b.WriteRune(r)
		case r == '.' || r == '_' || r == '-':
			if b.Len() > 0 {
				b.WriteRune(r)
			}
		}
	}
	cand := b.String()
	if len(cand) > account.MaxUsernameLength-4 {
		cand = cand[:account.MaxUsernameLength-4]
	}
	for len(cand) < 2 {
		cand += "u"
	}
	for n := 1; n <= 100; n++ {
		name := cand
		if n > 1 {
			name = fmt.Sprintf("%s%d", cand, n)
		}
		if _, err := account.CleanUsername(op, name); err != nil {
			return "", err
		}
		taken, err := tx.UsernameTaken(ctx, org, name)
		if err != nil {
			return "", err
		}
		if !taken {
			return name, nil
		}
	}
	return "", errs.New(op, errs.Conflict, "username_taken")
}

func cleanDisplayName(name, fallback string) string {
	name = strings.Join(strings.Fields(name), " ")
	if n, err := account.CleanText("sso", "display_name", name, 1, account.MaxNameLen); err == nil {
		return n
	}
	return fallback
}
