package store

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/account"
)

const inviteCols = `id, org_id, token_hash, role, email, max_uses, uses, created_by, created_at, expires_at, revoked_at`

func scanInvitation(s scanner) (account.Invitation, error) {
	var i account.Invitation
	var role string
	var created, expires, revoked int64
	if err := s.Scan(&i.ID, &i.Org, &i.TokenHash, &role, &i.Email, &i.MaxUses, &i.Uses, &i.CreatedBy,
		&created, &expires, &revoked); err != nil {
		return account.Invitation{}, err
	}
	i.Role = account.Role(role)
	i.CreatedAt, i.ExpiresAt = fromMS(created), fromMS(expires)
	if revoked != 0 {
		i.RevokedAt = fromMS(revoked)
	}
	return i, nil
}

// Invitations lists an organisation's invitations, newest first.
func (q Queries) Invitations(ctx context.Context, org int64) ([]account.Invitation, error) {
	const op = "store.Invitations"
	rows, err := q.query(ctx, `SELECT `+inviteCols+` FROM invitations WHERE org_id = ? ORDER BY id DESC`, org)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	out := []account.Invitation{}
	for rows.Next() {
		i, err := scanInvitation(rows)
		if err != nil {
			return nil, dbErr(op, err)
		}
		out = append(out, i)
	}
	return out, dbErr(op, rows.Err())
}

// Invitation returns one invitation of an organisation.
func (q Queries) Invitation(ctx context.Context, org, id int64) (account.Invitation, error) {
	i, err := scanInvitation(q.queryRow(ctx, `SELECT `+inviteCols+` FROM invitations WHERE org_id = ? AND id = ?`, org, id))
	if err != nil {
		return account.Invitation{}, notFound("store.Invitation", "invite_not_found", err)
	}
	return i, nil
}

// InvitationByToken finds an invitation by the hash of its token.
func (q Queries) InvitationByToken(ctx context.Context, hash []byte) (account.Invitation, error) {
	i, err := scanInvitation(q.queryRow(ctx, `SELECT `+inviteCols+` FROM invitations WHERE token_hash = ?`, hash))
	if err != nil {
		return account.Invitation{}, notFound("store.InvitationByToken", "invite_not_found", err)
	}
	return i, nil
}

// InsertInvitation stores a new invitation.
func (t *Tx) InsertInvitation(ctx context.Context, i account.Invitation) (account.Invitation, error) {
	err := t.queryRow(ctx, `
		INSERT INTO invitations (org_id, token_hash, role, email, max_uses, uses, created_by, created_at, expires_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 0) RETURNING id`,
		i.Org, i.TokenHash, string(i.Role), i.Email, i.MaxUses, i.CreatedBy, ms(i.CreatedAt), ms(i.ExpiresAt)).Scan(&i.ID)
	i.Uses, i.RevokedAt = 0, time.Time{}
	return i, dbErr("store.InsertInvitation", err)
}

// RevokeInvitation marks an invitation revoked at the given time.
func (t *Tx) RevokeInvitation(ctx context.Context, org, id int64, at time.Time) error {
	_, err := t.exec(ctx, `UPDATE invitations SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at = 0`, ms(at), org, id)
	return dbErr("store.RevokeInvitation", err)
}

// UseInvitation spends one use; the condition in the UPDATE makes the last
// use go to one caller only.
func (t *Tx) UseInvitation(ctx context.Context, org, id int64) (bool, error) {
	res, err := t.exec(ctx, `UPDATE invitations SET uses = uses + 1
		WHERE org_id = ? AND id = ? AND revoked_at = 0 AND uses < max_uses`, org, id)
	if err != nil {
		return false, dbErr("store.UseInvitation", err)
	}
	n, err := res.RowsAffected()
	return n == 1, dbErr("store.UseInvitation", err)
}
