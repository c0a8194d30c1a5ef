package account

import (
	"context"
	"strconv"

	"github.com/parley-chat/parley/internal/audit"
)

// Actions the directory records (issue 5: role and permission changes and
// changes to the organisation's structure go to the audit trail). The names
// are part of the API, like audit's own.
const (
	PermissionsUpdated   audit.Action = "permissions.update"
	DepartmentCreated    audit.Action = "department.create"
	DepartmentUpdated    audit.Action = "department.update" // renamed or reordered
	DepartmentMoved      audit.Action = "department.move"
	DepartmentDeleted    audit.Action = "department.delete"
	DepartmentMemberSet  audit.Action = "department.member_set" // added, or head flag/order changed
	DepartmentMemberGone audit.Action = "department.member_remove"
	DepartmentAdminGrant audit.Action = "department.admin_grant"
	DepartmentAdminDrop  audit.Action = "department.admin_revoke"
	GroupCreated         audit.Action = "group.create"
	GroupUpdated         audit.Action = "group.update"
	GroupDeleted         audit.Action = "group.delete"
	GroupMemberAdded     audit.Action = "group.member_add"
	GroupMemberRemoved   audit.Action = "group.member_remove"
	ProfileFieldCreated  audit.Action = "profile_field.create"
	ProfileFieldUpdated  audit.Action = "profile_field.update"
	ProfileFieldDeleted  audit.Action = "profile_field.delete"
)

// Target types of the directory's actions.
const (
	TargetDepartment   audit.TargetType = "department"
	TargetGroup        audit.TargetType = "group"
	TargetProfileField audit.TargetType = "profile_field"
)

// auditOn records an action of actor on any target in the transaction that
// makes it, so the trail and the change commit or roll back together.
func (s *Service) auditOn(ctx context.Context, tx Tx, actor Actor, action audit.Action, tt audit.TargetType, target int64, details map[string]string) error {
	return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), audit.Entry{Org: actor.Org, Actor: actor.User, Action: action,
		TargetType: tt, TargetID: target, Outcome: audit.Success, Details: details}))
}

// changed returns "old → new" under key in d when the two differ.
func changed(d map[string]string, key, old, new string) {
	if old != new {
		d[key] = old + " → " + new
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
