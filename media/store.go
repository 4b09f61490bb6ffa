package media

import (
	"context"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
)

// Store keeps evidence objects. Implementations: media/localstore (a folder,
// the default without S3) and media/s3store (any S3-compatible service).
// Objects are never public: clients reach them only through signed URLs.
//
// Keys must pass ValidateKey; every method rejects others with ErrInvalidKey.
type Store interface {
	// Put stores exactly size bytes from r under key with the given MIME type
	// ("" means application/octet-stream), replacing any previous object.
	// Readers see the old or the new object, never a partial one. size is -1
	// when unknown; a reader that ends early is an error and stores nothing.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object; the caller closes it. A missing key is
	// ErrObjectNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the object. Deleting a missing key succeeds.
	Delete(ctx context.Context, key string) error
	// Stat describes the object. A missing key is ErrObjectNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// SignedGetURL returns a URL anyone can GET the object with until ttl
	// passes. It does not check that the object exists.
	SignedGetURL(ctx context.Context, key string, ttl time.Duration) (string, error)
	// SignedPutURL returns a URL a client can PUT the object to until ttl
	// passes. The signature binds contentType (which must not be empty): the
	// client must send exactly this Content-Type header or is refused. Objects
	// uploaded this way are untrusted: run them through Process.
	SignedPutURL(ctx context.Context, key string, ttl time.Duration, contentType string) (string, error)
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key         string
	Size        int64
	ContentType string
	ModTime     time.Time
}

// MaxSignedURLTTL is the longest signed-URL lifetime, the limit of S3
// Signature Version 4 presigning; the local store applies it too so both
// backends behave alike.
const MaxSignedURLTTL = 7 * 24 * time.Hour

// MaxKeyLen bounds key length; S3 allows 1024 bytes, filesystems 255 per
// path segment.
const MaxKeyLen = 512

// ValidateKey reports whether key is acceptable to every Store: 1–512 bytes
// of [A-Za-z0-9._-] in '/'-separated segments, no leading or trailing '/',
// no empty segment, and no segment starting with '.' (which excludes "." and
// "..", and reserves dot-names for store internals).
func ValidateKey(key string) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("%w: length %d not in 1..%d", ErrInvalidKey, len(key), MaxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w: %q has an empty path segment", ErrInvalidKey, key)
		}
		if seg[0] == '.' {
			return fmt.Errorf("%w: %q has a segment starting with '.'", ErrInvalidKey, key)
		}
		if len(seg) > 255 {
			return fmt.Errorf("%w: %q has a segment longer than 255 bytes", ErrInvalidKey, key)
		}
		for i := 0; i < len(seg); i++ {
			if !keyByte(seg[i]) {
				return fmt.Errorf("%w: %q contains byte %q", ErrInvalidKey, key, seg[i])
			}
		}
	}
	return nil
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// ValidateTTL reports whether ttl is a usable signed-URL lifetime:
// at least one second and at most MaxSignedURLTTL.
func ValidateTTL(ttl time.Duration) error {
	if ttl < time.Second || ttl > MaxSignedURLTTL {
		return fmt.Errorf("%w: %v not in [1s, %v]", ErrInvalidTTL, ttl, MaxSignedURLTTL)
	}
	return nil
}

// DefaultContentType is stored when Put is given an empty content type.
const DefaultContentType = "application/octet-stream"

// ValidateContentType reports whether ct is a well-formed MIME type of at
// most 255 bytes, such as "image/jpeg". Stores keep it verbatim (no
// normalisation), because a signed PUT binds the exact header value.
func ValidateContentType(ct string) error {
	if ct == "" || len(ct) > 255 {
		return fmt.Errorf("%w: %q", ErrInvalidContentType, ct)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: %q: %w", ErrInvalidContentType, ct, err)
	}
	if typ, sub, ok := strings.Cut(mt, "/"); !ok || typ == "" || sub == "" {
		return fmt.Errorf("%w: %q is not type/subtype", ErrInvalidContentType, ct)
	}
	return nil
}
