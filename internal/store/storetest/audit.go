package storetest

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/store"
)

// The audit trail keeps every field, filters within one organisation, pages
// newest first, and refuses changes even from raw SQL.
func testAudit(t *testing.T, s suite) {
	tg := s.newTarget(t)
	db := tg.Open(t, store.Options{})
	ctx := context.Background()
	org, other := mkOrg(t, db), mkOrg(t, db)
	t0 := at
	add := func(e audit.Entry) {
		t.Helper()
		update(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.InsertAudit(ctx, e) })
	}
	add(audit.Entry{Org: org, At: t0, Actor: 7, Action: audit.LoginSucceeded, TargetType: audit.TargetUser, TargetID: 7,
		Address: "192.0.2.1", UserAgent: "Firefox", Outcome: audit.Success, Details: map[string]string{"session": "3", "名": "张三"}})
	add(audit.Entry{Org: org, At: t0.Add(time.Minute), Action: audit.LoginFailed, Address: "2001:db8::1", Outcome: audit.Failure,
		Details: map[string]string{"login": "x' OR 1=1 --"}})
	add(audit.Entry{Org: org, At: t0.Add(2 * time.Minute), Actor: 7, Action: audit.UserDeactivated, TargetType: audit.TargetUser,
		TargetID: 9, Outcome: audit.Success})
	add(audit.Entry{Org: org, At: t0.Add(3 * time.Minute), Actor: 8, Action: audit.Logout, TargetType: audit.TargetSession,
		TargetID: 4, Outcome: audit.Success})
	add(audit.Entry{Org: other, At: t0, Actor: 1, Action: audit.LoginSucceeded, Outcome: audit.Success})
	add(audit.Entry{Org: 0, At: t0, Action: audit.LoginFailed, Outcome: audit.Failure})

	q := func(org int64, f audit.Filter) []audit.Entry {
		t.Helper()
		es, err := db.AuditEntries(ctx, org, f)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	actions := func(es []audit.Entry) string {
		var out []string
		for _, e := range es {
			out = append(out, string(e.Action))
		}
		return strings.Join(out, " ")
	}
	all := q(org, audit.Filter{})
	if got := actions(all); got != "auth.logout user.deactivate auth.login_failed auth.login" {
		t.Fatalf("all, newest first: %s", got)
	}
	first := all[3]
	if first.Org != org || !first.At.Equal(t0) || first.Actor != 7 || first.TargetType != audit.TargetUser || first.TargetID != 7 ||
		first.Address != "192.0.2.1" || first.UserAgent != "Firefox" || first.Outcome != audit.Success ||
		first.Details["session"] != "3" || first.Details["名"] != "张三" || len(first.Details) != 2 {
		t.Fatalf("entry read back: %+v", first)
	}
	if all[2].Details["login"] != "x' OR 1=1 --" || all[0].Details != nil {
		t.Fatalf("details: %+v / %+v", all[2].Details, all[0].Details)
	}
	for _, tc := range []struct {
		name string
		f    audit.Filter
		want string
	}{
		{"actor", audit.Filter{Actor: 7}, "user.deactivate auth.login"},
		{"action", audit.Filter{Action: audit.LoginFailed}, "auth.login_failed"},
		{"family", audit.Filter{Action: "auth."}, "auth.logout auth.login_failed auth.login"},
		{"action with an underscore", audit.Filter{Action: audit.LoginFailed}, "auth.login_failed"},
		{"family with an underscore", audit.Filter{Action: "auth.login_"}, ""},
		{"target", audit.Filter{TargetType: audit.TargetUser, TargetID: 9}, "user.deactivate"},
		{"target type", audit.Filter{TargetType: audit.TargetUser}, "user.deactivate auth.login"},
		{"outcome", audit.Filter{Outcome: audit.Failure}, "auth.login_failed"},
		{"since", audit.Filter{Since: t0.Add(2 * time.Minute)}, "auth.logout user.deactivate"},
		{"until", audit.Filter{Until: t0.Add(time.Minute)}, "auth.login"},
		{"range", audit.Filter{Since: t0.Add(time.Minute), Until: t0.Add(3 * time.Minute)}, "user.deactivate auth.login_failed"},
		{"cursor", audit.Filter{Before: all[1].ID, Limit: 1}, "auth.login_failed"},
		{"cursor, filtered", audit.Filter{Before: all[0].ID, Actor: 7}, "user.deactivate auth.login"},
		{"limit", audit.Filter{Limit: 2}, "auth.logout user.deactivate"},
		{"nothing", audit.Filter{Actor: 7, Outcome: audit.Failure}, ""},
	} {
		if got := actions(q(org, tc.f)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := actions(q(other, audit.Filter{})); got != "auth.login" {
		t.Fatalf("other organisation sees %q", got)
	}

	// Append-only below the store too: the database refuses UPDATE and
	// DELETE whoever sends them.
	raw := rawDB(t, tg)
	for _, stmt := range []string{`UPDATE audit_log SET outcome = 'success'`, `DELETE FROM audit_log`} {
		if _, err := raw.ExecContext(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
	if got := actions(q(org, audit.Filter{})); got != "auth.logout user.deactivate auth.login_failed auth.login" {
		t.Fatalf("after refused changes: %s", got)
	}
	if e := q(org, audit.Filter{Outcome: audit.Failure}); len(e) != 1 || e[0].Outcome != audit.Failure {
		t.Fatalf("outcome changed: %+v", e)
	}
}

// rawDB opens a plain database/sql connection to the target, bypassing the
// store, for tests of what the schema itself refuses.
func rawDB(tb testing.TB, tg Target) *sql.DB {
	tb.Helper()
	driver, dsn := "sqlite", filepath.Join(tg.Dir, store.FileName)
	if tg.Database != "" {
		driver, dsn = "pgx", tg.Database
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
