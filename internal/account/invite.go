package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// Invitation lets people join an organisation by a link: the first one to
// use it (when bound to an e-mail address) or up to MaxUses people. Only
// the SHA-256 of the link's token is stored; the token is shown once.
type Invitation struct {
	ID        int64
	Org       int64
	TokenHash []byte
	Role      Role   // RoleMember or RoleGuest
	Email     string // "" or the only address that may accept (lower-cased)
	MaxUses   int
	Uses      int
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero while not revoked
}

// Invitation states, from State.
const (
	InviteOpen    = "open"
	InviteExpired = "expired"
	InviteRevoked = "revoked"
	InviteUsedUp  = "used_up"
)

// State says whether the invitation can still be accepted at now.
func (i Invitation) State(now time.Time) string {
	switch {
	case !i.RevokedAt.IsZero():
		return InviteRevoked
	case i.Uses >= i.MaxUses:
		return InviteUsedUp
	case !now.Before(i.ExpiresAt):
		return InviteExpired
	}
	return InviteOpen
}

// Audit actions and target of invitations.
const (
	InviteCreatedAction  audit.Action     = "invite.create"
	InviteRevokedAction  audit.Action     = "invite.revoke"
	InviteAcceptedAction audit.Action     = "invite.accept"
	TargetInvite         audit.TargetType = "invitation"
)

// Invitation limits.
const (
	DefaultInviteLifetime = 7 * 24 * time.Hour
	MinInviteLifetime     = time.Hour
	MaxInviteLifetime     = 30 * 24 * time.Hour
	MaxInviteUses         = 1000
	MaxOpenInvitations    = 200
)

// InviteMail is an invitation e-mail to send.
type InviteMail struct {
	To        string
	Locale    string // the inviter's locale ("en" or "zh-CN"); "" means English
	OrgName   string
	Inviter   string // display name of the admin who invited
	Link      string
	Role      Role
	ExpiresAt time.Time
}

// Mailer sends invitation e-mails (internal/mail over SMTP). Absent when
// no SMTP server is configured: the admin then shares the link by hand.
type Mailer interface {
	SendInvite(ctx context.Context, m InviteMail) error
}

// SetMailer installs the mailer; the composition root calls it once, before
// the service is used, when SMTP is configured.
func (s *Service) SetMailer(m Mailer) { s.mailer = m }

// NewInvitation describes an invitation to create.
type NewInvitation struct {
	Role      Role
	Email     string        // optional; binds the invitation to that address (single use)
	ExpiresIn time.Duration // 0: DefaultInviteLifetime
	MaxUses   int           // 0: 1; must be 1 with an e-mail
	// LinkBase is the URL the token is appended to, such as
	// "https://chat.example.com/invite/".
	LinkBase string
}

// CreatedInvitation is a new invitation with its link (shown once).
type CreatedInvitation struct {
	Invitation
	Link      string
	EmailSent bool
	// EmailError is the code of a failed send ("email_failed"); the
	// invitation exists anyway and the link can be shared by hand.
	EmailError string
}

func inviteToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("account: crypto/rand failed: " + err.Error()) // the OS RNG never fails on Linux
	}
	return "inv_" + base64.RawURLEncoding.EncodeToString(b)
}

