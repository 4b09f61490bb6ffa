package devices

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// Protocol is how a terminal talks to the server.
type Protocol string

// The protocols.
const (
	ProtocolDaka      Protocol = "daka"
	ProtocolZKTeco    Protocol = "zkteco-adms"
	ProtocolHikvision Protocol = "hikvision-isapi"
)

// Valid reports whether p is a known protocol.
func (p Protocol) Valid() bool {
	return p == ProtocolDaka || p == ProtocolZKTeco || p == ProtocolHikvision
}

// DirectionMap says which status codes (ZKTeco punch states, Hikvision
// attendanceStatus values) and which doors mean in and which out, and what
// a record that names neither is taken as.
type DirectionMap struct {
	// Status maps a status ("0".."5", "255", or checkIn, breakOut, ...) to
	// "in" or "out". Missing entries use the factory meanings (0 check-in,
	// 1 check-out, 2 break-out, 3 break-in, 4 overtime-in, 5 overtime-out).
	Status map[string]string `json:"status,omitempty"`
	// Doors maps a door or reader number to "in" or "out" (turnstiles:
	// door 1 in, door 2 out).
	Doors map[string]string `json:"doors,omitempty"`
	// Default is "in" or "out" for records nothing else decides (status 255,
	// "undefined"). Default "in"; such punches carry a direction_unknown
	// signal.
	Default string `json:"default,omitempty"`
}

// factoryStatus are ZKTeco's factory punch states and Hikvision's
// attendanceStatus values.
var factoryStatus = map[string]string{
	"0": attendance.KindIn, "1": attendance.KindOut, "2": attendance.KindOut, "3": attendance.KindIn,
	"4": attendance.KindIn, "5": attendance.KindOut,
	"checkin": attendance.KindIn, "checkout": attendance.KindOut, "breakin": attendance.KindIn,
	"breakout": attendance.KindOut, "overtimein": attendance.KindIn, "overtimeout": attendance.KindOut,
}

// Validate checks that every value is in or out.
func (m DirectionMap) Validate() error {
	var f errs.Fields
	ok := func(v string) bool { return v == attendance.KindIn || v == attendance.KindOut }
	for k, v := range m.Status {
		if !ok(v) || k == "" || len(k) > 32 {
			f.Add("direction_map.status."+k, "invalid_direction", "use in or out")
		}
	}
	for k, v := range m.Doors {
		if _, err := strconv.Atoi(k); err != nil || !ok(v) {
			f.Add("direction_map.doors."+k, "invalid_direction", "keys are door numbers, values in or out")
		}
	}
	if m.Default != "" && !ok(m.Default) {
		f.Add("direction_map.default", "invalid_direction", "use in or out")
	}
	return f.Err()
}

// Direction decides in or out for a record: its status (ZK punch state or
// Hikvision attendanceStatus; "" when it has none), then its door (0 when
// unknown), then the default. known is false when only the default decided.
func (m DirectionMap) Direction(status string, door int) (kind string, known bool) {
	if status != "" {
		if v, ok := m.Status[status]; ok {
			return v, true
		}
		if v, ok := factoryStatus[strings.ToLower(status)]; ok {
			return v, true
		}
	}
	if door > 0 {
		if v, ok := m.Doors[strconv.Itoa(door)]; ok {
			return v, true
		}
	}
	if m.Default != "" {
		return m.Default, false
	}
	return attendance.KindIn, false
}

// Device is a registered terminal.
type Device struct {
	ID           uuid.UUID
	TenantID     uuid.UUID
	Serial       string
	Protocol     Protocol
	SiteID       uuid.UUID
	SiteName     string
	Timezone     string
	Name         string
	Model        string
	DirectionMap DirectionMap
	Enabled      bool
	ActivatedAt  *time.Time
	Firmware     string
	IP           string
	PushVersion  string
	Info         map[string]string
	UserCount    *int
	PunchCount   *int
	FPCount      *int
	FaceCount    *int
	// ClockOffset is the device clock minus the server clock, as last
	// measured (native) or estimated (push protocols).
	ClockOffset       *time.Duration
	ClockMeasuredAt   *time.Time
	LastSeenAt        *time.Time
	PendingCommands   int
	RosterResetAt     time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
	keyEnc            []byte
	hasToken          bool
	loc               *time.Location
	Online            bool
	PendingActivation bool
}

