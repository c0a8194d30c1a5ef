package chat_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/event"
	"github.com/parley-chat/parley/internal/httpapi"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

// fixture is a real store in a temporary directory with an organisation,
// users and channels, driven through the real services.
type fixture struct {
	db       *store.DB
	accounts *account.Service
	chat     *chat.Service
	owner    account.Actor
	users    []account.Actor
	channels []int64
	events   atomic.Int64
}

func newFixture(tb testing.TB, nUsers, nChannels int) *fixture {
	tb.Helper()
	ctx := context.Background()
	f := &fixture{}
	// SQLite, or PostgreSQL with PARLEY_TEST_ENGINE=postgres (scripts/test-postgres.sh).
	tg := storetest.FromEnv(tb)
	db, err := store.Open(ctx, tg.Dir, true, store.Options{Database: tg.Database,
		Publish: func(evs []event.Event) { f.events.Add(int64(len(evs))) }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	f.db = db
	now := func() time.Time { return time.Now().UTC() }
	// A cheap hasher: password hashing is not what these benchmarks measure.
	f.accounts = account.NewService(store.Accounts{DB: db}, httpapi.Encoder{}, plainHasher{}, now)
	f.chat = chat.NewService(store.Chats{DB: db}, httpapi.Encoder{}, nil, now)
	_, owner, err := f.accounts.Bootstrap(ctx, account.BootstrapInput{OrgName: "Bench", Email: "o@b.test", Username: "owner", Password: "benchmark-pw"})
	if err != nil {
		tb.Fatal(err)
	}
	f.owner = account.ActorOf(owner)
	var ids []int64
	for i := 0; i < nUsers; i++ {
		u, err := f.accounts.CreateUser(ctx, f.owner, account.NewUserInput{Email: fmt.Sprintf("u%d@b.test", i),
			Username: fmt.Sprintf("u%d", i), Password: "benchmark-pw", Role: account.RoleMember})
		if err != nil {
			tb.Fatal(err)
		}
		f.users = append(f.users, account.ActorOf(u))
		ids = append(ids, u.ID)
	}
	for i := 0; i < nChannels; i++ {
		ch, err := f.chat.CreateChannel(ctx, f.owner, chat.NewChannel{Name: fmt.Sprintf("c%d", i), Kind: chat.KindPublic, Users: ids})
		if err != nil {
			tb.Fatal(err)
		}
		f.channels = append(f.channels, ch.ID)
	}
	return f
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type plainHasher struct{}

func (plainHasher) Hash(p string) (string, error) { return "plain:" + p, nil }

func (plainHasher) CheckPassword(context.Context, int64, string, account.User) error { return nil }

// BenchmarkPost measures durably acknowledged sends: each Post returns only
// after its transaction is fsynced (synchronous=FULL), with many senders at
// once so that group commit shares the fsyncs. msgs/s is the figure the
// core issue sets at ≥ 5,000 on a 2-core machine.
func BenchmarkPost(b *testing.B) {
	for _, senders := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			f := newFixture(b, 20, 10)
			ctx := context.Background()
			var n atomic.Int64
			b.SetParallelism(senders)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					actor := f.users[int(i)%len(f.users)]
					ch := f.channels[int(i)%len(f.channels)]
					_, _, err := f.chat.Post(ctx, actor, ch, chat.NewMessage{ClientID: fmt.Sprintf("b-%d", i),
						Text: "a two-hundred byte message body, roughly, for benchmarking the durable send path of Parley with group commit; " +
							"it mentions nobody and carries plain markdown text like most messages in a busy enterprise channel."})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			// CPU per message is robust to a busy machine, unlike msgs/s.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// BenchmarkHistoryPage measures the newest page of 50 messages of a channel.
func BenchmarkHistoryPage(b *testing.B) {
	f := newFixture(b, 5, 1)
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		if _, _, err := f.chat.Post(ctx, f.users[i%5], f.channels[0], chat.NewMessage{ClientID: fmt.Sprint(i), Text: "history message"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := f.chat.History(ctx, f.users[0], f.channels[0], chat.Page{Before: int64(2000 - i%1900), Limit: 50})
		if err != nil || len(h.Messages) != 50 {
			b.Fatal(err, len(h.Messages))
		}
	}
}

// BenchmarkPostLargeHistory is BenchmarkPost on a database that already
// holds a long history (PARLEY_BENCH_HISTORY messages, default 300,000),
// the case where the send path meets cold b-tree pages: the load harness's
// durable-send figure is measured on a 1M-message database.
func BenchmarkPostLargeHistory(b *testing.B) {
	n := 300_000
	if v, err := strconv.Atoi(os.Getenv("PARLEY_BENCH_HISTORY")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	dir := b.TempDir()
	f := &fixture{}
	{
		db, err := store.Open(ctx, dir, true, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		in := store.BulkInput{}
		var org account.Org
		if err := db.Update(ctx, func(tx *store.Tx) error {
			var err error
			org, err = tx.InsertOrg(ctx, account.Org{Name: "Big", RecallWindow: time.Hour, ReceiptMaxMembers: 500, CreatedAt: time.Now()})
			return err
		}); err != nil {
			b.Fatal(err)
		}
		in.Org = org.ID
		for i := 0; i < 200; i++ {
			in.Users = append(in.Users, store.BulkUser{PasswordHash: "x", User: account.User{Email: fmt.Sprintf("u%d@big.test", i),
				Username: fmt.Sprintf("u%d", i), DisplayName: "U", Role: account.RoleMember, CreatedAt: time.Now()}})
		}
		for i := 0; i < 50; i++ {
			members := make([]int, 0, 40)
			for j := 0; j < 40; j++ {
				members = append(members, (i*7+j)%200)
			}
			in.Channels = append(in.Channels, store.BulkChannel{Channel: chat.Channel{Kind: chat.KindPublic, Name: fmt.Sprintf("c%d", i),
				CreatedAt: time.Now()}, Members: members})
		}
		in.Messages = func(yield func(store.BulkMessage) bool) {
			for i := 0; i < n; i++ {
				c := i % 50
				if !yield(store.BulkMessage{Channel: c, Author: (c*7 + i%40) % 200, ClientID: fmt.Sprintf("h%d", i),
					Text: "history message number " + strconv.Itoa(i), CreatedAt: time.Now()}) {
					return
				}
			}
		}
		res, err := db.BulkLoad(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if os.Getenv("PARLEY_BENCH_NOINDEX") == "" {
			if err := db.Reindex(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
		db, err = store.Open(ctx, dir, true, store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		now := func() time.Time { return time.Now().UTC() }
		f.db = db
		f.chat = chat.NewService(store.Chats{DB: db}, httpapi.Encoder{}, nil, now)
		for i, c := range in.Channels {
			for _, m := range c.Members[:5] {
				f.users = append(f.users, account.Actor{Org: org.ID, User: res.Users[m], Role: account.RoleMember})
			}
			f.channels = append(f.channels, res.Channels[i])
		}
	}
	var k atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(k.Add(1))
			c := i % len(f.channels)
			actor := f.users[c*5+i%5]
			if _, _, err := f.chat.Post(ctx, actor, f.channels[c], chat.NewMessage{ClientID: fmt.Sprintf("p-%d", i), Text: "a new message"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/msg")
}
