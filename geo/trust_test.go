package geo

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// trustT0 is the server receipt time of the base punch.
var trustT0 = time.Date(2025, 3, 10, 8, 52, 13, 0, time.UTC)

// trustAt is a point with many decimals, like a real fix.
var trustAt = Point{Lat: 31.230412345678, Lng: 121.473765432101}

// trustNorth moves p north by m metres along the meridian (exact for DistanceM).
func trustNorth(p Point, m float64) Point {
	return Point{Lat: p.Lat + m/EarthRadiusM*180/math.Pi, Lng: p.Lng}
}

func trustTime(d time.Duration) *time.Time { t := trustT0.Add(d); return &t }

func trustBool(b bool) *bool { return &b }

// trustBase is a clean genuine punch: well inside the fence, fresh fix,
// clocks in step, flags reported false, the usual phone, a matching photo,
// and n previous fixes at the site on earlier half-days with varying accuracy.
func trustBase(n int) Evidence {
	prev := make([]Fix, n)
	for i := range prev {
		prev[i] = Fix{Point: trustNorth(trustAt, float64(i%7)*3.1-9), AccuracyM: 8.5 + float64(i%5)*3.7,
			Time: trustT0.Add(-time.Duration(i+1) * 12 * time.Hour), ClientPunchID: "p" + string(rune('a'+i%26))}
	}
	gps := trustNorth(trustAt, 14)
	return Evidence{
		Point: trustAt, AccuracyM: 12.3, ServerTime: trustT0,
		ClientTime: trustTime(time.Second), FixTime: trustTime(-3 * time.Second),
		IsMock: trustBool(false), Rooted: trustBool(false), DevMode: trustBool(false),
		Geofence: GeofenceOutcome{Containment: Inside, SignedDistanceM: -80, SiteID: "site-1"},
		Previous: prev,
		Photo:    &PhotoEvidence{ID: "ph1", CaptureTime: trustTime(-20 * time.Second), CaptureOffsetKnown: true, GPS: &gps},
		DeviceID: "dev-a", UsualDeviceIDs: []string{"dev-a", "dev-old"},
	}
}

func trustCodes(a Assessment) []string {
	var c []string
	for _, s := range a.Signals {
		c = append(c, s.Code)
	}
	return c
}

func trustSignal(a Assessment, code string) (Signal, bool) {
	for _, s := range a.Signals {
		if s.Code == code {
			return s, true
		}
	}
	return Signal{}, false
}

func TestTrustBaseIsCleanAndAccepted(t *testing.T) {
	t.Parallel()
	a := Assess(trustBase(20), DefaultTrustPolicy())
	if a.Verdict != VerdictAccepted || a.Score != 0 || !slices.Equal(trustCodes(a), []string{SignalInsideGeofence}) {
		t.Fatalf("base punch: %+v", a)
	}
}

