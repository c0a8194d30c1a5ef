package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// Department is a node of the department tree on the wire.
type Department struct {
	ID        int64     `json:"id"`
	ParentID  int64     `json:"parent_id"`
	Name      string    `json:"name"`
	SortOrder int       `json:"sort_order"`
	CreatedAt Timestamp `json:"created_at"`
}

func wireDepartment(d account.Department) Department {
	return Department{ID: d.ID, ParentID: d.Parent, Name: d.Name, SortOrder: d.Order, CreatedAt: Timestamp(d.CreatedAt)}
}

// DepartmentMember is a user's membership of a department.
type DepartmentMember struct {
	DepartmentID int64 `json:"department_id"`
	UserID       int64 `json:"user_id"`
	Head         bool  `json:"head"`
	SortOrder    int   `json:"sort_order"`
}

func wireDepartmentMember(m account.DepartmentMember) DepartmentMember {
	return DepartmentMember{DepartmentID: m.Department, UserID: m.User, Head: m.Head, SortOrder: m.Order}
}

// DepartmentList is the whole tree, parents before their children.
type DepartmentList struct {
	Departments []Department `json:"departments"`
}

// DepartmentDetail is one department with its direct members and admins.
type DepartmentDetail struct {
	Department
	Members  []DepartmentMember `json:"members"`
	AdminIDs []int64            `json:"admin_ids"`
}

// DepartmentMemberList lists the members of a department or subtree.
type DepartmentMemberList struct {
	Members []DepartmentMember `json:"members"`
}

func (a *API) listDepartments(w http.ResponseWriter, r *http.Request, c call) error {
	ds, err := a.Accounts.Departments(r.Context(), c.actor)
	if err != nil {
		return err
	}
	resp := DepartmentList{Departments: make([]Department, len(ds))}
	for i, d := range ds {
		resp.Departments[i] = wireDepartment(d)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type newDepartment struct {
	Name      string `json:"name"`
	ParentID  int64  `json:"parent_id"`
	SortOrder int    `json:"sort_order"`
}

func (a *API) createDepartment(w http.ResponseWriter, r *http.Request, c call) error {
	var req newDepartment
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := a.Accounts.CreateDepartment(r.Context(), c.actor, account.NewDepartment{Parent: req.ParentID, Name: req.Name, Order: req.SortOrder})
	if err != nil {
		// The department does not exist: the target is the parent it was
		// to be created under (0: the top level).
		return a.refusedWith(r, c, err, account.DepartmentCreated, account.TargetDepartment, req.ParentID,
			map[string]string{"name": req.Name})
	}
	writeJSON(w, http.StatusCreated, wireDepartment(d))
	return nil
}

func (a *API) getDepartment(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := a.Accounts.Department(r.Context(), c.actor, id)
	if err != nil {
		return err
	}
	resp := DepartmentDetail{Department: wireDepartment(d.Department), Members: make([]DepartmentMember, len(d.Members)), AdminIDs: d.Admins}
	for i, m := range d.Members {
		resp.Members[i] = wireDepartmentMember(m)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type departmentPatch struct {
	Name      *string `json:"name"`
	SortOrder *int    `json:"sort_order"`
}

func (a *API) patchDepartment(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req departmentPatch
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := a.Accounts.UpdateDepartment(r.Context(), c.actor, id, account.DepartmentPatch{Name: req.Name, Order: req.SortOrder})
	if err != nil {
		return a.refused(r, c, err, account.DepartmentUpdated, account.TargetDepartment, id)
	}
	writeJSON(w, http.StatusOK, wireDepartment(d))
	return nil
}

type departmentMove struct {
	ParentID  int64 `json:"parent_id"`
	SortOrder int   `json:"sort_order"`
}

func (a *API) moveDepartment(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req departmentMove
	if err := decode(r, &req); err != nil {
		return err
	}
	d, err := a.Accounts.MoveDepartment(r.Context(), c.actor, id, req.ParentID, req.SortOrder)
	if err != nil {
		return a.refusedWith(r, c, err, account.DepartmentMoved, account.TargetDepartment, id,
			map[string]string{"parent": strconv.FormatInt(req.ParentID, 10)})
	}
	writeJSON(w, http.StatusOK, wireDepartment(d))
	return nil
}

func (a *API) deleteDepartment(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.Accounts.DeleteDepartment(r.Context(), c.actor, id); err != nil {
		return a.refused(r, c, err, account.DepartmentDeleted, account.TargetDepartment, id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listDepartmentMembers(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var subtree bool
	switch r.URL.Query().Get("subtree") {
	case "", "false", "0":
	case "true", "1":
		subtree = true
	default:
		return errs.New("httpapi.listDepartmentMembers", errs.Invalid, "subtree_invalid")
	}
	ms, err := a.Accounts.DepartmentMembers(r.Context(), c.actor, id, subtree)
	if err != nil {
		return err
	}
	resp := DepartmentMemberList{Members: make([]DepartmentMember, len(ms))}
	for i, m := range ms {
		resp.Members[i] = wireDepartmentMember(m)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type departmentMemberPut struct {
	Head      bool `json:"head"`
	SortOrder int  `json:"sort_order"`
}

func (a *API) putDepartmentMember(w http.ResponseWriter, r *http.Request, c call) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var req departmentMemberPut
	if err := decode(r, &req); err != nil {
		return err
	}
	m, err := a.Accounts.SetDepartmentMember(r.Context(), c.actor, account.DepartmentMember{Department: id, User: user, Head: req.Head, Order: req.SortOrder})
	if err != nil {
		return a.refusedWith(r, c, err, account.DepartmentMemberSet, account.TargetDepartment, id,
			map[string]string{"user": strconv.FormatInt(user, 10), "head": strconv.FormatBool(req.Head)})
	}
	writeJSON(w, http.StatusOK, wireDepartmentMember(m))
	return nil
}

func (a *API) deleteDepartmentMember(w http.ResponseWriter, r *http.Request, c call) error {
	return userAction(w, r, c, func(ctx context.Context, actor account.Actor, id, user int64) error {
		err := a.Accounts.RemoveDepartmentMember(ctx, actor, id, user)
		return a.refusedWith(r, c, err, account.DepartmentMemberGone, account.TargetDepartment, id,
			map[string]string{"user": strconv.FormatInt(user, 10)})
	})
}

// A department admin grant or revoke is recorded on the user, as when it
// succeeds, with the department in the details.

func (a *API) putDepartmentAdmin(w http.ResponseWriter, r *http.Request, c call) error {
	return userAction(w, r, c, func(ctx context.Context, actor account.Actor, id, user int64) error {
		err := a.Accounts.SetDepartmentAdmin(ctx, actor, id, user, true)
		return a.refusedWith(r, c, err, account.DepartmentAdminGrant, audit.TargetUser, user,
			map[string]string{"department": strconv.FormatInt(id, 10)})
	})
}

func (a *API) deleteDepartmentAdmin(w http.ResponseWriter, r *http.Request, c call) error {
	return userAction(w, r, c, func(ctx context.Context, actor account.Actor, id, user int64) error {
		err := a.Accounts.SetDepartmentAdmin(ctx, actor, id, user, false)
		return a.refusedWith(r, c, err, account.DepartmentAdminDrop, audit.TargetUser, user,
			map[string]string{"department": strconv.FormatInt(id, 10)})
	})
}
