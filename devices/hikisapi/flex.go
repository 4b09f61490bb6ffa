package hikisapi

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The flex types decode the loosely typed JSON firmware produces: numbers
// that arrive as strings, strings that arrive as numbers, booleans as 0/1.
// A value of an unexpected JSON type decodes to the zero value instead of
// failing the whole event: one odd field must not drop a punch.

// flexString accepts a string, a number (kept as its literal text) or a
// boolean; null, objects and arrays give "".
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		*f = ""
	case b[0] == '"':
		s, ok := unquote(b)
		if !ok {
			*f = ""
			return nil
		}
		*f = flexString(s)
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9') || string(b) == "true" || string(b) == "false":
		*f = flexString(b)
	default:
		*f = ""
	}
	return nil
}

// flexInt accepts an integer number or a string holding one; anything else
// (including out-of-range values) gives 0.
type flexInt int

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt) UnmarshalJSON(b []byte) error {
	v, ok := flexNumber(b)
	if !ok || v < math.MinInt32 || v > math.MaxInt32 {
		v = 0
	}
	*f = flexInt(v)
	return nil
}

// flexInt64 is flexInt for 64-bit values, remembering whether a value was
// present.
type flexInt64 struct {
	v  int64
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexInt64) UnmarshalJSON(b []byte) error {
	f.v, f.ok = flexNumber(b)
	return nil
}

// flexBool accepts true/false, 0/1 and their string forms, remembering
// whether a value was present.
type flexBool struct {
	v  bool
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*f = flexBool{v: true, ok: true}
	case "false", "0":
		*f = flexBool{v: false, ok: true}
	default:
		*f = flexBool{}
	}
	return nil
}

// flexNumber parses a JSON integer, a float with an integral value, or a
// string holding either.
func flexNumber(b []byte) (int64, bool) {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, `"`) {
		str, ok := unquote([]byte(s))
		if !ok {
			return 0, false
		}
		s = strings.TrimSpace(str)
	}
	if s == "" || s == "null" {
		return 0, false
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, true
	}
	fv, err := strconv.ParseFloat(s, 64)
	if err != nil || fv != math.Trunc(fv) || fv < math.MinInt64 || fv >= math.MaxInt64 {
		return 0, false
	}
	return int64(fv), true
}

// unquote decodes a JSON string literal. Plain strings (no escapes, valid
// UTF-8), which is nearly every device field, are sliced directly instead of
// going through a nested json.Unmarshal.
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	if bytes.IndexByte(inner, '\\') < 0 && bytes.IndexByte(inner, '"') < 0 && utf8.Valid(inner) && !hasControl(inner) {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return "", false
	}
	return s, true
}

// hasControl reports whether b holds a byte JSON forbids unescaped in a
// string.
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}
