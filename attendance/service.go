package attendance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/media"
	"github.com/dakahq/daka/org"
)

// Options configure the Service.
type Options struct {
	Now func() time.Time
	// MaxAccuracySlackM caps how far outside a fence a fix may be and still
	// count because its accuracy circle reaches the fence. Default 100 m.
	MaxAccuracySlackM float64
	// ClockSkewWarn is how far the phone's clock may be from the server's
	// before the punch carries a client_clock_skew signal. Default 5 min.
	ClockSkewWarn time.Duration
	// HistoryTTL is how long an employee's recent fixes are cached for the
	// trust signals (default 5 s; negative disables). See historyCache.
	HistoryTTL time.Duration
	// Photos stores photo evidence (media/localstore or media/s3store). Nil
	// disables the photo endpoints (503 photos_unavailable).
	Photos media.Store
	// PhotoOptions bound photo uploads; see photo.go.
	PhotoOptions PhotoOptions
}

// Service records and lists punches.
type Service struct {
	approvals *Requests
	hist      historyCache
	pool      *pgxpool.Pool
	org       *org.Service
	o         Options
	ph        photoState
}

// NewService returns a Service.
func NewService(pool *pgxpool.Pool, orgs *org.Service, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxAccuracySlackM <= 0 {
		o.MaxAccuracySlackM = 100
	}
	if o.HistoryTTL == 0 {
		o.HistoryTTL = 5 * time.Second
	}
	if o.ClockSkewWarn <= 0 {
		o.ClockSkewWarn = 5 * time.Minute
	}
	return &Service{pool: pool, org: orgs, o: o, ph: newPhotoState(o.Photos, o.PhotoOptions)}
}

// RecordAppPunch evaluates and stores a punch from the app. It returns the
// stored punch and whether it was created now (false: a replay of the same
// client_punch_id, answered with the punch stored the first time).
func (s *Service) RecordAppPunch(ctx context.Context, a org.Actor, in NewAppPunch) (Punch, bool, error) {
	if err := in.Validate(); err != nil {
		return Punch{}, false, err
	}
	now := s.o.Now().UTC().Truncate(time.Microsecond)
	pc, err := s.org.PunchContextFor(ctx, a.TenantID, a.EmployeeID)
	if err != nil {
		return Punch{}, false, err
	}
	ev, err := s.gatherEvidence(ctx, a, in)
	if err != nil {
		return Punch{}, false, err
	}
	p := s.evaluateWith(pc, in, now, ev)
	var created bool
	if p.Verdict == VerdictNeedsApproval && s.approvals != nil {
		// The punch and its approval commit together: no punch waits for a
		// decision nobody was asked to make.
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			if created, err = s.insert(ctx, tx, &p); err != nil || !created {
				return err
			}
			_, err = s.approvals.StartApprovalTx(ctx, tx, RequestRef{TenantID: p.TenantID, Type: "punch", ID: p.ID, EmployeeID: p.EmployeeID})
			return err
		})
	} else {
		created, err = s.insert(ctx, s.pool, &p)
	}
	if err != nil {
		return Punch{}, false, err
	}
	if created {
		s.hist.remember(&p)
	}
	if !created {
		prev, err := s.byClientID(ctx, a.TenantID, a.EmployeeID, in.ClientPunchID)
		if err != nil {
			return Punch{}, false, err
		}
		if prev.Kind != in.Kind {
			return Punch{}, false, errs.New(errs.Conflict, "idempotency_key_reused",
				"client_punch_id %s was already used for a %q punch", in.ClientPunchID, prev.Kind)
		}
		return prev, false, nil
	}
	return p, true, nil
}

