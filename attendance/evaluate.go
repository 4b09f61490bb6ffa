package attendance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/org"
)

// punchEvidence is what the punch path reads before deciding: the
// employee's recent fixes and devices, and the attached photo's facts.
type punchEvidence struct {
	recent  []geo.Fix
	devices []string
	photo   *PhotoEvidence
}

// recentFixes is how much history the trust signals look at.
const recentFixes = 20

// historyCache keeps each employee's recent fixes for a few seconds, and
// this process appends its own new punches to it, so a steady stream of
// punches costs one round trip (the INSERT) instead of two. Another replica's
// punches are seen once the entry expires (HistoryTTL, default 5 s): a
// deployment that wants every replica to see every fix at once routes an
// employee's punches to one replica or sets HistoryTTL negative.
type historyCache struct {
	mu sync.Mutex
	m  map[[2]uuid.UUID]historyEntry
}

type historyEntry struct {
	fixes   []geo.Fix
	devices []string
	expires time.Time
}

func (c *historyCache) get(k [2]uuid.UUID, now time.Time) (historyEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e, ok && now.Before(e.expires)
}

func (c *historyCache) put(k [2]uuid.UUID, e historyEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 200_000 {
		c.m = map[[2]uuid.UUID]historyEntry{}
	}
	c.m[k] = e
}

// remember adds a stored punch's fix to its employee's cached history.
func (c *historyCache) remember(p *Punch) {
	if p.Location == nil {
		return
	}
	k := [2]uuid.UUID{p.TenantID, p.EmployeeID}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return
	}
	f := geo.Fix{Point: geo.Point{Lat: p.Location.Lat, Lng: p.Location.Lng}, Time: p.OccurredAt}
	if p.Location.AccuracyM != nil {
		f.AccuracyM = *p.Location.AccuracyM
	}
	if p.Location.FixTime != nil {
		f.Time = *p.Location.FixTime
	}
	if p.ClientPunchID != nil {
		f.ClientPunchID = p.ClientPunchID.String()
	}
	e.fixes = append([]geo.Fix{f}, e.fixes[:min(len(e.fixes), recentFixes-1)]...)
	if p.Device != nil && p.Device.ID != "" && !slices.Contains(e.devices, p.Device.ID) {
		e.devices = append(slices.Clone(e.devices), p.Device.ID)
	}
	c.m[k] = e
}

// gatherEvidence loads the history and photo a punch is judged against.
func (s *Service) gatherEvidence(ctx context.Context, a org.Actor, in NewAppPunch) (punchEvidence, error) {
	var ev punchEvidence
	if err := s.history(ctx, a, in, &ev); err != nil {
		return ev, err
	}
	if in.PhotoID != nil {
		pe, err := s.PhotoEvidence(ctx, a.TenantID, a.EmployeeID, *in.PhotoID)
		if err != nil {
			return ev, err
		}
		ev.photo = &pe
	}
	return ev, nil
}

// history fills ev with the employee's recent fixes and devices, from the
// cache when fresh.
func (s *Service) history(ctx context.Context, a org.Actor, in NewAppPunch, ev *punchEvidence) error {
	k := [2]uuid.UUID{a.TenantID, a.EmployeeID}
	now := s.o.Now()
	if s.o.HistoryTTL > 0 {
		if e, ok := s.hist.get(k, now); ok {
			for _, f := range e.fixes {
				if f.ClientPunchID != in.ClientPunchID.String() {
					ev.recent = append(ev.recent, f)
				}
			}
			ev.devices = e.devices
			return nil
		}
	}
	var all []geo.Fix
	rows, err := s.pool.Query(ctx, `SELECT lat, lng, coalesce(accuracy_m, 0), coalesce(fix_time, occurred_at),
		coalesce(client_punch_id::text, ''), coalesce(app_device_id, '')
		FROM punches WHERE tenant_id = $1 AND employee_id = $2 AND lat IS NOT NULL
		ORDER BY received_at DESC LIMIT $3`, a.TenantID, a.EmployeeID, recentFixes)
	if err != nil {
		return fmt.Errorf("punch history: %w", err)
	}
	for rows.Next() {
		var f geo.Fix
		var dev string
		if err := rows.Scan(&f.Point.Lat, &f.Point.Lng, &f.AccuracyM, &f.Time, &f.ClientPunchID, &dev); err != nil {
			rows.Close()
			return fmt.Errorf("punch history: %w", err)
		}
		all = append(all, f)
		if f.ClientPunchID != in.ClientPunchID.String() { // a retry is not its own history
			ev.recent = append(ev.recent, f)
		}
		if dev != "" && !slices.Contains(ev.devices, dev) {
			ev.devices = append(ev.devices, dev)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("punch history: %w", err)
	}
	if s.o.HistoryTTL > 0 {
		s.hist.put(k, historyEntry{fixes: all, devices: ev.devices, expires: now.Add(s.o.HistoryTTL)})
	}
	return nil
}

// policies caches parsed tenant trust policies by their JSON.
var policies sync.Map // string → geo.TrustPolicy

// TrustPolicyFor parses a tenant's stored policy over the defaults (nil: the
// defaults). Invalid stored policies fall back to the defaults; they cannot
// be stored through the API (ValidateTrustPolicy).
func TrustPolicyFor(raw []byte) geo.TrustPolicy {
	if len(raw) == 0 {
		return geo.DefaultTrustPolicy()
	}
	if p, ok := policies.Load(string(raw)); ok {
		return p.(geo.TrustPolicy)
	}
	p := geo.DefaultTrustPolicy()
	if err := json.Unmarshal(raw, &p); err != nil || p.Validate() != nil {
		return geo.DefaultTrustPolicy()
	}
	policies.Store(string(raw), p)
	return p
}

// ValidateTrustPolicy checks a policy document before it is stored.
func ValidateTrustPolicy(raw []byte) error {
	p := geo.DefaultTrustPolicy()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("not a trust policy: %v", err)
	}
	return p.Validate()
}

