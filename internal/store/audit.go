package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/parley-chat/parley/internal/audit"
)

// InsertAudit appends an entry to the audit trail. There is deliberately no
// method that changes or removes one (and the schema refuses both).
func (t *Tx) InsertAudit(ctx context.Context, e audit.Entry) error {
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return dbErr("store.InsertAudit", err)
		}
		details = string(b)
	}
	_, err := t.exec(ctx, `
		INSERT INTO audit_log (org_id, at, actor_id, action, target_type, target_id, address, user_agent, outcome, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Org, ms(e.At), e.Actor, string(e.Action), string(e.TargetType), e.TargetID, e.Address, e.UserAgent,
		string(e.Outcome), details)
	return dbErr("store.InsertAudit", err)
}

// AuditEntries returns an organisation's audit entries matching f, newest
// first.
func (q Queries) AuditEntries(ctx context.Context, org int64, f audit.Filter) ([]audit.Entry, error) {
	const op = "store.AuditEntries"
	where := []string{"org_id = ?"}
	args := []any{org}
	if f.Before > 0 {
		where = append(where, "id < ?")
		args = append(args, f.Before)
	}
	if f.Actor > 0 {
		where = append(where, "actor_id = ?")
		args = append(args, f.Actor)
	}
	if a := string(f.Action); strings.HasSuffix(a, ".") {
		// A family ("auth."): a prefix match, '_' escaped (the service
		// refuses '%' and '\').
		where = append(where, `action LIKE ? ESCAPE '\'`)
		args = append(args, strings.ReplaceAll(a, "_", `\_`)+"%")
	} else if a != "" {
		where = append(where, "action = ?")
		args = append(args, a)
	}
	if f.TargetType != "" {
		where = append(where, "target_type = ?")
		args = append(args, string(f.TargetType))
	}
	if f.TargetID > 0 {
		where = append(where, "target_id = ?")
		args = append(args, f.TargetID)
	}
	if f.Outcome != "" {
		where = append(where, "outcome = ?")
		args = append(args, string(f.Outcome))
	}
	if !f.Since.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "at < ?")
		args = append(args, ms(f.Until))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = audit.DefaultLimit
	}
	args = append(args, limit)
	rows, err := q.query(ctx, `
		SELECT id, org_id, at, actor_id, action, target_type, target_id, address, user_agent, outcome, details
		FROM audit_log WHERE `+strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var at int64
		var action, ttype, outcome, details string
		if err := rows.Scan(&e.ID, &e.Org, &at, &e.Actor, &action, &ttype, &e.TargetID, &e.Address, &e.UserAgent,
			&outcome, &details); err != nil {
			return nil, dbErr(op, err)
		}
		e.At, e.Action, e.TargetType, e.Outcome = fromMS(at), audit.Action(action), audit.TargetType(ttype), audit.Outcome(outcome)
		if details != "{}" && details != "" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, dbErr(op, err)
			}
		}
		out = append(out, e)
	}
	return out, dbErr(op, rows.Err())
}
