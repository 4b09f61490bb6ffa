package media

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key string
		ok  bool
	}{
		{"a.jpg", true},
		{"photos/tenant-1/2024/05/3f2a_b.jpg", true},
		{"UPPER/lower-123_x.y.z", true},
		{strings.Repeat("a", MaxKeyLen), false}, // one segment longer than 255
		{strings.Repeat("abcdefg/", 64)[:MaxKeyLen-1] + "x", true},
		{strings.Repeat("abcdefg/", 65), false},
		{"", false},
		{"/abs", false},
		{"trailing/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"a/../b", false},
		{"a/./b", false},
		{".hidden", false},
		{"a/.meta", false},
		{"white space", false},
		{"back\\slash", false},
		{"percent%2F", false},
		{"query?x", false},
		{"ünicode", false},
		{"nul\x00", false},
	}
	for _, tc := range tests {
		err := ValidateKey(tc.key)
		if tc.ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ValidateKey(%q) = %v, want ok=%v", tc.key, err, tc.ok)
		}
	}
}

func TestValidateTTL(t *testing.T) {
	t.Parallel()
	for ttl, ok := range map[time.Duration]bool{
		time.Second: true, 15 * time.Minute: true, MaxSignedURLTTL: true,
		0: false, 999 * time.Millisecond: false, -time.Minute: false, MaxSignedURLTTL + 1: false,
	} {
		if err := ValidateTTL(ttl); ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalidTTL) {
			t.Errorf("ValidateTTL(%v) = %v, want ok=%v", ttl, err, ok)
		}
	}
}

func TestValidateContentType(t *testing.T) {
	t.Parallel()
	for ct, ok := range map[string]bool{
		"image/jpeg": true, "image/webp": true, "application/octet-stream": true, "text/plain; charset=utf-8": true,
		"": false, "jpeg": false, "image/": false, "image/jpeg; =": false, strings.Repeat("a", 251) + "/jpeg": false,
	} {
		if err := ValidateContentType(ct); ok != (err == nil) || err != nil && !errors.Is(err, ErrInvalidContentType) {
			t.Errorf("ValidateContentType(%q) = %v, want ok=%v", ct, err, ok)
		}
	}
}
