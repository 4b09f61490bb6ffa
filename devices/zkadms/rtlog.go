package zkadms

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RTLogUnknown is the value of an RTLog integer field that is absent or not
// an integer.
const RTLogUnknown = -1

// RTLog is one Security-PUSH (pushver 3.x) table=rtlog event:
//
//	time=2017-01-10 11:49:32\tpin=0\tcardno=0\teventaddr=1\tevent=27\tinoutstatus=1\tverifytype=0\tindex=21
type RTLog struct {
	// Line is the 1-based line number in the body.
	Line int
	// Raw is the line as received, without the trailing CR.
	Raw string
	// Time holds wall-clock fields in UTC (device-local time; attach the
	// device zone), or an absolute instant when Epoch is true.
	Time  time.Time
	Epoch bool
	// PIN is the user; "0" or "" means no user (door / alarm events).
	PIN    string
	CardNo string
	// EventAddr is the door or reader number.
	EventAddr int
	// Event is the SPEC Appendix 2 event code (0 = normal verified open).
	Event int
	// InOutStatus is 0 in, 1 out.
	InOutStatus int
	// VerifyType is kept as a string: older firmware sends a verify code,
	// newer firmware a 14-character bitmask.
	VerifyType string
	// Index is the device's record id, unique per device: the dedupe key.
	Index *int64
	// Pairs are all key=value fields in wire order.
	Pairs []Pair
}

// IsVerifiedOpen reports whether the event is a normal verified open by a
// known user (event 0, PIN not empty or "0"): the only rtlog event this
// package treats as an attendance punch. Other event codes differ between
// firmware and need confirmation on hardware.
func (r RTLog) IsVerifiedOpen() bool {
	return r.Event == 0 && r.PIN != "" && r.PIN != "0"
}

// Get returns the value of key, ignoring ASCII case.
func (r RTLog) Get(key string) (string, bool) { return lookup(r.Pairs, key) }

// ParseRTLog parses a table=rtlog body: one event per line, key=value fields
// separated by TABs. Every non-empty line ends up in events or in bad. A line
// is rejected when it is not valid UTF-8, has no time= field or an
// unparseable one, or carries a PIN that is too long or has control
// characters. Integer fields that are missing or malformed are RTLogUnknown.
func ParseRTLog(body []byte) (events []RTLog, bad []BadLine) {
	forEachLine(body, func(n int, line string) {
		ev, err := parseRTLine(n, line)
		if err != nil {
			bad = append(bad, BadLine{Line: n, Raw: line, Reason: err})
			return
		}
		events = append(events, ev)
	})
	return events, bad
}

// parseRTLine parses one non-empty rtlog line.
func parseRTLine(n int, line string) (RTLog, error) {
	if !utf8.ValidString(line) {
		return RTLog{}, ErrInvalidUTF8
	}
	ev := RTLog{Line: n, Raw: line, Pairs: splitPairs(line)}
	get := func(k string) string { v, _ := lookup(ev.Pairs, k); return strings.TrimSpace(v) }
	ts, ok := lookup(ev.Pairs, "time")
	if !ok {
		return RTLog{}, ErrTooFewFields
	}
	t, epoch, err := parseWallTime(ts)
	if err != nil {
		return RTLog{}, err
	}
	ev.Time, ev.Epoch = t, epoch
	ev.PIN = get("pin")
	if ev.PIN != "" {
		if err := checkPIN(ev.PIN); err != nil {
			return RTLog{}, err
		}
	}
	ev.CardNo = get("cardno")
	ev.EventAddr = atoiOr(get("eventaddr"), RTLogUnknown, RTLogUnknown)
	ev.Event = atoiOr(get("event"), RTLogUnknown, RTLogUnknown)
	ev.InOutStatus = atoiOr(get("inoutstatus"), RTLogUnknown, RTLogUnknown)
	ev.VerifyType = get("verifytype")
	if idx := get("index"); allDigits(idx) {
		if v, err := strconv.ParseInt(idx, 10, 64); err == nil {
			ev.Index = &v
		}
	}
	return ev, nil
}