func sevRank(s string) int {
	switch s {
	case "critical":
		return 2
	case "warning":
		return 1
	}
	return 0
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

const punchCols = `id, tenant_id, employee_id, kind, source, verdict, client_punch_id, occurred_at, received_at, client_time,
	site_id, site_name, distance_m, containment, nearest_site_id, nearest_site_name, nearest_distance_m,
	lat, lng, accuracy_m, src_crs, src_lat, src_lng, fix_time, is_mock, wifi_bssid, wifi_ssid,
	app_device_id, app_platform, rooted, photo_id, signals, score, offline, offline_clock, field_visit, developer_mode`

// punchSelectCols are punchCols plus what other paths (terminals) wrote.
const punchSelectCols = punchCols + `, device_id`

// RoutePunchApprovals sends punches whose verdict is needs_approval to the
// approval engine, in the transaction that stores them.
func (s *Service) RoutePunchApprovals(r *Requests) { s.approvals = r }

// insert stores p unless its client id is taken; it reports whether it did.
func (s *Service) insert(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, p *Punch) (bool, error) {
	sig, err := json.Marshal(p.Signals)
	if err != nil {
		return false, fmt.Errorf("record punch: %w", err)
	}
	var lat, lng, srcLat, srcLng, acc *float64
	var crs *string
	var fix *time.Time
	var mock *bool
	if l := p.Location; l != nil {
		lat, lng, srcLat, srcLng, acc, fix, mock = &l.Lat, &l.Lng, &l.SrcLat, &l.SrcLng, l.AccuracyM, l.FixTime, l.IsMock
		c := string(l.CRS)
		crs = &c
	}
	var bssid, ssid, devID, platform *string
	var rooted, devMode *bool
	if p.WiFi != nil {
		bssid, ssid = &p.WiFi.BSSID, &p.WiFi.SSID
	}
	if p.Device != nil {
		devID, platform, rooted, devMode = &p.Device.ID, &p.Device.Platform, p.Device.Rooted, p.Device.DevMode
	}
	var clock, visit []byte
	if p.OfflineClock != nil {
		clock, _ = json.Marshal(p.OfflineClock)
	}
	if p.FieldVisit != nil {
		visit, _ = json.Marshal(p.FieldVisit)
	}
	tag, err := q.Exec(ctx, `INSERT INTO punches (`+punchCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33,
		$34, $35, $36, $37)
		ON CONFLICT (tenant_id, employee_id, client_punch_id) WHERE client_punch_id IS NOT NULL DO NOTHING`,
		p.ID, p.TenantID, p.EmployeeID, p.Kind, p.Source, p.Verdict, p.ClientPunchID, p.OccurredAt, p.ReceivedAt, p.ClientTime,
		p.SiteID, p.SiteName, p.DistanceM, p.Containment, p.NearestSiteID, p.NearestSiteName, p.NearestDistanceM,
		lat, lng, acc, crs, srcLat, srcLng, fix, mock, bssid, ssid, devID, platform, rooted, p.PhotoID, sig, p.Score,
		p.Offline, clock, visit, devMode)
	if err != nil {
		return false, fmt.Errorf("record punch: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func scanPunch(r pgx.Row) (Punch, error) {
	var p Punch
	var lat, lng, srcLat, srcLng, acc *float64
	var crs, bssid, ssid, devID, platform *string
	var fix *time.Time
	var mock, rooted, devMode *bool
	var sig, clock, visit []byte
	err := r.Scan(&p.ID, &p.TenantID, &p.EmployeeID, &p.Kind, &p.Source, &p.Verdict, &p.ClientPunchID, &p.OccurredAt, &p.ReceivedAt,
		&p.ClientTime, &p.SiteID, &p.SiteName, &p.DistanceM, &p.Containment, &p.NearestSiteID, &p.NearestSiteName, &p.NearestDistanceM,
		&lat, &lng, &acc, &crs, &srcLat, &srcLng, &fix, &mock, &bssid, &ssid, &devID, &platform, &rooted, &p.PhotoID, &sig, &p.Score,
		&p.Offline, &clock, &visit, &devMode, &p.DeviceID)
	if err != nil {
		return p, err
	}
	if lat != nil && lng != nil {
		l := &Location{Lat: *lat, Lng: *lng, AccuracyM: acc, FixTime: fix, IsMock: mock}
		if crs != nil {
			l.CRS = geo.CRS(*crs)
		}
		if srcLat != nil && srcLng != nil {
			l.SrcLat, l.SrcLng = *srcLat, *srcLng
		}
		p.Location = l
	}
	if bssid != nil {
		p.WiFi = &WiFi{BSSID: *bssid}
		if ssid != nil {
			p.WiFi.SSID = *ssid
		}
	}
	if clock != nil {
		p.OfflineClock = &OfflineClock{}
		_ = json.Unmarshal(clock, p.OfflineClock)
	}
	if visit != nil {
		p.FieldVisit = &FieldVisit{}
		_ = json.Unmarshal(visit, p.FieldVisit)
	}
	if devID != nil || platform != nil {
		p.Device = &AppDevice{Rooted: rooted, DevMode: devMode}
		if devID != nil {
			p.Device.ID = *devID
		}
		if platform != nil {
			p.Device.Platform = *platform
		}
	}
	if err := json.Unmarshal(sig, &p.Signals); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Service) byClientID(ctx context.Context, tenant, emp, cid uuid.UUID) (Punch, error) {
	p, err := scanPunch(s.pool.QueryRow(ctx, `SELECT `+punchSelectCols+` FROM punches WHERE tenant_id = $1 AND employee_id = $2 AND client_punch_id = $3`,
		tenant, emp, cid))
	if errors.Is(err, pgx.ErrNoRows) {
		return p, errs.New(errs.NotFound, "not_found", "punch not found")
	}
	return p, err
}

// PunchFilter narrows ListPunches.
type PunchFilter struct {
	EmployeeID *uuid.UUID
	SiteID     *uuid.UUID
	Verdict    *string
	Source     *string
	From, To   *time.Time
	Cursor     *string
	Limit      *int
}

// ListPunches lists punches newest first: an employee's own (mine=true), or
// those the actor may see (admins: the tenant; managers: their subtree).
func (s *Service) ListPunches(ctx context.Context, a org.Actor, mine bool, f PunchFilter) ([]Punch, *string, error) {
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	args := []any{a.TenantID}
	where := "tenant_id = $1"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	switch {
	case mine:
		add("employee_id = $%d", a.EmployeeID)
	case a.Role == org.RoleEmployee:
		return nil, nil, errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
	case a.Role == org.RoleManager:
		ids, _, err := s.org.VisibleEmployees(ctx, a)
		if err != nil {
			return nil, nil, err
		}
		add("employee_id = ANY($%d)", ids)
	}
	if f.EmployeeID != nil {
		add("employee_id = $%d", *f.EmployeeID)
	}
	if f.SiteID != nil {
		add("site_id = $%d", *f.SiteID)
	}
	if f.Verdict != nil {
		add("verdict = $%d", *f.Verdict)
	}
	if f.Source != nil {
		add("source = $%d", *f.Source)
	}
	if f.From != nil {
		add("occurred_at >= $%d", *f.From)
	}
	if f.To != nil {
		add("occurred_at < $%d", *f.To)
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (occurred_at, id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+punchSelectCols+` FROM punches WHERE `+where+
		fmt.Sprintf(` ORDER BY occurred_at DESC, id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list punches: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Punch, error) { return scanPunch(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list punches: %w", err)
	}
	var next *string
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = page.Next(true, page.Cursor{T: last.OccurredAt, ID: last.ID})
	}
	return out, next, nil
}
