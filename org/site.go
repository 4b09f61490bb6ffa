package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
)

// SiteInput creates a site (all required but Address, CRS, BSSIDs) or, as a
// patch, changes the fields that are set. Fences are in CRS.
type SiteInput struct {
	Name     *string
	Address  *string
	Timezone *string
	CRS      *string
	Fences   *[]geo.Fence
	BSSIDs   *[]string
	// MaxAccuracyM: Set with nil clears the limit.
	MaxAccuracyM Opt[float64]
}

var bssidRe = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2}){5}$`)

// NormaliseBSSID lower-cases a MAC address and uses colons; it returns ""
// for anything else and for the placeholders phones report when they may
// not read the Wi-Fi (02:00:00:00:00:00) or when there is none.
func NormaliseBSSID(s string) string {
	v := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", ":"))
	if !bssidRe.MatchString(v) || v == "02:00:00:00:00:00" || v == "00:00:00:00:00:00" || v == "ff:ff:ff:ff:ff:ff" {
		return ""
	}
	return v
}

// apply validates in into site (zero for a new one).
func (in SiteInput) apply(site *Site, creating bool) error {
	var f errs.Fields
	if in.Name != nil {
		v := strings.TrimSpace(*in.Name)
		if n := len([]rune(v)); n < 1 || n > 200 || strings.ContainsFunc(v, isControl) {
			f.Add("name", "invalid_name", "use 1–200 printable characters")
		}
		site.Name = v
	} else if creating {
		f.Add("name", "required", "the name is required")
	}
	if in.Address != nil {
		v := strings.TrimSpace(*in.Address)
		if len([]rune(v)) > 500 || strings.ContainsFunc(v, isControl) {
			f.Add("address", "invalid_address", "use at most 500 printable characters")
		}
		site.Address = v
	}
	if in.Timezone != nil {
		if !validTimezone(*in.Timezone) {
			f.Add("timezone", "invalid_timezone", "not an IANA time zone name such as Asia/Shanghai")
		}
		site.Timezone = *in.Timezone
	} else if creating {
		f.Add("timezone", "required", "the time zone is required")
	}
	crsChanged := false
	if in.CRS != nil {
		c, err := geo.ParseCRS(*in.CRS)
		if err != nil {
			f.Add("crs", "invalid_crs", "crs must be wgs84, gcj02 or bd09")
		} else {
			crsChanged = c != site.CRS
			site.CRS = c
		}
	} else if creating {
		site.CRS = geo.WGS84
	}
	if crsChanged && in.Fences == nil && !creating {
		f.Add("geofences", "required", "changing crs needs the geofences in the new crs")
	}
	if in.Fences != nil {
		src := *in.Fences
		if len(src) < 1 || len(src) > 50 {
			f.Add("geofences", "invalid_count", "give 1–50 geofences")
		}
		wgs := make([]geo.Fence, len(src))
		for i, fe := range src {
			w, err := fenceToWGS84(fe, site.CRS)
			if err != nil {
				field := fmt.Sprintf("geofences[%d]", i)
				code := "invalid_geofence"
				var fe *geo.FenceError
				if errors.As(err, &fe) {
					code = fe.Code
					field += fenceField(fe.Code)
				}
				f.Add(field, code, "%s", strings.TrimPrefix(err.Error(), "geo: invalid input: "))
				continue
			}
			wgs[i] = w
		}
		site.SrcFences, site.Fences = src, wgs
	} else if creating {
		f.Add("geofences", "required", "give at least one geofence")
	}
	if in.BSSIDs != nil {
		var out []string
		for i, b := range *in.BSSIDs {
			v := NormaliseBSSID(b)
			if v == "" {
				f.Add(fmt.Sprintf("wifi_bssids[%d]", i), "invalid_bssid", "not a usable Wi-Fi BSSID (aa:bb:cc:dd:ee:ff)")
				continue
			}
			out = append(out, v)
		}
		slices.Sort(out)
		site.BSSIDs = slices.Compact(out)
	}
	if site.BSSIDs == nil {
		site.BSSIDs = []string{}
	}
	if in.MaxAccuracyM.Set {
		site.MaxAccuracyM = in.MaxAccuracyM.V
		if v := site.MaxAccuracyM; v != nil && !(*v > 0 && *v <= 10000) {
			f.Add("max_accuracy_m", "out_of_range", "max_accuracy_m must be in (0, 10000] metres")
		}
	}
	return f.Err()
}

func fenceField(code string) string {
	switch code {
	case geo.CodeRadiusOutOfRange:
		return ".radius_m"
	case geo.CodeInvalidKind:
		return ".type"
	case "invalid_center":
		return ".center"
	case geo.CodeDegeneratePolygon, geo.CodeTooManyVertices, geo.CodeSelfIntersecting, geo.CodeCrossesAntimeridian, "invalid_point":
		return ".points"
	}
	return ""
}

// fenceToWGS84 converts a fence given in c to WGS-84 and validates it there
// (a circle with points, or a polygon with a radius, is refused by Validate).
func fenceToWGS84(f geo.Fence, c geo.CRS) (geo.Fence, error) {
	w := f
	if f.Kind != geo.Circle && f.Kind != geo.Polygon {
		return geo.Fence{}, &geo.FenceError{Code: geo.CodeInvalidKind, Msg: "type must be circle or polygon"}
	}
	if f.Kind == geo.Circle {
		if err := f.Center.Validate(); err != nil {
			return geo.Fence{}, &geo.FenceError{Code: "invalid_center", Msg: "the centre is not a valid coordinate"}
		}
		p, err := geo.ToWGS84(f.Center, c)
		if err != nil {
			return geo.Fence{}, err
		}
		w.Center = p
	}
	if len(f.Points) > geo.MaxVertices {
		return geo.Fence{}, &geo.FenceError{Code: geo.CodeTooManyVertices, Msg: fmt.Sprintf("at most %d points", geo.MaxVertices)}
	}
	if f.Points != nil {
		w.Points = make([]geo.Point, len(f.Points))
		for i, p := range f.Points {
			if err := p.Validate(); err != nil {
				return geo.Fence{}, &geo.FenceError{Code: "invalid_point", Msg: fmt.Sprintf("point %d is not a valid coordinate", i)}
			}
			q, err := geo.ToWGS84(p, c)
			if err != nil {
				return geo.Fence{}, err
			}
			w.Points[i] = q
		}
	}
	return w, w.Validate()
}

// fenceJSON is how fences are stored and served.
type fenceJSON struct {
	Type    string      `json:"type"`
	Center  *geo.Point  `json:"center,omitempty"`
	RadiusM *float64    `json:"radius_m,omitempty"`
	Points  []geo.Point `json:"points,omitempty"`
}

func fencesToJSON(fs []geo.Fence) []byte {
	out := make([]fenceJSON, len(fs))
	for i, f := range fs {
		j := fenceJSON{Type: string(f.Kind)}
		if f.Kind == geo.Circle {
			c, r := f.Center, f.RadiusM
			j.Center, j.RadiusM = &c, &r
		} else {
			j.Points = f.Points
		}
		out[i] = j
	}
	b, _ := json.Marshal(out)
	return b
}

func fencesFromJSON(b []byte) ([]geo.Fence, error) {
	var in []fenceJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]geo.Fence, len(in))
	for i, j := range in {
		f := geo.Fence{Kind: geo.FenceKind(j.Type), Points: j.Points}
		if j.Center != nil {
			f.Center = *j.Center
		}
		if j.RadiusM != nil {
			f.RadiusM = *j.RadiusM
		}
		out[i] = f
	}
	return out, nil
}

const siteCols = `id, name, address, timezone, crs, geofences, geofences_src, wifi_bssids, max_accuracy_m, created_at, updated_at`

func scanSite(r pgx.Row) (Site, error) {
	var s Site
	var fw, fs []byte
	err := r.Scan(&s.ID, &s.Name, &s.Address, &s.Timezone, &s.CRS, &fw, &fs, &s.BSSIDs, &s.MaxAccuracyM, &s.CreatedAt, &s.UpdatedAt)
	if err != nil {
		return s, err
	}
	if s.Fences, err = fencesFromJSON(fw); err != nil {
		return s, err
	}
	s.SrcFences, err = fencesFromJSON(fs)
	return s, err
}

func siteChanges(a, b Site) map[string]any {
	m := map[string]any{}
	if a.Name != b.Name {
		change(m, "name", a.Name, b.Name)
	}
	if a.Address != b.Address {
		change(m, "address", a.Address, b.Address)
	}
	if a.Timezone != b.Timezone {
		change(m, "timezone", a.Timezone, b.Timezone)
	}
	if a.CRS != b.CRS {
		change(m, "crs", a.CRS, b.CRS)
	}
	if string(fencesToJSON(a.SrcFences)) != string(fencesToJSON(b.SrcFences)) {
		change(m, "geofences", json.RawMessage(fencesToJSON(a.SrcFences)), json.RawMessage(fencesToJSON(b.SrcFences)))
	}
	if !slices.Equal(a.BSSIDs, b.BSSIDs) {
		change(m, "wifi_bssids", a.BSSIDs, b.BSSIDs)
	}
	if fmt.Sprint(derefF(a.MaxAccuracyM)) != fmt.Sprint(derefF(b.MaxAccuracyM)) {
		change(m, "max_accuracy_m", a.MaxAccuracyM, b.MaxAccuracyM)
	}
	return m
}

func bumpSitesRev(ctx context.Context, tx pgx.Tx, tenant uuid.UUID) error {
	_, err := tx.Exec(ctx, `UPDATE tenants SET sites_rev = sites_rev + 1 WHERE id = $1`, tenant)
	return err
}

// CreateSite adds a site. Admins only.
func (s *Service) CreateSite(ctx context.Context, a Actor, in SiteInput) (Site, error) {
	if !a.IsAdmin() {
		return Site{}, errForbidden()
	}
	var site Site
	if err := in.apply(&site, true); err != nil {
		return Site{}, err
	}
	now := s.now()
	site.ID, _ = uuid.NewV7()
	var out Site
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = scanSite(tx.QueryRow(ctx, `INSERT INTO sites (tenant_id, id, name, address, timezone, crs, geofences, geofences_src, wifi_bssids, max_accuracy_m, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING `+siteCols,
			a.TenantID, site.ID, site.Name, site.Address, site.Timezone, site.CRS, fencesToJSON(site.Fences), fencesToJSON(site.SrcFences), site.BSSIDs, site.MaxAccuracyM, now))
		if err != nil {
			return interpret(err, "site")
		}
		if err := bumpSitesRev(ctx, tx, a.TenantID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, a, now, "site.create", "site", site.ID.String(), siteChanges(Site{}, out))
	})
	s.punches.forget(a.TenantID, uuid.Nil)
	return out, err
}

// GetSite returns a live site. Every signed-in user may read sites.
func (s *Service) GetSite(ctx context.Context, a Actor, id uuid.UUID) (Site, error) {
	site, err := scanSite(s.pool.QueryRow(ctx, `SELECT `+siteCols+` FROM sites WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, a.TenantID, id))
	return site, interpret(err, "site")
}

