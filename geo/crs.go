package geo

import (
	"fmt"
	"math"
	"strings"
)

// CRS names the datum a coordinate was expressed in. Mobile SDKs and map
// pickers in mainland China hand out GCJ-02 or BD-09 coordinates; everything
// Daka stores and compares is WGS-84, so convert at the edge with ToWGS84.
type CRS string

// The coordinate systems Daka accepts.
const (
	// WGS84 is the GPS datum: Android and iOS system location, most of the
	// world's maps.
	WGS84 CRS = "wgs84"
	// GCJ02 is the obfuscated datum mandated for maps in mainland China
	// (Amap/Gaode, Tencent, WeChat's gcj02 mode).
	GCJ02 CRS = "gcj02"
	// BD09 is Baidu's further offset of GCJ-02.
	BD09 CRS = "bd09"
)

// GCJ-02 constants (Krasovsky 1940 ellipsoid), as used by every public
// implementation; the golden vectors reproduce only with exactly these.
const (
	gcjA  = 6378245.0
	gcjEE = 0.00669342162296594323
	bdXPi = math.Pi * 3000.0 / 180.0
)

// chinaGuard is the rectangle outside which GCJ-02 (and so BD-09) is the
// identity. It is eviltransform's box, the widest one in common use: the
// narrower 53.55°N bound of wandergis/qichengzx cuts off the northern tip of
// Mohe (53.56°N). The box also contains Seoul, Hanoi and Ulaanbaatar, so it is
// a guard against applying a Chinese offset to, say, European coordinates,
// never a test for "is in China": that decision belongs to the caller (the
// tenant's region or the SDK that produced the fix).
var chinaGuard = struct{ minLat, maxLat, minLng, maxLng float64 }{0.8293, 55.8271, 72.004, 137.8347}

func inChinaGuard(p Point) bool {
	return p.Lat >= chinaGuard.minLat && p.Lat <= chinaGuard.maxLat &&
		p.Lng >= chinaGuard.minLng && p.Lng <= chinaGuard.maxLng
}

// gcjMaxIter bounds the exact inverses. The fixed-point iteration needs at
// most 8 steps to reach gcjTolDeg anywhere on a 0.25° grid over China
// (TestGCJInverseConvergesQuickly); the bound only protects against
// pathological input.
const (
	gcjMaxIter = 10
	gcjTolDeg  = 1e-12
)

// ParseCRS parses a coordinate-system name case-insensitively ("wgs84",
// "gcj02", "bd09"). Anything else is a wrapped ErrInvalid.
func ParseCRS(s string) (CRS, error) {
	switch c := CRS(strings.ToLower(strings.TrimSpace(s))); c {
	case WGS84, GCJ02, BD09:
		return c, nil
	}
	return "", fmt.Errorf("%w: unknown coordinate system %q (want wgs84, gcj02 or bd09)", ErrInvalid, s)
}

// ToWGS84 converts p, expressed in c, to WGS-84. Both offsets are inverted
// exactly (fixed-point iteration to 1e-12°, well under a millimetre): GCJ-02
// instead of the common one-step approximation that is off by up to 4.85 m,
// BD-09 instead of the published closed form that is off by up to 0.2 m.
// Outside the China guard rectangle both offsets are the identity.
func ToWGS84(p Point, c CRS) (Point, error) {
	if err := p.Validate(); err != nil {
		return Point{}, err
	}
	switch c {
	case WGS84:
		return p, nil
	case GCJ02:
		return gcjToWGS(p), nil
	case BD09:
		return gcjToWGS(bdToGCJExact(p)), nil
	}
	return Point{}, fmt.Errorf("%w: unknown coordinate system %q", ErrInvalid, string(c))
}

// FromWGS84 converts a WGS-84 point to c, e.g. to draw a stored fence on a
// GCJ-02 map.
func FromWGS84(p Point, c CRS) (Point, error) {
	if err := p.Validate(); err != nil {
		return Point{}, err
	}
	switch c {
	case WGS84:
		return p, nil
	case GCJ02:
		return wgsToGCJ(p), nil
	case BD09:
		return gcjToBD(wgsToGCJ(p)), nil
	}
	return Point{}, fmt.Errorf("%w: unknown coordinate system %q", ErrInvalid, string(c))
}

