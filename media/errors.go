package media

import (
	"errors"
	"fmt"
)

// Sentinels returned (wrapped, with detail) by Process and by Store
// implementations. Compare with errors.Is.
var (
	// ErrUnsupportedType means the bytes are not JPEG, PNG or WebP. The
	// wrapped *UnsupportedTypeError names what was detected.
	ErrUnsupportedType = errors.New("media: unsupported image type")
	// ErrTooLarge means the input exceeds Limits.MaxBytes, Limits.MaxPixels or
	// Limits.MaxDecodeBytes.
	ErrTooLarge = errors.New("media: image too large")
	// ErrTooSmall means the image is below Limits.MinSide on its short edge, too
	// small for a meaningful perceptual hash or for evidence.
	ErrTooSmall = errors.New("media: image too small")
	// ErrCorrupt means the bytes claim a supported type but cannot be decoded.
	ErrCorrupt = errors.New("media: corrupt image")
	// ErrObjectNotFound is returned by Store.Get and Store.Stat for a missing key.
	ErrObjectNotFound = errors.New("media: object not found")
	// ErrInvalidKey is returned for a storage key that ValidateKey rejects.
	ErrInvalidKey = errors.New("media: invalid object key")
	// ErrInvalidTTL is returned for a signed-URL lifetime outside
	// [1s, MaxSignedURLTTL].
	ErrInvalidTTL = errors.New("media: invalid signed URL lifetime")
	// ErrInvalidContentType is returned for a MIME type ValidateContentType
	// rejects.
	ErrInvalidContentType = errors.New("media: invalid content type")
)

// UnsupportedTypeError says which unsupported type was detected and what the
// client should send instead. It matches ErrUnsupportedType with errors.Is.
type UnsupportedTypeError struct {
	// Type is a short name for what was detected: "heic", "avif", "gif",
	// "bmp", "tiff", "video" or "unknown".
	Type string
}

// Error returns a message meant to be shown to app developers: it names the
// detected type and the accepted alternative.
func (e *UnsupportedTypeError) Error() string {
	switch e.Type {
	case "heic":
		return fmt.Sprintf("%v: HEIC/HEIF photos are not accepted; capture or convert the photo to JPEG before uploading", ErrUnsupportedType)
	case "avif":
		return fmt.Sprintf("%v: AVIF photos are not accepted; send JPEG", ErrUnsupportedType)
	default:
		return fmt.Sprintf("%v: %s; send JPEG (PNG and WebP are also accepted)", ErrUnsupportedType, e.Type)
	}
}

// Unwrap makes errors.Is(err, ErrUnsupportedType) true.
func (e *UnsupportedTypeError) Unwrap() error { return ErrUnsupportedType }
