package httpapi

import (
	"net/http"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
)

// Invitation is an invitation link on the wire (without its token, which is
// shown once, in InvitationCreated).
type Invitation struct {
	ID        int64     `json:"id"`
	Role      string    `json:"role"`
	Email     string    `json:"email"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	State     string    `json:"state"` // open, expired, revoked, used_up
	CreatedBy int64     `json:"created_by"`
	CreatedAt Timestamp `json:"created_at"`
	ExpiresAt Timestamp `json:"expires_at"`
	RevokedAt Time      `json:"revoked_at"`
}

// InvitationCreated is a new invitation with its link. EmailSent is false
// when no e-mail was sent (none given, no SMTP server configured, or the
// send failed: EmailError): the admin shares the link by hand.
type InvitationCreated struct {
	Invitation
	URL        string `json:"url"`
	EmailSent  bool   `json:"email_sent"`
	EmailError string `json:"email_error,omitempty"`
}

// InvitationList is the organisation's invitations.
type InvitationList struct {
	Invitations []Invitation `json:"invitations"`
}

// InvitationPreview is what the holder of a link sees before accepting.
type InvitationPreview struct {
	OrgName   string    `json:"org_name"`
	Role      string    `json:"role"`
	Email     string    `json:"email"`
	ExpiresAt Timestamp `json:"expires_at"`
}

type newInvitation struct {
	Role          string `json:"role"`
	Email         string `json:"email"`
	ExpiresInDays int    `json:"expires_in_days"`
	MaxUses       int    `json:"max_uses"`
}

type acceptInvitation struct {
	Email       string `json:"email"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Locale      string `json:"locale"`
	Cookie      bool   `json:"cookie"`
}

func wireInvitation(i account.Invitation, now time.Time) Invitation {
	return Invitation{ID: i.ID, Role: string(i.Role), Email: i.Email, MaxUses: i.MaxUses, Uses: i.Uses, State: i.State(now),
		CreatedBy: i.CreatedBy, CreatedAt: Timestamp(i.CreatedAt), ExpiresAt: Timestamp(i.ExpiresAt), RevokedAt: Time(i.RevokedAt)}
}

func (a *API) listInvitations(w http.ResponseWriter, r *http.Request, c call) error {
	list, err := a.Accounts.Invitations(r.Context(), c.actor)
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]Invitation, 0, len(list))
	for _, i := range list {
		out = append(out, wireInvitation(i, now))
	}
	writeJSON(w, http.StatusOK, InvitationList{Invitations: out})
	return nil
}

func (a *API) createInvitation(w http.ResponseWriter, r *http.Request, c call) error {
	var req newInvitation
	if err := decode(r, &req); err != nil {
		return err
	}
	res, err := a.Accounts.CreateInvitation(r.Context(), c.actor, account.NewInvitation{Role: account.Role(req.Role),
		Email: req.Email, ExpiresIn: time.Duration(req.ExpiresInDays) * 24 * time.Hour, MaxUses: req.MaxUses,
		LinkBase: a.baseURL(r) + "/invite/"})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, InvitationCreated{Invitation: wireInvitation(res.Invitation, res.CreatedAt),
		URL: res.Link, EmailSent: res.EmailSent, EmailError: res.EmailError})
	return nil
}

func (a *API) revokeInvitation(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Accounts.RevokeInvitation(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) previewInvitation(w http.ResponseWriter, r *http.Request) error {
	p, err := a.Accounts.PreviewInvitation(r.Context(), r.PathValue("token"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, InvitationPreview{OrgName: p.OrgName, Role: string(p.Role), Email: p.Email,
		ExpiresAt: Timestamp(p.ExpiresAt)})
	return nil
}

// acceptInvitation creates the account and logs it in, answering like a
// login (201: an account was created).
func (a *API) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var req acceptInvitation
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Locale == "" {
		req.Locale = lang(r)
	}
	u, err := a.Accounts.AcceptInvitation(r.Context(), r.PathValue("token"), account.AcceptInput{Email: req.Email,
		Username: req.Username, DisplayName: req.DisplayName, Password: req.Password, Locale: req.Locale})
	if err != nil {
		return err
	}
	kind := auth.KindToken
	if req.Cookie {
		kind = auth.KindCookie
	}
	res, err := a.Auth.SessionForNewUser(r.Context(), u, kind, clientAddr(r), r.UserAgent())
	if err != nil {
		return err
	}
	resp := LoginResponse{User: wireUser(res.User), TwoFactorEnrolmentRequired: res.MustEnrol}
	if kind == auth.KindCookie {
		a.setSessionCookies(w, res.Token, res.Session)
	} else {
		resp.Token = res.Token
	}
	writeJSON(w, http.StatusCreated, resp)
	return nil
}
