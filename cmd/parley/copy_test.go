package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/realtime"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// TestMigrateToPostgres moves a populated SQLite installation to
// PostgreSQL with `parley migrate --from sqlite:DIR --to postgres://...`,
// starts the server on the copy and checks through the API that users see
// exactly what they saw before (history with threads, reactions, edits,
// pins, recalls and deletions; read state; files; search), that a stream
// resumed from before the history replays the same events, that they can log in
// (and stay logged in), and that new writes work (identity sequences moved
// past the copied ids). It also checks the refusals: a source in use by a
// server, and a target that is no longer empty.
func TestMigrateToPostgres(t *testing.T) {
	target := storetest.Postgres(t) // a new, empty database
	ctx := context.Background()
	fx := newFixture(t)
	// A user with two-step login: their TOTP secret is sealed in the SQLite
	// database, copied as it is, and must open on the copy with the same key.
	twoStep := enrolTwoStep(t, fx)

	// u2's stream position before the history below: resuming from it must
	// replay the same events from the copy as from the original.
	since := replay(t, fx.srv.URL(), fx.users[2].api.Token, -1)
	if len(since) != 1 {
		t.Fatalf("fresh stream: %q", since)
	}
	from, _ := strconv.ParseInt(since[0], 10, 64)
	populate(t, fx)
	before := snapshot(t, fx.users, fx.rooms)
	replayBefore := replay(t, fx.srv.URL(), fx.users[2].api.Token, from)
	if len(replayBefore) < 20 {
		t.Fatalf("resuming u2's stream replayed %d events, want the whole history written above", len(replayBefore))
	}

	// The source is in use: refused, nothing written.
	if code, out := runBinary(t, "migrate", "--from", "sqlite:"+fx.srv.dir, "--to", target.Database); code != 1 ||
		!strings.Contains(out, "source_in_use") {
		t.Fatalf("migrate while the server runs: exit %d, want 1 and source_in_use:\n%s", code, out)
	}
	fx.srv.signalTerm()
	if code := fx.srv.waitExit(30 * time.Second); code != 0 {
		t.Fatalf("server exit code %d after SIGTERM", code)
	}

	code, out := runBinary(t, "migrate", "--from", "sqlite:"+fx.srv.dir, "--to", target.Database)
	t.Logf("parley migrate --from --to:\n%s", out)
	if code != 0 || !strings.Contains(out, "verified: every copied table") {
		t.Fatalf("migrate: exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "--secret-key-file") || !strings.Contains(out, filepath.Join(fx.srv.dir, "secret.key")) {
		t.Errorf("the report does not tell to give the nodes the installation's secret key file")
	}
	for _, table := range []string{"orgs", "users", "sessions", "channels", "channel_members", "messages", "message_edits",
		"mentions", "reactions", "events", "audit_log", "files"} {
		if !regexp.MustCompile(`(?m)^` + table + `\s+copied\s+[1-9]\d*\s+[0-9a-f]{64}$`).MatchString(out) {
			t.Errorf("the report has no non-empty, checksummed line for %s", table)
		}
	}
	if !regexp.MustCompile(`(?m)^message_search\s+rebuilt\s+[1-9]`).MatchString(out) {
		t.Errorf("the report does not show the rebuilt search index")
	}
	if !strings.Contains(out, "100%") {
		t.Errorf("no progress bar reaching 100%% in the output")
	}

	// Once copied, the target is no longer empty: a second run is refused
	// with a clear error and a non-zero exit.
	if code, out := runBinary(t, "migrate", "--from", "sqlite:"+fx.srv.dir, "--to", target.Database); code != 1 ||
		!strings.Contains(out, "target_not_empty") || !strings.Contains(out, "nothing was written") {
		t.Fatalf("second migrate into the same database: exit %d, want 1 and target_not_empty:\n%s", code, out)
	}

	// The server on the copy. It keeps the data directory for the uploaded
	// files (the copy moves their metadata; a cluster would use --files-s3).
	// Without the installation's key the copy's nodes refuse to start, with
	// a clear error: none (PostgreSQL needs an explicit key file) or another.
	if code, out := runBinary(t, "serve", "--data", t.TempDir(), "--database", target.Database, "--addr", "127.0.0.1:0"); code != 1 ||
		!strings.Contains(out, "secret_key_required") || !strings.Contains(out, "--secret-key-file") {
		t.Fatalf("serve on PostgreSQL without a key file: exit %d, want 1 and secret_key_required:\n%s", code, out)
	}
	if code, out := runBinary(t, "serve", "--data", t.TempDir(), "--database", target.Database, "--addr", "127.0.0.1:0",
		"--secret-key-file", newKeyFile(t)); code != 1 || !strings.Contains(out, "secret_key_unknown") {
		t.Fatalf("serve on the copy with another key: exit %d, want 1 and secret_key_unknown:\n%s", code, out)
	}
	pg := newServer(t, fx.srv.dir, "--database", target.Database, "--secret-key-file", filepath.Join(fx.srv.dir, "secret.key"))
	pg.start()
	twoStep.login(t, pg.URL())
	var moved []*person
	for _, u := range fx.users {
		c := &apiclient.Client{Base: pg.URL(), HTTP: fx.client().HTTP}
		// Logged-in sessions survive the move...
		var me httpapi.User
		if _, err := c.WithToken(u.api.Token).Do(ctx, "GET", "/api/v1/users/me", nil, &me); err != nil || me.ID != u.id {
			t.Errorf("%s's session after the move: %v (user %d)", u.name, err, me.ID)
		}
		// ...and passwords still log in.
		password := userPassword
		login := u.name
		if u.idx == 0 {
			password, login = ownerPassword, ownerEmail
		}
		api, _, err := c.Login(ctx, login, password)
		if err != nil {
			t.Fatalf("%s logs in on the copy: %v", u.name, err)
		}
		moved = append(moved, &person{idx: u.idx, id: u.id, name: u.name, api: api})
	}
	after := snapshot(t, moved, fx.rooms)
	if replayAfter := replay(t, pg.URL(), moved[2].api.Token, from); !slices.Equal(replayAfter, replayBefore) {
		t.Errorf("resuming u2's stream after the move replays %d events, before it replayed %d; first difference at %d",
			len(replayAfter), len(replayBefore), firstDiff(replayAfter, replayBefore))
	}
	for _, k := range sortedKeys(before) {
		if before[k] != after[k] {
			t.Errorf("%s differs after the move:\nbefore %s\nafter  %s", k, before[k], after[k])
		}
	}

	// New writes work: ids continue after the copied ones, sequences after
	// the copied history, and the search index takes new messages.
	general := fx.rooms[0]
	hist, err := moved[1].api.AllMessages(ctx, general.id)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	msg, _, err := moved[1].api.Post(ctx, general.id, "after-move-1", "posted after the move 迁移之后")
	if err != nil {
		t.Fatalf("post on the copy: %v", err)
	}
	var maxID int64
	for _, r := range fx.rooms {
		for _, m := range mustAll(t, moved[r.members[0]].api, r.id) {
			if m.ID > maxID && m.ClientID != "after-move-1" {
				maxID = m.ID
			}
		}
	}
	if msg.Seq != last.Seq+1 || msg.ID <= maxID {
		t.Errorf("new message: seq %d id %d; want seq %d and an id above %d", msg.Seq, msg.ID, last.Seq+1, maxID)
	}
	if _, err := moved[0].api.CreateUser(ctx, "u7@acme.test", "u7", userPassword, "member"); err != nil {
		t.Errorf("create a user on the copy: %v", err)
	}
	if _, err := moved[0].api.CreateChannel(ctx, "after-move", "public", nil); err != nil {
		t.Errorf("create a channel on the copy: %v", err)
	}
	if got := searchIDs(t, moved[1].api, "迁移之后"); len(got) != 1 || got[0] != msg.ID {
		t.Errorf("search for the new message: %v, want [%d]", got, msg.ID)
	}
	if l := pg.logHas("panic", "DATA RACE"); l != "" {
		t.Errorf("server log: %s", l)
	}
}

// populate writes, through the API, a history using every feature that
// keeps state: threads, reactions, mentions, edits, pins, recall,
// deletion and read positions.
func populate(t *testing.T, fx *fixture) {
	t.Helper()
	ctx := context.Background()
	u := fx.users
	n := 0
	post := func(who int, r *room, text string, root int64) httpapi.Message {
		t.Helper()
		n++
		var m httpapi.Message
		if _, err := u[who].api.Do(ctx, "POST", fmt.Sprintf("/api/v1/channels/%d/messages", r.id),
			map[string]any{"client_id": fmt.Sprintf("m%d", n), "text": text, "root_id": root}, &m); err != nil {
			t.Fatalf("post %q: %v", text, err)
		}
		return m
	}
	do := func(who int, method, path string, body any) {
		t.Helper()
		if _, err := u[who].api.Do(ctx, method, path, body, nil); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	general, secret, dm, group := fx.rooms[0], fx.rooms[1], fx.rooms[2], fx.rooms[3]
	welcome := post(0, general, "Welcome to the deployment channel 欢迎大家", 0)
	plan := post(1, general, "We deploy the 数据库 upgrade on Friday, see the plan", 0)
	post(2, general, "@u1 please review the pull request", 0)
	post(3, general, "Thread reply about the deployment 部署", welcome.ID)
	post(4, general, "Second reply, also in the thread", welcome.ID)
	edited := post(4, general, "This will be edited", 0)
	recalled := post(5, general, "a message to recall 撤回", 0)
	deleted := post(6, general, "a message to delete", 0)
	var latest httpapi.Message
	for i := 0; i < 30; i++ {
		latest = post(1+i%6, general, fmt.Sprintf("routine update %d about budgets 预算 %d", i, i*7), 0)
	}
	report, err := u[1].api.Upload(ctx, general.id, "季度报告 report.txt", []byte("Q3 figures: 数据 1, 2, 3\n"))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if _, err := u[1].api.PostFiles(ctx, general.id, "with-file", "the quarterly report 报告", []int64{report.ID}); err != nil {
		t.Fatalf("post with a file: %v", err)
	}
	post(1, secret, "secret plans 秘密计划", 0)
	post(0, secret, "@channel the budget is approved", 0)
	post(1, dm, "hi u4, lunch? 午饭", 0)
	post(4, dm, "sure", 0)
	post(2, group, "group chat with u5 and u6", 0)

	do(4, "PATCH", fmt.Sprintf("/api/v1/messages/%d", edited.ID), map[string]any{"text": "Edited text about budgets 预算"})
	do(5, "POST", fmt.Sprintf("/api/v1/messages/%d/recall", recalled.ID), nil)
	do(6, "DELETE", fmt.Sprintf("/api/v1/messages/%d", deleted.ID), nil)
	do(0, "POST", fmt.Sprintf("/api/v1/messages/%d/pin", plan.ID), nil)
	thumbs := url.PathEscape("👍")
	do(1, "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", welcome.ID, thumbs), nil)
	do(2, "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", welcome.ID, thumbs), nil)
	do(3, "PUT", fmt.Sprintf("/api/v1/messages/%d/reactions/%s", plan.ID, url.PathEscape("🎉")), nil)
	// Read positions: u1 read up to the plan, u2 everything, u3 marked
	// the welcome unread.
	do(1, "POST", fmt.Sprintf("/api/v1/channels/%d/read", general.id), map[string]any{"seq": plan.Seq})
	do(2, "POST", fmt.Sprintf("/api/v1/channels/%d/read", general.id), map[string]any{"seq": latest.Seq})
	do(3, "POST", fmt.Sprintf("/api/v1/channels/%d/unread", general.id), map[string]any{"seq": welcome.Seq})
	do(4, "PUT", fmt.Sprintf("/api/v1/channels/%d/preferences", general.id), map[string]any{"muted": true, "starred": true})
}

