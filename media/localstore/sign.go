package localstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/dakahq/daka/media"
)

// Signature errors, returned wrapped by VerifySignature and VerifyPutSignature.
var (
	ErrSignatureInvalid = errors.New("localstore: invalid signature")
	ErrSignatureExpired = errors.New("localstore: signed URL expired")
)

// MountPath is the path prefix of signed URLs below BaseURL.
const MountPath = "/v1/media/"

// signatureVersion is mixed into every MAC so a future format cannot be
// confused with this one.
const signatureVersion = "daka-localstore-v1"

// SignedGetURL implements media.Store.
func (s *Store) SignedGetURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	return s.signedURL(key, "GET", "", ttl)
}

// SignedPutURL implements media.Store.
func (s *Store) SignedPutURL(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error) {
	if err := media.ValidateContentType(contentType); err != nil {
		return "", err
	}
	return s.signedURL(key, "PUT", contentType, ttl)
}

func (s *Store) signedURL(key, method, contentType string, ttl time.Duration) (string, error) {
	if err := media.ValidateKey(key); err != nil {
		return "", err
	}
	if err := media.ValidateTTL(ttl); err != nil {
		return "", err
	}
	expires := s.now().Add(ttl).Unix()
	q := url.Values{}
	q.Set("expires", strconv.FormatInt(expires, 10))
	q.Set("sig", s.mac(method, key, expires, contentType))
	if method == "PUT" {
		q.Set("ct", contentType)
	}
	// Keys are limited to [A-Za-z0-9._-/], which need no escaping in a path.
	return s.base + MountPath + key + "?" + q.Encode(), nil
}

func (s *Store) mac(method, key string, expires int64, contentType string) string {
	m := hmac.New(sha256.New, s.key)
	fmt.Fprintf(m, "%s\n%s\n%s\n%d\n%s", signatureVersion, method, key, expires, contentType)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a signed GET URL's parameters: sig must be the MAC
// of method, key and expires, and now must not be after expires. A HEAD
// request verifies as "GET". Signed PUT URLs also bind a content type; check
// those with VerifyPutSignature.
func (s *Store) VerifySignature(key, method string, expires int64, sig string, now time.Time) error {
	return s.verify(key, method, expires, "", sig, now)
}

// VerifyPutSignature checks a signed PUT URL's parameters, including the
// content type (its "ct" query parameter) the request must carry.
func (s *Store) VerifyPutSignature(key, contentType string, expires int64, sig string, now time.Time) error {
	return s.verify(key, "PUT", expires, contentType, sig, now)
}

func (s *Store) verify(key, method string, expires int64, contentType, sig string, now time.Time) error {
	got, err := hex.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: malformed", ErrSignatureInvalid)
	}
	want, _ := hex.DecodeString(s.mac(method, key, expires, contentType))
	if !hmac.Equal(got, want) { // constant time
		return ErrSignatureInvalid
	}
	if now.Unix() > expires {
		return fmt.Errorf("%w at %s", ErrSignatureExpired, time.Unix(expires, 0).UTC().Format(time.RFC3339))
	}
	return nil
}
