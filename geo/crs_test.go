package geo

import (
	"errors"
	"math"
	"runtime"
	"testing"
)

// Golden vectors from the public test files of eviltransform,
// wandergis/coordtransform and feiquan123/coordtransform-go (see
// docs/geo.md). Points are written Point{Lat, Lng}; the sources for rows 4–13
// list (lng, lat).
const (
	tolExact  = 1e-9 // degrees, rows the libraries print in full
	tolRound7 = 1e-7 // degrees, rows the source compares after Round(7)
)

func TestFromWGS84Golden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Point
		to   CRS
		want Point
		tol  float64
	}{
		{"Row1ShanghaiEviltransform", Point{31.1774276, 121.5272106}, GCJ02, Point{31.17530398364597, 121.531541859215}, tolExact},
		{"Row2ShenzhenEviltransform", Point{22.543847, 113.912316}, GCJ02, Point{22.540796131694766, 113.9171764808363}, tolExact},
		{"Row3BeijingEviltransform", Point{39.911954, 116.377817}, GCJ02, Point{39.91334545536069, 116.38404722455657}, tolExact},
		{"Row6BeijingWandergis", Point{39.915, 116.404}, GCJ02, Point{39.91640428150164, 116.41024449916938}, tolExact},
		{"Row10WuhanFeiquan", Point{30.517411, 114.363089}, GCJ02, Point{30.515078352018758, 114.36861383019243}, tolRound7},
		{"Row13WuhanFeiquanToBD09", Point{30.517411, 114.363089}, BD09, Point{30.521392123098003, 114.3750500836037}, tolRound7},
		{"WGS84IsIdentity", Point{39.915, 116.404}, WGS84, Point{39.915, 116.404}, 0},
		{"LondonOutsideGuardIsIdentity", Point{51.5007, -0.1246}, GCJ02, Point{51.5007, -0.1246}, 0},
		{"SydneyOutsideGuardIsIdentityForBD09", Point{-33.8568, 151.2153}, BD09, Point{-33.8568, 151.2153}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := FromWGS84(tt.in, tt.to)
			if err != nil {
				t.Fatalf("FromWGS84: %v", err)
			}
			assertNear(t, got, tt.want, tt.tol)
		})
	}
}

func TestToWGS84Golden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Point
		from CRS
		want Point
		tol  float64
	}{
		// Row 3b: the exact inverse returns the WGS-84 inputs of rows 1–3.
		{"Row3bShanghaiExactInverse", Point{31.17530398364597, 121.531541859215}, GCJ02, Point{31.1774276, 121.5272106}, tolExact},
		{"Row3bShenzhenExactInverse", Point{22.540796131694766, 113.9171764808363}, GCJ02, Point{22.543847, 113.912316}, tolExact},
		{"Row3bBeijingExactInverse", Point{39.91334545536069, 116.38404722455657}, GCJ02, Point{39.911954, 116.377817}, tolExact},
		{"Row6InvertedBeijingWandergis", Point{39.91640428150164, 116.41024449916938}, GCJ02, Point{39.915, 116.404}, tolExact},
		{"Row10InvertedWuhanFeiquan", Point{30.515078352018758, 114.36861383019243}, GCJ02, Point{30.517411, 114.363089}, tolRound7},
		{"Row13InvertedWuhanFeiquan", Point{30.521392123098003, 114.3750500836037}, BD09, Point{30.517411, 114.363089}, tolRound7},
		{"WGS84IsIdentity", Point{-12.5, 33.25}, WGS84, Point{-12.5, 33.25}, 0},
		{"NewYorkOutsideGuardIsIdentity", Point{40.7128, -74.006}, GCJ02, Point{40.7128, -74.006}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ToWGS84(tt.in, tt.from)
			if err != nil {
				t.Fatalf("ToWGS84: %v", err)
			}
			assertNear(t, got, tt.want, tt.tol)
		})
	}
}

// TestBDGCJGolden checks the BD-09 stage on its own (rows 4, 5, 8, 9) and the
// one-step GCJ inverse the libraries ship (rows 7, 11, 12), which we only
// reproduce to show how far off it is.
func TestBDGCJGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(Point) Point
		in   Point
		want Point
		tol  float64
	}{
		{"Row4BDToGCJWandergis", bdToGCJ, Point{39.915, 116.404}, Point{39.90865673957631, 116.39762729119315}, tolExact},
		{"Row5GCJToBDWandergis", gcjToBD, Point{39.915, 116.404}, Point{39.92133699351021, 116.41036949371029}, tolExact},
		{"Row7OneStepGCJToWGSWandergis", gcjToWGSOneStep, Point{39.915, 116.404}, Point{39.91359571849836, 116.39775550083061}, tolExact},
		{"Row8BDToGCJFeiquan", bdToGCJ, Point{30.517411, 114.363089}, Point{30.511068245460944, 114.356659806424}, tolRound7},
		{"Row9GCJToBDFeiquan", gcjToBD, Point{30.517411, 114.363089}, Point{30.523754384540837, 114.36951652929112}, tolRound7},
		{"Row11OneStepGCJToWGSFeiquan", gcjToWGSOneStep, Point{30.517411, 114.363089}, Point{30.51974364798124, 114.35756416980757}, tolRound7},
		{"Row12OneStepBDToWGSFeiquan", func(p Point) Point { return gcjToWGSOneStep(bdToGCJ(p)) }, Point{30.517411, 114.363089}, Point{30.513412637358606, 114.35114337613005}, tolRound7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assertNear(t, tt.fn(tt.in), tt.want, tt.tol)
		})
	}
}

