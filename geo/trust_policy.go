package geo

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Verdict is what a trust assessment decides about a punch. The four values
// are ordered from mildest to most severe; combining rules always keeps the
// most severe one.
type Verdict string

// The verdicts, mildest first.
const (
	// VerdictAccepted: the punch counts and nobody needs to look at it.
	VerdictAccepted Verdict = "accepted"
	// VerdictFlagged: the punch counts, but carries a mark a manager can review.
	VerdictFlagged Verdict = "flagged"
	// VerdictNeedsApproval: the punch counts only once a manager approves it.
	VerdictNeedsApproval Verdict = "needs_approval"
	// VerdictRejected: the punch is stored as evidence but does not count.
	VerdictRejected Verdict = "rejected"
)

// rank orders verdicts; an unknown verdict (including "") ranks below
// accepted, so it never raises a floor.
func (v Verdict) rank() int {
	switch v {
	case VerdictAccepted:
		return 0
	case VerdictFlagged:
		return 1
	case VerdictNeedsApproval:
		return 2
	case VerdictRejected:
		return 3
	}
	return -1
}

// Valid reports whether v is one of the four verdicts.
func (v Verdict) Valid() bool { return v.rank() >= 0 }

// atLeast returns the more severe of v and w.
func (v Verdict) atLeast(w Verdict) Verdict {
	if w.rank() > v.rank() {
		return w
	}
	return v
}

// MaxSignalWeight bounds a signal's weight (either sign). A weight of 1
// already rejects on its own; the bound keeps every score finite.
const MaxSignalWeight = 100.0

// SignalRule is what a policy does with one signal code.
type SignalRule struct {
	// Weight is added to the score when the signal fires. Negative weights
	// are positive evidence (wifi_matches_site).
	Weight float64 `json:"weight"`
	// AtLeast, when set, is the mildest verdict a punch carrying the signal
	// can get, whatever its score: the hard rules (mock_location → rejected).
	AtLeast Verdict `json:"at_least,omitempty"`
}

// ScoreThresholds map a score to a verdict: below Flag accepted, below
// NeedsApproval flagged, below Reject needs_approval, otherwise rejected.
type ScoreThresholds struct {
	Flag          float64 `json:"flag"`
	NeedsApproval float64 `json:"needs_approval"`
	Reject        float64 `json:"reject"`
}

// GeofenceRule is the accuracy rule: the mildest verdict each geofence
// outcome allows. It is a rule rather than a weight because "where was the
// phone" is the question the punch answers, not one clue among many.
type GeofenceRule struct {
	// InsideUncertain: centre inside, accuracy circle crosses the edge.
	InsideUncertain Verdict `json:"inside_uncertain"`
	// Straddles: centre outside but within the accuracy radius (and the
	// caller's slack cap), with no matching Wi-Fi.
	Straddles Verdict `json:"straddles"`
	// StraddlesWithWiFi: the same, while the phone is on one of the site's
	// registered access points.
	StraddlesWithWiFi Verdict `json:"straddles_with_wifi"`
	// OutsideWithinAccuracy: centre outside by no more than the accuracy
	// radius, but beyond the slack cap (only fixes worse than the cap).
	OutsideWithinAccuracy Verdict `json:"outside_within_accuracy"`
	// Outside: centre outside by more than the accuracy radius.
	Outside Verdict `json:"outside"`
	// OutsideNearWiFi: outside (either kind) by at most WiFiRangeM while the
	// phone is on a registered access point of the site: the GPS and the
	// Wi-Fi disagree by less than an access point's reach plus a bad fix.
	OutsideNearWiFi Verdict `json:"outside_near_wifi"`
	// WiFiRangeM is how far outside the fence a Wi-Fi match still counts.
	WiFiRangeM float64 `json:"wifi_range_m"`
}

