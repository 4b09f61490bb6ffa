package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/org"
)

// Quarantine reasons.
const (
	ReasonUnknownPIN     = "unknown_pin"
	ReasonUnknownCard    = "unknown_card"
	ReasonNotPermitted   = "not_permitted"
	ReasonEmployeeLeft   = "employee_left"
	ReasonDeviceDisabled = "device_disabled"
	ReasonUnparseable    = "unparseable"
)

// Outcome statuses of a record.
const (
	OutcomeCreated     = "created"
	OutcomeDuplicate   = "duplicate"
	OutcomeQuarantined = "quarantined"
	OutcomeRejected    = "rejected"
)

// SignalDirectionUnknown marks a punch whose in/out came from the device's
// default because neither its status nor its door said.
const SignalDirectionUnknown = "direction_unknown"

// Record is one terminal record in protocol-neutral form, as the protocol
// handlers hand it over. It is also what quarantine keeps to evaluate the
// record again.
type Record struct {
	// Index is the record's position in its request (line number or item
	// index); outcomes carry it back.
	Index int `json:"index"`
	// Seq is the device's own record number, when it sends one.
	Seq *int64 `json:"seq,omitempty"`
	PIN string `json:"pin,omitempty"`
	// Card is used when there is no PIN (or the PIN is "0").
	Card string `json:"card,omitempty"`
	// Time is the device's wall time in UTC fields, or an absolute instant
	// when Absolute is true.
	Time     time.Time `json:"time"`
	Absolute bool      `json:"absolute,omitempty"`
	// OffsetSec is a UTC offset carried by the record itself (ZK 2.4.2
	// TimeOffset); it wins over the device's zone.
	OffsetSec *int `json:"offset_s,omitempty"`
	// Status keys the direction map ("0".."255" for ZK, checkIn, ... for
	// Hikvision); StatusCode is the numeric code stored with the punch.
	Status     string `json:"status,omitempty"`
	StatusCode *int   `json:"status_code,omitempty"`
	Door       int    `json:"door,omitempty"`
	// VerifyMethod is fingerprint, face, card, password, palm or other
	// (raw codes stay in Raw).
	VerifyMethod string `json:"verify_method,omitempty"`
	Raw          string `json:"raw"`
	DedupeKey    string `json:"key"`
	// PhotoID links a photo the device uploaded (native terminals).
	PhotoID *uuid.UUID `json:"photo_id,omitempty"`
	// Realtime marks a record sent as it happened, whose time says how far
	// off the device's clock is.
	Realtime bool `json:"-"`
	// Received overrides the batch's receipt time (records evaluated again
	// keep the time they first arrived).
	Received time.Time `json:"-"`
}

// BadRecord is a record that could not be read. Its raw text is kept in
// quarantine (reason unparseable) so nothing the device sent is lost.
type BadRecord struct {
	Index  int
	Seq    *int64
	PIN    string
	Raw    string
	Reason string
	// DedupeKey defaults to a hash of Raw.
	DedupeKey string
}

// Outcome is what became of one record.
type Outcome struct {
	Index int
	Seq   *int64
	// Status is created, duplicate, quarantined or rejected (unparseable,
	// kept in quarantine all the same).
	Status       string
	PunchID      uuid.UUID
	QuarantineID uuid.UUID
	Reason       string
	Detail       string
	Verdict      string
}

// Stored reports whether the record is safe on the server (every outcome
// is: a rejected record's raw text is in quarantine).
func (o Outcome) Stored() bool { return o.Status != "" }

// ZKKey is the dedupe key of a ZKTeco record: (PIN, device wall time), the
// identity the SPEC gives an ATTLOG line; ATTPHOTO names photos the same
// way, which is how a photo finds its punch.
func ZKKey(pin string, local time.Time) string {
	return "zk:" + pin + "|" + local.Format("2006-01-02T15:04:05")
}

// SeqKey is the dedupe key of a record the device numbers itself.
func SeqKey(prefix string, seq int64) string { return prefix + ":" + strconv.FormatInt(seq, 10) }

// Ingest turns records of one device into punches or quarantine entries,
// in chunks of attendance.TerminalChunk, one transaction per chunk, and
// returns one outcome per record and bad record (records first, in order).
// When it fails, the outcomes of the chunks committed before are returned
// with the error; a device acknowledging nothing and re-sending everything
// is harmless because records are idempotent.
func (s *Service) Ingest(ctx context.Context, d Device, recs []Record, bad []BadRecord, received time.Time) ([]Outcome, error) {
	return s.ingest(ctx, d, recs, bad, received, nil)
}

