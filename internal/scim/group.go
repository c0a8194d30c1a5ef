package scim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/sso"
)

// A SCIM Group is a Parley department (ADR 0014); its members are the
// department's direct members.

const schemaGroup = "urn:ietf:params:scim:schemas:core:2.0:Group"

// schemaDept is Parley's Group extension: the department's parent, so a
// provider that pushes a department tree (Feishu-style) can keep it.
const schemaDept = "urn:parley:params:scim:schemas:extension:department:2.0:Group"

type deptExt struct {
	// Parent is the parent group's id; "" or absent for the top level.
	Parent string `json:"parent"`
}

type memberRef struct {
	Value string `json:"value"`
	Ref   string `json:"$ref,omitempty"`
	Type  string `json:"type,omitempty"`
}

type group struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id"`
	ExternalID  string      `json:"externalId,omitempty"`
	DisplayName string      `json:"displayName"`
	Members     []memberRef `json:"members,omitempty"`
	Dept        *deptExt    `json:"urn:parley:params:scim:schemas:extension:department:2.0:Group,omitempty"`
	Meta        meta        `json:"meta"`
}

// groupRef is a membership as the User resource lists it (read-only).
type groupRef struct {
	Value   string `json:"value"`
	Ref     string `json:"$ref"`
	Display string `json:"display"`
}

func groupLocation(id int64) string { return "/scim/v2/Groups/" + strconv.FormatInt(id, 10) }

func wireGroup(d account.Department, ext string, members []int64) group {
	created := d.CreatedAt.UTC().Format(time.RFC3339)
	g := group{Schemas: []string{schemaGroup}, ID: strconv.FormatInt(d.ID, 10), ExternalID: ext, DisplayName: d.Name,
		Meta: meta{ResourceType: "Group", Created: created, LastModified: created, Location: groupLocation(d.ID)}}
	if d.Parent != 0 {
		g.Schemas = append(g.Schemas, schemaDept)
		g.Dept = &deptExt{Parent: strconv.FormatInt(d.Parent, 10)}
	}
	for _, u := range members {
		id := strconv.FormatInt(u, 10)
		g.Members = append(g.Members, memberRef{Value: id, Ref: "/scim/v2/Users/" + id, Type: "User"})
	}
	return g
}

func groupRefs(ds []account.Department) []groupRef {
	out := []groupRef{}
	for _, d := range ds {
		out = append(out, groupRef{Value: strconv.FormatInt(d.ID, 10), Ref: groupLocation(d.ID), Display: d.Name})
	}
	return out
}

func groupFilterable(d account.Department, ext string, members []int64) resource {
	r := resource{"id": strconv.FormatInt(d.ID, 10), "displayname": d.Name}
	if ext != "" {
		r["externalid"] = ext
	}
	if members != nil {
		ids := make([]string, len(members))
		for i, u := range members {
			ids[i] = strconv.FormatInt(u, 10)
		}
		r["members"], r["members.value"] = ids, ids
	}
	return r
}

// excludesMembers reports whether the client asked not to receive the
// member lists (Entra ID does, to keep large groups cheap).
func excludesMembers(r *http.Request) bool {
	for _, a := range strings.Split(r.URL.Query().Get("excludedAttributes"), ",") {
		if strings.EqualFold(strings.TrimSpace(a), "members") {
			return true
		}
	}
	return false
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	start, count, err := page(r)
	if err != nil {
		return err
	}
	var f node
	fs := r.URL.Query().Get("filter")
	if fs != "" {
		if f, err = parseFilter(fs, groupAttrs); err != nil {
			return err
		}
	}
	ds, err := h.sso.SCIMGroups(r.Context(), c)
	if err != nil {
		return err
	}
	exts, err := h.sso.SCIMGroupExternalIDs(r.Context(), c)
	if err != nil {
		return err
	}
	// Members are read per group, so only when the filter needs them for
	// every group; otherwise only for the page returned.
	filterOnMembers := strings.Contains(strings.ToLower(fs), "members")
	members := map[int64][]int64{}
	var matched []account.Department
	for _, d := range ds {
		if f != nil && filterOnMembers {
			g, err := h.sso.SCIMGroup(r.Context(), c, d.ID)
			if err != nil {
				return err
			}
			members[d.ID] = g.Members
		}
		if f == nil || f.match(groupFilterable(d, exts[d.ID], members[d.ID])) {
			matched = append(matched, d)
		}
	}
	resp := listResponse{Schemas: []string{schemaList}, TotalResults: len(matched), StartIndex: start, Resources: []any{}}
	for i := start - 1; i < len(matched) && len(resp.Resources) < count; i++ {
		d := matched[i]
		var ms []int64
		if !excludesMembers(r) {
			ms = members[d.ID]
			if ms == nil {
				g, err := h.sso.SCIMGroup(r.Context(), c, d.ID)
				if err != nil {
					return err
				}
				ms = g.Members
			}
		}
		resp.Resources = append(resp.Resources, wireGroup(d, exts[d.ID], ms))
	}
	resp.ItemsPerPage = len(resp.Resources)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func groupID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.New("scim", errs.NotFound, "group_not_found")
	}
	return id, nil
}