// InviteTokenHash is what is stored of an invitation token.
func InviteTokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// CreateInvitation creates an invitation link (admins only) and, when it is
// bound to an e-mail address and a mailer is configured, sends it there.
// Invalid "invite_role_invalid", "invite_expiry_invalid",
// "invite_max_uses_invalid", "email_invalid"; Permission "admin_required";
// Conflict "too_many_invitations".
func (s *Service) CreateInvitation(ctx context.Context, actor Actor, in NewInvitation) (CreatedInvitation, error) {
	const op = "account.CreateInvitation"
	if !actor.IsAdmin() {
		return CreatedInvitation{}, errs.New(op, errs.Permission, "admin_required")
	}
	if in.Role == "" {
		in.Role = RoleMember
	}
	if in.Role != RoleMember && in.Role != RoleGuest {
		return CreatedInvitation{}, errs.New(op, errs.Invalid, "invite_role_invalid")
	}
	if in.ExpiresIn == 0 {
		in.ExpiresIn = DefaultInviteLifetime
	}
	if in.ExpiresIn < MinInviteLifetime || in.ExpiresIn > MaxInviteLifetime {
		return CreatedInvitation{}, errs.New(op, errs.Invalid, "invite_expiry_invalid").With("max", int(MaxInviteLifetime/(24*time.Hour)))
	}
	inv := Invitation{Org: actor.Org, Role: in.Role, MaxUses: in.MaxUses, CreatedBy: actor.User}
	if strings.TrimSpace(in.Email) != "" {
		var err error
		if inv.Email, err = CleanEmail(op, in.Email); err != nil {
			return CreatedInvitation{}, err
		}
		if inv.MaxUses == 0 {
			inv.MaxUses = 1
		}
		if inv.MaxUses != 1 {
			return CreatedInvitation{}, errs.New(op, errs.Invalid, "invite_max_uses_invalid").With("max", 1)
		}
	}
	if inv.MaxUses == 0 {
		inv.MaxUses = 1
	}
	if inv.MaxUses < 1 || inv.MaxUses > MaxInviteUses {
		return CreatedInvitation{}, errs.New(op, errs.Invalid, "invite_max_uses_invalid").With("max", MaxInviteUses)
	}
	tok := inviteToken()
	now := s.now()
	inv.TokenHash = InviteTokenHash(tok)
	inv.CreatedAt, inv.ExpiresAt = now, now.Add(in.ExpiresIn)
	var org Org
	var inviter User
	err := s.store.Update(ctx, func(tx Tx) error {
		all, err := tx.Invitations(ctx, actor.Org)
		if err != nil {
			return err
		}
		open := 0
		for _, x := range all {
			if x.State(now) == InviteOpen {
				open++
			}
		}
		if open >= MaxOpenInvitations {
			return errs.New(op, errs.Conflict, "too_many_invitations").With("max", MaxOpenInvitations)
		}
		if inv, err = tx.InsertInvitation(ctx, inv); err != nil {
			return err
		}
		if org, err = tx.Org(ctx, actor.Org); err != nil {
			return err
		}
		if inviter, err = tx.User(ctx, actor.Org, actor.User); err != nil {
			return err
		}
		d := map[string]string{"role": string(inv.Role), "max_uses": strconv.Itoa(inv.MaxUses),
			"expires_at": inv.ExpiresAt.UTC().Format(time.RFC3339)}
		if inv.Email != "" {
			d["email"] = inv.Email
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, now, audit.Entry{Org: actor.Org, Actor: actor.User, Action: InviteCreatedAction,
			TargetType: TargetInvite, TargetID: inv.ID, Outcome: audit.Success, Details: d}))
	})
	if err != nil {
		return CreatedInvitation{}, errs.E(op, errs.Other, "", err)
	}
	out := CreatedInvitation{Invitation: inv, Link: in.LinkBase + tok}
	if inv.Email != "" && s.mailer != nil {
		err := s.mailer.SendInvite(ctx, InviteMail{To: inv.Email, Locale: inviter.Locale, OrgName: org.Name,
			Inviter: inviter.DisplayName, Link: out.Link, Role: inv.Role, ExpiresAt: inv.ExpiresAt})
		if err != nil {
			// The invitation stands: the admin sees the link and can share
			// it by hand.
			out.EmailError = "email_failed"
		} else {
			out.EmailSent = true
		}
	}
	return out, nil
}

// Invitations lists the organisation's invitations, newest first (admins).
func (s *Service) Invitations(ctx context.Context, actor Actor) ([]Invitation, error) {
	const op = "account.Invitations"
	if !actor.IsAdmin() {
		return nil, errs.New(op, errs.Permission, "admin_required")
	}
	out, err := s.store.Invitations(ctx, actor.Org)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return out, nil
}

