package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/devices/zkadms"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

var (
	pinRe  = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
	cardRe = regexp.MustCompile(`^[A-Za-z0-9]{1,32}$`)
)

// DevicePIN is an employee's PIN on one device.
type DevicePIN struct {
	DeviceID uuid.UUID
	PIN      string
}

// AccessDevice is a device an employee may use, with how and by which PIN.
type AccessDevice struct {
	DeviceID uuid.UUID
	Name     string
	Serial   string
	Protocol Protocol
	SiteID   uuid.UUID
	PIN      string
	// Via is site (the employee may punch at the device's site) or
	// enrolment (explicitly enrolled on the device or its site).
	Via string
}

// Access is an employee's terminal access.
type Access struct {
	EmployeeID uuid.UUID
	// DeviceIDs and SiteIDs are the explicit enrolments.
	DeviceIDs []uuid.UUID
	SiteIDs   []uuid.UUID
	// PINs are device-specific PINs (elsewhere the PIN is the employee_no).
	PINs []DevicePIN
	// Devices are all the devices the employee may use now.
	Devices []AccessDevice
}

// AccessInput changes an employee's enrolments; nil fields are left alone.
type AccessInput struct {
	DeviceIDs *[]uuid.UUID
	SiteIDs   *[]uuid.UUID
	PINs      *[]DevicePIN
}

// enrolment is an employee's explicit enrolments and device PINs.
type enrolment struct {
	devices map[uuid.UUID]bool
	sites   map[uuid.UUID]bool
	pins    map[uuid.UUID]string // device → newest PIN
	allPINs []DevicePIN
}

func (e enrolment) permits(emp org.Employee, d Device) bool {
	return emp.ID != uuid.Nil && emp.Status == org.StatusActive &&
		(emp.PermittedAt(d.SiteID) || e.devices[d.ID] || e.sites[d.SiteID])
}

// pin is the employee's PIN on d.
func (e enrolment) pin(emp org.Employee, d Device) string {
	if p, ok := e.pins[d.ID]; ok {
		return p
	}
	return emp.EmployeeNo
}

