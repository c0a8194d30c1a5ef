package account

import (
	"context"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// Who says which users a permission of the scheme is granted to. Owners
// and admins always have every permission; the levels are ordered from the
// widest to the narrowest.
type Who string

// Levels of a permission.
const (
	WhoEveryone      Who = "everyone"       // guests too
	WhoMembers       Who = "members"        // everyone but guests
	WhoChannelAdmins Who = "channel_admins" // channel owners and admins (for channel actions), and admins
	WhoAdmins        Who = "admins"         // organisation owners and admins only
)

func (w Who) valid() bool {
	return w == WhoEveryone || w == WhoMembers || w == WhoChannelAdmins || w == WhoAdmins
}

// Allows reports whether the level grants the permission to actor;
// channelAdmin says whether the actor administers the channel the action is
// about (false outside channels).
func (w Who) Allows(actor Actor, channelAdmin bool) bool {
	if actor.IsAdmin() {
		return true
	}
	switch w {
	case WhoEveryone:
		return true
	case WhoMembers:
		return !actor.IsGuest()
	case WhoChannelAdmins:
		return channelAdmin
	}
	return false
}

// Scheme is an organisation's permission scheme: who may do what, enforced
// by the services (chat for channels and messages, account for users).
type Scheme struct {
	CreatePublicChannel  Who
	CreatePrivateChannel Who
	MentionAll           Who // @all, @channel and @here
	InviteGuests         Who // add guests to channels and DMs
	EditMessages         Who // authors editing their own messages
	EditWindow           time.Duration
	DeleteMessages       Who // authors deleting their own messages (channel admins moderate anyway)
	DeleteWindow         time.Duration
	RecallMessages       Who // authors recalling their own messages, within the organisation's recall window
	CreateBots           Who
	SeeEmail             Who // see other users' e-mail addresses
	SeePhone             Who // see other users' phone numbers
}

// DefaultScheme is the scheme of an organisation that changed nothing: the
// behaviour Parley had before schemes existed.
func DefaultScheme() Scheme {
	return Scheme{
		CreatePublicChannel: WhoMembers, CreatePrivateChannel: WhoMembers, MentionAll: WhoEveryone,
		InviteGuests: WhoMembers, EditMessages: WhoEveryone, DeleteMessages: WhoEveryone,
		RecallMessages: WhoEveryone, CreateBots: WhoAdmins, SeeEmail: WhoMembers, SeePhone: WhoMembers,
	}
}

// MaxMessageWindow bounds the edit and delete windows.
const MaxMessageWindow = 365 * 24 * time.Hour

// schemeFields maps each stored setting name to its field.
func (s *Scheme) whoFields() map[string]*Who {
	return map[string]*Who{
		"create_public_channel": &s.CreatePublicChannel, "create_private_channel": &s.CreatePrivateChannel,
		"mention_all": &s.MentionAll, "invite_guests": &s.InviteGuests, "edit_messages": &s.EditMessages,
		"delete_messages": &s.DeleteMessages, "recall_messages": &s.RecallMessages, "create_bots": &s.CreateBots,
		"see_email": &s.SeeEmail, "see_phone": &s.SeePhone,
	}
}

func (s *Scheme) windowFields() map[string]*time.Duration {
	return map[string]*time.Duration{"edit_window_seconds": &s.EditWindow, "delete_window_seconds": &s.DeleteWindow}
}

// values renders the scheme as stored settings.
func (s Scheme) values() map[string]string {
	out := map[string]string{}
	for k, p := range s.whoFields() {
		out[k] = string(*p)
	}
	for k, p := range s.windowFields() {
		out[k] = strconv.FormatInt(int64(*p/time.Second), 10)
	}
	return out
}

// SchemeOf builds a scheme from stored settings over the defaults; unknown
// or malformed values (from a newer or older version) keep the default.
func SchemeOf(values map[string]string) Scheme {
	s := DefaultScheme()
	for k, p := range s.whoFields() {
		if v, ok := values[k]; ok && Who(v).valid() {
			*p = Who(v)
		}
	}
	for k, p := range s.windowFields() {
		if v, ok := values[k]; ok {
			if sec, err := strconv.ParseInt(v, 10, 64); err == nil && sec >= 0 && time.Duration(sec)*time.Second <= MaxMessageWindow {
				*p = time.Duration(sec) * time.Second
			}
		}
	}
	return s
}

// SchemeReader reads an organisation's stored permission settings.
type SchemeReader interface {
	PermissionValues(ctx context.Context, org int64) (map[string]string, error)
}

// LoadScheme returns an organisation's scheme (services that enforce it call
// this inside their transaction).
func LoadScheme(ctx context.Context, r SchemeReader, org int64) (Scheme, error) {
	vs, err := r.PermissionValues(ctx, org)
	if err != nil {
		return Scheme{}, err
	}
	return SchemeOf(vs), nil
}

// Scheme returns the actor's organisation's permission scheme. Everyone may
// read it: clients hide what the scheme forbids.
func (s *Service) Scheme(ctx context.Context, actor Actor) (Scheme, error) {
	sc, err := LoadScheme(ctx, s.store, actor.Org)
	if err != nil {
		return Scheme{}, errs.E("account.Scheme", errs.Other, "", err)
	}
	return sc, nil
}

// SchemePatch changes settings of the scheme; nil fields stay.
type SchemePatch struct {
	Who     map[string]Who
	Windows map[string]time.Duration
}

// UpdateScheme changes the permission scheme (organisation admins) and
// announces it with org.updated's sibling event permissions.updated.
func (s *Service) UpdateScheme(ctx context.Context, actor Actor, p SchemePatch) (Scheme, error) {
	const op = "account.UpdateScheme"
	if !actor.IsAdmin() {
		return Scheme{}, errs.New(op, errs.Permission, "admin_required")
	}
	var sc Scheme
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sc, err = LoadScheme(ctx, tx, actor.Org); err != nil {
			return err
		}
		before := sc.values()
		whos, windows := sc.whoFields(), sc.windowFields()
		for k, v := range p.Who {
			f, ok := whos[k]
			if !ok {
				return errs.New(op, errs.Invalid, "permission_unknown").With("name", k)
			}
			if !v.valid() {
				return errs.New(op, errs.Invalid, "permission_level_invalid").With("name", k)
			}
			*f = v
		}
		for k, v := range p.Windows {
			f, ok := windows[k]
			if !ok {
				return errs.New(op, errs.Invalid, "permission_unknown").With("name", k)
			}
			if v < 0 || v > MaxMessageWindow {
				return errs.New(op, errs.Invalid, "permission_window_invalid").With("name", k)
			}
			*f = v
		}
		after := sc.values()
		if err := tx.SetPermissionValues(ctx, actor.Org, after); err != nil {
			return err
		}
		diff := map[string]string{}
		for k, v := range after {
			changed(diff, k, before[k], v)
		}
		if len(diff) > 0 {
			if err := s.auditOn(ctx, tx, actor, PermissionsUpdated, audit.TargetOrg, actor.Org, diff); err != nil {
				return err
			}
		}
		return tx.Emit(ctx, event.Event{Org: actor.Org, All: true, Type: "permissions.updated"}, func(seq int64) ([]byte, error) {
			return s.enc.EncodeEvent("permissions.updated", seq, sc)
		})
	})
	if err != nil {
		return Scheme{}, errs.E(op, errs.Other, "", err)
	}
	return sc, nil
}

// Redact returns u as viewer sees it under the scheme: e-mail and phone
// hidden unless the scheme shows them to viewer (users always see their
// own).
func (sc Scheme) Redact(viewer Actor, u User) User {
	if u.ID == viewer.User {
		return u
	}
	if !sc.SeeEmail.Allows(viewer, false) {
		u.Email = ""
	}
	if !sc.SeePhone.Allows(viewer, false) {
		u.Phone = ""
	}
	return u
}