// TestToWGS84DiffersFromLibraryOneStep pins how far our exact BD-09 → WGS-84
// answer lies from feiquan123's one-step row 12: metres, which is why row 12
// is checked against the one-step helper and not against ToWGS84.
func TestToWGS84DiffersFromLibraryOneStep(t *testing.T) {
	t.Parallel()
	exact, err := ToWGS84(Point{30.517411, 114.363089}, BD09)
	if err != nil {
		t.Fatal(err)
	}
	d := DistanceM(exact, Point{30.513412637358606, 114.35114337613005})
	if d < 0.1 || d > 5 {
		t.Errorf("exact vs one-step BD09→WGS84 = %.3f m, want between 0.1 and 5 m", d)
	}
}

// TestEviltransformBDVectorsUseAnotherFormula documents why eviltransform's
// BD-09 vectors are not golden here: they come from its sin(y·π) variant and
// sit 5–50 m away from the standard x_pi formula we implement.
func TestEviltransformBDVectorsUseAnotherFormula(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		bd, their Point
	}{
		{"Hangzhou1", Point{29.199786, 120.019809}, Point{29.196131605295484, 120.00877901149691}},
		{"Hangzhou2", Point{29.210504, 120.036455}, Point{29.206795749156136, 120.0253853970846}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ours, err := ToWGS84(tt.bd, BD09)
			if err != nil {
				t.Fatal(err)
			}
			if d := DistanceM(ours, tt.their); d < 5 || d > 50 {
				t.Errorf("distance to eviltransform's answer = %.1f m, want 5–50 m", d)
			}
		})
	}
}

// TestDistanceEviltransformRow3c reproduces eviltransform's TestDistance
// (spherical law of cosines with R = 6378137) by rescaling our haversine.
func TestDistanceEviltransformRow3c(t *testing.T) {
	t.Parallel()
	a := Point{31.17530398364597, 121.531541859215}
	b := Point{39.91334545536069, 116.38404722455657}
	got := DistanceM(a, b) * 6378137 / EarthRadiusM
	if math.Abs(got-1078164) > 1 {
		t.Errorf("distance = %.2f m, want 1078164 ± 1 m", got)
	}
}

func TestParseCRS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    CRS
		wantErr bool
	}{
		{"WGS84", "wgs84", WGS84, false},
		{"GCJ02UpperCase", "GCJ02", GCJ02, false},
		{"BD09WithSpaces", " bd09 ", BD09, false},
		{"HyphenatedIsUnknown", "wgs-84", "", true},
		{"Empty", "", "", true},
		{"Mercator", "epsg:3857", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseCRS(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("ParseCRS(%q) error = %v, want ErrInvalid", tt.in, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseCRS(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestConversionRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		p    Point
		c    CRS
	}{
		{"NaNLatitude", Point{math.NaN(), 116}, GCJ02},
		{"InfiniteLongitude", Point{39, math.Inf(1)}, BD09},
		{"LatitudeAbove90", Point{91, 116}, WGS84},
		{"UnknownCRS", Point{39, 116}, CRS("utm50n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ToWGS84(tt.p, tt.c); !errors.Is(err, ErrInvalid) {
				t.Errorf("ToWGS84 error = %v, want ErrInvalid", err)
			}
			if _, err := FromWGS84(tt.p, tt.c); !errors.Is(err, ErrInvalid) {
				t.Errorf("FromWGS84 error = %v, want ErrInvalid", err)
			}
		})
	}
}

// chinaGrid calls fn for every point of a step° grid over lat 18–53,
// lng 74–134 (the grid the design note verified against).
func chinaGrid(step float64, fn func(Point)) {
	for lat := 18.0; lat <= 53; lat += step {
		for lng := 74.0; lng <= 134; lng += step {
			fn(Point{lat, lng})
		}
	}
}

// TestRoundTripIsExact: both inverses are exact, the residual is float
// rounding only.
func TestRoundTripIsExact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		crs  CRS
		maxM float64
	}{
		{"GCJ02", GCJ02, 1e-6},
		{"BD09", BD09, 1e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			worst := 0.0
			chinaGrid(0.25, func(w Point) {
				g, err := FromWGS84(w, tt.crs)
				if err != nil {
					t.Fatal(err)
				}
				back, err := ToWGS84(g, tt.crs)
				if err != nil {
					t.Fatal(err)
				}
				worst = math.Max(worst, DistanceM(w, back))
			})
			if worst > tt.maxM {
				t.Errorf("worst round-trip error %.3g m, want ≤ %g m", worst, tt.maxM)
			}
			t.Logf("worst round-trip error %.3g m", worst)
		})
	}
}

