package geo

import "math"

// This file finds the H3 cell containing a point without cgo. It follows
// latLngToCell of the H3 C library vendored in h3-go v4.4.1 (h3_faceijk.c,
// h3_coordijk.c, h3_h3Index.c; Copyright Uber Technologies, Inc., Apache
// License 2.0) step by step, with one change: the projection onto the
// icosahedron face uses dot products with precomputed face axes instead of
// azimuth trigonometry (the same gnomonic projection, so results agree except
// for points within float rounding of a cell edge).
//
// Why not call h3-go: on the build machine one cgo LatLngToCell costs about
// 1.3 µs and two allocations, more than the whole per-lookup budget of the
// index. Here it costs ~0.2 µs and allocates nothing. TestCellMatchesH3
// compares the two on random points worldwide at every resolution, and
// NewIndex re-checks one cell per fence against h3-go at build time.

const (
	h3NumFaces     = 20
	h3NumBaseCells = 122
	h3MaxRes       = 15

	h3ModeCell   = 1
	h3ModeOffset = 59
	h3ResOffset  = 52
	h3BCOffset   = 45
	h3DigitBits  = 3
	// h3Init has every digit set to 7 (unused), the state H3 starts from.
	h3Init uint64 = 35184372088831

	h3Ap7RotRads       = 0.333473172251832115336090755351601070065900389
	h3InvRes0UGnomonic = 2.61803398874989588842
	h3Sqrt7            = 2.6457513110645905905016157536392604257102
	h3RSin60           = 1.1547005383792515290182975610039149112953

	h3KAxesDigit = 1
)

// h3Pentagon describes a pentagonal base cell.
type h3Pentagon struct {
	pentagon bool
	cwOffset [2]int8 // faces on which the base cell is offset clockwise
}

// h3FaceAxes holds, per face, the unit vectors u1, u2 such that a unit vector
// v projects to hex2d coordinates (v·u1, v·u2)/(v·centre) before scaling; one
// pair for class II resolutions (even) and one rotated pair for class III.
var h3FaceAxes [h3NumFaces][2][2]vec3

// h3ResScale[r] converts those coordinates to resolution r hex units.
var h3ResScale [h3MaxRes + 1]float64

var (
	h3RotCCW = [8]uint64{0, 5, 3, 1, 6, 4, 2, 7}
	h3RotCW  = [8]uint64{0, 3, 6, 2, 5, 1, 4, 7}
)

func init() {
	for f := range h3NumFaces {
		lat, lng := h3FaceCenterGeo[f][0], h3FaceCenterGeo[f][1]
		sinLat, cosLat := math.Sincos(lat)
		sinLng, cosLng := math.Sincos(lng)
		east := vec3{-sinLng, cosLng, 0}
		north := vec3{-sinLat * cosLng, -sinLat * sinLng, cosLat}
		for class := range 2 {
			az := h3FaceAxisAz[f] - float64(class)*h3Ap7RotRads
			s, c := math.Sincos(az)
			h3FaceAxes[f][class] = [2]vec3{
				north.scale(c).add(east.scale(s)),
				north.scale(s).sub(east.scale(c)),
			}
		}
	}
	s := h3InvRes0UGnomonic
	for r := range h3ResScale {
		h3ResScale[r] = s
		s *= h3Sqrt7
	}
}

// faceProjection is a point projected onto its nearest icosahedron face:
// everything latLngToCell needs, for every resolution.
type faceProjection struct {
	face int
	xy   [2]vec2 // hex2d coordinates before scaling by h3ResScale, for class II and class III resolutions
}

func projectToFace(v vec3) faceProjection {
	face, best := 0, math.Inf(-1)
	for f := range h3FaceCenterPoint {
		if d := v.dot(h3FaceCenterPoint[f]); d > best {
			face, best = f, d
		}
	}
	fp := faceProjection{face: face}
	for class := range 2 {
		ax := &h3FaceAxes[face][class]
		fp.xy[class] = vec2{v.dot(ax[0]) / best, v.dot(ax[1]) / best}
	}
	return fp
}