// resolution says why records are evaluated again (nil for live traffic).
type resolution struct {
	by   *uuid.UUID
	what string
}

func (s *Service) ingest(ctx context.Context, d Device, recs []Record, bad []BadRecord, received time.Time, res *resolution) ([]Outcome, error) {
	received = received.UTC().Truncate(time.Microsecond)
	type chunk struct{ start, end int }
	var chunks []chunk
	for start := 0; start < len(recs) || (start == 0 && len(bad) > 0); start += attendance.TerminalChunk {
		chunks = append(chunks, chunk{start, min(start+attendance.TerminalChunk, len(recs))})
	}
	run := func(i int) ([]Outcome, error) {
		var b []BadRecord
		if i == 0 {
			b = bad
		}
		return s.ingestChunk(ctx, d, recs[chunks[i].start:chunks[i].end], b, received, res)
	}
	out := make([]Outcome, 0, len(recs)+len(bad))
	if len(chunks) <= 1 || crossChunkDuplicates(recs, attendance.TerminalChunk) {
		for i := range chunks {
			o, err := run(i)
			if err != nil {
				return out, err
			}
			out = append(out, o...)
		}
		return out, nil
	}
	// Two chunks at a time: while the database stores one, the next one is
	// matched and encoded. Chunks share no key (checked above), so their
	// transactions never wait on each other.
	results := make([][]Outcome, len(chunks))
	errs := make([]error, len(chunks))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for i := range chunks {
		sem <- struct{}{}
		if failed.Load() {
			<-sem
			break
		}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = run(i)
			if errs[i] != nil {
				failed.Store(true)
			}
		}(i)
	}
	wg.Wait()
	for i := range chunks {
		if errs[i] != nil {
			return out, errs[i]
		}
		if results[i] == nil && chunks[i].end > chunks[i].start {
			return out, fmt.Errorf("ingest: chunk %d was not stored", i) // unreachable: an earlier chunk failed first
		}
		out = append(out, results[i]...)
	}
	return out, nil
}

// crossChunkDuplicates reports whether a dedupe key occurs in two chunks
// (then the chunks run one after the other, so two transactions never wait
// on each other's keys in opposite orders).
func crossChunkDuplicates(recs []Record, size int) bool {
	seen := make(map[string]int, len(recs))
	for i, r := range recs {
		if c, ok := seen[r.DedupeKey]; ok && c != i/size {
			return true
		}
		seen[r.DedupeKey] = i / size
	}
	return false
}

// pendingPunch is a record on its way to a punch or to quarantine.
type pendingPunch struct {
	rec    Record
	emp    *org.Employee
	reason string
	detail string
	p      attendance.TerminalPunch
}

