package geo

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Signal codes: stable, machine-readable names of the facts Assess reports.
// docs/trust.md is the catalogue (what fires each one, its default weight).
const (
	SignalMockLocation           = "mock_location"
	SignalRootedDevice           = "rooted_device"
	SignalDeveloperMode          = "developer_mode"
	SignalAccuracyZero           = "accuracy_zero"
	SignalAccuracySuspicious     = "accuracy_suspicious"
	SignalAccuracyTooPoor        = "accuracy_too_poor"
	SignalZeroJitter             = "zero_jitter"
	SignalLowPrecision           = "low_precision_coordinates"
	SignalImpossibleTravel       = "impossible_travel"
	SignalFixStale               = "fix_stale"
	SignalClientClockSkew        = "client_clock_skew"
	SignalOfflineTimeImplausible = "offline_time_implausible"
	SignalExifGPSMismatch        = "exif_gps_mismatch"
	SignalExifTimeMismatch       = "exif_time_mismatch"
	SignalPhotoReused            = "photo_reused"
	SignalWiFiMatchesSite        = "wifi_matches_site"
	SignalWiFiOtherSite          = "wifi_other_site"
	SignalNewDevice              = "new_device"
	SignalOutsideGeofence        = "outside_geofence"
	SignalInsideGeofence         = "inside_geofence"
	SignalAccuracyStraddlesFence = "accuracy_straddles_fence"
)

// Signal severities, derived from the policy: critical when the signal on
// its own would need approval or reject the punch, warning when it would
// flag it, info otherwise.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// unknownBSSID is what Android returns without location permission: it says
// nothing about where the phone is, so it is treated as no Wi-Fi at all.
const unknownBSSID = "02:00:00:00:00:00"

// Fix is one earlier position of the same employee.
type Fix struct {
	Point     Point
	AccuracyM float64
	// Time is when the fix was taken (its GPS fix time, else its punch time).
	Time          time.Time
	ClientPunchID string
}

// GeofenceOutcome is the caller's geofence test of the punch (Classify with
// the site index); Assess turns it into a verdict floor by the policy's
// GeofenceRule. A zero Containment means the punch was not geofenced.
type GeofenceOutcome struct {
	Containment Containment
	// SignedDistanceM to the best permitted fence, negative inside.
	SignedDistanceM float64
	SiteID          string
	// SiteMaxAccuracyM is the site's own accuracy limit (0 = none: the
	// policy's MaxAccuracyM applies).
	SiteMaxAccuracyM float64
}

// WiFiEvidence is the access point the phone was connected to, as matched by
// the caller against the sites' registered BSSIDs.
type WiFiEvidence struct {
	BSSID string // normalised lower-case
	// MatchesSite: the BSSID is registered at the matched (or nearest
	// permitted) site.
	MatchesSite bool
	// OtherSiteID: the BSSID is registered at this other site instead.
	OtherSiteID string
}

// PhotoReuse is the caller's finding that the punch photo was seen before.
type PhotoReuse struct {
	OfPhotoID string
	// Distance is the perceptual-hash Hamming distance (0–64).
	Distance int
	// Exact: the same bytes (SHA-256) were uploaded before.
	Exact bool
}

// PhotoEvidence is what the punch photo says about when and where it was taken.
type PhotoEvidence struct {
	ID string
	// CaptureTime is EXIF DateTimeOriginal. With CaptureOffsetKnown it is an
	// instant; without, only its wall-clock reading is used, in SiteZone.
	CaptureTime        *time.Time
	CaptureOffsetKnown bool
	// SiteZone reads a capture time that has no offset; nil = unknown, and
	// such a capture time is then not compared.
	SiteZone *time.Location
	// GPS is the EXIF position (WGS-84), if the camera wrote one.
	GPS    *Point
	Reused *PhotoReuse
}

