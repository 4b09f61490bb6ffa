package zkadms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// OPERLOG / BIODATA line kinds (the type word before the first space).
const (
	KindOPLOG    = "OPLOG"
	KindUSER     = "USER"
	KindFP       = "FP"
	KindFACE     = "FACE"
	KindUSERPIC  = "USERPIC"
	KindBIOPHOTO = "BIOPHOTO"
	KindBIODATA  = "BIODATA"
)

// maxKindLen bounds the type word; real ones are at most 8 characters.
const maxKindLen = 16

// OperLine is one accepted OPERLOG (or table=BIODATA) line: a type word, one
// space, then TAB-separated fields.
type OperLine struct {
	// Line is the 1-based line number in the body.
	Line int
	// Raw is the line as received, without the trailing CR. It may hold
	// GB2312/GBK bytes (user names on Chinese-language devices).
	Raw string
	// Kind is the type word: one of the Kind* constants, or another
	// upper-case word from newer firmware (kept so the handler can log it).
	Kind string
	// Fields are the positional TAB fields after the type word (used by
	// OPLOG; for the other kinds they are the unsplit key=value fields).
	Fields []string
	// Pairs are the key=value fields for every kind except OPLOG, in wire
	// order. A value may contain '=' (Base64).
	Pairs []Pair

	op   *OpLog
	user *UserLine
}

// Get returns the value of key (ASCII case-insensitive: BIODATA writes Pin=,
// USER writes PIN=).
func (o OperLine) Get(key string) (string, bool) { return lookup(o.Pairs, key) }

// OpLog returns the typed OPLOG record when Kind is OPLOG.
func (o OperLine) OpLog() (OpLog, bool) {
	if o.op == nil {
		return OpLog{}, false
	}
	return *o.op, true
}

// User returns the typed USER record when Kind is USER.
func (o OperLine) User() (UserLine, bool) {
	if o.user == nil {
		return UserLine{}, false
	}
	return *o.user, true
}

// OpLog is an "OPLOG ${OpType}\t${Operator}\t${OpTime}\t${OpWho}\t${Value1}
// \t${Value2}\t${Value3}" record: something an operator did on the device.
type OpLog struct {
	// Type is the SPEC Appendix 3 code (0 startup, 6 enroll FP, 9 delete
	// user, 30 enroll user, ...).
	Type int
	// Operator is the PIN of the admin who did it (0 = none).
	Operator string
	// Time holds wall-clock fields in UTC, like AttRecord.LocalTime.
	Time time.Time
	// Epoch is true when the time was an epoch integer (an absolute instant).
	Epoch bool
	// Who is the object of the operation (usually a PIN).
	Who string
	// Values are Value1..Value3, empty when absent.
	Values [3]string
}

// UserLine is a "USER PIN=..\tName=..\tPri=..\tPasswd=..\tCard=..\tGrp=..\t
// TZ=..\tVerify=..\tViceCard=.." record (the device's user table).
type UserLine struct {
	PIN string
	// Name is the display name as UTF-8: the raw bytes when they are valid
	// UTF-8, else their GB18030 (superset of GB2312/GBK) decoding, else the
	// raw bytes with invalid sequences replaced by U+FFFD.
	Name string
	// NameRaw is the name exactly as received.
	NameRaw []byte
	// NameCharset is "utf-8" or "gb18030" for a clean decode, "" when the
	// name had to be repaired.
	NameCharset string
	// Pri is the privilege: 0 user, 2 enroller, 6 admin, 10 user-defined,
	// 14 super admin. s0x90 firmware writes Privilege=; both are read.
	Pri int
	// Passwd is the device password, usually empty.
	Passwd string
	// Card is "[15CD5B07]" (hex bytes) or a decimal string, as sent.
	Card string
	// Grp is the access group.
	Grp int
	// TZ is the 16-digit time-zone mask, e.g. "0000000100000000".
	TZ string
	// Verify is the per-user verify mode (-1 = group default).
	Verify int
	// ViceCard is the secondary card number.
	ViceCard string
}