func (s *Service) ingestChunk(ctx context.Context, d Device, recs []Record, bad []BadRecord, received time.Time, res *resolution) ([]Outcome, error) {
	var ids identities
	if d.Enabled && len(recs) > 0 {
		var err error
		if ids, err = s.resolve(ctx, d, recs); err != nil {
			return nil, err
		}
	}
	// A real-time record of a push device measures its clock now: it judges
	// this batch rather than an older estimate.
	if d.Protocol != ProtocolDaka {
		for _, r := range recs {
			if r.Realtime && r.Received.IsZero() {
				_, _, inst := dateRecord(d, r)
				if off := inst.Sub(received); off < 24*time.Hour && off > -24*time.Hour {
					d.ClockOffset = &off
				}
			}
		}
	}
	items := make([]pendingPunch, len(recs))
	var punches []attendance.TerminalPunch
	var punchIdx []int
	for i, r := range recs {
		it := pendingPunch{rec: r}
		rcv := received
		if !r.Received.IsZero() {
			rcv = r.Received.UTC().Truncate(time.Microsecond)
		}
		it.p = s.terminalPunch(d, r, rcv)
		switch {
		case !d.Enabled:
			it.reason, it.detail = ReasonDeviceDisabled, "the device is disabled"
		default:
			it.emp, it.reason, it.detail = ids.match(d, r)
		}
		if it.reason == "" {
			it.p.EmployeeID = it.emp.ID
			punches = append(punches, it.p)
			punchIdx = append(punchIdx, i)
		}
		items[i] = it
	}
	out := make([]Outcome, len(recs), len(recs)+len(bad))
	for i, r := range recs {
		out[i] = Outcome{Index: r.Index, Seq: r.Seq}
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		pr, err := s.att.RecordTerminalPunchesTx(ctx, tx, d.TenantID, d.ID, punches)
		if err != nil {
			return err
		}
		var created []linkKey
		for j, r := range pr {
			i := punchIdx[j]
			out[i].PunchID, out[i].Verdict = r.ID, r.Verdict
			out[i].Status = OutcomeDuplicate
			if r.Created {
				out[i].Status = OutcomeCreated
			}
			created = append(created, linkKey{key: items[i].rec.DedupeKey, punch: r.ID, photo: items[i].rec.PhotoID})
		}
		// A record that cannot become a punch now may already be one (a
		// history replay after the employee left): then it is a duplicate.
		stored, err := s.storedPunches(ctx, tx, d, items)
		if err != nil {
			return err
		}
		var qs []quarantineRow
		for i, it := range items {
			if it.reason == "" {
				continue
			}
			if p, ok := stored[it.rec.DedupeKey]; ok {
				out[i].Status, out[i].PunchID, out[i].Verdict = OutcomeDuplicate, p.id, p.verdict
				continue
			}
			qs = append(qs, s.quarantineRowFor(d, it, it.p.ReceivedAt))
			out[i].Status, out[i].Reason, out[i].Detail = OutcomeQuarantined, it.reason, it.detail
		}
		for _, b := range bad {
			qs = append(qs, badQuarantineRow(b, received))
			out = append(out, Outcome{Index: b.Index, Seq: b.Seq, Status: OutcomeRejected, Reason: ReasonUnparseable, Detail: b.Reason})
		}
		qids, err := s.insertQuarantine(ctx, tx, d, qs)
		if err != nil {
			return err
		}
		for i := range out {
			if out[i].Status == OutcomeQuarantined || out[i].Status == OutcomeRejected {
				var key string
				if i < len(items) {
					key = items[i].rec.DedupeKey
				} else {
					key = badKey(bad[i-len(items)])
				}
				out[i].QuarantineID = qids[key]
			}
		}
		if err := s.link(ctx, tx, d, created, res, received); err != nil {
			return err
		}
		return s.estimateClock(ctx, tx, d, items, received)
	})
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return out, nil
}

// terminalPunch dates a record and decides its direction and signals.
func (s *Service) terminalPunch(d Device, r Record, received time.Time) attendance.TerminalPunch {
	local, zone, devTime := dateRecord(d, r)
	var off *time.Duration
	correct := false
	if d.ClockOffset != nil {
		switch {
		case d.Protocol == ProtocolDaka:
			off, correct = d.ClockOffset, true
		case *d.ClockOffset > 0:
			// A push device's offset is estimated from real-time records,
			// and upload delay makes a clock look late: only a clock that is
			// ahead is known to be off.
			off = d.ClockOffset
		}
	}
	occurred, sig := attendance.EvaluateTerminalTime(devTime, received, off, s.o.MaxClockSkew, correct)
	kind, known := d.DirectionMap.Direction(r.Status, r.Door)
	if !known {
		sig = append(sig, attendance.Signal{Code: SignalDirectionUnknown, Severity: "info",
			Message: "the device did not say in or out; the device's default direction was used",
			Details: map[string]any{"status": r.Status, "door": r.Door, "kind": kind}})
	}
	site, siteName := d.SiteID, d.SiteName
	p := attendance.TerminalPunch{
		Kind: kind, DedupeKey: r.DedupeKey, DeviceSeq: r.Seq, DeviceLocalTime: local, DeviceZone: zone,
		DeviceTime: devTime, OccurredAt: occurred, ReceivedAt: received, SiteID: &site, Raw: r.Raw,
		VerifyMethod: r.VerifyMethod, StatusCode: r.StatusCode, Signals: sig,
	}
	if siteName != "" {
		p.SiteName = &siteName
	}
	return p
}

