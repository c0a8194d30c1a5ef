package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/account"
	"github.com/parley-chat/parley/internal/errs"
)

// MaxBody is the largest JSON request body accepted. Larger bodies are
// refused from Content-Length before anything is read, or as soon as the
// limit is crossed for chunked bodies.
const MaxBody = 256 << 10

// decode reads a JSON body into v strictly: the right media type, at most
// MaxBody bytes, valid UTF-8, no unknown fields, the right types, and
// nothing after the value.
func decode(r *http.Request, v any) error {
	const op = "httpapi.decode"
	if r.ContentLength > MaxBody {
		return errs.New(op, errs.TooLarge, "body_too_large").With("max", MaxBody)
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return errs.New(op, errs.Invalid, "unsupported_media")
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return errs.E(op, errs.Invalid, "invalid_json", err)
	}
	if len(body) > MaxBody {
		return errs.New(op, errs.TooLarge, "body_too_large").With("max", MaxBody)
	}
	if !utf8.Valid(body) {
		return errs.New(op, errs.Invalid, "invalid_utf8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeErr(op, err)
	}
	if dec.More() {
		return errs.New(op, errs.Invalid, "invalid_json")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.New(op, errs.Invalid, "invalid_json")
	}
	return nil
}

func decodeErr(op string, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return errs.E(op, errs.Invalid, "wrong_type", err).With("field", te.Field)
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return errs.E(op, errs.Invalid, "unknown_field", err).With("field", field)
	}
	return errs.E(op, errs.Invalid, "invalid_json", err)
}

// pathID parses a positive integer path parameter.
func pathID(r *http.Request, name string) (int64, error) {
	v, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, errs.New("httpapi.pathID", errs.Invalid, "id_invalid")
	}
	return v, nil
}

// queryInt parses an optional non-negative integer query parameter.
func queryInt(r *http.Request, name, code string) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, errs.New("httpapi.queryInt", errs.Invalid, code)
	}
	return v, nil
}

// pageLimit parses limit (default 50, 1–200).
func pageLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 50, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 1 || v > 200 {
		return 0, errs.New("httpapi.pageLimit", errs.Invalid, "limit_invalid")
	}
	return v, nil
}

// userAction serves the routes that add or remove one user ({user_id}) on
// a channel, department or group ({id}) and answer 204 No Content.
func userAction(w http.ResponseWriter, r *http.Request, c call, do func(ctx context.Context, actor account.Actor, id, user int64) error) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	user, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	if err := do(r.Context(), c.actor, id, user); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