func (h *Handler) writeGroup(w http.ResponseWriter, r *http.Request, status int, g sso.SCIMGroup) {
	ms := g.Members
	if excludesMembers(r) {
		ms = nil
	}
	writeJSON(w, status, wireGroup(g.Department, g.ExternalID, ms))
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := groupID(r)
	if err != nil {
		return err
	}
	g, err := h.sso.SCIMGroup(r.Context(), c, id)
	if err != nil {
		return err
	}
	h.writeGroup(w, r, http.StatusOK, g)
	return nil
}

// groupBody is a Group as clients send it.
type groupBody struct {
	DisplayName string            `json:"displayName"`
	ExternalID  string            `json:"externalId"`
	Members     []json.RawMessage `json:"members"`
	Dept        *deptExt          `json:"urn:parley:params:scim:schemas:extension:department:2.0:Group"`
}

// memberIDs reads member references ({"value": "42"}); a value that is not
// a Parley user id is invalid.
func memberIDs(raw []json.RawMessage) ([]int64, error) {
	out := []int64{}
	for _, m := range raw {
		var ref struct {
			Value json.RawMessage `json:"value"`
		}
		if json.Unmarshal(m, &ref) != nil {
			return nil, invalid("members must be objects with a value")
		}
		var s string
		if json.Unmarshal(ref.Value, &s) != nil {
			s = string(ref.Value) // some clients send the id as a number
		}
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, invalid("member value " + strconv.Quote(s) + " is not a user id")
		}
		out = append(out, id)
	}
	return out, nil
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	var b groupBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.DisplayName) == "" {
		return invalid("displayName is required")
	}
	members, err := memberIDs(b.Members)
	if err != nil {
		return err
	}
	var parent int64
	if b.Dept != nil && b.Dept.Parent != "" {
		if parent, err = strconv.ParseInt(b.Dept.Parent, 10, 64); err != nil || parent <= 0 {
			return invalid("parent must be a group id")
		}
	}
	g, err := h.sso.SCIMCreateGroup(r.Context(), c, sso.SCIMNewGroup{Name: b.DisplayName, Parent: parent, Members: members,
		ExternalID: b.ExternalID})
	if err != nil {
		return err
	}
	w.Header().Set("Location", groupLocation(g.ID))
	h.writeGroup(w, r, http.StatusCreated, g)
	return nil
}

func (h *Handler) putGroup(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := groupID(r)
	if err != nil {
		return err
	}
	var b groupBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.DisplayName) == "" {
		return invalid("displayName is required")
	}
	members, err := memberIDs(b.Members)
	if err != nil {
		return err
	}
	// PUT replaces the resource: an absent externalId is removed.
	g, err := h.sso.SCIMUpdateGroup(r.Context(), c, id, sso.SCIMGroupPatch{Name: &b.DisplayName, Members: members,
		ExternalID: &b.ExternalID})
	if err != nil {
		return err
	}
	h.writeGroup(w, r, http.StatusOK, g)
	return nil
}

// memberSet is a group's member list as a PATCH request changes it,
// operation by operation, in order.
type memberSet struct {
	ids     []int64
	changed bool
}

func (m *memberSet) has(u int64) bool { return slices.Contains(m.ids, u) }