// evaluate decides a punch with no history (make-up evidence, tests).
func (s *Service) evaluate(pc org.PunchContext, in NewAppPunch, now time.Time) Punch {
	return s.evaluateWith(pc, in, now, punchEvidence{})
}

// evaluateWith decides the verdict of an app punch. It is pure given its
// arguments: the geofence test (H3 pre-filter, exact distance), the Wi-Fi
// match, the offline time reconstruction and the field-visit policy feed the
// trust engine (geo.Assess), whose verdict, score and signals are stored.
func (s *Service) evaluateWith(pc org.PunchContext, in NewAppPunch, now time.Time, ev punchEvidence) Punch {
	id, _ := uuid.NewV7()
	cpid := in.ClientPunchID
	p := Punch{
		ID: id, TenantID: pc.Employee.TenantID, EmployeeID: pc.Employee.ID, Kind: in.Kind, Source: SourceApp,
		ClientPunchID: &cpid, OccurredAt: now, ReceivedAt: now, ClientTime: in.ClientTime,
		WiFi: in.WiFi, Device: in.Device, PhotoID: in.PhotoID, Signals: []Signal{},
		OfflineClock: in.Offline, FieldVisit: in.FieldVisit, Offline: in.Offline != nil,
	}
	policy := TrustPolicyFor(pc.Tenant.TrustPolicy)
	window := time.Duration(pc.Tenant.OfflineWindowHours) * time.Hour
	if window <= 0 {
		window = 72 * time.Hour
	}
	policy.OfflineMaxAgeS = window.Seconds()
	allow := func(key string) bool {
		id, err := uuid.Parse(key)
		return err == nil && pc.Allows(id)
	}

	e := geo.Evidence{ServerTime: now, ClientTime: in.ClientTime, FixTime: in.FixTime, IsMock: in.IsMock, Previous: ev.recent}
	if in.Device != nil {
		e.Rooted, e.DevMode, e.DeviceID, e.UsualDeviceIDs = in.Device.Rooted, in.Device.DevMode, in.Device.ID, ev.devices
	}
	if ev.photo != nil {
		e.Photo = photoEvidence(ev.photo, pc)
	}
	if in.Offline != nil {
		o := geo.OfflineClock{DeviceWallAtPunch: in.Offline.DeviceTime, BootAtPunch: in.Offline.BootID,
			BootAtUpload: in.Offline.BootIDAtUpload, ServerReceipt: now, FixTime: in.FixTime, MaxAge: window}
		if in.Offline.DeviceTimeAtUpload != nil {
			o.DeviceWallAtUpload = *in.Offline.DeviceTimeAtUpload
		} else if in.ClientTime != nil {
			o.DeviceWallAtUpload = *in.ClientTime
		}
		if in.Offline.ElapsedMs != nil && in.Offline.ElapsedMsAtUpload != nil {
			o.ElapsedAtPunch = time.Duration(*in.Offline.ElapsedMs) * time.Millisecond
			o.ElapsedAtUpload = time.Duration(*in.Offline.ElapsedMsAtUpload) * time.Millisecond
		}
		t, ok, reason := geo.ReconstructTime(o)
		e.Offline = true
		if !t.IsZero() {
			t = t.UTC().Truncate(time.Microsecond)
			e.ReconstructedTime = &t
			if !t.After(now) {
				p.OccurredAt = t
			}
		}
		if !ok {
			e.ReconstructionIssue = reason
		}
		e.ServerTime = now
	}

	var wifiSites []uuid.UUID
	if in.WiFi != nil {
		wifiSites = pc.Sites.BSSIDs[org.NormaliseBSSID(in.WiFi.BSSID)]
	}
	if in.NoLocation {
		// No fix: nothing for the location signals to judge; the access
		// point alone decides.
		p.Verdict = VerdictRejected
		if s.wifiOnly(&p, pc, wifiSites) != nil {
			p.Verdict = VerdictAccepted
		}
	} else {
		s.geofence(&p, pc, in, &e, allow, wifiSites)
		a := geo.Assess(e, policy)
		p.Score = math.Round(a.Score*1000) / 1000
		p.Verdict = string(a.Verdict)
		for _, sg := range a.Signals {
			p.Signals = append(p.Signals, Signal{Code: sg.Code, Message: sg.Message, Severity: sg.Severity, Details: sg.Details})
		}
	}
	if in.FieldVisit != nil {
		s.fieldVisit(&p, pc)
	}
	if p.Offline && e.ReconstructedTime != nil && now.Sub(*e.ReconstructedTime) > window {
		p.Verdict = VerdictRejected
		p.Signals = append(p.Signals, Signal{Code: "offline_window_exceeded", Severity: geo.SeverityCritical,
			Message: fmt.Sprintf("queued punches may be uploaded within %s; this one is %s old", window, now.Sub(*e.ReconstructedTime).Round(time.Minute)),
			Details: map[string]any{"age_s": math.Round(now.Sub(*e.ReconstructedTime).Seconds()), "window_s": window.Seconds()}})
	}
	if p.Verdict == VerdictRejected {
		p.SiteID, p.SiteName = nil, nil
	}
	sort.SliceStable(p.Signals, func(i, j int) bool { return sevRank(p.Signals[i].Severity) > sevRank(p.Signals[j].Severity) })
	return p
}

