package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// DirectoryResult is what the address book and the @ autocomplete show for
// a query: people and channels.
type DirectoryResult struct {
	Users    []User    `json:"users"`
	Channels []Channel `json:"channels"`
}

func (a *API) searchDirectory(w http.ResponseWriter, r *http.Request, c call) error {
	q := r.URL.Query().Get("q")
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != "all" && kind != "users" && kind != "channels" {
		return errs.New("httpapi.searchDirectory", errs.Invalid, "kind_invalid")
	}
	limit := 20
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > account.MaxSearchResults {
			return errs.New("httpapi.searchDirectory", errs.Invalid, "limit_invalid")
		}
		limit = n
	}
	resp := DirectoryResult{Users: []User{}, Channels: []Channel{}}
	if kind != "channels" {
		us, err := a.Accounts.SearchUsers(r.Context(), c.actor, q, limit)
		if err != nil {
			return err
		}
		for _, u := range us {
			resp.Users = append(resp.Users, wireUser(u))
		}
	}
	if kind != "users" {
		cs, err := a.Chat.SearchChannels(r.Context(), c.actor, q, limit)
		if err != nil {
			return err
		}
		for _, ch := range cs {
			resp.Channels = append(resp.Channels, wireChannel(ch, nil))
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// FieldValue is a user's value of a custom profile field.
type FieldValue struct {
	FieldID int64  `json:"field_id"`
	Name    string `json:"name"`
	Value   string `json:"value"`
}

// Profile is a user's directory card.
type Profile struct {
	User          User         `json:"user"`
	Departments   []Department `json:"departments"`
	HeadOf        []int64      `json:"head_of"`
	Manager       *User        `json:"manager,omitempty"`
	Fields        []FieldValue `json:"fields"`
	DepartmentIDs []int64      `json:"department_ids"`
}

func (a *API) getProfile(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := a.Accounts.Profile(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	resp := Profile{User: wireUser(p.User), Departments: []Department{}, HeadOf: p.Heads, Fields: []FieldValue{}, DepartmentIDs: []int64{}}
	if resp.HeadOf == nil {
		resp.HeadOf = []int64{}
	}
	for _, d := range p.Departments {
		resp.Departments = append(resp.Departments, wireDepartment(d))
		resp.DepartmentIDs = append(resp.DepartmentIDs, d.ID)
	}
	if p.Manager != nil {
		m := wireUser(*p.Manager)
		resp.Manager = &m
	}
	for _, f := range p.Fields {
		resp.Fields = append(resp.Fields, FieldValue{FieldID: f.Field.ID, Name: f.Field.Name, Value: f.Value})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type directoryPatch struct {
	Title      *string           `json:"title"`
	EmployeeNo *string           `json:"employee_no"`
	Phone      *string           `json:"phone"`
	ManagerID  *int64            `json:"manager_id"`
	Fields     map[string]string `json:"fields"`
}

func (a *API) patchProfile(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req directoryPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	p := account.DirectoryPatch{Title: req.Title, EmployeeNo: req.EmployeeNo, Phone: req.Phone, Manager: req.ManagerID}
	if len(req.Fields) > account.MaxProfileFields {
		return errs.New("httpapi.patchProfile", errs.TooLarge, "too_many_profile_fields").With("max", account.MaxProfileFields)
	}
	if len(req.Fields) > 0 {
		p.Fields = map[int64]string{}
		for k, v := range req.Fields {
			fid, err := strconv.ParseInt(k, 10, 64)
			if err != nil || fid <= 0 {
				return errs.New("httpapi.patchProfile", errs.Invalid, "id_invalid")
			}
			p.Fields[fid] = v
		}
	}
	u, err := a.Accounts.UpdateDirectoryProfile(r.Context(), c.actor, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireUser(u))
	return nil
}

// ProfileField is a custom profile field on the wire.
type ProfileField struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	SortOrder int    `json:"sort_order"`
	AdminOnly bool   `json:"admin_only"`
}

// ProfileFieldList lists an organisation's custom fields.
type ProfileFieldList struct {
	Fields []ProfileField `json:"fields"`
}

func wireField(f account.ProfileField) ProfileField {
	return ProfileField{ID: f.ID, Name: f.Name, SortOrder: f.Order, AdminOnly: f.AdminOnly}
}

func (a *API) listProfileFields(w http.ResponseWriter, r *http.Request, c call) error {
	fs, err := a.Accounts.ProfileFields(r.Context(), c.actor)
	if err != nil {
		return err
	}
	resp := ProfileFieldList{Fields: make([]ProfileField, len(fs))}
	for i, f := range fs {
		resp.Fields[i] = wireField(f)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type fieldPatch struct {
	Name      *string `json:"name"`
	SortOrder *int    `json:"sort_order"`
	AdminOnly *bool   `json:"admin_only"`
}

func (a *API) saveProfileField(w http.ResponseWriter, r *http.Request, c call, id int64, status int) error {
	var req fieldPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	f, err := a.Accounts.SaveProfileField(r.Context(), c.actor, id, account.FieldPatch{Name: req.Name, Order: req.SortOrder, AdminOnly: req.AdminOnly})
	if err != nil {
		return err
	}
	writeJSON(w, status, wireField(f))
	return nil
}

func (a *API) createProfileField(w http.ResponseWriter, r *http.Request, c call) error {
	return a.saveProfileField(w, r, c, 0, http.StatusCreated)
}

func (a *API) patchProfileField(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return a.saveProfileField(w, r, c, id, http.StatusOK)
}

func (a *API) deleteProfileField(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Accounts.DeleteProfileField(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Permissions is an organisation's permission scheme on the wire. Each
// permission is one of everyone, members, channel_admins, admins; owners and
// admins always have every permission. Windows are in seconds, 0 for none.
type Permissions struct {
	CreatePublicChannel  string `json:"create_public_channel"`
	CreatePrivateChannel string `json:"create_private_channel"`
	MentionAll           string `json:"mention_all"`
	InviteGuests         string `json:"invite_guests"`
	EditMessages         string `json:"edit_messages"`
	EditWindowSeconds    int64  `json:"edit_window_seconds"`
	DeleteMessages       string `json:"delete_messages"`
	DeleteWindowSeconds  int64  `json:"delete_window_seconds"`
	RecallMessages       string `json:"recall_messages"`
	CreateBots           string `json:"create_bots"`
	SeeEmail             string `json:"see_email"`
	SeePhone             string `json:"see_phone"`
}

func wirePermissions(s account.Scheme) Permissions {
	return Permissions{CreatePublicChannel: string(s.CreatePublicChannel), CreatePrivateChannel: string(s.CreatePrivateChannel),
		MentionAll: string(s.MentionAll), InviteGuests: string(s.InviteGuests), EditMessages: string(s.EditMessages),
		EditWindowSeconds: int64(s.EditWindow / time.Second), DeleteMessages: string(s.DeleteMessages),
		DeleteWindowSeconds: int64(s.DeleteWindow / time.Second), RecallMessages: string(s.RecallMessages),
		CreateBots: string(s.CreateBots), SeeEmail: string(s.SeeEmail), SeePhone: string(s.SeePhone)}
}

type permissionsPatch struct {
	CreatePublicChannel  *string `json:"create_public_channel"`
	CreatePrivateChannel *string `json:"create_private_channel"`
	MentionAll           *string `json:"mention_all"`
	InviteGuests         *string `json:"invite_guests"`
	EditMessages         *string `json:"edit_messages"`
	EditWindowSeconds    *int64  `json:"edit_window_seconds"`
	DeleteMessages       *string `json:"delete_messages"`
	DeleteWindowSeconds  *int64  `json:"delete_window_seconds"`
	RecallMessages       *string `json:"recall_messages"`
	CreateBots           *string `json:"create_bots"`
	SeeEmail             *string `json:"see_email"`
	SeePhone             *string `json:"see_phone"`
}

func (a *API) getPermissions(w http.ResponseWriter, r *http.Request, c call) error {
	s, err := a.Accounts.Scheme(r.Context(), c.actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wirePermissions(s))
	return nil
}

func (a *API) patchPermissions(w http.ResponseWriter, r *http.Request, c call) error {
	var req permissionsPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	p := account.SchemePatch{Who: map[string]account.Who{}, Windows: map[string]time.Duration{}}
	for k, v := range map[string]*string{"create_public_channel": req.CreatePublicChannel, "create_private_channel": req.CreatePrivateChannel,
		"mention_all": req.MentionAll, "invite_guests": req.InviteGuests, "edit_messages": req.EditMessages,
		"delete_messages": req.DeleteMessages, "recall_messages": req.RecallMessages, "create_bots": req.CreateBots,
		"see_email": req.SeeEmail, "see_phone": req.SeePhone} {
		if v != nil {
			p.Who[k] = account.Who(*v)
		}
	}
	for k, v := range map[string]*int64{"edit_window_seconds": req.EditWindowSeconds, "delete_window_seconds": req.DeleteWindowSeconds} {
		if v != nil {
			// Out-of-range values become -1 so that the service refuses them
			// after its permission check, without overflowing.
			d := time.Duration(-1)
			if *v >= 0 && *v <= int64(account.MaxMessageWindow/time.Second) {
				d = time.Duration(*v) * time.Second
			}
			p.Windows[k] = d
		}
	}
	s, err := a.Accounts.UpdateScheme(r.Context(), c.actor, p)
	if err != nil {
		return a.refused(r, c, err, account.PermissionsUpdated, audit.TargetOrg, c.actor.Org)
	}
	writeJSON(w, http.StatusOK, wirePermissions(s))
	return nil
}

// Group is a user group on the wire.
type Group struct {
	ID          int64     `json:"id"`
	Handle      string    `json:"handle"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedBy   int64     `json:"created_by"`
	CreatedAt   Timestamp `json:"created_at"`
	MemberIDs   []int64   `json:"member_ids"`
}

// GroupList lists user groups (without members).
type GroupList struct {
	Groups []Group `json:"groups"`
}

func wireGroup(g account.Group) Group {
	w := Group{ID: g.ID, Handle: g.Handle, Name: g.Name, Description: g.Description, CreatedBy: g.CreatedBy,
		CreatedAt: Timestamp(g.CreatedAt), MemberIDs: g.Members}
	if w.MemberIDs == nil {
		w.MemberIDs = []int64{}
	}
	return w
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request, c call) error {
	gs, err := a.Accounts.Groups(r.Context(), c.actor)
	if err != nil {
		return err
	}
	resp := GroupList{Groups: make([]Group, len(gs))}
	for i, g := range gs {
		resp.Groups[i] = wireGroup(g)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	g, err := a.Accounts.Group(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireGroup(g))
	return nil
}

type groupPatch struct {
	Handle      *string `json:"handle"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

func (a *API) saveGroup(w http.ResponseWriter, r *http.Request, c call, id int64, status int) error {
	var req groupPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	g, err := a.Accounts.SaveGroup(r.Context(), c.actor, id, account.GroupPatch{Handle: req.Handle, Name: req.Name, Description: req.Description})
	if err != nil {
		return err
	}
	writeJSON(w, status, wireGroup(g))
	return nil
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request, c call) error {
	return a.saveGroup(w, r, c, 0, http.StatusCreated)
}

func (a *API) patchGroup(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return a.saveGroup(w, r, c, id, http.StatusOK)
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Accounts.DeleteGroup(r.Context(), c.actor, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) putGroupMember(w http.ResponseWriter, r *http.Request, c call) error {
	return userAction(w, r, c, func(ctx context.Context, actor account.Actor, id, user int64) error {
		return a.Accounts.SetGroupMember(ctx, actor, id, user, true)
	})
}

func (a *API) deleteGroupMember(w http.ResponseWriter, r *http.Request, c call) error {
	return userAction(w, r, c, func(ctx context.Context, actor account.Actor, id, user int64) error {
		return a.Accounts.SetGroupMember(ctx, actor, id, user, false)
	})
}

type departmentBinding struct {
	DepartmentID int64 `json:"department_id"`
}

func (a *API) bindDepartment(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req departmentBinding
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.DepartmentID < 0 {
		return errs.New("httpapi.bindDepartment", errs.Invalid, "id_invalid")
	}
	manages := func(ctx context.Context, dept int64) (bool, error) {
		return a.Accounts.ManagesDepartment(ctx, c.actor, dept)
	}
	ch, err := a.Chat.BindDepartment(r.Context(), c.actor, id, req.DepartmentID, manages)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wireChannel(ch, nil))
	return nil
}
