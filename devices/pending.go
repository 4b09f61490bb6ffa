package devices

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// PendingDevice is a serial number that contacted the server without being
// registered.
type PendingDevice struct {
	Serial      string
	Protocol    Protocol
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	IP          string
	Requests    int64
	// Records counts the punch lines kept to be ingested on approval.
	Records     int64
	StoredBytes int64
	Info        map[string]string
}

// PendingRequest is a request kept from a pending device.
type PendingRequest struct {
	ID     uuid.UUID
	At     time.Time
	Method string
	Path   string
	Query  string
	Body   []byte
}

// RecordPending notes a request from an unregistered serial. With keep, the
// request (what the device sent: punches, users, photos) is kept to be
// ingested when an admin approves the device, unless the same body was
// kept already (the device re-sends a refused batch every ErrorDelay) or
// the storage caps are reached. records is how many punch lines it holds.
func (s *Service) RecordPending(ctx context.Context, serial string, p Protocol, ip string, req PendingRequest, records int,
	info map[string]string, keep bool) error {
	if !serialRe.MatchString(serial) {
		return nil
	}
	now := s.Now()
	ib, _ := json.Marshal(info)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var stored, total int64
		err := tx.QueryRow(ctx, `INSERT INTO pending_devices (serial, protocol, first_seen_at, last_seen_at, ip, requests, info)
			VALUES ($1, $2, $3, $3, $4, 1, $5)
			ON CONFLICT (serial) DO UPDATE SET last_seen_at = $3, ip = CASE WHEN $4 = '' THEN pending_devices.ip ELSE $4 END,
				requests = pending_devices.requests + 1, info = pending_devices.info || $5
			RETURNING stored_bytes`, serial, p, now, clip(ip, 64), ib).Scan(&stored)
		if err != nil {
			return fmt.Errorf("pending device: %w", err)
		}
		if !keep || len(req.Body) == 0 {
			return nil
		}
		if stored+int64(len(req.Body)) > s.o.PendingMaxBytes {
			s.log.Warn("pending device over its storage cap: request not kept", "serial", serial, "stored", stored)
			return nil
		}
		if err := tx.QueryRow(ctx, `SELECT coalesce(sum(stored_bytes), 0) FROM pending_devices`).Scan(&total); err != nil {
			return fmt.Errorf("pending device: %w", err)
		}
		if total+int64(len(req.Body)) > s.o.PendingMaxTotal {
			s.log.Warn("pending devices over their total storage cap: request not kept", "serial", serial, "total", total)
			return nil
		}
		id, _ := uuid.NewV7()
		sum := sha256.Sum256(req.Body)
		tag, err := tx.Exec(ctx, `INSERT INTO pending_device_requests (serial, id, at, method, path, query, body, body_sha256)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (serial, path, body_sha256) DO NOTHING`,
			serial, id, now, req.Method, clip(req.Path, 512), clip(req.Query, RawLogBytes), req.Body, sum[:])
		if err != nil {
			return fmt.Errorf("pending request: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE pending_devices SET stored_bytes = stored_bytes + $2, records = records + $3 WHERE serial = $1`,
			serial, len(req.Body), records)
		if err != nil {
			return fmt.Errorf("pending device: %w", err)
		}
		return nil
	})
}