// Location is the device's time zone (UTC if its name does not load).
func (d Device) Location() *time.Location {
	if d.loc != nil {
		return d.loc
	}
	if l, err := time.LoadLocation(d.Timezone); err == nil {
		return l
	}
	return time.UTC
}

// Registration is a device as an admin registers it; as a patch, nil fields
// are left alone.
type Registration struct {
	Serial       *string
	Protocol     *Protocol
	SiteID       *uuid.UUID
	Timezone     *string
	Name         *string
	Model        *string
	DirectionMap *DirectionMap
}

// Credentials are the secrets shown once when a device is registered or
// its credential rotated.
type Credentials struct {
	// ActivationCode and QRPayload (native devices) are redeemed with
	// POST /v1/devices/activate; ActivationExpiresAt bounds them.
	ActivationCode      string
	QRPayload           string
	ActivationExpiresAt *time.Time
	// Token (Hikvision) is the secret path segment of /hik/events/{token}.
	Token string
}

var serialRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

func (r Registration) apply(d *Device, creating bool) error {
	var f errs.Fields
	if r.Serial != nil {
		v := strings.TrimSpace(*r.Serial)
		if !serialRe.MatchString(v) {
			f.Add("serial", "invalid_serial", "use 1–64 letters, digits, '_' or '-'")
		}
		d.Serial = v
	} else if creating {
		f.Add("serial", "required", "the serial number is required")
	}
	if r.Protocol != nil {
		if !r.Protocol.Valid() {
			f.Add("protocol", "invalid_protocol", "protocol must be daka, zkteco-adms or hikvision-isapi")
		}
		if !creating && *r.Protocol != d.Protocol {
			f.Add("protocol", "immutable", "the protocol of a registered device cannot change; register it again")
		}
		d.Protocol = *r.Protocol
	} else if creating {
		f.Add("protocol", "required", "the protocol is required")
	}
	if r.SiteID != nil {
		d.SiteID = *r.SiteID
	} else if creating {
		f.Add("site_id", "required", "the site is required")
	}
	if r.Timezone != nil {
		l, err := time.LoadLocation(*r.Timezone)
		if err != nil || *r.Timezone == "" || strings.EqualFold(*r.Timezone, "local") {
			f.Add("timezone", "invalid_timezone", "not an IANA time zone name such as Asia/Shanghai")
		}
		d.Timezone, d.loc = *r.Timezone, l
	} else if creating {
		f.Add("timezone", "required", "the device's time zone is required: its times are local wall times")
	}
	if r.Name != nil {
		v := strings.TrimSpace(*r.Name)
		if len([]rune(v)) > 200 || strings.ContainsFunc(v, isControl) {
			f.Add("name", "invalid_name", "use at most 200 printable characters")
		}
		d.Name = v
	}
	if r.Model != nil {
		v := strings.TrimSpace(*r.Model)
		if len([]rune(v)) > 100 || strings.ContainsFunc(v, isControl) {
			f.Add("model", "invalid_model", "use at most 100 printable characters")
		}
		d.Model = v
	}
	if r.DirectionMap != nil {
		if err := r.DirectionMap.Validate(); err != nil {
			ee, _ := errs.As(err)
			f = append(f, ee.Fields...)
		}
		d.DirectionMap = *r.DirectionMap
	}
	return f.Err()
}

