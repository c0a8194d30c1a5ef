package account

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Store is what the account service needs from persistence.
// Reads return errs.NotFound for missing rows.
type Store interface {
	Reader
	// Update runs fn in one durable transaction; Conflict on unique violations.
	Update(ctx context.Context, fn func(tx Tx) error) error
}

// Reader holds the queries the service uses inside and outside transactions.
type Reader interface {
	OrgCount(ctx context.Context) (int, error)
	Org(ctx context.Context, id int64) (Org, error)
	User(ctx context.Context, org, id int64) (User, error)
	Users(ctx context.Context, org int64, ids []int64) ([]User, error)
	ListUsers(ctx context.Context, org int64, query string, afterID int64, limit int) ([]User, error)

	// Department returns NotFound "department_not_found".
	Department(ctx context.Context, org, id int64) (Department, error)
	// Departments returns the whole tree ordered by path depth, parent,
	// sort order and name.
	Departments(ctx context.Context, org int64) ([]Department, error)
	DepartmentCount(ctx context.Context, org int64) (int, error)
	// SubtreeSize counts the departments whose path starts with path;
	// SubtreeDepth is the largest depth among them.
	SubtreeSize(ctx context.Context, org int64, path string) (int, error)
	SubtreeDepth(ctx context.Context, org int64, path string) (int, error)
	// DepartmentMembers lists d's members, or with subtree those of every
	// department below d too (each user once, d's heads first).
	DepartmentMembers(ctx context.Context, org int64, d Department, subtree bool) ([]DepartmentMember, error)
	// UserDepartments lists the departments the user belongs to.
	UserDepartments(ctx context.Context, org, user int64) ([]Department, error)
	DepartmentAdmins(ctx context.Context, org, dept int64) ([]int64, error)
	// AdminScopes lists the departments whose subtrees the user administers.
	AdminScopes(ctx context.Context, org, user int64) ([]Department, error)
	// HeadedDepartments lists the ids of the departments the user heads.
	HeadedDepartments(ctx context.Context, org, user int64) ([]int64, error)

	// SearchUsers finds active users by name, username, e-mail, phone,
	// employee number or pinyin (query lower-cased); only among the ids
	// given when only is non-nil.
	SearchUsers(ctx context.Context, org int64, query string, only []int64, limit int) ([]User, error)
	// ChannelPeers lists the users sharing a channel or DM with user.
	ChannelPeers(ctx context.Context, org, user int64) ([]int64, error)

	ProfileFields(ctx context.Context, org int64) ([]ProfileField, error)
	// ProfileValues returns a user's custom field values by field id.
	ProfileValues(ctx context.Context, org, user int64) (map[int64]string, error)
	// PermissionValues returns the organisation's stored scheme settings.
	PermissionValues(ctx context.Context, org int64) (map[string]string, error)
	UsersByUsername(ctx context.Context, org int64, usernames []string) ([]User, error)

	Groups(ctx context.Context, org int64) ([]Group, error)
	// Group returns NotFound "group_not_found".
	Group(ctx context.Context, org, id int64) (Group, error)
	GroupMembers(ctx context.Context, org, id int64) ([]int64, error)

	// Invitations lists an organisation's invitations, newest first.
	Invitations(ctx context.Context, org int64) ([]Invitation, error)
	// Invitation and InvitationByToken return NotFound "invite_not_found".
	Invitation(ctx context.Context, org, id int64) (Invitation, error)
	InvitationByToken(ctx context.Context, hash []byte) (Invitation, error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	InsertOrg(ctx context.Context, o Org) (Org, error)
	UpdateOrg(ctx context.Context, o Org) error
	// InsertUser returns Conflict with code email_taken or username_taken.
	InsertUser(ctx context.Context, u User, passwordHash string) (User, error)
	UpdateUser(ctx context.Context, u User) error
	// InsertDepartment stores d with Path set to its parent's path ("" at
	// the top) and returns it with its id and full path. Conflict
	// "department_name_taken" when a sibling has the same name.
	InsertDepartment(ctx context.Context, d Department) (Department, error)
	// UpdateDepartment saves name, order, parent and path.
	UpdateDepartment(ctx context.Context, d Department) error
	// MoveSubtree replaces the prefix oldPath by newPath in every path of
	// the subtree.
	MoveSubtree(ctx context.Context, org int64, oldPath, newPath string) error
	DeleteDepartment(ctx context.Context, org, id int64) error
	// PutDepartmentMember adds the membership or updates its head flag and
	// order.
	PutDepartmentMember(ctx context.Context, m DepartmentMember) error
	RemoveDepartmentMember(ctx context.Context, org, dept, user int64) (bool, error)
	AddDepartmentAdmin(ctx context.Context, org, dept, user int64) error
	RemoveDepartmentAdmin(ctx context.Context, org, dept, user int64) (bool, error)
	// InsertGroup returns Conflict "group_handle_taken" for a duplicate.
	InsertGroup(ctx context.Context, g Group) (Group, error)
	UpdateGroup(ctx context.Context, g Group) error
	DeleteGroup(ctx context.Context, org, id int64) error
	AddGroupMember(ctx context.Context, org, group, user int64) error
	RemoveGroupMember(ctx context.Context, org, group, user int64) (bool, error)
	// SetPermissionValues stores the scheme settings.
	SetPermissionValues(ctx context.Context, org int64, values map[string]string) error
	// InsertProfileField returns Conflict "profile_field_taken" for a
	// duplicate name.
	InsertProfileField(ctx context.Context, f ProfileField) (ProfileField, error)
	UpdateProfileField(ctx context.Context, f ProfileField) error
	// DeleteProfileField deletes the field and its values; false when absent.
	DeleteProfileField(ctx context.Context, org, id int64) (bool, error)
	// SetProfileValue stores a user's value of a field; "" deletes it.
	SetProfileValue(ctx context.Context, org, user, field int64, value string) error
	InsertInvitation(ctx context.Context, inv Invitation) (Invitation, error)
	RevokeInvitation(ctx context.Context, org, id int64, at time.Time) error
	// UseInvitation spends one use of an unrevoked invitation; false when
	// none is left.
	UseInvitation(ctx context.Context, org, id int64) (bool, error)
	// DeleteSessions revokes every session and token of the user.
	DeleteSessions(ctx context.Context, org, user int64) error
	// Emit allocates the organisation's next event sequence, renders the frame
	// and stores the event; it is published after commit.
	Emit(ctx context.Context, ev event.Event, render func(seq int64) ([]byte, error)) error
	// InsertAudit appends to the audit trail in the same transaction.
	InsertAudit(ctx context.Context, e audit.Entry) error
}

// Encoder renders event payloads in the public wire format.
type Encoder interface {
	EncodeEvent(typ string, seq int64, payload any) ([]byte, error)
}

// Hasher turns a password into a storable hash, after checking it against
// the organisation's password policy (auth.Service).
type Hasher interface {
	Hash(password string) (string, error)
	// CheckPassword returns Invalid with a stable code when password breaks
	// org's policy for user u (org 0: a new organisation, the default).
	CheckPassword(ctx context.Context, org int64, password string, u User) error
}

// DepartmentFollower brings state that follows department membership
// (department channels) up to date inside the transaction that changed it:
// for the given users, or for every bound department when users is empty.
type DepartmentFollower func(ctx context.Context, tx Tx, org int64, users []int64) error

// Service manages organisations, users and the directory.
type Service struct {
	store  Store
	enc    Encoder
	hasher Hasher
	now    func() time.Time
	follow DepartmentFollower
	mailer Mailer // nil: no SMTP server configured
}

// SetDepartmentFollower installs the follower; the composition root calls it
// once, before the service is used.
func (s *Service) SetDepartmentFollower(f DepartmentFollower) { s.follow = f }

// NewService returns an account service.
func NewService(st Store, enc Encoder, h Hasher, now func() time.Time) *Service {
	return &Service{store: st, enc: enc, hasher: h, now: now}
}

// BootstrapInput creates the first organisation and its owner.
type BootstrapInput struct {
	OrgName     string
	Email       string
	Username    string
	DisplayName string
	Password    string
	Locale      string
}

// NeedsSetup reports whether no organisation exists yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.OrgCount(ctx)
	if err != nil {
		return false, errs.E("account.NeedsSetup", errs.Unavailable, "", err)
	}
	return n == 0, nil
}

