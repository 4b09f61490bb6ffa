package devices

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// DeviceUser is a user record as a ZKTeco device reported it (OPERLOG USER
// lines): a mirror of the device, not the source of truth.
type DeviceUser struct {
	PIN string
	// Name is UTF-8 (decoded from GB18030 on Chinese-language devices);
	// NameRaw the bytes as sent.
	Name      string
	NameRaw   []byte
	Privilege *int
	Card      string
	Group     *int
	TZ        string
	Verify    *int
	FPCount   int
	FaceCount int
	Deleted   bool
	UpdatedAt time.Time
}

// UpsertDeviceUsers mirrors user records a device reported, in one
// statement.
func (s *Service) UpsertDeviceUsers(ctx context.Context, d Device, us []DeviceUser) error {
	if len(us) == 0 {
		return nil
	}
	now := s.Now()
	// One row per PIN per statement: the last record of a batch wins.
	last := map[string]int{}
	for i, u := range us {
		last[u.PIN] = i
	}
	var pins, names, cards, tzs []string
	var raws [][]byte
	var pri, grp, ver []*int32
	for i, u := range us {
		if last[u.PIN] != i {
			continue
		}
		pins, names, cards, tzs = append(pins, clip(u.PIN, 64)), append(names, clip(u.Name, 200)), append(cards, clip(u.Card, 64)), append(tzs, clip(u.TZ, 64))
		raws = append(raws, u.NameRaw)
		pri, grp, ver = append(pri, i32(u.Privilege)), append(grp, i32(u.Group)), append(ver, i32(u.Verify))
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO device_users (tenant_id, device_id, pin, name, name_raw, privilege, card, grp, tz, verify,
			deleted, updated_at)
		SELECT $1, $2, u.pin, u.name, u.raw, u.pri, u.card, u.grp, u.tz, u.ver, false, $3
		FROM unnest($4::text[], $5::text[], $6::bytea[], $7::int4[], $8::text[], $9::int4[], $10::text[], $11::int4[])
			AS u(pin, name, raw, pri, card, grp, tz, ver)
		ON CONFLICT (tenant_id, device_id, pin) DO UPDATE SET name = EXCLUDED.name, name_raw = EXCLUDED.name_raw,
			privilege = EXCLUDED.privilege, card = EXCLUDED.card, grp = EXCLUDED.grp, tz = EXCLUDED.tz, verify = EXCLUDED.verify,
			deleted = false, updated_at = EXCLUDED.updated_at`,
		d.TenantID, d.ID, now, pins, names, raws, pri, cards, grp, tzs, ver)
	if err != nil {
		return fmt.Errorf("device users: %w", err)
	}
	return nil
}

func i32(p *int) *int32 {
	if p == nil {
		return nil
	}
	v := int32(*p)
	return &v
}

// DeleteDeviceUsers marks users the device reported deleted (OPLOG 9).
func (s *Service) DeleteDeviceUsers(ctx context.Context, d Device, pins []string) error {
	if len(pins) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE device_users SET deleted = true, updated_at = $4 WHERE tenant_id = $1 AND device_id = $2
		AND pin = ANY($3::text[])`, d.TenantID, d.ID, pins, s.Now())
	if err != nil {
		return fmt.Errorf("device users: %w", err)
	}
	return nil
}

// ListDeviceUsers lists the users a device reported, by PIN. Admins only.
func (s *Service) ListDeviceUsers(ctx context.Context, a org.Actor, deviceID uuid.UUID, cursor *string, limit *int) ([]DeviceUser, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	if _, err := s.getDevice(ctx, s.pool, a.TenantID, deviceID); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	after := ""
	if cur != nil {
		after = cur.S
	}
	rows, err := s.pool.Query(ctx, `SELECT pin, name, name_raw, privilege, card, grp, tz, verify, fp_count, face_count, deleted, updated_at
		FROM device_users WHERE tenant_id = $1 AND device_id = $2 AND pin > $3 ORDER BY pin LIMIT $4`,
		a.TenantID, deviceID, after, n+1)
	if err != nil {
		return nil, nil, fmt.Errorf("device users: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeviceUser, error) {
		var u DeviceUser
		err := r.Scan(&u.PIN, &u.Name, &u.NameRaw, &u.Privilege, &u.Card, &u.Group, &u.TZ, &u.Verify, &u.FPCount, &u.FaceCount,
			&u.Deleted, &u.UpdatedAt)
		return u, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("device users: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{S: out[n-1].PIN, ID: deviceID})
	}
	return out, next, nil
}
