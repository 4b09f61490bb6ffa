package zkadms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Handshake is the option block answered to the initial
// GET /iclock/cdata?SN=..&options=all. The zero value is not useful; start
// from [DefaultHandshake].
type Handshake struct {
	// SN is echoed in the first line. Characters outside [A-Za-z0-9_-] are
	// dropped so a bad serial cannot inject option lines (validate it with
	// ValidSerial before getting here).
	SN string
	// ATTLOGStamp, OPERLOGStamp and ATTPHOTOStamp are resume markers. New
	// firmware ignores them except "0", which means re-upload everything.
	ATTLOGStamp, OPERLOGStamp, ATTPHOTOStamp string
	// ErrorDelay is the retry delay after a network error, in seconds.
	ErrorDelay int
	// Delay is the getrequest poll interval, in seconds.
	Delay int
	// TransTimes are scheduled upload times "HH:MM;HH:MM" (at most 10).
	TransTimes string
	// TransInterval is the minutes between checks for new data.
	TransInterval int
	// TransFlag selects the auto-uploaded tables; SPEC format 2 is
	// "TransData " followed by TAB-separated table names.
	TransFlag string
	// TZOffsetSeconds is the device's UTC offset; it is sent as the SPEC
	// TimeZone integer (see TimeZoneFromOffset). Always sent: without it the
	// device falls back to its firmware default (reported as UTC+8).
	TZOffsetSeconds int
	// Realtime asks the device to push each record immediately.
	Realtime bool
	// PushProtVer, when non-empty, is sent as PushProtVer= (the lower of it
	// and the device's pushver is then used).
	PushProtVer string
}

// DefaultHandshake returns the option block of the official SPEC example for
// sn at the given UTC offset.
func DefaultHandshake(sn string, tzOffsetSeconds int) Handshake {
	return Handshake{
		SN:              sn,
		ATTLOGStamp:     "None",
		OPERLOGStamp:    "9999",
		ATTPHOTOStamp:   "None",
		ErrorDelay:      30,
		Delay:           10,
		TransTimes:      "00:00;14:05",
		TransInterval:   1,
		TransFlag:       "TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic",
		TZOffsetSeconds: tzOffsetSeconds,
		Realtime:        true,
	}
}

// HandshakeBody is DefaultHandshake(sn, tzOffsetSeconds).Body(). For SN
// 0316144680030 at +08:00 it is byte-identical to the SPEC example (265
// bytes, LF separators, no trailing LF).
func HandshakeBody(sn string, tzOffsetSeconds int) string {
	return DefaultHandshake(sn, tzOffsetSeconds).Body()
}

// Body renders the option block: "GET OPTION FROM: <SN>" (with the space the
// SPEC has), then key=value lines joined by LF, no trailing LF. Encrypt is
// always None: no key exchange is implemented.
func (h Handshake) Body() string {
	var b strings.Builder
	b.Grow(288)
	b.WriteString("GET OPTION FROM: ")
	b.WriteString(serialChars(h.SN))
	kv := func(k, v string) {
		b.WriteByte('\n')
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(oneLine(v))
	}
	kv("ATTLOGStamp", h.ATTLOGStamp)
	kv("OPERLOGStamp", h.OPERLOGStamp)
	kv("ATTPHOTOStamp", h.ATTPHOTOStamp)
	kv("ErrorDelay", strconv.Itoa(h.ErrorDelay))
	kv("Delay", strconv.Itoa(h.Delay))
	kv("TransTimes", h.TransTimes)
	kv("TransInterval", strconv.Itoa(h.TransInterval))
	kv("TransFlag", h.TransFlag)
	kv("TimeZone", strconv.Itoa(TimeZoneFromOffset(h.TZOffsetSeconds)))
	realtime := "0"
	if h.Realtime {
		realtime = "1"
	}
	kv("Realtime", realtime)
	kv("Encrypt", "None")
	if h.PushProtVer != "" {
		kv("PushProtVer", h.PushProtVer)
	}
	return b.String()
}

// oneLine removes CR, LF and NUL so a value cannot start another option line.
// TABs stay: TransFlag needs them.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\x00") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return -1
		}
		return r
	}, s)
}

// serialChars keeps only the characters ValidSerial allows, capped at 64.
func serialChars(sn string) string {
	if ValidSerial(sn) {
		return sn
	}
	out := strings.Map(func(r rune) rune {
		if isSerialChar(r) {
			return r
		}
		return -1
	}, sn)
	return truncate(out, 64)
}

