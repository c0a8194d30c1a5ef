package account

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/parley-chat/parley/internal/errs"
)

// Limits of directory profiles.
const (
	MaxTitleLen      = 80
	MaxEmployeeNoLen = 40
	MaxPhoneLen      = 32
	MaxFieldValueLen = 200
	MaxProfileFields = 50
	MaxSearchResults = 50
)

// ProfileField is a custom profile field an organisation defines (工位,
// 入职日期...).
type ProfileField struct {
	ID        int64
	Org       int64
	Name      string
	Order     int
	AdminOnly bool // only managers may set the value; users may not edit their own
	CreatedAt time.Time
}

// Profile is a user's directory card.
type Profile struct {
	User        User
	Departments []Department
	Heads       []int64 // ids of the departments the user heads
	Manager     *User
	Fields      []FieldValue
}

// FieldValue is a user's value of a custom field.
type FieldValue struct {
	Field ProfileField
	Value string
}

// cleanPhone accepts digits, spaces, '+', '-', '(' and ')'.
// CleanPhone validates a phone number as the directory keeps it (digits,
// spaces and +-()): Invalid "phone_invalid".
func CleanPhone(op, s string) (string, error) { return cleanPhone(op, s) }

func cleanPhone(op, s string) (string, error) {
	s, err := CleanText(op, "phone", s, 0, MaxPhoneLen)
	if err != nil {
		return "", err
	}
	for _, r := range s {
		if !unicode.IsDigit(r) && !strings.ContainsRune("+-() ", r) {
			return "", errs.New(op, errs.Invalid, "phone_invalid")
		}
	}
	return s, nil
}

// visibleUsers returns the ids a guest may see (their channel peers), or nil
// for everyone else (no restriction).
func (s *Service) visibleUsers(ctx context.Context, r Reader, actor Actor) ([]int64, error) {
	if !actor.IsGuest() {
		return nil, nil
	}
	return r.ChannelPeers(ctx, actor.Org, actor.User)
}

// VisibleAmong returns the users among ids the actor may see, in the order
// given: all of them for members, the members of their channels (and
// themself) for guests.
func (s *Service) VisibleAmong(ctx context.Context, actor Actor, ids []int64) ([]int64, error) {
	only, err := s.visibleUsers(ctx, s.store, actor)
	if err != nil {
		return nil, errs.E("account.VisibleAmong", errs.Other, "", err)
	}
	if only == nil {
		return ids, nil
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id int64) bool {
		_, found := slices.BinarySearch(only, id) // ChannelPeers is sorted
		return id != actor.User && !found
	}), nil
}

// SearchUsers finds active users by name, username, e-mail, phone, employee
// number or pinyin ("zhangsan", "zs" and "san" find 张三). Guests find only
// the members of their channels. E-mail and phone follow the scheme.
func (s *Service) SearchUsers(ctx context.Context, actor Actor, query string, limit int) ([]User, error) {
	const op = "account.SearchUsers"
	q, err := CleanText(op, "query", query, 1, MaxNameLen)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxSearchResults {
		limit = MaxSearchResults
	}
	only, err := s.visibleUsers(ctx, s.store, actor)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	sc, err := LoadScheme(ctx, s.store, actor.Org)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	us, err := s.store.SearchUsers(ctx, actor.Org, strings.ToLower(q), only, limit)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	for i := range us {
		// Searching by a hidden attribute must not reveal it: a match on a
		// phone or e-mail the viewer may not see is dropped.
		us[i] = sc.Redact(actor, us[i])
	}
	return slices.DeleteFunc(us, func(u User) bool { return !matchesVisible(u, strings.ToLower(q)) }), nil
}

// matchesVisible reports whether q matches u by an attribute the viewer can
// see (everything but a redacted e-mail or phone).
func matchesVisible(u User, q string) bool {
	full, initials := NameKeys(u.DisplayName)
	return strings.Contains(strings.ToLower(u.DisplayName), q) || strings.HasPrefix(u.Username, q) ||
		(u.Email != "" && strings.HasPrefix(u.Email, q)) || (u.Phone != "" && strings.Contains(u.Phone, q)) ||
		(u.EmployeeNo != "" && strings.ToLower(u.EmployeeNo) == q) || strings.Contains(full, q) || strings.HasPrefix(initials, q)
}