// searchQueries are compared before and after the move, newest first
// (relevance ranking differs between the engines by design).
var searchQueries = []string{"deployment", "部署", "预算", "budget", "秘密", "from:@u1", "has:link", "午饭", "撤回"}

// snapshot reads, as each user, everything the API shows about the
// organisation's state, keyed by "user endpoint".
func snapshot(t *testing.T, users []*person, rooms []*room) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	get := func(u *person, path string) json.RawMessage {
		t.Helper()
		var raw json.RawMessage
		if _, err := u.api.Do(ctx, "GET", path, nil, &raw); err != nil {
			t.Fatalf("%s GET %s: %v", u.name, path, err)
		}
		out[u.name+" "+path] = string(raw)
		return raw
	}
	for _, u := range users {
		get(u, "/api/v1/users/me")
		get(u, "/api/v1/users")
		get(u, "/api/v1/org")
		get(u, "/api/v1/channels")
		for _, q := range searchQueries {
			get(u, "/api/v1/search?sort=date&limit=50&q="+url.QueryEscape(q))
		}
		get(u, "/api/v1/search/files?q=report")
		for _, r := range rooms {
			if !memberOf(r, u.idx) {
				continue
			}
			get(u, fmt.Sprintf("/api/v1/channels/%d", r.id))
			get(u, fmt.Sprintf("/api/v1/channels/%d/members", r.id))
			get(u, fmt.Sprintf("/api/v1/channels/%d/pins", r.id))
			var files struct {
				Files []httpapi.File `json:"files"`
			}
			if err := json.Unmarshal(get(u, fmt.Sprintf("/api/v1/channels/%d/files", r.id)), &files); err != nil {
				t.Fatal(err)
			}
			for _, f := range files.Files {
				out[u.name+" content of file "+fmt.Sprint(f.ID)] = download(t, u.api, f.ID)
			}
			var page httpapi.HistoryPage
			raw := get(u, fmt.Sprintf("/api/v1/channels/%d/messages?after=0&limit=200", r.id))
			if err := json.Unmarshal(raw, &page); err != nil {
				t.Fatal(err)
			}
			for _, m := range page.Messages {
				if m.ReplyCount > 0 {
					get(u, fmt.Sprintf("/api/v1/messages/%d/replies", m.ID))
				}
				if m.EditedAt != (httpapi.Time{}) {
					get(u, fmt.Sprintf("/api/v1/messages/%d/history", m.ID))
				}
			}
		}
	}
	return out
}

