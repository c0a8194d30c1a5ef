package httpapi

import (
	"bytes"
	"net/http/httptest"
	"testing"

	"github.com/parley-chat/parley/internal/errs"
)

// FuzzDecode checks the strict JSON decoder: any input either decodes into
// the request type or fails with a client error (never a panic or an
// internal error).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"client_id":"a","text":"b"}`, `{}`, `[]`, `{"client_id":1}`, `{"x":1}`, "\xff", `{"text":"a"} x`, ``, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var v newMessage
		err := decode(r, &v)
		if err == nil {
			return
		}
		switch errs.KindOf(err) {
		case errs.Invalid, errs.TooLarge:
		default:
			t.Fatalf("decode error of kind %v: %v", errs.KindOf(err), err)
		}
		if _, ok := catalog[errs.CodeOf(err)]; !ok {
			t.Fatalf("code %q has no message", errs.CodeOf(err))
		}
	})
}
