package attendance

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Terminal punches arrive in batches (a ZK backlog replay, a native
// terminal's week offline) and are matched to employees by package devices
// before they get here. They are stored like every other punch, with what
// the device said beside what was derived, and are idempotent on
// (device, dedupe key): a device that replays its whole history creates no
// second row.

// TerminalChunk is how many terminal punches are written per statement and
// per transaction: large enough that the per-statement cost vanishes, small
// enough that package devices can match and encode one chunk while the
// database stores the previous one (two at a time), and that a transaction
// never holds a week of a device's punches.
const TerminalChunk = 2500

// Terminal time signals.
const (
	// SignalDeviceClockSkew: the device's measured clock offset exceeds the
	// configured bound, so its times are doubtful.
	SignalDeviceClockSkew = "device_clock_skew"
	// SignalImplausibleDeviceTime: the punch is dated before 2010 (a clock
	// reset to the firmware epoch) or more than 10 minutes after it was
	// received.
	SignalImplausibleDeviceTime = "implausible_device_time"
)

// earliestPlausible is the date before which a terminal time is a reset clock.
var earliestPlausible = time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)

// maxFuture is how far after its receipt a punch may claim to have happened.
const maxFuture = 10 * time.Minute

// TerminalPunch is one punch from a door terminal, already attributed to an
// employee.
type TerminalPunch struct {
	EmployeeID uuid.UUID
	// Kind is in or out, from the device's direction map.
	Kind string
	// DedupeKey identifies the record on its device: "seq:<n>" for native
	// terminals, PIN and wall time for ZKTeco ATTLOG, the event serial for
	// Hikvision.
	DedupeKey string
	DeviceSeq *int64
	// DeviceLocalTime is the wall time the device sent, in UTC fields;
	// DeviceZone the IANA zone or UTC offset it was read in.
	DeviceLocalTime time.Time
	DeviceZone      string
	// DeviceTime is the instant by the device's clock; OccurredAt the
	// corrected instant (see EvaluateTerminalTime).
	DeviceTime time.Time
	OccurredAt time.Time
	// ReceivedAt is when the server received the record (zero: now).
	ReceivedAt   time.Time
	SiteID       *uuid.UUID
	SiteName     *string
	Raw          string
	VerifyMethod string
	StatusCode   *int
	// Signals decide the verdict: any warning or critical one flags the punch.
	Signals []Signal
}

// TerminalResult is the outcome of one TerminalPunch, in input order.
type TerminalResult struct {
	// ID is the stored punch: the new one, or the one stored earlier under
	// the same dedupe key.
	ID uuid.UUID
	// Created is false for a duplicate.
	Created bool
	Verdict string
}

// EvaluateTerminalTime dates a terminal record. deviceTime is the instant by
// the device's clock; clockOffset (device minus server, nil when unknown) is
// subtracted when correct is true, which callers set for offsets measured by
// a clock-sync exchange rather than estimated. Records are never dropped for
// their time: a clock off by more than maxSkew, a date before 2010 or one
// more than 10 minutes after receipt only add warning signals, which flag
// the punch.
func EvaluateTerminalTime(deviceTime, received time.Time, clockOffset *time.Duration, maxSkew time.Duration, correct bool) (time.Time, []Signal) {
	occurred := deviceTime
	var sig []Signal
	if clockOffset != nil {
		off := *clockOffset
		if correct {
			occurred = deviceTime.Add(-off)
		}
		if maxSkew > 0 && (off > maxSkew || off < -maxSkew) {
			sig = append(sig, Signal{Code: SignalDeviceClockSkew, Severity: "warning",
				Message: fmt.Sprintf("the device's clock differs from the server's by %s (more than %s)", off.Round(time.Second), maxSkew),
				Details: map[string]any{"offset_ms": off.Milliseconds(), "max_skew_ms": maxSkew.Milliseconds(), "corrected": correct}})
		}
	}
	switch {
	case occurred.Before(earliestPlausible):
		sig = append(sig, Signal{Code: SignalImplausibleDeviceTime, Severity: "warning",
			Message: "the device dated this punch before 2010: its clock was probably reset",
			Details: map[string]any{"device_time": deviceTime.UTC().Format(time.RFC3339)}})
	case occurred.After(received.Add(maxFuture)):
		ahead := occurred.Sub(received)
		sig = append(sig, Signal{Code: SignalImplausibleDeviceTime, Severity: "warning",
			Message: fmt.Sprintf("the device dated this punch %s after it was received", ahead.Round(time.Second)),
			Details: map[string]any{"device_time": deviceTime.UTC().Format(time.RFC3339), "ahead_s": math.Round(ahead.Seconds())}})
	}
	return occurred, sig
}