// ListSites lists live sites by creation order.
func (s *Service) ListSites(ctx context.Context, a Actor, q *string, cursor *string, limit *int) ([]Site, *string, error) {
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID}
	where := "tenant_id = $1 AND deleted_at IS NULL"
	if q != nil && *q != "" {
		args = append(args, "%"+escapeLike(*q)+"%")
		where += fmt.Sprintf(" AND name ILIKE $%d", len(args))
	}
	if cur != nil {
		args = append(args, cur.ID)
		where += fmt.Sprintf(" AND id > $%d", len(args))
	}
	args = append(args, n+1)
	rows, err := s.pool.Query(ctx, `SELECT `+siteCols+` FROM sites WHERE `+where+fmt.Sprintf(` ORDER BY id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list sites: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Site, error) { return scanSite(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("list sites: %w", err)
	}
	var next *string
	if len(out) > n {
		out = out[:n]
		next = page.Next(true, page.Cursor{ID: out[n-1].ID})
	}
	return out, next, nil
}

// UpdateSite changes a site. Admins only.
func (s *Service) UpdateSite(ctx context.Context, a Actor, id uuid.UUID, in SiteInput) (Site, error) {
	if !a.IsAdmin() {
		return Site{}, errForbidden()
	}
	now := s.now()
	var out Site
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		before, err := scanSite(tx.QueryRow(ctx, `SELECT `+siteCols+` FROM sites WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`, a.TenantID, id))
		if err != nil {
			return interpret(err, "site")
		}
		site := before
		if err := in.apply(&site, false); err != nil {
			return err
		}
		changes := siteChanges(before, site)
		if len(changes) == 0 {
			out = before
			return nil
		}
		out, err = scanSite(tx.QueryRow(ctx, `UPDATE sites SET name = $3, address = $4, timezone = $5, crs = $6, geofences = $7,
			geofences_src = $8, wifi_bssids = $9, max_accuracy_m = $11, updated_at = $10 WHERE tenant_id = $1 AND id = $2 RETURNING `+siteCols,
			a.TenantID, id, site.Name, site.Address, site.Timezone, site.CRS, fencesToJSON(site.Fences), fencesToJSON(site.SrcFences), site.BSSIDs, now, site.MaxAccuracyM))
		if err != nil {
			return interpret(err, "site")
		}
		if err := bumpSitesRev(ctx, tx, a.TenantID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, a, now, "site.update", "site", id.String(), changes)
	})
	s.punches.forget(a.TenantID, uuid.Nil)
	return out, err
}

// DeleteSite retires a site: its punches stay and it accepts no new ones.
// Employees restricted to it keep the restriction (they do not silently
// gain every other site).
func (s *Service) DeleteSite(ctx context.Context, a Actor, id uuid.UUID) error {
	if !a.IsAdmin() {
		return errForbidden()
	}
	now := s.now()
	defer s.punches.forget(a.TenantID, uuid.Nil)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `UPDATE sites SET deleted_at = $3, updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING name`,
			a.TenantID, id, now).Scan(&name)
		if err != nil {
			return interpret(err, "site")
		}
		if err := bumpSitesRev(ctx, tx, a.TenantID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, a, now, "site.delete", "site", id.String(), map[string]any{"name": name})
	})
}

func derefF(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