// Evidence is everything known about one punch when it is assessed. Pointer
// fields are optional: nil means "not reported", never "false".
type Evidence struct {
	// Point is the WGS-84 fix and AccuracyM its accuracy radius (68 %).
	Point     Point
	AccuracyM float64
	// SentPoint is the coordinate exactly as the phone sent it, before any
	// datum conversion; the precision check reads it (nil = Point).
	SentPoint *Point
	// ServerTime is the receipt time: the authoritative clock.
	ServerTime time.Time
	// ClientTime is the phone's clock when punching; FixTime the GPS fix time.
	ClientTime, FixTime *time.Time
	// Offline punches were queued on the phone; ReconstructedTime is their
	// punch time from ReconstructTime, and ReconstructionIssue its reason
	// when it returned ok == false ("" otherwise).
	Offline             bool
	ReconstructedTime   *time.Time
	ReconstructionIssue string
	// Client-reported flags: Android mock flag, root/jailbreak indicators,
	// developer options/ADB, iOS isSimulatedBySoftware.
	IsMock, Rooted, DevMode, Simulated *bool
	Geofence                           GeofenceOutcome
	WiFi                               *WiFiEvidence
	// Previous are the employee's recent fixes, newest first.
	Previous []Fix
	Photo    *PhotoEvidence
	// DeviceID is the app install id; UsualDeviceIDs the employee's usual ones
	// (empty = no history, so no device is "new").
	DeviceID       string
	UsualDeviceIDs []string
}

// Signal is one fact the verdict rests on: a stable code, an English
// message with the numbers, and the numbers themselves in Details.
type Signal struct {
	Code     string         `json:"code"`
	Message  string         `json:"message"`
	Severity string         `json:"severity"`
	Weight   float64        `json:"weight"`
	Details  map[string]any `json:"details,omitempty"`
}

// Assessment is the result of Assess: the signals (most severe first), the
// score (sum of their weights, at least 0: 0 is genuine, 1 and above very
// suspicious) and the verdict.
type Assessment struct {
	Signals []Signal `json:"signals"`
	Score   float64  `json:"score"`
	Verdict Verdict  `json:"verdict"`
}

// Assess turns a punch's evidence into signals, a score and a verdict under
// policy p. It is pure and total: any input, NaNs included, gives one of the
// four verdicts and a finite score. The verdict is the most severe of the
// score's verdict (p.Thresholds), the floors of the fired signals' rules and
// the geofence rule. p should pass Validate; for one that does not, a NaN
// weight counts as 0 and others are clamped to ±MaxSignalWeight.
func Assess(e Evidence, p TrustPolicy) Assessment {
	a := assessor{e: &e, p: &p, signals: make([]Signal, 0, 8), floor: VerdictAccepted}
	a.ref, a.refKnown = e.ServerTime, true
	if e.Offline {
		a.refKnown = e.ReconstructedTime != nil
		if a.refKnown {
			a.ref = *e.ReconstructedTime
		}
	}
	a.fixT = a.ref
	if e.FixTime != nil && e.FixTime.Before(a.ref) {
		a.fixT = *e.FixTime
	}
	a.deviceFlags()
	a.accuracy()
	a.coordinates()
	a.travel()
	a.clocks()
	a.photo()
	a.network()
	a.geofence()
	slices.SortStableFunc(a.signals, func(x, y Signal) int { return cmp.Compare(sevRank(y.Severity), sevRank(x.Severity)) })
	score := max(a.score, 0)
	return Assessment{Signals: a.signals, Score: math.Round(score*1000) / 1000,
		Verdict: p.Thresholds.scoreVerdict(score).atLeast(a.floor)}
}

// assessor accumulates signals for one Assess call.
type assessor struct {
	e        *Evidence
	p        *TrustPolicy
	ref      time.Time // the punch time: receipt, or the reconstructed offline time
	refKnown bool      // false for an offline punch with no reconstructed time
	fixT     time.Time // when the fix was taken (FixTime if earlier than ref)
	wifi     bool      // the phone is on one of the site's access points
	signals  []Signal
	score    float64
	floor    Verdict
}

// add records a signal under its policy rule; floor is an extra verdict
// floor (the geofence rule), "" for none.
func (a *assessor) add(code string, floor Verdict, details map[string]any, format string, args ...any) {
	r := a.p.Signals[code]
	w := r.Weight
	if math.IsNaN(w) {
		w = 0
	}
	w = min(max(w, -MaxSignalWeight), MaxSignalWeight) // keeps the sum finite for any policy
	floor = floor.atLeast(r.AtLeast)
	a.score += w
	a.floor = a.floor.atLeast(floor)
	sev := SeverityInfo
	switch a.p.Thresholds.scoreVerdict(max(w, 0)).atLeast(floor) {
	case VerdictFlagged:
		sev = SeverityWarning
	case VerdictNeedsApproval, VerdictRejected:
		sev = SeverityCritical
	}
	a.signals = append(a.signals, Signal{Code: code, Message: fmt.Sprintf(format, args...), Severity: sev,
		Weight: w, Details: details})
}

