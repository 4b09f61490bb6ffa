package devices

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of the encryption key (AES-256).
const KeySize = 32

// ErrBadKey: the encryption key is not 32 bytes of hex or base64.
var ErrBadKey = errors.New("devices: the encryption key must be 32 bytes, hex or base64 encoded")

// errOpen: a sealed value failed authentication (wrong key or corrupted).
var errOpen = errors.New("devices: sealed value does not open with this key")

// ParseKey decodes a 32-byte key written as 64 hex digits or as standard or
// URL-safe base64 (padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, ErrBadKey
}

// DeriveKey makes a development encryption key from another secret (the
// JWT secret) when none is configured, so a dev server can still seal.
// Production deployments set their own key: rotating the JWT secret must
// not make sealed data unreadable.
func DeriveKey(secret []byte) []byte {
	h := sha256.Sum256(append([]byte("daka/devices/encryption-key/v1\x00"), secret...))
	return h[:]
}

// sealer encrypts small values (signing keys, biometric templates) with
// AES-256-GCM. A sealed value is nonce || ciphertext || tag; the additional
// data binds it to its row so a value copied to another row does not open.
type sealer struct {
	aead cipher.AEAD
}

func newSealer(key []byte) (*sealer, error) {
	if len(key) != KeySize {
		return nil, ErrBadKey
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(plain []byte, ad string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, []byte(ad))
}

func (s *sealer) open(sealed []byte, ad string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errOpen
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(ad))
	if err != nil {
		return nil, errOpen
	}
	return out, nil
}
