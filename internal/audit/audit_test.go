package audit

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/errs"
)

func TestStampFillsFromContextAndCuts(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx := WithSource(context.Background(), Source{Address: "192.0.2.7", UserAgent: strings.Repeat("浏", 200)})
	details := map[string]string{"login": "a\xffb"}
	for i := 0; i < 20; i++ {
		details[strings.Repeat("k", i+1)] = "v"
	}
	e := Stamp(ctx, now, Entry{Action: LoginFailed, Details: details})
	if !e.At.Equal(now) || e.Address != "192.0.2.7" || e.Outcome != Success {
		t.Fatalf("stamped %+v", e)
	}
	if len(e.UserAgent) > MaxUserAgent || !utf8.ValidString(e.UserAgent) {
		t.Fatalf("user agent not cut at a rune boundary: %d bytes", len(e.UserAgent))
	}
	if len(e.Details) > MaxDetails+1 || e.Details["truncated"] != "true" {
		t.Fatalf("details not capped: %d", len(e.Details))
	}
	// What the caller set wins over the context.
	e = Stamp(ctx, now, Entry{Address: "198.51.100.1", At: now.Add(-time.Hour), Outcome: Failure})
	if e.Address != "198.51.100.1" || !e.At.Equal(now.Add(-time.Hour)) || e.Outcome != Failure {
		t.Fatalf("caller's values replaced: %+v", e)
	}
	if got := Stamp(context.Background(), now, Entry{}); got.Address != "" {
		t.Fatalf("address without a source: %q", got.Address)
	}
}

type viewer struct {
	org   int64
	admin bool
}

func (v viewer) OrgID() int64  { return v.org }
func (v viewer) IsAdmin() bool { return v.admin }

type fakeStore struct {
	org    int64
	filter Filter
}

func (f *fakeStore) Update(ctx context.Context, fn func(Tx) error) error { return nil }
func (f *fakeStore) AuditEntries(ctx context.Context, org int64, flt Filter) ([]Entry, error) {
	f.org, f.filter = org, flt
	return []Entry{}, nil
}

func TestQueryChecksViewerAndFilter(t *testing.T) {
	st := &fakeStore{}
	s := NewService(st, time.Now)
	ctx := context.Background()
	if _, err := s.Query(ctx, viewer{org: 3}, Filter{}); errs.CodeOf(err) != "admin_required" {
		t.Fatalf("member reads the trail: %v", err)
	}
	if _, err := s.Query(ctx, viewer{org: 3, admin: true}, Filter{}); err != nil || st.org != 3 || st.filter.Limit != DefaultLimit {
		t.Fatalf("admin query: %v, org %d, limit %d", err, st.org, st.filter.Limit)
	}
	for code, f := range map[string]Filter{
		"audit_action_invalid":  {Action: "auth%"},
		"audit_outcome_invalid": {Outcome: "maybe"},
		"audit_range_invalid":   {Since: time.Unix(10, 0), Until: time.Unix(10, 0)},
		"limit_invalid":         {Limit: MaxLimit + 1},
		"id_invalid":            {Actor: -1},
	} {
		if _, err := s.Query(ctx, viewer{org: 3, admin: true}, f); errs.CodeOf(err) != code {
			t.Errorf("%+v: %v, want %s", f, err, code)
		}
	}
}