// geofence runs the exact geofence test and fills the punch's site fields
// and the evidence's geofence outcome and Wi-Fi facts.
func (s *Service) geofence(p *Punch, pc org.PunchContext, in NewAppPunch, e *geo.Evidence, allow func(string) bool, wifiSites []uuid.UUID) {
	crs, _ := geo.ParseCRS(in.CRS)
	if in.CRS == "" {
		crs = geo.WGS84
	}
	src := geo.Point{Lat: in.Lat, Lng: in.Lng}
	pt, err := geo.ToWGS84(src, crs)
	if err != nil { // cannot happen for a validated point; keep the raw point
		pt = src
	}
	acc := in.AccuracyM
	p.Location = &Location{Lat: pt.Lat, Lng: pt.Lng, AccuracyM: &acc, CRS: crs, SrcLat: src.Lat, SrcLng: src.Lng,
		FixTime: in.FixTime, IsMock: in.IsMock}
	e.Point, e.AccuracyM = pt, acc
	if crs != geo.WGS84 {
		e.SentPoint = &src
	}

	var best *geo.Hit
	for _, h := range pc.Sites.Index.Locate(pt, acc, s.o.MaxAccuracySlackM) {
		if allow(h.Key) && (best == nil || h.SignedDistanceM < best.SignedDistanceM) {
			h := h
			best = &h
		}
	}
	var site *org.Site
	var signed float64
	var cont geo.Containment
	if best != nil {
		site, signed, cont = pc.Sites.Sites[uuid.MustParse(best.Key)], best.SignedDistanceM, best.Containment
		d := round1(signed)
		c := string(cont)
		p.SiteID, p.SiteName, p.DistanceM, p.Containment = &site.ID, &site.Name, &d, &c
	} else if near, ok := pc.Sites.Index.Nearest(pt, allow); ok {
		site, signed = pc.Sites.Sites[uuid.MustParse(near.Key)], near.SignedDistanceM
		cont = geo.Classify(signed, acc, s.o.MaxAccuracySlackM)
		d := round1(signed)
		c := string(cont)
		p.NearestSiteID, p.NearestSiteName, p.NearestDistanceM, p.Containment = &site.ID, &site.Name, &d, &c
	}
	if site == nil {
		p.Signals = append(p.Signals, Signal{Code: "no_permitted_site", Severity: geo.SeverityCritical,
			Message: "the employee is not permitted at any site"})
		e.Geofence = geo.GeofenceOutcome{Containment: geo.Outside, SignedDistanceM: math.Inf(1)}
		return
	}
	e.Geofence = geo.GeofenceOutcome{Containment: cont, SignedDistanceM: signed, SiteID: site.ID.String()}
	if site.MaxAccuracyM != nil {
		e.Geofence.SiteMaxAccuracyM = *site.MaxAccuracyM
	}
	if in.WiFi != nil {
		w := &geo.WiFiEvidence{BSSID: org.NormaliseBSSID(in.WiFi.BSSID)}
		for _, id := range wifiSites {
			if id == site.ID {
				w.MatchesSite = true
			} else if w.OtherSiteID == "" {
				w.OtherSiteID = id.String()
			}
		}
		e.WiFi = w
		// A matching access point places the phone at the nearest permitted
		// site even when the fix falls outside its fence (OutsideNearWiFi).
		if w.MatchesSite && p.SiteID == nil {
			p.SiteID, p.SiteName = &site.ID, &site.Name
		}
	}
}