// Profile returns a user's directory card: profile, departments, manager
// and custom fields. Guests see only their channel peers.
func (s *Service) Profile(ctx context.Context, actor Actor, id int64) (Profile, error) {
	const op = "account.Profile"
	var p Profile
	u, err := s.visibleUser(ctx, op, actor, id)
	if err != nil {
		return Profile{}, err
	}
	sc, err := LoadScheme(ctx, s.store, actor.Org)
	if err != nil {
		return Profile{}, errs.E(op, errs.Other, "", err)
	}
	p.User = sc.Redact(actor, u)
	if !actor.IsGuest() {
		if p.Departments, err = s.store.UserDepartments(ctx, actor.Org, id); err != nil {
			return Profile{}, errs.E(op, errs.Other, "", err)
		}
		if p.Heads, err = s.store.HeadedDepartments(ctx, actor.Org, id); err != nil {
			return Profile{}, errs.E(op, errs.Other, "", err)
		}
	}
	if u.Manager != 0 {
		if m, err := s.store.User(ctx, actor.Org, u.Manager); err == nil {
			m = sc.Redact(actor, m)
			p.Manager = &m
		}
	}
	fields, err := s.store.ProfileFields(ctx, actor.Org)
	if err != nil {
		return Profile{}, errs.E(op, errs.Other, "", err)
	}
	values, err := s.store.ProfileValues(ctx, actor.Org, id)
	if err != nil {
		return Profile{}, errs.E(op, errs.Other, "", err)
	}
	for _, f := range fields {
		if v, ok := values[f.ID]; ok {
			p.Fields = append(p.Fields, FieldValue{Field: f, Value: v})
		}
	}
	return p, nil
}

// visibleUser loads a user the actor may see: anyone of the organisation,
// or for guests the members of their channels (others are NotFound).
func (s *Service) visibleUser(ctx context.Context, op string, actor Actor, id int64) (User, error) {
	u, err := s.store.User(ctx, actor.Org, id)
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	only, err := s.visibleUsers(ctx, s.store, actor)
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	if only != nil && !slices.Contains(only, id) && id != actor.User {
		return User{}, errs.New(op, errs.NotFound, "user_not_found")
	}
	return u, nil
}

// DirectoryPatch changes a user's directory profile; nil fields stay.
// Fields maps custom field ids to values ("" clears).
type DirectoryPatch struct {
	Title, EmployeeNo, Phone *string
	Manager                  *int64
	Fields                   map[int64]string
}