// TestTrustSignals checks every signal on both sides of its threshold: the
// first case of each pair fires, the second (at or inside the boundary)
// does not.
func TestTrustSignals(t *testing.T) {
	t.Parallel()
	type mut func(e *Evidence, p *TrustPolicy)
	repeatAcc := func(spreadM float64, k int) mut {
		return func(e *Evidence, _ *TrustPolicy) {
			e.AccuracyM = 5
			for i := range k {
				e.Previous[i].AccuracyM = 5
				e.Previous[i].Point = trustNorth(trustAt, spreadM*float64(i)/float64(max(k-1, 1)))
			}
		}
	}
	// travel: a previous fix at distance d (metres) with the speed set by kmh.
	travel := func(d, kmh float64) mut {
		return func(e *Evidence, _ *TrustPolicy) {
			dp := d - e.AccuracyM - 10
			dt := time.Duration(dp / (kmh / 3.6) * float64(time.Second))
			e.FixTime = nil
			e.Previous = []Fix{{Point: trustNorth(trustAt, d), AccuracyM: 10, Time: trustT0.Add(-dt)}}
		}
	}
	exifTime := func(d time.Duration, offsetKnown bool, zone *time.Location) mut {
		return func(e *Evidence, _ *TrustPolicy) {
			c := trustT0.Add(d)
			if !offsetKnown && zone != nil { // the wall-clock digits in the zone, zone dropped
				y, mo, dd := c.In(zone).Date()
				h, mi, s := c.In(zone).Clock()
				c = time.Date(y, mo, dd, h, mi, s, 0, time.UTC)
			}
			e.Photo.CaptureTime, e.Photo.CaptureOffsetKnown, e.Photo.SiteZone = &c, offsetKnown, zone
		}
	}
	shanghaiZone := time.FixedZone("CST", 8*3600)
	tests := []struct {
		name  string
		code  string
		fires bool
		mut   mut
	}{
		{"MockFlag", SignalMockLocation, true, func(e *Evidence, _ *TrustPolicy) { e.IsMock = trustBool(true) }},
		{"SimulatedBySoftware", SignalMockLocation, true, func(e *Evidence, _ *TrustPolicy) { e.Simulated = trustBool(true) }},
		{"MockNotReported", SignalMockLocation, false, func(e *Evidence, _ *TrustPolicy) { e.IsMock = nil }},
		{"Rooted", SignalRootedDevice, true, func(e *Evidence, _ *TrustPolicy) { e.Rooted = trustBool(true) }},
		{"RootedNotReported", SignalRootedDevice, false, func(e *Evidence, _ *TrustPolicy) { e.Rooted = nil }},
		{"DeveloperMode", SignalDeveloperMode, true, func(e *Evidence, _ *TrustPolicy) { e.DevMode = trustBool(true) }},

		{"AccuracyZero", SignalAccuracyZero, true, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = 0 }},
		{"AccuracyNegative", SignalAccuracyZero, true, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = -1 }},
		{"AccuracyNaN", SignalAccuracyZero, true, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = math.NaN() }},
		{"AccuracyTiny", SignalAccuracyZero, false, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = 0.1 }},

		{"AccuracyExactlyOne", SignalAccuracySuspicious, true, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = 1 }},
		{"AccuracyNearlyOne", SignalAccuracySuspicious, false, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = 1.0000001 }},
		{"AccuracyRepeatedWhileMoving", SignalAccuracySuspicious, true, repeatAcc(251, 4)},
		{"AccuracyRepeatedAtOnePlace", SignalAccuracySuspicious, false, repeatAcc(250, 4)},
		{"AccuracyRepeatedTooFewTimes", SignalAccuracySuspicious, false, repeatAcc(1000, 3)},

		{"AccuracyPoorerThanPolicy", SignalAccuracyTooPoor, true, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = 100.01 }},
		{"AccuracyAtPolicyLimit", SignalAccuracyTooPoor, false, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = 100 }},
		{"AccuracyPoorerThanSite", SignalAccuracyTooPoor, true, func(e *Evidence, _ *TrustPolicy) {
			e.AccuracyM, e.Geofence.SiteMaxAccuracyM = 50.01, 50
		}},
		{"SiteLimitReplacesPolicy", SignalAccuracyTooPoor, false, func(e *Evidence, _ *TrustPolicy) {
			e.AccuracyM, e.Geofence.SiteMaxAccuracyM = 150, 200
		}},
		{"AccuracyInfinite", SignalAccuracyTooPoor, true, func(e *Evidence, _ *TrustPolicy) { e.AccuracyM = math.Inf(1) }},

		{"IdenticalCoordinatesEarlier", SignalZeroJitter, true, func(e *Evidence, _ *TrustPolicy) {
			e.Previous[3].Point = Point{Lat: trustAt.Lat + 1e-7, Lng: trustAt.Lng - 4e-7}
		}},
		{"CoordinatesOneMicrodegreeApart", SignalZeroJitter, false, func(e *Evidence, _ *TrustPolicy) {
			e.Previous[3].Point = Point{Lat: trustAt.Lat + 1e-6, Lng: trustAt.Lng}
		}},
		{"IdenticalFixSentAgainAfterAMinute", SignalZeroJitter, true, func(e *Evidence, _ *TrustPolicy) {
			e.Previous[0] = Fix{Point: trustAt, AccuracyM: 12.3, Time: e.FixTime.Add(-60 * time.Second)}
		}},
		{"IdenticalFixSentAgainWithinAMinute", SignalZeroJitter, false, func(e *Evidence, _ *TrustPolicy) {
			e.Previous[0] = Fix{Point: trustAt, AccuracyM: 12.3, Time: e.FixTime.Add(-59 * time.Second)}
		}},

		{"FourDecimalsSent", SignalLowPrecision, true, func(e *Evidence, _ *TrustPolicy) {
			e.SentPoint = &Point{Lat: 31.2304, Lng: 121.47}
		}},
		{"FourDecimalsPoint", SignalLowPrecision, true, func(e *Evidence, _ *TrustPolicy) { e.Point = Point{Lat: 31.2304, Lng: 121.4737} }},
		{"FiveDecimalsOnOne", SignalLowPrecision, false, func(e *Evidence, _ *TrustPolicy) {
			e.SentPoint = &Point{Lat: 31.23041, Lng: 121.4737}
		}},
		{"ConvertedPointKeepsSentPrecision", SignalLowPrecision, false, func(e *Evidence, _ *TrustPolicy) {
			e.Point, e.SentPoint = Point{Lat: 31.2304, Lng: 121.4737}, &Point{Lat: 31.228012345, Lng: 121.469012345}
		}},

		{"TeleportAboveLimit", SignalImpossibleTravel, true, travel(20e3, 301)},
		{"TravelAtLimit", SignalImpossibleTravel, false, travel(20e3, 299.9)},
		{"FastButShortAfterAccuracy", SignalImpossibleTravel, false, travel(5000+12.3+10-0.01, 5000)},
		{"FastJustOverFloor", SignalImpossibleTravel, true, travel(5000+12.3+10+1, 5000)},
		{"SimultaneousFixesFarApart", SignalImpossibleTravel, true, func(e *Evidence, _ *TrustPolicy) {
			e.Previous = []Fix{{Point: trustNorth(trustAt, 30e3), AccuracyM: 10, Time: *e.FixTime}}
		}},
		{"CoarseFixShrinksDistance", SignalImpossibleTravel, false, func(e *Evidence, _ *TrustPolicy) {
			e.Previous = []Fix{{Point: trustNorth(trustAt, 6000), AccuracyM: 1500, Time: e.FixTime.Add(-10 * time.Second)}}
		}},

		{"FixOlderThanLimit", SignalFixStale, true, func(e *Evidence, _ *TrustPolicy) { e.FixTime = trustTime(-121 * time.Second) }},
		{"FixAtLimit", SignalFixStale, false, func(e *Evidence, _ *TrustPolicy) { e.FixTime = trustTime(-120 * time.Second) }},
		{"OfflineFixMeasuredFromReconstructedTime", SignalFixStale, false, func(e *Evidence, _ *TrustPolicy) {
			e.Offline, e.ReconstructedTime, e.FixTime = true, trustTime(-time.Hour), trustTime(-time.Hour-5*time.Second)
			e.ClientTime = e.ReconstructedTime
		}},

		{"ClockAhead", SignalClientClockSkew, true, func(e *Evidence, _ *TrustPolicy) { e.ClientTime = trustTime(301 * time.Second) }},
		{"ClockBehind", SignalClientClockSkew, true, func(e *Evidence, _ *TrustPolicy) { e.ClientTime = trustTime(-301 * time.Second) }},
		{"ClockAtLimit", SignalClientClockSkew, false, func(e *Evidence, _ *TrustPolicy) { e.ClientTime = trustTime(-300 * time.Second) }},

		{"ExifGPSFar", SignalExifGPSMismatch, true, func(e *Evidence, _ *TrustPolicy) { p := trustNorth(trustAt, 100.5); e.Photo.GPS = &p }},
		{"ExifGPSAtFloor", SignalExifGPSMismatch, false, func(e *Evidence, _ *TrustPolicy) { p := trustNorth(trustAt, 99.5); e.Photo.GPS = &p }},
		{"ExifGPSWithinPoorAccuracy", SignalExifGPSMismatch, false, func(e *Evidence, _ *TrustPolicy) {
			p := trustNorth(trustAt, 140)
			e.Photo.GPS, e.AccuracyM = &p, 150
		}},

		{"ExifTimeEarly", SignalExifTimeMismatch, true, exifTime(-601*time.Second, true, nil)},
		{"ExifTimeAtLimit", SignalExifTimeMismatch, false, exifTime(-600*time.Second, true, nil)},
		{"ExifWallClockInSiteZone", SignalExifTimeMismatch, true, exifTime(-11*time.Minute, false, shanghaiZone)},
		{"ExifWallClockInSiteZoneRecent", SignalExifTimeMismatch, false, exifTime(-2*time.Minute, false, shanghaiZone)},
		{"ExifWallClockWithoutZone", SignalExifTimeMismatch, false, exifTime(-48*time.Hour, false, nil)},
		{"ExifMatchesSkewedPhoneClock", SignalExifTimeMismatch, false, func(e *Evidence, p *TrustPolicy) {
			exifTime(-30*time.Minute, true, nil)(e, p)
			e.ClientTime = trustTime(-29 * time.Minute)
		}},

		{"PhotoSameBytes", SignalPhotoReused, true, func(e *Evidence, _ *TrustPolicy) {
			e.Photo.Reused = &PhotoReuse{OfPhotoID: "old", Exact: true, Distance: 30}
		}},
		{"PhotoNearCopy", SignalPhotoReused, true, func(e *Evidence, _ *TrustPolicy) { e.Photo.Reused = &PhotoReuse{OfPhotoID: "old", Distance: 8} }},
		{"PhotoMerelySimilar", SignalPhotoReused, false, func(e *Evidence, _ *TrustPolicy) { e.Photo.Reused = &PhotoReuse{OfPhotoID: "old", Distance: 9} }},

		{"WiFiOfTheSite", SignalWiFiMatchesSite, true, func(e *Evidence, _ *TrustPolicy) {
			e.WiFi = &WiFiEvidence{BSSID: "a4:00:00:11:22:33", MatchesSite: true}
		}},
		{"WiFiPermissionSentinel", SignalWiFiMatchesSite, false, func(e *Evidence, _ *TrustPolicy) {
			e.WiFi = &WiFiEvidence{BSSID: unknownBSSID, MatchesSite: true}
		}},
		{"WiFiOfAnotherSite", SignalWiFiOtherSite, true, func(e *Evidence, _ *TrustPolicy) {
			e.WiFi = &WiFiEvidence{BSSID: "a4:00:00:11:22:33", OtherSiteID: "site-2"}
		}},
		{"WiFiUnregistered", SignalWiFiOtherSite, false, func(e *Evidence, _ *TrustPolicy) { e.WiFi = &WiFiEvidence{BSSID: "a4:00:00:11:22:33"} }},

		{"UnknownDevice", SignalNewDevice, true, func(e *Evidence, _ *TrustPolicy) { e.DeviceID = "dev-new" }},
		{"NoDeviceHistory", SignalNewDevice, false, func(e *Evidence, _ *TrustPolicy) { e.DeviceID, e.UsualDeviceIDs = "dev-new", nil }},

		{"OfflineWithoutTime", SignalOfflineTimeImplausible, true, func(e *Evidence, _ *TrustPolicy) { e.Offline = true }},
		{"OfflineAfterUpload", SignalOfflineTimeImplausible, true, func(e *Evidence, _ *TrustPolicy) {
			e.Offline, e.ReconstructedTime, e.FixTime = true, trustTime(time.Second), trustTime(0)
		}},
		{"OfflineTooOld", SignalOfflineTimeImplausible, true, func(e *Evidence, _ *TrustPolicy) {
			e.Offline, e.ReconstructedTime, e.FixTime = true, trustTime(-72*time.Hour-time.Second), trustTime(-72*time.Hour)
		}},
		{"OfflineFarFromFix", SignalOfflineTimeImplausible, true, func(e *Evidence, _ *TrustPolicy) {
			e.Offline, e.ReconstructedTime, e.FixTime = true, trustTime(-time.Hour), trustTime(-time.Hour-121*time.Second)
		}},
		{"OfflineReconstructionIssue", SignalOfflineTimeImplausible, true, func(e *Evidence, _ *TrustPolicy) {
			e.Offline, e.ReconstructedTime, e.FixTime = true, trustTime(-time.Hour), trustTime(-time.Hour)
			e.ReconstructionIssue = "sources_disagree: …"
		}},
		{"OfflinePlausible", SignalOfflineTimeImplausible, false, func(e *Evidence, _ *TrustPolicy) {
			e.Offline, e.ReconstructedTime, e.FixTime = true, trustTime(-72*time.Hour), trustTime(-72*time.Hour-120*time.Second)
		}},

		{"Outside", SignalOutsideGeofence, true, func(e *Evidence, _ *TrustPolicy) {
			e.Geofence.Containment, e.Geofence.SignedDistanceM = Outside, 300
		}},
		{"Straddles", SignalAccuracyStraddlesFence, true, func(e *Evidence, _ *TrustPolicy) {
			e.Geofence.Containment, e.Geofence.SignedDistanceM = Straddles, 5
		}},
		{"InsideUncertain", SignalInsideGeofence, true, func(e *Evidence, _ *TrustPolicy) {
			e.Geofence.Containment, e.Geofence.SignedDistanceM = InsideUncertain, -5
		}},
		{"NotGeofenced", SignalInsideGeofence, false, func(e *Evidence, _ *TrustPolicy) { e.Geofence = GeofenceOutcome{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, p := trustBase(20), DefaultTrustPolicy()
			tt.mut(&e, &p)
			a := Assess(e, p)
			s, ok := trustSignal(a, tt.code)
			if ok != tt.fires {
				t.Fatalf("%s fired = %v, want %v; signals %v", tt.code, ok, tt.fires, trustCodes(a))
			}
			if !ok {
				return
			}
			if s.Message == "" || s.Weight != p.Signals[tt.code].Weight || s.Severity == "" {
				t.Errorf("signal %+v: want a message, the policy weight and a severity", s)
			}
			if _, err := json.Marshal(a); err != nil {
				t.Errorf("assessment is not JSON: %v", err)
			}
		})
	}
}