// TrustPolicy is the data Assess applies: which signals weigh how much, the
// hard rules, the thresholds and the numeric limits each signal uses. It is
// plain JSON-serialisable data so a tenant or a site can store an override:
// unmarshal the stored JSON into DefaultTrustPolicy() (fields left out keep
// their defaults; an entry under "signals" replaces that whole rule) and
// check the result with Validate. A limit of 0 in MaxAccuracyM,
// TravelMaxSpeedKmh, FixStaleS, ClockSkewS, ExifTimeS, OfflineAgreementS or
// OfflineMaxAgeS switches that check off; to keep a signal as information
// only, set its weight to 0 instead.
type TrustPolicy struct {
	Thresholds ScoreThresholds       `json:"thresholds"`
	Signals    map[string]SignalRule `json:"signals"`
	Geofence   GeofenceRule          `json:"geofence"`

	// MaxAccuracyM is the accuracy above which accuracy_too_poor fires when
	// the site sets no limit of its own.
	MaxAccuracyM float64 `json:"max_accuracy_m"`
	// AccuracyRepeatN and AccuracyRepeatMinSpreadM: accuracy_suspicious fires
	// when this fix and the N−1 newest previous ones report exactly the same
	// accuracy while spread over more than AccuracyRepeatMinSpreadM (a tool's
	// hard-coded value follows the phone around; an iPhone at its desk
	// reporting Wi-Fi fixes as 65 m every day does not move). N < 2 disables.
	AccuracyRepeatN          int     `json:"accuracy_repeat_n"`
	AccuracyRepeatMinSpreadM float64 `json:"accuracy_repeat_min_spread_m"`
	// ZeroJitterDecimals: zero_jitter compares coordinates rounded to this
	// many decimals (6 ≈ 0.1 m).
	ZeroJitterDecimals int `json:"zero_jitter_decimals"`
	// ZeroJitterMinGapS: an identical earlier fix counts only when taken at
	// least this long before or after (the same fix sent twice is not jitter).
	ZeroJitterMinGapS float64 `json:"zero_jitter_min_gap_s"`
	// LowPrecisionDecimals: coordinates with at most this many decimals (both
	// of them) look typed in.
	LowPrecisionDecimals int `json:"low_precision_decimals"`
	// TravelMaxSpeedKmh and TravelMinDistanceM: impossible_travel fires when
	// the accuracy-aware distance d' = max(0, d − acc₁ − acc₂) to a previous
	// fix exceeds TravelMinDistanceM and d'/Δt exceeds TravelMaxSpeedKmh.
	TravelMaxSpeedKmh  float64 `json:"travel_max_speed_kmh"`
	TravelMinDistanceM float64 `json:"travel_min_distance_m"`
	// FixStaleS: fix_stale fires when the fix is older than this at punch time.
	FixStaleS float64 `json:"fix_stale_s"`
	// ClockSkewS: client_clock_skew fires when the phone's clock is off by more.
	ClockSkewS float64 `json:"clock_skew_s"`
	// ExifGPSMinM: exif_gps_mismatch fires when the photo's GPS is farther
	// than max(fix accuracy, ExifGPSMinM) from the fix.
	ExifGPSMinM float64 `json:"exif_gps_min_m"`
	// ExifTimeS: exif_time_mismatch fires when the capture time is farther
	// than this from the punch time (and from the phone's own clock).
	ExifTimeS float64 `json:"exif_time_s"`
	// PhotoReuseMaxDistance is the largest perceptual-hash Hamming distance
	// (of 64 bits) that still counts as the same picture; media uses 8.
	PhotoReuseMaxDistance int `json:"photo_reuse_max_distance"`
	// OfflineAgreementS and OfflineMaxAgeS: a reconstructed offline time is
	// implausible when it is more than OfflineAgreementS from the GPS fix
	// time, or older than OfflineMaxAgeS at receipt.
	OfflineAgreementS float64 `json:"offline_agreement_s"`
	OfflineMaxAgeS    float64 `json:"offline_max_age_s"`
}

