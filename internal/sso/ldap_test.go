package sso_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/parley-chat/parley/internal/apiclient"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/server/servertest"
)

// These tests run a real OpenLDAP slapd (Debian's slapd package; `make
// test` installs it through scripts/ensure-slapd.sh and names the binary
// in PARLEY_TEST_SLAPD) on a loopback port with a temporary configuration
// and database, seeded over LDAP by the test.

const (
	ldapBase   = "dc=corp,dc=test"
	ldapAdmin  = "cn=admin,dc=corp,dc=test"
	ldapSecret = "admin-secret"
	userPass   = "ldap-password-1"
)

type slapd struct {
	url string
	t   *testing.T
}

func startSlapd(t *testing.T) *slapd {
	t.Helper()
	bin := os.Getenv("PARLEY_TEST_SLAPD")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("PARLEY_TEST_SLAPD is not set: CI must run the LDAP tests (make test-go installs slapd)")
		}
		t.Skip("PARLEY_TEST_SLAPD is not set: run `make test-go` (or scripts/ensure-slapd.sh) for the LDAP tests")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile %[1]s/slapd.pid
database mdb
maxsize 10485760
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
overlay memberof
`, dir, ldapBase, ldapAdmin, ldapSecret)
	if err := os.WriteFile(filepath.Join(dir, "slapd.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	url := "ldap://" + addr
	// -d 0 keeps slapd in the foreground, so the test owns the process.
	cmd := exec.Command(bin, "-f", filepath.Join(dir, "slapd.conf"), "-h", url+"/", "-d", "0")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	// Wait until slapd accepts connections (or has died).
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("slapd exited: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("slapd did not listen on %s within 20s\n%s", addr, out.String())
		}
	}
	s := &slapd{url: url, t: t}
	s.seed()
	return s
}

func (s *slapd) admin() *ldap.Conn {
	s.t.Helper()
	c, err := ldap.DialURL(s.url)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Bind(ldapAdmin, ldapSecret); err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *slapd) add(c *ldap.Conn, dn string, attrs map[string][]string) {
	s.t.Helper()
	req := ldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	if err := c.Add(req); err != nil {
		s.t.Fatalf("add %s: %v", dn, err)
	}
}

func (s *slapd) addUser(c *ldap.Conn, uid, ou, cn, mail string) {
	s.add(c, fmt.Sprintf("uid=%s,ou=%s,ou=people,%s", uid, ou, ldapBase), map[string][]string{
		"objectClass": {"inetOrgPerson"}, "uid": {uid}, "cn": {cn}, "sn": {cn}, "mail": {mail},
		"userPassword": {userPass}})
}

// seed creates people in two departments (OUs) and a group.
func (s *slapd) seed() {
	c := s.admin()
	defer c.Close()
	s.add(c, ldapBase, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"corp"}, "o": {"Corp"}})
	for _, ou := range []string{"people", "groups"} {
		s.add(c, "ou="+ou+","+ldapBase, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}})
	}
	for _, ou := range []string{"Engineering", "Sales", "Interns"} {
		s.add(c, "ou="+ou+",ou=people,"+ldapBase, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}})
	}
	s.addUser(c, "wangwu", "Engineering", "王五", "wangwu@corp.test")
	s.addUser(c, "lisi", "Sales", "李四", "lisi@corp.test")
	s.addUser(c, "carol", "Engineering", "Carol Admin", "carol@corp.test")
	s.addUser(c, "xiaoming", "Interns", "小明", "xiaoming@corp.test")
	// A user whose login name is filter syntax: only an exact match may find it.
	s.add(c, "uid=star\\2a,ou=Sales,ou=people,"+ldapBase, map[string][]string{
		"objectClass": {"inetOrgPerson"}, "uid": {"star*"}, "cn": {"Star"}, "sn": {"Star"}, "mail": {"star@corp.test"},
		"userPassword": {userPass}})
	s.add(c, "cn=parley-admins,ou=groups,"+ldapBase, map[string][]string{"objectClass": {"groupOfNames"},
		"cn": {"parley-admins"}, "member": {"uid=carol,ou=Engineering,ou=people," + ldapBase}})
}

type ldapEnv struct {
	env      *servertest.Env
	dir      *slapd
	provider httpapi.SSOProvider
}

func startLDAP(t *testing.T) *ldapEnv {
	dir := startSlapd(t)
	env := servertest.Start(t)
	var p httpapi.SSOProvider
	_, err := env.Owner.Do(context.Background(), "POST", "/api/v1/sso/providers", map[string]any{
		"kind": "ldap", "name": "Corp directory", "secret": ldapSecret,
		"ldap": map[string]any{"url": dir.url, "bind_dn": ldapAdmin, "base_dn": "ou=people," + ldapBase,
			"user_filter": "(objectClass=inetOrgPerson)", "group_attr": "memberOf", "departments": true},
		"mapping": map[string]any{"default_role": "member", "rules": []map[string]any{
			{"group": "parley-admins", "role": "admin"}, {"group": "Interns", "role": "guest"}}},
	}, &p)
	if err != nil {
		t.Fatalf("create provider: %v", err)
	}
	if p.HasSecret != true || p.LDAP == nil || p.LDAP.LoginAttr != "uid" {
		t.Fatalf("provider %+v", p)
	}
	return &ldapEnv{env: env, dir: dir, provider: p}
}

func (e *ldapEnv) login(login, password string) (int, string, httpapi.User) {
	return e.loginFrom(e.env.Client(), login, password)
}

func (e *ldapEnv) loginFrom(c *apiclient.Client, login, password string) (int, string, httpapi.User) {
	var lr httpapi.LoginResponse
	st, err := c.Do(context.Background(), "POST", "/api/v1/auth/ldap/login",
		map[string]any{"provider_id": e.provider.ID, "login": login, "password": password}, &lr)
	return st, apiclient.CodeOf(err), lr.User
}

// clientFrom is an anonymous client whose connections come from the
// loopback address ip (any of 127.0.0.0/8), so that attempts meant to be
// from different places do not share the address's lockout.
func clientFrom(env *servertest.Env, ip string) *apiclient.Client {
	c := env.Client()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.HTTP = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	return c
}

func (e *ldapEnv) users(t *testing.T) map[string]httpapi.User {
	t.Helper()
	var list httpapi.UserList
	if _, err := e.env.Owner.Do(context.Background(), "GET", "/api/v1/users?limit=200", nil, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]httpapi.User{}
	for _, u := range list.Users {
		out[u.Email] = u
	}
	return out
}

func TestLDAPLoginProvisionsAndMapsGroups(t *testing.T) {
	e := startLDAP(t)
	st, code, u := e.login("wangwu", userPass)
	if st != 200 || u.Email != "wangwu@corp.test" || u.DisplayName != "王五" || u.Role != "member" {
		t.Fatalf("login: %d %s %+v", st, code, u)
	}
	// Group membership (memberOf) maps to admin; an OU maps to guest.
	if st, code, u := e.login("carol", userPass); st != 200 || u.Role != "admin" {
		t.Fatalf("carol: %d %s %+v", st, code, u)
	}
	if st, code, u := e.login("xiaoming", userPass); st != 200 || u.Role != "guest" {
		t.Fatalf("xiaoming: %d %s %+v", st, code, u)
	}
	// The token works.
	var lr httpapi.LoginResponse
	if _, err := e.env.Client().Do(context.Background(), "POST", "/api/v1/auth/ldap/login",
		map[string]any{"provider_id": e.provider.ID, "login": "wangwu", "password": userPass}, &lr); err != nil {
		t.Fatal(err)
	}
	var me httpapi.User
	if _, err := e.env.Client().WithToken(lr.Token).Do(context.Background(), "GET", "/api/v1/users/me", nil, &me); err != nil || me.ID != u.ID {
		t.Fatalf("me: %v %+v", err, me)
	}
	if st, code, _ := e.login("wangwu", "wrong password"); st != 401 || code != "invalid_credentials" {
		t.Fatalf("wrong password: %d %s", st, code)
	}
	if failed := auditEntries(t, e.env, "auth.login_failed"); len(failed) != 1 || failed[0].Details["login"] != "wangwu" ||
		failed[0].Details["method"] != "ldap" || failed[0].Outcome != "failure" {
		t.Fatalf("audit of the failed login: %+v", failed)
	}
	// An empty password would be an anonymous bind, which slapd accepts.
	if st, code, _ := e.login("wangwu", ""); st != 400 || code != "credentials_required" {
		t.Fatalf("empty password: %d %s", st, code)
	}
}

func TestLDAPInjectionInLoginNames(t *testing.T) {
	e := startLDAP(t)
	before := len(e.users(t))
	for i, login := range []string{
		"*",                          // every entry
		"w*",                         // a prefix
		"wangwu)(uid=*",              // close the clause and match anything
		"*)(objectClass=*",           //
		"wangwu)(|(uid=*",            //
		"admin*)((|userPassword=*)",  //
		"\\2a",                       // an escaped star written by hand
		"wangwu\x00",                 // NUL
		strings.Repeat("a", 300),     // too long
		"carol)(memberOf=cn=parley-", // a partial DN
	} {
		// Each from its own address: these are not a burst against one.
		st, code, _ := e.loginFrom(clientFrom(e.env, fmt.Sprintf("127.0.1.%d", i+1)), login, userPass)
		if st != 401 && st != 400 {
			t.Errorf("login %q: %d %s, want 401 or 400", login, st, code)
		}
	}
	if n := len(e.users(t)); n != before {
		t.Fatalf("injection attempts created users: %d, want %d", n, before)
	}
	// Filter metacharacters are escaped, not stripped: the entry whose uid
	// really is "star*" signs in, and only as itself.
	st, code, u := e.login("star*", userPass)
	if st != 200 || u.Email != "star@corp.test" {
		t.Fatalf("star*: %d %s %+v", st, code, u)
	}
}

func TestLDAPSyncProvisionsAndDeactivates(t *testing.T) {
	e := startLDAP(t)
	ctx := context.Background()
	path := fmt.Sprintf("/api/v1/sso/providers/%d/sync", e.provider.ID)

	// wangwu signs in before the sync: the sync must find the same user.
	_, _, wang := e.login("wangwu", userPass)
	var r httpapi.SSOSyncResult
	if _, err := e.env.Owner.Do(ctx, "POST", path, map[string]any{}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Seen != 5 || r.Created != 4 || r.Deactivated != 0 || r.Departments != 2 {
		t.Fatalf("first sync: %+v", r)
	}
	us := e.users(t)
	if us["wangwu@corp.test"].ID != wang.ID || us["carol@corp.test"].Role != "admin" || us["xiaoming@corp.test"].Role != "guest" {
		t.Fatalf("after sync: %+v", us)
	}
	// Departments follow the OUs below the base DN (guests are not members).
	depts := e.departments(t)
	if len(depts) != 2 || !sameIDs(depts["Engineering"], us["wangwu@corp.test"].ID, us["carol@corp.test"].ID) ||
		!sameIDs(depts["Sales"], us["lisi@corp.test"].ID, us["star@corp.test"].ID) {
		t.Fatalf("departments after sync: %v", depts)
	}
	// lisi signs in, then leaves the company: the next sync deactivates
	// them and their token stops working.
	var lr httpapi.LoginResponse
	if _, err := e.env.Client().Do(ctx, "POST", "/api/v1/auth/ldap/login",
		map[string]any{"provider_id": e.provider.ID, "login": "lisi", "password": userPass}, &lr); err != nil {
		t.Fatal(err)
	}
	c := e.dir.admin()
	if err := c.Del(ldap.NewDelRequest("uid=lisi,ou=Sales,ou=people,"+ldapBase, nil)); err != nil {
		t.Fatal(err)
	}
	e.dir.addUser(c, "zhaoliu", "Sales", "赵六", "zhaoliu@corp.test")
	c.Close()
	if _, err := e.env.Owner.Do(ctx, "POST", path, map[string]any{}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Seen != 5 || r.Created != 1 || r.Deactivated != 1 || r.Departments != 0 {
		t.Fatalf("second sync: %+v", r)
	}
	us = e.users(t)
	if depts := e.departments(t); !sameIDs(depts["Sales"], us["star@corp.test"].ID, us["zhaoliu@corp.test"].ID) {
		t.Fatalf("Sales after lisi left: %v", depts)
	}
	if us["lisi@corp.test"].Active || !us["zhaoliu@corp.test"].Active || !us["wangwu@corp.test"].Active {
		t.Fatalf("after second sync: %+v", us)
	}
	if _, err := e.env.Client().WithToken(lr.Token).Do(ctx, "GET", "/api/v1/users/me", nil, nil); apiclient.StatusOf(err) != 401 {
		t.Fatalf("token of a user gone from LDAP: %v", err)
	}
	if st, code, _ := e.login("lisi", userPass); st != 401 {
		t.Fatalf("login of a deleted entry: %d %s", st, code)
	}
	// The audit trail says what the sync did, and who signed in how.
	deact := auditEntries(t, e.env, "user.deactivate")
	if len(deact) != 1 || deact[0].TargetID != us["lisi@corp.test"].ID || deact[0].Details["reason"] != "gone_from_directory" {
		t.Fatalf("audit of the deactivation: %+v", deact)
	}
	if syncs := auditEntries(t, e.env, "sso.sync"); len(syncs) != 2 || syncs[0].Details["deactivated"] != "1" {
		t.Fatalf("audit of the syncs: %+v", syncs)
	}
	if created := auditEntries(t, e.env, "user.create"); len(created) != 6 || created[0].Details["provisioned_by"] != "ldap" {
		t.Fatalf("audit of provisioning: %+v", created)
	}
	logins := auditEntries(t, e.env, "sso.login")
	if len(logins) == 0 || logins[0].Details["method"] != "ldap" {
		t.Fatalf("audit of ldap logins: %+v", logins)
	}

	// A filter that matches nothing deactivates nobody.
	if _, err := e.env.Owner.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/sso/providers/%d", e.provider.ID), map[string]any{
		"ldap": map[string]any{"url": e.dir.url, "bind_dn": ldapAdmin, "base_dn": "ou=people," + ldapBase,
			"user_filter": "(objectClass=nobodyHasThis)"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.env.Owner.Do(ctx, "POST", path, map[string]any{}, &r); apiclient.CodeOf(err) != "sso_sync_empty" {
		t.Fatalf("empty sync: %v", err)
	}
	if !e.users(t)["wangwu@corp.test"].Active {
		t.Fatal("an empty search deactivated users")
	}
}

func TestLDAPTestConnection(t *testing.T) {
	e := startLDAP(t)
	ctx := context.Background()
	var res httpapi.SSOTestResult
	if _, err := e.env.Owner.Do(ctx, "POST", fmt.Sprintf("/api/v1/sso/providers/%d/test", e.provider.ID), map[string]any{}, &res); err != nil {
		t.Fatal(err)
	}
	if !res.OK || !strings.Contains(res.Detail, "5 user entries") {
		t.Fatalf("test: %+v", res)
	}
	// A wrong bind password is reported, and the secret is never returned.
	var p httpapi.SSOProvider
	if _, err := e.env.Owner.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/sso/providers/%d", e.provider.ID),
		map[string]any{"secret": "wrong"}, &p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.env.Owner.Do(ctx, "POST", fmt.Sprintf("/api/v1/sso/providers/%d/test", e.provider.ID), map[string]any{}, &res); err != nil {
		t.Fatal(err)
	}
	if res.OK || !strings.Contains(res.Detail, "Invalid Credentials") {
		t.Fatalf("test with a wrong password: %+v", res)
	}
	_, raw := getRaw(t, e.env, fmt.Sprintf("/api/v1/sso/providers/%d", e.provider.ID))
	if strings.Contains(raw, "wrong") || strings.Contains(raw, ldapSecret) {
		t.Fatalf("the provider's secret is returned: %s", raw)
	}
}

// departments returns the first organisation's departments by name with
// their direct members.
func (e *ldapEnv) departments(t *testing.T) map[string][]int64 {
	t.Helper()
	ctx := context.Background()
	var list httpapi.DepartmentList
	if _, err := e.env.Owner.Do(ctx, "GET", "/api/v1/departments", nil, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string][]int64{}
	for _, d := range list.Departments {
		var ms httpapi.DepartmentMemberList
		if _, err := e.env.Owner.Do(ctx, "GET", fmt.Sprintf("/api/v1/departments/%d/members", d.ID), nil, &ms); err != nil {
			t.Fatal(err)
		}
		out[d.Name] = []int64{}
		for _, m := range ms.Members {
			out[d.Name] = append(out[d.Name], m.UserID)
		}
	}
	return out
}

func sameIDs(got []int64, want ...int64) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// auditEntries returns the first organisation's audit entries of an
// action, newest first.
func auditEntries(t *testing.T, env *servertest.Env, action string) []httpapi.AuditEntry {
	t.Helper()
	// Filtered here: the API's action filter refuses '_' (a LIKE wildcard).
	var page httpapi.AuditPage
	if _, err := env.Owner.Do(context.Background(), "GET", "/api/v1/audit?limit=200", nil, &page); err != nil {
		t.Fatal(err)
	}
	var out []httpapi.AuditEntry
	for _, e := range page.Entries {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func getRaw(t *testing.T, env *servertest.Env, path string) (int, string) {
	t.Helper()
	var m map[string]any
	st, err := env.Owner.Do(context.Background(), "GET", path, nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return st, fmt.Sprint(m)
}

// TestLDAPLoginLockout: directory logins go through Parley's lockout before
// the directory is contacted: wrong passwords lock the name at this
// provider (from wherever they come) and the client address (password
// spraying), and while locked out nothing reaches the directory, so Parley
// cannot lock the real account there.
func TestLDAPLoginLockout(t *testing.T) {
	e := startLDAP(t)
	ctx := context.Background()
	from := func(ip string) *apiclient.Client { return clientFrom(e.env, ip) }
	// One account, five addresses.
	for i := range 5 {
		if st, code, _ := e.loginFrom(from(fmt.Sprintf("127.0.2.%d", i+1)), "wangwu", "wrong password"); st != 401 || code != "invalid_credentials" {
			t.Fatalf("failure %d: %d %s", i+1, st, code)
		}
	}
	if st, code, _ := e.loginFrom(from("127.0.2.9"), "wangwu", userPass); st != 429 || code != "too_many_attempts" {
		t.Fatalf("right password during the account's lockout: %d %s", st, code)
	}
	if st, code, _ := e.loginFrom(from("127.0.2.9"), "lisi", userPass); st != 200 {
		t.Fatalf("another account from a clean address: %d %s", st, code)
	}
	// One address, five names (spraying).
	for i := range 5 {
		if st, code, _ := e.loginFrom(from("127.0.3.1"), fmt.Sprintf("nobody%d", i), userPass); st != 401 || code != "invalid_credentials" {
			t.Fatalf("spray %d: %d %s", i+1, st, code)
		}
	}
	if st, code, _ := e.loginFrom(from("127.0.3.1"), "lisi", userPass); st != 429 || code != "too_many_attempts" {
		t.Fatalf("right password from the locked address: %d %s", st, code)
	}
	// Point the provider at a closed port: a login that reached the
	// directory would now answer 503 sso_provider_unreachable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "ldap://" + ln.Addr().String()
	ln.Close()
	ld := *e.provider.LDAP
	ld.URL = closed
	if _, err := e.env.Owner.Do(ctx, "PATCH", fmt.Sprintf("/api/v1/sso/providers/%d", e.provider.ID),
		map[string]any{"ldap": ld}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ ip, login string }{{"127.0.2.10", "wangwu"}, {"127.0.3.1", "carol"}} {
		if st, code, _ := e.loginFrom(from(c.ip), c.login, userPass); st != 429 || code != "too_many_attempts" {
			t.Fatalf("%s from %s: the directory was contacted during the lockout: %d %s", c.login, c.ip, st, code)
		}
	}
	if st, code, _ := e.loginFrom(from("127.0.4.1"), "carol", userPass); st != 503 || code != "sso_provider_unreachable" {
		t.Fatalf("a login that is not locked out reaches the (closed) directory: %d %s", st, code)
	}
	failed := auditEntries(t, e.env, "auth.login_failed")
	locks := 0
	for _, f := range failed {
		if f.Details["locked_seconds"] == "60" {
			locks++
		}
	}
	if len(failed) != 11 || locks != 2 {
		t.Fatalf("audit: %d failures (want 10 and the unreachable directory), %d lockouts (want 2): %+v", len(failed), locks, failed)
	}
}