func (a *assessor) deviceFlags() {
	e := a.e
	if isTrue(e.IsMock) || isTrue(e.Simulated) {
		src := "Android marks the fix as coming from a mock location provider"
		if !isTrue(e.IsMock) {
			src = "iOS marks the fix as simulated by software"
		}
		a.add(SignalMockLocation, "", map[string]any{"is_mock": isTrue(e.IsMock), "simulated": isTrue(e.Simulated)},
			"the phone reports a simulated location: %s", src)
	}
	if isTrue(e.Rooted) {
		a.add(SignalRootedDevice, "", nil, "the phone reports root or jailbreak indicators")
	}
	if isTrue(e.DevMode) {
		a.add(SignalDeveloperMode, "", nil, "developer options or USB debugging are enabled on the phone")
	}
}

func (a *assessor) accuracy() {
	acc, prev := a.e.AccuracyM, a.e.Previous
	if !(acc > 0) {
		a.add(SignalAccuracyZero, "", map[string]any{"accuracy_m": finiteOrNil(acc)},
			"the fix reports an accuracy of %v m: no usable accuracy (a real fix is never exact)", acc)
	} else if acc == 1 {
		a.add(SignalAccuracySuspicious, "", map[string]any{"accuracy_m": acc, "reason": "exactly_one"},
			"the fix reports exactly 1.0 m accuracy, the value mock-location tools fill in")
	} else if n := a.p.AccuracyRepeatN; n >= 2 && len(prev) >= n-1 && sameAccuracy(acc, prev[:n-1]) {
		if spread := spreadM(a.e.Point, prev[:n-1]); spread > a.p.AccuracyRepeatMinSpreadM {
			a.add(SignalAccuracySuspicious, "", map[string]any{"accuracy_m": finiteOrNil(acc), "reason": "repeated",
				"fixes": n, "spread_m": math.Round(spread)},
				"the last %d fixes all report exactly %v m accuracy while %.0f m apart; real fixes vary", n, acc, spread)
		}
	}
	limit, whose := a.p.MaxAccuracyM, "policy"
	if s := a.e.Geofence.SiteMaxAccuracyM; s > 0 {
		limit, whose = s, "site's"
	}
	if limit > 0 && acc > limit {
		a.add(SignalAccuracyTooPoor, "", map[string]any{"accuracy_m": finiteOrNil(round1(acc)), "limit_m": round1(limit)},
			"the fix's accuracy of %.0f m is worse than the %s limit of %.0f m", acc, whose, limit)
	}
}

func sameAccuracy(acc float64, fixes []Fix) bool {
	for _, f := range fixes {
		if f.AccuracyM != acc {
			return false
		}
	}
	return true
}

// spreadM is the largest distance from p to any of the fixes; distances that
// are not numbers (a NaN coordinate) count as no movement.
func spreadM(p Point, fixes []Fix) float64 {
	var s float64
	for _, f := range fixes {
		if d := DistanceM(p, f.Point); d > s {
			s = d
		}
	}
	return s
}

