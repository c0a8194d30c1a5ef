package auth

import (
	"context"
	"time"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/audit"
	"github.com/parley-chat/parley/internal/errs"
	"github.com/parley-chat/parley/internal/event"
)

// eventRevoke is the event that closes some of a user's streams; the
// Revocation payload says which.
func eventRevoke(org, user int64) event.Event {
	return event.Event{Org: org, User: user, Revoke: true, Type: "session.revoked"}
}

// Sessions returns the actor's logins (browser sessions and API tokens from
// password logins), newest first; personal access tokens are listed by
// Tokens.
func (s *Service) Sessions(ctx context.Context, actor account.Actor) ([]Session, error) {
	all, err := s.store.Sessions(ctx, actor.Org, actor.User)
	if err != nil {
		return nil, errs.E("auth.Sessions", errs.Other, "", err)
	}
	now := s.now()
	out := []Session{}
	for _, x := range all {
		if x.Kind != KindPAT && x.Pending != PendingTOTP && now.Before(x.ExpiresAt) {
			out = append(out, x)
		}
	}
	return out, nil
}

// RevokeSession ends one of the actor's sessions or tokens and closes its
// WebSocket streams. NotFound "session_not_found" for another user's.
func (s *Service) RevokeSession(ctx context.Context, actor account.Actor, id int64, kindPAT bool) error {
	const op = "auth.RevokeSession"
	all, err := s.store.Sessions(ctx, actor.Org, actor.User)
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	var target *Session
	for i := range all {
		if all[i].ID == id && (all[i].Kind == KindPAT) == kindPAT && all[i].Pending != PendingTOTP {
			target = &all[i]
		}
	}
	code, action, ttype := "session_not_found", audit.SessionRevoked, audit.TargetSession
	if kindPAT {
		code, action, ttype = "token_not_found", audit.TokenRevoked, audit.TargetToken
	}
	if target == nil {
		return errs.New(op, errs.NotFound, code)
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, id); err != nil {
			return err
		}
		if err := s.emitRevoke(ctx, tx, actor.Org, actor.User, Revocation{Session: id}); err != nil {
			return err
		}
		d := map[string]string{"kind": target.Kind}
		if target.Name != "" {
			d["name"] = target.Name
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, s.now(), audit.Entry{Org: actor.Org, Actor: actor.User, Action: action,
			TargetType: ttype, TargetID: id, Outcome: audit.Success, Details: d}))
	})
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// Tokens returns the actor's personal access tokens, expired ones included
// (so the owner sees why a script stopped), newest first.
func (s *Service) Tokens(ctx context.Context, actor account.Actor) ([]Session, error) {
	all, err := s.store.Sessions(ctx, actor.Org, actor.User)
	if err != nil {
		return nil, errs.E("auth.Tokens", errs.Other, "", err)
	}
	out := []Session{}
	for _, x := range all {
		if x.Kind == KindPAT {
			out = append(out, x)
		}
	}
	return out, nil
}

// NewToken describes a personal access token to create.
type NewToken struct {
	Name      string
	Scope     string // ScopeRead or ScopeWrite ("" is ScopeWrite)
	ExpiresIn time.Duration
}

// Token limits.
const (
	MaxTokenLifetime = 366 * 24 * time.Hour
	MinTokenLifetime = time.Hour
	MaxTokens        = 50
)

// CreateToken creates a personal access token for the actor and returns it
// (shown once; only its hash is stored). Invalid "token_name_*",
// "token_scope_invalid", "token_expiry_invalid"; Conflict
// "too_many_tokens".
func (s *Service) CreateToken(ctx context.Context, actor account.Actor, in NewToken) (string, Session, error) {
	const op = "auth.CreateToken"
	name, err := account.CleanText(op, "token_name", in.Name, 1, account.MaxNameLen)
	if err != nil {
		return "", Session{}, err
	}
	if in.Scope == "" {
		in.Scope = ScopeWrite
	}
	if in.Scope != ScopeRead && in.Scope != ScopeWrite {
		return "", Session{}, errs.New(op, errs.Invalid, "token_scope_invalid")
	}
	if in.ExpiresIn < MinTokenLifetime || in.ExpiresIn > MaxTokenLifetime {
		return "", Session{}, errs.New(op, errs.Invalid, "token_expiry_invalid").With("max", int(MaxTokenLifetime/(24*time.Hour)))
	}
	existing, err := s.Tokens(ctx, actor)
	if err != nil {
		return "", Session{}, err
	}
	if len(existing) >= MaxTokens {
		return "", Session{}, errs.New(op, errs.Conflict, "too_many_tokens").With("max", MaxTokens)
	}
	tok := randomToken("pat_", 32)
	now := s.now()
	sess := Session{Org: actor.Org, User: actor.User, TokenHash: hashToken(tok), Kind: KindPAT, Name: name, Scope: in.Scope,
		CreatedAt: now, ExpiresAt: now.Add(in.ExpiresIn)}
	src := audit.SourceFrom(ctx)
	sess.Address, sess.UserAgent = src.Address, cutUA(src.UserAgent)
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sess, err = tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		return tx.InsertAudit(ctx, audit.Stamp(ctx, now, audit.Entry{Org: actor.Org, Actor: actor.User, Action: audit.TokenCreated,
			TargetType: audit.TargetToken, TargetID: sess.ID, Outcome: audit.Success,
			Details: map[string]string{"name": name, "scope": in.Scope, "expires_at": sess.ExpiresAt.Format(time.RFC3339)}}))
	})
	if err != nil {
		return "", Session{}, errs.E(op, errs.Other, "", err)
	}
	return tok, sess, nil
}