// Bootstrap creates the first organisation and its owner. It fails with
// Conflict "already_set_up" when any organisation exists (private
// deployment); CreateOrg is the SaaS path.
func (s *Service) Bootstrap(ctx context.Context, in BootstrapInput) (Org, User, error) {
	const op = "account.Bootstrap"
	return s.createOrg(ctx, op, in, true)
}

// CreateOrg creates another organisation with its owner (SaaS mode).
func (s *Service) CreateOrg(ctx context.Context, in BootstrapInput) (Org, User, error) {
	return s.createOrg(ctx, "account.CreateOrg", in, false)
}

func (s *Service) createOrg(ctx context.Context, op string, in BootstrapInput, first bool) (Org, User, error) {
	name, err := CleanText(op, "org_name", in.OrgName, 1, MaxNameLen)
	if err != nil {
		return Org{}, User{}, err
	}
	owner, hash, err := s.newUser(ctx, op, 0, NewUserInput{Email: in.Email, Username: in.Username,
		DisplayName: in.DisplayName, Password: in.Password, Role: RoleOwner, Locale: in.Locale})
	if err != nil {
		return Org{}, User{}, err
	}
	var org Org
	err = s.store.Update(ctx, func(tx Tx) error {
		if first {
			n, err := tx.OrgCount(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return errs.New(op, errs.Conflict, "already_set_up")
			}
		}
		org, err = tx.InsertOrg(ctx, Org{Name: name, RecallWindow: DefaultRecallWindow,
			ReceiptMaxMembers: DefaultReceiptMaxMembers, LinkPreviews: true, FileMaxBytes: DefaultFileMaxBytes,
			FileQuotaBytes: DefaultFileQuotaBytes, CreatedAt: s.now()})
		if err != nil {
			return err
		}
		owner.Org = org.ID
		owner, err = tx.InsertUser(ctx, owner, hash)
		return err
	})
	if err != nil {
		return Org{}, User{}, errs.E(op, errs.Other, "", err)
	}
	return org, owner, nil
}