func (a *assessor) coordinates() {
	pt := a.e.Point
	if !finitePoint(pt) {
		return
	}
	scale := math.Pow10(a.p.ZeroJitterDecimals)
	kLat, kLng := math.Round(pt.Lat*scale), math.Round(pt.Lng*scale)
	var first *Fix
	n := 0
	for i := range a.e.Previous {
		f := &a.e.Previous[i]
		gap := math.Abs(a.fixT.Sub(f.Time).Seconds())
		if math.Round(f.Point.Lat*scale) == kLat && math.Round(f.Point.Lng*scale) == kLng && gap >= a.p.ZeroJitterMinGapS {
			if first == nil {
				first = f
			}
			n++
		}
	}
	if first != nil {
		gap := a.fixT.Sub(first.Time)
		a.add(SignalZeroJitter, "", map[string]any{"matches": n, "matching_client_punch_id": first.ClientPunchID,
			"matching_fix_time": first.Time, "gap_s": math.Round(gap.Seconds()), "decimals": a.p.ZeroJitterDecimals},
			"the coordinates are identical to %d decimals to %d earlier fix(es), the newest %s apart; real fixes jitter",
			a.p.ZeroJitterDecimals, n, roundDur(gap))
	}
	sent := pt
	if a.e.SentPoint != nil {
		sent = *a.e.SentPoint
	}
	dLat, dLng := decimals(sent.Lat), decimals(sent.Lng)
	if dLat >= 0 && dLng >= 0 && max(dLat, dLng) <= a.p.LowPrecisionDecimals {
		a.add(SignalLowPrecision, "", map[string]any{"lat_decimals": dLat, "lng_decimals": dLng},
			"the coordinates have only %d and %d decimals (a ~%.0f m grid): they look typed in, not measured",
			dLat, dLng, 111_000*math.Pow10(-max(dLat, dLng)))
	}
}

// distanceUpperM bounds DistanceM(a, b) from above without trigonometry:
// going along the meridian and then along a parallel is a path between them,
// at most R·(|Δφ| + |Δλ|) long (Δλ the shorter way round). NaN in, NaN out.
func distanceUpperM(a, b Point) float64 {
	const rad = math.Pi / 180
	dLng := math.Abs(a.Lng - b.Lng)
	if dLng > 180 {
		dLng = 360 - dLng
	}
	return EarthRadiusM * (math.Abs(a.Lat-b.Lat) + dLng) * rad
}

// decimals counts the digits after the point in x's shortest decimal form
// (what JSON carries), or -1 if x is not finite.
func decimals(x float64) int {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return -1
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], x, 'f', -1, 64)
	if i := slices.Index(s, '.'); i >= 0 {
		return len(s) - i - 1
	}
	return 0
}

func (a *assessor) travel() {
	pt, limit := a.e.Point, a.p.TravelMaxSpeedKmh
	if !finitePoint(pt) || !(limit > 0) {
		return
	}
	acc := accOrZero(a.e.AccuracyM)
	var worst *Fix
	var worstKmh, worstD, worstDp, worstDt float64
	for i := range a.e.Previous {
		f := &a.e.Previous[i]
		if !finitePoint(f.Point) {
			continue
		}
		accs := acc + accOrZero(f.AccuracyM)
		if distanceUpperM(pt, f.Point)-accs <= a.p.TravelMinDistanceM {
			continue // the usual case, a fix at the same site: no trigonometry
		}
		d := DistanceM(pt, f.Point)
		dp := d - accs
		if !(dp > a.p.TravelMinDistanceM) {
			continue
		}
		dt := max(math.Abs(a.fixT.Sub(f.Time).Seconds()), 1)
		if kmh := dp / dt * 3.6; kmh > limit && kmh > worstKmh {
			worst, worstKmh, worstD, worstDp, worstDt = f, kmh, d, dp, dt
		}
	}
	if worst != nil {
		a.add(SignalImpossibleTravel, "", map[string]any{"distance_m": math.Round(worstD), "accuracy_aware_distance_m": math.Round(worstDp),
			"elapsed_s": math.Round(worstDt), "speed_kmh": round1(worstKmh), "limit_kmh": limit,
			"previous_client_punch_id": worst.ClientPunchID, "previous_time": worst.Time},
			"%.1f km (%.1f km allowing for both accuracies) from a fix %s earlier: %.0f km/h, above the %.0f km/h limit",
			worstD/1000, worstDp/1000, roundDur(time.Duration(worstDt*float64(time.Second))), worstKmh, limit)
	}
}

