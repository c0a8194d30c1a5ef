// Package storetest is the store's conformance suite: one set of tests that
// runs unchanged against every engine the store supports, SQLite always and
// PostgreSQL when PARLEY_TEST_POSTGRES names a server (scripts/test-postgres.sh
// starts a throwaway one). It also gives other packages' tests a fresh
// database of the engine under test (Target, FromEnv).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/secret"
	"github.com/parley-chat/parley/internal/store"
)

// EnvPostgres names the environment variable holding the URL of a
// PostgreSQL server on which tests may create and drop databases.
const EnvPostgres = "PARLEY_TEST_POSTGRES"

// Target is a new, empty database: a data directory and the
// store.Options.Database naming the database ("" for SQLite in Dir).
type Target struct {
	Dir      string
	Database string
}

// Open opens the target (migrating it) with opts and closes it at cleanup;
// without opts.Secrets, with a keyring of a new key.
func (tg Target) Open(tb testing.TB, opts store.Options) *store.DB {
	tb.Helper()
	opts.Database = tg.Database
	if opts.Secrets == nil {
		opts.Secrets = NewKeyring(tb)
	}
	db, err := store.Open(context.Background(), tg.Dir, true, opts)
	if err != nil {
		tb.Fatalf("open %s store: %v", engineName(tg), err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func engineName(tg Target) string {
	if tg.Database == "" {
		return store.SQLite
	}
	return store.Postgres
}

// NewKeyring returns a keyring of one new random key.
func NewKeyring(tb testing.TB) *secret.Keyring {
	tb.Helper()
	k, err := secret.NewKey(secret.GenerateKey())
	if err != nil {
		tb.Fatal(err)
	}
	return secret.NewKeyring(k)
}

// SQLite returns a target on a new SQLite database in a temporary directory.
func SQLite(tb testing.TB) Target {
	tb.Helper()
	return Target{Dir: tb.TempDir()}
}

// Postgres returns a target on a new database of the server named by
// PARLEY_TEST_POSTGRES, dropped at cleanup; the test is skipped when the
// variable is unset.
func Postgres(tb testing.TB) Target {
	tb.Helper()
	server := os.Getenv(EnvPostgres)
	if server == "" {
		tb.Skip(EnvPostgres + " is not set (scripts/test-postgres.sh sets it)")
	}
	u, err := url.Parse(server)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "parley_test_" + hex.EncodeToString(rnd[:])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		admin.Close()
		tb.Fatalf("create test database on %s: %v", EnvPostgres, err)
	}
	// Registered before any Open, so it runs after the stores are closed.
	tb.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return Target{Dir: tb.TempDir(), Database: u.String()}
}

// FromEnv returns a target on PostgreSQL when PARLEY_TEST_ENGINE is
// "postgres" and on SQLite otherwise, for tests (such as the HTTP
// integration tests) that run on whichever engine the environment selects.
func FromEnv(tb testing.TB) Target {
	tb.Helper()
	if os.Getenv(EnvEngine) == store.Postgres {
		return Postgres(tb)
	}
	return SQLite(tb)
}

// EnvEngine selects the engine of the tests that run on one engine (the
// HTTP integration tests): "postgres" runs them on the server named by
// PARLEY_TEST_POSTGRES; anything else on SQLite. The store's own suite runs
// on every engine available regardless.
const EnvEngine = "PARLEY_TEST_ENGINE"

// Run runs the conformance suite against the engine whose new databases
// newTarget returns.
func Run(t *testing.T, newTarget func(testing.TB) Target) {
	s := suite{newTarget: newTarget}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, suite)
	}{
		{"Migrations", testMigrations},
		{"GroupCommitIsolatesFailures", testGroupCommitIsolatesFailures},
		{"EventsPublishedInOrderBeforeAck", testEventsPublishedInOrderBeforeAck},
		{"PanicInWriteIsContained", testPanicInWriteIsContained},
		{"CloseDrainsAndRefuses", testCloseDrainsAndRefuses},
		{"ConcurrentStores", testConcurrentStores},
		{"Org", testOrg},
		{"Settings", testSettings},
		{"User", testUser},
		{"UniqueViolationIsConflict", testUniqueViolationIsConflict},
		{"Session", testSession},
		{"Department", testDepartment},
		{"Channel", testChannel},
		{"Member", testMember},
		{"UnreadCounts", testUnreadCounts},
		{"Message", testMessage},
		{"Post", testPost},
		{"PostBatch", testPostBatch},
		{"History", testHistory},
		{"Thread", testThread},
		{"Reaction", testReaction},
		{"EventsSince", testEventsSince},
		{"EventFrames", testEventFrames},
		{"EventsSinceResync", testEventsSinceResync},
		{"OrgEventsSince", testOrgEventsSince},
		{"Search", testSearch},
		{"SearchIndexFollowsUpdates", testSearchIndexFollowsUpdates},
		{"Reindex", testReindex},
		{"BulkLoad", testBulkLoad},
		{"File", testFile},
		{"Audit", testAudit},
		{"LinkPreviews", testLinkPreviews},
		{"Security", testSecurity},
		{"LoginFailures", testLoginFailures},
		{"Invitation", testInvitation},
		{"SCIMToken", testSCIMToken},
		{"SCIMGroupExternalID", testSCIMGroupExternalID},
		{"SCIMUserExternalID", testSCIMUserExternalID},
		{"SecretsSealed", testSecretsSealed},
		{"SecretsWrongKey", testSecretsWrongKey},
		{"SecretsUpgradeFromPlaintext", testSecretsUpgradeFromPlaintext},
		{"SecretsRotation", testSecretsRotation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

type suite struct {
	newTarget func(testing.TB) Target
}

// open returns a new, migrated, empty store.
func (s suite) open(tb testing.TB) *store.DB {
	tb.Helper()
	return s.newTarget(tb).Open(tb, store.Options{})
}

// update runs fn in a write transaction and fails the test on error.
func update(tb testing.TB, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	tb.Helper()
	ctx := context.Background()
	if err := db.Update(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		tb.Fatal(err)
	}
}

// mkOrg creates an organisation.
func mkOrg(tb testing.TB, db *store.DB) int64 {
	tb.Helper()
	var org account.Org
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		org, err = tx.InsertOrg(ctx, account.Org{Name: "T", RecallWindow: time.Hour, ReceiptMaxMembers: 500, CreatedAt: time.Now()})
		return err
	})
	return org.ID
}

// mkUser creates an active member of org named name.
func mkUser(tb testing.TB, db *store.DB, org int64, name string) account.User {
	tb.Helper()
	var u account.User
	update(tb, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		u, err = tx.InsertUser(ctx, account.User{Org: org, Email: name + "@x.test", Username: name, DisplayName: name,
			Role: account.RoleMember, Active: true, CreatedAt: at}, "hash-"+name)
		return err
	})
	return u
}

func frame(seq int64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d}`, seq)), nil }

// at is a fixed instant, so that stored times can be compared exactly
// (the store keeps milliseconds).
var at = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)