// NewUserInput describes a user an administrator creates.
type NewUserInput struct {
	Email, Username, DisplayName, Password string
	Role                                   Role
	Locale                                 string
}

func (s *Service) newUser(ctx context.Context, op string, org int64, in NewUserInput) (User, string, error) {
	var u User
	var err error
	if u.Email, err = CleanEmail(op, in.Email); err != nil {
		return u, "", err
	}
	if u.Username, err = CleanUsername(op, in.Username); err != nil {
		return u, "", err
	}
	if in.DisplayName == "" {
		in.DisplayName = u.Username
	}
	if u.DisplayName, err = CleanText(op, "display_name", in.DisplayName, 1, MaxNameLen); err != nil {
		return u, "", err
	}
	if u.Locale, err = CleanLocale(op, in.Locale); err != nil {
		return u, "", err
	}
	if !in.Role.Valid() {
		return u, "", errs.New(op, errs.Invalid, "role_invalid")
	}
	u.Role = in.Role
	if err := CheckPassword(op, in.Password); err != nil {
		return u, "", err
	}
	if err := s.hasher.CheckPassword(ctx, org, in.Password, u); err != nil {
		return u, "", err
	}
	hash, err := s.hasher.Hash(in.Password)
	if err != nil {
		return u, "", errs.E(op, errs.Internal, "", err)
	}
	u.Active = true
	u.CreatedAt = s.now()
	return u, hash, nil
}

// CreateUser adds a user to the actor's organisation. Admins only; only the
// owner may create another owner.
func (s *Service) CreateUser(ctx context.Context, actor Actor, in NewUserInput) (User, error) {
	const op = "account.CreateUser"
	if in.Role == RoleBot && !actor.IsAdmin() {
		sc, err := LoadScheme(ctx, s.store, actor.Org)
		if err != nil {
			return User{}, errs.E(op, errs.Other, "", err)
		}
		if !sc.CreateBots.Allows(actor, false) {
			return User{}, errs.New(op, errs.Permission, "bot_create_not_allowed")
		}
	} else if !actor.IsAdmin() || (in.Role == RoleOwner && actor.Role != RoleOwner) {
		return User{}, errs.New(op, errs.Permission, "admin_required")
	}
	u, hash, err := s.newUser(ctx, op, actor.Org, in)
	if err != nil {
		return User{}, err
	}
	u.Org = actor.Org
	err = s.store.Update(ctx, func(tx Tx) error {
		u, err = tx.InsertUser(ctx, u, hash)
		if err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, audit.UserCreated, u.ID, map[string]string{"role": string(u.Role), "email": u.Email}); err != nil {
			return err
		}
		return s.emitUser(ctx, tx, u)
	})
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