// cell is the H3 index of the cell at resolution res (0–15) containing the
// projected point.
func (fp *faceProjection) cell(res int) uint64 {
	s := h3ResScale[res]
	q := fp.xy[res&1]
	return faceIJKToCell(fp.face, hex2dToIJK(q.x*s, q.y*s), res)
}

// cellOf is the pure-Go equivalent of h3.LatLngToCell.
func cellOf(p Point, res int) uint64 {
	fp := projectToFace(toVec3(p))
	return fp.cell(res)
}

// ijk is a hex coordinate in H3's three-axis system.
type ijk struct{ i, j, k int }

func (c *ijk) normalize() {
	if c.i < 0 {
		c.j -= c.i
		c.k -= c.i
		c.i = 0
	}
	if c.j < 0 {
		c.i -= c.j
		c.k -= c.j
		c.j = 0
	}
	if c.k < 0 {
		c.i -= c.k
		c.j -= c.k
		c.k = 0
	}
	if m := min(c.i, c.j, c.k); m > 0 {
		c.i -= m
		c.j -= m
		c.k -= m
	}
}

// roundDiv7 is the integer nearest n/7 (there is never a tie), what H3
// computes as lround(n/7.0). Offsetting into unsigned range turns the floor
// division into a multiply and a shift; |n| stays below 2^31 at every
// resolution.
func roundDiv7(n int) int {
	const off = 1 << 32
	return int(uint64(n+3+7*off)/7) - off
}

// ij is a hex coordinate in two-axis form, (i−k, j−k) of an ijk coordinate.
// It names the same hex as every ijk equivalent to it, so the aperture-7
// steps below need no normalisation.
type ij struct{ a, b int }

func (c ijk) ij() ij { return ij{c.i - c.k, c.j - c.k} }

func (c ij) ijk() ijk {
	h := ijk{c.a, c.b, 0}
	h.normalize()
	return h
}

// upAp7 is the parent in a counter-clockwise aperture 7 grid (class III
// child), upAp7r in a clockwise one (class II child); downAp7 and downAp7r
// are the corresponding centre children.
func (c ij) upAp7() ij    { return ij{roundDiv7(3*c.a - c.b), roundDiv7(c.a + 2*c.b)} }
func (c ij) upAp7r() ij   { return ij{roundDiv7(2*c.a + c.b), roundDiv7(3*c.b - c.a)} }
func (c ij) downAp7() ij  { return ij{2*c.a + c.b, 3*c.b - c.a} }
func (c ij) downAp7r() ij { return ij{3*c.a - c.b, c.a + 2*c.b} }

// h3UnitDigit maps a unit step (Δa+1)*3 + (Δb+1) to its H3 digit; 7 marks
// steps that are not a unit vector.
var h3UnitDigit = [9]uint64{1, 3, 7, 5, 0, 2, 7, 4, 6}

// hex2dToIJK finds the hex containing a 2D point (H3's _hex2dToCoordIJK,
// itself from DGGRID).
func hex2dToIJK(x, y float64) ijk {
	var h ijk
	a1, a2 := math.Abs(x), math.Abs(y)
	x2 := a2 * h3RSin60
	x1 := a1 + x2/2
	m1, m2 := int(x1), int(x2)
	r1, r2 := x1-float64(m1), x2-float64(m2)
	switch {
	case r1 < 1.0/3:
		h.i = m1
		if r2 < (1+r1)/2 {
			h.j = m2
		} else {
			h.j = m2 + 1
		}
	case r1 < 0.5:
		if r2 < 1-r1 {
			h.j = m2
		} else {
			h.j = m2 + 1
		}
		if 1-r1 <= r2 && r2 < 2*r1 {
			h.i = m1 + 1
		} else {
			h.i = m1
		}
	case r1 < 2.0/3:
		if r2 < 1-r1 {
			h.j = m2
		} else {
			h.j = m2 + 1
		}
		if 2*r1-1 < r2 && r2 < 1-r1 {
			h.i = m1
		} else {
			h.i = m1 + 1
		}
	default:
		h.i = m1 + 1
		if r2 < r1/2 {
			h.j = m2
		} else {
			h.j = m2 + 1
		}
	}
	// Fold across the axes.
	if x < 0 {
		if h.j%2 == 0 {
			h.i -= 2 * (h.i - h.j/2)
		} else {
			h.i -= 2*(h.i-(h.j+1)/2) + 1
		}
	}
	if y < 0 {
		h.i -= (2*h.j + 1) / 2
		h.j = -h.j
	}
	h.normalize()
	return h
}

