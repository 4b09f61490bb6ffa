package geo

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// walk returns fixes every 10 s from a, moving at speed m/s due north for
// moving seconds, then standing still (with jitter) for still seconds.
func walk(rng *rand.Rand, a Point, start time.Time, speed float64, moving, still int) []TrackPoint {
	var out []TrackPoint
	p := a
	t := start
	mPerDegLat := EarthRadiusM * math.Pi / 180
	for s := 0; s < moving; s += 10 {
		p.Lat += speed * 10 / mPerDegLat
		out = append(out, TrackPoint{Point: p, AccuracyM: 8, Time: t})
		t = t.Add(10 * time.Second)
	}
	for s := 0; s < still; s += 10 {
		j := Point{Lat: p.Lat + rng.NormFloat64()*4/mPerDegLat, Lng: p.Lng + rng.NormFloat64()*4/mPerDegLat}
		out = append(out, TrackPoint{Point: j, AccuracyM: 12, Time: t})
		t = t.Add(10 * time.Second)
	}
	return out
}

func TestTrackDistanceIgnoresJitter(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		moving, still int
		wantM         float64
	}{
		{"OnlyStanding", 0, 3600, 0},
		{"WalkThenStand", 600, 1800, 900}, // 1.5 m/s for 10 min
		{"Walk", 1200, 0, 1800},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pts := walk(rng, Point{Lat: 31.23, Lng: 121.47}, start, 1.5, tc.moving, tc.still)
			got := TrackDistanceM(pts, 5)
			if math.Abs(got-tc.wantM) > 0.1*tc.wantM+30 {
				t.Fatalf("distance %.0f m, want ≈ %.0f m", got, tc.wantM)
			}
		})
	}
}

func TestDetectStops(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a := walk(rng, Point{Lat: 31.23, Lng: 121.47}, start, 1.5, 300, 1200) // walk 5 min, stay 20 min
	b := walk(rng, a[len(a)-1].Point, a[len(a)-1].Time.Add(10*time.Second), 10, 300, 120)
	stops := DetectStops(append(a, b...), 50, 5*time.Minute)
	if len(stops) != 1 {
		t.Fatalf("%d stops, want 1: %+v", len(stops), stops)
	}
	if d := stops[0].Duration(); d < 19*time.Minute || d > 21*time.Minute {
		t.Fatalf("stop lasted %v, want ≈ 20 min", d)
	}
	if got := DetectStops(b[:5], 50, 5*time.Minute); len(got) != 0 {
		t.Fatalf("driving is not a stop: %+v", got)
	}
}

func TestSimplifyTrackKeepsShape(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var pts []TrackPoint
	// An L: 100 fixes north, then 100 east.
	for i := 0; i < 100; i++ {
		pts = append(pts, TrackPoint{Point: Point{Lat: 31 + float64(i)*1e-4, Lng: 121}, Time: start.Add(time.Duration(i) * time.Second)})
	}
	for i := 1; i <= 100; i++ {
		pts = append(pts, TrackPoint{Point: Point{Lat: 31 + 99e-4, Lng: 121 + float64(i)*1e-4}, Time: start.Add(time.Duration(100+i) * time.Second)})
	}
	got := SimplifyTrack(pts, 5)
	if len(got) != 3 || got[1].Point != pts[99].Point {
		t.Fatalf("an L simplifies to its 3 corners, got %d points", len(got))
	}
	if len(SimplifyTrack(pts[:2], 5)) != 2 || len(SimplifyTrack(nil, 5)) != 0 {
		t.Fatal("short tracks are kept as they are")
	}
}