// audit records an action of actor on a user (or, with target 0, on the
// organisation) in the transaction that makes it.
func (s *Service) audit(ctx context.Context, tx Tx, actor Actor, action audit.Action, target int64, details map[string]string) error {
	e := audit.Entry{Org: actor.Org, Actor: actor.User, Action: action, TargetType: audit.TargetUser, TargetID: target,
		Outcome: audit.Success, Details: details}
	if target == 0 {
		e.TargetType, e.TargetID = audit.TargetOrg, actor.Org
	}
	return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), e))
}

// emitUser announces a user change to the organisation: to every member, to
// the user, and to the guests who share a channel with the user (the only
// people a guest sees; the stream keeps each guest's set, ADR 0017). The
// frame is shared by every recipient, so it carries what a plain member may
// see under the scheme; admins read hidden fields through the API.
func (s *Service) emitUser(ctx context.Context, tx Tx, u User) error {
	sc, err := LoadScheme(ctx, tx, u.Org)
	if err != nil {
		return err
	}
	u = sc.Redact(Actor{Org: u.Org, Role: RoleMember}, u)
	return tx.Emit(ctx, event.Event{Org: u.Org, All: true, NoGuests: true, GuestPeers: true, User: u.ID, Type: "user.updated"}, func(seq int64) ([]byte, error) {
		return s.enc.EncodeEvent("user.updated", seq, u)
	})
}

// User returns a user of the actor's organisation, as the actor may see
// them: guests see only the members of their channels, and e-mail and phone
// follow the scheme.
func (s *Service) User(ctx context.Context, actor Actor, id int64) (User, error) {
	const op = "account.User"
	u, err := s.visibleUser(ctx, op, actor, id)
	if err != nil {
		return User{}, err
	}
	return s.redact(ctx, op, actor, u)
}

func (s *Service) redact(ctx context.Context, op string, actor Actor, us ...User) (User, error) {
	sc, err := LoadScheme(ctx, s.store, actor.Org)
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	for i := range us {
		us[i] = sc.Redact(actor, us[i])
	}
	if len(us) == 0 {
		return User{}, nil
	}
	return us[0], nil
}

// Users returns the users with the given ids in the actor's organisation,
// skipping unknown ids (and, for guests, users outside their channels).
func (s *Service) Users(ctx context.Context, actor Actor, ids []int64) ([]User, error) {
	const op = "account.Users"
	only, err := s.visibleUsers(ctx, s.store, actor)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	if only != nil {
		only = append(only, actor.User)
		ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { return !slices.Contains(only, id) })
	}
	us, err := s.store.Users(ctx, actor.Org, ids)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	if _, err := s.redact(ctx, op, actor, us...); err != nil {
		return nil, err
	}
	return us, nil
}

// ListUsers pages through the organisation's directory, filtered by query
// (a prefix of username, display name or email).
func (s *Service) ListUsers(ctx context.Context, actor Actor, query string, afterID int64, limit int) ([]User, error) {
	const op = "account.ListUsers"
	q, err := CleanText(op, "query", query, 0, MaxNameLen)
	if err != nil {
		return nil, err
	}
	only, err := s.visibleUsers(ctx, s.store, actor)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	var us []User
	if only != nil {
		// A guest pages through their channel peers only.
		only = append(only, actor.User)
		all, err := s.store.Users(ctx, actor.Org, only)
		if err != nil {
			return nil, errs.E(op, errs.Other, "", err)
		}
		lq := strings.ToLower(q)
		us = []User{}
		for _, u := range all {
			if u.ID > afterID && len(us) < limit && (strings.HasPrefix(u.Username, lq) ||
				strings.HasPrefix(strings.ToLower(u.DisplayName), lq) || strings.HasPrefix(u.Email, lq)) {
				us = append(us, u)
			}
		}
	} else if us, err = s.store.ListUsers(ctx, actor.Org, q, afterID, limit); err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	if _, err := s.redact(ctx, op, actor, us...); err != nil {
		return nil, err
	}
	return us, nil
}

// Org returns the actor's organisation.
func (s *Service) Org(ctx context.Context, actor Actor) (Org, error) {
	o, err := s.store.Org(ctx, actor.Org)
	if err != nil {
		return Org{}, errs.E("account.Org", errs.Other, "", err)
	}
	return o, nil
}

