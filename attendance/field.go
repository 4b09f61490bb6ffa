package attendance

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// FieldAssignment is a time window in which an employee works away from the
// sites (外勤). GPS tracks are recorded only inside one.
type FieldAssignment struct {
	ID          uuid.UUID
	EmployeeID  uuid.UUID
	StartsAt    time.Time
	EndsAt      time.Time
	Note        string
	CreatedBy   *uuid.UUID
	CreatedAt   time.Time
	CancelledAt *time.Time
}

// canManage reports whether a may act on employee's records: admins for the
// tenant, managers for their subtree.
func (s *Service) canManage(ctx context.Context, a org.Actor, employee uuid.UUID) error {
	if a.IsAdmin() {
		return nil
	}
	if a.Role != org.RoleManager {
		return errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
	}
	if _, err := s.org.GetEmployee(ctx, a, employee); err != nil {
		return err // not found for employees outside the subtree
	}
	return nil
}

// CreateFieldAssignment schedules field work for an employee (managers for
// their subtree, admins for anyone).
func (s *Service) CreateFieldAssignment(ctx context.Context, a org.Actor, employee uuid.UUID, start, end time.Time, note string) (FieldAssignment, error) {
	if err := s.canManage(ctx, a, employee); err != nil {
		return FieldAssignment{}, err
	}
	var f errs.Fields
	if !end.After(start) {
		f.Add("ends_at", "invalid_range", "ends_at must be after starts_at")
	} else if end.Sub(start) > 31*24*time.Hour {
		f.Add("ends_at", "invalid_range", "an assignment lasts at most 31 days")
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 500 {
		f.Add("note", "too_long", "use at most 500 characters")
	}
	if err := f.Err(); err != nil {
		return FieldAssignment{}, err
	}
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	id, _ := uuid.NewV7()
	fa := FieldAssignment{ID: id, EmployeeID: employee, StartsAt: start.UTC(), EndsAt: end.UTC(), Note: note, CreatedBy: &a.EmployeeID, CreatedAt: now}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO field_assignments (tenant_id, id, employee_id, starts_at, ends_at, note, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.TenantID, id, employee, fa.StartsAt, fa.EndsAt, note, a.EmployeeID, now); err != nil {
			return fmt.Errorf("field assignment: %w", err)
		}
		return org.Audit(ctx, tx, a, now, "field_assignment.create", "field_assignment", id.String(),
			map[string]any{"employee_id": employee, "starts_at": fa.StartsAt, "ends_at": fa.EndsAt, "note": note})
	})
	return fa, err
}

// CancelFieldAssignment ends recording for an assignment.
func (s *Service) CancelFieldAssignment(ctx context.Context, a org.Actor, id uuid.UUID) error {
	var emp uuid.UUID
	if err := s.pool.QueryRow(ctx, `SELECT employee_id FROM field_assignments WHERE tenant_id = $1 AND id = $2 AND cancelled_at IS NULL`,
		a.TenantID, id).Scan(&emp); err != nil {
		return notFound(err, "field assignment")
	}
	if err := s.canManage(ctx, a, emp); err != nil {
		return err
	}
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE field_assignments SET cancelled_at = $3 WHERE tenant_id = $1 AND id = $2`, a.TenantID, id, now); err != nil {
			return err
		}
		return org.Audit(ctx, tx, a, now, "field_assignment.cancel", "field_assignment", id.String(), nil)
	})
}

// ListFieldAssignments lists one employee's assignments (newest first); the
// employee themself, their managers and admins may read them.
func (s *Service) ListFieldAssignments(ctx context.Context, a org.Actor, employee uuid.UUID, cursor *string, limit *int) ([]FieldAssignment, *string, error) {
	if employee != a.EmployeeID {
		if err := s.canManage(ctx, a, employee); err != nil {
			return nil, nil, err
		}
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID, employee, n + 1}
	where := ""
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where = " AND (starts_at, id) < ($4, $5)"
	}
	rows, err := s.pool.Query(ctx, `SELECT id, employee_id, starts_at, ends_at, note, created_by, created_at, cancelled_at
		FROM field_assignments WHERE tenant_id = $1 AND employee_id = $2`+where+` ORDER BY starts_at DESC, id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("field assignments: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FieldAssignment, error) {
		var f FieldAssignment
		err := r.Scan(&f.ID, &f.EmployeeID, &f.StartsAt, &f.EndsAt, &f.Note, &f.CreatedBy, &f.CreatedAt, &f.CancelledAt)
		return f, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("field assignments: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{T: out[n-1].StartsAt, ID: out[n-1].ID})
	}
	return out, next, nil
}

// activeAssignment returns the employee's assignment covering t, if any.
func (s *Service) activeAssignment(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, tenant, employee uuid.UUID, t time.Time) (*uuid.UUID, error) {
	var id uuid.UUID
	err := q.QueryRow(ctx, `SELECT id FROM field_assignments WHERE tenant_id = $1 AND employee_id = $2 AND cancelled_at IS NULL
		AND starts_at <= $3 AND ends_at > $3 ORDER BY starts_at DESC LIMIT 1`, tenant, employee, t).Scan(&id)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("field assignment: %w", err)
	}
	return &id, nil
}

