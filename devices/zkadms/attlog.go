package zkadms

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Status and Verify values the parser uses when a field is present but is not
// an integer. The record is still kept (losing a punch is worse than losing
// its in/out flag); -1 is not a code any firmware sends.
const (
	StatusUnknown = -1
	VerifyUnknown = -1
)

// Field-10 bounds: a UTC offset is a multiple of 15 minutes within ±14 h
// (every zone in use today satisfies both).
const (
	maxOffsetSec  = 14 * 3600
	offsetQuantum = 900
)

// AttRecord is one accepted ATTLOG line.
//
// Wire layout (TAB-separated, SPEC 2.4.1 plus the 2.4.2 additions):
//
//	0 PIN, 1 Time, 2 Status, 3 Verify, 4 WorkCode, 5 Reserved1, 6 Reserved2,
//	7 MaskFlag, 8 Temperature, 9 ConvTemperature, 10 TimeOffset, 11 ExtendData
//
// What firmware really puts after field 4 varies (see [ParseATTLOG]).
type AttRecord struct {
	// Line is the 1-based line number in the body.
	Line int
	// Raw is the line as received, without the trailing CR.
	Raw string
	// PIN is the employee number on the device, trimmed. It is a string:
	// leading zeros and letters are significant.
	PIN string
	// LocalTime holds the device's wall-clock fields in a UTC time.Time; the
	// caller attaches the device zone (or TimeOffsetSec) with
	// time.Date(..., loc). When Epoch is true it is instead an absolute
	// instant.
	LocalTime time.Time
	// Epoch is true when the time field was a Unix epoch integer (IMPL
	// tolerance); LocalTime is then a real UTC instant, not a wall time.
	Epoch bool
	// Status is the punch state (0 check-in, 1 check-out, ..., 255 none);
	// an empty field is 0, a non-integer is StatusUnknown.
	Status int
	// Verify is the verification mode code; an empty field is 0, a
	// non-integer is VerifyUnknown.
	Verify int
	// WorkCode is field 4 as sent (often empty).
	WorkCode string
	// Extra holds fields 5 and later verbatim, with trailing empty fields
	// (from a trailing TAB) removed.
	Extra []string
	// Seq is field 10 when it is a per-record counter (MB10-VL: 10881,
	// 10882, ...).
	Seq *int64
	// TimeOffsetSec is field 10 when it is a 2.4.2 TimeOffset (UTC offset in
	// seconds, e.g. +28800).
	TimeOffsetSec *int
}

// BadLine is an upload line that was rejected. The handler logs it and still
// acknowledges the rest of the batch.
type BadLine struct {
	// Line is the 1-based line number in the body.
	Line int
	// Raw is the line as received (without the trailing CR), byte for byte,
	// even when it is not valid UTF-8.
	Raw string
	// Reason is one of the package's Err* sentinels, possibly wrapped with
	// detail; test it with errors.Is.
	Reason error
}

// Field10Mode says how ATTLOG field index 10 is interpreted.
type Field10Mode int

// Field-10 interpretations. Field10Auto is the default heuristic; the others
// let a handler pin the meaning once a device's firmware is known.
const (
	// Field10Auto applies the heuristic documented on ParseATTLOG.
	Field10Auto Field10Mode = iota
	// Field10Seq reads any unsigned integer as Seq.
	Field10Seq
	// Field10TimeOffset reads any integer that is a multiple of 900 within
	// ±14 h as TimeOffsetSec (signed or not, 0 included).
	Field10TimeOffset
	// Field10Ignore leaves field 10 in Extra only.
	Field10Ignore
)

// ParseATTLOG parses a table=ATTLOG body (punches) into records and rejected
// lines. Every non-empty line ends up in exactly one of the two slices.
//
// Framing: lines are split on LF, trailing CRs are stripped, empty lines are
// skipped, fields are split on single TABs (empty fields and a trailing TAB
// are normal). Accepted variants: 7 fields (SPEC 2.4.1, X100-C), 10 fields
// (MB560-VL), 11 fields (MB10-VL, ZK face units with status 255), 12 fields
// (2.4.2 with ExtendData), and anything with at least PIN and time.
//
// A line is rejected with fewer than 2 fields, an empty PIN, a PIN over
// [MaxPINLen] bytes or with control characters, an unparseable time, or when
// it is not valid UTF-8 (ATTLOG is digits and dates; invalid bytes mean
// corruption). Time is "2006-01-02 15:04:05" with '/' tolerated, or a Unix
// epoch integer between 2000 and 2100 (see [AttRecord.Epoch]).
//
// Field index 10 is TimeOffset per the 2.4.2 SPEC but a per-record sequence
// number on the MB10-VL. The heuristic (Field10Auto):
//
//  1. An explicitly signed value ("+28800", "-18000", "+0") is a TimeOffset
//     when it is a multiple of 900 s within ±14 h; otherwise it is ignored.
//     The SPEC writes offsets with a sign; counters never have one.
//  2. An unsigned "0" is ignored: firmware zero-fills reserved fields, and
//     reading 0 as "UTC" would shift every punch of a +8 device by 8 h.
//  3. Other unsigned values are decided per batch, because one firmware
//     uses one layout for a whole POST: if every unsigned non-zero field-10
//     value in the body is a multiple of 900 within 14 h they are TimeOffsets,
//     otherwise they are all Seq. A backlog of 128 MB10-VL lines is always
//     Seq (consecutive counters cannot all be multiples of 900).
//
// The remaining ambiguity is a single-line (realtime) POST whose counter
// happens to be a multiple of 900 (1 value in 900). Misreading a counter as an
// offset is the harmful direction, so a handler that knows the firmware should
// pin the mode with [ParseATTLOGMode].
func ParseATTLOG(body []byte) (records []AttRecord, bad []BadLine) {
	return ParseATTLOGMode(body, Field10Auto)
}

