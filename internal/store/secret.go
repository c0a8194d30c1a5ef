package store

import (
	"context"
	"fmt"
	"strconv"

	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/secret"
)

// The credentials Parley must read back in clear (a provider's client secret
// or bind password, a user's TOTP secret) are sealed by the store on the way
// in and opened on the way out, so the domain packages handle plaintext and
// the database only ever holds envelopes (ADR 0019). Each value is bound to
// its row by the label, so an envelope copied into another row does not open.

func totpLabel(user int64) string { return "totp_secrets.secret:" + strconv.FormatInt(user, 10) }
func providerLabel(provider int64) string {
	return "sso_providers.secret:" + strconv.FormatInt(provider, 10)
}

// seal seals plain with the DB's keyring. Errors: Unavailable with
// secret_key_required when the DB was opened without one.
func (q Queries) seal(op string, plain []byte, label string) ([]byte, error) {
	if q.secrets == nil {
		return nil, errs.E(op, errs.Unavailable, "secret_key_required", fmt.Errorf("store opened without a secret key"))
	}
	return q.secrets.Seal(plain, label), nil
}

// open opens a sealed value. A plaintext value, left by a version before
// sealing and not yet sealed by SealSecrets, is returned as it is.
func (q Queries) open(op string, v []byte, label string) ([]byte, error) {
	if !secret.IsSealed(v) {
		return v, nil
	}
	if q.secrets == nil {
		return nil, errs.E(op, errs.Unavailable, "secret_key_required", fmt.Errorf("store opened without a secret key"))
	}
	plain, err := q.secrets.Open(v, label)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return plain, nil
}

// SecretsReport counts what SealSecrets found and did.
type SecretsReport struct {
	Sealed    int // plaintext values (from before sealing) now sealed
	Resealed  int // values moved from an older key to the primary key
	Unchanged int // values already sealed with the primary key
}

// sealedColumn is a column holding sealed values, read and rewritten by
// SealSecrets.
type sealedColumn struct {
	table, key string
	label      func(int64) string
	text       bool // a TEXT column (else a BLOB/BYTEA one)
}

var sealedColumns = []sealedColumn{
	{table: "totp_secrets", key: "user_id", label: totpLabel},
	{table: "sso_providers", key: "id", label: providerLabel, text: true},
}

// SealSecrets seals every plaintext secret left by a version before
// sealing (the upgrade; idempotent) and, with rotate, re-seals every value
// sealed with another key of the keyring under its primary key. It runs in
// one transaction: all or nothing. Errors: Unavailable with
// secret_key_unknown, before changing anything, when a value was sealed
// with a key the keyring does not hold (the server was given the wrong key
// file); secret_unreadable when one does not open.
func (db *DB) SealSecrets(ctx context.Context, rotate bool) (SecretsReport, error) {
	const op = "store.SealSecrets"
	var rep SecretsReport
	if db.secrets == nil {
		return rep, errs.E(op, errs.Unavailable, "secret_key_required", fmt.Errorf("store opened without a secret key"))
	}
	err := db.update(ctx, func(t *Tx) error {
		rep = SecretsReport{}
		for _, c := range sealedColumns {
			if err := t.sealColumn(ctx, c, rotate, &rep); err != nil {
				return err
			}
		}
		return nil
	})
	return rep, err
}

func (t *Tx) sealColumn(ctx context.Context, c sealedColumn, rotate bool, rep *SecretsReport) error {
	const op = "store.SealSecrets"
	type value struct {
		id int64
		v  []byte
	}
	var vals []value
	rows, err := t.query(ctx, `SELECT `+c.key+`, secret FROM `+c.table+` ORDER BY `+c.key)
	if err != nil {
		return dbErr(op, err)
	}
	for rows.Next() {
		var v value
		if err := rows.Scan(&v.id, &v.v); err != nil {
			rows.Close()
			return dbErr(op, err)
		}
		if len(v.v) > 0 { // a provider without a secret has nothing to hide
			vals = append(vals, v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return dbErr(op, err)
	}
	for _, v := range vals {
		plain := v.v
		if id, sealed := secret.KeyID(v.v); sealed {
			if id == t.secrets.Primary() {
				rep.Unchanged++
				continue
			}
			if plain, err = t.secrets.Open(v.v, c.label(v.id)); err != nil {
				return fmt.Errorf("%s: %w", op, err)
			}
			if !rotate {
				rep.Unchanged++
				continue
			}
			rep.Resealed++
		} else {
			rep.Sealed++
		}
		var next, prev any = t.secrets.Seal(plain, c.label(v.id)), v.v
		if c.text {
			next, prev = string(next.([]byte)), string(v.v)
		}
		// Only if unchanged since read: another node sealing the same
		// plaintext at its start must not be overwritten with a stale value.
		if _, err := t.exec(ctx, `UPDATE `+c.table+` SET secret = ? WHERE `+c.key+` = ? AND secret = ?`, next, v.id, prev); err != nil {
			return dbErr(op, err)
		}
	}
	return nil
}