// TestTrustSignalDetails checks that the numbers behind a signal are in its
// details and its message.
func TestTrustSignalDetails(t *testing.T) {
	t.Parallel()
	e := trustBase(3)
	e.Previous = []Fix{{Point: trustNorth(trustAt, 50_000), AccuracyM: 20, Time: trustT0.Add(-8 * time.Minute), ClientPunchID: "far"}}
	e.FixTime = nil
	s, ok := trustSignal(Assess(e, DefaultTrustPolicy()), SignalImpossibleTravel)
	if !ok {
		t.Fatal("no impossible_travel")
	}
	// 50,000 − 12.3 − 20 = 49,967.7 m in 480 s: 374.8 km/h.
	if s.Details["distance_m"] != 50000.0 || s.Details["accuracy_aware_distance_m"] != 49968.0 ||
		s.Details["elapsed_s"] != 480.0 || s.Details["speed_kmh"] != 374.8 || s.Details["previous_client_punch_id"] != "far" {
		t.Fatalf("details %v", s.Details)
	}
	for _, want := range []string{"50.0 km", "50.0 km allowing", "8m0s", "375 km/h", "300 km/h"} {
		if !strings.Contains(s.Message, want) {
			t.Errorf("message %q lacks %q", s.Message, want)
		}
	}
}

