package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
)

// BulkUser is a user to preload, with an already computed password hash
// (hashing 10,000 passwords with argon2id would take minutes).
type BulkUser struct {
	User         account.User
	PasswordHash string
}

// BulkChannel is a channel to preload with its members, given as indexes
// into BulkInput.Users.
type BulkChannel struct {
	Channel chat.Channel // Org, Kind, Name (or nothing for DMs), CreatedBy, CreatedAt
	Members []int
}

// BulkMessage is a message of the preloaded history. Channel and Author are
// indexes into BulkInput.Channels and BulkInput.Users; the sequence is
// allocated by BulkLoad.
type BulkMessage struct {
	Channel, Author int
	ClientID, Text  string
	CreatedAt       time.Time
}

// BulkInput is a whole synthetic organisation to preload.
type BulkInput struct {
	Org      int64
	Users    []BulkUser
	Channels []BulkChannel
	// Tokens, when set, holds one bearer token per user (same index) to store
	// as a session, so that a load generator can act as every user without
	// logging each one in.
	Tokens   []string
	Messages iter.Seq[BulkMessage]
	// Batch is the number of rows per transaction; default 50,000.
	Batch int
}

// BulkResult reports the ids BulkLoad assigned, by input index.
type BulkResult struct {
	Users    []int64
	Channels []int64
	Messages int
}