// DefaultTrustPolicy returns the default policy, a fresh copy each call. The
// weights are set so that one weak clue (rooted, developer mode, clock skew)
// leaves a punch accepted, one clear anomaly flags it, a strong one or two
// clear ones need approval, and only the hard rules or several strong clues
// reject it. docs/trust.md gives the reasoning and the measured effect.
func DefaultTrustPolicy() TrustPolicy {
	return TrustPolicy{
		Thresholds: ScoreThresholds{Flag: 0.3, NeedsApproval: 0.6, Reject: 1.0},
		Signals: map[string]SignalRule{
			SignalMockLocation:           {Weight: 1.0, AtLeast: VerdictRejected},
			SignalRootedDevice:           {Weight: 0.15},
			SignalDeveloperMode:          {Weight: 0.1},
			SignalAccuracyZero:           {Weight: 0.6},
			SignalAccuracySuspicious:     {Weight: 0.1},
			SignalAccuracyTooPoor:        {Weight: 0.3},
			SignalZeroJitter:             {Weight: 0.45},
			SignalLowPrecision:           {Weight: 0.35},
			SignalImpossibleTravel:       {Weight: 0.6},
			SignalFixStale:               {Weight: 0.35},
			SignalClientClockSkew:        {Weight: 0.1},
			SignalExifGPSMismatch:        {Weight: 0.45},
			SignalExifTimeMismatch:       {Weight: 0.35},
			SignalPhotoReused:            {Weight: 0.6},
			SignalWiFiMatchesSite:        {Weight: -0.3},
			SignalWiFiOtherSite:          {Weight: 0.3},
			SignalNewDevice:              {Weight: 0.3},
			SignalOutsideGeofence:        {},
			SignalInsideGeofence:         {},
			SignalAccuracyStraddlesFence: {},
			SignalOfflineTimeImplausible: {Weight: 0.6},
		},
		Geofence: GeofenceRule{
			InsideUncertain:       VerdictAccepted,
			Straddles:             VerdictFlagged,
			StraddlesWithWiFi:     VerdictAccepted,
			OutsideWithinAccuracy: VerdictNeedsApproval,
			Outside:               VerdictRejected,
			OutsideNearWiFi:       VerdictFlagged,
			WiFiRangeM:            150,
		},
		MaxAccuracyM:             100,
		AccuracyRepeatN:          5,
		AccuracyRepeatMinSpreadM: 250,
		ZeroJitterDecimals:       6,
		ZeroJitterMinGapS:        60,
		LowPrecisionDecimals:     4,
		TravelMaxSpeedKmh:        300,
		TravelMinDistanceM:       5000,
		FixStaleS:                120,
		ClockSkewS:               300,
		ExifGPSMinM:              100,
		ExifTimeS:                600,
		PhotoReuseMaxDistance:    8,
		OfflineAgreementS:        120,
		OfflineMaxAgeS:           72 * 3600,
	}
}

// SignalCodes lists every signal code Assess can emit, in catalogue order.
func SignalCodes() []string { return slices.Clone(signalCodes) }

var signalCodes = []string{
	SignalMockLocation, SignalRootedDevice, SignalDeveloperMode,
	SignalAccuracyZero, SignalAccuracySuspicious, SignalAccuracyTooPoor,
	SignalZeroJitter, SignalLowPrecision, SignalImpossibleTravel,
	SignalFixStale, SignalClientClockSkew, SignalOfflineTimeImplausible,
	SignalExifGPSMismatch, SignalExifTimeMismatch, SignalPhotoReused,
	SignalWiFiMatchesSite, SignalWiFiOtherSite, SignalNewDevice,
	SignalOutsideGeofence, SignalInsideGeofence, SignalAccuracyStraddlesFence,
}