// TestTrustVerdicts checks how signals, score thresholds, hard rules and the
// geofence rule combine.
func TestTrustVerdicts(t *testing.T) {
	t.Parallel()
	wifi := &WiFiEvidence{BSSID: "a4:00:00:11:22:33", MatchesSite: true}
	fence := func(c Containment, d float64) func(e *Evidence) {
		return func(e *Evidence) { e.Geofence.Containment, e.Geofence.SignedDistanceM = c, d }
	}
	tests := []struct {
		name   string
		policy func(p *TrustPolicy)
		mut    []func(e *Evidence)
		want   Verdict
		score  float64
	}{
		{name: "CleanIsAccepted", want: VerdictAccepted},
		{name: "OneWeakClueIsAccepted", mut: []func(*Evidence){func(e *Evidence) { e.Rooted = trustBool(true) }},
			want: VerdictAccepted, score: 0.15},
		{name: "TwoWeakCluesAreAccepted", mut: []func(*Evidence){func(e *Evidence) { e.Rooted, e.DevMode = trustBool(true), trustBool(true) }},
			want: VerdictAccepted, score: 0.25},
		{name: "ScoreAtFlagThresholdFlags", mut: []func(*Evidence){func(e *Evidence) { e.DeviceID = "dev-new" }},
			want: VerdictFlagged, score: 0.3},
		{name: "ScoreAtApprovalThresholdNeedsApproval", mut: []func(*Evidence){func(e *Evidence) {
			p := trustNorth(trustAt, 500)
			e.Photo.Reused, e.Photo.GPS = nil, &p
			e.DevMode, e.Rooted = trustBool(true), trustBool(false)
			e.ClientTime = trustTime(time.Hour)
		}}, policy: func(p *TrustPolicy) { p.Signals[SignalClientClockSkew] = SignalRule{Weight: 0.05} },
			want: VerdictNeedsApproval, score: 0.6},
		{name: "ScoreAtRejectThresholdRejects", mut: []func(*Evidence){func(e *Evidence) {
			e.Photo.Reused = &PhotoReuse{OfPhotoID: "x", Exact: true}
			e.FixTime = trustTime(-10 * time.Minute)
			e.DevMode = trustBool(true)
		}}, policy: func(p *TrustPolicy) { p.Signals[SignalFixStale] = SignalRule{Weight: 0.3} },
			want: VerdictRejected, score: 1.0},
		{name: "MockIsAHardRule", mut: []func(*Evidence){func(e *Evidence) { e.IsMock = trustBool(true) }},
			want: VerdictRejected, score: 1},
		{name: "MockHardRuleIsPolicyData", mut: []func(*Evidence){func(e *Evidence) { e.IsMock = trustBool(true) }},
			policy: func(p *TrustPolicy) { p.Signals[SignalMockLocation] = SignalRule{Weight: 0.35} },
			want:   VerdictFlagged, score: 0.35},
		{name: "FloorWithoutWeight", mut: []func(*Evidence){func(e *Evidence) { e.DevMode = trustBool(true) }},
			policy: func(p *TrustPolicy) { p.Signals[SignalDeveloperMode] = SignalRule{AtLeast: VerdictNeedsApproval} },
			want:   VerdictNeedsApproval, score: 0},
		{name: "WiFiDoesNotUndoAHardRule", mut: []func(*Evidence){func(e *Evidence) { e.IsMock, e.WiFi = trustBool(true), wifi }},
			want: VerdictRejected, score: 0.7},
		{name: "ScoreNeverBelowZero", mut: []func(*Evidence){func(e *Evidence) { e.WiFi = wifi }}, want: VerdictAccepted},

		{name: "InsideUncertainIsAccepted", mut: []func(*Evidence){fence(InsideUncertain, -3)}, want: VerdictAccepted},
		{name: "StraddlesIsFlagged", mut: []func(*Evidence){fence(Straddles, 10)}, want: VerdictFlagged},
		{name: "StraddlesOnSiteWiFiIsAccepted", mut: []func(*Evidence){fence(Straddles, 10), func(e *Evidence) { e.WiFi = wifi }},
			want: VerdictAccepted},
		{name: "StraddleRuleIsPolicyData", mut: []func(*Evidence){fence(Straddles, 10)},
			policy: func(p *TrustPolicy) { p.Geofence.Straddles = VerdictAccepted }, want: VerdictAccepted},
		{name: "OutsideBeyondAccuracyIsRejected", mut: []func(*Evidence){fence(Outside, 12.4)}, want: VerdictRejected},
		{name: "OutsideWithinPoorAccuracyNeedsApproval", mut: []func(*Evidence){fence(Outside, 120), func(e *Evidence) { e.AccuracyM = 150 }},
			policy: func(p *TrustPolicy) { p.MaxAccuracyM = 200 }, want: VerdictNeedsApproval},
		{name: "OutsideNearOnSiteWiFiIsFlagged", mut: []func(*Evidence){fence(Outside, 150), func(e *Evidence) { e.WiFi = wifi }},
			want: VerdictFlagged},
		{name: "OutsideFarOnSiteWiFiIsRejected", mut: []func(*Evidence){fence(Outside, 151), func(e *Evidence) { e.WiFi = wifi }},
			want: VerdictRejected},
		{name: "OutsideWithUnknownDistanceIsRejected", mut: []func(*Evidence){fence(Outside, math.NaN())}, want: VerdictRejected},

		{name: "HonestBadGPSDayIsAccepted", mut: []func(*Evidence){fence(InsideUncertain, -20), func(e *Evidence) {
			e.AccuracyM, e.DevMode, e.FixTime = 65, trustBool(true), trustTime(-90*time.Second)
		}}, want: VerdictAccepted, score: 0.1},
		{name: "HonestVeryPoorFixIsOnlyFlagged", mut: []func(*Evidence){fence(Straddles, 60), func(e *Evidence) { e.AccuracyM = 140 }},
			want: VerdictFlagged, score: 0.3},
		{name: "SiteWiFiLiftsAPoorFixToAccepted", mut: []func(*Evidence){fence(Straddles, 60), func(e *Evidence) {
			e.AccuracyM, e.WiFi = 140, wifi
		}}, want: VerdictAccepted, score: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, p := trustBase(20), DefaultTrustPolicy()
			for _, m := range tt.mut {
				m(&e)
			}
			if tt.policy != nil {
				tt.policy(&p)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("policy: %v", err)
			}
			a := Assess(e, p)
			if a.Verdict != tt.want || math.Abs(a.Score-tt.score) > 1e-9 {
				t.Fatalf("verdict %s score %v, want %s %v; signals %v", a.Verdict, a.Score, tt.want, tt.score, trustCodes(a))
			}
		})
	}
}

