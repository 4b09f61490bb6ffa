package devices

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/notify"
)

// OfflineFunc is told, inside a transaction, about a device that stopped
// calling (see Service.OnOffline).
type OfflineFunc func(ctx context.Context, tx pgx.Tx, d Device) error

// OnOffline registers f to run once for each device that has not called
// for Options.OfflineAfter (the next call re-arms it). CheckOffline (run by
// Run) finds them.
func (s *Service) OnOffline(f OfflineFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offline = append(s.offline, f)
}

// CheckOffline runs the OnOffline hooks for enabled devices silent for
// longer than Options.OfflineAfter that were not reported yet, marking them
// reported in the same transaction (several replicas checking at once
// report each device once). It returns how many it reported.
func (s *Service) CheckOffline(ctx context.Context) (int, error) {
	s.mu.RLock()
	hooks := s.offline
	s.mu.RUnlock()
	if len(hooks) == 0 {
		return 0, nil
	}
	now := s.Now()
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+deviceCols+deviceFrom+` WHERE d.deleted_at IS NULL AND d.enabled
			AND d.last_seen_at < $1 AND d.offline_notified_at IS NULL ORDER BY d.last_seen_at LIMIT 500 FOR UPDATE OF d SKIP LOCKED`,
			now.Add(-s.o.OfflineAfter))
		if err != nil {
			return fmt.Errorf("offline devices: %w", err)
		}
		ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return s.scanDevice(r) })
		if err != nil {
			return fmt.Errorf("offline devices: %w", err)
		}
		for _, d := range ds {
			if _, err := tx.Exec(ctx, `UPDATE devices SET offline_notified_at = $3 WHERE tenant_id = $1 AND id = $2`,
				d.TenantID, d.ID, now); err != nil {
				return fmt.Errorf("offline devices: %w", err)
			}
			for _, h := range hooks {
				if err := h(ctx, tx, d); err != nil {
					return fmt.Errorf("offline hook: %w", err)
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

// NotifyAlarms tells a tenant's admins about terminal alarms (in-app inbox
// and push, template device_alarm) and publishes device.alarm webhooks, in
// the transaction that stores the alarm. Failed verifications are stored
// as alarms too but are not pushed: an unknown face at a busy door would
// otherwise page every admin all day.
func NotifyAlarms(n *notify.Service) AlarmFunc {
	return func(ctx context.Context, tx pgx.Tx, e Event) error {
		if !slices.Contains(AlarmTypes, e.Type) {
			return nil
		}
		admins, err := n.Admins(ctx, tx, e.TenantID)
		if err != nil {
			return err
		}
		name := e.DeviceName
		if name == "" {
			name = e.DeviceSerial
		}
		data := map[string]string{"device_id": e.DeviceID.String(), "event_id": e.ID.String(), "alarm": e.Type}
		if len(admins) > 0 {
			if err := n.NotifyTx(ctx, tx, notify.Message{TenantID: e.TenantID, Recipients: admins, Type: "device.alarm",
				Template: "device_alarm", Params: map[string]string{"device": name, "site": e.SiteName, "alarm": e.Type},
				Data: data, DedupeKey: "device.alarm:" + e.ID.String()}); err != nil {
				return err
			}
		}
		at := e.ReceivedAt
		if e.OccurredAt != nil {
			at = *e.OccurredAt
		}
		return n.PublishTx(ctx, tx, notify.Event{TenantID: e.TenantID, ID: e.ID, Type: "device.alarm", OccurredAt: at,
			Data: map[string]any{"device_id": e.DeviceID, "serial": e.DeviceSerial, "site_id": e.SiteID, "alarm": e.Type,
				"pin": e.PIN, "details": e.Details, "event_id": e.ID}})
	}
}

// NotifyOffline tells a tenant's admins that a terminal went quiet
// (template device_offline) and publishes a device.offline webhook.
func NotifyOffline(n *notify.Service) OfflineFunc {
	return func(ctx context.Context, tx pgx.Tx, d Device) error {
		admins, err := n.Admins(ctx, tx, d.TenantID)
		if err != nil {
			return err
		}
		name := d.Name
		if name == "" {
			name = d.Serial
		}
		since := ""
		if d.LastSeenAt != nil {
			since = d.LastSeenAt.In(d.Location()).Format("2006-01-02 15:04")
		}
		key := "device.offline:" + d.ID.String() + ":" + since
		if len(admins) > 0 {
			if err := n.NotifyTx(ctx, tx, notify.Message{TenantID: d.TenantID, Recipients: admins, Type: "device.offline",
				Template: "device_offline", Params: map[string]string{"device": name, "site": d.SiteName, "since": since},
				Data: map[string]string{"device_id": d.ID.String()}, DedupeKey: key}); err != nil {
				return err
			}
		}
		at := time.Now()
		if d.LastSeenAt != nil {
			at = *d.LastSeenAt
		}
		return n.PublishTx(ctx, tx, notify.Event{TenantID: d.TenantID, Type: "device.offline", OccurredAt: at,
			Data: map[string]any{"device_id": d.ID, "serial": d.Serial, "site_id": d.SiteID, "last_seen_at": d.LastSeenAt}})
	}
}
