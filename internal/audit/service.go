package audit

import (
	"context"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/errs"
)

// Store is what the audit service needs from persistence.
type Store interface {
	// Update runs fn in one durable write transaction.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// AuditEntries returns an organisation's entries matching f, newest
	// first, at most f.Limit.
	AuditEntries(ctx context.Context, org int64, f Filter) ([]Entry, error)
}

// Tx is the one write the trail allows: appending. Services that record
// inside their own write transaction declare this same method in their Tx
// interface, so that the action and its record commit together.
type Tx interface {
	InsertAudit(ctx context.Context, e Entry) error
}

// Viewer is who asks to read the trail (account.Actor satisfies it).
type Viewer interface {
	OrgID() int64
	IsAdmin() bool
}

// Service records and reads the audit trail.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns an audit service.
func NewService(st Store, now func() time.Time) *Service {
	return &Service{store: st, now: now}
}

// Record appends an entry in its own transaction, stamped with the time and
// the request's source (see Stamp). Use it for actions that write nothing
// else (a failed login); inside a write transaction call tx.InsertAudit with
// Stamp instead. Errors are Unavailable.
func (s *Service) Record(ctx context.Context, e Entry) error {
	e = Stamp(ctx, s.now(), e)
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.InsertAudit(ctx, e) }); err != nil {
		return errs.E("audit.Record", errs.Other, "", err)
	}
	return nil
}

// Filter selects entries. Zero fields match everything.
type Filter struct {
	Actor int64
	// Action matches exactly, or, ending in ".", every action of that
	// family ("auth." matches auth.login and auth.logout).
	Action     Action
	TargetType TargetType
	TargetID   int64
	Outcome    Outcome
	Since      time.Time // at or after
	Until      time.Time // before
	// Before is the cursor: only entries with a smaller id (the previous
	// page's last id). 0 starts at the newest.
	Before int64
	Limit  int
}

// Page limits.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Query returns the viewer's organisation's entries matching f, newest
// first. Organisation owners and admins only (Permission "admin_required");
// Invalid for a malformed filter.
func (s *Service) Query(ctx context.Context, v Viewer, f Filter) ([]Entry, error) {
	const op = "audit.Query"
	if !v.IsAdmin() {
		return nil, errs.New(op, errs.Permission, "admin_required")
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		return nil, errs.New(op, errs.Invalid, "limit_invalid").With("max", MaxLimit)
	}
	if f.Actor < 0 || f.TargetID < 0 || f.Before < 0 {
		return nil, errs.New(op, errs.Invalid, "id_invalid")
	}
	if len(f.Action) > MaxActionLen || strings.ContainsAny(string(f.Action), "%\\ ") {
		return nil, errs.New(op, errs.Invalid, "audit_action_invalid")
	}
	if len(f.TargetType) > MaxActionLen {
		return nil, errs.New(op, errs.Invalid, "audit_target_invalid")
	}
	if f.Outcome != "" && !f.Outcome.Valid() {
		return nil, errs.New(op, errs.Invalid, "audit_outcome_invalid")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return nil, errs.New(op, errs.Invalid, "audit_range_invalid")
	}
	es, err := s.store.AuditEntries(ctx, v.OrgID(), f)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	return es, nil
}
