package devices

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// QuarantineItem is a terminal record kept aside (see the Reason* constants).
type QuarantineItem struct {
	ID              uuid.UUID
	DeviceID        uuid.UUID
	DeviceName      string
	DeviceSerial    string
	PIN             string
	Card            string
	Reason          string
	Detail          string
	Seq             *int64
	OccurredAt      *time.Time
	DeviceLocalTime *time.Time
	DeviceZone      string
	ReceivedAt      time.Time
	EmployeeID      *uuid.UUID
	Raw             string
	ResolvedAt      *time.Time
	Resolution      *string
	PunchID         *uuid.UUID
}

// QuarantineFilter narrows ListQuarantine.
type QuarantineFilter struct {
	DeviceID *uuid.UUID
	Reason   *string
	PIN      *string
	// Status is open (default), resolved or all.
	Status *string
	Cursor *string
	Limit  *int
}

const quarantineCols = `q.id, q.device_id, coalesce(d.name, ''), coalesce(d.serial, ''), q.pin, q.card, q.reason, q.detail,
	q.device_seq, q.occurred_at, q.device_local_time, q.device_zone, q.received_at, q.employee_id, q.raw, q.resolved_at,
	q.resolution, q.punch_id`

func scanQuarantine(r pgx.Row) (QuarantineItem, error) {
	var q QuarantineItem
	err := r.Scan(&q.ID, &q.DeviceID, &q.DeviceName, &q.DeviceSerial, &q.PIN, &q.Card, &q.Reason, &q.Detail, &q.Seq,
		&q.OccurredAt, &q.DeviceLocalTime, &q.DeviceZone, &q.ReceivedAt, &q.EmployeeID, &q.Raw, &q.ResolvedAt, &q.Resolution,
		&q.PunchID)
	return q, err
}

