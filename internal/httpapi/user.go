package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/realtime"
)

func realtimePrincipal(a account.Actor, session int64) realtime.Principal {
	return realtime.Principal{Org: a.Org, User: a.User, Guest: a.IsGuest(), Session: session}
}

func (a *API) getOrg(w http.ResponseWriter, r *http.Request, c call) error {
	o, err := a.Accounts.Org(r.Context(), c.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireOrg(o))
	return nil
}

type orgPatch struct {
	Name                *string `json:"name"`
	RecallWindowSeconds *int64  `json:"recall_window_seconds"`
	ReceiptMaxMembers   *int    `json:"receipt_max_members"`
	LinkPreviews        *bool   `json:"link_previews"`
	FileMaxBytes        *int64  `json:"file_max_bytes"`
	FileQuotaBytes      *int64  `json:"file_quota_bytes"`
}

func (a *API) patchOrg(w http.ResponseWriter, r *http.Request, c call) error {
	var req orgPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	p := account.OrgPatch{Name: req.Name, ReceiptMaxMembers: req.ReceiptMaxMembers, LinkPreviews: req.LinkPreviews,
		FileMaxBytes: req.FileMaxBytes, FileQuotaBytes: req.FileQuotaBytes}
	if req.RecallWindowSeconds != nil {
		// Out-of-range values become -1 so that the service refuses them
		// after its permission check, without overflowing the conversion.
		d := time.Duration(-1)
		if sec := *req.RecallWindowSeconds; sec >= 0 && sec <= 365*24*3600 {
			d = time.Duration(sec) * time.Second
		}
		p.RecallWindow = &d
	}
	o, err := a.Accounts.UpdateOrg(r.Context(), c.actor, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireOrg(o))
	return nil
}

func (a *API) getMe(w http.ResponseWriter, r *http.Request, c call) error {
	u, err := a.Accounts.User(r.Context(), c.actor, c.actor.User)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}

type profilePatch struct {
	DisplayName *string `json:"display_name"`
	AvatarURL   *string `json:"avatar_url"`
	Locale      *string `json:"locale"`
	TimeZone    *string `json:"time_zone"`
	StatusText  *string `json:"status_text"`
}

func (a *API) patchMe(w http.ResponseWriter, r *http.Request, c call) error {
	var req profilePatch
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := a.Accounts.UpdateProfile(r.Context(), c.actor, account.ProfilePatch{DisplayName: req.DisplayName,
		AvatarURL: req.AvatarURL, Locale: req.Locale, TimeZone: req.TimeZone, StatusText: req.StatusText})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}

// UserList is a page of users.
type UserList struct {
	Users      []User `json:"users"`
	NextCursor string `json:"next_cursor"`
}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, c call) error {
	if r.URL.Query().Has("ids") {
		ids, err := idList(r.URL.Query().Get("ids"), 200)
		if err != nil {
			return err
		}
		us, err := a.Accounts.Users(r.Context(), c.actor, ids)
		if err != nil {
			return err
		}
		resp := UserList{Users: make([]User, len(us))}
		for i, u := range us {
			resp.Users[i] = wireUser(u)
		}
		writeJSON(w, http.StatusOK, resp)
		return nil
	}
	limit, err := pageLimit(r)
	if err != nil {
		return err
	}
	after, err := queryInt(r, "cursor", "cursor_invalid")
	if err != nil {
		return err
	}
	us, err := a.Accounts.ListUsers(r.Context(), c.actor, r.URL.Query().Get("q"), after, limit)
	if err != nil {
		return err
	}
	resp := UserList{Users: make([]User, len(us))}
	for i, u := range us {
		resp.Users[i] = wireUser(u)
	}
	if len(us) == limit {
		resp.NextCursor = strconv.FormatInt(us[len(us)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type newUser struct {
	Email       string `json:"email"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Password    string `json:"password"`
	Role        string `json:"role"`
	Locale      string `json:"locale"`
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, c call) error {
	var req newUser
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Role == "" {
		req.Role = string(account.RoleMember)
	}
	u, err := a.Accounts.CreateUser(r.Context(), c.actor, account.NewUserInput{Email: req.Email, Username: req.Username,
		DisplayName: req.DisplayName, Password: req.Password, Role: account.Role(req.Role), Locale: req.Locale})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, wireUser(u))
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.Accounts.User(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}

func (a *API) setActive(w http.ResponseWriter, r *http.Request, c call, active bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := a.Accounts.SetActive(r.Context(), c.actor, id, active)
	if err != nil {
		action := audit.UserDeactivated
		if active {
			action = audit.UserReactivated
		}
		return a.refused(r, c, err, action, audit.TargetUser, id)
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}

func (a *API) deactivateUser(w http.ResponseWriter, r *http.Request, c call) error {
	return a.setActive(w, r, c, false)
}

func (a *API) reactivateUser(w http.ResponseWriter, r *http.Request, c call) error {
	return a.setActive(w, r, c, true)
}

// PresenceList maps user ids to their presence.
type PresenceList struct {
	Presence map[string]string `json:"presence"`
}

func (a *API) presence(w http.ResponseWriter, r *http.Request, c call) error {
	ids, err := idList(r.URL.Query().Get("user_ids"), 500)
	if err != nil {
		return err
	}
	// Only users of the caller's organisation are known to the hub under
	// this organisation, so no presence crosses tenants; a guest asks only
	// about the members of its channels, everyone else is offline to it
	// (like an unknown id, so the answer reveals nobody).
	visible, err := a.Accounts.VisibleAmong(r.Context(), c.actor, ids)
	if err != nil {
		return err
	}
	p := a.Stream.Presence(c.actor.Org, visible)
	resp := PresenceList{Presence: make(map[string]string, len(ids))}
	for _, id := range ids {
		st := p[id]
		if st == "" {
			st = "offline"
		}
		resp.Presence[strconv.FormatInt(id, 10)] = st
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// idList parses a comma-separated list of positive ids.
func idList(s string, max int) ([]int64, error) {
	if s == "" {
		return []int64{}, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > max {
		return nil, errs.New("httpapi.idList", errs.TooLarge, "too_many_users").With("max", max)
	}
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		v, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || v <= 0 {
			return nil, errs.New("httpapi.idList", errs.Invalid, "id_invalid")
		}
		ids = append(ids, v)
	}
	return ids, nil
}

type roleRequest struct {
	Role string `json:"role"`
}

func (a *API) setUserRole(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req roleRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u, err := a.Accounts.SetRole(r.Context(), c.actor, id, account.Role(req.Role))
	if err != nil {
		return a.refused(r, c, err, audit.RoleChanged, audit.TargetUser, id)
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}