// OrgPatch changes organisation settings; nil fields stay as they are.
type OrgPatch struct {
	Name              *string
	RecallWindow      *time.Duration
	ReceiptMaxMembers *int
	LinkPreviews      *bool
	FileMaxBytes      *int64
	FileQuotaBytes    *int64
}

// UpdateOrg changes organisation settings (admins only).
func (s *Service) UpdateOrg(ctx context.Context, actor Actor, p OrgPatch) (Org, error) {
	const op = "account.UpdateOrg"
	if !actor.IsAdmin() {
		return Org{}, errs.New(op, errs.Permission, "admin_required")
	}
	var o Org
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.Org(ctx, actor.Org); err != nil {
			return err
		}
		old := o
		if p.Name != nil {
			if o.Name, err = CleanText(op, "org_name", *p.Name, 1, MaxNameLen); err != nil {
				return err
			}
		}
		if p.RecallWindow != nil {
			if *p.RecallWindow < 0 || *p.RecallWindow > 365*24*time.Hour {
				return errs.New(op, errs.Invalid, "recall_window_invalid")
			}
			o.RecallWindow = *p.RecallWindow
		}
		if p.ReceiptMaxMembers != nil {
			if *p.ReceiptMaxMembers < 2 || *p.ReceiptMaxMembers > 10000 {
				return errs.New(op, errs.Invalid, "receipt_max_members_invalid")
			}
			o.ReceiptMaxMembers = *p.ReceiptMaxMembers
		}
		if p.LinkPreviews != nil {
			o.LinkPreviews = *p.LinkPreviews
		}
		if p.FileMaxBytes != nil {
			if *p.FileMaxBytes < 1 || *p.FileMaxBytes > MaxFileMaxBytes {
				return errs.New(op, errs.Invalid, "file_max_bytes_invalid").With("max", int64(MaxFileMaxBytes))
			}
			o.FileMaxBytes = *p.FileMaxBytes
		}
		if p.FileQuotaBytes != nil {
			if *p.FileQuotaBytes < 0 || *p.FileQuotaBytes > MaxFileQuotaBytes {
				return errs.New(op, errs.Invalid, "file_quota_bytes_invalid")
			}
			o.FileQuotaBytes = *p.FileQuotaBytes
		}
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, audit.OrgUpdated, 0, orgChanges(old, o)); err != nil {
			return err
		}
		return tx.Emit(ctx, event.Event{Org: o.ID, All: true, Type: "org.updated"}, func(seq int64) ([]byte, error) {
			return s.enc.EncodeEvent("org.updated", seq, o)
		})
	})
	if err != nil {
		return Org{}, errs.E(op, errs.Other, "", err)
	}
	return o, nil
}

// orgChanges describes what changed between two versions of the settings,
// for the audit trail, as "old → new".
func orgChanges(old, o Org) map[string]string {
	d := map[string]string{}
	if old.Name != o.Name {
		d["name"] = old.Name + " → " + o.Name
	}
	if old.RecallWindow != o.RecallWindow {
		d["recall_window"] = old.RecallWindow.String() + " → " + o.RecallWindow.String()
	}
	if old.ReceiptMaxMembers != o.ReceiptMaxMembers {
		d["receipt_max_members"] = strconv.Itoa(old.ReceiptMaxMembers) + " → " + strconv.Itoa(o.ReceiptMaxMembers)
	}
	if old.FileMaxBytes != o.FileMaxBytes {
		d["file_max_bytes"] = strconv.FormatInt(old.FileMaxBytes, 10) + " → " + strconv.FormatInt(o.FileMaxBytes, 10)
	}
	if old.FileQuotaBytes != o.FileQuotaBytes {
		d["file_quota_bytes"] = strconv.FormatInt(old.FileQuotaBytes, 10) + " → " + strconv.FormatInt(o.FileQuotaBytes, 10)
	}
	return d
}

// ProfilePatch changes the actor's own profile; nil fields stay.
type ProfilePatch struct {
	DisplayName, AvatarURL, Locale, TimeZone, StatusText *string
}

