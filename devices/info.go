package devices

import (
	"context"
	"encoding/json"
	"time"
)

// Touch records that the device was seen (and from which address). It is
// called on every request, so it writes at most once per few seconds per
// device, and never fails the request.
func (s *Service) Touch(ctx context.Context, d Device, ip string) {
	now := s.Now()
	if d.LastSeenAt != nil && now.Sub(*d.LastSeenAt) < 5*time.Second && (ip == "" || ip == d.Info["remote_addr"]) {
		return
	}
	// The address the device calls from goes to info.remote_addr; ip is
	// what the device reports about itself (behind NAT the two differ) and
	// falls back to the remote address until the device has said.
	if _, err := s.pool.Exec(ctx, `UPDATE devices SET last_seen_at = $3, offline_notified_at = NULL,
		ip = CASE WHEN ip = '' THEN $4 ELSE ip END,
		info = CASE WHEN $4 = '' THEN info ELSE info || jsonb_build_object('remote_addr', $4::text) END
		WHERE tenant_id = $1 AND id = $2 AND (last_seen_at IS NULL OR last_seen_at < $3::timestamptz - interval '5 seconds'
			OR ($4 <> '' AND info->>'remote_addr' IS DISTINCT FROM $4))`,
		d.TenantID, d.ID, now, clip(ip, 64)); err != nil {
		s.log.Warn("device last seen", "device", d.ID, "err", err)
	}
}

// InfoUpdate is what a device reported about itself; zero fields are left
// alone.
type InfoUpdate struct {
	Firmware    string
	IP          string
	PushVersion string
	UserCount   *int
	PunchCount  *int
	FPCount     *int
	FaceCount   *int
	// ClockOffset is a measured clock offset (device minus server).
	ClockOffset *time.Duration
	// Props are merged into the device's info (INFO replies, options).
	Props map[string]string
}

// UpdateInfo stores what a device reported about itself.
func (s *Service) UpdateInfo(ctx context.Context, d Device, u InfoUpdate) error {
	now := s.Now()
	props := map[string]string{}
	for k, v := range u.Props {
		if len(props) >= 200 {
			break
		}
		props[clip(k, 64)] = clip(v, 512)
	}
	pb, _ := json.Marshal(props)
	var off *int64
	if u.ClockOffset != nil {
		v := u.ClockOffset.Milliseconds()
		off = &v
	}
	nonNeg := func(p *int) *int {
		if p != nil && *p < 0 {
			return nil
		}
		return p
	}
	_, err := s.pool.Exec(ctx, `UPDATE devices SET
		firmware = CASE WHEN $3 = '' THEN firmware ELSE $3 END,
		ip = CASE WHEN $4 = '' THEN ip ELSE $4 END,
		push_version = CASE WHEN $5 = '' THEN push_version ELSE $5 END,
		user_count = coalesce($6, user_count), punch_count = coalesce($7, punch_count),
		fp_count = coalesce($8, fp_count), face_count = coalesce($9, face_count),
		clock_offset_ms = coalesce($10, clock_offset_ms),
		clock_measured_at = CASE WHEN $10::bigint IS NULL THEN clock_measured_at ELSE $11 END,
		info = info || $12::jsonb, last_seen_at = $11, offline_notified_at = NULL
		WHERE tenant_id = $1 AND id = $2`,
		d.TenantID, d.ID, clip(u.Firmware, 128), clip(u.IP, 64), clip(u.PushVersion, 64), nonNeg(u.UserCount),
		nonNeg(u.PunchCount), nonNeg(u.FPCount), nonNeg(u.FaceCount), off, now, pb)
	s.cache.forget(d)
	return interpret(err, "device")
}
