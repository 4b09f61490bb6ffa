package devices

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MaxNativeBatch is the most punches one POST /v1/terminal/punches takes: a
// week offline of a busy terminal.
const MaxNativeBatch = 50000

// NativePunch is one item of a native terminal's punch batch.
type NativePunch struct {
	// Seq is the device's own record number: the item's identity.
	Seq int64 `json:"seq"`
	// PIN or Card names the person.
	PIN  string `json:"pin,omitempty"`
	Card string `json:"card,omitempty"`
	// DeviceTime is a naive local time ("2006-01-02T15:04:05", read in the
	// device's zone) or RFC 3339 with an offset.
	DeviceTime string `json:"device_time"`
	// Status keys the device's direction map like a ZK punch state.
	Status *int `json:"status,omitempty"`
	// Verify is how the person was verified (face, fingerprint, card,
	// password, palm, pin, other).
	Verify  string     `json:"verify,omitempty"`
	PhotoID *uuid.UUID `json:"photo_id,omitempty"`
}

// raw is the item as JSON, what the punch keeps of what the device sent.
// Written by hand: encoding/json spent more time on this than the database
// on storing the punch.
func (p NativePunch) raw() string {
	b := make([]byte, 0, 128)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, p.Seq, 10)
	str := func(k, v string) {
		if v != "" {
			b = append(b, `,"`...)
			b = append(b, k...)
			b = append(b, `":`...)
			b = appendJSONString(b, v)
		}
	}
	str("pin", p.PIN)
	str("card", p.Card)
	str("device_time", p.DeviceTime)
	if p.Status != nil {
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(*p.Status), 10)
	}
	str("verify", p.Verify)
	if p.PhotoID != nil {
		str("photo_id", p.PhotoID.String())
	}
	return string(append(b, '}'))
}

// appendJSONString appends v as a JSON string (v came out of a JSON
// decoder, so it is valid UTF-8).
func appendJSONString(b []byte, v string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

var verifyMethods = map[string]string{
	"face": "face", "fingerprint": "fingerprint", "fp": "fingerprint", "card": "card", "password": "password",
	"palm": "palm", "pin": "password", "other": "other", "finger_vein": "other", "qr": "other",
}

// ParseDeviceTime reads a native device time: RFC 3339 with an offset is
// an instant (absolute=true); a naive "2006-01-02T15:04:05" (a space for
// the T and fractional seconds tolerated) is a wall time in UTC fields.
func ParseDeviceTime(s string) (t time.Time, absolute bool, err error) {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return time.Time{}, false, fmt.Errorf("device time too long")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("device_time %q is neither 2006-01-02T15:04:05 (device local) nor RFC 3339", s)
}

// nativeRecord validates one item and turns it into a Record, or says why
// it cannot be read.
func nativeRecord(i int, p NativePunch) (Record, string) {
	if p.Seq < 0 {
		return Record{}, "seq must not be negative"
	}
	pin, card := strings.TrimSpace(p.PIN), strings.TrimSpace(p.Card)
	switch {
	case pin == "" && card == "":
		return Record{}, "name the person: pin or card"
	case pin != "" && !pinRe.MatchString(pin):
		return Record{}, "pin must be 1–32 letters or digits"
	case card != "" && !cardRe.MatchString(card):
		return Record{}, "card must be 1–32 letters or digits"
	}
	t, abs, err := ParseDeviceTime(p.DeviceTime)
	if err != nil {
		return Record{}, err.Error()
	}
	seq := p.Seq
	r := Record{Index: i, Seq: &seq, PIN: pin, Card: card, Time: t, Absolute: abs, Raw: p.raw(), DedupeKey: SeqKey("seq", p.Seq),
		PhotoID: p.PhotoID}
	if p.Status != nil {
		st := *p.Status
		r.Status, r.StatusCode = strconv.Itoa(st), &st
	}
	if p.Verify != "" {
		m, ok := verifyMethods[strings.ToLower(p.Verify)]
		if !ok {
			m = "other"
		}
		r.VerifyMethod = m
	}
	return r, ""
}

// IngestNative ingests a native terminal's punch batch: each item is
// validated on its own (a bad item is kept raw in quarantine and reported,
// the rest go on), idempotent on (device, seq), one transaction per chunk.
// Outcomes are in item order.
func (s *Service) IngestNative(ctx context.Context, d Device, items []NativePunch, received time.Time) ([]Outcome, error) {
	recs := make([]Record, 0, len(items))
	var bad []BadRecord
	pos := make([]int, 0, len(items)) // outcome index of each item
	for i, p := range items {
		r, why := nativeRecord(i, p)
		if why != "" {
			seq := p.Seq
			bad = append(bad, BadRecord{Index: i, Seq: &seq, PIN: clip(p.PIN, 64), Raw: p.raw(), Reason: why,
				DedupeKey: SeqKey("seq", p.Seq)})
			pos = append(pos, -len(bad))
			continue
		}
		recs = append(recs, r)
		pos = append(pos, len(recs)-1)
	}
	out, err := s.Ingest(ctx, d, recs, bad, received)
	if err != nil {
		return nil, err
	}
	// Ingest returns records first, then bad records: put them back in
	// item order.
	res := make([]Outcome, len(items))
	for i, p := range pos {
		if p >= 0 {
			res[i] = out[p]
		} else {
			res[i] = out[len(recs)+(-p-1)]
		}
	}
	return res, nil
}