// ListPending lists unregistered serials that contacted the server, most
// recently seen first. Any tenant's admin sees them (they belong to no
// tenant until claimed), but not what they sent.
func (s *Service) ListPending(ctx context.Context, a org.Actor, cursor *string, limit *int) ([]PendingDevice, *string, error) {
	if err := requireAdmin(a); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{n + 1}
	where := "TRUE"
	if cur != nil {
		args = append(args, cur.T, cur.S)
		where = "(p.last_seen_at, p.serial) < ($2, $3)"
	}
	rows, err := s.pool.Query(ctx, `SELECT p.serial, p.protocol, p.first_seen_at, p.last_seen_at, p.ip, p.requests, p.records,
		p.stored_bytes, p.info FROM pending_devices p
		WHERE `+where+` AND NOT EXISTS (SELECT 1 FROM devices d WHERE d.serial = p.serial AND d.deleted_at IS NULL)
		ORDER BY p.last_seen_at DESC, p.serial DESC LIMIT $1`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list pending: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PendingDevice, error) {
		var p PendingDevice
		var info []byte
		if err := r.Scan(&p.Serial, &p.Protocol, &p.FirstSeenAt, &p.LastSeenAt, &p.IP, &p.Requests, &p.Records, &p.StoredBytes, &info); err != nil {
			return p, err
		}
		return p, json.Unmarshal(info, &p.Info)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list pending: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		last := out[n-1]
		next = page.Next(true, page.Cursor{T: last.LastSeenAt, S: last.Serial, ID: uuid.NewSHA1(uuid.Nil, []byte(last.Serial))})
	}
	return out, next, nil
}

// ApproveResult says what approving a pending device did.
type ApproveResult struct {
	Device      Device
	Credentials Credentials
	// Replayed counts the kept requests ingested.
	Replayed int
}

// ApprovePending registers a pending serial for the admin's tenant and
// ingests what it had sent, in the order it arrived. Approving a serial
// this tenant already registered ingests whatever is still kept (a replay
// that failed half-way). Admins only; audited.
func (s *Service) ApprovePending(ctx context.Context, a org.Actor, serial string, r Registration) (ApproveResult, error) {
	if err := requireAdmin(a); err != nil {
		return ApproveResult{}, err
	}
	var res ApproveResult
	var proto Protocol
	err := s.pool.QueryRow(ctx, `SELECT protocol FROM pending_devices WHERE serial = $1`, serial).Scan(&proto)
	if err != nil {
		return ApproveResult{}, interpret(err, "pending device")
	}
	existing, err := s.DeviceBySerial(ctx, serial)
	switch {
	case err == nil && existing.TenantID != a.TenantID:
		return ApproveResult{}, errs.FieldErr("serial", "serial_taken", "a device with this serial number is already registered")
	case err == nil:
		res.Device = existing
	case errs.KindOf(err) == errs.NotFound:
		if r.Protocol == nil {
			r.Protocol = &proto
		}
		r.Serial = &serial
		id, _ := uuid.NewV7()
		d := Device{ID: id, TenantID: a.TenantID, Enabled: true}
		if err := r.apply(&d, true); err != nil {
			return ApproveResult{}, err
		}
		now := s.Now()
		err = s.inTx(ctx, func(tx pgx.Tx) error {
			var err error
			if res.Device, res.Credentials, err = s.insertDevice(ctx, tx, a, d, now); err != nil {
				return err
			}
			return org.Audit(ctx, tx, a, now, "device.approve", "device", id.String(), map[string]any{"serial": serial})
		})
		if err != nil {
			return ApproveResult{}, err
		}
	default:
		return ApproveResult{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, at, method, path, query, body FROM pending_device_requests WHERE serial = $1 ORDER BY at, id`, serial)
	if err != nil {
		return res, fmt.Errorf("approve: %w", err)
	}
	reqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PendingRequest, error) {
		var p PendingRequest
		err := r.Scan(&p.ID, &p.At, &p.Method, &p.Path, &p.Query, &p.Body)
		return p, err
	})
	if err != nil {
		return res, fmt.Errorf("approve: %w", err)
	}
	s.mu.RLock()
	replay := s.replayers[res.Device.Protocol]
	s.mu.RUnlock()
	if replay != nil && len(reqs) > 0 {
		if err := replay(ctx, res.Device, reqs); err != nil {
			return res, fmt.Errorf("approve: replay: %w", err)
		}
		res.Replayed = len(reqs)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM pending_devices WHERE serial = $1`, serial); err != nil {
		return res, fmt.Errorf("approve: %w", err)
	}
	res.Device, err = s.getDevice(ctx, s.pool, a.TenantID, res.Device.ID)
	return res, err
}