func h3Digit(h uint64, r int) uint64 {
	return h >> ((h3MaxRes - r) * h3DigitBits) & 7
}

func h3SetDigit(h uint64, r int, d uint64) uint64 {
	shift := (h3MaxRes - r) * h3DigitBits
	return h&^(7<<shift) | d<<shift
}

func h3LeadingDigit(h uint64, res int) uint64 {
	for r := 1; r <= res; r++ {
		if d := h3Digit(h, r); d != 0 {
			return d
		}
	}
	return 0
}

func h3Rotate(h uint64, res int, table *[8]uint64) uint64 {
	for r := 1; r <= res; r++ {
		h = h3SetDigit(h, r, table[h3Digit(h, r)])
	}
	return h
}

// h3RotatePent60ccw rotates about a pentagon centre, skipping the deleted
// k-axis subsequence.
func h3RotatePent60ccw(h uint64, res int) uint64 {
	found := false
	for r := 1; r <= res; r++ {
		h = h3SetDigit(h, r, h3RotCCW[h3Digit(h, r)])
		if !found && h3Digit(h, r) != 0 {
			found = true
			if h3LeadingDigit(h, res) == h3KAxesDigit {
				h = h3Rotate(h, res, &h3RotCCW)
			}
		}
	}
	return h
}

// faceIJKToCell encodes a face-centred ijk address at resolution res as an H3
// index (H3's _faceIjkToH3). It returns 0 for addresses off the face's base
// cells, which latLngToCell never produces.
func faceIJKToCell(face int, hex ijk, res int) uint64 {
	h := h3Init | h3ModeCell<<h3ModeOffset | uint64(res)<<h3ResOffset
	c := hex.ij()
	for r := res - 1; r >= 0; r-- {
		var centre ij
		last := c
		if (r+1)&1 == 1 { // class III
			c = c.upAp7()
			centre = c.downAp7()
		} else {
			c = c.upAp7r()
			centre = c.downAp7r()
		}
		da, db := last.a-centre.a, last.b-centre.b
		digit := uint64(7)
		if da >= -1 && da <= 1 && db >= -1 && db <= 1 {
			digit = h3UnitDigit[(da+1)*3+db+1]
		}
		h = h3SetDigit(h, r+1, digit)
	}
	base := c.ijk()
	if base.i > 2 || base.j > 2 || base.k > 2 {
		return 0
	}
	at := base.i*9 + base.j*3 + base.k
	bc := int(h3FaceIJKBaseCell[face][at])
	rots := int(h3FaceIJKRot60[face][at])
	h |= uint64(bc) << h3BCOffset
	if pent := &h3Pentagons[bc]; pent.pentagon {
		if h3LeadingDigit(h, res) == h3KAxesDigit {
			if int(pent.cwOffset[0]) == face || int(pent.cwOffset[1]) == face {
				h = h3Rotate(h, res, &h3RotCW)
			} else {
				h = h3Rotate(h, res, &h3RotCCW)
			}
		}
		for range rots {
			h = h3RotatePent60ccw(h, res)
		}
		return h
	}
	for range rots {
		h = h3Rotate(h, res, &h3RotCCW)
	}
	return h
}