func loadEnrolment(ctx context.Context, q querier, tenant, emp uuid.UUID) (enrolment, error) {
	en := enrolment{devices: map[uuid.UUID]bool{}, sites: map[uuid.UUID]bool{}, pins: map[uuid.UUID]string{}}
	rows, err := q.Query(ctx, `SELECT 'device', device_id, '' FROM employee_devices WHERE tenant_id = $1 AND employee_id = $2
		UNION ALL SELECT 'site', site_id, '' FROM employee_device_sites WHERE tenant_id = $1 AND employee_id = $2
		UNION ALL (SELECT 'pin', device_id, pin FROM device_pins WHERE tenant_id = $1 AND employee_id = $2 ORDER BY created_at)`,
		tenant, emp)
	if err != nil {
		return en, fmt.Errorf("enrolment: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, pin string
		var id uuid.UUID
		if err := rows.Scan(&kind, &id, &pin); err != nil {
			return en, fmt.Errorf("enrolment: %w", err)
		}
		switch kind {
		case "device":
			en.devices[id] = true
		case "site":
			en.sites[id] = true
		case "pin":
			en.pins[id] = pin // ordered by created_at: the newest wins
			en.allPINs = append(en.allPINs, DevicePIN{DeviceID: id, PIN: pin})
		}
	}
	return en, rows.Err()
}

// tenantDevices lists the live devices of a tenant (optionally of one
// protocol).
func (s *Service) tenantDevices(ctx context.Context, q querier, tenant uuid.UUID, p *Protocol) ([]Device, error) {
	args := []any{tenant}
	where := "d.tenant_id = $1 AND d.deleted_at IS NULL"
	if p != nil {
		args = append(args, string(*p))
		where += " AND d.protocol = $2"
	}
	rows, err := q.Query(ctx, `SELECT `+deviceCols+deviceFrom+` WHERE `+where+` ORDER BY d.created_at, d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return s.scanDevice(r) })
	if err != nil {
		return nil, fmt.Errorf("devices: %w", err)
	}
	return out, nil
}

// GetAccess returns an employee's terminal access. Admins only.
func (s *Service) GetAccess(ctx context.Context, a org.Actor, emp uuid.UUID) (Access, error) {
	if err := requireAdmin(a); err != nil {
		return Access{}, err
	}
	e, err := s.org.GetEmployee(ctx, a, emp)
	if err != nil {
		return Access{}, err
	}
	return s.access(ctx, s.pool, e)
}

func (s *Service) access(ctx context.Context, q querier, e org.Employee) (Access, error) {
	en, err := loadEnrolment(ctx, q, e.TenantID, e.ID)
	if err != nil {
		return Access{}, err
	}
	devs, err := s.tenantDevices(ctx, q, e.TenantID, nil)
	if err != nil {
		return Access{}, err
	}
	out := Access{EmployeeID: e.ID, DeviceIDs: sortedIDs(en.devices), SiteIDs: sortedIDs(en.sites), PINs: en.allPINs,
		Devices: []AccessDevice{}}
	if out.PINs == nil {
		out.PINs = []DevicePIN{}
	}
	for _, d := range devs {
		if !en.permits(e, d) {
			continue
		}
		via := "enrolment"
		if e.PermittedAt(d.SiteID) {
			via = "site"
		}
		out.Devices = append(out.Devices, AccessDevice{DeviceID: d.ID, Name: d.Name, Serial: d.Serial, Protocol: d.Protocol,
			SiteID: d.SiteID, PIN: en.pin(e, d), Via: via})
	}
	return out, nil
}

func sortedIDs(m map[uuid.UUID]bool) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// SetAccess changes an employee's enrolments and device PINs. ZK devices
// the employee gains get their user record, those lost a delete, and
// records quarantined because the employee was not permitted are evaluated
// again. Admins only; audited.
func (s *Service) SetAccess(ctx context.Context, a org.Actor, emp uuid.UUID, in AccessInput) (Access, error) {
	if err := requireAdmin(a); err != nil {
		return Access{}, err
	}
	e, err := s.org.GetEmployee(ctx, a, emp)
	if err != nil {
		return Access{}, err
	}
	now := s.Now()
	var out Access
	var gained []Device
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := loadEnrolment(ctx, tx, a.TenantID, emp)
		if err != nil {
			return err
		}
		devs, err := s.tenantDevices(ctx, tx, a.TenantID, nil)
		if err != nil {
			return err
		}
		byID := map[uuid.UUID]Device{}
		for _, d := range devs {
			byID[d.ID] = d
		}
		var f errs.Fields
		if in.DeviceIDs != nil {
			for i, id := range *in.DeviceIDs {
				if _, ok := byID[id]; !ok {
					f.Add(fmt.Sprintf("device_ids[%d]", i), "unknown_device", "no such device")
				}
			}
		}
		if in.PINs != nil {
			seen := map[uuid.UUID]bool{}
			for i, p := range *in.PINs {
				if _, ok := byID[p.DeviceID]; !ok {
					f.Add(fmt.Sprintf("pins[%d].device_id", i), "unknown_device", "no such device")
				}
				if !pinRe.MatchString(p.PIN) {
					f.Add(fmt.Sprintf("pins[%d].pin", i), "invalid_pin", "a terminal PIN is 1–32 letters or digits")
				}
				if seen[p.DeviceID] {
					f.Add(fmt.Sprintf("pins[%d].device_id", i), "duplicate_device", "one PIN per device")
				}
				seen[p.DeviceID] = true
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if in.SiteIDs != nil {
			for _, site := range *in.SiteIDs {
				if err := checkSite(ctx, tx, a.TenantID, site); err != nil {
					return errs.FieldErr("site_ids", "unknown_site", "one or more sites do not exist")
				}
			}
		}
		if in.DeviceIDs != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM employee_devices WHERE tenant_id = $1 AND employee_id = $2`, a.TenantID, emp); err != nil {
				return fmt.Errorf("set access: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO employee_devices (tenant_id, employee_id, device_id)
				SELECT DISTINCT $1::uuid, $2::uuid, unnest($3::uuid[])`, a.TenantID, emp, *in.DeviceIDs); err != nil {
				return interpret(err, "enrolment")
			}
		}
		if in.SiteIDs != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM employee_device_sites WHERE tenant_id = $1 AND employee_id = $2`, a.TenantID, emp); err != nil {
				return fmt.Errorf("set access: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO employee_device_sites (tenant_id, employee_id, site_id)
				SELECT DISTINCT $1::uuid, $2::uuid, unnest($3::uuid[])`, a.TenantID, emp, *in.SiteIDs); err != nil {
				return interpret(err, "enrolment")
			}
		}
		if in.PINs != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM device_pins WHERE tenant_id = $1 AND employee_id = $2`, a.TenantID, emp); err != nil {
				return fmt.Errorf("set access: %w", err)
			}
			for _, p := range *in.PINs {
				if p.PIN == e.EmployeeNo {
					continue
				}
				if err := s.setDevicePIN(ctx, tx, a.TenantID, p.DeviceID, p.PIN, emp, now); err != nil {
					return err
				}
			}
		}
		after, err := loadEnrolment(ctx, tx, a.TenantID, emp)
		if err != nil {
			return err
		}
		for _, d := range devs {
			was, is := before.permits(e, d), after.permits(e, d)
			if is && !was {
				gained = append(gained, d)
			}
			if d.Protocol != ProtocolZKTeco {
				continue
			}
			if err := s.queueUserChange(ctx, tx, d, e, e, before, after, now); err != nil {
				return err
			}
		}
		if err := touchRoster(ctx, tx, a.TenantID, now, emp); err != nil {
			return err
		}
		if out, err = s.access(ctx, tx, e); err != nil {
			return err
		}
		changes := map[string]any{}
		if in.DeviceIDs != nil {
			changes["device_ids"] = map[string]any{"from": sortedIDs(before.devices), "to": out.DeviceIDs}
		}
		if in.SiteIDs != nil {
			changes["site_ids"] = map[string]any{"from": sortedIDs(before.sites), "to": out.SiteIDs}
		}
		if in.PINs != nil {
			changes["pins"] = map[string]any{"from": before.allPINs, "to": out.PINs}
		}
		return org.Audit(ctx, tx, a, now, "employee.devices.update", "employee", emp.String(), changes)
	})
	s.idents.clear()
	if err != nil {
		return Access{}, err
	}
	for _, d := range gained {
		if _, err := s.reevaluate(ctx, a, d, quarantineScope{employee: &emp, reasons: []string{ReasonNotPermitted}}); err != nil {
			return out, err
		}
	}
	if in.PINs != nil {
		for _, p := range *in.PINs {
			d, err := s.getDevice(ctx, s.pool, a.TenantID, p.DeviceID)
			if err != nil {
				continue
			}
			if _, err := s.reevaluate(ctx, a, d, quarantineScope{pins: []string{p.PIN}}); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// queueUserChange queues what a ZK device needs after an employee or their
// enrolment changed: a delete of the user the device no longer should have
// (permission lost, PIN changed) and an update when the user record (PIN,
// name, card) changed or the employee is new to the device.
func (s *Service) queueUserChange(ctx context.Context, tx pgx.Tx, d Device, before, after org.Employee, enBefore, enAfter enrolment,
	now time.Time) error {
	was, is := enBefore.permits(before, d), enAfter.permits(after, d)
	oldPIN, newPIN := enBefore.pin(before, d), enAfter.pin(after, d)
	if was && (!is || oldPIN != newPIN) && pinRe.MatchString(oldPIN) {
		if _, err := s.enqueue(ctx, tx, d, Command{Kind: CmdUserDelete, Args: CommandArgs{PIN: oldPIN}, EmployeeID: &after.ID}, nil, now); err != nil {
			return err
		}
	}
	if !is {
		return nil
	}
	if was && oldPIN == newPIN && before.Name == after.Name && cardOf(before) == cardOf(after) {
		return nil // the device's record is already right
	}
	c, ok := userCommand(after, newPIN)
	if !ok {
		s.log.Warn("terminal user not pushed: PIN or card not representable on ZKTeco", "device", d.ID, "employee", after.ID, "pin", newPIN)
		return nil
	}
	_, err := s.enqueue(ctx, tx, d, c, nil, now)
	return err
}

func cardOf(e org.Employee) string {
	if e.CardNo == nil {
		return ""
	}
	return *e.CardNo
}

// userCommand is the user_update that makes the device's user record
// match the employee, if the device can hold it.
func userCommand(e org.Employee, pin string) (Command, bool) {
	c := Command{Kind: CmdUserUpdate, EmployeeID: &e.ID, Args: CommandArgs{PIN: pin, Name: zkadms.SanitizeName(e.Name), Card: cardOf(e)}}
	if !pinRe.MatchString(pin) {
		return c, false
	}
	c.CmdID = "1"
	if _, err := c.ZK(); err != nil {
		c.Args.Card = "" // an odd card must not keep the employee off the device
		if _, err := c.ZK(); err != nil {
			return c, false
		}
	}
	c.CmdID = ""
	return c, true
}

// employeeChanged is the org hook: inside the transaction that created or
// changed an employee, it queues DATA UPDATE USERINFO / DATA DELETE
// USERINFO for every ZK device the employee may use (or could before).
// It never fails the employee change for a device reason.
func (s *Service) employeeChanged(ctx context.Context, tx pgx.Tx, before, after org.Employee) error {
	s.idents.clear()
	if before.ID != uuid.Nil && before.Name == after.Name && before.EmployeeNo == after.EmployeeNo &&
		before.Status == after.Status && cardOf(before) == cardOf(after) && before.AllSites == after.AllSites &&
		slices.Equal(before.SiteIDs, after.SiteIDs) {
		return nil
	}
	p := ProtocolZKTeco
	devs, err := s.tenantDevices(ctx, tx, after.TenantID, &p)
	if err != nil || len(devs) == 0 {
		return err
	}
	en, err := loadEnrolment(ctx, tx, after.TenantID, after.ID)
	if err != nil {
		return err
	}
	now := s.Now()
	for _, d := range devs {
		if err := s.queueUserChange(ctx, tx, d, before, after, en, en, now); err != nil {
			return err
		}
	}
	return nil
}

// syncUsers queues a user_update for every employee who may use d, in a
// few statements whatever their number.
func (s *Service) syncUsers(ctx context.Context, tx pgx.Tx, d Device, by *uuid.UUID, now time.Time) ([]Command, error) {
	enrolled, err := s.enrolledOn(ctx, tx, d)
	if err != nil {
		return nil, err
	}
	var cmds []Command
	after := ""
	for {
		es, err := s.org.TerminalRoster(ctx, d.TenantID, org.TerminalRosterQuery{SiteID: &d.SiteID, IDs: enrolled, AfterNo: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		pins, err := devicePINs(ctx, tx, d)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.Status != org.StatusActive {
				continue
			}
			pin := e.EmployeeNo
			if p, ok := pins[e.ID]; ok {
				pin = p
			}
			if c, ok := userCommand(e, pin); ok {
				cmds = append(cmds, c)
			}
		}
		if len(es) < 1000 {
			break
		}
		after = es[len(es)-1].EmployeeNo
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	var first int64
	if err := tx.QueryRow(ctx, `UPDATE devices SET next_cmd = next_cmd + $3 WHERE tenant_id = $1 AND id = $2 RETURNING next_cmd - $3`,
		d.TenantID, d.ID, len(cmds)).Scan(&first); err != nil {
		return nil, fmt.Errorf("sync users: %w", err)
	}
	ids := make([]uuid.UUID, len(cmds))
	cmdIDs := make([]string, len(cmds))
	args := make([]string, len(cmds))
	emps := make([]uuid.UUID, len(cmds))
	pins := make([]string, len(cmds))
	for i := range cmds {
		ids[i], _ = uuid.NewV7()
		cmds[i].ID, cmds[i].DeviceID, cmds[i].State, cmds[i].CreatedAt = ids[i], d.ID, StateQueued, now
		cmds[i].CmdID = strconv.FormatInt(first+int64(i), 10)
		b, _ := json.Marshal(cmds[i].Args)
		cmdIDs[i], args[i], emps[i], pins[i] = cmds[i].CmdID, string(b), *cmds[i].EmployeeID, cmds[i].Args.PIN
	}
	if _, err := tx.Exec(ctx, `UPDATE device_commands SET state = 'cancelled', finished_at = $4
		WHERE tenant_id = $1 AND device_id = $2 AND state = 'queued' AND kind IN ('user_update', 'user_delete') AND args->>'pin' = ANY($3::text[])`,
		d.TenantID, d.ID, pins, now); err != nil {
		return nil, fmt.Errorf("sync users: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO device_commands (tenant_id, id, device_id, cmd_id, kind, args, employee_id, state, created_by, created_at)
		SELECT $1, u.id, $2, u.cmd_id, 'user_update', u.args::jsonb, u.emp, 'queued', $3, $4
		FROM unnest($5::uuid[], $6::text[], $7::text[], $8::uuid[]) AS u(id, cmd_id, args, emp)`,
		d.TenantID, d.ID, by, now, ids, cmdIDs, args, emps); err != nil {
		return nil, interpret(err, "command")
	}
	s.cache.forget(d)
	return cmds, nil
}

// enrolledOn lists the employees explicitly enrolled on d or its site.
func (s *Service) enrolledOn(ctx context.Context, q querier, d Device) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT employee_id FROM employee_devices WHERE tenant_id = $1 AND device_id = $2
		UNION SELECT employee_id FROM employee_device_sites WHERE tenant_id = $1 AND site_id = $3`, d.TenantID, d.ID, d.SiteID)
	if err != nil {
		return nil, fmt.Errorf("enrolled: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("enrolled: %w", err)
	}
	return ids, nil
}

// devicePINs maps employees to their newest device-specific PIN on d.
func devicePINs(ctx context.Context, q querier, d Device) (map[uuid.UUID]string, error) {
	rows, err := q.Query(ctx, `SELECT employee_id, pin FROM device_pins WHERE tenant_id = $1 AND device_id = $2 ORDER BY created_at`,
		d.TenantID, d.ID)
	if err != nil {
		return nil, fmt.Errorf("device pins: %w", err)
	}
	defer rows.Close()
	out := map[uuid.UUID]string{}
	for rows.Next() {
		var id uuid.UUID
		var pin string
		if err := rows.Scan(&id, &pin); err != nil {
			return nil, fmt.Errorf("device pins: %w", err)
		}
		out[id] = pin
	}
	return out, rows.Err()
}

// Cards returns an employee's terminal cards (beyond employees.card_no).
// Admins only.
func (s *Service) Cards(ctx context.Context, a org.Actor, emp uuid.UUID) ([]string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if _, err := s.org.GetEmployee(ctx, a, emp); err != nil {
		return nil, err
	}
	return cardsOf(ctx, s.pool, a.TenantID, emp)
}

func cardsOf(ctx context.Context, q querier, tenant, emp uuid.UUID) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT card_no FROM employee_cards WHERE tenant_id = $1 AND employee_id = $2 ORDER BY created_at, card_no`,
		tenant, emp)
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	if out == nil {
		out = []string{}
	}
	return out, nil
}

// SetCards replaces an employee's terminal cards; records quarantined for
// these unknown cards are evaluated again. Admins only; audited.
func (s *Service) SetCards(ctx context.Context, a org.Actor, emp uuid.UUID, cards []string) ([]string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, err
	}
	if _, err := s.org.GetEmployee(ctx, a, emp); err != nil {
		return nil, err
	}
	var f errs.Fields
	clean := make([]string, 0, len(cards))
	for i, c := range cards {
		c = strings.TrimSpace(c)
		if !cardRe.MatchString(c) {
			f.Add(fmt.Sprintf("cards[%d]", i), "invalid_card_no", "use 1–32 letters or digits")
		}
		if !slices.Contains(clean, c) {
			clean = append(clean, c)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now()
	var out []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := cardsOf(ctx, tx, a.TenantID, emp)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM employee_cards WHERE tenant_id = $1 AND employee_id = $2`, a.TenantID, emp); err != nil {
			return fmt.Errorf("set cards: %w", err)
		}
		for _, c := range clean {
			if _, err := tx.Exec(ctx, `INSERT INTO employee_cards (tenant_id, employee_id, card_no, created_at) VALUES ($1, $2, $3, $4)`,
				a.TenantID, emp, c, now); err != nil {
				return interpret(err, "card")
			}
		}
		if err := touchRoster(ctx, tx, a.TenantID, now, emp); err != nil {
			return err
		}
		if out, err = cardsOf(ctx, tx, a.TenantID, emp); err != nil {
			return err
		}
		return org.Audit(ctx, tx, a, now, "employee.cards.update", "employee", emp.String(),
			map[string]any{"cards": map[string]any{"from": before, "to": out}})
	})
	s.idents.clear()
	if err != nil {
		return nil, err
	}
	if len(clean) > 0 {
		devs, err := s.tenantDevices(ctx, s.pool, a.TenantID, nil)
		if err != nil {
			return out, err
		}
		for _, d := range devs {
			if _, err := s.reevaluate(ctx, a, d, quarantineScope{cards: clean, reasons: []string{ReasonUnknownCard}}); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