func TestGCJInverseConvergesQuickly(t *testing.T) {
	t.Parallel()
	worstIter := 0
	chinaGrid(0.25, func(w Point) {
		g := wgsToGCJ(w)
		x := g
		for i := 1; i <= gcjMaxIter; i++ {
			dLat, dLng := gcjDelta(x)
			eLat, eLng := x.Lat+dLat-g.Lat, x.Lng+dLng-g.Lng
			x.Lat -= eLat
			x.Lng -= eLng
			if math.Abs(eLat) < gcjTolDeg && math.Abs(eLng) < gcjTolDeg {
				worstIter = max(worstIter, i)
				return
			}
		}
		t.Fatalf("no convergence within %d iterations at %v", gcjMaxIter, w)
	})
	if worstIter > 8 {
		t.Errorf("worst case %d iterations, want ≤ 8", worstIter)
	}
	t.Logf("worst case %d iterations", worstIter)
}

// TestBDClosedFormInverseIsOffByDecimetres shows what bdToGCJExact fixes: the
// closed-form BD-09 inverse every library ships is up to ~0.2 m off.
func TestBDClosedFormInverseIsOffByDecimetres(t *testing.T) {
	t.Parallel()
	worst := 0.0
	chinaGrid(0.5, func(g Point) {
		b := gcjToBD(g)
		worst = math.Max(worst, DistanceM(g, bdToGCJ(b)))
		if d := DistanceM(g, bdToGCJExact(b)); d > 1e-6 {
			t.Fatalf("exact BD inverse off by %.3g m at %v", d, g)
		}
	})
	if worst < 0.1 || worst > 0.3 {
		t.Errorf("closed-form worst error %.3f m, want ≈ 0.21 m", worst)
	}
	t.Logf("closed-form BD inverse worst error %.3f m", worst)
}

// TestOneStepInverseIsOffByMetres is why gcjToWGS iterates: the one-step
// inverse most libraries ship is metres off, enough to flip a punch at the
// edge of a small fence.
func TestOneStepInverseIsOffByMetres(t *testing.T) {
	t.Parallel()
	worst, worstAt := 0.0, Point{}
	chinaGrid(0.5, func(w Point) {
		if d := DistanceM(w, gcjToWGSOneStep(wgsToGCJ(w))); d > worst {
			worst, worstAt = d, w
		}
	})
	if worst < 4 || worst > 6 {
		t.Errorf("one-step worst error %.2f m at %v, want ≈ 4.85 m", worst, worstAt)
	}
	t.Logf("one-step inverse worst error %.2f m at %v", worst, worstAt)
}

// gcjToWGSOneStep is the approximate inverse shipped by most libraries:
// subtract the offset evaluated at the GCJ point.
func gcjToWGSOneStep(g Point) Point {
	if !inChinaGuard(g) {
		return g
	}
	dLat, dLng := gcjDelta(g)
	return Point{Lat: g.Lat - dLat, Lng: g.Lng - dLng}
}

func assertNear(t *testing.T, got, want Point, tol float64) {
	t.Helper()
	if math.Abs(got.Lat-want.Lat) > tol || math.Abs(got.Lng-want.Lng) > tol {
		t.Errorf("got (%.15f, %.15f), want (%.15f, %.15f) ± %g°", got.Lat, got.Lng, want.Lat, want.Lng, tol)
	}
}

// BenchmarkToWGS84_GCJ02 is the exact GCJ-02 inverse on points spread over
// China (3–8 fixed-point iterations each).
func BenchmarkToWGS84_GCJ02(b *testing.B) {
	var pts []Point
	chinaGrid(1.5, func(w Point) { pts = append(pts, wgsToGCJ(w)) })
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	i := 0
	cpu := threadCPU()
	for b.Loop() {
		if _, err := ToWGS84(pts[i%len(pts)], GCJ02); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportCPU(b, threadCPU()-cpu, "conversions")
}

// BenchmarkFromWGS84_GCJ02 is the forward transform, for comparison.
func BenchmarkFromWGS84_GCJ02(b *testing.B) {
	var pts []Point
	chinaGrid(1.5, func(w Point) { pts = append(pts, w) })
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := FromWGS84(pts[i%len(pts)], GCJ02); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
