package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
)

// AuditEntry is one line of the audit trail on the wire.
type AuditEntry struct {
	ID         int64             `json:"id"`
	At         Timestamp         `json:"at"`
	ActorID    int64             `json:"actor_id"`
	Action     string            `json:"action"`
	TargetType string            `json:"target_type"`
	TargetID   int64             `json:"target_id"`
	Address    string            `json:"address"`
	UserAgent  string            `json:"user_agent"`
	Outcome    string            `json:"outcome"`
	Details    map[string]string `json:"details"`
}

// AuditPage is a page of the audit trail, newest first.
type AuditPage struct {
	Entries    []AuditEntry `json:"entries"`
	NextCursor string       `json:"next_cursor"`
}

func wireAudit(e audit.Entry) AuditEntry {
	d := e.Details
	if d == nil {
		d = map[string]string{}
	}
	return AuditEntry{ID: e.ID, At: Timestamp(e.At), ActorID: e.Actor, Action: string(e.Action), TargetType: string(e.TargetType),
		TargetID: e.TargetID, Address: e.Address, UserAgent: e.UserAgent, Outcome: string(e.Outcome), Details: d}
}

// queryTime parses an optional RFC 3339 time query parameter.
func queryTime(r *http.Request, name string) (time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.New("httpapi.queryTime", errs.Invalid, "time_invalid").With("field", name)
	}
	return t, nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, c call) error {
	q := r.URL.Query()
	var f audit.Filter
	var err error
	if f.Limit, err = pageLimit(r); err != nil {
		return err
	}
	if f.Before, err = queryInt(r, "cursor", "cursor_invalid"); err != nil {
		return err
	}
	if f.Actor, err = queryInt(r, "actor_id", "id_invalid"); err != nil {
		return err
	}
	if f.TargetID, err = queryInt(r, "target_id", "id_invalid"); err != nil {
		return err
	}
	if f.Since, err = queryTime(r, "since"); err != nil {
		return err
	}
	if f.Until, err = queryTime(r, "until"); err != nil {
		return err
	}
	f.Action = audit.Action(q.Get("action"))
	f.TargetType = audit.TargetType(q.Get("target_type"))
	f.Outcome = audit.Outcome(q.Get("outcome"))
	es, err := a.Audit.Query(r.Context(), c.actor, f)
	if err != nil {
		return err
	}
	resp := AuditPage{Entries: make([]AuditEntry, len(es))}
	for i, e := range es {
		resp.Entries[i] = wireAudit(e)
	}
	if len(es) == f.Limit {
		resp.NextCursor = strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// refused records a security action the service refused for lack of
// permission as a "failure" entry, then returns err unchanged. The refused
// action wrote nothing, so there is no transaction to record in; a recording
// error is logged rather than returned, because the caller must still get
// the refusal.
func (a *API) refused(r *http.Request, c call, err error, action audit.Action, tt audit.TargetType, target int64) error {
	return a.refusedWith(r, c, err, action, tt, target, nil)
}

// refusedWith is refused with details about the attempt (the user a
// department membership was aimed at, the parent of a department to create),
// recorded next to the reason.
func (a *API) refusedWith(r *http.Request, c call, err error, action audit.Action, tt audit.TargetType, target int64, details map[string]string) error {
	if !errs.Is(err, errs.Permission) || a.Audit == nil {
		return err
	}
	d := map[string]string{"reason": errs.CodeOf(err)}
	for k, v := range details {
		d[k] = v
	}
	e := audit.Entry{Org: c.actor.Org, Actor: c.actor.User, Action: action, TargetType: tt, TargetID: target,
		Outcome: audit.Failure, Details: d}
	if rerr := a.Audit.Record(r.Context(), e); rerr != nil {
		a.Log.Error("audit a refused action", "action", action, "err", rerr)
	}
	return err
}
