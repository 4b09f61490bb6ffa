package org

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
)

// TenantPunchSettings are a tenant's rules for remote punches.
type TenantPunchSettings struct {
	// TrustPolicy is the tenant's location-trust policy as JSON (nil: the
	// built-in default, see docs/trust.md).
	TrustPolicy []byte
	// OfflineWindowHours is how late a queued punch may be uploaded.
	OfflineWindowHours int
	// FieldPunchPolicy decides field check-ins outside every geofence:
	// "allow" (accepted, flagged for review), "approval" or "deny".
	FieldPunchPolicy string
	// TrackRetentionDays is how long GPS tracks are kept.
	TrackRetentionDays int
}

// PolicyValidator checks a trust policy document; the attendance layer
// provides it (org does not know the policy's shape).
type PolicyValidator func(raw []byte) error

// PunchSettings returns the tenant's punch settings (admins).
func (s *Service) PunchSettings(ctx context.Context, a Actor) (TenantPunchSettings, error) {
	if !a.IsAdmin() {
		return TenantPunchSettings{}, errForbidden()
	}
	var t TenantPunchSettings
	err := s.pool.QueryRow(ctx, `SELECT trust_policy, offline_window_hours, field_punch_policy, track_retention_days FROM tenants WHERE id = $1`,
		a.TenantID).Scan(&t.TrustPolicy, &t.OfflineWindowHours, &t.FieldPunchPolicy, &t.TrackRetentionDays)
	return t, interpret(err, "tenant")
}

// SetPunchSettings replaces the tenant's punch settings (admins, audited).
// Punch contexts cached by this process are dropped at once.
func (s *Service) SetPunchSettings(ctx context.Context, a Actor, in TenantPunchSettings, validate PolicyValidator) (TenantPunchSettings, error) {
	if !a.IsAdmin() {
		return TenantPunchSettings{}, errForbidden()
	}
	var f errs.Fields
	if in.OfflineWindowHours < 1 || in.OfflineWindowHours > 720 {
		f.Add("offline_window_hours", "out_of_range", "use 1–720 hours")
	}
	if in.TrackRetentionDays < 1 || in.TrackRetentionDays > 3650 {
		f.Add("track_retention_days", "out_of_range", "use 1–3650 days")
	}
	switch in.FieldPunchPolicy {
	case "allow", "approval", "deny":
	default:
		f.Add("field_punch_policy", "invalid_enum", "use allow, approval or deny")
	}
	if in.TrustPolicy != nil && validate != nil {
		if err := validate(in.TrustPolicy); err != nil {
			f.Add("trust_policy", "invalid_policy", "%s", err.Error())
		}
	}
	if err := f.Err(); err != nil {
		return TenantPunchSettings{}, err
	}
	now := s.now()
	var before TenantPunchSettings
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT trust_policy, offline_window_hours, field_punch_policy, track_retention_days FROM tenants WHERE id = $1 FOR UPDATE`,
			a.TenantID).Scan(&before.TrustPolicy, &before.OfflineWindowHours, &before.FieldPunchPolicy, &before.TrackRetentionDays); err != nil {
			return interpret(err, "tenant")
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET trust_policy = $2, offline_window_hours = $3, field_punch_policy = $4, track_retention_days = $5 WHERE id = $1`,
			a.TenantID, in.TrustPolicy, in.OfflineWindowHours, in.FieldPunchPolicy, in.TrackRetentionDays); err != nil {
			return fmt.Errorf("punch settings: %w", err)
		}
		changes := map[string]any{}
		if string(before.TrustPolicy) != string(in.TrustPolicy) {
			change(changes, "trust_policy", json.RawMessage(orNull(before.TrustPolicy)), json.RawMessage(orNull(in.TrustPolicy)))
		}
		if before.OfflineWindowHours != in.OfflineWindowHours {
			change(changes, "offline_window_hours", before.OfflineWindowHours, in.OfflineWindowHours)
		}
		if before.FieldPunchPolicy != in.FieldPunchPolicy {
			change(changes, "field_punch_policy", before.FieldPunchPolicy, in.FieldPunchPolicy)
		}
		if before.TrackRetentionDays != in.TrackRetentionDays {
			change(changes, "track_retention_days", before.TrackRetentionDays, in.TrackRetentionDays)
		}
		if len(changes) == 0 {
			return nil
		}
		return writeAudit(ctx, tx, a, now, "tenant.punch_settings.update", "tenant", a.TenantID.String(), changes)
	})
	if err != nil {
		return TenantPunchSettings{}, err
	}
	s.punches.forget(a.TenantID, uuid.Nil)
	return in, nil
}

func orNull(b []byte) []byte {
	if b == nil {
		return []byte("null")
	}
	return b
}
