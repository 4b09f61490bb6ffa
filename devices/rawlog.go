package devices

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// RawLogBytes is how much of a request body and of a response the raw log
// keeps.
const RawLogBytes = 4096

// RawRequest is one exchange with a device as the raw log keeps it.
type RawRequest struct {
	ID       uuid.UUID
	At       time.Time
	Method   string
	Path     string
	Query    string
	Body     []byte
	BodySize int
	Status   int
	Response string
}

// LogRequest appends an exchange to the device's raw request log (the
// first RawLogBytes of body and response). Logging must never fail a
// request: errors are logged, not returned.
func (s *Service) LogRequest(ctx context.Context, d Device, r RawRequest) {
	if err := logRequest(ctx, s.pool, d, r); err != nil {
		s.log.Warn("raw request log", "device", d.ID, "err", err)
	}
}

func logRequest(ctx context.Context, q querier, d Device, r RawRequest) error {
	id, _ := uuid.NewV7()
	body := r.Body
	if len(body) > RawLogBytes {
		body = body[:RawLogBytes]
	}
	size := r.BodySize
	if size < len(r.Body) {
		size = len(r.Body)
	}
	_, err := q.Exec(ctx, `INSERT INTO device_requests (tenant_id, id, device_id, at, method, path, query, body, body_bytes, status, response)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.TenantID, id, d.ID, r.At, r.Method, clip(r.Path, 512), clip(r.Query, RawLogBytes), body, size, r.Status,
		clip(r.Response, RawLogBytes))
	if err != nil {
		return fmt.Errorf("raw log: %w", err)
	}
	return nil
}

// clip cuts s to at most n bytes on a rune boundary and makes it valid
// UTF-8 (text columns refuse anything else).
func clip(s string, n int) string {
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8.ValidString(s) && !utf8.RuneStart(s[len(s)-1]) {
			s = s[:len(s)-1]
		}
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\\x00"), "\uFFFD")
}

// ListRequests returns a device's raw request log, newest first. Admins
// only.
func (s *Service) ListRequests(ctx context.Context, a org.Actor, deviceID uuid.UUID, cursor *string, limit *int) ([]RawRequest, *string, error) {
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
	args := []any{a.TenantID, deviceID}
	where := "tenant_id = $1 AND device_id = $2"
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += " AND (at, id) < ($3, $4)"
	}
	args = append(args, n+1)
	rows, err := s.pool.Query(ctx, `SELECT id, at, method, path, query, body, body_bytes, status, response FROM device_requests
		WHERE `+where+fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (RawRequest, error) {
		var x RawRequest
		err := r.Scan(&x.ID, &x.At, &x.Method, &x.Path, &x.Query, &x.Body, &x.BodySize, &x.Status, &x.Response)
		return x, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list requests: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{T: out[n-1].At, ID: out[n-1].ID})
	}
	return out, next, nil
}

// Prune deletes what has outlived its retention: raw request log entries,
// remembered nonces, unapproved pending devices and expired activation
// codes. It returns how many rows went.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	now := s.o.Now()
	var total int64
	for _, q := range []struct {
		sql string
		arg time.Time
	}{
		{`DELETE FROM device_requests WHERE at < $1`, now.Add(-s.o.RawLogRetention)},
		{`DELETE FROM device_nonces WHERE seen_at < $1`, now.Add(-2 * s.o.SignatureWindow)},
		{`DELETE FROM pending_devices WHERE last_seen_at < $1`, now.Add(-s.o.PendingRetention)},
		{`DELETE FROM device_activation_codes WHERE expires_at < $1 AND used_at IS NULL`, now.Add(-s.o.ActivationTTL)},
	} {
		tag, err := s.pool.Exec(ctx, q.sql, q.arg)
		if err != nil {
			return total, fmt.Errorf("prune: %w", err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

// Run does the background work until ctx ends: every minute it reports
// devices that went quiet (CheckOffline), and every hour it prunes. daka
// serve runs it; several replicas doing it at once is harmless.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var lastPrune time.Time
	for {
		if _, err := s.CheckOffline(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("device offline check", "err", err)
		}
		if time.Since(lastPrune) >= time.Hour {
			lastPrune = time.Now()
			if n, err := s.Prune(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("device prune", "err", err)
			} else if n > 0 {
				s.log.Info("device prune", "rows", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