func isControl(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

const deviceCols = `d.tenant_id, d.id, d.serial, d.protocol, d.site_id, coalesce(s.name, ''), d.timezone, d.name, d.model,
	d.direction_map, d.enabled, d.activated_at, d.firmware, d.ip, d.push_version, d.info, d.user_count, d.punch_count,
	d.fp_count, d.face_count, d.clock_offset_ms, d.clock_measured_at, d.last_seen_at, d.roster_reset_at, d.created_at,
	d.updated_at, d.key_enc, d.token_hash IS NOT NULL,
	(SELECT count(*) FROM device_commands c WHERE c.tenant_id = d.tenant_id AND c.device_id = d.id AND c.state IN ('queued', 'sent')),
	EXISTS (SELECT 1 FROM device_activation_codes a WHERE a.tenant_id = d.tenant_id AND a.device_id = d.id AND a.used_at IS NULL)`

const deviceFrom = ` FROM devices d LEFT JOIN sites s ON s.tenant_id = d.tenant_id AND s.id = d.site_id`

func (s *Service) scanDevice(r pgx.Row) (Device, error) {
	var d Device
	var dm, info []byte
	var off *int64
	var pending int64
	err := r.Scan(&d.TenantID, &d.ID, &d.Serial, &d.Protocol, &d.SiteID, &d.SiteName, &d.Timezone, &d.Name, &d.Model, &dm,
		&d.Enabled, &d.ActivatedAt, &d.Firmware, &d.IP, &d.PushVersion, &info, &d.UserCount, &d.PunchCount, &d.FPCount,
		&d.FaceCount, &off, &d.ClockMeasuredAt, &d.LastSeenAt, &d.RosterResetAt, &d.CreatedAt, &d.UpdatedAt, &d.keyEnc,
		&d.hasToken, &pending, &d.PendingActivation)
	if err != nil {
		return d, err
	}
	d.PendingCommands = int(pending)
	if off != nil {
		v := time.Duration(*off) * time.Millisecond
		d.ClockOffset = &v
	}
	if err := json.Unmarshal(dm, &d.DirectionMap); err != nil {
		return d, fmt.Errorf("device direction map: %w", err)
	}
	if err := json.Unmarshal(info, &d.Info); err != nil {
		return d, fmt.Errorf("device info: %w", err)
	}
	if l, err := time.LoadLocation(d.Timezone); err == nil {
		d.loc = l
	}
	d.Online = d.LastSeenAt != nil && s.o.Now().Sub(*d.LastSeenAt) <= s.o.OnlineWindow
	return d, nil
}

func (s *Service) getDevice(ctx context.Context, q querier, tenant, id uuid.UUID) (Device, error) {
	d, err := s.scanDevice(q.QueryRow(ctx, `SELECT `+deviceCols+deviceFrom+
		` WHERE d.tenant_id = $1 AND d.id = $2 AND d.deleted_at IS NULL`, tenant, id))
	return d, interpret(err, "device")
}

// checkSite verifies that site is a live site of the tenant.
func checkSite(ctx context.Context, q querier, tenant, site uuid.UUID) error {
	var ok bool
	if err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sites WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL)`,
		tenant, site).Scan(&ok); err != nil {
		return fmt.Errorf("check site: %w", err)
	}
	if !ok {
		return errs.FieldErr("site_id", "unknown_site", "no such site")
	}
	return nil
}

// CreateDevice registers a terminal. Admins only. Native devices get an
// activation code, Hikvision devices their URL token; both are shown once.
func (s *Service) CreateDevice(ctx context.Context, a org.Actor, r Registration) (Device, Credentials, error) {
	if err := requireAdmin(a); err != nil {
		return Device{}, Credentials{}, err
	}
	id, _ := uuid.NewV7()
	d := Device{ID: id, TenantID: a.TenantID, Enabled: true}
	if err := r.apply(&d, true); err != nil {
		return Device{}, Credentials{}, err
	}
	now := s.Now()
	var out Device
	var cred Credentials
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, cred, err = s.insertDevice(ctx, tx, a, d, now)
		return err
	})
	if err != nil {
		return Device{}, Credentials{}, err
	}
	return out, cred, nil
}

func (s *Service) insertDevice(ctx context.Context, tx pgx.Tx, a org.Actor, d Device, now time.Time) (Device, Credentials, error) {
	if err := checkSite(ctx, tx, a.TenantID, d.SiteID); err != nil {
		return Device{}, Credentials{}, err
	}
	dm, _ := json.Marshal(d.DirectionMap)
	// roster_reset_at starts at the epoch: a device's first roster is full
	// anyway (it sends no since), only a later change of site forces one.
	_, err := tx.Exec(ctx, `INSERT INTO devices (tenant_id, id, serial, protocol, site_id, timezone, name, model, direction_map,
		roster_reset_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'epoch', $10, $10)`,
		a.TenantID, d.ID, d.Serial, d.Protocol, d.SiteID, d.Timezone, d.Name, d.Model, dm, now)
	if err != nil {
		return Device{}, Credentials{}, interpret(err, "device")
	}
	cred, err := s.issueCredential(ctx, tx, a.TenantID, d, now)
	if err != nil {
		return Device{}, Credentials{}, err
	}
	out, err := s.getDevice(ctx, tx, a.TenantID, d.ID)
	if err != nil {
		return Device{}, Credentials{}, err
	}
	s.cache.forget(out)
	return out, cred, org.Audit(ctx, tx, a, now, "device.create", "device", d.ID.String(), map[string]any{
		"serial": d.Serial, "protocol": d.Protocol, "site_id": d.SiteID, "timezone": d.Timezone, "name": d.Name,
		"model": d.Model, "direction_map": d.DirectionMap})
}

// issueCredential makes the device's secret for its protocol: a fresh
// activation code (native; the previous signing key stops working) or URL
// token (Hikvision). ZKTeco devices have none: ADMS has no device auth.
func (s *Service) issueCredential(ctx context.Context, tx pgx.Tx, tenant uuid.UUID, d Device, now time.Time) (Credentials, error) {
	switch d.Protocol {
	case ProtocolDaka:
		code := activationCode()
		exp := now.Add(s.o.ActivationTTL)
		if _, err := tx.Exec(ctx, `UPDATE device_activation_codes SET used_at = $3 WHERE tenant_id = $1 AND device_id = $2 AND used_at IS NULL`,
			tenant, d.ID, now); err != nil {
			return Credentials{}, fmt.Errorf("activation code: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE devices SET key_enc = NULL, activated_at = NULL WHERE tenant_id = $1 AND id = $2`,
			tenant, d.ID); err != nil {
			return Credentials{}, fmt.Errorf("activation code: %w", err)
		}
		aid, _ := uuid.NewV7()
		if _, err := tx.Exec(ctx, `INSERT INTO device_activation_codes (tenant_id, id, device_id, code_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, tenant, aid, d.ID, hashCode(code), now, exp); err != nil {
			return Credentials{}, fmt.Errorf("activation code: %w", err)
		}
		q := url.Values{"code": {strings.ReplaceAll(code, "-", "")}, "device": {d.ID.String()}}
		if s.o.PublicURL != "" {
			q.Set("server", s.o.PublicURL)
		}
		return Credentials{ActivationCode: code, QRPayload: "daka://terminal/activate?" + q.Encode(), ActivationExpiresAt: &exp}, nil
	case ProtocolHikvision:
		tok := randomToken()
		if _, err := tx.Exec(ctx, `UPDATE devices SET token_hash = $3 WHERE tenant_id = $1 AND id = $2`, tenant, d.ID, hashToken(tok)); err != nil {
			return Credentials{}, fmt.Errorf("device token: %w", err)
		}
		return Credentials{Token: tok}, nil
	}
	return Credentials{}, nil
}

// activationCode is 60 random bits as 12 characters of an alphabet without
// look-alikes, grouped in fours for reading aloud.
func activationCode() string {
	const alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// hashCode hashes an activation code in its canonical form (upper case,
// no dashes or spaces) so "k7qh-m2xd" and "K7QHM2XD" are the same code.
func hashCode(code string) []byte {
	c := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	h := sha256.Sum256([]byte("daka-device-activation\x00" + c))
	return h[:]
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// GetDevice returns one of the tenant's devices. Admins only.
func (s *Service) GetDevice(ctx context.Context, a org.Actor, id uuid.UUID) (Device, error) {
	if err := requireAdmin(a); err != nil {
		return Device{}, err
	}
	return s.getDevice(ctx, s.pool, a.TenantID, id)
}

// DeviceFilter narrows ListDevices.
type DeviceFilter struct {
	SiteID   *uuid.UUID
	Protocol *Protocol
	// Status is online, offline or disabled.
	Status *string
	Cursor *string
	Limit  *int
}

// ListDevices lists the tenant's devices, newest first. Admins only.
func (s *Service) ListDevices(ctx context.Context, a org.Actor, f DeviceFilter) ([]Device, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	args := []any{a.TenantID}
	where := "d.tenant_id = $1 AND d.deleted_at IS NULL"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.SiteID != nil {
		add("d.site_id = $%d", *f.SiteID)
	}
	if f.Protocol != nil {
		add("d.protocol = $%d", string(*f.Protocol))
	}
	if f.Status != nil {
		switch *f.Status {
		case "disabled":
			where += " AND NOT d.enabled"
		case "online":
			add("d.enabled AND d.last_seen_at >= $%d", s.o.Now().Add(-s.o.OnlineWindow))
		case "offline":
			add("d.enabled AND (d.last_seen_at IS NULL OR d.last_seen_at < $%d)", s.o.Now().Add(-s.o.OnlineWindow))
		default:
			return nil, nil, errs.FieldErr("status", "invalid_status", "status must be online, offline or disabled")
		}
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (d.created_at, d.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+deviceCols+deviceFrom+` WHERE `+where+
		fmt.Sprintf(` ORDER BY d.created_at DESC, d.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list devices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return s.scanDevice(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list devices: %w", err)
	}
	var next *string
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = page.Next(true, page.Cursor{T: last.CreatedAt, ID: last.ID})
	}
	return out, next, nil
}