// dateRecord reads a record's time: the wall time as sent, the zone it was
// read in, and the instant by the device's clock.
func dateRecord(d Device, r Record) (local time.Time, zone string, instant time.Time) {
	loc, zone := d.Location(), d.Timezone
	if r.OffsetSec != nil {
		loc, zone = time.FixedZone("", *r.OffsetSec), formatOffset(*r.OffsetSec)
	}
	if r.Absolute {
		instant = r.Time.UTC()
		w := r.Time.In(loc)
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC), zone, instant
	}
	t := r.Time
	local = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return local, zone, time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
}

func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d:%02d", sign, sec/3600, sec%3600/60)
}

// identities is what a chunk's PINs and cards resolve to on one device.
type identities struct {
	byPIN    map[string]*org.Employee // device PIN mapping, else employee_no
	byCard   map[string]*org.Employee
	enrolled map[uuid.UUID]bool
}

// identities resolves the PINs and cards of recs: device-specific PINs
// first, then employee numbers (except employees whose PIN on this device
// is another one), then cards.
func (s *Service) identities(ctx context.Context, d Device, recs []Record) (identities, error) {
	ids := identities{byPIN: map[string]*org.Employee{}, byCard: map[string]*org.Employee{}, enrolled: map[uuid.UUID]bool{}}
	pinSet, cardSet := map[string]bool{}, map[string]bool{}
	for _, r := range recs {
		if usablePIN(r.PIN) {
			pinSet[r.PIN] = true
		}
		if r.Card != "" && r.Card != "0" {
			cardSet[r.Card] = true
		}
	}
	// Device PIN mappings and enrolments, in one round trip.
	rows, err := s.pool.Query(ctx, `SELECT 'pin', pin, employee_id FROM device_pins WHERE tenant_id = $1 AND device_id = $2
		UNION ALL SELECT 'enrolled', '', employee_id FROM employee_devices WHERE tenant_id = $1 AND device_id = $2
		UNION ALL SELECT 'enrolled', '', employee_id FROM employee_device_sites WHERE tenant_id = $1 AND site_id = $3
		UNION ALL SELECT 'card', card_no, employee_id FROM employee_cards WHERE tenant_id = $1 AND card_no = ANY($4::text[])`,
		d.TenantID, d.ID, d.SiteID, keys(cardSet))
	if err != nil {
		return ids, fmt.Errorf("resolve pins: %w", err)
	}
	devPIN := map[string]uuid.UUID{}    // pin → employee
	hasDevPIN := map[uuid.UUID]string{} // employee → their pin here
	cardEmp := map[string]uuid.UUID{}
	for rows.Next() {
		var kind, v string
		var emp uuid.UUID
		if err := rows.Scan(&kind, &v, &emp); err != nil {
			rows.Close()
			return ids, fmt.Errorf("resolve pins: %w", err)
		}
		switch kind {
		case "pin":
			devPIN[v], hasDevPIN[emp] = emp, v
		case "enrolled":
			ids.enrolled[emp] = true
		case "card":
			cardEmp[v] = emp
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ids, fmt.Errorf("resolve pins: %w", err)
	}
	var byID []uuid.UUID
	var nos []string
	for p := range pinSet {
		if e, ok := devPIN[p]; ok {
			byID = append(byID, e)
		} else {
			nos = append(nos, p)
		}
	}
	for _, e := range cardEmp {
		byID = append(byID, e)
	}
	emps := map[uuid.UUID]*org.Employee{}
	if len(byID) > 0 {
		es, err := s.org.EmployeesByIDs(ctx, d.TenantID, byID)
		if err != nil {
			return ids, err
		}
		for i := range es {
			emps[es[i].ID] = &es[i]
		}
	}
	for p, e := range devPIN {
		if pinSet[p] && emps[e] != nil {
			ids.byPIN[p] = emps[e]
		}
	}
	for c, e := range cardEmp {
		if emps[e] != nil {
			ids.byCard[c] = emps[e]
		}
	}
	if len(nos) > 0 {
		es, err := s.org.EmployeesByNumbers(ctx, d.TenantID, nos)
		if err != nil {
			return ids, err
		}
		for i := range es {
			if pin, ok := hasDevPIN[es[i].ID]; ok && pin != es[i].EmployeeNo {
				continue // on this device the employee is known by another PIN
			}
			ids.byPIN[es[i].EmployeeNo] = &es[i]
		}
	}
	var cards []string
	for c := range cardSet {
		if ids.byCard[c] == nil {
			cards = append(cards, c)
		}
	}
	if len(cards) > 0 {
		es, err := s.org.EmployeesByCards(ctx, d.TenantID, cards)
		if err != nil {
			return ids, err
		}
		for i := range es {
			if es[i].CardNo != nil {
				ids.byCard[*es[i].CardNo] = &es[i]
			}
		}
	}
	return ids, nil
}

// usablePIN: "0" is what access-control firmware sends for "no user".
func usablePIN(p string) bool { return p != "" && p != "0" }

// match attributes a record to an employee, or says why it cannot be.
func (ids identities) match(d Device, r Record) (*org.Employee, string, string) {
	var e *org.Employee
	switch {
	case usablePIN(r.PIN) && ids.byPIN[r.PIN] != nil:
		e = ids.byPIN[r.PIN]
	case r.Card != "" && r.Card != "0" && ids.byCard[r.Card] != nil:
		e = ids.byCard[r.Card]
	case usablePIN(r.PIN) || r.Card == "" || r.Card == "0":
		return nil, ReasonUnknownPIN, "no employee has this PIN on the device"
	default:
		return nil, ReasonUnknownCard, "no employee has this card"
	}
	if e.Status != org.StatusActive {
		return e, ReasonEmployeeLeft, "the employee has left"
	}
	if !e.PermittedAt(d.SiteID) && !ids.enrolled[e.ID] {
		return e, ReasonNotPermitted, "the employee may not punch at this device's site and is not enrolled on the device"
	}
	return e, "", ""
}

// pgUUID and pgUUIDPtr hand ids to pgx as pgtype.UUID, which it encodes
// directly (uuid.UUID goes through its driver.Valuer string, slowly).
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func pgUUIDPtr(id *uuid.UUID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgUUID(*id)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// linkKey ties a stored punch to its record's dedupe key and photo.
type linkKey struct {
	key   string
	punch uuid.UUID
	photo *uuid.UUID
}

// link closes quarantined records that are now punches (the device sent
// them again after a PIN was mapped, or they were re-evaluated) and links
// photos that arrived before their punch.
func (s *Service) link(ctx context.Context, tx pgx.Tx, d Device, created []linkKey, res *resolution, now time.Time) error {
	if len(created) == 0 {
		return nil
	}
	var openQ, unlinked bool
	if err := tx.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM device_quarantine WHERE tenant_id = $1 AND device_id = $2 AND resolved_at IS NULL),
		EXISTS (SELECT 1 FROM device_photos WHERE tenant_id = $1 AND device_id = $2 AND punch_id IS NULL)`,
		d.TenantID, d.ID).Scan(&openQ, &unlinked); err != nil {
		return fmt.Errorf("link: %w", err)
	}
	ks := make([]string, len(created))
	ps := make([]pgtype.UUID, len(created))
	var photoIDs, photoPunches []pgtype.UUID
	for i, c := range created {
		ks[i], ps[i] = c.key, pgUUID(c.punch)
		if c.photo != nil {
			photoIDs, photoPunches = append(photoIDs, pgUUID(*c.photo)), append(photoPunches, pgUUID(c.punch))
		}
	}
	if openQ {
		what, by := "matched", (*uuid.UUID)(nil)
		if res != nil {
			what, by = res.what, res.by
		}
		// Per-key probes (see attendance.RecordTerminalPunchesTx for why).
		if _, err := tx.Exec(ctx, `UPDATE device_quarantine q SET resolved_at = $3, resolved_by = $4, resolution = $5, punch_id = m.punch
			FROM (SELECT x.id, u.punch FROM unnest($6::text[], $7::uuid[]) AS u(key, punch),
				LATERAL (SELECT o.id FROM device_quarantine o WHERE o.tenant_id = $1 AND o.device_id = $2 AND o.dedupe_key = u.key
					AND o.resolved_at IS NULL LIMIT 1) x) m
			WHERE q.tenant_id = $1 AND q.id = m.id`,
			d.TenantID, d.ID, now, by, what, ks, ps); err != nil {
			return fmt.Errorf("link quarantine: %w", err)
		}
	}
	if unlinked {
		if _, err := tx.Exec(ctx, `UPDATE device_photos p SET punch_id = m.punch
			FROM (SELECT x.id, u.punch FROM unnest($3::text[], $4::uuid[]) AS u(key, punch),
				LATERAL (SELECT o.id FROM device_photos o WHERE o.tenant_id = $1 AND o.device_id = $2 AND o.dedupe_key = u.key
					AND o.punch_id IS NULL LIMIT 1) x) m
			WHERE p.tenant_id = $1 AND p.id = m.id`,
			d.TenantID, d.ID, ks, ps); err != nil {
			return fmt.Errorf("link photos: %w", err)
		}
	}
	if len(photoIDs) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE device_photos p SET punch_id = u.punch
			FROM unnest($3::uuid[], $4::uuid[]) AS u(photo, punch)
			WHERE p.tenant_id = $1 AND p.device_id = $2 AND p.id = u.photo AND p.punch_id IS NULL`,
			d.TenantID, d.ID, photoIDs, photoPunches); err != nil {
			return fmt.Errorf("link photos: %w", err)
		}
	}
	return nil
}

