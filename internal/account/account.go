// Package account owns organisations (the tenants), their users and roles,
// and the Actor value every domain service receives to decide authorisation.
package account

import (
	"time"
)

// Role is a user's role in their organisation.
type Role string

// Organisation roles. A department admin is a member who also administers
// the subtrees of the departments they are assigned to (department_admins).
const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeptAdmin Role = "dept_admin"
	RoleMember    Role = "member"
	RoleGuest     Role = "guest"
	RoleBot       Role = "bot"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleDeptAdmin, RoleMember, RoleGuest, RoleBot:
		return true
	}
	return false
}

// Org is an organisation: every other row belongs to exactly one.
type Org struct {
	ID                int64
	Name              string
	RecallWindow      time.Duration // how long authors may recall (撤回) their messages
	ReceiptMaxMembers int           // largest channel that shows read receipts
	LinkPreviews      bool          // fetch previews of links in messages (on by default)
	FileMaxBytes      int64         // largest file a member may upload
	FileQuotaBytes    int64         // total size of the files one member may have uploaded
	CreatedAt         time.Time
}

// DefaultRecallWindow and DefaultReceiptMaxMembers apply to new organisations.
const (
	DefaultRecallWindow      = 24 * time.Hour
	DefaultReceiptMaxMembers = 500
)

// Default and largest file limits of an organisation.
const (
	DefaultFileMaxBytes   = 100 << 20
	DefaultFileQuotaBytes = 10 << 30
	MaxFileMaxBytes       = 5 << 30 // one PUT to an S3-compatible store
	MaxFileQuotaBytes     = 1 << 50
)

// User is a person (or bot) in one organisation.
type User struct {
	ID          int64
	Org         int64
	Email       string // lower-cased
	Username    string // lower-cased
	DisplayName string
	AvatarURL   string
	Locale      string // "zh-CN", "en" or "" for the browser's choice
	TimeZone    string // IANA name or ""
	StatusText  string
	// Directory profile.
	Title      string // job title
	EmployeeNo string // unique per organisation when set
	Phone      string
	Manager    int64 // user id of the manager; 0 for none
	Role       Role
	Active     bool
	CreatedAt  time.Time
}

// Actor is the authenticated user on whose behalf a service method runs. It
// is passed explicitly to every service method that needs authorisation.
type Actor struct {
	Org  int64
	User int64
	Role Role
}

// IsAdmin reports whether the actor administers the organisation.
func (a Actor) IsAdmin() bool { return a.Role == RoleOwner || a.Role == RoleAdmin }

// OrgID is the actor's organisation (for services that take a small
// interface rather than an Actor, such as audit.Viewer).
func (a Actor) OrgID() int64 { return a.Org }

// IsDeptAdmin reports whether the actor administers department subtrees;
// which ones is in the store (Reader.AdminScopes).
func (a Actor) IsDeptAdmin() bool { return a.Role == RoleDeptAdmin }

// IsGuest reports whether the actor is a guest, who sees only the channels
// they were invited to.
func (a Actor) IsGuest() bool { return a.Role == RoleGuest }

// ActorOf returns the actor for a user.
func ActorOf(u User) Actor { return Actor{Org: u.Org, User: u.ID, Role: u.Role} }
