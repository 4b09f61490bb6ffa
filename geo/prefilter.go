package geo

import "math"

// Two cheap tests run before a candidate's exact test; both are conservative
// (they only ever reject fences that cannot be hits).

// posting lists a fence under a cell: the fence's position in sites (low 24
// bits) and a lower bound on the distance from any point of the cell to the
// fence, in units of postingQuantumM (high 8 bits, saturating). A lookup
// skips postings whose bound exceeds its band without touching the fence,
// which drops most of the candidates the index margin brings in.
type posting uint32

const (
	postingIDBits   = 24
	postingIDMask   = 1<<postingIDBits - 1
	postingQuantumM = 2.0 // 255 units = 510 m, beyond IndexMarginM
)

func newPosting(pos int, minDistM float64) posting {
	q := uint32(min(255, max(0, math.Floor(minDistM/postingQuantumM))))
	return posting(uint32(pos) | q<<postingIDBits)
}

func (p posting) pos() int32 { return int32(p & postingIDMask) }

// farther reports whether every point of the posting's cell is farther than
// bandM from the fence.
func (p posting) farther(bandM float64) bool {
	return float64(p>>postingIDBits)*postingQuantumM > bandM
}

// siteRect is a fence's lat/lng rectangle in float32, rounded outwards, with
// the metres-to-degrees-of-longitude factor for the highest latitude the
// fence plus IndexMarginM reaches (so it never under-estimates). It rejects
// about a fifth of the candidates that pass the posting bound, with a few
// comparisons and no trigonometry.
type siteRect struct{ minLat, maxLat, minLng, maxLng, lngPerM float32 }

// rectSlackDeg absorbs float rounding in the bounds themselves (~0.1 mm).
const rectSlackDeg = 1e-9

func newSiteRect(b Rect) siteRect {
	highest := max(math.Abs(b.Min.Lat), math.Abs(b.Max.Lat)) + IndexMarginM/metresPerDegLat
	lngPerM := 1 / (metresPerDegLat * math.Cos(min(highest, 89.9)*degToRad))
	return siteRect{
		minLat:  roundDown32(b.Min.Lat - rectSlackDeg),
		maxLat:  roundUp32(b.Max.Lat + rectSlackDeg),
		minLng:  roundDown32(b.Min.Lng - rectSlackDeg),
		maxLng:  roundUp32(b.Max.Lng + rectSlackDeg),
		lngPerM: roundUp32(lngPerM),
	}
}

func roundDown32(x float64) float32 {
	f := float32(x)
	if float64(f) > x {
		f = math.Nextafter32(f, float32(math.Inf(-1)))
	}
	return f
}

func roundUp32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// near reports whether p may lie within bandM metres of the fence.
func (r *siteRect) near(p Point, bandM float64) bool {
	dLat := bandM / metresPerDegLat
	dLng := bandM * float64(r.lngPerM)
	return p.Lat >= float64(r.minLat)-dLat && p.Lat <= float64(r.maxLat)+dLat &&
		p.Lng >= float64(r.minLng)-dLng && p.Lng <= float64(r.maxLng)+dLng
}