func (a *assessor) clocks() {
	e, p := a.e, a.p
	if a.refKnown && e.FixTime != nil && p.FixStaleS > 0 {
		if age := a.ref.Sub(*e.FixTime); age.Seconds() > p.FixStaleS {
			a.add(SignalFixStale, "", map[string]any{"fix_age_s": math.Round(age.Seconds()), "limit_s": p.FixStaleS},
				"the GPS fix was taken %s before the punch (limit %.0f s): it may not be where the phone is now", roundDur(age), p.FixStaleS)
		}
	}
	if a.refKnown && e.ClientTime != nil && p.ClockSkewS > 0 {
		if skew := e.ClientTime.Sub(a.ref); math.Abs(skew.Seconds()) > p.ClockSkewS {
			dir := "ahead of"
			if skew < 0 {
				dir = "behind"
			}
			a.add(SignalClientClockSkew, "", map[string]any{"skew_s": math.Round(skew.Seconds()), "limit_s": p.ClockSkewS},
				"the phone's clock is %s %s the punch time (limit %.0f s)", roundDur(skew.Abs()), dir, p.ClockSkewS)
		}
	}
	if e.Offline {
		a.offline()
	}
}

func (a *assessor) offline() {
	e, p := a.e, a.p
	var why []string
	det := map[string]any{}
	switch rec := e.ReconstructedTime; {
	case rec == nil:
		why = append(why, "its punch time could not be reconstructed")
	default:
		det["reconstructed_time"] = *rec
		if e.ReconstructionIssue != "" {
			why = append(why, "reconstruction: "+e.ReconstructionIssue)
		}
		if ahead := rec.Sub(e.ServerTime); ahead > 0 {
			why = append(why, fmt.Sprintf("it is %s after the upload", roundDur(ahead)))
		}
		if age := e.ServerTime.Sub(*rec); p.OfflineMaxAgeS > 0 && age.Seconds() > p.OfflineMaxAgeS {
			det["age_s"] = math.Round(age.Seconds())
			why = append(why, fmt.Sprintf("it is %s before the upload (limit %.0f h)", roundDur(age), p.OfflineMaxAgeS/3600))
		}
		if e.FixTime != nil && p.OfflineAgreementS > 0 {
			if d := rec.Sub(*e.FixTime); math.Abs(d.Seconds()) > p.OfflineAgreementS {
				det["fix_difference_s"] = math.Round(d.Seconds())
				why = append(why, fmt.Sprintf("it is %s from the GPS fix time (limit %.0f s)", roundDur(d.Abs()), p.OfflineAgreementS))
			}
		}
	}
	if len(why) > 0 {
		det["reasons"] = why
		a.add(SignalOfflineTimeImplausible, "", det, "the offline punch's time is implausible: %s", strings.Join(why, "; "))
	}
}

func (a *assessor) photo() {
	ph, e, p := a.e.Photo, a.e, a.p
	if ph == nil {
		return
	}
	if ph.GPS != nil && finitePoint(*ph.GPS) && finitePoint(e.Point) {
		d, limit := DistanceM(*ph.GPS, e.Point), max(accOrZero(e.AccuracyM), p.ExifGPSMinM)
		if d > limit {
			a.add(SignalExifGPSMismatch, "", map[string]any{"distance_m": math.Round(d), "limit_m": math.Round(limit), "photo_id": ph.ID},
				"the photo's EXIF position is %.0f m from the fix (limit %.0f m)", d, limit)
		}
	}
	if at, ok := ph.captureInstant(); ok && a.refKnown && p.ExifTimeS > 0 {
		diff := at.Sub(a.ref)
		excused := e.ClientTime != nil && math.Abs(at.Sub(*e.ClientTime).Seconds()) <= p.ExifTimeS
		if math.Abs(diff.Seconds()) > p.ExifTimeS && !excused {
			dir := "before"
			if diff > 0 {
				dir = "after"
			}
			a.add(SignalExifTimeMismatch, "", map[string]any{"difference_s": math.Round(diff.Seconds()), "limit_s": p.ExifTimeS,
				"offset_known": ph.CaptureOffsetKnown, "photo_id": ph.ID},
				"the photo was taken %s %s the punch (limit %.0f min)", roundDur(diff.Abs()), dir, p.ExifTimeS/60)
		}
	}
	if r := ph.Reused; r != nil && (r.Exact || r.Distance <= p.PhotoReuseMaxDistance) {
		what := fmt.Sprintf("a near copy (hash distance %d of 64) of", r.Distance)
		if r.Exact {
			what = "byte for byte the same as"
		}
		a.add(SignalPhotoReused, "", map[string]any{"of_photo_id": r.OfPhotoID, "hash_distance": r.Distance, "exact": r.Exact},
			"the punch photo is %s photo %s, uploaded before", what, r.OfPhotoID)
	}
}

