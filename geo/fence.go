package geo

import (
	"fmt"
	"math"
)

// FenceKind says which fields of a Fence are meaningful.
type FenceKind string

// The fence shapes.
const (
	// Circle uses Center and RadiusM.
	Circle FenceKind = "circle"
	// Polygon uses Points.
	Polygon FenceKind = "polygon"
)

// Limits enforced by Fence.Validate. They keep every exact test well inside
// the accuracy of the local projections used here and bound the memory the
// index spends on one fence.
const (
	// MaxRadiusM is the largest circle radius.
	MaxRadiusM = 50_000.0
	// MaxVertices is the largest number of distinct polygon vertices.
	MaxVertices = 1000
	// MaxExtentM bounds a polygon's size: the north–south span of its Bounds
	// and their east–west span along their middle latitude. (A circle is
	// bounded by MaxRadiusM.)
	MaxExtentM = 100_000.0
	// MinAreaM2 is the smallest polygon area; anything less is a line or a
	// point drawn by mistake.
	MinAreaM2 = 1.0
	// MaxAbsLat is how close to a pole a fence (plus IndexMarginM) may come.
	// Nobody punches in at the poles, and staying away from them keeps the
	// lat/lng rectangles used by the index meaningful.
	MaxAbsLat = 85.0
)

// Fence is a geofence in WGS-84. A circle is the set of points within RadiusM
// metres (great-circle) of Center. A polygon is a single ring of vertices
// without holes, in either winding order; a closing copy of the first vertex
// is allowed. Its edges are great-circle arcs, i.e. straight lines in a
// tangent-plane (ENU/gnomonic) projection around the polygon; for the fence
// sizes allowed here they differ from edges drawn straight on a web map by
// at most centimetres for sides under a kilometre.
type Fence struct {
	Kind    FenceKind `json:"kind"`
	Center  Point     `json:"center,omitzero"`
	RadiusM float64   `json:"radius_m,omitzero"`
	Points  []Point   `json:"points,omitempty"`
}

// Rect is a latitude/longitude rectangle: Min is the south-west corner, Max
// the north-east one.
type Rect struct {
	Min Point `json:"min"`
	Max Point `json:"max"`
}

// Validate reports whether f can be stored and indexed. Every rejection is a
// *FenceError, which matches ErrInvalid under errors.Is and carries a
// machine-readable Code and a human-readable reason.
func (f Fence) Validate() error {
	switch f.Kind {
	case Circle:
		return f.validateCircle()
	case Polygon:
		return f.validatePolygon()
	}
	return fenceErr(CodeInvalidKind, "fence kind %q is not %q or %q", f.Kind, Circle, Polygon)
}

func (f Fence) validateCircle() error {
	if len(f.Points) != 0 {
		return fenceErr(CodeMixedShape, "a circle fence must not have points")
	}
	if err := f.Center.Validate(); err != nil {
		return fenceErr(CodeInvalidCoordinate, "centre: %s", reason(err))
	}
	if !(f.RadiusM > 0 && f.RadiusM <= MaxRadiusM) {
		return fenceErr(CodeRadiusOutOfRange, "radius %v m is outside (0, %v] m", f.RadiusM, MaxRadiusM)
	}
	// The radius limit already bounds the size.
	return checkPlacement(f.Bounds(), false)
}

func (f Fence) validatePolygon() error {
	if f.RadiusM != 0 || f.Center != (Point{}) {
		return fenceErr(CodeMixedShape, "a polygon fence must not have a centre or radius")
	}
	// Cheap bound first so that a huge payload costs nothing more.
	if len(f.Points) > MaxVertices+1 {
		return fenceErr(CodeTooManyVertices, "polygon has %d vertices, the limit is %d", len(f.Points), MaxVertices)
	}
	for i, p := range f.Points {
		if err := p.Validate(); err != nil {
			return fenceErr(CodeInvalidCoordinate, "vertex %d: %s", i, reason(err))
		}
	}
	r := newRing(f.Points)
	n := len(r.pts)
	if n < 3 {
		return fenceErr(CodeDegeneratePolygon, "polygon has %d distinct vertices, at least 3 are needed", n)
	}
	if n > MaxVertices {
		return fenceErr(CodeTooManyVertices, "polygon has %d distinct vertices, the limit is %d", n, MaxVertices)
	}
	for i := range n {
		a, b := r.pts[i], r.pts[(i+1)%n]
		if math.Abs(b.Lng-a.Lng) > 180 {
			return fenceErr(CodeCrossesAntimeridian, "edge from vertex %d to vertex %d crosses the antimeridian (±180°)", r.orig[i], r.orig[(i+1)%n])
		}
	}
	poly := newPolygonShape(r.pts)
	if err := checkPlacement(poly.bounds, true); err != nil {
		return err
	}
	if err := poly.checkSimple(r.orig); err != nil {
		return err
	}
	if a := poly.areaM2(); a < MinAreaM2 {
		return fenceErr(CodeDegeneratePolygon, "polygon encloses %.3g m², less than %v m²", a, MinAreaM2)
	}
	return nil
}

