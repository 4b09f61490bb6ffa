package zkadms

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxPINLen is the longest PIN (employee number on the device) accepted, in
// bytes. ZK firmware allows at most 23–24 characters; 32 leaves room for OEM
// variants without letting garbage through as an identity.
const MaxPINLen = 32

// maxFields bounds how many TAB fields one line is split into, so a hostile
// line of a million TABs costs one allocation, not a million. Real lines have
// at most 12 fields; anything past the bound stays in the last field.
const maxFields = 64

// Pair is one key=value field of a TAB- or &-separated record, in wire order.
type Pair struct {
	Key   string
	Value string
}

// lookup returns the value of the first pair whose key equals key, ignoring
// ASCII case (firmware writes both PIN= and Pin=).
func lookup(pairs []Pair, key string) (string, bool) {
	for _, p := range pairs {
		if strings.EqualFold(p.Key, key) {
			return p.Value, true
		}
	}
	return "", false
}

// forEachLine calls fn for every non-empty line of body with its 1-based line
// number (counting empty lines too, so numbers match the body) and the line
// with trailing CRs removed. Lines are substrings of one string conversion of
// body, so a batch costs one copy however many lines it has.
func forEachLine(body []byte, fn func(n int, line string)) {
	s := string(body)
	n := 0
	for len(s) > 0 {
		n++
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		fn(n, line)
	}
}

// splitTabs splits a line on single TABs (never on runs of whitespace: empty
// fields are meaningful), bounded by maxFields.
func splitTabs(line string) []string {
	// strings.SplitN allocates room for n fields up front, so pass the real
	// count rather than the bound.
	n := min(strings.Count(line, "\t")+1, maxFields)
	return strings.SplitN(line, "\t", n)
}

// splitPairs turns TAB-separated key=value fields into pairs. A value may
// itself contain '=' (Base64 templates), so only the first '=' splits. Fields
// without '=' become a pair with an empty value so nothing is silently lost.
func splitPairs(s string) []Pair {
	if s == "" {
		return nil
	}
	fields := splitTabs(s)
	pairs := make([]Pair, 0, len(fields))
	for _, f := range fields {
		if f == "" {
			continue
		}
		k, v, _ := strings.Cut(f, "=")
		pairs = append(pairs, Pair{Key: strings.TrimSpace(k), Value: v})
	}
	return pairs
}

// checkPIN validates a trimmed PIN for ATTLOG / OPERLOG / rtlog records.
func checkPIN(pin string) error {
	switch {
	case pin == "":
		return ErrEmptyPIN
	case len(pin) > MaxPINLen:
		return ErrPINTooLong
	case !utf8.ValidString(pin):
		return ErrInvalidUTF8
	case hasControl(pin):
		return ErrBadPIN
	}
	return nil
}

// hasControl reports whether s contains an ASCII control character or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// zkLayout is the canonical ZK wall-clock layout; wallLayout is the lenient
// one used after '/' and 'T' are normalised to '-' and ' ' (it also accepts
// one-digit month, day, hour, minute and second).
const (
	zkLayout   = "2006-01-02 15:04:05"
	wallLayout = "2006-1-2 15:4:5"
)

// minEpoch and maxEpoch bound the epoch-integer form to 2000-01-01 ..
// 2100-01-01 UTC, so that a stray small counter or a zero is not read as a
// date in 1970 or centuries away.
const (
	minEpoch = 946684800
	maxEpoch = 4102444800
)

// parseWallTime parses a ZK time field. It returns the wall-clock fields as a
// UTC time (the device zone is attached later by the caller), or, when the
// field is a Unix epoch integer, the absolute instant with epoch=true.
func parseWallTime(s string) (t time.Time, epoch bool, err error) {
	s = strings.TrimSpace(s)
	if t, ok := fastWallTime(s); ok {
		return t, false, nil
	}
	if s != "" && len(s) <= 12 && allDigits(s) {
		n, perr := strconv.ParseInt(s, 10, 64)
		if perr == nil && n >= minEpoch && n < maxEpoch {
			return time.Unix(n, 0).UTC(), true, nil
		}
		return time.Time{}, false, ErrBadTime
	}
	if len(s) > 32 {
		return time.Time{}, false, ErrBadTime
	}
	norm := strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '-'
		case 'T':
			return ' '
		}
		return r
	}, s)
	t, perr := time.Parse(wallLayout, norm)
	if perr != nil {
		return time.Time{}, false, ErrBadTime
	}
	return t, false, nil
}

// fastWallTime parses exactly "YYYY-MM-DD HH:MM:SS" without time.Parse; this
// is the form every known firmware sends, and ATTLOG backlogs replay tens of
// thousands of lines.
func fastWallTime(s string) (time.Time, bool) {
	if len(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(i, n int) int {
		v := 0
		for j := i; j < i+n; j++ {
			c := s[j]
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d := num(0, 4), num(5, 2), num(8, 2)
	h, mi, se := num(11, 2), num(14, 2), num(17, 2)
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC)
	if t.Day() != d { // 2024-02-30 normalises into March: reject
		return time.Time{}, false
	}
	return t, true
}

// allDigits reports whether s is non-empty ASCII decimal digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// atoiOr parses a trimmed decimal integer, returning def for an empty field
// and bad for anything unparseable.
func atoiOr(s string, def, bad int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return bad
	}
	return v
}