// ParseATTLOGMode is [ParseATTLOG] with an explicit interpretation of field
// index 10.
func ParseATTLOGMode(body []byte, mode Field10Mode) (records []AttRecord, bad []BadLine) {
	// pending remembers, per record, an unsigned field-10 value that can
	// only be classified once the whole batch has been seen.
	type pending struct {
		idx int
		v   int64
	}
	var unsigned []pending
	allOffsets := true
	// One slice of the right size instead of ~8 doublings on a 128-line
	// backlog POST (capped: a hostile body of bare LFs must not reserve a
	// record per byte).
	records = make([]AttRecord, 0, min(bytes.Count(body, []byte{'\n'})+1, 1024))

	forEachLine(body, func(n int, line string) {
		rec, err := parseAttLine(n, line)
		if err != nil {
			bad = append(bad, BadLine{Line: n, Raw: line, Reason: err})
			return
		}
		if f10, ok := field10(line); ok {
			switch mode {
			case Field10Auto:
				if sign := f10[0]; sign == '+' || sign == '-' {
					if off, ok := offsetValue(f10); ok {
						rec.TimeOffsetSec = &off
					}
				} else if v, err := strconv.ParseInt(f10, 10, 64); err == nil && v > 0 {
					unsigned = append(unsigned, pending{idx: len(records), v: v})
					if v > maxOffsetSec || v%offsetQuantum != 0 {
						allOffsets = false
					}
				}
			case Field10Seq:
				if allDigits(f10) {
					if v, err := strconv.ParseInt(f10, 10, 64); err == nil {
						rec.Seq = &v
					}
				}
			case Field10TimeOffset:
				if off, ok := offsetValue(f10); ok {
					rec.TimeOffsetSec = &off
				}
			}
		}
		records = append(records, rec)
	})

	seqs := make([]int64, 0, len(unsigned)) // one allocation for all Seq pointers
	for _, p := range unsigned {
		if allOffsets {
			off := int(p.v)
			records[p.idx].TimeOffsetSec = &off
		} else {
			seqs = append(seqs, p.v)
			records[p.idx].Seq = &seqs[len(seqs)-1]
		}
	}
	return records, bad
}

// parseAttLine parses one non-empty ATTLOG line.
func parseAttLine(n int, line string) (AttRecord, error) {
	if !utf8.ValidString(line) {
		return AttRecord{}, ErrInvalidUTF8
	}
	f := splitTabs(line)
	if len(f) < 2 {
		return AttRecord{}, ErrTooFewFields
	}
	pin := strings.TrimSpace(f[0])
	if err := checkPIN(pin); err != nil {
		return AttRecord{}, err
	}
	t, epoch, err := parseWallTime(f[1])
	if err != nil {
		return AttRecord{}, fmt.Errorf("%w: %.40q", err, f[1])
	}
	rec := AttRecord{Line: n, Raw: line, PIN: pin, LocalTime: t, Epoch: epoch}
	if len(f) > 2 {
		rec.Status = atoiOr(f[2], 0, StatusUnknown)
	}
	if len(f) > 3 {
		rec.Verify = atoiOr(f[3], 0, VerifyUnknown)
	}
	if len(f) > 4 {
		rec.WorkCode = strings.TrimSpace(f[4])
	}
	if len(f) > 5 {
		extra := f[5:]
		for len(extra) > 0 && extra[len(extra)-1] == "" {
			extra = extra[:len(extra)-1]
		}
		if len(extra) > 0 {
			rec.Extra = extra
		}
	}
	return rec, nil
}

// field10 returns the trimmed field with index 10 when it is present and
// non-empty.
func field10(line string) (string, bool) {
	rest := line
	for range 10 {
		i := strings.IndexByte(rest, '\t')
		if i < 0 {
			return "", false
		}
		rest = rest[i+1:]
	}
	if i := strings.IndexByte(rest, '\t'); i >= 0 {
		rest = rest[:i]
	}
	rest = strings.TrimSpace(rest)
	return rest, rest != ""
}

// offsetValue parses s as a UTC offset in seconds: an optionally signed
// integer that is a multiple of 900 within ±14 h.
func offsetValue(s string) (int, bool) {
	if len(s) > 7 {
		return 0, false
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < -maxOffsetSec || v > maxOffsetSec || v%offsetQuantum != 0 {
		return 0, false
	}
	return v, true
}
