// Package secret seals the credentials Parley must read back in clear to use
// them (identity providers' client secrets and bind passwords, users' TOTP
// secrets) so that the database never holds them in clear. A value is sealed
// with AES-256-GCM under a key kept outside the database, in a versioned
// envelope that names the key, so keys can be rotated: a Keyring seals with
// its primary key and opens with any of its keys. See ADR 0019.
package secret

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/parley-chat/parley/internal/errs"
)

// KeySize is the length of a key in bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value: the envelope's format and version. A
// value without it is a plaintext written by a version before sealing; no
// real secret starts with it (TOTP secrets are 20 random bytes, provider
// secrets are issued by identity providers).
const prefix = "sealed:v1:"

// Key is one AES-256-GCM key with its id, derived from the key itself, so a
// wrong key can never be mistaken for the right one.
type Key struct {
	id   string
	aead cipher.AEAD
}

// NewKey makes a Key of KeySize raw bytes.
func NewKey(raw []byte) (Key, error) {
	if len(raw) != KeySize {
		return Key{}, errs.E("secret.NewKey", errs.Invalid, "secret_key_invalid",
			fmt.Errorf("a key is %d bytes, got %d", KeySize, len(raw)))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, errs.E("secret.NewKey", errs.Invalid, "secret_key_invalid", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, errs.E("secret.NewKey", errs.Invalid, "secret_key_invalid", err)
	}
	// The id is a hash of the key under a label of its own, short enough to
	// read in a dump and long enough that two keys of one keyring never
	// share it (8 hex digits, 32 bits).
	h := sha256.Sum256(append([]byte("parley secret key id\x00"), raw...))
	return Key{id: hex.EncodeToString(h[:4]), aead: aead}, nil
}

// GenerateKey returns KeySize fresh random bytes.
func GenerateKey() []byte {
	raw := make([]byte, KeySize)
	rand.Read(raw) // never fails (crypto/rand panics rather than return an error)
	return raw
}

// ID is the key's id as written in the envelopes it seals.
func (k Key) ID() string { return k.id }

// Keyring seals with its primary key and opens values sealed with any of its
// keys. It is safe for concurrent use.
type Keyring struct {
	primary Key
	byID    map[string]Key
}

// NewKeyring returns a keyring sealing with primary and also opening with
// others (former keys during a rotation).
func NewKeyring(primary Key, others ...Key) *Keyring {
	r := &Keyring{primary: primary, byID: map[string]Key{primary.id: primary}}
	for _, k := range others {
		if k.aead != nil {
			r.byID[k.id] = k
		}
	}
	return r
}

// Primary is the id of the key new values are sealed with.
func (r *Keyring) Primary() string { return r.primary.id }

// Has reports whether the keyring holds the key with this id.
func (r *Keyring) Has(id string) bool { _, ok := r.byID[id]; return ok }

// Seal returns plain sealed under the primary key, bound to label (the
// value's place, such as "totp:42"), so a sealed value copied into another
// row does not open there.
func (r *Keyring) Seal(plain []byte, label string) []byte {
	nonce := make([]byte, r.primary.aead.NonceSize())
	rand.Read(nonce)
	box := r.primary.aead.Seal(nonce, nonce, plain, []byte(label))
	out := make([]byte, 0, len(prefix)+len(r.primary.id)+1+base64.RawURLEncoding.EncodedLen(len(box)))
	out = append(out, prefix...)
	out = append(out, r.primary.id...)
	out = append(out, ':')
	return base64.RawURLEncoding.AppendEncode(out, box)
}

// Open returns the plaintext of a value sealed by Seal with the same label.
// Errors: Unavailable with secret_key_unknown when no key of the keyring
// sealed it (the server runs with the wrong key file), Unavailable with
// secret_unreadable when the value is damaged or was moved to another
// place, Invalid with secret_not_sealed for a plaintext value.
func (r *Keyring) Open(sealed []byte, label string) ([]byte, error) {
	const op = "secret.Open"
	id, ok := KeyID(sealed)
	if !ok {
		return nil, errs.New(op, errs.Invalid, "secret_not_sealed")
	}
	k, ok := r.byID[id]
	if !ok {
		return nil, errs.E(op, errs.Unavailable, "secret_key_unknown",
			fmt.Errorf("%s was sealed with key %s, which is not configured (this server has %s)", label, id, r.ids()))
	}
	box, err := base64.RawURLEncoding.DecodeString(string(sealed[len(prefix)+len(id)+1:]))
	if err != nil || len(box) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, errs.E(op, errs.Unavailable, "secret_unreadable", fmt.Errorf("%s: damaged envelope", label))
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, box[:n], box[n:], []byte(label))
	if err != nil {
		return nil, errs.E(op, errs.Unavailable, "secret_unreadable",
			fmt.Errorf("%s: %w (the value was altered or copied from another row)", label, err))
	}
	return plain, nil
}

// ids lists the keyring's key ids, the primary first, for error messages.
func (r *Keyring) ids() string {
	s := r.primary.id
	for id := range r.byID {
		if id != r.primary.id {
			s += ", " + id
		}
	}
	return s
}

// IsSealed reports whether v is a sealed envelope (of any key).
func IsSealed(v []byte) bool { _, ok := KeyID(v); return ok }

// KeyID returns the id of the key that sealed v; false for a value that is
// not a sealed envelope.
func KeyID(v []byte) (string, bool) {
	if !bytes.HasPrefix(v, []byte(prefix)) {
		return "", false
	}
	rest := v[len(prefix):]
	i := bytes.IndexByte(rest, ':')
	if i <= 0 {
		return "", false
	}
	return string(rest[:i]), true
}