// UpdateDevice changes a device's name, model, site, zone or direction
// map. Admins only. A new site makes native rosters resync in full.
func (s *Service) UpdateDevice(ctx context.Context, a org.Actor, id uuid.UUID, r Registration) (Device, error) {
	if err := requireAdmin(a); err != nil {
		return Device{}, err
	}
	if r.Serial != nil {
		return Device{}, errs.FieldErr("serial", "immutable", "the serial number of a registered device cannot change")
	}
	now := s.Now()
	var out Device
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := s.scanDevice(tx.QueryRow(ctx, `SELECT `+deviceCols+deviceFrom+
			` WHERE d.tenant_id = $1 AND d.id = $2 AND d.deleted_at IS NULL FOR UPDATE OF d`, a.TenantID, id))
		if err != nil {
			return interpret(err, "device")
		}
		d := before
		if err := r.apply(&d, false); err != nil {
			return err
		}
		if d.SiteID != before.SiteID {
			if err := checkSite(ctx, tx, a.TenantID, d.SiteID); err != nil {
				return err
			}
			d.RosterResetAt = now
		}
		dm, _ := json.Marshal(d.DirectionMap)
		if _, err := tx.Exec(ctx, `UPDATE devices SET site_id = $3, timezone = $4, name = $5, model = $6, direction_map = $7,
			roster_reset_at = $8, updated_at = $9 WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, id, d.SiteID, d.Timezone, d.Name, d.Model, dm, d.RosterResetAt, now); err != nil {
			return interpret(err, "device")
		}
		out, err = s.getDevice(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		changes := map[string]any{}
		diff := func(k string, x, y any) {
			if fmt.Sprint(x) != fmt.Sprint(y) {
				changes[k] = map[string]any{"from": x, "to": y}
			}
		}
		diff("site_id", before.SiteID, out.SiteID)
		diff("timezone", before.Timezone, out.Timezone)
		diff("name", before.Name, out.Name)
		diff("model", before.Model, out.Model)
		bm, _ := json.Marshal(before.DirectionMap)
		diff("direction_map", string(bm), string(dm))
		if len(changes) == 0 {
			return nil
		}
		return org.Audit(ctx, tx, a, now, "device.update", "device", id.String(), changes)
	})
	s.cache.forget(out)
	s.idents.clear()
	return out, err
}

// DeleteDevice removes a device from the registry. Its punches, quarantined
// records and logs stay; its serial becomes free (a ZK device that keeps
// calling becomes a pending device again). Admins only.
func (s *Service) DeleteDevice(ctx context.Context, a org.Actor, id uuid.UUID) error {
	if err := requireAdmin(a); err != nil {
		return err
	}
	now := s.Now()
	var d Device
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		d, err = s.getDevice(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE devices SET deleted_at = $3, updated_at = $3, enabled = false, token_hash = NULL,
			key_enc = NULL WHERE tenant_id = $1 AND id = $2`, a.TenantID, id, now); err != nil {
			return fmt.Errorf("delete device: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE device_commands SET state = 'cancelled', finished_at = $3
			WHERE tenant_id = $1 AND device_id = $2 AND state IN ('queued', 'sent')`, a.TenantID, id, now); err != nil {
			return fmt.Errorf("delete device: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE device_activation_codes SET used_at = $3 WHERE tenant_id = $1 AND device_id = $2 AND used_at IS NULL`,
			a.TenantID, id, now); err != nil {
			return fmt.Errorf("delete device: %w", err)
		}
		return org.Audit(ctx, tx, a, now, "device.delete", "device", id.String(), map[string]any{"serial": d.Serial})
	})
	s.cache.forget(d)
	return err
}