// RevokeInvitation makes an invitation unusable (admins). NotFound
// "invite_not_found" for an unknown id or another organisation's;
// revoking twice is not an error.
func (s *Service) RevokeInvitation(ctx context.Context, actor Actor, id int64) error {
	const op = "account.RevokeInvitation"
	if !actor.IsAdmin() {
		return errs.New(op, errs.Permission, "admin_required")
	}
	now := s.now()
	err := s.store.Update(ctx, func(tx Tx) error {
		inv, err := tx.Invitation(ctx, actor.Org, id)
		if err != nil {
			return err
		}
		if !inv.RevokedAt.IsZero() {
			return nil
		}
		if err := tx.RevokeInvitation(ctx, actor.Org, id, now); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, now, audit.Entry{Org: actor.Org, Actor: actor.User, Action: InviteRevokedAction,
			TargetType: TargetInvite, TargetID: id, Outcome: audit.Success, Details: map[string]string{"uses": strconv.Itoa(inv.Uses)}}))
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// InvitationPreview is what anyone holding a link may see of it.
type InvitationPreview struct {
	OrgName   string
	Role      Role
	Email     string // the address it is bound to, "" for none
	ExpiresAt time.Time
}

// usable returns the open invitation of a token. NotFound
// "invite_not_found"; Conflict "invite_expired", "invite_revoked",
// "invite_used_up".
func usable(ctx context.Context, op string, r interface {
	InvitationByToken(ctx context.Context, hash []byte) (Invitation, error)
}, tok string, now time.Time) (Invitation, error) {
	if tok == "" || len(tok) > 128 {
		return Invitation{}, errs.New(op, errs.NotFound, "invite_not_found")
	}
	inv, err := r.InvitationByToken(ctx, InviteTokenHash(tok))
	if errs.Is(err, errs.NotFound) {
		return Invitation{}, errs.New(op, errs.NotFound, "invite_not_found")
	}
	if err != nil {
		return Invitation{}, errs.E(op, errs.Other, "", err)
	}
	switch inv.State(now) {
	case InviteExpired:
		return Invitation{}, errs.New(op, errs.Conflict, "invite_expired")
	case InviteRevoked:
		return Invitation{}, errs.New(op, errs.Conflict, "invite_revoked")
	case InviteUsedUp:
		return Invitation{}, errs.New(op, errs.Conflict, "invite_used_up")
	}
	return inv, nil
}

// PreviewInvitation shows an invitation to the person holding its link
// (no authentication). Errors as usable.
func (s *Service) PreviewInvitation(ctx context.Context, tok string) (InvitationPreview, error) {
	const op = "account.PreviewInvitation"
	inv, err := usable(ctx, op, s.store, tok, s.now())
	if err != nil {
		return InvitationPreview{}, err
	}
	org, err := s.store.Org(ctx, inv.Org)
	if err != nil {
		return InvitationPreview{}, errs.E(op, errs.Other, "", err)
	}
	return InvitationPreview{OrgName: org.Name, Role: inv.Role, Email: inv.Email, ExpiresAt: inv.ExpiresAt}, nil
}

// AcceptInput is the account a person creates with an invitation.
type AcceptInput struct {
	Email, Username, DisplayName, Password, Locale string
}

// AcceptInvitation creates the account an invitation offers, under the
// organisation's password policy, and spends one use of it. Errors as
// usable, the validation errors of CreateUser, and Invalid
// "invite_email_mismatch" when the invitation is bound to another address.
func (s *Service) AcceptInvitation(ctx context.Context, tok string, in AcceptInput) (User, error) {
	const op = "account.AcceptInvitation"
	inv, err := usable(ctx, op, s.store, tok, s.now())
	if err != nil {
		return User{}, err
	}
	if inv.Email != "" {
		if strings.TrimSpace(in.Email) == "" {
			in.Email = inv.Email
		}
		if e, err := CleanEmail(op, in.Email); err == nil && e != inv.Email {
			return User{}, errs.New(op, errs.Invalid, "invite_email_mismatch")
		}
	}
	u, hash, err := s.newUser(ctx, op, inv.Org, NewUserInput{Email: in.Email, Username: in.Username,
		DisplayName: in.DisplayName, Password: in.Password, Role: inv.Role, Locale: in.Locale})
	if err != nil {
		return User{}, err
	}
	u.Org = inv.Org
	err = s.store.Update(ctx, func(tx Tx) error {
		// Checked again in the transaction: two people may race for the
		// last use.
		now := s.now()
		cur, err := usable(ctx, op, tx, tok, now)
		if err != nil {
			return err
		}
		ok, err := tx.UseInvitation(ctx, cur.Org, cur.ID)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(op, errs.Conflict, "invite_used_up")
		}
		if u, err = tx.InsertUser(ctx, u, hash); err != nil {
			return err
		}
		err = tx.InsertAudit(ctx, audit.Stamp(ctx, now, audit.Entry{Org: u.Org, Actor: u.ID, Action: InviteAcceptedAction,
			TargetType: TargetInvite, TargetID: cur.ID, Outcome: audit.Success,
			Details: map[string]string{"user_id": strconv.FormatInt(u.ID, 10), "email": u.Email, "role": string(u.Role),
				"invited_by": strconv.FormatInt(cur.CreatedBy, 10)}}))
		if err != nil {
			return err
		}
		return s.emitUser(ctx, tx, u)
	})
	if err != nil {
		return User{}, errs.E(op, errs.Other, "", err)
	}
	return u, nil
}
