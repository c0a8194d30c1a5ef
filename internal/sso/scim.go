package sso

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// SCIMToken is a bearer token an identity provider uses to provision an
// organisation's users over SCIM. Only the SHA-256 of the token is stored.
type SCIMToken struct {
	ID         int64
	Org        int64
	Name       string
	TokenHash  []byte
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// SCIMStore is what SCIM provisioning needs from persistence besides Store.
type SCIMStore interface {
	SCIMTokens(ctx context.Context, org int64) ([]SCIMToken, error)
	// SCIMTokenByHash finds a token by the hash of its value; NotFound.
	SCIMTokenByHash(ctx context.Context, hash []byte) (SCIMToken, error)
	// AllUsers lists every user of an organisation, by id.
	AllUsers(ctx context.Context, org int64) ([]account.User, error)
	User(ctx context.Context, org, id int64) (account.User, error)
	// UserDepartments lists the departments a user belongs to.
	UserDepartments(ctx context.Context, org, user int64) ([]account.Department, error)
	// SCIMGroupExternalIDs returns the externalId of every department of
	// the organisation that has one, by department id.
	SCIMGroupExternalIDs(ctx context.Context, org int64) (map[int64]string, error)
	// SCIMGroupExternalID returns a department's externalId, "" for none.
	SCIMGroupExternalID(ctx context.Context, org, dept int64) (string, error)
	// SCIMUserExternalIDs returns the externalId of every user of the
	// organisation that has one, by user id.
	SCIMUserExternalIDs(ctx context.Context, org int64) (map[int64]string, error)
	// SCIMUserExternalID returns a user's externalId, "" for none.
	SCIMUserExternalID(ctx context.Context, org, user int64) (string, error)
}

// SCIMTx holds the writes of SCIM provisioning.
type SCIMTx interface {
	InsertSCIMToken(ctx context.Context, t SCIMToken) (SCIMToken, error)
	DeleteSCIMToken(ctx context.Context, org, id int64) (bool, error)
	// TouchSCIMToken records when a token was last used.
	TouchSCIMToken(ctx context.Context, org, id int64, at time.Time) error
	// SetSCIMGroupExternalID sets a department's externalId; "" removes it.
	SetSCIMGroupExternalID(ctx context.Context, org, dept int64, ext string) error
	// SetSCIMUserExternalID sets a user's externalId; "" removes it.
	SetSCIMUserExternalID(ctx context.Context, org, user int64, ext string) error
	User(ctx context.Context, org, id int64) (account.User, error)
}

// Audit actions of SCIM.
const (
	AuditSCIMTokenCreated audit.Action = "scim.token_create"
	AuditSCIMTokenDeleted audit.Action = "scim.token_delete"
	// TargetSCIMToken is a SCIM token as an audit target.
	TargetSCIMToken audit.TargetType = "scim_token"
)

// CreateSCIMToken makes a new SCIM token for the actor's organisation and
// returns it with its value, which is shown only this once (admins only).
func (s *Service) CreateSCIMToken(ctx context.Context, actor account.Actor, name string) (SCIMToken, string, error) {
	const op = "sso.CreateSCIMToken"
	if !actor.IsAdmin() {
		return SCIMToken{}, "", errs.New(op, errs.Permission, "admin_required")
	}
	name, err := account.CleanText(op, "token_name", name, 1, maxNameLen)
	if err != nil {
		return SCIMToken{}, "", err
	}
	value := "scim_" + randomString(32)
	t := SCIMToken{Org: actor.Org, Name: name, TokenHash: hashString(value), CreatedAt: s.now()}
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		if t, err = tx.InsertSCIMToken(ctx, t); err != nil {
			return err
		}
		return s.audit(ctx, tx, audit.Entry{Org: actor.Org, Actor: actor.User, Action: AuditSCIMTokenCreated,
			TargetType: TargetSCIMToken, TargetID: t.ID, Details: map[string]string{"name": name}})
	})
	if err != nil {
		return SCIMToken{}, "", errs.E(op, errs.Other, "", err)
	}
	return t, value, nil
}

