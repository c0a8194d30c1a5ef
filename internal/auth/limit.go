package auth

import (
	"context"
	"strconv"
	"time"

	"github.com/parley-chat/parley/internal/errs"
)

// The lockout slows down password guessing: after maxFailures failed logins
// for one subject (an account or a client address) within window, further
// attempts are refused until the lockout has passed since the last failure.
// The lockout doubles with every further burst of maxFailures, up to
// maxLock; a subject forgets its failures window plus its lockout after the
// last one.
//
// The counters live in the store (ADR 0018), so every node of a cluster
// sees the same counts and a restart forgets nothing: a login reads them
// once (one indexed SELECT), a failure is one upsert that counts it
// atomically (two nodes failing at once both count), and a success writes
// only when it has failures to clear, in the transaction of its session.
const (
	maxFailures  = 5
	window       = 15 * time.Minute
	firstLockout = time.Minute
	maxLock      = time.Hour
	sweepEvery   = 10 * time.Minute
)

// LoginFailures is the failure count of one limited subject.
type LoginFailures struct {
	Subject  string
	Failures int       // failures of the current burst
	Last     time.Time // the last failure
	// ForgetAt is when the count restarts: a failure after it is the
	// first of a new burst.
	ForgetAt time.Time
}

// Lockout subjects: the login name typed, the client address, and a known
// user (second-factor and password-confirm failures, whatever name was
// typed). Other sign-ins bring their own subjects to CheckLogin (sso: "l:"
// a provider id, ":" and a directory login name).
func loginSubject(login string) string { return "u:" + login }
func addrSubject(addr string) string   { return "a:" + addr }
func userSubject(id int64) string      { return "#" + strconv.FormatInt(id, 10) }

// lockFor is the lockout after the given number of failures in a burst:
// none below maxFailures, then firstLockout, doubled at every further
// maxFailures, at most maxLock.
func lockFor(failures int) time.Duration {
	if failures < maxFailures {
		return 0
	}
	steps := min(failures/maxFailures-1, 6) // 1 min << 6 is past maxLock
	return min(firstLockout<<steps, maxLock)
}

// wait is how long the subject must still wait at now (0: not locked).
func (f LoginFailures) wait(now time.Time) time.Duration {
	lock := lockFor(f.Failures)
	if lock == 0 || !now.Before(f.ForgetAt) {
		return 0
	}
	return max(f.Last.Add(lock).Sub(now), 0)
}

// counts are the counters read for one login attempt.
type counts map[string]LoginFailures

// readFailures reads the counters of the subjects.
func (s *Service) readFailures(ctx context.Context, op string, subjects ...string) (counts, error) {
	fs, err := s.store.LoginFailures(ctx, subjects)
	if err != nil {
		return nil, errs.E(op, errs.Other, "", err)
	}
	c := make(counts, len(fs))
	for _, f := range fs {
		c[f.Subject] = f
	}
	return c, nil
}

// wait is the longest lockout among the subjects at now.
func (c counts) wait(now time.Time, subjects ...string) time.Duration {
	var w time.Duration
	for _, sub := range subjects {
		w = max(w, c[sub].wait(now))
	}
	return w
}

// fail counts a failure of each subject in tx and returns the lockout this
// failure started (0 if none). The horizon after which a subject forgets is
// computed from the count read before, so a race with another node can
// only make it one backoff step short.
func (c counts) fail(ctx context.Context, tx Tx, now time.Time, subjects ...string) (time.Duration, error) {
	fs := make([]LoginFailures, 0, len(subjects))
	for _, sub := range subjects {
		n := 1
		if f, ok := c[sub]; ok && now.Before(f.ForgetAt) {
			n = f.Failures + 1
		}
		fs = append(fs, LoginFailures{Subject: sub, Failures: n, Last: now, ForgetAt: now.Add(window + lockFor(n))})
	}
	stored, err := tx.CountLoginFailures(ctx, fs)
	if err != nil {
		return 0, err
	}
	var started time.Duration
	for _, f := range stored {
		if f.Failures >= maxFailures && f.Failures%maxFailures == 0 {
			started = max(started, lockFor(f.Failures))
		}
	}
	return started, nil
}

// clear forgets the subjects that have failures, in tx (nothing to write
// when none has).
func (c counts) clear(ctx context.Context, tx Tx, subjects ...string) error {
	var had []string
	for _, sub := range subjects {
		if _, ok := c[sub]; ok {
			had = append(had, sub)
		}
	}
	if len(had) == 0 {
		return nil
	}
	return tx.ClearLoginFailures(ctx, had)
}

// CheckLogin refuses (RateLimited "too_many_attempts") a sign-in by a login
// that Parley does not verify itself (a directory bind) while the subject
// or the client address is locked out, before the directory is contacted.
func (s *Service) CheckLogin(ctx context.Context, subject, addr string) error {
	const op = "auth.CheckLogin"
	c, err := s.readFailures(ctx, op, subject, addrSubject(addr))
	if err != nil {
		return err
	}
	if w := c.wait(s.now(), subject, addrSubject(addr)); w > 0 {
		return tooMany(op, w)
	}
	return nil
}

// LoginFailed counts a failed sign-in of subject from addr and returns the
// lockout it started (0 if none).
func (s *Service) LoginFailed(ctx context.Context, subject, addr string) (time.Duration, error) {
	const op = "auth.LoginFailed"
	c, err := s.readFailures(ctx, op, subject, addrSubject(addr))
	if err != nil {
		return 0, err
	}
	var lock time.Duration
	err = s.store.Update(ctx, func(tx Tx) error {
		lock, err = c.fail(ctx, tx, s.now(), subject, addrSubject(addr))
		return err
	})
	if err != nil {
		return 0, errs.E(op, errs.Other, "", err)
	}
	return lock, nil
}

// LoginSucceeded forgets the failures of subject (not of the address: one
// success from an address does not vouch for its other attempts).
func (s *Service) LoginSucceeded(ctx context.Context, subject string) error {
	const op = "auth.LoginSucceeded"
	c, err := s.readFailures(ctx, op, subject)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx Tx) error { return c.clear(ctx, tx, subject) })
	if err != nil {
		return errs.E(op, errs.Other, "", err)
	}
	return nil
}

// Run sweeps forgotten counters every sweepEvery until ctx ends, so that
// names and addresses tried once do not stay in the database.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		err := s.store.Update(ctx, func(tx Tx) error { return tx.DeleteForgottenLoginFailures(ctx, s.now()) })
		if err != nil && ctx.Err() == nil {
			s.log.Warn("sweep login failures", "err", err)
		}
	}
}
