package attendance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// PhotoRetentionLockKey is the PostgreSQL advisory lock a retention pass
// holds, so that one replica at a time runs it ("dakaphot" in ASCII).
const PhotoRetentionLockKey int64 = 0x64616b6170686f74

// photoPurgeBatch is how many photos one retention query handles.
const photoPurgeBatch = 200

// PhotoPurge counts what a retention pass did.
type PhotoPurge struct {
	// Expired photos had their objects deleted and their row marked deleted.
	Expired int
	// Abandoned direct uploads (never completed) had their raw object
	// deleted and were marked failed with code upload_abandoned.
	Abandoned int
}

// RunPhotoRetention runs PhotoRetentionPass now and then every interval
// until ctx ends. Every replica may run it: the advisory lock makes the
// others skip while one works. It is a plain loop rather than a job queue
// because it needs nothing a queue offers: a pass is idempotent and a missed
// one is caught up by the next.
func (s *Service) RunPhotoRetention(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		ran, res, err := s.PhotoRetentionPass(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("photo retention failed", "err", err, "expired", res.Expired, "abandoned", res.Abandoned)
		case ran && res != (PhotoPurge{}):
			log.Info("photo retention", "expired", res.Expired, "abandoned", res.Abandoned)
		case !ran:
			log.Debug("photo retention skipped: another replica holds the lock")
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// PhotoRetentionPass runs PurgeExpiredPhotos while holding the session
// advisory lock PhotoRetentionLockKey; ran is false when another session
// held it (nothing was done).
func (s *Service) PhotoRetentionPass(ctx context.Context) (ran bool, res PhotoPurge, err error) {
	if s.ph.store == nil {
		return false, res, nil
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return false, res, fmt.Errorf("photo retention: %w", err)
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, PhotoRetentionLockKey).Scan(&ran); err != nil || !ran {
		if err != nil {
			err = fmt.Errorf("photo retention: lock: %w", err)
		}
		return false, res, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, PhotoRetentionLockKey); uerr != nil {
			// A connection that may still hold the lock must not go back to
			// the pool, or no replica would ever run the job again.
			_ = conn.Conn().Close(uctx)
		}
	}()
	res, err = s.PurgeExpiredPhotos(ctx)
	return true, res, err
}

// PurgeExpiredPhotos deletes the objects (normalized, thumbnail, original
// and any leftover raw upload) of every photo whose expires_at has passed
// and marks its row deleted, clearing the EXIF position; the row stays so
// punches keep pointing at something. It also drops direct uploads that were
// never completed (AbandonAfter past their URL's expiry). A photo whose
// objects cannot be deleted stays as it is for the next pass.
//
// A photo's expires_at is fixed when it is created from the tenant's
// photo_retention_days; see docs/media.md for applying a changed setting to
// existing photos.
func (s *Service) PurgeExpiredPhotos(ctx context.Context) (PhotoPurge, error) {
	var res PhotoPurge
	if s.ph.store == nil {
		return res, nil
	}
	now := s.photoNow()
	var failed []error
	skip := map[uuid.UUID]bool{} // rows whose deletion failed in this pass
	for {
		n, fails, err := s.purgeBatch(ctx, now, skip)
		res.Expired += n
		failed = append(failed, fails...)
		if err != nil {
			return res, errors.Join(append(failed, err)...)
		}
		if n+len(fails) == 0 {
			break
		}
	}
	for {
		n, fails, err := s.abandonBatch(ctx, now, skip)
		res.Abandoned += n
		failed = append(failed, fails...)
		if err != nil {
			return res, errors.Join(append(failed, err)...)
		}
		if n+len(fails) == 0 {
			break
		}
	}
	return res, errors.Join(failed...)
}

type purgeRow struct {
	tenant, id uuid.UUID
	keys       [4]*string
}

// purgeBatch handles one batch of expired photos. It returns how many were
// deleted and the per-photo failures (those rows are added to skip).
func (s *Service) purgeBatch(ctx context.Context, now time.Time, skip map[uuid.UUID]bool) (int, []error, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, id, normalized_key, thumb_key, original_key, upload_key FROM photos
		WHERE deleted_at IS NULL AND expires_at <= $1 AND NOT (id = ANY($2)) ORDER BY expires_at LIMIT $3`,
		now, skipped(skip), photoPurgeBatch)
	if err != nil {
		return 0, nil, fmt.Errorf("photo retention: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (purgeRow, error) {
		var p purgeRow
		err := r.Scan(&p.tenant, &p.id, &p.keys[0], &p.keys[1], &p.keys[2], &p.keys[3])
		return p, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("photo retention: %w", err)
	}
	var tenants, ids []uuid.UUID
	var failed []error
	for _, p := range batch {
		var keys []string
		for _, k := range p.keys {
			if k != nil {
				keys = append(keys, *k)
			}
		}
		if err := s.deleteObjects(ctx, keys...); err != nil {
			skip[p.id] = true
			failed = append(failed, fmt.Errorf("photo %s: %w", p.id, err))
			continue
		}
		tenants, ids = append(tenants, p.tenant), append(ids, p.id)
	}
	if len(ids) == 0 {
		return 0, failed, nil
	}
	_, err = s.pool.Exec(ctx, `UPDATE photos SET deleted_at = $3, gps_lat = NULL, gps_lng = NULL, gps_alt_m = NULL
		WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[])) AND deleted_at IS NULL`, tenants, ids, now)
	if err != nil {
		return 0, failed, fmt.Errorf("photo retention: %w", err)
	}
	return len(ids), failed, nil
}

// abandonBatch drops one batch of direct uploads that were never completed.
func (s *Service) abandonBatch(ctx context.Context, now time.Time, skip map[uuid.UUID]bool) (int, []error, error) {
	rows, err := s.pool.Query(ctx, `SELECT tenant_id, id, NULL, NULL, NULL, upload_key FROM photos
		WHERE status = 'uploading' AND upload_expires_at <= $1 AND NOT (id = ANY($2)) ORDER BY upload_expires_at LIMIT $3`,
		now.Add(-s.ph.o.AbandonAfter), skipped(skip), photoPurgeBatch)
	if err != nil {
		return 0, nil, fmt.Errorf("photo retention: %w", err)
	}
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (purgeRow, error) {
		var p purgeRow
		err := r.Scan(&p.tenant, &p.id, &p.keys[0], &p.keys[1], &p.keys[2], &p.keys[3])
		return p, err
	})
	if err != nil {
		return 0, nil, fmt.Errorf("photo retention: %w", err)
	}
	var tenants, ids []uuid.UUID
	var failed []error
	for _, p := range batch {
		if p.keys[3] != nil {
			if err := s.deleteObjects(ctx, *p.keys[3]); err != nil {
				skip[p.id] = true
				failed = append(failed, fmt.Errorf("upload %s: %w", p.id, err))
				continue
			}
		}
		tenants, ids = append(tenants, p.tenant), append(ids, p.id)
	}
	if len(ids) == 0 {
		return 0, failed, nil
	}
	_, err = s.pool.Exec(ctx, `UPDATE photos SET status = 'failed', failure_code = 'upload_abandoned', completed_at = $3
		WHERE (tenant_id, id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[])) AND status = 'uploading'`, tenants, ids, now)
	if err != nil {
		return 0, failed, fmt.Errorf("photo retention: %w", err)
	}
	return len(ids), failed, nil
}

func skipped(m map[uuid.UUID]bool) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}