// UpdateDirectoryProfile changes a user's directory profile. Organisation
// admins and the department admins whose subtree holds the user may change
// everything; users may change their own phone and the custom fields that
// are not admin-only.
func (s *Service) UpdateDirectoryProfile(ctx context.Context, actor Actor, id int64, p DirectoryPatch) (User, error) {
	const op = "account.UpdateDirectoryProfile"
	var u User
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if u, err = tx.User(ctx, actor.Org, id); err != nil {
			return err
		}
		manager, err := managesUser(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		self := id == actor.User
		if !manager && (!self || p.Title != nil || p.EmployeeNo != nil || p.Manager != nil) {
			return errs.New(op, errs.Permission, "department_admin_required")
		}
		if p.Title != nil {
			if u.Title, err = CleanText(op, "title", *p.Title, 0, MaxTitleLen); err != nil {
				return err
			}
		}
		if p.EmployeeNo != nil {
			if u.EmployeeNo, err = CleanText(op, "employee_no", *p.EmployeeNo, 0, MaxEmployeeNoLen); err != nil {
				return err
			}
		}
		if p.Phone != nil {
			if u.Phone, err = cleanPhone(op, *p.Phone); err != nil {
				return err
			}
		}
		if p.Manager != nil {
			if err := s.checkManager(ctx, tx, op, u, *p.Manager); err != nil {
				return err
			}
			u.Manager = *p.Manager
		}
		if len(p.Fields) > 0 {
			fields, err := tx.ProfileFields(ctx, actor.Org)
			if err != nil {
				return err
			}
			for fid, v := range p.Fields {
				i := slices.IndexFunc(fields, func(f ProfileField) bool { return f.ID == fid })
				if i < 0 {
					return errs.New(op, errs.NotFound, "profile_field_not_found")
				}
				if fields[i].AdminOnly && !manager {
					return errs.New(op, errs.Permission, "department_admin_required")
				}
				if v, err = CleanText(op, "field_value", v, 0, MaxFieldValueLen); err != nil {
					return err
				}
				if err := tx.SetProfileValue(ctx, actor.Org, id, fid, v); err != nil {
					return err
				}
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

// checkManager refuses a manager that is not an active member of the
// organisation, the user themself, or one of the user's reports (a cycle).
func (s *Service) checkManager(ctx context.Context, tx Tx, op string, u User, manager int64) error {
	return CheckManager(ctx, tx, op, u, manager)
}

// UserReader reads one user of an organisation.
type UserReader interface {
	User(ctx context.Context, org, id int64) (User, error)
}

// CheckManager is the manager check of UpdateDirectoryProfile, for the
// services that set a manager from outside (SCIM): Invalid "manager_cycle"
// or "manager_invalid", NotFound "manager_not_found".
func CheckManager(ctx context.Context, tx UserReader, op string, u User, manager int64) error {
	for m, steps := manager, 0; m != 0; steps++ {
		if m == u.ID {
			return errs.New(op, errs.Invalid, "manager_cycle")
		}
		if steps > 64 {
			return errs.New(op, errs.Invalid, "manager_cycle")
		}
		mu, err := tx.User(ctx, u.Org, m)
		if err != nil {
			return errs.E(op, errs.Other, "manager_not_found", err)
		}
		if steps == 0 && (!mu.Active || mu.Role == RoleGuest || mu.Role == RoleBot) {
			return errs.New(op, errs.Invalid, "manager_invalid")
		}
		m = mu.Manager
	}
	return nil
}

// ProfileFields lists the organisation's custom fields (everyone but
// guests, who see the values on their peers' cards only).
func (s *Service) ProfileFields(ctx context.Context, actor Actor) ([]ProfileField, error) {
	fs, err := s.store.ProfileFields(ctx, actor.Org)
	if err != nil {
		return nil, errs.E("account.ProfileFields", errs.Other, "", err)
	}
	return fs, nil
}

// FieldPatch describes a custom field to create or change; nil fields stay.
type FieldPatch struct {
	Name      *string
	Order     *int
	AdminOnly *bool
}

// SaveProfileField creates (id 0) or changes a custom field (organisation
// admins).
func (s *Service) SaveProfileField(ctx context.Context, actor Actor, id int64, p FieldPatch) (ProfileField, error) {
	const op = "account.SaveProfileField"
	if !actor.IsAdmin() {
		return ProfileField{}, errs.New(op, errs.Permission, "admin_required")
	}
	var f, old ProfileField
	err := s.store.Update(ctx, func(tx Tx) error {
		fields, err := tx.ProfileFields(ctx, actor.Org)
		if err != nil {
			return err
		}
		if id != 0 {
			i := slices.IndexFunc(fields, func(f ProfileField) bool { return f.ID == id })
			if i < 0 {
				return errs.New(op, errs.NotFound, "profile_field_not_found")
			}
			f = fields[i]
			old = f
		} else {
			if len(fields) >= MaxProfileFields {
				return errs.New(op, errs.TooLarge, "too_many_profile_fields").With("max", MaxProfileFields)
			}
			if p.Name == nil {
				return errs.New(op, errs.Invalid, "field_name_required")
			}
			f = ProfileField{Org: actor.Org, CreatedAt: s.now()}
		}
		if p.Name != nil {
			if f.Name, err = CleanText(op, "field_name", *p.Name, 1, MaxNameLen); err != nil {
				return err
			}
		}
		if p.Order != nil {
			if err := checkOrder(op, *p.Order); err != nil {
				return err
			}
			f.Order = *p.Order
		}
		if p.AdminOnly != nil {
			f.AdminOnly = *p.AdminOnly
		}
		if id == 0 {
			if f, err = tx.InsertProfileField(ctx, f); err != nil {
				return err
			}
			return s.auditOn(ctx, tx, actor, ProfileFieldCreated, TargetProfileField, f.ID,
				map[string]string{"name": f.Name, "admin_only": strconv.FormatBool(f.AdminOnly)})
		}
		if err := tx.UpdateProfileField(ctx, f); err != nil {
			return err
		}
		ch := map[string]string{}
		changed(ch, "name", old.Name, f.Name)
		changed(ch, "order", strconv.Itoa(old.Order), strconv.Itoa(f.Order))
		changed(ch, "admin_only", strconv.FormatBool(old.AdminOnly), strconv.FormatBool(f.AdminOnly))
		if len(ch) == 0 {
			return nil
		}
		return s.auditOn(ctx, tx, actor, ProfileFieldUpdated, TargetProfileField, f.ID, ch)
	})
	if err != nil {
		return ProfileField{}, errs.E(op, errs.Other, "", err)
	}
	return f, nil
}

// DeleteProfileField removes a custom field and every value of it
// (organisation admins).
func (s *Service) DeleteProfileField(ctx context.Context, actor Actor, id int64) error {
	const op = "account.DeleteProfileField"
	if !actor.IsAdmin() {
		return errs.New(op, errs.Permission, "admin_required")
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		ok, err := tx.DeleteProfileField(ctx, actor.Org, id)
		if err == nil && !ok {
			return errs.New(op, errs.NotFound, "profile_field_not_found")
		}
		if err != nil {
			return err
		}
		return s.auditOn(ctx, tx, actor, ProfileFieldDeleted, TargetProfileField, id, nil)
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}