// Validate reports whether p can be applied: thresholds finite, positive and
// ordered; every signal rule for a known code with a weight within
// ±MaxSignalWeight and a valid (or empty) floor; every geofence verdict valid; numeric limits finite
// and not negative. Errors wrap ErrInvalid.
func (p TrustPolicy) Validate() error {
	t := p.Thresholds
	if !(t.Flag > 0 && t.Flag <= t.NeedsApproval && t.NeedsApproval <= t.Reject && !math.IsInf(t.Reject, 0)) {
		return fmt.Errorf("%w: thresholds must satisfy 0 < flag ≤ needs_approval ≤ reject < ∞, got %v/%v/%v",
			ErrInvalid, t.Flag, t.NeedsApproval, t.Reject)
	}
	for _, code := range slices.Sorted(maps.Keys(p.Signals)) {
		r := p.Signals[code]
		if !slices.Contains(signalCodes, code) {
			return fmt.Errorf("%w: unknown signal code %q", ErrInvalid, code)
		}
		if !(math.Abs(r.Weight) <= MaxSignalWeight) {
			return fmt.Errorf("%w: signal %q: weight %v outside ±%v", ErrInvalid, code, r.Weight, MaxSignalWeight)
		}
		if r.AtLeast != "" && !r.AtLeast.Valid() {
			return fmt.Errorf("%w: signal %q: unknown verdict %q", ErrInvalid, code, r.AtLeast)
		}
	}
	g := p.Geofence
	for _, v := range []struct {
		name string
		v    Verdict
	}{{"inside_uncertain", g.InsideUncertain}, {"straddles", g.Straddles},
		{"straddles_with_wifi", g.StraddlesWithWiFi}, {"outside_within_accuracy", g.OutsideWithinAccuracy},
		{"outside", g.Outside}, {"outside_near_wifi", g.OutsideNearWiFi}} {
		if !v.v.Valid() {
			return fmt.Errorf("%w: geofence.%s: unknown verdict %q", ErrInvalid, v.name, v.v)
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"geofence.wifi_range_m", g.WiFiRangeM}, {"max_accuracy_m", p.MaxAccuracyM},
		{"accuracy_repeat_min_spread_m", p.AccuracyRepeatMinSpreadM},
		{"zero_jitter_min_gap_s", p.ZeroJitterMinGapS}, {"travel_max_speed_kmh", p.TravelMaxSpeedKmh},
		{"travel_min_distance_m", p.TravelMinDistanceM}, {"fix_stale_s", p.FixStaleS}, {"clock_skew_s", p.ClockSkewS},
		{"exif_gps_min_m", p.ExifGPSMinM}, {"exif_time_s", p.ExifTimeS}, {"offline_agreement_s", p.OfflineAgreementS},
		{"offline_max_age_s", p.OfflineMaxAgeS}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return fmt.Errorf("%w: %s must be a finite number ≥ 0, got %v", ErrInvalid, f.name, f.v)
		}
	}
	for _, n := range []struct {
		name   string
		v, max int
	}{{"accuracy_repeat_n", p.AccuracyRepeatN, 1000}, {"zero_jitter_decimals", p.ZeroJitterDecimals, 15},
		{"low_precision_decimals", p.LowPrecisionDecimals, 15}, {"photo_reuse_max_distance", p.PhotoReuseMaxDistance, 64}} {
		if n.v < 0 || n.v > n.max {
			return fmt.Errorf("%w: %s must be in [0, %d], got %d", ErrInvalid, n.name, n.max, n.v)
		}
	}
	return nil
}

// scoreVerdict maps a score to a verdict by the thresholds.
func (t ScoreThresholds) scoreVerdict(score float64) Verdict {
	switch {
	case score < t.Flag:
		return VerdictAccepted
	case score < t.NeedsApproval:
		return VerdictFlagged
	case score < t.Reject:
		return VerdictNeedsApproval
	}
	return VerdictRejected
}

// Offline time reconstruction. A punch queued on the phone arrives later than
// it happened; the phone's wall clock cannot be trusted (users change it), so
// its time is rebuilt from clocks the user cannot set.

// Defaults for OfflineClock's zero fields; TrustPolicy carries the same
// numbers (offline_max_age_s, offline_agreement_s) for Assess.
const (
	DefaultOfflineMaxAge          = 72 * time.Hour
	DefaultOfflineMaxDisagreement = 2 * time.Minute
)

// Reconstruction sources and problems: the reason ReconstructTime returns
// starts with one of these codes.
const (
	ReconstructMonotonic     = "monotonic"        // server receipt − elapsed-realtime delta, same boot
	ReconstructGPSFix        = "gps_fix_time"     // the GPS fix time
	ReconstructWallCorrected = "wall_corrected"   // device wall clock + offset measured at upload
	ReconstructNoSource      = "no_source"        // nothing to rebuild the time from
	ReconstructDisagree      = "sources_disagree" // two sources differ by more than MaxDisagreement
	ReconstructInFuture      = "in_future"        // the result is after the server receipt
	ReconstructTooOld        = "too_old"          // the result is older than MaxAge at receipt
)