// BulkLoad writes a synthetic organisation directly into the database, in
// large transactions, bypassing the services and the group-commit loop. It
// is only for preloading benchmark data into a database no server is
// running on: it emits no events (the preloaded history is older than any
// stream), leaves every member's read position at the end of the history,
// and keeps each channel's msg_seq, last_message_at and member_count equal
// to what the normal write path would have produced.
func (db *DB) BulkLoad(ctx context.Context, in BulkInput) (BulkResult, error) {
	const op = "store.BulkLoad"
	if in.Batch <= 0 {
		in.Batch = 50_000
	}
	b := &bulkWriter{db: db, ctx: ctx, batch: in.Batch}
	var res BulkResult
	res.Users = make([]int64, len(in.Users))
	for i, u := range in.Users {
		full, initials := account.NameKeys(u.User.DisplayName)
		err := b.row(func(tx bulkTx) error {
			return tx.QueryRowContext(ctx, `
				INSERT INTO users (org_id, email, username, display_name, role, password_hash, active, created_at,
					name_pinyin, name_initials)
				VALUES (?, ?, ?, ?, ?, ?, TRUE, ?, ?, ?) RETURNING id`,
				in.Org, u.User.Email, u.User.Username, u.User.DisplayName, string(u.User.Role), u.PasswordHash,
				ms(u.User.CreatedAt), full, initials).Scan(&res.Users[i])
		})
		if err != nil {
			return res, b.fail(op, "user", err)
		}
	}
	for i, tok := range in.Tokens {
		now := time.Now()
		err := b.row(func(tx bulkTx) error {
			_, err := tx.ExecContext(ctx, `
				INSERT INTO sessions (org_id, user_id, token_hash, kind, created_at, expires_at)
				VALUES (?, ?, ?, ?, ?, ?)`,
				in.Org, res.Users[i], tokenHash(tok), auth.KindToken, ms(now), ms(now.Add(auth.SessionLifetime)))
			return err
		})
		if err != nil {
			return res, b.fail(op, "session", err)
		}
	}
	res.Channels = make([]int64, len(in.Channels))
	for i, c := range in.Channels {
		ch := c.Channel
		nameKey, dmKey := "", ""
		if ch.Kind.IsDirect() {
			ids := make([]string, len(c.Members))
			for j, m := range c.Members {
				ids[j] = strconv.FormatInt(res.Users[m], 10)
			}
			dmKey = strings.Join(ids, ",") // members are given in ascending id order
		} else {
			nameKey = strings.ToLower(ch.Name)
		}
		err := b.row(func(tx bulkTx) error {
			return tx.QueryRowContext(ctx, `
				INSERT INTO channels (org_id, kind, name, name_key, dm_key, created_by, created_at, member_count)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				in.Org, string(ch.Kind), ch.Name, nullable(nameKey), nullable(dmKey), ch.CreatedBy,
				ms(ch.CreatedAt), len(c.Members)).Scan(&res.Channels[i])
		})
		if err != nil {
			return res, b.fail(op, "channel", err)
		}
		for _, m := range c.Members {
			err := b.row(func(tx bulkTx) error {
				_, err := tx.ExecContext(ctx, `
					INSERT INTO channel_members (channel_id, user_id, org_id, role, joined_at)
					VALUES (?, ?, ?, 'member', ?)`, res.Channels[i], res.Users[m], in.Org, ms(ch.CreatedAt))
				return err
			})
			if err != nil {
				return res, b.fail(op, "member", err)
			}
		}
	}
	if in.Messages != nil {
		seqs := make([]int64, len(in.Channels))
		last := make([]int64, len(in.Channels))
		for m := range in.Messages {
			seqs[m.Channel]++
			last[m.Channel] = ms(m.CreatedAt)
			err := b.row(func(tx bulkTx) error {
				_, err := tx.ExecContext(ctx, `
					INSERT INTO messages (org_id, channel_id, seq, author_id, client_id, text, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?)`,
					in.Org, res.Channels[m.Channel], seqs[m.Channel], res.Users[m.Author], m.ClientID, m.Text,
					ms(m.CreatedAt))
				return err
			})
			if err != nil {
				return res, b.fail(op, "message", err)
			}
			res.Messages++
		}
		for i, seq := range seqs {
			if seq == 0 {
				continue
			}
			err := b.row(func(tx bulkTx) error {
				_, err := tx.ExecContext(ctx, `
					UPDATE channels SET msg_seq = msg_seq + ?, last_message_at = ? WHERE id = ?`,
					seq, last[i], res.Channels[i])
				return err
			})
			if err != nil {
				return res, b.fail(op, "channel seq", err)
			}
		}
		// Members have read the preloaded history, as a long-running
		// organisation's users mostly have.
		err := b.row(func(tx bulkTx) error {
			_, err := tx.ExecContext(ctx, `
				UPDATE channel_members SET last_read_seq =
					(SELECT msg_seq FROM channels WHERE channels.id = channel_members.channel_id)
				WHERE org_id = ?`, in.Org)
			return err
		})
		if err != nil {
			return res, b.fail(op, "read positions", err)
		}
	}
	if err := b.flush(); err != nil {
		return res, b.fail(op, "commit", err)
	}
	return res, nil
}

// bulkWriter runs statements on the writer connection in transactions of
// up to batch rows.
type bulkWriter struct {
	db    *DB
	ctx   context.Context
	batch int
	tx    *sql.Tx
	n     int
}

func (b *bulkWriter) row(fn func(bulkTx) error) error {
	if b.tx == nil {
		tx, err := b.db.write.BeginTx(b.ctx, nil)
		if err != nil {
			return err
		}
		b.tx = tx
	}
	if err := fn(bulkTx{b.tx, b.db.d}); err != nil {
		return err
	}
	b.n++
	if b.n >= b.batch {
		return b.flush()
	}
	return nil
}

// bulkTx runs BulkLoad's statements, rewritten for the engine.
type bulkTx struct {
	tx *sql.Tx
	d  *dialect
}

func (t bulkTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(query), args...)
}

func (t bulkTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(query), args...)
}

func (b *bulkWriter) flush() error {
	if b.tx == nil {
		return nil
	}
	err := b.tx.Commit()
	b.tx, b.n = nil, 0
	return err
}

func (b *bulkWriter) fail(op, what string, err error) error {
	if b.tx != nil {
		b.tx.Rollback()
		b.tx = nil
	}
	return dbErr(op, fmt.Errorf("%s: %w", what, err))
}

// tokenHash is how auth stores a bearer token: its SHA-256.
func tokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}
