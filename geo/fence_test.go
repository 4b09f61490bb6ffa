package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// square returns the corners of an axis-aligned square of side sideM metres
// with south-west corner sw, counter-clockwise.
func square(sw Point, sideM float64) []Point {
	return []Point{sw, offset(sw, sideM, 0), offset(sw, sideM, sideM), offset(sw, 0, sideM)}
}

func TestFenceValidate(t *testing.T) {
	t.Parallel()
	sq := square(shanghai, 100)
	tests := []struct {
		name     string
		fence    Fence
		wantCode string // "" means valid
	}{
		{"Circle", Fence{Kind: Circle, Center: shanghai, RadiusM: 200}, ""},
		{"CircleAtMaxRadius", Fence{Kind: Circle, Center: shanghai, RadiusM: MaxRadiusM}, ""},
		{"Square", Fence{Kind: Polygon, Points: sq}, ""},
		{"SquareClosed", Fence{Kind: Polygon, Points: append(sq[:4:4], sq[0])}, ""},
		{"SquareClockwise", Fence{Kind: Polygon, Points: []Point{sq[3], sq[2], sq[1], sq[0]}}, ""},
		{"RepeatedVertexDropped", Fence{Kind: Polygon, Points: []Point{sq[0], sq[1], sq[1], sq[2], sq[3]}}, ""},
		{"ConcaveLShape", Fence{Kind: Polygon, Points: []Point{
			shanghai, offset(shanghai, 200, 0), offset(shanghai, 200, 50), offset(shanghai, 50, 50),
			offset(shanghai, 50, 200), offset(shanghai, 0, 200)}}, ""},
		{"SouthernHemisphere", Fence{Kind: Polygon, Points: square(Point{-33.86, 151.21}, 300)}, ""},
		{"WesternHemisphere", Fence{Kind: Circle, Center: Point{40.71, -74.0}, RadiusM: 150}, ""},

		{"UnknownKind", Fence{Kind: "hexagon", Center: shanghai, RadiusM: 10}, CodeInvalidKind},
		{"EmptyKind", Fence{Center: shanghai, RadiusM: 10}, CodeInvalidKind},
		{"CircleWithPoints", Fence{Kind: Circle, Center: shanghai, RadiusM: 10, Points: sq}, CodeMixedShape},
		{"PolygonWithRadius", Fence{Kind: Polygon, RadiusM: 10, Points: sq}, CodeMixedShape},
		{"PolygonWithCentre", Fence{Kind: Polygon, Center: shanghai, Points: sq}, CodeMixedShape},
		{"CircleNaNCentre", Fence{Kind: Circle, Center: Point{math.NaN(), 121}, RadiusM: 10}, CodeInvalidCoordinate},
		{"CircleLatitudeOutOfRange", Fence{Kind: Circle, Center: Point{95, 121}, RadiusM: 10}, CodeInvalidCoordinate},
		{"VertexInfinite", Fence{Kind: Polygon, Points: []Point{sq[0], {31.23, math.Inf(1)}, sq[2]}}, CodeInvalidCoordinate},
		{"VertexLongitudeOutOfRange", Fence{Kind: Polygon, Points: []Point{sq[0], {31.23, 181}, sq[2]}}, CodeInvalidCoordinate},
		{"RadiusZero", Fence{Kind: Circle, Center: shanghai}, CodeRadiusOutOfRange},
		{"RadiusNegative", Fence{Kind: Circle, Center: shanghai, RadiusM: -5}, CodeRadiusOutOfRange},
		{"RadiusNaN", Fence{Kind: Circle, Center: shanghai, RadiusM: math.NaN()}, CodeRadiusOutOfRange},
		{"RadiusAboveMax", Fence{Kind: Circle, Center: shanghai, RadiusM: MaxRadiusM + 1}, CodeRadiusOutOfRange},
		{"TwoVertices", Fence{Kind: Polygon, Points: sq[:2]}, CodeDegeneratePolygon},
		{"ThreeVerticesTwoDistinct", Fence{Kind: Polygon, Points: []Point{sq[0], sq[1], sq[0]}}, CodeDegeneratePolygon},
		{"NoVertices", Fence{Kind: Polygon}, CodeDegeneratePolygon},
		{"Collinear", Fence{Kind: Polygon, Points: []Point{shanghai, offset(shanghai, 100, 0), offset(shanghai, 200, 0)}}, CodeDegeneratePolygon},
		{"Sliver", Fence{Kind: Polygon, Points: []Point{shanghai, offset(shanghai, 100, 0), offset(shanghai, 50, 0.005)}}, CodeDegeneratePolygon},
		{"TooManyVertices", Fence{Kind: Polygon, Points: circleRing(shanghai, 500, MaxVertices+1)}, CodeTooManyVertices},
		{"MaxVerticesPlusClosing", Fence{Kind: Polygon, Points: append(circleRing(shanghai, 500, MaxVertices), circleRing(shanghai, 500, MaxVertices)[0])}, ""},
		{"BowTie", Fence{Kind: Polygon, Points: []Point{sq[0], sq[2], sq[1], sq[3]}}, CodeSelfIntersecting},
		{"TouchingAtVertex", Fence{Kind: Polygon, Points: []Point{
			shanghai, offset(shanghai, 100, 0), offset(shanghai, 50, 50), offset(shanghai, 100, 100),
			offset(shanghai, 0, 100), offset(shanghai, 50, 50)}}, CodeSelfIntersecting},
		{"Spike", Fence{Kind: Polygon, Points: []Point{sq[0], sq[1], offset(sq[1], 50, 0), sq[1], sq[2], sq[3]}}, CodeSelfIntersecting},
		{"CollinearExtraVertex", Fence{Kind: Polygon, Points: []Point{sq[0], sq[1], sq[2], sq[3], offset(sq[0], 0, 50)}}, ""},
		{"FoldBack", Fence{Kind: Polygon, Points: []Point{sq[0], sq[1], sq[2], sq[3], offset(sq[0], 0, 150)}}, CodeSelfIntersecting},
		{"TooLargePolygon", Fence{Kind: Polygon, Points: square(shanghai, 100_001)}, CodeFenceTooLarge},
		{"AntimeridianEdge", Fence{Kind: Polygon, Points: []Point{{-17, 179.99}, {-17, -179.99}, {-16.99, -179.99}}}, CodeCrossesAntimeridian},
		{"NearAntimeridian", Fence{Kind: Circle, Center: Point{-16.8, 179.995}, RadiusM: 100}, CodeCrossesAntimeridian},
		{"CircleNearPole", Fence{Kind: Circle, Center: Point{-89.99, 0}, RadiusM: 100}, CodePolarRegion},
		{"PolygonAt86N", Fence{Kind: Polygon, Points: square(Point{86, 10}, 1000)}, CodePolarRegion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.fence.Validate()
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *FenceError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate() = %v, want *FenceError wrapping ErrInvalid", err)
			}
			if fe.Code != tt.wantCode {
				t.Fatalf("Code = %q (%v), want %q", fe.Code, err, tt.wantCode)
			}
			if fe.Msg == "" {
				t.Fatal("empty Msg")
			}
		})
	}
}