// captureInstant is the photo's capture time as an instant, if known.
func (ph *PhotoEvidence) captureInstant() (time.Time, bool) {
	switch {
	case ph.CaptureTime == nil:
		return time.Time{}, false
	case ph.CaptureOffsetKnown:
		return *ph.CaptureTime, true
	case ph.SiteZone != nil:
		t := *ph.CaptureTime
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), ph.SiteZone), true
	}
	return time.Time{}, false
}

func (a *assessor) network() {
	e := a.e
	if w := e.WiFi; w != nil && w.BSSID != "" && w.BSSID != unknownBSSID {
		switch {
		case w.MatchesSite:
			a.wifi = true
			a.add(SignalWiFiMatchesSite, "", map[string]any{"bssid": w.BSSID, "site_id": e.Geofence.SiteID},
				"the phone is connected to %s, an access point registered at the site", w.BSSID)
		case w.OtherSiteID != "":
			a.add(SignalWiFiOtherSite, "", map[string]any{"bssid": w.BSSID, "other_site_id": w.OtherSiteID},
				"the phone is connected to %s, an access point registered at another site (%s)", w.BSSID, w.OtherSiteID)
		}
	}
	if e.DeviceID != "" && len(e.UsualDeviceIDs) > 0 && !slices.Contains(e.UsualDeviceIDs, e.DeviceID) {
		a.add(SignalNewDevice, "", map[string]any{"device_id": e.DeviceID, "usual_devices": len(e.UsualDeviceIDs)},
			"the punch comes from a device this employee has not used before (%s)", e.DeviceID)
	}
}

// geofence applies the accuracy rule (TrustPolicy.Geofence) to the caller's
// containment.
func (a *assessor) geofence() {
	g, r := a.e.Geofence, a.p.Geofence
	acc, d := a.e.AccuracyM, g.SignedDistanceM
	det := map[string]any{"site_id": g.SiteID, "containment": string(g.Containment),
		"distance_m": finiteOrNil(round1(d)), "accuracy_m": finiteOrNil(round1(acc))}
	switch g.Containment {
	case Inside:
		a.add(SignalInsideGeofence, "", det, "inside the fence, %.0f m from its edge (accuracy %.0f m)", -d, acc)
	case InsideUncertain:
		a.add(SignalInsideGeofence, r.InsideUncertain, det,
			"inside the fence, %.0f m from its edge, but the %.0f m accuracy circle crosses it", -d, acc)
	case Straddles:
		floor := r.Straddles
		if a.wifi {
			floor = r.StraddlesWithWiFi
		}
		a.add(SignalAccuracyStraddlesFence, floor, det,
			"%.0f m outside the fence, within the fix's accuracy of %.0f m", d, acc)
	case Outside:
		floor, why := r.Outside, "farther than its accuracy"
		switch {
		case a.wifi && d <= r.WiFiRangeM:
			floor, why = r.OutsideNearWiFi, "but on the site's Wi-Fi"
		case acc > 0 && d <= acc:
			floor, why = r.OutsideWithinAccuracy, "within its accuracy, beyond the straddle cap"
		}
		a.add(SignalOutsideGeofence, floor, det, "%.0f m outside the nearest permitted fence (fix accuracy %.0f m): %s", d, acc, why)
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func finitePoint(p Point) bool {
	return !math.IsNaN(p.Lat) && !math.IsInf(p.Lat, 0) && !math.IsNaN(p.Lng) && !math.IsInf(p.Lng, 0)
}

// accOrZero is an accuracy usable in arithmetic: 0 unless finite and > 0.
func accOrZero(acc float64) float64 {
	if acc > 0 && !math.IsInf(acc, 1) {
		return acc
	}
	return 0
}

// finiteOrNil keeps Details JSON-encodable: NaN and ±Inf become null.
func finiteOrNil(v float64) any {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// roundDur rounds a duration for messages: whole seconds.
func roundDur(d time.Duration) time.Duration { return d.Round(time.Second) }

func sevRank(s string) int {
	switch s {
	case SeverityCritical:
		return 2
	case SeverityWarning:
		return 1
	}
	return 0
}