// SetEnabled disables or re-enables a device. A disabled device's records
// are still accepted (the device would otherwise retry forever or, worse,
// drop them) but kept in quarantine with reason device_disabled; enabling
// it re-evaluates them. Native requests from a disabled device are refused.
func (s *Service) SetEnabled(ctx context.Context, a org.Actor, id uuid.UUID, enabled bool) (Device, error) {
	if err := requireAdmin(a); err != nil {
		return Device{}, err
	}
	now := s.Now()
	var out Device
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE devices SET enabled = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2
			AND deleted_at IS NULL AND enabled <> $3`, a.TenantID, id, enabled, now)
		if err != nil {
			return fmt.Errorf("enable device: %w", err)
		}
		out, err = s.getDevice(ctx, tx, a.TenantID, id)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		action := "device.disable"
		if enabled {
			action = "device.enable"
		}
		return org.Audit(ctx, tx, a, now, action, "device", id.String(), map[string]any{"enabled": enabled})
	})
	if err != nil {
		return Device{}, err
	}
	s.cache.forget(out)
	if enabled {
		if _, err := s.reevaluate(ctx, a, out, quarantineScope{reasons: []string{ReasonDeviceDisabled}}); err != nil {
			return out, err
		}
	}
	return out, nil
}

// RotateCredential issues a new credential: a new activation code for a
// native device (its current signing key stops working at once) or a new
// URL token for a Hikvision device. ZKTeco devices have none. Admins only.
func (s *Service) RotateCredential(ctx context.Context, a org.Actor, id uuid.UUID) (Device, Credentials, error) {
	if err := requireAdmin(a); err != nil {
		return Device{}, Credentials{}, err
	}
	now := s.Now()
	var out Device
	var cred Credentials
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := s.getDevice(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if d.Protocol == ProtocolZKTeco {
			return errs.New(errs.Conflict, "no_credential", "ZKTeco ADMS devices have no credential to rotate: they are identified by serial number")
		}
		if cred, err = s.issueCredential(ctx, tx, a.TenantID, d, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE devices SET updated_at = $3 WHERE tenant_id = $1 AND id = $2`, a.TenantID, id, now); err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
		if out, err = s.getDevice(ctx, tx, a.TenantID, id); err != nil {
			return err
		}
		s.cache.forget(d)
		return org.Audit(ctx, tx, a, now, "device.rotate", "device", id.String(), map[string]any{"protocol": d.Protocol})
	})
	s.cache.forget(out)
	return out, cred, err
}

