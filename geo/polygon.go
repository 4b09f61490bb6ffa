package geo

import (
	"math"
	"slices"
)

// polygonShape is a polygon prepared for exact tests: vertices as unit
// vectors, each edge's great-circle plane, and the gnomonic projection of the
// ring around its centroid for point-in-polygon. It is kept compact (48 bytes
// per vertex for the distance loop) because lookups are memory-bound.
type polygonShape struct {
	frame   tangentFrame
	xy      []vec2 // gnomonic coordinates of the vertices (radians of the tangent plane)
	verts   []vec3 // the vertices as unit vectors
	normals []vec3 // normals[i] is the unit normal of the arc verts[i] → verts[i+1]; zero if the arc is shorter than ~6 nm
	bounds  Rect
}

type vec2 struct{ x, y float64 }

func newPolygonShape(pts []Point) *polygonShape {
	n := len(pts)
	s := &polygonShape{xy: make([]vec2, n), verts: make([]vec3, n), normals: make([]vec3, n)}
	var sum vec3
	for i, p := range pts {
		s.verts[i] = toVec3(p)
		sum = sum.add(s.verts[i])
	}
	if sum.norm() < 1e-12 { // only for absurd input; keep the maths finite
		sum = s.verts[0]
	}
	s.frame = newTangentFrame(sum)
	for i, v := range s.verts {
		x, y, _ := s.frame.project(v)
		s.xy[i] = vec2{x, y}
		s.normals[i] = arcNormal(v, s.verts[(i+1)%n])
	}
	s.bounds = s.arcBounds(pts)
	return s
}

// arcNormal is the unit normal of the great circle through a and b, or zero
// if they (nearly) coincide. a × (b − a) equals a × b, but for the short
// edges of real fences it is far better conditioned: b − a is exact for
// nearby unit vectors, while the components of a × b cancel catastrophically
// (a 0.3 m edge would tilt its plane enough to misplace a vertex by 1.6 mm).
func arcNormal(a, b vec3) vec3 {
	n := a.cross(b.sub(a))
	if l := n.norm(); l > 1e-15 {
		return n.scale(1 / l)
	}
	return vec3{}
}

// onArc reports whether the foot of v on the great circle with normal n
// through a and b lies on the minor arc from a to b.
func onArc(v, a, b, n vec3) bool {
	return v.dot(n.cross(a)) >= 0 && v.dot(b.cross(n)) >= 0
}

// arcBounds is the lat/lng rectangle of the ring, widened where an edge arc
// bulges towards a pole beyond its end points. Longitudes come from the
// vertices: an arc shorter than 180° that does not pass over a pole never
// leaves the longitude span of its ends.
func (s *polygonShape) arcBounds(pts []Point) Rect {
	b := Rect{Min: pts[0], Max: pts[0]}
	for _, p := range pts[1:] {
		b.Min.Lat, b.Max.Lat = min(b.Min.Lat, p.Lat), max(b.Max.Lat, p.Lat)
		b.Min.Lng, b.Max.Lng = min(b.Min.Lng, p.Lng), max(b.Max.Lng, p.Lng)
	}
	north := vec3{0, 0, 1}
	for i, n := range s.normals {
		if n == (vec3{}) {
			continue
		}
		// The highest point of the whole great circle; the lowest is its
		// mirror image.
		t := north.sub(n.scale(n.z))
		if t.norm() < 1e-12 {
			continue // the equator
		}
		t = t.unit()
		a, bv := s.verts[i], s.verts[(i+1)%len(s.verts)]
		for _, c := range [2]vec3{t, t.scale(-1)} {
			if onArc(c, a, bv, n) {
				lat := c.point().Lat
				b.Min.Lat, b.Max.Lat = min(b.Min.Lat, lat), max(b.Max.Lat, lat)
			}
		}
	}
	return b
}

// contains reports whether v is inside the polygon (crossing-number test in
// the gnomonic plane, where the great-circle edges are straight). Points on
// the far hemisphere are outside.
func (s *polygonShape) contains(v vec3) bool {
	x, y, ok := s.frame.project(v)
	if !ok {
		return false
	}
	in := false
	n := len(s.xy)
	for i, j := 0, n-1; i < n; j, i = i, i+1 {
		a, b := s.xy[i], s.xy[j]
		if (a.y > y) != (b.y > y) && x < (b.x-a.x)*(y-a.y)/(b.y-a.y)+a.x {
			in = !in
		}
	}
	return in
}

// signedDistanceM is the exact great-circle distance from v to the boundary,
// negative inside. The nearest boundary point is either a vertex or the foot
// of v on an edge's great circle, if that foot lies on the edge.
func (s *polygonShape) signedDistanceM(v vec3) float64 {
	best := math.Inf(1)
	n := len(s.verts)
	for i, a := range s.verts {
		d := v.sub(a)
		best = min(best, d.dot(d))
		if nrm := s.normals[i]; nrm != (vec3{}) && onArc(v, a, s.verts[(i+1)%n], nrm) {
			best = min(best, sinToChord2(math.Abs(v.dot(nrm))))
		}
	}
	d := chordToM(best)
	if s.contains(v) {
		return -d
	}
	return d
}

// areaM2 is the polygon's area from the shoelace formula in the tangent plane
// (the gnomonic projection inflates areas by under 0.1 % at the sizes
// allowed; the result only guards against slivers).
func (s *polygonShape) areaM2() float64 {
	return math.Abs(shoelace(s.xy)) * EarthRadiusM * EarthRadiusM
}