// terminalVerdict flags a punch with any warning or critical signal.
func terminalVerdict(sig []Signal) string {
	for _, s := range sig {
		if s.Severity == "warning" || s.Severity == "critical" {
			return VerdictFlagged
		}
	}
	return VerdictAccepted
}

// RecordTerminalPunches stores terminal punches of one device in chunks of
// TerminalChunk, one transaction and one multi-row insert per chunk, and
// returns one result per punch in input order. A punch whose (device, dedupe
// key) is already stored is a duplicate: nothing is written and the stored
// punch's id is returned. Results of committed chunks stand even when a
// later chunk fails.
func (s *Service) RecordTerminalPunches(ctx context.Context, tenant, deviceID uuid.UUID, ps []TerminalPunch) ([]TerminalResult, error) {
	out := make([]TerminalResult, 0, len(ps))
	for start := 0; start < len(ps); start += TerminalChunk {
		end := min(start+TerminalChunk, len(ps))
		var res []TerminalResult
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			res, err = s.RecordTerminalPunchesTx(ctx, tx, tenant, deviceID, ps[start:end])
			return err
		})
		if err != nil {
			return out, err
		}
		out = append(out, res...)
	}
	return out, nil
}

// RecordTerminalPunchesTx is RecordTerminalPunches for one chunk inside the
// caller's transaction (package devices stores the records it quarantines
// in the same one). It runs one INSERT … SELECT FROM unnest(…) ON CONFLICT
// DO NOTHING, plus one lookup of the stored ids when there were duplicates;
// callers keep chunks to TerminalChunk punches.
func (s *Service) RecordTerminalPunchesTx(ctx context.Context, tx pgx.Tx, tenant, deviceID uuid.UUID, ps []TerminalPunch) ([]TerminalResult, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	n := len(ps)
	var (
		// pgtype.UUID rather than uuid.UUID: pgx encodes the latter through
		// its driver.Valuer string and a failed binary attempt per value,
		// which was a fifth of a batch's CPU time.
		ids       = make([]pgtype.UUID, n)
		emps      = make([]pgtype.UUID, n)
		kinds     = make([]string, n)
		verdicts  = make([]string, n)
		occurred  = make([]time.Time, n)
		received  = make([]time.Time, n)
		devTimes  = make([]time.Time, n)
		sites     = make([]pgtype.UUID, n)
		siteNames = make([]string, n)
		signals   = make([]string, n)
		seqs      = make([]int64, n)
		locals    = make([]time.Time, n)
		zones     = make([]string, n)
		keys      = make([]string, n)
		raws      = make([]string, n)
		verifies  = make([]string, n)
		statuses  = make([]int32, n)
	)
	out := make([]TerminalResult, n)
	for i, p := range ps {
		if p.Kind != KindIn && p.Kind != KindOut {
			return nil, fmt.Errorf("record terminal punches: item %d: kind %q", i, p.Kind)
		}
		if p.DedupeKey == "" {
			return nil, fmt.Errorf("record terminal punches: item %d: empty dedupe key", i)
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, fmt.Errorf("record terminal punches: %w", err)
		}
		b := []byte("[]")
		if len(p.Signals) > 0 {
			var err error
			if b, err = json.Marshal(p.Signals); err != nil {
				return nil, fmt.Errorf("record terminal punches: %w", err)
			}
		}
		rec := p.ReceivedAt
		if rec.IsZero() {
			rec = now
		}
		ids[i], emps[i], kinds[i] = pgtype.UUID{Bytes: id, Valid: true}, pgtype.UUID{Bytes: p.EmployeeID, Valid: true}, p.Kind
		verdicts[i] = terminalVerdict(p.Signals)
		occurred[i], received[i], devTimes[i] = p.OccurredAt.UTC(), rec.UTC(), p.DeviceTime.UTC()
		if p.SiteID != nil {
			sites[i] = pgtype.UUID{Bytes: *p.SiteID, Valid: true}
		}
		signals[i], verifies[i] = string(b), p.VerifyMethod
		if p.SiteName != nil {
			siteNames[i] = *p.SiteName
		}
		seqs[i], statuses[i] = noSeq, noStatus
		if p.DeviceSeq != nil {
			seqs[i] = *p.DeviceSeq
		}
		if p.StatusCode != nil {
			statuses[i] = int32(*p.StatusCode)
		}
		locals[i], zones[i], keys[i], raws[i] = wallUTC(p.DeviceLocalTime), p.DeviceZone, p.DedupeKey, p.Raw
		out[i] = TerminalResult{ID: id, Verdict: verdicts[i]}
	}
	rows, err := tx.Query(ctx, `INSERT INTO punches (tenant_id, id, employee_id, kind, source, verdict, occurred_at, received_at,
			client_time, site_id, site_name, signals, device_id, device_seq, device_local_time, device_zone, dedupe_key, raw,
			verify_method, status_code)
		SELECT $1, u.id, u.employee_id, u.kind, 'terminal', u.verdict, u.occurred_at, u.received_at, u.client_time,
			u.site_id, NULLIF(u.site_name, ''), u.signals::jsonb, $2, NULLIF(u.seq, $20), u.local_time, u.zone, u.key, u.raw,
			NULLIF(u.verify, ''), NULLIF(u.status, $21)
		FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::timestamptz[],
			$10::uuid[], $11::text[], $12::text[], $13::int8[], $14::timestamp[], $15::text[], $16::text[], $17::text[],
			$18::text[], $19::int4[])
			AS u(id, employee_id, kind, verdict, occurred_at, received_at, client_time, site_id, site_name, signals, seq,
			     local_time, zone, key, raw, verify, status)
		ON CONFLICT (tenant_id, device_id, dedupe_key) WHERE device_id IS NOT NULL DO NOTHING
		RETURNING dedupe_key`,
		tenant, deviceID, ids, emps, kinds, verdicts, occurred, received, devTimes, sites, siteNames, signals, seqs, locals,
		zones, keys, raws, verifies, statuses, noSeq, noStatus)
	if err != nil {
		return nil, fmt.Errorf("record terminal punches: %w", err)
	}
	inserted := make(map[string]bool, n)
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record terminal punches: %w", err)
		}
		inserted[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record terminal punches: %w", err)
	}
	// The first item with an inserted key created it; every other item is a
	// duplicate (of a punch stored earlier, or of an item earlier in ps).
	first := make(map[string]int, len(inserted))
	var missing []string
	for i, k := range keys {
		if inserted[k] {
			if j, ok := first[k]; ok {
				out[i].ID, out[i].Verdict = out[j].ID, out[j].Verdict
				continue
			}
			first[k] = i
			out[i].Created = true
			continue
		}
		missing = append(missing, k)
	}
	if len(missing) == 0 {
		return out, nil
	}
	// One index probe per key: with "dedupe_key = ANY($3)" the planner,
	// right after a bulk load whose rows its statistics do not know yet,
	// scans the device's whole index range once per query and compares each
	// entry with every key (minutes for a 50,000-punch replay). LIMIT 1 keeps
	// the lateral subquery from being flattened into that plan.
	rows, err = tx.Query(ctx, `SELECT x.dedupe_key, x.id, x.verdict FROM unnest($3::text[]) AS k(key),
		LATERAL (SELECT p.dedupe_key, p.id, p.verdict FROM punches p
			WHERE p.tenant_id = $1 AND p.device_id = $2 AND p.dedupe_key = k.key LIMIT 1) x`, tenant, deviceID, missing)
	if err != nil {
		return nil, fmt.Errorf("record terminal punches: stored ids: %w", err)
	}
	type stored struct {
		id      uuid.UUID
		verdict string
	}
	prev := make(map[string]stored, len(missing))
	for rows.Next() {
		var k string
		var id pgtype.UUID
		var st stored
		if err := rows.Scan(&k, &id, &st.verdict); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record terminal punches: stored ids: %w", err)
		}
		st.id = id.Bytes
		prev[k] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record terminal punches: stored ids: %w", err)
	}
	for i, k := range keys {
		if out[i].Created || inserted[k] {
			continue
		}
		st, ok := prev[k]
		if !ok {
			// Inserted concurrently by a transaction not yet visible to this
			// one: the other transaction owns it; report it as a duplicate
			// without an id rather than inventing one.
			out[i].ID, out[i].Verdict = uuid.Nil, ""
			continue
		}
		out[i].ID, out[i].Verdict = st.id, st.verdict
	}
	return out, nil
}

// Nullable numbers travel as plain arrays with a value that cannot occur
// standing for NULL: pgx encodes []int64 and []int32 directly, slices of
// pointers through reflection (a tenth of a batch's CPU time).
const (
	noSeq    int64 = math.MinInt64
	noStatus int32 = math.MinInt32
)

// wallUTC keeps t's wall-clock fields in a UTC time (what a timestamp
// without time zone stores).
func wallUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC).
		Truncate(time.Microsecond)
}