// SCIMTokens lists the actor's organisation's SCIM tokens (admins only).
func (s *Service) SCIMTokens(ctx context.Context, actor account.Actor) ([]SCIMToken, error) {
	const op = "sso.SCIMTokens"
	if !actor.IsAdmin() {
		return nil, errs.New(op, errs.Permission, "admin_required")
	}
	ts, err := s.store.SCIMTokens(ctx, actor.Org)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return ts, nil
}

// DeleteSCIMToken revokes a SCIM token (admins only).
func (s *Service) DeleteSCIMToken(ctx context.Context, actor account.Actor, id int64) error {
	const op = "sso.DeleteSCIMToken"
	if !actor.IsAdmin() {
		return errs.New(op, errs.Permission, "admin_required")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		ok, err := tx.DeleteSCIMToken(ctx, actor.Org, id)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(op, errs.NotFound, "scim_token_not_found")
		}
		return s.audit(ctx, tx, audit.Entry{Org: actor.Org, Actor: actor.User, Action: AuditSCIMTokenDeleted,
			TargetType: TargetSCIMToken, TargetID: id})
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// SCIMClient is an authenticated SCIM caller: the organisation its token
// provisions.
type SCIMClient struct {
	Org   int64
	Token int64
}

// AuthenticateSCIM turns a bearer token into the organisation it belongs
// to; Unauthenticated for anything else.
func (s *Service) AuthenticateSCIM(ctx context.Context, token string) (SCIMClient, error) {
	const op = "sso.AuthenticateSCIM"
	if !strings.HasPrefix(token, "scim_") || len(token) > 128 {
		return SCIMClient{}, errs.New(op, errs.Unauthenticated, "unauthenticated")
	}
	t, err := s.store.SCIMTokenByHash(ctx, hashString(token))
	if errs.Is(err, errs.NotFound) {
		return SCIMClient{}, errs.New(op, errs.Unauthenticated, "unauthenticated")
	}
	if err != nil {
		return SCIMClient{}, errs.E(op, errs.Other, "", err)
	}
	if now := s.now(); now.Sub(t.LastUsedAt) >= scimTouchEvery {
		// At most one write a minute per token: a provisioning run sends
		// thousands of requests, and "last used" needs no finer grain.
		// A failure to record it must not refuse the request.
		if err := s.store.Update(ctx, func(tx Tx) error { return tx.TouchSCIMToken(ctx, t.Org, t.ID, now) }); err != nil {
			s.log.Warn("record scim token use", "token", t.ID, "err", err)
		}
	}
	return SCIMClient{Org: t.Org, Token: t.ID}, nil
}

// scimTouchEvery is the grain of a SCIM token's last-used time.
const scimTouchEvery = time.Minute

// SCIMUsers lists every user of the client's organisation (the transport
// filters and pages them).
func (s *Service) SCIMUsers(ctx context.Context, c SCIMClient) ([]account.User, error) {
	us, err := s.store.AllUsers(ctx, c.Org)
	if err != nil {
		return nil, errs.E("sso.SCIMUsers", errs.Other, "", err)
	}
	return us, nil
}

// SCIMUser returns one user of the client's organisation; NotFound for
// users of other organisations.
func (s *Service) SCIMUser(ctx context.Context, c SCIMClient, id int64) (account.User, error) {
	u, err := s.store.User(ctx, c.Org, id)
	if err != nil {
		return account.User{}, errs.E("sso.SCIMUser", errs.Other, "", err)
	}
	return u, nil
}

// SCIMUserExternalIDs returns the externalId of every user of the client's
// organisation that has one, by user id.
func (s *Service) SCIMUserExternalIDs(ctx context.Context, c SCIMClient) (map[int64]string, error) {
	m, err := s.store.SCIMUserExternalIDs(ctx, c.Org)
	if err != nil {
		return nil, errs.E("sso.SCIMUserExternalIDs", errs.Other, "", err)
	}
	return m, nil
}

// SCIMUserExternalID returns a user's externalId, "" for none.
func (s *Service) SCIMUserExternalID(ctx context.Context, c SCIMClient, user int64) (string, error) {
	ext, err := s.store.SCIMUserExternalID(ctx, c.Org, user)
	if err != nil {
		return "", errs.E("sso.SCIMUserExternalID", errs.Other, "", err)
	}
	return ext, nil
}

// SCIMProfile is the directory part of a SCIM User (RFC 7643 4.1.2 and the
// enterprise extension, 4.3): work phone, title, employee number and
// manager, kept in the user's directory profile; nil fields stay, ""
// (manager 0) clears.
type SCIMProfile struct {
	Phone, Title, EmployeeNo *string
	Manager                  *int64
}

// apply checks the profile as the directory does (account's limits and
// manager rules) and sets it on u; it reports whether anything changed.
func (p SCIMProfile) apply(ctx context.Context, tx Tx, op string, u *account.User) (bool, error) {
	before := *u
	var err error
	if p.Title != nil {
		if u.Title, err = account.CleanText(op, "title", *p.Title, 0, account.MaxTitleLen); err != nil {
			return false, err
		}
	}
	if p.EmployeeNo != nil {
		if u.EmployeeNo, err = account.CleanText(op, "employee_no", *p.EmployeeNo, 0, account.MaxEmployeeNoLen); err != nil {
			return false, err
		}
	}
	if p.Phone != nil {
		if u.Phone, err = account.CleanPhone(op, *p.Phone); err != nil {
			return false, err
		}
	}
	if p.Manager != nil && *p.Manager != u.Manager {
		if err := account.CheckManager(ctx, tx, op, *u, *p.Manager); err != nil {
			// A manager who is not a user of the organisation is a bad
			// reference in the request, not a missing resource.
			if errs.Is(err, errs.NotFound) {
				return false, errs.New(op, errs.Invalid, "manager_invalid")
			}
			return false, err
		}
		u.Manager = *p.Manager
	}
	return u.Title != before.Title || u.EmployeeNo != before.EmployeeNo || u.Phone != before.Phone || u.Manager != before.Manager, nil
}

// SCIMUserInput is a user as an identity provider pushes it.
type SCIMUserInput struct {
	UserName    string // the login: an e-mail address
	Email       string // "" means UserName
	DisplayName string
	Active      bool
	// ExternalID is the provider's own id of the user (RFC 7643 3.1), ""
	// for none: opaque, compared case-sensitively.
	ExternalID string
	Profile    SCIMProfile
}

// SCIMCreateUser provisions a user pushed by the identity provider. The
// user has no password (they sign in through SSO). Conflict
// "email_taken" when the address is in use.
func (s *Service) SCIMCreateUser(ctx context.Context, c SCIMClient, in SCIMUserInput) (account.User, error) {
	const op = "sso.SCIMCreateUser"
	email := in.Email
	if email == "" {
		email = in.UserName
	}
	email, err := account.CleanEmail(op, email)
	if err != nil {
		return account.User{}, err
	}
	if err := checkExternalID(op, in.ExternalID); err != nil {
		return account.User{}, err
	}
	var u account.User
	err = s.store.Update(ctx, func(tx Tx) error {
		if _, err := tx.UserByEmail(ctx, email); err == nil {
			return errs.New(op, errs.Conflict, "email_taken")
		} else if !errs.Is(err, errs.NotFound) {
			return err
		}
		username, err := freeUsername(ctx, tx, op, c.Org, Identity{Username: in.UserName}, email)
		if err != nil {
			return err
		}
		u = account.User{Org: c.Org, Email: email, Username: username, DisplayName: cleanDisplayName(in.DisplayName, username),
			Role: account.RoleMember, Active: true, CreatedAt: s.now()}
		if _, err := in.Profile.apply(ctx, tx, op, &u); err != nil {
			return err
		}
		if u, err = tx.InsertUser(ctx, u, ""); err != nil {
			return err
		}
		if err := tx.SetSCIMUserExternalID(ctx, c.Org, u.ID, in.ExternalID); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, audit.Entry{Org: c.Org, Action: audit.UserCreated, TargetType: audit.TargetUser,
			TargetID: u.ID, Details: map[string]string{"provisioned_by": "scim", "scim_token": strconv.FormatInt(c.Token, 10),
				"email": u.Email}}); err != nil {
			return err
		}
		if err := s.emitUser(ctx, tx, u); err != nil {
			return err
		}
		if !in.Active {
			return s.setActive(ctx, tx, c, &u, false)
		}
		return nil
	})
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

// SCIMUserPatch changes a provisioned user; nil fields stay. ExternalID ""
// removes the externalId.
type SCIMUserPatch struct {
	DisplayName *string
	Active      *bool
	ExternalID  *string
	SCIMProfile
}

// SCIMUpdateUser changes a user's display name, externalId, directory
// profile or active state. Deactivation revokes every session and token at
// once. Owners cannot be changed over SCIM (Permission "owner_required").
func (s *Service) SCIMUpdateUser(ctx context.Context, c SCIMClient, id int64, p SCIMUserPatch) (account.User, error) {
	const op = "sso.SCIMUpdateUser"
	if p.ExternalID != nil {
		if err := checkExternalID(op, *p.ExternalID); err != nil {
			return account.User{}, err
		}
	}
	var u account.User
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, c.Org, id); err != nil {
			return err
		}
		if u.Role == account.RoleOwner {
			return errs.New(op, errs.Permission, "owner_required")
		}
		changed := false
		if p.DisplayName != nil {
			name, err := account.CleanText(op, "display_name", *p.DisplayName, 1, account.MaxNameLen)
			if err != nil {
				return err
			}
			if name != u.DisplayName {
				u.DisplayName, changed = name, true
			}
		}
		profile, err := p.SCIMProfile.apply(ctx, tx, op, &u)
		if err != nil {
			return err
		}
		changed = changed || profile
		if p.ExternalID != nil {
			if err := tx.SetSCIMUserExternalID(ctx, c.Org, u.ID, *p.ExternalID); err != nil {
				return err
			}
		}
		if p.Active != nil && *p.Active != u.Active {
			if changed {
				if err := tx.UpdateUser(ctx, u); err != nil {
					return err
				}
			}
			return s.setActive(ctx, tx, c, &u, *p.Active)
		}
		if !changed {
			return nil
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.emitUser(ctx, tx, u)
	})
	if err != nil {
		return account.User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

func (s *Service) setActive(ctx context.Context, tx Tx, c SCIMClient, u *account.User, active bool) error {
	d := map[string]string{"provisioned_by": "scim", "scim_token": strconv.FormatInt(c.Token, 10)}
	if !active {
		if err := s.audit(ctx, tx, audit.Entry{Org: u.Org, Action: audit.UserDeactivated, TargetType: audit.TargetUser,
			TargetID: u.ID, Details: d}); err != nil {
			return err
		}
		u.Active = false
		if err := tx.UpdateUser(ctx, *u); err != nil {
			return err
		}
		if err := tx.DeleteSessions(ctx, u.Org, u.ID); err != nil {
			return err
		}
		return s.emitRevoke(ctx, tx, *u)
	}
	if err := s.audit(ctx, tx, audit.Entry{Org: u.Org, Action: audit.UserReactivated, TargetType: audit.TargetUser,
		TargetID: u.ID, Details: d}); err != nil {
		return err
	}
	u.Active = true
	if err := tx.UpdateUser(ctx, *u); err != nil {
		return err
	}
	return s.emitUser(ctx, tx, *u)
}