// TimeZoneFromOffset converts a UTC offset in seconds to the SPEC TimeZone
// integer: whole hours strictly between -12 and 12 are sent as hours
// (+08:00 → 8); everything else as minutes (+05:30 → 330, +05:45 → 345,
// -03:30 → -210, +13:00 → 780), because the device reads |TZ| > 60 as
// minutes. Offsets are rounded to the minute. A non-whole offset under an
// hour (no zone in use has one) cannot be expressed and is rounded to the
// nearest hour.
func TimeZoneFromOffset(offsetSeconds int) int {
	mins := roundDiv(offsetSeconds, 60)
	if mins%60 == 0 && mins > -12*60 && mins < 12*60 {
		return mins / 60
	}
	if mins > 60 || mins < -60 {
		return mins
	}
	return roundDiv(mins, 60)
}

// roundDiv divides rounding half away from zero.
func roundDiv(a, b int) int {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

// TimeZoneOption is the TimeZone integer for loc at the instant now. The
// offset changes with DST, so the handshake must be recomputed (and a CHECK
// sent) when it does. A nil loc means UTC.
func TimeZoneOption(loc *time.Location, now time.Time) int {
	if loc == nil {
		loc = time.UTC
	}
	_, off := now.In(loc).Zone()
	return TimeZoneFromOffset(off)
}

// EncodeZKTime packs t's wall-clock fields into ZK's DateTime integer
// (Security PUSH Appendix 5; this is not Unix time):
//
//	((year-2000)*12*31 + (month-1)*31 + day-1)*86400 + (hour*60+minute)*60 + second
//
// 2018-02-22 14:54:54 encodes to 583080894. The fields are taken as they are
// in t's location; pass t.UTC() for the rtdata answer. Years before 2000
// encode to negative values, which devices do not accept.
func EncodeZKTime(t time.Time) int64 {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	days := int64(y-2000)*12*31 + int64(mo-1)*31 + int64(d-1)
	return days*86400 + int64((h*60+mi)*60+s)
}

// DecodeZKTime unpacks a ZK DateTime integer into wall-clock fields in UTC.
// Negative values and days that do not exist in their month (the packing
// gives every month 31 days) fail with ErrBadZKTime.
func DecodeZKTime(v int64) (time.Time, error) {
	if v < 0 || v > 1<<40 {
		return time.Time{}, fmt.Errorf("%w: %d", ErrBadZKTime, v)
	}
	sec := int(v % 60)
	v /= 60
	mi := int(v % 60)
	v /= 60
	h := int(v % 24)
	v /= 24
	d := int(v%31) + 1
	v /= 31
	mo := int(v%12) + 1
	y := int(v/12) + 2000
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, fmt.Errorf("%w: %d-%02d-%02d does not exist", ErrBadZKTime, y, mo, d)
	}
	return t, nil
}

// RTDataTimeBody answers GET /iclock/rtdata?SN=..&type=time:
// "DateTime=<UTC now, ZK-packed>,ServerTZ=+HHMM" with loc's offset at now
// (nil loc means UTC).
func RTDataTimeBody(now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	_, off := now.In(loc).Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	mins := roundDiv(off, 60)
	return fmt.Sprintf("DateTime=%d,ServerTZ=%c%02d%02d", EncodeZKTime(now.UTC()), sign, mins/60, mins%60)
}

// OKCount is the ATTLOG/OPERLOG acknowledgement "OK: <n>" (the form
// field-working servers send; SPEC writes "OK:<n>", both are accepted). A
// negative n is sent as 0.
func OKCount(n int) string {
	return "OK: " + strconv.Itoa(max(n, 0))
}

// ValidSerial reports whether sn is an acceptable device serial number:
// 1 to 64 of [A-Za-z0-9_-].
func ValidSerial(sn string) bool {
	if len(sn) == 0 || len(sn) > 64 {
		return false
	}
	for _, r := range sn {
		if !isSerialChar(r) {
			return false
		}
	}
	return true
}

// isSerialChar reports whether r may appear in a serial number.
func isSerialChar(r rune) bool {
	return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// ValidCommandID reports whether id can be a command ID: 1 to 16 of
// [A-Za-z0-9] (the SPEC limit; the device echoes it in ID=).
func ValidCommandID(id string) bool {
	if len(id) == 0 || len(id) > 16 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