// wgsToGCJ applies the GCJ-02 offset inside the guard rectangle.
func wgsToGCJ(p Point) Point {
	if !inChinaGuard(p) {
		return p
	}
	dLat, dLng := gcjDelta(p)
	return Point{Lat: p.Lat + dLat, Lng: p.Lng + dLng}
}

// gcjToWGS inverts wgsToGCJ exactly by fixed-point iteration
// w ← w − (gcj(w) − g), starting from w = g. The guard is decided once, on the
// input: a GCJ point inside the rectangle is treated as offset even if its
// WGS-84 pre-image lies a few hundred metres outside, which can only happen
// at the rectangle's edges (sea, Russia, Central Asia).
func gcjToWGS(g Point) Point {
	if !inChinaGuard(g) {
		return g
	}
	w := g
	for range gcjMaxIter {
		dLat, dLng := gcjDelta(w)
		eLat := w.Lat + dLat - g.Lat
		eLng := w.Lng + dLng - g.Lng
		w.Lat -= eLat
		w.Lng -= eLng
		if math.Abs(eLat) < gcjTolDeg && math.Abs(eLng) < gcjTolDeg {
			break
		}
	}
	return w
}

// gcjDelta is the GCJ-02 offset (degrees) to add to the WGS-84 point p.
func gcjDelta(p Point) (dLat, dLng float64) {
	x, y := p.Lng-105.0, p.Lat-35.0
	dLat = gcjTransformLat(x, y)
	dLng = gcjTransformLng(x, y)
	radLat := p.Lat / 180.0 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180.0) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLng = (dLng * 180.0) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return dLat, dLng
}

// The two polynomials below are written term for term as in the reference
// implementations so that the golden vectors match to the last bit.

func gcjTransformLat(x, y float64) float64 {
	ret := -100.0 + 2.0*x + 3.0*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(y*math.Pi) + 40.0*math.Sin(y/3.0*math.Pi)) * 2.0 / 3.0
	ret += (160.0*math.Sin(y/12.0*math.Pi) + 320*math.Sin(y*math.Pi/30.0)) * 2.0 / 3.0
	return ret
}

func gcjTransformLng(x, y float64) float64 {
	ret := 300.0 + x + 2.0*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x))
	ret += (20.0*math.Sin(6.0*x*math.Pi) + 20.0*math.Sin(2.0*x*math.Pi)) * 2.0 / 3.0
	ret += (20.0*math.Sin(x*math.Pi) + 40.0*math.Sin(x/3.0*math.Pi)) * 2.0 / 3.0
	ret += (150.0*math.Sin(x/12.0*math.Pi) + 300.0*math.Sin(x/30.0*math.Pi)) * 2.0 / 3.0
	return ret
}

// gcjToBD applies Baidu's offset (standard x_pi formula, as in wandergis,
// qichengzx, feiquan123 and coordTransform_py; eviltransform's sin(y·π)
// variant differs by 10–40 m and is deliberately not used). Like the GCJ
// stage it is the identity outside the guard rectangle.
func gcjToBD(g Point) Point {
	if !inChinaGuard(g) {
		return g
	}
	x, y := g.Lng, g.Lat
	z := math.Sqrt(x*x+y*y) + 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) + 0.000003*math.Cos(x*bdXPi)
	return Point{Lat: z*math.Sin(theta) + 0.006, Lng: z*math.Cos(theta) + 0.0065}
}

// bdToGCJ is the published closed-form inverse of gcjToBD used by every
// library. It is approximate (up to 0.2 m over China); bdToGCJExact starts
// from it and refines.
func bdToGCJ(b Point) Point {
	if !inChinaGuard(b) {
		return b
	}
	x, y := b.Lng-0.0065, b.Lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return Point{Lat: z * math.Sin(theta), Lng: z * math.Cos(theta)}
}

// bdToGCJExact inverts gcjToBD exactly by the same fixed-point iteration as
// gcjToWGS, starting from the closed form so that one or two steps suffice.
func bdToGCJExact(b Point) Point {
	if !inChinaGuard(b) {
		return b
	}
	g := bdToGCJ(b)
	for range gcjMaxIter {
		f := gcjToBD(g)
		eLat, eLng := f.Lat-b.Lat, f.Lng-b.Lng
		g.Lat -= eLat
		g.Lng -= eLng
		if math.Abs(eLat) < gcjTolDeg && math.Abs(eLng) < gcjTolDeg {
			break
		}
	}
	return g
}
