package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/dakahq/daka/attendance"
)

// runTrackRetention deletes GPS track points older than each tenant's
// track_retention_days, hourly. Deleting is idempotent, so replicas running
// it at once only repeat each other's work.
func runTrackRetention(ctx context.Context, att *attendance.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := att.DeleteExpiredTracks(ctx, time.Now()); err != nil {
			if ctx.Err() == nil {
				log.Warn("track retention failed", "err", err)
			}
		} else if n > 0 {
			log.Info("track retention", "deleted_points", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