func TestTrustSeverityAndOrder(t *testing.T) {
	t.Parallel()
	e := trustBase(5)
	e.Rooted, e.IsMock, e.DeviceID = trustBool(true), trustBool(true), "dev-new"
	e.Geofence.Containment, e.Geofence.SignedDistanceM = Straddles, 3
	a := Assess(e, DefaultTrustPolicy())
	want := map[string]string{SignalMockLocation: SeverityCritical, SignalNewDevice: SeverityWarning,
		SignalAccuracyStraddlesFence: SeverityWarning, SignalRootedDevice: SeverityInfo}
	if len(a.Signals) != len(want) {
		t.Fatalf("signals %v", trustCodes(a))
	}
	last := 3
	for _, s := range a.Signals {
		if s.Severity != want[s.Code] {
			t.Errorf("%s severity %s, want %s", s.Code, s.Severity, want[s.Code])
		}
		if r := sevRank(s.Severity); r > last {
			t.Errorf("signals not most severe first: %v", trustCodes(a))
		} else {
			last = r
		}
	}
}

// TestTrustUnvalidatedPolicyStaysFinite: Assess is total even for a policy
// that would fail Validate.
func TestTrustUnvalidatedPolicyStaysFinite(t *testing.T) {
	t.Parallel()
	p := DefaultTrustPolicy()
	p.Signals[SignalRootedDevice] = SignalRule{Weight: math.MaxFloat64}
	p.Signals[SignalDeveloperMode] = SignalRule{Weight: math.Inf(1)}
	p.Signals[SignalWiFiMatchesSite] = SignalRule{Weight: math.Inf(-1)}
	p.Signals[SignalNewDevice] = SignalRule{Weight: math.NaN()}
	e := trustBase(5)
	e.Rooted, e.DevMode, e.DeviceID = trustBool(true), trustBool(true), "dev-new"
	e.WiFi = &WiFiEvidence{BSSID: "a4:00:00:11:22:33", MatchesSite: true}
	a := Assess(e, p)
	if a.Score != MaxSignalWeight || a.Verdict != VerdictRejected {
		t.Fatalf("score %v verdict %s", a.Score, a.Verdict)
	}
	if _, err := json.Marshal(a); err != nil {
		t.Fatal(err)
	}
}