func shoelace(pts []vec2) float64 {
	a := 0.0
	for i, j := 0, len(pts)-1; i < len(pts); j, i = i, i+1 {
		a += pts[j].x*pts[i].y - pts[i].x*pts[j].y
	}
	return a / 2
}

// checkSimple rejects rings whose hull has no area (all vertices on a line),
// rings whose edges cross or touch, and rings that fold back on themselves.
// It is O(n²) in the number of vertices, run once when a fence is saved.
func (s *polygonShape) checkSimple(orig []int) error {
	n := len(s.xy)
	if a := math.Abs(shoelace(convexHull(s.xy))) * EarthRadiusM * EarthRadiusM; a < MinAreaM2 {
		return fenceErr(CodeDegeneratePolygon, "polygon vertices lie on one line (enclosed area %.3g m², less than %v m²)", a, MinAreaM2)
	}
	edge := func(i int) (vec2, vec2) { return s.xy[i], s.xy[(i+1)%n] }
	// Adjacent edges share a vertex; they are bad only if they fold back,
	// i.e. run along each other from that shared vertex.
	for i := range n {
		prev, at, next := s.xy[(i+n-1)%n], s.xy[i], s.xy[(i+1)%n]
		u, w := prev.sub(at), next.sub(at)
		if sideOf(at, prev, next) == 0 && u.dot(w) > 0 {
			return fenceErr(CodeSelfIntersecting, "the edges meeting at vertex %d run back along each other", orig[i])
		}
	}
	for i := range n {
		a1, a2 := edge(i)
		for j := i + 2; j < n; j++ {
			if i == 0 && j == n-1 {
				continue // adjacent through the closing edge
			}
			b1, b2 := edge(j)
			if segmentsIntersect(a1, a2, b1, b2) {
				return fenceErr(CodeSelfIntersecting, "edge from vertex %d to vertex %d meets edge from vertex %d to vertex %d",
					orig[i], orig[(i+1)%n], orig[j], orig[(j+1)%n])
			}
		}
	}
	return nil
}

func (a vec2) sub(b vec2) vec2      { return vec2{a.x - b.x, a.y - b.y} }
func (a vec2) cross(b vec2) float64 { return a.x*b.y - a.y*b.x }
func (a vec2) dot(b vec2) float64   { return a.x*b.x + a.y*b.y }
func (a vec2) len() float64         { return math.Hypot(a.x, a.y) }

// orient is twice the signed area of triangle abc: > 0 when c is to the left
// of a→b.
func orient(a, b, c vec2) float64 { return b.sub(a).cross(c.sub(a)) }

// collinearTol is how close (radians of the tangent plane, ≈ 0.6 mm) a
// vertex must come to another edge's line to count as touching it. The
// projected coordinates carry absolute errors around 1e-16, so exact zero
// tests would miss genuine contacts.
const collinearTol = 1e-10

// sideOf is +1 if c is to the left of the line a→b, −1 if to the right, and
// 0 if within collinearTol of it.
func sideOf(a, b, c vec2) int {
	o := orient(a, b, c)
	switch tol := collinearTol * b.sub(a).len(); {
	case o > tol:
		return 1
	case o < -tol:
		return -1
	}
	return 0
}

// onSegment reports whether p, known to be (nearly) collinear with a and b,
// lies between them.
func onSegment(a, b, p vec2) bool {
	t := collinearTol
	return min(a.x, b.x)-t <= p.x && p.x <= max(a.x, b.x)+t && min(a.y, b.y)-t <= p.y && p.y <= max(a.y, b.y)+t
}

// segmentsIntersect reports whether closed segments a1a2 and b1b2 share a
// point (crossing, touching or overlapping).
func segmentsIntersect(a1, a2, b1, b2 vec2) bool {
	t := collinearTol
	if max(a1.x, a2.x)+t < min(b1.x, b2.x) || max(b1.x, b2.x)+t < min(a1.x, a2.x) ||
		max(a1.y, a2.y)+t < min(b1.y, b2.y) || max(b1.y, b2.y)+t < min(a1.y, a2.y) {
		return false
	}
	o1, o2 := sideOf(a1, a2, b1), sideOf(a1, a2, b2)
	o3, o4 := sideOf(b1, b2, a1), sideOf(b1, b2, a2)
	if o1*o2 < 0 && o3*o4 < 0 {
		return true
	}
	return (o1 == 0 && onSegment(a1, a2, b1)) || (o2 == 0 && onSegment(a1, a2, b2)) ||
		(o3 == 0 && onSegment(b1, b2, a1)) || (o4 == 0 && onSegment(b1, b2, a2))
}

// convexHull returns the hull of pts counter-clockwise (Andrew's monotone
// chain), without collinear points. The input is not modified.
func convexHull(pts []vec2) []vec2 {
	p := slices.Clone(pts)
	slices.SortFunc(p, func(a, b vec2) int {
		if a.x != b.x {
			return cmpFloat(a.x, b.x)
		}
		return cmpFloat(a.y, b.y)
	})
	p = slices.Compact(p)
	if len(p) < 3 {
		return p
	}
	h := make([]vec2, 0, 2*len(p))
	for _, q := range p {
		for len(h) >= 2 && orient(h[len(h)-2], h[len(h)-1], q) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, q)
	}
	lower := len(h) + 1
	for i := len(p) - 2; i >= 0; i-- {
		for len(h) >= lower && orient(h[len(h)-2], h[len(h)-1], p[i]) <= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p[i])
	}
	return h[:len(h)-1]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