// apply applies one add/remove/replace on "members" (Okta and Entra ID
// shapes): a list value, or for remove a value-path filter such as
// members[value eq "42"], or no value at all (remove every member).
func (m *memberSet) apply(op, path string, raw json.RawMessage) error {
	m.changed = true
	var ids []int64
	if len(raw) > 0 && string(raw) != "null" {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			list = []json.RawMessage{raw} // a single member object
		}
		var err error
		if ids, err = memberIDs(list); err != nil {
			return err
		}
	}
	if strings.HasPrefix(strings.ToLower(path), "members[") {
		if op != "remove" || !strings.HasSuffix(path, "]") {
			return invalid("a members[...] path is only for remove")
		}
		f, err := parseFilter(path[len("members["):len(path)-1], map[string]string{"value": "string"})
		if err != nil {
			return err
		}
		m.ids = slices.DeleteFunc(m.ids, func(u int64) bool { return f.match(resource{"value": strconv.FormatInt(u, 10)}) })
		return nil
	}
	switch {
	case op == "add":
		for _, u := range ids {
			if !m.has(u) {
				m.ids = append(m.ids, u)
			}
		}
	case op == "remove" && ids == nil:
		m.ids = []int64{}
	case op == "remove":
		m.ids = slices.DeleteFunc(m.ids, func(u int64) bool { return slices.Contains(ids, u) })
	case op == "replace":
		m.ids = append([]int64{}, ids...)
	}
	return nil
}

func (h *Handler) patchGroup(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := groupID(r)
	if err != nil {
		return err
	}
	b, err := decodePatch(r)
	if err != nil {
		return err
	}
	cur, err := h.sso.SCIMGroup(r.Context(), c, id)
	if err != nil {
		return err
	}
	var p sso.SCIMGroupPatch
	ms := memberSet{ids: slices.Clone(cur.Members)}
	for _, o := range b.Operations {
		op := strings.ToLower(o.Op)
		if op != "add" && op != "remove" && op != "replace" {
			return invalid("op must be add, replace or remove")
		}
		path := strings.ToLower(o.Path)
		switch {
		case path == "members" || strings.HasPrefix(path, "members["):
			if err := ms.apply(op, o.Path, o.Value); err != nil {
				return err
			}
		case path == "externalid":
			if err := patchExternalID(&p, op, o.Value); err != nil {
				return err
			}
		case path == "displayname":
			if op == "remove" {
				return invalid("displayName cannot be removed")
			}
			var s string
			if json.Unmarshal(o.Value, &s) != nil {
				return invalid("displayName must be a string")
			}
			p.Name = &s
		case path == "":
			// Okta: {"op":"replace","value":{"id":"..","displayName":".."}}.
			var obj map[string]json.RawMessage
			if json.Unmarshal(o.Value, &obj) != nil {
				return invalid("an operation without path needs an object value")
			}
			for k, v := range obj {
				switch strings.ToLower(k) {
				case "displayname":
					var s string
					if json.Unmarshal(v, &s) != nil {
						return invalid("displayName must be a string")
					}
					p.Name = &s
				case "members":
					if err := ms.apply(op, "members", v); err != nil {
						return err
					}
				case "externalid":
					if err := patchExternalID(&p, op, v); err != nil {
						return err
					}
				}
			}
		default:
			// Attributes Parley does not keep are ignored, as for users.
		}
	}
	if ms.changed {
		p.Members = ms.ids
	}
	g, err := h.sso.SCIMUpdateGroup(r.Context(), c, id, p)
	if err != nil {
		return err
	}
	h.writeGroup(w, r, http.StatusOK, g)
	return nil
}

// patchExternalID sets (add, replace) or removes the externalId.
func patchExternalID(p *sso.SCIMGroupPatch, op string, raw json.RawMessage) error {
	ext := ""
	if op != "remove" {
		if json.Unmarshal(raw, &ext) != nil {
			return invalid("externalId must be a string")
		}
	}
	p.ExternalID = &ext
	return nil
}

// deleteGroup empties and deletes the department; its users stay.
func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, c sso.SCIMClient) error {
	id, err := groupID(r)
	if err != nil {
		return err
	}
	if err := h.sso.SCIMDeleteGroup(r.Context(), c, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