// wifiOnly decides a punch that came with a Wi-Fi access point and no fix:
// the access point must be registered at a site the employee may punch at.
func (s *Service) wifiOnly(p *Punch, pc org.PunchContext, wifiSites []uuid.UUID) *org.Site {
	for _, id := range wifiSites {
		if pc.Allows(id) {
			site := pc.Sites.Sites[id]
			p.SiteID, p.SiteName = &site.ID, &site.Name
			p.Signals = append(p.Signals, Signal{Code: "wifi_matches_site", Severity: geo.SeverityInfo,
				Message: fmt.Sprintf("connected to %s, a registered access point of %s", p.WiFi.BSSID, site.Name),
				Details: map[string]any{"bssid": p.WiFi.BSSID, "site_id": site.ID}})
			return site
		}
	}
	p.Signals = append(p.Signals, Signal{Code: "wifi_unknown", Severity: geo.SeverityCritical,
		Message: "without a GPS fix, the access point must be registered at a site you may punch at",
		Details: map[string]any{"bssid": p.WiFi.BSSID}})
	return nil
}

// fieldVisit applies the tenant's field-work policy to a field check-in:
// outside every fence is expected there, so only the other signals count.
func (s *Service) fieldVisit(p *Punch, pc org.PunchContext) {
	outsideOnly := p.Verdict == VerdictRejected
	for _, sg := range p.Signals {
		if sg.Severity == geo.SeverityCritical && sg.Code != "outside_geofence" && sg.Code != "no_permitted_site" {
			outsideOnly = false
		}
	}
	details := map[string]any{"note": p.FieldVisit.Note, "customer": p.FieldVisit.Customer, "policy": pc.Tenant.FieldPunchPolicy}
	switch {
	case p.SiteID != nil:
		return // inside a site: an ordinary punch with a note
	case pc.Tenant.FieldPunchPolicy == "deny":
		p.Signals = append(p.Signals, Signal{Code: "field_visit_denied", Severity: geo.SeverityCritical,
			Message: "this tenant does not accept field check-ins", Details: details})
		p.Verdict = VerdictRejected
	case !outsideOnly && p.Verdict == VerdictRejected:
		// Rejected for another reason (mock location, …): stays rejected.
	case pc.Tenant.FieldPunchPolicy == "allow":
		p.Verdict = severest(VerdictFlagged, p.verdictIgnoringFence())
		p.Signals = append(p.Signals, Signal{Code: "field_visit", Severity: geo.SeverityWarning,
			Message: "field check-in outside the sites, accepted for review", Details: details})
	default: // approval
		p.Verdict = VerdictNeedsApproval
		p.Signals = append(p.Signals, Signal{Code: "field_visit", Severity: geo.SeverityWarning,
			Message: "field check-in outside the sites, waiting for approval", Details: details})
	}
}

// verdictIgnoringFence is the verdict the other signals alone would give.
func (p *Punch) verdictIgnoringFence() string {
	v := VerdictAccepted
	for _, sg := range p.Signals {
		if sg.Code == "outside_geofence" || sg.Code == "no_permitted_site" || sg.Code == "inside_geofence" {
			continue
		}
		if sg.Severity == geo.SeverityCritical {
			v = VerdictNeedsApproval
		} else if sg.Severity == geo.SeverityWarning && v == VerdictAccepted {
			v = VerdictFlagged
		}
	}
	return v
}

var verdictRank = map[string]int{VerdictAccepted: 0, VerdictFlagged: 1, VerdictNeedsApproval: 2, VerdictRejected: 3}

// severest returns the more severe of two verdicts.
func severest(a, b string) string {
	if verdictRank[b] > verdictRank[a] {
		return b
	}
	return a
}

// photoEvidence turns the stored photo facts into the trust engine's input.
func photoEvidence(ph *PhotoEvidence, pc org.PunchContext) *geo.PhotoEvidence {
	out := &geo.PhotoEvidence{ID: ph.PhotoID.String(), CaptureTime: ph.CaptureTime, CaptureOffsetKnown: ph.CaptureOffsetKnown}
	if loc, err := time.LoadLocation(pc.Employee.Timezone); err == nil {
		out.SiteZone = loc
	}
	if ph.GPS != nil {
		out.GPS = &geo.Point{Lat: ph.GPS.Lat, Lng: ph.GPS.Lng}
	}
	if r := ph.Reuse; r != nil {
		out.Reused = &geo.PhotoReuse{OfPhotoID: r.Of.String(), Distance: r.Distance, Exact: r.Exact}
	}
	return out
}