func TestTrustNoSignalsIsAnEmptyList(t *testing.T) {
	t.Parallel()
	e := trustBase(0)
	e.Geofence = GeofenceOutcome{}
	b, err := json.Marshal(Assess(e, DefaultTrustPolicy()))
	if err != nil || string(b) != `{"signals":[],"score":0,"verdict":"accepted"}` {
		t.Fatalf("%s %v", b, err)
	}
}

func TestTrustPolicyCatalogue(t *testing.T) {
	t.Parallel()
	p := DefaultTrustPolicy()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	codes := SignalCodes()
	if len(codes) != len(p.Signals) {
		t.Fatalf("%d codes, %d rules", len(codes), len(p.Signals))
	}
	for _, c := range codes {
		if _, ok := p.Signals[c]; !ok {
			t.Errorf("no default rule for %s", c)
		}
	}
	p.Signals[SignalNewDevice] = SignalRule{Weight: 9}
	if DefaultTrustPolicy().Signals[SignalNewDevice].Weight == 9 {
		t.Error("DefaultTrustPolicy shares its map between calls")
	}
}

// TestTrustPolicyJSONOverride: a tenant override stored as JSON is decoded
// over the defaults.
func TestTrustPolicyJSONOverride(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(DefaultTrustPolicy())
	if err != nil {
		t.Fatal(err)
	}
	var round TrustPolicy
	if err := json.Unmarshal(b, &round); err != nil || round.Validate() != nil || round.Signals[SignalMockLocation].AtLeast != VerdictRejected {
		t.Fatalf("round trip: %v %+v", err, round)
	}
	p := DefaultTrustPolicy()
	override := `{"thresholds":{"flag":0.4,"needs_approval":0.6,"reject":1},"signals":{"new_device":{"weight":0}},
		"geofence":{"straddles":"accepted"},"travel_max_speed_kmh":250}`
	if err := json.Unmarshal([]byte(override), &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	d := DefaultTrustPolicy()
	if p.Thresholds.Flag != 0.4 || p.Signals[SignalNewDevice].Weight != 0 || p.Geofence.Straddles != VerdictAccepted ||
		p.TravelMaxSpeedKmh != 250 || p.Signals[SignalMockLocation] != d.Signals[SignalMockLocation] ||
		p.Geofence.Outside != VerdictRejected || p.FixStaleS != d.FixStaleS {
		t.Fatalf("override merged wrongly: %+v", p)
	}
}

func TestTrustPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mut  func(p *TrustPolicy)
		want string
	}{
		{"ThresholdsOutOfOrder", func(p *TrustPolicy) { p.Thresholds.NeedsApproval = 0.2 }, "thresholds"},
		{"ZeroFlagThreshold", func(p *TrustPolicy) { p.Thresholds.Flag = 0 }, "thresholds"},
		{"NaNThreshold", func(p *TrustPolicy) { p.Thresholds.Reject = math.NaN() }, "thresholds"},
		{"UnknownSignal", func(p *TrustPolicy) { p.Signals["moon_phase"] = SignalRule{} }, `"moon_phase"`},
		{"InfiniteWeight", func(p *TrustPolicy) { p.Signals[SignalNewDevice] = SignalRule{Weight: math.Inf(1)} }, "weight"},
		{"NaNWeight", func(p *TrustPolicy) { p.Signals[SignalNewDevice] = SignalRule{Weight: math.NaN()} }, "weight"},
		{"HugeWeight", func(p *TrustPolicy) { p.Signals[SignalNewDevice] = SignalRule{Weight: -101} }, "weight"},
		{"UnknownFloor", func(p *TrustPolicy) { p.Signals[SignalNewDevice] = SignalRule{AtLeast: "banned"} }, "banned"},
		{"UnknownGeofenceVerdict", func(p *TrustPolicy) { p.Geofence.Straddles = "" }, "geofence.straddles"},
		{"NegativeLimit", func(p *TrustPolicy) { p.FixStaleS = -1 }, "fix_stale_s"},
		{"NaNLimit", func(p *TrustPolicy) { p.ExifGPSMinM = math.NaN() }, "exif_gps_min_m"},
		{"TooManyDecimals", func(p *TrustPolicy) { p.ZeroJitterDecimals = 16 }, "zero_jitter_decimals"},
		{"HashDistanceOver64", func(p *TrustPolicy) { p.PhotoReuseMaxDistance = 65 }, "photo_reuse_max_distance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := DefaultTrustPolicy()
			tt.mut(&p)
			err := p.Validate()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestTrustReconstructTime(t *testing.T) {
	t.Parallel()
	recv := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	punch := recv.Add(-47 * time.Minute) // the truth in every case below
	fix := func(d time.Duration) *time.Time { f := punch.Add(d); return &f }
	// clock builds an offline clock for a phone whose wall clock is off by
	// skew at punch and upSkew at upload; elapsed since boot is 50 h at the punch.
	clock := func(skew, upSkew time.Duration) OfflineClock {
		upload := recv.Add(-400 * time.Millisecond)
		return OfflineClock{
			DeviceWallAtPunch: punch.Add(skew), DeviceWallAtUpload: upload.Add(upSkew),
			ElapsedAtPunch: 50 * time.Hour, ElapsedAtUpload: 50*time.Hour + upload.Sub(punch),
			BootAtPunch: "b7", BootAtUpload: "b7", ServerReceipt: recv, FixTime: fix(-4 * time.Second),
		}
	}
	tests := []struct {
		name   string
		o      func() OfflineClock
		want   time.Time
		ok     bool
		reason string
	}{
		{"MonotonicPreferred", func() OfflineClock { return clock(0, 0) }, punch.Add(400 * time.Millisecond), true, ReconstructMonotonic},
		{"MonotonicIgnoresAConsistentlyWrongClock", func() OfflineClock { return clock(10*time.Minute, 10*time.Minute) },
			punch.Add(400 * time.Millisecond), true, ReconstructMonotonic},
		{"BootIDsUnknownButElapsedGrew", func() OfflineClock {
			o := clock(0, 0)
			o.BootAtPunch, o.BootAtUpload = "", ""
			return o
		}, punch.Add(400 * time.Millisecond), true, ReconstructMonotonic},
		{"RebootFallsBackToGPS", func() OfflineClock {
			o := clock(0, 0)
			o.BootAtUpload, o.ElapsedAtUpload = "b8", 10*time.Minute
			return o
		}, punch.Add(-4 * time.Second), true, ReconstructGPSFix},
		{"ElapsedWentBackwardsFallsBackToGPS", func() OfflineClock {
			o := clock(0, 0)
			o.BootAtPunch, o.BootAtUpload, o.ElapsedAtUpload = "", "", time.Minute
			return o
		}, punch.Add(-4 * time.Second), true, ReconstructGPSFix},
		{"WallClockCorrectedByUploadOffset", func() OfflineClock {
			o := clock(-3*time.Minute, -3*time.Minute)
			o.ElapsedAtPunch, o.FixTime = 0, nil
			return o
		}, punch.Add(400 * time.Millisecond), true, ReconstructWallCorrected},
		{"ClockSetBackAndRestoredWithReboot", func() OfflineClock {
			o := clock(-40*time.Minute, 0)
			o.BootAtUpload, o.ElapsedAtUpload = "b8", 10*time.Minute
			return o
		}, punch.Add(-4 * time.Second), false, ReconstructDisagree},
		{"ClockSetBackAndRestoredSameBoot", func() OfflineClock { return clock(-40*time.Minute, 0) },
			punch.Add(400 * time.Millisecond), false, ReconstructDisagree},
		{"DisagreementAtLimitIsFine", func() OfflineClock {
			o := clock(0, 0)
			o.FixTime = fix(400*time.Millisecond - 2*time.Minute)
			return o
		}, punch.Add(400 * time.Millisecond), true, ReconstructMonotonic},
		{"DisagreementJustOverLimit", func() OfflineClock {
			o := clock(0, 0)
			o.FixTime = fix(400*time.Millisecond - 2*time.Minute - time.Millisecond)
			return o
		}, punch.Add(400 * time.Millisecond), false, ReconstructDisagree},
		{"CustomTolerance", func() OfflineClock {
			o := clock(0, 0)
			o.FixTime, o.MaxDisagreement = fix(-5*time.Minute), 6*time.Minute
			return o
		}, punch.Add(400 * time.Millisecond), true, ReconstructMonotonic},
		{"GPSInTheFuture", func() OfflineClock {
			return OfflineClock{ServerReceipt: recv, FixTime: func() *time.Time { f := recv.Add(time.Second); return &f }()}
		}, recv.Add(time.Second), false, ReconstructInFuture},
		{"OlderThanWindow", func() OfflineClock {
			return OfflineClock{ServerReceipt: recv, FixTime: func() *time.Time { f := recv.Add(-73 * time.Hour); return &f }()}
		}, recv.Add(-73 * time.Hour), false, ReconstructTooOld},
		{"CustomWindow", func() OfflineClock {
			return OfflineClock{ServerReceipt: recv, MaxAge: 100 * time.Hour,
				FixTime: func() *time.Time { f := recv.Add(-73 * time.Hour); return &f }()}
		}, recv.Add(-73 * time.Hour), true, ReconstructGPSFix},
		{"NothingToGoOn", func() OfflineClock { return OfflineClock{ServerReceipt: recv} }, time.Time{}, false, ReconstructNoSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok, reason := ReconstructTime(tt.o())
			if !got.Equal(tt.want) || ok != tt.ok || !strings.HasPrefix(reason, tt.reason) {
				t.Fatalf("ReconstructTime = %v, %v, %q; want %v, %v, %s…", got, ok, reason, tt.want, tt.ok, tt.reason)
			}
		})
	}
}

// TestTrustDistanceUpperBound: the travel pre-check never skips a pair
// DistanceM would have measured as farther.
func TestTrustDistanceUpperBound(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	pairs := [][2]Point{{{0, 179.9}, {0, -179.9}}, {{89.9, 0}, {89.9, 180}}, {{-90, 10}, {90, -170}}, {trustAt, trustAt}}
	for range 20000 {
		a := Point{rng.Float64()*180 - 90, rng.Float64()*360 - 180}
		b := Point{a.Lat + rng.NormFloat64()*rng.Float64()*10, a.Lng + rng.NormFloat64()*rng.Float64()*10}
		b.Lat = max(-90, min(90, b.Lat))
		pairs = append(pairs, [2]Point{a, b}, [2]Point{a, {rng.Float64()*180 - 90, rng.Float64()*360 - 180}})
	}
	for _, p := range pairs {
		if d, u := DistanceM(p[0], p[1]), distanceUpperM(p[0], p[1]); d > u+1e-6 {
			t.Fatalf("%v–%v: DistanceM %v > bound %v", p[0], p[1], d, u)
		}
	}
}

// BenchmarkAssess: one punch with 20 previous fixes and a photo, the shape
// the attendance service assesses per app punch.
func BenchmarkAssess(b *testing.B) {
	p := DefaultTrustPolicy()
	e := trustBase(20)
	e.WiFi = &WiFiEvidence{BSSID: "a4:00:00:11:22:33", MatchesSite: true}
	e.Geofence.Containment, e.Geofence.SignedDistanceM = InsideUncertain, -6
	b.ReportAllocs()
	for b.Loop() {
		if a := Assess(e, p); a.Verdict != VerdictAccepted {
			b.Fatal(a.Verdict)
		}
	}
}
