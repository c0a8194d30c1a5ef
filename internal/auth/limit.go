package auth

import (
	"sync"
	"time"
)

// limiter slows down password guessing: after maxFailures failed logins for
// one account or from one address within window, further attempts are
// refused until the window has passed since the last failure. The lockout
// doubles with every further burst, up to maxLock.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	keys map[string]*attempts
}

type attempts struct {
	failures int
	last     time.Time
	lock     time.Duration
}

const (
	maxFailures  = 5
	window       = 15 * time.Minute
	firstLockout = time.Minute
	maxLock      = time.Hour
	maxKeys      = 100_000
)

func newLimiter(now func() time.Time) *limiter {
	return &limiter{now: now, keys: map[string]*attempts{}}
}

// blocked returns how long the login or address must still wait.
func (l *limiter) blocked(login, addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, k := range []string{"u:" + login, "a:" + addr} {
		a := l.keys[k]
		if a == nil || a.failures < maxFailures {
			continue
		}
		if w := a.last.Add(a.lock).Sub(l.now()); w > wait {
			wait = w
		}
	}
	return wait
}

// fail counts a failure for the login (or user key) and the address; it
// returns the lockout this failure started, or 0.
func (l *limiter) fail(login, addr string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var started time.Duration
	if len(l.keys) > maxKeys {
		l.sweep(now)
	}
	for _, k := range []string{"u:" + login, "a:" + addr} {
		a := l.keys[k]
		if a == nil || now.Sub(a.last) > window+a.lock {
			a = &attempts{}
			l.keys[k] = a
		}
		a.failures++
		a.last = now
		if a.failures >= maxFailures {
			if a.lock == 0 {
				a.lock = firstLockout
			} else if a.failures%maxFailures == 0 && a.lock < maxLock {
				a.lock *= 2
			}
			if a.failures%maxFailures == 0 && a.lock > started {
				started = a.lock
			}
		}
	}
	return started
}

func (l *limiter) success(login string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, "u:"+login)
}

func (l *limiter) sweep(now time.Time) {
	for k, a := range l.keys {
		if now.Sub(a.last) > window+a.lock {
			delete(l.keys, k)
		}
	}
}
