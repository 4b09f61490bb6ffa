package geo

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

var fuzzContainments = [...]Containment{"", Inside, InsideUncertain, Straddles, Outside, "bogus"}

// FuzzAssess: Assess never panics, whatever the numbers (NaN, ±Inf, huge
// times); the verdict is one of the four, the score finite and ≥ 0, the
// signals most severe first, and the assessment encodes as JSON.
func FuzzAssess(f *testing.F) {
	f.Add(31.23, 121.47, 12.0, 31.24, 121.48, 8.0, int64(3600), int64(3), int64(1), uint16(0), uint8(1), -50.0, 31.23, 121.47, int64(-20), uint8(0))
	f.Add(math.NaN(), math.Inf(1), math.NaN(), 0.0, 0.0, -1.0, int64(0), int64(-5), int64(1<<62), uint16(0xffff), uint8(4), math.NaN(), math.Inf(-1), 0.0, int64(-1<<62), uint8(9))
	f.Add(31.2304, 121.4737, 1.0, 31.2304, 121.4737, 1.0, int64(86400), int64(200), int64(-400), uint16(0x0f0f), uint8(3), 40.0, 39.9, 116.4, int64(3000), uint8(3))
	f.Add(0.0, 0.0, 0.0, 90.0, 180.0, 1e300, int64(-1), int64(1<<40), int64(0), uint16(0x8000), uint8(2), 1e308, 0.0, 0.0, int64(0), uint8(7))
	f.Fuzz(func(t *testing.T, lat, lng, acc, pLat, pLng, pAcc float64, prevAgoS, fixAgeS, skewS int64, flags uint16,
		cont uint8, dist, exLat, exLng float64, exifS int64, reuse uint8) {
		at := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
		sec := func(s int64) time.Duration { return time.Duration(s) * time.Second } // wraps: fine, any instant will do
		bit := func(i uint) *bool {
			if flags&(1<<(2*i)) == 0 {
				return nil
			}
			b := flags&(1<<(2*i+1)) != 0
			return &b
		}
		fix, client, exif := at.Add(-sec(fixAgeS)), at.Add(sec(skewS)), at.Add(sec(exifS))
		prev := make([]Fix, 6)
		for i := range prev {
			prev[i] = Fix{Point: Point{pLat + float64(i)*1e-3, pLng}, AccuracyM: pAcc, Time: at.Add(-sec(prevAgoS) * time.Duration(i+1))}
		}
		e := Evidence{
			Point: Point{lat, lng}, AccuracyM: acc, ServerTime: at, ClientTime: &client, FixTime: &fix,
			IsMock: bit(0), Rooted: bit(1), DevMode: bit(2), Simulated: bit(3),
			Offline: flags&(1<<8) != 0,
			Geofence: GeofenceOutcome{Containment: fuzzContainments[int(cont)%len(fuzzContainments)], SignedDistanceM: dist,
				SiteMaxAccuracyM: pAcc},
			Previous: prev, DeviceID: "d1", UsualDeviceIDs: []string{"d2"},
			Photo: &PhotoEvidence{CaptureTime: &exif, CaptureOffsetKnown: flags&(1<<9) != 0, GPS: &Point{exLat, exLng},
				Reused: &PhotoReuse{Distance: int(reuse) - 3, Exact: reuse%5 == 0}},
		}
		if flags&(1<<10) != 0 {
			e.ReconstructedTime = &fix
		}
		if flags&(1<<11) != 0 {
			e.SentPoint = &Point{pLat, pLng}
		}
		if flags&(1<<12) != 0 {
			e.WiFi = &WiFiEvidence{BSSID: "aa:bb:cc:dd:ee:ff", MatchesSite: flags&(1<<13) != 0, OtherSiteID: "s2"}
		}
		if flags&(1<<14) != 0 {
			e.Photo.SiteZone = time.FixedZone("X", int(skewS%50000))
		}
		a := Assess(e, DefaultTrustPolicy())
		if !a.Verdict.Valid() {
			t.Fatalf("verdict %q", a.Verdict)
		}
		if math.IsNaN(a.Score) || math.IsInf(a.Score, 0) || a.Score < 0 {
			t.Fatalf("score %v", a.Score)
		}
		for i := 1; i < len(a.Signals); i++ {
			if sevRank(a.Signals[i].Severity) > sevRank(a.Signals[i-1].Severity) {
				t.Fatalf("signals out of order: %+v", a.Signals)
			}
		}
		if _, err := json.Marshal(a); err != nil {
			t.Fatalf("not JSON: %v (%+v)", err, a.Signals)
		}
		if isTrue(e.IsMock) && a.Verdict != VerdictRejected {
			t.Fatalf("mock flag not rejected: %+v", a)
		}
	})
}