// estimateClock records a push device's clock offset from a real-time
// record: its device time minus its receipt. Samples over a day apart are
// delayed uploads or reset clocks, not a measurement.
func (s *Service) estimateClock(ctx context.Context, tx pgx.Tx, d Device, items []pendingPunch, received time.Time) error {
	if d.Protocol == ProtocolDaka {
		return nil
	}
	var sample *time.Duration
	for _, it := range items {
		if it.rec.Realtime {
			v := it.p.DeviceTime.Sub(received)
			sample = &v
		}
	}
	if sample == nil || *sample > 24*time.Hour || *sample < -24*time.Hour {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE devices SET clock_offset_ms = $3, clock_measured_at = $4 WHERE tenant_id = $1 AND id = $2`,
		d.TenantID, d.ID, sample.Milliseconds(), received); err != nil {
		return fmt.Errorf("clock estimate: %w", err)
	}
	return nil
}

type storedPunch struct {
	id      uuid.UUID
	verdict string
}

// storedPunches finds the punches already stored under the keys of the
// records that are headed for quarantine.
func (s *Service) storedPunches(ctx context.Context, tx pgx.Tx, d Device, items []pendingPunch) (map[string]storedPunch, error) {
	var ks []string
	for _, it := range items {
		if it.reason != "" {
			ks = append(ks, it.rec.DedupeKey)
		}
	}
	out := map[string]storedPunch{}
	if len(ks) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT x.dedupe_key, x.id, x.verdict FROM unnest($3::text[]) AS k(key),
		LATERAL (SELECT p.dedupe_key, p.id, p.verdict FROM punches p
			WHERE p.tenant_id = $1 AND p.device_id = $2 AND p.dedupe_key = k.key LIMIT 1) x`, d.TenantID, d.ID, ks)
	if err != nil {
		return nil, fmt.Errorf("stored punches: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var p storedPunch
		if err := rows.Scan(&k, &p.id, &p.verdict); err != nil {
			return nil, fmt.Errorf("stored punches: %w", err)
		}
		out[k] = p
	}
	return out, rows.Err()
}

// quarantineRow is one row for insertQuarantine.
type quarantineRow struct {
	pin, card, reason, key, zone, raw, detail string
	seq                                       *int64
	occurred                                  *time.Time
	local                                     *time.Time
	received                                  time.Time
	emp                                       *uuid.UUID
	record                                    []byte
}

func (s *Service) quarantineRowFor(d Device, it pendingPunch, received time.Time) quarantineRow {
	rec, _ := json.Marshal(it.rec)
	occ, loc := it.p.OccurredAt, it.p.DeviceLocalTime
	q := quarantineRow{pin: it.rec.PIN, card: it.rec.Card, reason: it.reason, key: it.rec.DedupeKey, zone: it.p.DeviceZone,
		raw: it.rec.Raw, detail: it.detail, seq: it.rec.Seq, occurred: &occ, local: &loc, received: received, record: rec}
	if it.emp != nil {
		id := it.emp.ID
		q.emp = &id
	}
	return q
}

func badKey(b BadRecord) string {
	if b.DedupeKey != "" {
		return b.DedupeKey
	}
	return "bad:" + shortHash(b.Raw)
}

func badQuarantineRow(b BadRecord, received time.Time) quarantineRow {
	return quarantineRow{pin: b.PIN, reason: ReasonUnparseable, key: badKey(b), raw: b.Raw, detail: b.Reason, seq: b.Seq,
		received: received, record: []byte(`{}`)}
}

// insertQuarantine stores quarantine rows, one statement, idempotent on
// (device, dedupe key): a record sent again replaces its open entry (a PIN
// now known but not permitted; a readable item replacing an unreadable one
// with the same seq), but an unreadable copy never replaces a readable
// record. It returns the ids by key.
func (s *Service) insertQuarantine(ctx context.Context, tx pgx.Tx, d Device, qs []quarantineRow) (map[string]uuid.UUID, error) {
	out := map[string]uuid.UUID{}
	if len(qs) == 0 {
		return out, nil
	}
	// ON CONFLICT DO UPDATE may touch a row once per statement.
	seen := map[string]bool{}
	var (
		ids                                           []pgtype.UUID
		pins, cards, reasons, ks, zones, raws, detail []string
		recs                                          []string
		seqs                                          []*int64
		occ, local                                    []*time.Time
		rec                                           []time.Time
		emps                                          []pgtype.UUID
	)
	for _, q := range qs {
		if seen[q.key] {
			continue
		}
		seen[q.key] = true
		id, _ := uuid.NewV7()
		ids = append(ids, pgUUID(id))
		pins, cards, reasons, ks = append(pins, q.pin), append(cards, q.card), append(reasons, q.reason), append(ks, q.key)
		zones, raws, detail, recs = append(zones, q.zone), append(raws, q.raw), append(detail, q.detail), append(recs, string(q.record))
		seqs, occ, local, rec, emps = append(seqs, q.seq), append(occ, q.occurred), append(local, q.local), append(rec, q.received), append(emps, pgUUIDPtr(q.emp))
	}
	rows, err := tx.Query(ctx, `INSERT INTO device_quarantine (tenant_id, id, device_id, pin, card, reason, dedupe_key, device_seq,
			occurred_at, device_local_time, device_zone, received_at, employee_id, record, raw, detail)
		SELECT $1, u.id, $2, u.pin, u.card, u.reason, u.key, u.seq, u.occurred, u.local, u.zone, u.received, u.emp, u.record::jsonb,
			u.raw, u.detail
		FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::timestamptz[], $10::timestamp[],
			$11::text[], $12::timestamptz[], $13::uuid[], $14::text[], $15::text[], $16::text[])
			AS u(id, pin, card, reason, key, seq, occurred, local, zone, received, emp, record, raw, detail)
		ON CONFLICT (tenant_id, device_id, dedupe_key) DO UPDATE SET reason = EXCLUDED.reason, employee_id = EXCLUDED.employee_id,
			detail = EXCLUDED.detail, pin = EXCLUDED.pin, card = EXCLUDED.card, device_seq = EXCLUDED.device_seq,
			occurred_at = EXCLUDED.occurred_at, device_local_time = EXCLUDED.device_local_time, device_zone = EXCLUDED.device_zone,
			record = EXCLUDED.record, raw = EXCLUDED.raw
			WHERE device_quarantine.resolved_at IS NULL
				AND NOT (EXCLUDED.reason = 'unparseable' AND device_quarantine.reason <> 'unparseable')
		RETURNING id, dedupe_key`,
		d.TenantID, d.ID, ids, pins, cards, reasons, ks, seqs, occ, local, zones, rec, emps, recs, raws, detail)
	if err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	for rows.Next() {
		var id pgtype.UUID
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("quarantine: %w", err)
		}
		out[k] = id.Bytes
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("quarantine: %w", err)
	}
	var missing []string
	for _, k := range ks {
		if _, ok := out[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		rows, err := tx.Query(ctx, `SELECT x.id, x.dedupe_key FROM unnest($3::text[]) AS k(key),
			LATERAL (SELECT q.id, q.dedupe_key FROM device_quarantine q
				WHERE q.tenant_id = $1 AND q.device_id = $2 AND q.dedupe_key = k.key LIMIT 1) x`, d.TenantID, d.ID, missing)
		if err != nil {
			return nil, fmt.Errorf("quarantine: %w", err)
		}
		for rows.Next() {
			var id uuid.UUID
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				rows.Close()
				return nil, fmt.Errorf("quarantine: %w", err)
			}
			out[k] = id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("quarantine: %w", err)
		}
	}
	return out, nil
}