// deviceCache keeps devices looked up by the protocol handlers for a few
// seconds: a ZK device polls every few seconds and posts punches one at a
// time, and each request would otherwise start with the same query.
type deviceCache struct {
	mu sync.Mutex
	m  map[string]cachedDevice
}

type cachedDevice struct {
	d   Device
	exp time.Time
}

func (c *deviceCache) get(key string, now time.Time) (Device, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || now.After(e.exp) {
		return Device{}, false
	}
	return e.d, true
}

func (c *deviceCache) put(key string, d Device, exp time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10000 {
		c.m = map[string]cachedDevice{}
	}
	c.m[key] = cachedDevice{d: d, exp: exp}
}

// forget drops every entry of d (by serial, id and any token).
func (c *deviceCache) forget(d Device) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.d.ID == d.ID || (d.Serial != "" && k == "sn:"+d.Serial) {
			delete(c.m, k)
		}
	}
}

func (s *Service) lookup(ctx context.Context, key, where string, arg any) (Device, error) {
	now := s.o.Now()
	if s.o.DeviceCacheTTL > 0 {
		if d, ok := s.cache.get(key, now); ok {
			return d, nil
		}
	}
	d, err := s.scanDevice(s.pool.QueryRow(ctx, `SELECT `+deviceCols+deviceFrom+` WHERE `+where+` AND d.deleted_at IS NULL`, arg))
	if err != nil {
		return Device{}, interpret(err, "device")
	}
	if s.o.DeviceCacheTTL > 0 {
		s.cache.put(key, d, now.Add(s.o.DeviceCacheTTL))
	}
	return d, nil
}

// DeviceBySerial finds a registered device by serial number, in any tenant
// (ZK firmware names itself by SN alone). Not found is errs.NotFound.
func (s *Service) DeviceBySerial(ctx context.Context, serial string) (Device, error) {
	return s.lookup(ctx, "sn:"+serial, "d.serial = $1", serial)
}

// DeviceByToken finds a Hikvision device by its URL token.
func (s *Service) DeviceByToken(ctx context.Context, token string) (Device, error) {
	h := hashToken(token)
	return s.lookup(ctx, "tok:"+string(h), "d.token_hash = $1", h)
}

// DeviceByID finds a device by id, in any tenant (native terminals name
// themselves by id).
func (s *Service) DeviceByID(ctx context.Context, id uuid.UUID) (Device, error) {
	return s.lookup(ctx, "id:"+id.String(), "d.id = $1", id)
}