// TrackFix is one point the app sends while on field work.
type TrackFix struct {
	Lat, Lng  float64
	AccuracyM *float64
	CRS       string
	Time      time.Time
}

// TrackResult says what happened to a batch of track points.
type TrackResult struct {
	Accepted   int
	Duplicates int
	Rejected   []TrackRejection
}

// TrackRejection explains why one point of a batch was not stored.
type TrackRejection struct {
	Index   int
	Code    string
	Message string
}

// MaxTrackBatch bounds one upload.
const MaxTrackBatch = 2000

// RecordTrack stores the points that fall inside one of the employee's field
// assignments (privacy: no assignment, no track) and reports the others.
// Re-sending a point (same time) is harmless.
func (s *Service) RecordTrack(ctx context.Context, a org.Actor, fixes []TrackFix) (TrackResult, error) {
	if len(fixes) == 0 || len(fixes) > MaxTrackBatch {
		return TrackResult{}, errs.FieldErr("points", "invalid_length", "send 1–%d points per batch", MaxTrackBatch)
	}
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	res := TrackResult{Rejected: []TrackRejection{}}
	rows, err := s.pool.Query(ctx, `SELECT id, starts_at, ends_at FROM field_assignments WHERE tenant_id = $1 AND employee_id = $2
		AND cancelled_at IS NULL AND ends_at > $3 AND starts_at < $4`, a.TenantID, a.EmployeeID, now.Add(-8*24*time.Hour), now.Add(time.Hour))
	if err != nil {
		return res, fmt.Errorf("track: %w", err)
	}
	type window struct {
		id         uuid.UUID
		start, end time.Time
	}
	wins, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (window, error) {
		var w window
		return w, r.Scan(&w.id, &w.start, &w.end)
	})
	if err != nil {
		return res, fmt.Errorf("track: %w", err)
	}
	var ats, tss []time.Time
	var lats, lngs []float64
	var accs []*float64
	var crss []string
	var assigns []uuid.UUID
	reject := func(i int, code, msg string) {
		res.Rejected = append(res.Rejected, TrackRejection{Index: i, Code: code, Message: msg})
	}
	for i, f := range fixes {
		crs := geo.WGS84
		if f.CRS != "" {
			c, err := geo.ParseCRS(f.CRS)
			if err != nil {
				reject(i, "invalid_crs", "crs must be wgs84, gcj02 or bd09")
				continue
			}
			crs = c
		}
		p, err := geo.ToWGS84(geo.Point{Lat: f.Lat, Lng: f.Lng}, crs)
		if err != nil {
			reject(i, "invalid_coordinates", "lat must be in [-90, 90] and lng in [-180, 180]")
			continue
		}
		if f.AccuracyM != nil && (math.IsNaN(*f.AccuracyM) || *f.AccuracyM < 0) {
			reject(i, "invalid_accuracy", "accuracy_m must be ≥ 0")
			continue
		}
		if f.Time.After(now.Add(10 * time.Minute)) {
			reject(i, "in_future", "the point is dated in the future")
			continue
		}
		wi := slices.IndexFunc(wins, func(w window) bool { return !f.Time.Before(w.start) && f.Time.Before(w.end) })
		if wi < 0 {
			reject(i, "no_field_assignment", "tracks are recorded only during a field assignment")
			continue
		}
		ats, lats, lngs, accs, crss = append(ats, f.Time.UTC()), append(lats, p.Lat), append(lngs, p.Lng), append(accs, f.AccuracyM), append(crss, string(crs))
		assigns = append(assigns, wins[wi].id)
		tss = append(tss, now)
	}
	if len(ats) == 0 {
		return res, nil
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO track_points (tenant_id, employee_id, at, assignment_id, lat, lng, accuracy_m, src_crs, received_at)
		SELECT $1, $2, * FROM unnest($3::timestamptz[], $4::uuid[], $5::float8[], $6::float8[], $7::float8[], $8::text[], $9::timestamptz[])
		ON CONFLICT DO NOTHING`, a.TenantID, a.EmployeeID, ats, assigns, lats, lngs, accs, crss, tss)
	if err != nil {
		return res, fmt.Errorf("track: %w", err)
	}
	res.Accepted = int(tag.RowsAffected())
	res.Duplicates = len(ats) - res.Accepted
	return res, nil
}

// DayTrack is an employee's track over an interval, ready for a map.
type DayTrack struct {
	EmployeeID uuid.UUID
	From, To   time.Time
	Raw        int              // fixes recorded
	Line       []geo.TrackPoint // simplified for display
	DistanceM  float64          // travelled, jitter ignored
	Stops      []geo.Stop       // stays of ≥ 5 min within 50 m
}

// Track parameters: what counts as a stop, and how much shape display keeps.
const (
	StopRadiusM        = 50
	StopMinDuration    = 5 * time.Minute
	SimplifyToleranceM = 10
	jitterStepM        = 5
)

// Track returns one employee's track between from and to (at most 48 h) for
// their managers and admins.
func (s *Service) Track(ctx context.Context, a org.Actor, employee uuid.UUID, from, to time.Time) (DayTrack, error) {
	if err := s.canManage(ctx, a, employee); err != nil {
		return DayTrack{}, err
	}
	if !to.After(from) || to.Sub(from) > 48*time.Hour {
		return DayTrack{}, errs.FieldErr("to", "invalid_range", "ask for at most 48 hours, with to after from")
	}
	rows, err := s.pool.Query(ctx, `SELECT lat, lng, coalesce(accuracy_m, 0), at FROM track_points
		WHERE tenant_id = $1 AND employee_id = $2 AND at >= $3 AND at < $4 ORDER BY at`, a.TenantID, employee, from, to)
	if err != nil {
		return DayTrack{}, fmt.Errorf("track: %w", err)
	}
	pts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (geo.TrackPoint, error) {
		var p geo.TrackPoint
		return p, r.Scan(&p.Lat, &p.Lng, &p.AccuracyM, &p.Time)
	})
	if err != nil {
		return DayTrack{}, fmt.Errorf("track: %w", err)
	}
	return DayTrack{EmployeeID: employee, From: from, To: to, Raw: len(pts),
		Line: geo.SimplifyTrack(pts, SimplifyToleranceM), DistanceM: math.Round(geo.TrackDistanceM(pts, jitterStepM)),
		Stops: geo.DetectStops(pts, StopRadiusM, StopMinDuration)}, nil
}

// DeleteExpiredTracks removes track points older than each tenant's
// retention (track_retention_days); the retention loop calls it.
func (s *Service) DeleteExpiredTracks(ctx context.Context, now time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM track_points tp USING tenants t
		WHERE tp.tenant_id = t.id AND tp.at < $1::timestamptz - make_interval(days => t.track_retention_days)`, now)
	if err != nil {
		return 0, fmt.Errorf("track retention: %w", err)
	}
	return tag.RowsAffected(), nil
}

func notFound(err error, what string) error {
	if err == pgx.ErrNoRows {
		return errs.New(errs.NotFound, "not_found", "%s not found", what)
	}
	return err
}