// TestFenceErrorNamesUserVertices: reasons refer to the vertices as the user
// sent them, even when duplicates were dropped.
func TestFenceErrorNamesUserVertices(t *testing.T) {
	t.Parallel()
	sq := square(shanghai, 100)
	f := Fence{Kind: Polygon, Points: []Point{sq[0], sq[0], sq[2], sq[1], sq[3]}}
	want := "geo: invalid input: edge from vertex 0 to vertex 2 meets edge from vertex 3 to vertex 4"
	if err := f.Validate(); err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want %q", err, want)
	}
}

// circleRing is an n-gon inscribed in a circle of radius rM around c.
func circleRing(c Point, rM float64, n int) []Point {
	pts := make([]Point, n)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / float64(n)
		pts[i] = offset(c, rM*math.Cos(a), rM*math.Sin(a))
	}
	return pts
}

func TestSignedDistanceM(t *testing.T) {
	t.Parallel()
	circle := Fence{Kind: Circle, Center: shanghai, RadiusM: 200}
	// 200 m × 200 m square with its south-west corner at shanghai.
	sq := Fence{Kind: Polygon, Points: square(shanghai, 200)}
	mid := offset(shanghai, 100, 100)
	// L-shaped: the notch's inner corner is at (50, 50).
	ell := Fence{Kind: Polygon, Points: []Point{
		shanghai, offset(shanghai, 200, 0), offset(shanghai, 200, 50), offset(shanghai, 50, 50),
		offset(shanghai, 50, 200), offset(shanghai, 0, 200)}}
	tests := []struct {
		name  string
		fence Fence
		p     Point
		want  float64
		tol   float64
	}{
		{"CircleCentre", circle, shanghai, -200, 1e-9},
		{"CircleOutside", circle, offset(shanghai, 0, 300), 100, 0.05},
		{"CircleInside", circle, offset(shanghai, 150, 0), -50, 0.05},
		{"SquareCentre", sq, mid, -100, 0.05},
		{"SquareNearWestEdge", sq, offset(shanghai, 10, 100), -10, 0.05},
		{"SquareOutsideEast", sq, offset(shanghai, 230, 100), 30, 0.05},
		{"SquareOutsideNorth", sq, offset(shanghai, 100, 260), 60, 0.05},
		{"SquareOutsideCornerDiagonal", sq, offset(shanghai, -30, -40), 50, 0.05},
		{"SquareVertex", sq, shanghai, 0, 1e-6},
		{"LShapeInNotchIsOutside", ell, offset(shanghai, 150, 150), 100, 0.05},
		{"LShapeArm", ell, offset(shanghai, 150, 25), -25, 0.05},
		{"LShapeNotchNearInnerCorner", ell, offset(shanghai, 60, 60), 10, 0.05},
		{"LShapeInsideDiagonalFromInnerCorner", ell, offset(shanghai, 40, 40), -math.Hypot(10, 10), 0.05},
		{"UnknownKindIsNaN", Fence{Kind: "x"}, shanghai, math.NaN(), 0},
		{"EmptyPolygonIsNaN", Fence{Kind: Polygon}, shanghai, math.NaN(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.fence.SignedDistanceM(tt.p)
			if math.IsNaN(tt.want) {
				if !math.IsNaN(got) {
					t.Fatalf("got %v, want NaN", got)
				}
				return
			}
			if math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("SignedDistanceM = %.4f, want %.4f ± %g", got, tt.want, tt.tol)
			}
		})
	}
}

