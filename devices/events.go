package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// Event kinds.
const (
	// EventAlarm: something an admin should hear about (tailgating,
	// multiple faces, tamper, forced door, stranger).
	EventAlarm = "alarm"
	// EventOpLog: an operator did something on the device (ZK OPLOG).
	EventOpLog = "oplog"
	// EventAccessDenied: a failed verification (Hikvision fail events).
	EventAccessDenied = "access_denied"
	// EventDoor: a door event that is not a punch (rtlog, unlocks).
	EventDoor = "door"
)

// Alarm types native terminals send.
var AlarmTypes = []string{"tailgating", "multiple_faces", "tamper", "door_forced", "stranger"}

// Event is a stored device event.
type Event struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	DeviceID        uuid.UUID
	DeviceName      string
	DeviceSerial    string
	SiteID          uuid.UUID
	SiteName        string
	Kind            string
	Type            string
	PIN             string
	OccurredAt      *time.Time
	DeviceLocalTime *time.Time
	ReceivedAt      time.Time
	Details         map[string]any
	Raw             string
	PhotoID         *uuid.UUID
}

// EventInput is an event as a protocol handler reports it.
type EventInput struct {
	Kind string
	Type string
	PIN  string
	// Time, Absolute and OffsetSec date the event like a Record (zero Time:
	// undated).
	Time      time.Time
	Absolute  bool
	OffsetSec *int
	// DedupeKey makes the event idempotent on its device.
	DedupeKey string
	Details   map[string]any
	Raw       string
	PhotoID   *uuid.UUID
}

// StoreEvents stores device events, idempotent on (device, dedupe key),
// and tells the OnAlarm hooks about every new alarm in the same
// transaction. It returns the events that were new.
func (s *Service) StoreEvents(ctx context.Context, d Device, in []EventInput, received time.Time) ([]Event, error) {
	if len(in) == 0 {
		return nil, nil
	}
	received = received.UTC().Truncate(time.Microsecond)
	n := len(in)
	ids := make([]pgtype.UUID, n)
	kinds, types, pins, keysS, raws, details := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	occ, local := make([]*time.Time, n), make([]*time.Time, n)
	photos := make([]pgtype.UUID, n)
	seen := map[string]bool{}
	k := 0
	for _, e := range in {
		if seen[e.DedupeKey] || e.DedupeKey == "" {
			continue
		}
		seen[e.DedupeKey] = true
		id, _ := uuid.NewV7()
		ids[k] = pgUUID(id)
		kinds[k], types[k], pins[k], keysS[k], raws[k] = e.Kind, clip(e.Type, 64), clip(e.PIN, 64), e.DedupeKey, clip(e.Raw, RawLogBytes)
		det := e.Details
		if det == nil {
			det = map[string]any{}
		}
		b, _ := json.Marshal(det)
		details[k], photos[k] = string(b), pgUUIDPtr(e.PhotoID)
		if !e.Time.IsZero() {
			l, _, inst := dateRecord(d, Record{Time: e.Time, Absolute: e.Absolute, OffsetSec: e.OffsetSec})
			occ[k], local[k] = &inst, &l
		}
		k++
	}
	ids, kinds, types, pins, keysS, raws, details, occ, local, photos = ids[:k], kinds[:k], types[:k], pins[:k], keysS[:k], raws[:k], details[:k], occ[:k], local[:k], photos[:k]
	var out []Event
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO device_events (tenant_id, id, device_id, kind, type, pin, occurred_at, device_local_time,
				received_at, dedupe_key, details, raw, photo_id)
			SELECT $1, u.id, $2, u.kind, u.type, u.pin, u.occ, u.local, $3, u.key, u.details::jsonb, u.raw, u.photo
			FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamp[], $10::text[], $11::text[],
				$12::text[], $13::uuid[]) AS u(id, kind, type, pin, occ, local, key, details, raw, photo)
			ON CONFLICT (tenant_id, device_id, dedupe_key) DO NOTHING
			RETURNING id, kind, type, pin, occurred_at, device_local_time, details, raw, photo_id`,
			d.TenantID, d.ID, received, ids, kinds, types, pins, occ, local, keysS, details, raws, photos)
		if err != nil {
			return fmt.Errorf("store events: %w", err)
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
			e := Event{TenantID: d.TenantID, DeviceID: d.ID, DeviceName: d.Name, DeviceSerial: d.Serial, SiteID: d.SiteID,
				SiteName: d.SiteName, ReceivedAt: received}
			var det []byte
			if err := r.Scan(&e.ID, &e.Kind, &e.Type, &e.PIN, &e.OccurredAt, &e.DeviceLocalTime, &det, &e.Raw, &e.PhotoID); err != nil {
				return e, err
			}
			return e, json.Unmarshal(det, &e.Details)
		})
		if err != nil {
			return fmt.Errorf("store events: %w", err)
		}
		s.mu.RLock()
		hooks := s.alarms
		s.mu.RUnlock()
		for _, e := range out {
			if e.Kind != EventAlarm {
				continue
			}
			for _, h := range hooks {
				if err := h(ctx, tx, e); err != nil {
					return fmt.Errorf("alarm hook: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListEvents lists a device's events (or the tenant's alarms when deviceID
// is nil), newest first. Admins only.
func (s *Service) ListEvents(ctx context.Context, a org.Actor, deviceID *uuid.UUID, kind *string, cursor *string, limit *int) ([]Event, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	if deviceID != nil {
		if _, err := s.getDevice(ctx, s.pool, a.TenantID, *deviceID); err != nil {
			return nil, nil, err
		}
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID}
	where := "e.tenant_id = $1"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if deviceID != nil {
		add("e.device_id = $%d", *deviceID)
	}
	if kind != nil {
		add("e.kind = $%d", *kind)
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (e.received_at, e.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, n+1)
	rows, err := s.pool.Query(ctx, `SELECT e.id, e.device_id, coalesce(d.name, ''), coalesce(d.serial, ''),
		coalesce(d.site_id, '00000000-0000-0000-0000-000000000000'), e.kind, e.type, e.pin, e.occurred_at, e.device_local_time, e.received_at, e.details, e.raw, e.photo_id
		FROM device_events e LEFT JOIN devices d ON d.tenant_id = e.tenant_id AND d.id = e.device_id
		WHERE `+where+fmt.Sprintf(` ORDER BY e.received_at DESC, e.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list events: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Event, error) {
		e := Event{TenantID: a.TenantID}
		var det []byte
		if err := r.Scan(&e.ID, &e.DeviceID, &e.DeviceName, &e.DeviceSerial, &e.SiteID, &e.Kind, &e.Type, &e.PIN, &e.OccurredAt, &e.DeviceLocalTime,
			&e.ReceivedAt, &det, &e.Raw, &e.PhotoID); err != nil {
			return e, err
		}
		return e, json.Unmarshal(det, &e.Details)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list events: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{T: out[n-1].ReceivedAt, ID: out[n-1].ID})
	}
	return out, next, nil
}
