package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"sync"
	"testing"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFirstRunSetup follows the first-run path: the server logs a one-time
// link; the link's token creates the organisation and logs the owner in;
// the token works once.
func TestFirstRunSetup(t *testing.T) {
	var log syncBuffer
	env := servertest.StartEmpty(t, &log)
	ctx := context.Background()
	c := env.Client()
	var st struct{ Needed bool }
	if _, err := c.Do(ctx, "GET", "/api/v1/setup", nil, &st); err != nil || !st.Needed {
		t.Fatalf("setup status: %v %+v", err, st)
	}
	m := regexp.MustCompile(`/setup\?token=([A-Za-z0-9_-]+)`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("no setup link in the log:\n%s", log.String())
	}
	body := map[string]any{"setup_token": "wrong", "org_name": "新公司", "email": "boss@new.test", "username": "boss",
		"display_name": "老板", "password": servertest.Password, "cookie": false}
	_, err := c.Do(ctx, "POST", "/api/v1/setup", body, nil)
	wantCode(t, err, 403, "setup_token_invalid")

	// A failed attempt (bad input) keeps the token usable.
	body["setup_token"] = m[1]
	body["password"] = "short"
	_, err = c.Do(ctx, "POST", "/api/v1/setup", body, nil)
	wantCode(t, err, 400, "password_too_short")

	body["password"] = servertest.Password
	var resp httpapi.LoginResponse
	st2, err := c.Do(ctx, "POST", "/api/v1/setup", body, &resp)
	if err != nil || st2 != http.StatusCreated || resp.Token == "" || resp.User.Role != "owner" {
		t.Fatalf("setup: %d %v %+v", st2, err, resp)
	}
	owner := apiclient.New(env.URL).WithToken(resp.Token)
	var org httpapi.Org
	do(t, owner, "GET", "/api/v1/org", nil, &org)
	if org.Name != "新公司" || org.RecallWindowSeconds != 86400 || org.ReceiptMaxMembers != 500 {
		t.Fatalf("org: %+v", org)
	}
	_, err = c.Do(ctx, "POST", "/api/v1/setup", body, nil)
	wantCode(t, err, 409, "already_set_up")
	if _, err := c.Do(ctx, "GET", "/api/v1/setup", nil, &st); err != nil || st.Needed {
		t.Fatalf("setup still needed: %v", err)
	}
}