// TestPolygonDistanceMatchesBruteForce compares the exact polygon distance
// with a brute-force reference: the nearest of 1,000 points sampled along
// each edge's great-circle arc, signed by a winding test in a projection
// centred on the query point. Polygons range from 100 m to the 100 km limit,
// at latitudes from the equator to 80°.
func TestPolygonDistanceMatchesBruteForce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		centre Point
		radius float64
	}{
		{"SiteInShanghai", shanghai, 150},
		{"CampusInBeijing", Point{39.99, 116.31}, 2_000},
		{"CityOnEquator", Point{0.3, 32.58}, 20_000},
		{"LargestNearArcticCircle", Point{66.5, 25.7}, 45_000},
		{"SiteAt80N", Point{78.2, 15.6}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(3, uint64(tt.radius)))
			for range 8 {
				pts := starPolygon(rng, tt.centre, 3+rng.IntN(10), tt.radius/3, tt.radius)
				f := Fence{Kind: Polygon, Points: pts}
				if err := f.Validate(); err != nil {
					t.Fatalf("generated polygon invalid: %v", err)
				}
				for range 40 {
					p := offset(tt.centre, (rng.Float64()*2.4-1.2)*tt.radius, (rng.Float64()*2.4-1.2)*tt.radius)
					ref := bruteForceSignedDistance(pts, p)
					got := f.SignedDistanceM(p)
					// Sampling error of the reference: half the sample spacing.
					tol := 0.5*maxEdgeM(pts)/1000 + 1e-6
					if math.Abs(math.Abs(got)-math.Abs(ref)) > tol {
						t.Fatalf("|distance| = %.4f, brute force %.4f (tol %.4f) at %v", got, ref, tol, p)
					}
					if math.Abs(ref) > tol && (got < 0) != (ref < 0) {
						t.Fatalf("sign: got %.4f, brute force %.4f at %v", got, ref, p)
					}
				}
			}
		})
	}
}