// UpdateProfile changes the actor's own profile.
func (s *Service) UpdateProfile(ctx context.Context, actor Actor, p ProfilePatch) (User, error) {
	const op = "account.UpdateProfile"
	var u User
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, actor.Org, actor.User); err != nil {
			return err
		}
		if p.DisplayName != nil {
			if u.DisplayName, err = CleanText(op, "display_name", *p.DisplayName, 1, MaxNameLen); err != nil {
				return err
			}
		}
		if p.AvatarURL != nil {
			if u.AvatarURL, err = CleanURL(op, "avatar_url", *p.AvatarURL); err != nil {
				return err
			}
		}
		if p.Locale != nil {
			if u.Locale, err = CleanLocale(op, *p.Locale); err != nil {
				return err
			}
		}
		if p.TimeZone != nil {
			if u.TimeZone, err = CleanTimeZone(op, *p.TimeZone); err != nil {
				return err
			}
		}
		if p.StatusText != nil {
			if u.StatusText, err = CleanText(op, "status_text", *p.StatusText, 0, MaxStatusLen); err != nil {
				return err
			}
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		return s.emitUser(ctx, tx, u)
	})
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

// SetRole changes a user's organisation role (admins only): to admin,
// member or guest, or to owner by the owner. Only the owner may change the
// owner's role; nobody changes their own. Department admins are appointed
// on departments, not here (Invalid "role_not_assignable"). Demotion to
// guest ends the user's sessions, so that nothing opened with a member's
// view stays open.
func (s *Service) SetRole(ctx context.Context, actor Actor, id int64, role Role) (User, error) {
	const op = "account.SetRole"
	if !actor.IsAdmin() {
		return User{}, errs.New(op, errs.Permission, "admin_required")
	}
	switch role {
	case RoleOwner, RoleAdmin, RoleMember, RoleGuest:
	case RoleDeptAdmin, RoleBot:
		return User{}, errs.New(op, errs.Invalid, "role_not_assignable")
	default:
		return User{}, errs.New(op, errs.Invalid, "role_invalid")
	}
	if id == actor.User {
		return User{}, errs.New(op, errs.Invalid, "cannot_change_own_role")
	}
	var u User
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, actor.Org, id); err != nil {
			return err
		}
		if (u.Role == RoleOwner || role == RoleOwner) && actor.Role != RoleOwner {
			return errs.New(op, errs.Permission, "owner_required")
		}
		if u.Role == role {
			return nil
		}
		old := u.Role
		u.Role = role
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, audit.RoleChanged, u.ID, map[string]string{"role": string(old) + " → " + string(role)}); err != nil {
			return err
		}
		if role == RoleGuest {
			if err := s.signOut(ctx, tx, u); err != nil {
				return err
			}
		}
		return s.emitUser(ctx, tx, u)
	})
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}

// signOut revokes every session and token of the user and closes their
// streams on every node (the session.revoked event).
func (s *Service) signOut(ctx context.Context, tx Tx, u User) error {
	if err := tx.DeleteSessions(ctx, u.Org, u.ID); err != nil {
		return err
	}
	return tx.Emit(ctx, event.Event{Org: u.Org, User: u.ID, Revoke: true, Type: "session.revoked"}, func(seq int64) ([]byte, error) {
		return s.enc.EncodeEvent("session.revoked", seq, nil)
	})
}

// SetActive deactivates or reactivates a user (admins only). Deactivation
// revokes every session and token and closes the user's streams; history and
// authorship stay.
func (s *Service) SetActive(ctx context.Context, actor Actor, id int64, active bool) (User, error) {
	const op = "account.SetActive"
	if !actor.IsAdmin() {
		return User{}, errs.New(op, errs.Permission, "admin_required")
	}
	if id == actor.User {
		return User{}, errs.New(op, errs.Invalid, "cannot_deactivate_self")
	}
	var u User
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, actor.Org, id); err != nil {
			return err
		}
		if u.Role == RoleOwner && actor.Role != RoleOwner {
			return errs.New(op, errs.Permission, "owner_required")
		}
		if u.Active == active {
			return nil
		}
		u.Active = active
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		action := audit.UserReactivated
		if !active {
			action = audit.UserDeactivated
		}
		if err := s.audit(ctx, tx, actor, action, u.ID, nil); err != nil {
			return err
		}
		if !active {
			if err := s.signOut(ctx, tx, u); err != nil {
				return err
			}
		}
		return s.emitUser(ctx, tx, u)
	})
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}
