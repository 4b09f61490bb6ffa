// Package page implements the opaque cursors every collection endpoint uses:
// keyset pagination on (sort key, id), encoded as base64url JSON so clients
// cannot depend on its shape.
package page

import (
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/internal/errs"
)

// DefaultLimit and MaxLimit bound every list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Cursor is the position after the last item of a page.
type Cursor struct {
	T  time.Time `json:"t,omitzero"`
	S  string    `json:"s,omitempty"`
	ID uuid.UUID `json:"i"`
}

// Encode makes the opaque string.
func Encode(c Cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode parses a cursor; an empty string is the first page (nil).
func Decode(s *string) (*Cursor, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*s)
	if err != nil {
		return nil, errs.FieldErr("cursor", "invalid_cursor", "the cursor is not one this server issued")
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == uuid.Nil {
		return nil, errs.FieldErr("cursor", "invalid_cursor", "the cursor is not one this server issued")
	}
	return &c, nil
}

// Limit returns the page size for an optional requested limit.
func Limit(l *int) int {
	switch {
	case l == nil || *l <= 0:
		return DefaultLimit
	case *l > MaxLimit:
		return MaxLimit
	}
	return *l
}

// Next returns the cursor string for the next page, or nil when the page was
// not full (fetch limit+1 rows and pass whether the extra one existed).
func Next(more bool, last Cursor) *string {
	if !more {
		return nil
	}
	s := Encode(last)
	return &s
}