func maxEdgeM(pts []Point) float64 {
	m := 0.0
	for i := range pts {
		m = max(m, DistanceM(pts[i], pts[(i+1)%len(pts)]))
	}
	return m
}

func bruteForceSignedDistance(pts []Point, p Point) float64 {
	best := math.Inf(1)
	for i := range pts {
		a, b := toVec3(pts[i]), toVec3(pts[(i+1)%len(pts)])
		omega := math.Acos(min(1, a.dot(b)))
		for k := 0; k <= 1000; k++ {
			t := float64(k) / 1000
			// Spherical linear interpolation along the arc.
			s := a.scale(math.Sin((1 - t) * omega)).add(b.scale(math.Sin(t * omega))).scale(1 / math.Sin(omega))
			best = min(best, DistanceM(p, s.point()))
		}
	}
	// Winding number in an azimuthal projection centred on p: sum the angles
	// subtended by the edges (±2π inside, 0 outside).
	frame := newTangentFrame(toVec3(p))
	wind := 0.0
	for i := range pts {
		x1, y1, _ := frame.project(toVec3(pts[i]))
		x2, y2, _ := frame.project(toVec3(pts[(i+1)%len(pts)]))
		wind += math.Atan2(x1*y2-y1*x2, x1*x2+y1*y2)
	}
	if math.Abs(wind) > math.Pi {
		return -best
	}
	return best
}

// TestCircleSignedDistanceIsHaversine: the chord form used for circles
// agrees with DistanceM − radius far below any meaningful precision.
func TestCircleSignedDistanceIsHaversine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		maxM   float64 // how far from the centre points are drawn
		tolM   float64
		centre Point
	}{
		{"WithinAFence", 1_000, 1e-8, Point{22.54, 114.05}},
		{"AcrossACity", 100_000, 1e-8, Point{39.9, 116.4}},
		{"AcrossAContinent", 3_000_000, 1e-8, Point{-33.9, 151.2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(2, uint64(tt.maxM)))
			f := Fence{Kind: Circle, Center: tt.centre, RadiusM: 321}
			for range 1000 {
				p := newTangentFrame(toVec3(tt.centre)).unproject(
					(rng.Float64()*2-1)*tt.maxM/EarthRadiusM, (rng.Float64()*2-1)*tt.maxM/EarthRadiusM).point()
				if got, want := f.SignedDistanceM(p), DistanceM(f.Center, p)-321; math.Abs(got-want) > tt.tolM {
					t.Fatalf("SignedDistanceM(%v) = %.12f, DistanceM − radius = %.12f", p, got, want)
				}
			}
		})
	}
}

func TestFenceBounds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fence Fence
		want  Rect
		tol   float64
	}{
		{"CircleOnEquator", Fence{Kind: Circle, Center: Point{0, 100}, RadiusM: metresPerDegLat},
			Rect{Point{-1, 99}, Point{1, 101}}, 1e-9},
		{"CircleAt60N", Fence{Kind: Circle, Center: Point{60, 10}, RadiusM: 1000},
			Rect{Point{60 - 1000/metresPerDegLat, 10 - 0.0179866}, Point{60 + 1000/metresPerDegLat, 10 + 0.0179866}}, 1e-6},
		// Even a 1 km east–west edge bulges 4 mm (3.7e-8°) towards the pole.
		{"Square", Fence{Kind: Polygon, Points: []Point{{10, 20}, {10, 20.01}, {10.01, 20.01}, {10.01, 20}}},
			Rect{Point{10, 20}, Point{10.01 + 3.73e-8, 20.01}}, 1e-10},
		// A 1° east–west edge at 45°N peaks where tan φ = tan 45° / cos 0.5°.
		{"LongEdgeBulges", Fence{Kind: Polygon, Points: []Point{{44.5, 10}, {45, 10}, {45, 11}, {44.5, 11}}},
			Rect{Point{44.5, 10}, Point{math.Atan(1/math.Cos(0.5*degToRad)) / degToRad, 11}}, 1e-9},
		{"UnknownKind", Fence{Kind: "x"}, Rect{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.fence.Bounds()
			assertNear(t, got.Min, tt.want.Min, tt.tol)
			assertNear(t, got.Max, tt.want.Max, tt.tol)
		})
	}
}