// ListQuarantine lists quarantined records, newest first. Admins only.
func (s *Service) ListQuarantine(ctx context.Context, a org.Actor, f QuarantineFilter) ([]QuarantineItem, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	args := []any{a.TenantID}
	where := "q.tenant_id = $1"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	status := "open"
	if f.Status != nil {
		status = *f.Status
	}
	switch status {
	case "open":
		where += " AND q.resolved_at IS NULL"
	case "resolved":
		where += " AND q.resolved_at IS NOT NULL"
	case "all":
	default:
		return nil, nil, errs.FieldErr("status", "invalid_status", "status must be open, resolved or all")
	}
	if f.DeviceID != nil {
		add("q.device_id = $%d", *f.DeviceID)
	}
	if f.Reason != nil {
		add("q.reason = $%d", *f.Reason)
	}
	if f.PIN != nil {
		add("q.pin = $%d", *f.PIN)
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (q.received_at, q.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+quarantineCols+` FROM device_quarantine q
		LEFT JOIN devices d ON d.tenant_id = q.tenant_id AND d.id = q.device_id WHERE `+where+
		fmt.Sprintf(` ORDER BY q.received_at DESC, q.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list quarantine: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (QuarantineItem, error) { return scanQuarantine(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list quarantine: %w", err)
	}
	var next *string
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = page.Next(true, page.Cursor{T: last.ReceivedAt, ID: last.ID})
	}
	return out, next, nil
}

// ResolveResult says what resolving did.
type ResolveResult struct {
	// Action is pin_mapped, card_mapped, access_granted or reevaluated.
	Action string
	// Item is the resolved record as it is now.
	Item QuarantineItem
	// Punched and StillQuarantined count the records evaluated again (the
	// item and the device's other records the action concerns).
	Punched          int
	StillQuarantined int
}

// ResolveQuarantine acts on a quarantined record and evaluates it (and the
// device's other open records the action concerns) again. With an unknown
// PIN or card, employeeID is who it is: the PIN becomes that employee's
// PIN on the device (the card theirs). When the employee may not use the
// device, it grants them access to it (employeeID may be omitted). A
// disabled device's records are evaluated again once it is enabled.
// Admins only; the action is audited.
func (s *Service) ResolveQuarantine(ctx context.Context, a org.Actor, id uuid.UUID, employeeID *uuid.UUID) (ResolveResult, error) {
	if err := requireAdmin(a); err != nil {
		return ResolveResult{}, err
	}
	now := s.Now()
	var res ResolveResult
	var d Device
	var scope quarantineScope
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		item, err := scanQuarantine(tx.QueryRow(ctx, `SELECT `+quarantineCols+` FROM device_quarantine q
			LEFT JOIN devices d ON d.tenant_id = q.tenant_id AND d.id = q.device_id WHERE q.tenant_id = $1 AND q.id = $2 FOR UPDATE OF q`,
			a.TenantID, id))
		if err != nil {
			return interpret(err, "quarantined record")
		}
		if item.ResolvedAt != nil {
			return errs.New(errs.Conflict, "already_resolved", "this record was already resolved")
		}
		if d, err = s.getDevice(ctx, tx, a.TenantID, item.DeviceID); err != nil {
			return errs.New(errs.Conflict, "device_deleted", "the device of this record was deleted")
		}
		emp := employeeID
		if emp == nil {
			emp = item.EmployeeID
		}
		needEmp := func() (org.Employee, error) {
			if emp == nil {
				return org.Employee{}, errs.FieldErr("employee_id", "required", "name the employee this record belongs to")
			}
			es, err := s.org.EmployeesByIDs(ctx, a.TenantID, []uuid.UUID{*emp})
			if err != nil {
				return org.Employee{}, err
			}
			if len(es) == 0 {
				return org.Employee{}, errs.FieldErr("employee_id", "unknown_employee", "no such employee")
			}
			if es[0].Status != org.StatusActive {
				return org.Employee{}, errs.FieldErr("employee_id", "employee_left", "the employee has left")
			}
			return es[0], nil
		}
		reason := item.Reason
		if reason == ReasonEmployeeLeft && employeeID != nil && item.EmployeeID != nil && *employeeID != *item.EmployeeID {
			reason = ReasonUnknownPIN // the PIN was reused: it is someone else now
			if item.PIN == "" {
				reason = ReasonUnknownCard
			}
		}
		changes := map[string]any{"quarantine_id": id, "device_id": d.ID, "reason": item.Reason}
		switch reason {
		case ReasonUnknownPIN:
			e, err := needEmp()
			if err != nil {
				return err
			}
			if !usablePIN(item.PIN) {
				return errs.New(errs.Conflict, "cannot_resolve", "this record has no PIN to map")
			}
			if item.PIN != e.EmployeeNo {
				if err := s.setDevicePIN(ctx, tx, a.TenantID, d.ID, item.PIN, e.ID, now); err != nil {
					return err
				}
			}
			res.Action, scope = "pin_mapped", quarantineScope{pins: []string{item.PIN}}
			changes["employee_id"], changes["pin"] = e.ID, item.PIN
		case ReasonUnknownCard:
			e, err := needEmp()
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO employee_cards (tenant_id, employee_id, card_no, created_at) VALUES ($1, $2, $3, $4)`,
				a.TenantID, e.ID, item.Card, now); err != nil {
				return interpret(err, "card")
			}
			if err := touchRoster(ctx, tx, a.TenantID, now, e.ID); err != nil {
				return err
			}
			res.Action, scope = "card_mapped", quarantineScope{cards: []string{item.Card}}
			changes["employee_id"], changes["card"] = e.ID, item.Card
		case ReasonNotPermitted:
			e, err := needEmp()
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO employee_devices (tenant_id, employee_id, device_id) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, a.TenantID, e.ID, d.ID); err != nil {
				return interpret(err, "enrolment")
			}
			if err := touchRoster(ctx, tx, a.TenantID, now, e.ID); err != nil {
				return err
			}
			res.Action, scope = "access_granted", quarantineScope{employee: &e.ID, reasons: []string{ReasonNotPermitted}}
			changes["employee_id"] = e.ID
		case ReasonDeviceDisabled, ReasonEmployeeLeft:
			if reason == ReasonDeviceDisabled && !d.Enabled {
				return errs.New(errs.Conflict, "device_disabled", "enable the device first: its records are evaluated again then")
			}
			res.Action, scope = "reevaluated", quarantineScope{ids: []uuid.UUID{id}}
		default:
			return errs.New(errs.Conflict, "cannot_resolve", "an unreadable record cannot become a punch; its raw text is kept for reference")
		}
		changes["action"] = res.Action
		return org.Audit(ctx, tx, a, now, "quarantine.resolve", "quarantine", id.String(), changes)
	})
	s.idents.clear()
	if err != nil {
		return ResolveResult{}, err
	}
	scope.device = &d.ID
	n, err := s.reevaluate(ctx, a, d, scope)
	if err != nil {
		return res, err
	}
	res.Punched, res.StillQuarantined = n.punched, n.still
	res.Item, err = scanQuarantine(s.pool.QueryRow(ctx, `SELECT `+quarantineCols+` FROM device_quarantine q
		LEFT JOIN devices d ON d.tenant_id = q.tenant_id AND d.id = q.device_id WHERE q.tenant_id = $1 AND q.id = $2`, a.TenantID, id))
	return res, interpret(err, "quarantined record")
}