// replay opens user's stream resuming after since (or fresh when since < 0)
// and returns the frames it replays before "ready", byte for byte; for a
// fresh stream, the hello's seq instead.
func replay(t *testing.T, base, token string, since int64) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	c, err := realtime.Dial(ctx, base+"/api/v1/stream", h, since)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	defer c.Close()
	var out []string
	for {
		f, err := c.Next(ctx)
		if err != nil {
			t.Fatalf("stream since %d: %v", since, err)
		}
		switch f.Type {
		case "hello":
			if since < 0 {
				return []string{strconv.FormatInt(f.Seq, 10)}
			}
		case "ready":
			return out
		case "resync":
			t.Fatalf("stream since %d: the server asked for a resync", since)
		case "typing", "presence", "pong":
		default:
			out = append(out, string(f.Raw))
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// download returns a file's bytes (as text, for comparing).
func download(t *testing.T, c *apiclient.Client, id int64) string {
	t.Helper()
	req, err := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/files/%d/content", c.Base, id), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatalf("download file %d: %v", id, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download file %d: %s %v", id, resp.Status, err)
	}
	return string(b)
}

func memberOf(r *room, idx int) bool {
	for _, m := range r.members {
		if m == idx {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func mustAll(t *testing.T, c *apiclient.Client, channel int64) []httpapi.Message {
	t.Helper()
	ms, err := c.AllMessages(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func searchIDs(t *testing.T, c *apiclient.Client, q string) []int64 {
	t.Helper()
	var page httpapi.SearchPage
	if _, err := c.Do(context.Background(), "GET", "/api/v1/search?sort=date&q="+url.QueryEscape(q), nil, &page); err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	var ids []int64
	for _, r := range page.Results {
		ids = append(ids, r.Message.ID)
	}
	return ids
}

// twoStepUser is a user who turned on two-step login, with their TOTP
// secret as the authenticator app holds it.
type twoStepUser struct {
	email, secret string
	http          *http.Client
}

// enrolTwoStep creates a user on the fixture's server and turns on their
// two-step login with a code computed from the secret it hands out.
func enrolTwoStep(tb testing.TB, fx *fixture) twoStepUser {
	tb.Helper()
	ctx := context.Background()
	u := twoStepUser{email: "twostep@acme.test", http: fx.client().HTTP}
	if _, err := fx.users[0].api.CreateUser(ctx, u.email, "twostep", userPassword, "member"); err != nil {
		tb.Fatal(err)
	}
	c, _, err := fx.client().Login(ctx, u.email, userPassword)
	if err != nil {
		tb.Fatal(err)
	}
	var setup httpapi.TwoFactorSetup
	if _, err := c.Do(ctx, "POST", "/api/v1/users/me/2fa/setup", map[string]any{}, &setup); err != nil {
		tb.Fatal(err)
	}
	u.secret = setup.Secret
	code, _ := auth.CodeAt(u.secret, time.Now())
	if _, err := c.Do(ctx, "POST", "/api/v1/users/me/2fa/enable", map[string]any{"code": code}, nil); err != nil {
		tb.Fatalf("enable 2FA: %v", err)
	}
	return u
}

// login signs the user in on base in two steps, with a TOTP code: the
// server must open the stored secret to check it.
func (u twoStepUser) login(tb testing.TB, base string) {
	tb.Helper()
	ctx := context.Background()
	c := &apiclient.Client{Base: base, HTTP: u.http}
	var ch httpapi.TwoFactorChallenge
	if st, err := c.Do(ctx, "POST", "/api/v1/auth/login", map[string]any{"login": u.email, "password": userPassword}, &ch); err != nil ||
		st != 202 || ch.Challenge == "" {
		tb.Fatalf("two-step login, first step: %d %v", st, err)
	}
	// The next time step: the one of the enabling code is spent.
	code, _ := auth.CodeAt(u.secret, time.Now().Add(30*time.Second))
	var lr httpapi.LoginResponse
	if st, err := c.Do(ctx, "POST", "/api/v1/auth/login/2fa", map[string]any{"challenge": ch.Challenge, "code": code}, &lr); err != nil ||
		st != 200 || lr.Token == "" {
		tb.Fatalf("two-step login with a TOTP code: %d %v", st, err)
	}
}
