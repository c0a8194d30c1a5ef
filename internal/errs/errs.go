// Package errs defines Parley's error kinds: a closed, append-only set that
// every layer uses to say what went wrong, and that exactly one function in
// the HTTP transport turns into a status code and a stable error code.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error. The set is closed and append-only: transports map
// each kind to a status once, so adding a kind means updating that mapping.
type Kind uint8

const (
	Other           Kind = iota // unclassified; treated as Internal by transports
	Invalid                     // the input is malformed or breaks a rule
	NotFound                    // the thing does not exist or the actor may not know it exists
	Conflict                    // the request conflicts with the current state
	Permission                  // the actor is known but not allowed
	Unauthenticated             // no valid credentials
	RateLimited                 // too many attempts; retry later
	TooLarge                    // the input exceeds a size limit
	Unavailable                 // a dependency is down or the server is shutting down; retry
	Internal                    // a bug or an unexpected failure
)

var kindNames = [...]string{"other", "invalid", "not_found", "conflict", "permission",
	"unauthenticated", "rate_limited", "too_large", "unavailable", "internal"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is an error with a kind, the operation that failed, a stable machine
// code (such as "message_too_long") and optional parameters for the
// human-readable message the transport renders in the caller's language.
type Error struct {
	Op     string         // operation, e.g. "chat.PostMessage"
	Kind   Kind           // what went wrong
	Code   string         // stable machine code; empty means derived from Kind
	Params map[string]any // values for the localised message, e.g. {"max": 16000}
	Err    error          // underlying error, may be nil
}

func (e *Error) Error() string {
	msg := e.Op + ": " + e.Kind.String()
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error. Arguments are taken by type: a Kind, a string code
// (the first string) and an error to wrap; Params may be set afterwards.
func E(op string, kind Kind, code string, err error) *Error {
	return &Error{Op: op, Kind: kind, Code: code, Err: err}
}

// New is a shorthand for an error without a wrapped cause.
func New(op string, kind Kind, code string) *Error {
	return &Error{Op: op, Kind: kind, Code: code}
}

// With returns a copy of e with a parameter added for the localised message.
func (e *Error) With(key string, val any) *Error {
	c := *e
	c.Params = make(map[string]any, len(e.Params)+1)
	for k, v := range e.Params {
		c.Params[k] = v
	}
	c.Params[key] = val
	return &c
}

// KindOf reports the kind of the outermost *Error in err's chain, or Other.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		if e.Kind == Other && e.Err != nil {
			return KindOf(e.Err)
		}
		return e.Kind
	}
	return Other
}

// Is reports whether err carries the given kind.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// CodeOf returns the stable code of the first *Error in the chain that has
// one, falling back to the kind's name.
func CodeOf(err error) string {
	var e *Error
	for cur := err; errors.As(cur, &e); cur = e.Err {
		if e.Code != "" {
			return e.Code
		}
		if e.Err == nil {
			break
		}
	}
	return KindOf(err).String()
}

// ParamsOf returns the message parameters of the first *Error with a code.
func ParamsOf(err error) map[string]any {
	var e *Error
	for cur := err; errors.As(cur, &e); cur = e.Err {
		if e.Code != "" {
			return e.Params
		}
		if e.Err == nil {
			break
		}
	}
	return nil
}