// OfflineClock is what the phone and the server know about when a queued
// punch happened. Zero values mean "not reported".
type OfflineClock struct {
	// DeviceWallAtPunch and DeviceWallAtUpload are the phone's wall clock.
	DeviceWallAtPunch, DeviceWallAtUpload time.Time
	// ElapsedAtPunch and ElapsedAtUpload are the phone's monotonic clock
	// since boot (Android elapsedRealtime, iOS systemUptime incl. sleep).
	ElapsedAtPunch, ElapsedAtUpload time.Duration
	// BootAtPunch and BootAtUpload identify the boot (boot id or boot count).
	// When either is empty the boot counts as the same if the elapsed clock
	// did not go backwards; the cross-check with the other sources then
	// catches a reboot that the elapsed clock alone cannot show.
	BootAtPunch, BootAtUpload string
	// ServerReceipt is when the server received the upload.
	ServerReceipt time.Time
	// FixTime is the GPS fix time of the punch's fix.
	FixTime *time.Time
	// MaxAge (default DefaultOfflineMaxAge) and MaxDisagreement (default
	// DefaultOfflineMaxDisagreement) bound a plausible result.
	MaxAge, MaxDisagreement time.Duration
}

// ReconstructTime rebuilds an offline punch's time. It prefers, in order:
//
//  1. monotonic: ServerReceipt − (ElapsedAtUpload − ElapsedAtPunch), when
//     both elapsed readings are present and the boot is the same — immune to
//     wall-clock changes, off only by the upload latency;
//  2. gps_fix_time: FixTime, set from satellite time;
//  3. wall_corrected: DeviceWallAtPunch + (ServerReceipt − DeviceWallAtUpload),
//     the device clock corrected by the offset measured at upload (right
//     unless the clock was changed between punch and upload).
//
// t is the preferred estimate (zero when there is none). ok is false, with
// the problem in reason, when no source exists, when any two available
// sources differ by more than MaxDisagreement, or when t is after
// ServerReceipt or older than MaxAge at receipt. When ok is true reason is the
// source used. Reasons start with one of the Reconstruct* codes, then ": " and
// the numbers in English.
func ReconstructTime(o OfflineClock) (t time.Time, ok bool, reason string) {
	maxAge, tol := o.MaxAge, o.MaxDisagreement
	if maxAge <= 0 {
		maxAge = DefaultOfflineMaxAge
	}
	if tol <= 0 {
		tol = DefaultOfflineMaxDisagreement
	}
	type estimate struct {
		src string
		t   time.Time
	}
	var est []estimate
	sameBoot := o.BootAtPunch == "" || o.BootAtUpload == "" || o.BootAtPunch == o.BootAtUpload
	if o.ElapsedAtPunch > 0 && o.ElapsedAtUpload >= o.ElapsedAtPunch && sameBoot && !o.ServerReceipt.IsZero() {
		est = append(est, estimate{ReconstructMonotonic, o.ServerReceipt.Add(-(o.ElapsedAtUpload - o.ElapsedAtPunch))})
	}
	if o.FixTime != nil && !o.FixTime.IsZero() {
		est = append(est, estimate{ReconstructGPSFix, *o.FixTime})
	}
	if !o.DeviceWallAtPunch.IsZero() && !o.DeviceWallAtUpload.IsZero() && !o.ServerReceipt.IsZero() {
		est = append(est, estimate{ReconstructWallCorrected, o.DeviceWallAtPunch.Add(o.ServerReceipt.Sub(o.DeviceWallAtUpload))})
	}
	if len(est) == 0 {
		return time.Time{}, false, ReconstructNoSource + ": no same-boot elapsed clock, GPS fix time or device clock pair"
	}
	t = est[0].t
	for i, x := range est {
		for _, y := range est[i+1:] {
			if d := x.t.Sub(y.t).Abs(); d > tol {
				return t, false, fmt.Sprintf("%s: %s says %s, %s says %s (%s apart, limit %s); using %s",
					ReconstructDisagree, x.src, x.t.UTC().Format(time.RFC3339), y.src, y.t.UTC().Format(time.RFC3339),
					d.Round(time.Second), tol, est[0].src)
			}
		}
	}
	if !o.ServerReceipt.IsZero() {
		if ahead := t.Sub(o.ServerReceipt); ahead > 0 {
			return t, false, fmt.Sprintf("%s: %s puts the punch %s after the upload was received", ReconstructInFuture, est[0].src, ahead.Round(time.Millisecond))
		}
		if age := o.ServerReceipt.Sub(t); age > maxAge {
			return t, false, fmt.Sprintf("%s: %s puts the punch %s before the upload (limit %s)", ReconstructTooOld, est[0].src, age.Round(time.Second), maxAge)
		}
	}
	return t, true, est[0].src
}