// ReevaluateQuarantine evaluates every open record again (of one device,
// or of all the tenant's devices): useful after employees were created or
// imported with the numbers their terminals know them by. Admins only.
func (s *Service) ReevaluateQuarantine(ctx context.Context, a org.Actor, deviceID *uuid.UUID) (punched, still int, err error) {
	if err := requireAdmin(a); err != nil {
		return 0, 0, err
	}
	var devs []Device
	if deviceID != nil {
		d, err := s.getDevice(ctx, s.pool, a.TenantID, *deviceID)
		if err != nil {
			return 0, 0, err
		}
		devs = append(devs, d)
	} else {
		rows, err := s.pool.Query(ctx, `SELECT `+deviceCols+deviceFrom+` WHERE d.tenant_id = $1 AND d.deleted_at IS NULL
			AND EXISTS (SELECT 1 FROM device_quarantine q WHERE q.tenant_id = d.tenant_id AND q.device_id = d.id AND q.resolved_at IS NULL)`,
			a.TenantID)
		if err != nil {
			return 0, 0, fmt.Errorf("reevaluate: %w", err)
		}
		if devs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return s.scanDevice(r) }); err != nil {
			return 0, 0, fmt.Errorf("reevaluate: %w", err)
		}
	}
	for _, d := range devs {
		n, err := s.reevaluate(ctx, a, d, quarantineScope{device: &d.ID})
		if err != nil {
			return punched, still, err
		}
		punched, still = punched+n.punched, still+n.still
	}
	return punched, still, nil
}

// quarantineScope selects the open records of a device to evaluate again.
type quarantineScope struct {
	device   *uuid.UUID
	ids      []uuid.UUID
	pins     []string
	cards    []string
	reasons  []string
	employee *uuid.UUID
}

type reevalCount struct{ punched, still int }

// reevaluate runs a device's open quarantined records through ingestion
// again, with the receipt times they first had.
func (s *Service) reevaluate(ctx context.Context, a org.Actor, d Device, sc quarantineScope) (reevalCount, error) {
	args := []any{d.TenantID, d.ID}
	where := "tenant_id = $1 AND device_id = $2 AND resolved_at IS NULL AND reason <> 'unparseable'"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if sc.ids != nil {
		add("id = ANY($%d::uuid[])", sc.ids)
	}
	if sc.pins != nil {
		add("pin = ANY($%d::text[])", sc.pins)
	}
	if sc.cards != nil {
		add("card = ANY($%d::text[])", sc.cards)
	}
	if sc.reasons != nil {
		add("reason = ANY($%d::text[])", sc.reasons)
	}
	if sc.employee != nil {
		add("employee_id = $%d", *sc.employee)
	}
	rows, err := s.pool.Query(ctx, `SELECT record, received_at FROM device_quarantine WHERE `+where+` ORDER BY received_at, id`, args...)
	if err != nil {
		return reevalCount{}, fmt.Errorf("reevaluate: %w", err)
	}
	var recs []Record
	for rows.Next() {
		var raw []byte
		var at time.Time
		if err := rows.Scan(&raw, &at); err != nil {
			rows.Close()
			return reevalCount{}, fmt.Errorf("reevaluate: %w", err)
		}
		var r Record
		if err := json.Unmarshal(raw, &r); err != nil || r.DedupeKey == "" {
			continue
		}
		r.Received = at
		recs = append(recs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return reevalCount{}, fmt.Errorf("reevaluate: %w", err)
	}
	by := a.EmployeeID
	res := &resolution{by: &by, what: "reevaluated"}
	out, err := s.ingest(ctx, d, recs, nil, s.Now(), res)
	var n reevalCount
	for _, o := range out {
		if o.Status == OutcomeQuarantined {
			n.still++
		} else {
			n.punched++
		}
	}
	return n, err
}

// setDevicePIN makes pin the employee's PIN on the device (replacing what
// the PIN meant before).
func (s *Service) setDevicePIN(ctx context.Context, tx pgx.Tx, tenant, device uuid.UUID, pin string, emp uuid.UUID, now time.Time) error {
	s.idents.clear()
	if !pinRe.MatchString(pin) {
		return errs.FieldErr("pin", "invalid_pin", "a terminal PIN is 1–32 letters or digits")
	}
	var prev *uuid.UUID
	_ = tx.QueryRow(ctx, `SELECT employee_id FROM device_pins WHERE tenant_id = $1 AND device_id = $2 AND pin = $3`,
		tenant, device, pin).Scan(&prev)
	if _, err := tx.Exec(ctx, `INSERT INTO device_pins (tenant_id, device_id, pin, employee_id, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (tenant_id, device_id, pin) DO UPDATE SET employee_id = EXCLUDED.employee_id, created_at = EXCLUDED.created_at`,
		tenant, device, pin, emp, now); err != nil {
		return interpret(err, "device PIN")
	}
	ids := []uuid.UUID{emp}
	if prev != nil && *prev != emp {
		ids = append(ids, *prev)
	}
	return touchRoster(ctx, tx, tenant, now, ids...)
}

// touchRoster marks employees' roster entries as changed (native terminals
// fetch them in their next delta).
func touchRoster(ctx context.Context, tx pgx.Tx, tenant uuid.UUID, now time.Time, ids ...uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO terminal_roster_changes (tenant_id, employee_id, changed_at) SELECT $1, unnest($2::uuid[]), $3
		ON CONFLICT (tenant_id, employee_id) DO UPDATE SET changed_at = EXCLUDED.changed_at`, tenant, ids, now)
	if err != nil {
		return fmt.Errorf("roster change: %w", err)
	}
	return nil
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}