// checkPlacement rejects fences the index cannot cover: too close to a pole,
// within IndexMarginM of the antimeridian (the index covers every fence plus
// that margin with one lat/lng polygon) or, if checkExtent, larger than
// MaxExtentM.
func checkPlacement(b Rect, checkExtent bool) error {
	marginDeg := (IndexMarginM + coverSafetyM) / metresPerDegLat
	if b.Min.Lat-marginDeg < -MaxAbsLat || b.Max.Lat+marginDeg > MaxAbsLat {
		return fenceErr(CodePolarRegion, "fence comes within %v m of latitude ±%v°; fences near the poles are not supported", IndexMarginM, MaxAbsLat)
	}
	if checkExtent {
		heightM := (b.Max.Lat - b.Min.Lat) * metresPerDegLat
		widthM := (b.Max.Lng - b.Min.Lng) * metresPerDegLat * math.Cos((b.Min.Lat+b.Max.Lat)/2*degToRad)
		if heightM > MaxExtentM || widthM > MaxExtentM {
			return fenceErr(CodeFenceTooLarge, "fence spans %.1f km north–south and %.1f km east–west, the limit is %v km", heightM/1000, widthM/1000, MaxExtentM/1000)
		}
	}
	highestLat := max(math.Abs(b.Min.Lat), math.Abs(b.Max.Lat)) + marginDeg
	lngMargin := marginDeg / math.Cos(highestLat*degToRad)
	if b.Min.Lng-lngMargin < -180 || b.Max.Lng+lngMargin > 180 {
		return fenceErr(CodeCrossesAntimeridian, "fence crosses or comes within %v m of the antimeridian (±180°)", IndexMarginM)
	}
	return nil
}

// SignedDistanceM is the great-circle distance in metres from p to the fence
// boundary: negative inside, zero on the boundary, positive outside. For a
// circle it is DistanceM(Center, p) − RadiusM (computed from the chord, which
// agrees with the haversine to within 1e-8 m and lets the Index reuse the
// unit vectors it already has). For a polygon it combines an
// exact point-in-polygon test with the exact distance to the nearest edge arc,
// so it is accurate to float rounding, far better than the 0.5 % a local
// equirectangular projection would give. The result is meaningful only for a
// fence that passes Validate; for others it may be NaN.
//
// Each call on a polygon prepares the edges again (O(vertices) allocations);
// to test many points use an Index, which prepares them once.
func (f Fence) SignedDistanceM(p Point) float64 {
	switch f.Kind {
	case Circle:
		return circleSignedDistanceM(toVec3(f.Center), f.RadiusM, toVec3(p))
	case Polygon:
		r := newRing(f.Points)
		if len(r.pts) < 3 {
			return math.NaN()
		}
		return newPolygonShape(r.pts).signedDistanceM(toVec3(p))
	}
	return math.NaN()
}

// Bounds is the smallest lat/lng rectangle containing the fence, including the
// poleward bulge of long polygon edges. For a fence that passes Validate it
// lies within ±180° longitude; for others the corners may be out of range.
func (f Fence) Bounds() Rect {
	switch f.Kind {
	case Circle:
		return circleBounds(f.Center, f.RadiusM)
	case Polygon:
		r := newRing(f.Points)
		if len(r.pts) == 0 {
			return Rect{}
		}
		return newPolygonShape(r.pts).bounds
	}
	return Rect{}
}

// circleSignedDistanceM is the signed distance from the point with unit
// vector v to a circle.
func circleSignedDistanceM(center vec3, radiusM float64, v vec3) float64 {
	d := v.sub(center)
	return chordToM(d.dot(d)) - radiusM
}

func circleBounds(c Point, radiusM float64) Rect {
	dLat := radiusM / metresPerDegLat
	b := Rect{Min: Point{c.Lat - dLat, -180}, Max: Point{c.Lat + dLat, 180}}
	if b.Min.Lat <= -90 || b.Max.Lat >= 90 {
		b.Min.Lat, b.Max.Lat = max(b.Min.Lat, -90), min(b.Max.Lat, 90)
		return b // the circle contains a pole: every longitude
	}
	s := math.Sin(radiusM/EarthRadiusM) / math.Cos(c.Lat*degToRad)
	dLng := math.Asin(min(s, 1)) / degToRad
	b.Min.Lng, b.Max.Lng = c.Lng-dLng, c.Lng+dLng
	return b
}

// ring is a polygon's vertex list with consecutive duplicates and the closing
// vertex removed; orig maps each kept vertex to its index in the input so
// that error messages name the vertices the user drew.
type ring struct {
	pts  []Point
	orig []int
}

func newRing(points []Point) ring {
	var r ring
	for i, p := range points {
		if len(r.pts) > 0 && r.pts[len(r.pts)-1] == p {
			continue
		}
		r.pts = append(r.pts, p)
		r.orig = append(r.orig, i)
	}
	for len(r.pts) > 1 && r.pts[len(r.pts)-1] == r.pts[0] {
		r.pts, r.orig = r.pts[:len(r.pts)-1], r.orig[:len(r.orig)-1]
	}
	return r
}

// reason strips the ErrInvalid prefix from a Point.Validate error so that it
// reads well inside a FenceError message.
func reason(err error) string {
	s := err.Error()
	if p := ErrInvalid.Error() + ": "; len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func fenceErr(code, format string, args ...any) *FenceError {
	return &FenceError{Code: code, Msg: fmt.Sprintf(format, args...)}
}
