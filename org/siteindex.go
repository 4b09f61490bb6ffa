package org

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
)

// SiteIndex is a tenant's live sites with an H3 index over their geofences.
// It is immutable once built and shared by concurrent punches.
type SiteIndex struct {
	Rev   int64
	Index *geo.Index
	Sites map[uuid.UUID]*Site
	// BSSIDs maps a registered Wi-Fi access point to the sites listing it.
	BSSIDs map[string][]uuid.UUID
}

// siteCache keeps one SiteIndex per tenant and rebuilds it when the tenant's
// sites_rev moves on (every replica sees the bump through the same row).
type siteCache struct {
	mu sync.Mutex
	m  map[uuid.UUID]*SiteIndex
}

// PunchContext is what evaluating a punch needs from the organisation.
type PunchContext struct {
	Employee   Employee
	Tenant     TenantPunchSettings
	Sites      *SiteIndex
	Restricted bool               // false: every site is permitted
	Permitted  map[uuid.UUID]bool // when Restricted
}

// Allows reports whether the employee may punch at site.
func (p PunchContext) Allows(site uuid.UUID) bool {
	if _, live := p.Sites.Sites[site]; !live {
		return false
	}
	return !p.Restricted || p.Permitted[site]
}

// punchCache keeps recent PunchContexts for Options.PunchCacheTTL, so a punch
// costs one database round trip (its INSERT) instead of two. Changes made
// through this process drop the affected entries at once; other replicas
// see a change within the TTL.
type punchCache struct {
	mu sync.Mutex
	m  map[[2]uuid.UUID]punchEntry
}

type punchEntry struct {
	pc      PunchContext
	rev     int64
	expires time.Time
}

// maxPunchCache bounds the cache; past it the cache starts over.
const maxPunchCache = 200_000

func (c *punchCache) get(k [2]uuid.UUID, now time.Time) (punchEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.expires) {
		return e, false
	}
	return e, true
}

func (c *punchCache) put(k [2]uuid.UUID, e punchEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxPunchCache {
		c.m = map[[2]uuid.UUID]punchEntry{}
	}
	c.m[k] = e
}

// forget drops one employee's entry, or every entry when employee is Nil.
func (c *punchCache) forget(tenant, employee uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if employee == uuid.Nil {
		c.m = nil
		return
	}
	delete(c.m, [2]uuid.UUID{tenant, employee})
}

// PunchContextFor loads an active employee's permissions and the tenant's
// current site index in one round trip (plus a rebuild when sites changed),
// or from the short-lived cache.
func (s *Service) PunchContextFor(ctx context.Context, tenant, employeeID uuid.UUID) (PunchContext, error) {
	key := [2]uuid.UUID{tenant, employeeID}
	now := s.o.Now()
	if s.o.PunchCacheTTL > 0 {
		if e, ok := s.punches.get(key, now); ok {
			return s.withSites(ctx, tenant, e)
		}
	}
	var pc PunchContext
	var rev int64
	var permitted []uuid.UUID
	emp := &pc.Employee
	ts := &pc.Tenant
	err := s.pool.QueryRow(ctx, `SELECT e.id, e.tenant_id, e.employee_no, e.name, e.role, e.status, e.timezone, t.sites_rev,
		  coalesce((SELECT array_agg(site_id) FROM employee_sites es WHERE es.tenant_id = $1 AND es.employee_id = $2), '{}'),
		  t.trust_policy, t.offline_window_hours, t.field_punch_policy
		FROM employees e JOIN tenants t ON t.id = e.tenant_id WHERE e.tenant_id = $1 AND e.id = $2`, tenant, employeeID).
		Scan(&emp.ID, &emp.TenantID, &emp.EmployeeNo, &emp.Name, &emp.Role, &emp.Status, &emp.Timezone, &rev, &permitted,
			&ts.TrustPolicy, &ts.OfflineWindowHours, &ts.FieldPunchPolicy)
	if err != nil {
		return pc, interpret(err, "employee")
	}
	if emp.Status != StatusActive {
		return pc, errs.New(errs.Forbidden, "employee_left", "the employee has left and cannot punch")
	}
	pc.Restricted = len(permitted) > 0
	pc.Permitted = make(map[uuid.UUID]bool, len(permitted))
	for _, id := range permitted {
		pc.Permitted[id] = true
	}
	e := punchEntry{pc: pc, rev: rev, expires: now.Add(s.o.PunchCacheTTL)}
	if s.o.PunchCacheTTL > 0 {
		s.punches.put(key, e)
	}
	return s.withSites(ctx, tenant, e)
}

func (s *Service) withSites(ctx context.Context, tenant uuid.UUID, e punchEntry) (PunchContext, error) {
	pc := e.pc
	var err error
	pc.Sites, err = s.siteIndex(ctx, tenant, e.rev)
	return pc, err
}

func (s *Service) siteIndex(ctx context.Context, tenant uuid.UUID, rev int64) (*SiteIndex, error) {
	s.sites.mu.Lock()
	defer s.sites.mu.Unlock()
	if cur := s.sites.m[tenant]; cur != nil && cur.Rev >= rev {
		return cur, nil
	}
	// Read the rev again with the sites, in one snapshot, so the index is
	// labelled with the revision it really reflects.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("site index: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`); err != nil {
		return nil, fmt.Errorf("site index: %w", err)
	}
	if err := tx.QueryRow(ctx, `SELECT sites_rev FROM tenants WHERE id = $1`, tenant).Scan(&rev); err != nil {
		return nil, fmt.Errorf("site index: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT `+siteCols+` FROM sites WHERE tenant_id = $1 AND deleted_at IS NULL`, tenant)
	if err != nil {
		return nil, fmt.Errorf("site index: %w", err)
	}
	idx := &SiteIndex{Rev: rev, Sites: map[uuid.UUID]*Site{}, BSSIDs: map[string][]uuid.UUID{}}
	var fences []geo.SiteFence
	for rows.Next() {
		site, err := scanSite(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("site index: %w", err)
		}
		idx.Sites[site.ID] = &site
		for _, b := range site.BSSIDs {
			idx.BSSIDs[b] = append(idx.BSSIDs[b], site.ID)
		}
		for _, f := range site.Fences {
			fences = append(fences, geo.SiteFence{Key: site.ID.String(), Fence: f})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("site index: %w", err)
	}
	if idx.Index, err = geo.NewIndex(fences); err != nil {
		return nil, fmt.Errorf("site index: %w", err)
	}
	if s.sites.m == nil {
		s.sites.m = map[uuid.UUID]*SiteIndex{}
	}
	s.sites.m[tenant] = idx
	return idx, nil
}
