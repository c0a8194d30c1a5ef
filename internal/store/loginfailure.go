package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/auth"
)

// Login failure counters of the lockout (auth, ADR 0018), shared by every
// node through the database.

// LoginFailures returns the counters of those subjects that have one.
func (q Queries) LoginFailures(ctx context.Context, subjects []string) ([]auth.LoginFailures, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	args := make([]any, len(subjects))
	for i, s := range subjects {
		args[i] = s
	}
	rows, err := q.query(ctx, `SELECT subject, failures, last_at, forget_at FROM login_failures
		WHERE subject IN (?`+strings.Repeat(", ?", len(subjects)-1)+`)`, args...)
	if err != nil {
		return nil, dbErr("store.LoginFailures", err)
	}
	return scanLoginFailures("store.LoginFailures", rows)
}

func scanLoginFailures(op string, rows *sql.Rows) ([]auth.LoginFailures, error) {
	defer rows.Close()
	var out []auth.LoginFailures
	for rows.Next() {
		var f auth.LoginFailures
		var last, forget int64
		if err := rows.Scan(&f.Subject, &f.Failures, &last, &forget); err != nil {
			return nil, dbErr(op, err)
		}
		f.Last, f.ForgetAt = fromMS(last), fromMS(forget)
		out = append(out, f)
	}
	return out, dbErr(op, rows.Err())
}

// CountLoginFailures counts one failure of each subject in one statement:
// a new subject, or one whose count was forgotten by the time of this
// failure, starts at 1; any other goes up by one, atomically, so failures
// counted at once on several nodes all count.
func (t *Tx) CountLoginFailures(ctx context.Context, fs []auth.LoginFailures) ([]auth.LoginFailures, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, 3*len(fs))
	for _, f := range fs {
		args = append(args, f.Subject, ms(f.Last), ms(f.ForgetAt))
	}
	rows, err := t.query(ctx, `
		INSERT INTO login_failures (subject, failures, last_at, forget_at)
		VALUES (?, 1, ?, ?)`+strings.Repeat(", (?, 1, ?, ?)", len(fs)-1)+`
		ON CONFLICT (subject) DO UPDATE SET
			failures = CASE WHEN login_failures.forget_at <= excluded.last_at THEN 1
				ELSE login_failures.failures + 1 END,
			last_at = excluded.last_at, forget_at = excluded.forget_at
		RETURNING subject, failures, last_at, forget_at`, args...)
	if err != nil {
		return nil, dbErr("store.CountLoginFailures", err)
	}
	return scanLoginFailures("store.CountLoginFailures", rows)
}

// ClearLoginFailures forgets the subjects' failures.
func (t *Tx) ClearLoginFailures(ctx context.Context, subjects []string) error {
	if len(subjects) == 0 {
		return nil
	}
	args := make([]any, len(subjects))
	for i, s := range subjects {
		args[i] = s
	}
	_, err := t.exec(ctx, `DELETE FROM login_failures WHERE subject IN (?`+strings.Repeat(", ?", len(subjects)-1)+`)`, args...)
	return dbErr("store.ClearLoginFailures", err)
}

// DeleteForgottenLoginFailures deletes the counters forgotten at now.
func (t *Tx) DeleteForgottenLoginFailures(ctx context.Context, now time.Time) error {
	_, err := t.exec(ctx, `DELETE FROM login_failures WHERE forget_at <= ?`, ms(now))
	return dbErr("store.DeleteForgottenLoginFailures", err)
}