// ParseOPERLOG parses a table=OPERLOG (or table=BIODATA) body. Every non-empty
// line ends up either in ops or in bad.
//
// Each line is a type word, ONE space (a TAB is tolerated), then TAB fields:
// OPLOG fields are positional; USER, FP, FACE, USERPIC, BIOPHOTO and BIODATA
// fields are key=value (split on the first '='). Invalid UTF-8 is not a
// reason to reject a line here, because Chinese-language devices send
// GB2312 names; see [UserLine.Name].
//
// Rejected: a line without a type word, an OPLOG line whose type is not an
// integer or whose time does not parse, and a USER line without a valid PIN.
func ParseOPERLOG(body []byte) (ops []OperLine, bad []BadLine) {
	forEachLine(body, func(n int, line string) {
		op, err := parseOperLine(n, line)
		if err != nil {
			bad = append(bad, BadLine{Line: n, Raw: line, Reason: err})
			return
		}
		ops = append(ops, op)
	})
	return ops, bad
}

// parseOperLine parses one non-empty OPERLOG line.
func parseOperLine(n int, line string) (OperLine, error) {
	i := strings.IndexAny(line, " \t")
	if i <= 0 || i > maxKindLen || !isKindWord(line[:i]) {
		return OperLine{}, ErrNoKind
	}
	o := OperLine{Line: n, Raw: line, Kind: line[:i]}
	rest := line[i+1:]
	o.Fields = splitTabs(rest)
	switch o.Kind {
	case KindOPLOG:
		op, err := parseOpLog(o.Fields)
		if err != nil {
			return OperLine{}, err
		}
		o.op = &op
	default:
		o.Pairs = splitPairs(rest)
		if o.Kind == KindUSER {
			u, err := userFromPairs(o.Pairs)
			if err != nil {
				return OperLine{}, err
			}
			o.user = &u
		}
	}
	return o, nil
}

// isKindWord reports whether w looks like a type word: upper-case ASCII
// letters, digits and '_', starting with a letter.
func isKindWord(w string) bool {
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return w != ""
}

// parseOpLog parses the positional OPLOG fields.
func parseOpLog(f []string) (OpLog, error) {
	if len(f) < 3 {
		return OpLog{}, ErrTooFewFields
	}
	typ, err := strconv.Atoi(strings.TrimSpace(f[0]))
	if err != nil {
		return OpLog{}, fmt.Errorf("%w: %.20q", ErrBadOpType, f[0])
	}
	t, epoch, err := parseWallTime(f[2])
	if err != nil {
		return OpLog{}, fmt.Errorf("%w: %.40q", err, f[2])
	}
	op := OpLog{Type: typ, Operator: strings.TrimSpace(f[1]), Time: t, Epoch: epoch}
	if len(f) > 3 {
		op.Who = strings.TrimSpace(f[3])
	}
	for i := 0; i < 3 && 4+i < len(f); i++ {
		op.Values[i] = f[4+i]
	}
	return op, nil
}

// userFromPairs builds the typed USER record.
func userFromPairs(p []Pair) (UserLine, error) {
	get := func(k string) string { v, _ := lookup(p, k); return strings.TrimSpace(v) }
	u := UserLine{PIN: get("PIN")}
	if err := checkPIN(u.PIN); err != nil {
		return UserLine{}, err
	}
	rawName, _ := lookup(p, "Name")
	u.NameRaw = []byte(rawName)
	u.Name, u.NameCharset = decodeName(rawName)
	pri := get("Pri")
	if pri == "" {
		pri = get("Privilege")
	}
	u.Pri = atoiOr(pri, 0, 0)
	u.Passwd = get("Passwd")
	u.Card = get("Card")
	u.Grp = atoiOr(get("Grp"), 0, 0)
	u.TZ = get("TZ")
	u.Verify = atoiOr(get("Verify"), 0, VerifyUnknown)
	u.ViceCard = get("ViceCard")
	return u, nil
}

// decodeName returns a UTF-8 rendering of a device user name and the charset
// that produced it ("" when the bytes had to be repaired).
func decodeName(raw string) (string, string) {
	if utf8.ValidString(raw) {
		return raw, "utf-8"
	}
	dec, err := simplifiedchinese.GB18030.NewDecoder().String(raw)
	if err == nil && utf8.ValidString(dec) && !strings.ContainsRune(dec, utf8.RuneError) {
		return dec, "gb18030"
	}
	return strings.ToValidUTF8(raw, "\uFFFD"), ""
}
