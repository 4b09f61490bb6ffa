package geo

import (
	"errors"
	"fmt"
	"math"
)

// Cover construction: which H3 cells an Index lists a fence under.
//
// The cover must contain every point whose exact test can succeed, i.e.
// every point within IndexMarginM of the fence. It is built in the fence's
// gnomonic tangent plane: the convex hull of the fence (a single point for a
// circle) grown by the circle radius plus the margin, using a circumscribed
// 16-gon so that the grown shape contains the true disc. Gnomonic distances
// are never shorter than true ones, and the growth is scaled by the
// projection's worst stretch, so no point within the margin is left out. The
// hull is then densified and mapped back to lat/lng for H3, which joins
// vertices with straight lat/lng lines rather than great-circle arcs; short
// segments and coverSafetyM absorb that difference (under 0.3 m per 1 km
// segment at 85° latitude, under 3 cm in China) and the similar one in H3's
// own cell-boundary test.

const (
	// IndexMarginM is how far outside its boundary the index still finds a
	// fence, so Locate caps maxSlackM at this value. A fix whose accuracy
	// radius exceeds 500 m is cell-tower grade and cannot tell neighbouring
	// sites apart, so no sensible policy grants more benefit of the doubt.
	// Measured on the 10,000-site benchmark city: 500 m costs ~18 MB and
	// ~9 candidates per lookup; 1 km would cost 31 MB and ~24 candidates,
	// and push 300 m sites to a second resolution.
	IndexMarginM = 500.0

	// coverSafetyM is added to every cover on top of IndexMarginM.
	coverSafetyM = 10.0

	// MaxCellsPerFence bounds the cells one fence may occupy, and so the
	// index memory per fence (a cell costs ~4 bytes of postings plus its
	// share of the cell map).
	MaxCellsPerFence = 4096

	// targetCellsPerFence picks the resolution: the finest one whose
	// estimated cover stays below this many cells. Finer cells would only
	// trim the band of false candidates around the margin, which is already
	// cheap to reject.
	targetCellsPerFence = 400

	// Resolutions the index may use: 11 (~29 m edges) for fences smaller
	// than smallFenceM, 10 (~76 m) otherwise, each coarsened while the cover
	// would exceed targetCellsPerFence, down to coarsestRes (~3.7 km edges,
	// a few hundred cells for the largest fence allowed). With a 500 m
	// margin every cover is over 1 km across, so in practice res 11 never
	// fits the budget and sites up to ~750 m radius all share res 10 (one
	// cell lookup per query). Coarser than res 6, H3's straight-edge
	// approximation of cell boundaries could exceed coverSafetyM near
	// MaxAbsLat.
	finestRes   = 11
	defaultRes  = 10
	coarsestRes = 6
	smallFenceM = 150.0

	// coverSides is the number of sides of the polygon circumscribing each
	// disc of the cover (2 % wider than the disc), and maxCoverSegmentM the
	// longest segment handed to H3 (see the straight-line note above).
	coverSides       = 16
	maxCoverSegmentM = 1000.0
)

// fenceCover is the resolution and cells chosen for a fence.
type fenceCover struct {
	res   int
	cells []uint64
}

// coverFence covers a fence whose tangent frame, hull (gnomonic coordinates)
// and reach (largest distance in metres from the frame centre to any point
// of the fence) are given; growM is how far the hull is grown before the
// margin (the radius for a circle, 0 for a polygon) and sizeM the fence size
// that picks the starting resolution.
func coverFence(frame tangentFrame, hull []vec2, reachM, growM, sizeM float64) (fenceCover, error) {
	grow := growM + IndexMarginM + coverSafetyM
	rho := (reachM + grow) / EarthRadiusM
	if rho >= math.Pi/4 {
		return fenceCover{}, fmt.Errorf("%w: fence too large to index", ErrInvalid)
	}
	stretch := 1 / (math.Cos(rho) * math.Cos(rho)) // gnomonic radial scale at rho
	r := grow / EarthRadiusM * stretch / math.Cos(math.Pi/coverSides)

	pts := make([]vec2, 0, len(hull)*coverSides)
	for _, h := range hull {
		for j := range coverSides {
			s, c := math.Sincos(2 * math.Pi * float64(j) / coverSides)
			pts = append(pts, vec2{h.x + r*c, h.y + r*s})
		}
	}
	ring := convexHull(pts)

	maxSeg := maxCoverSegmentM / EarthRadiusM
	loop := make([]Point, 0, len(ring))
	areaM2 := math.Abs(shoelace(ring)) * EarthRadiusM * EarthRadiusM
	for i, a := range ring {
		b := ring[(i+1)%len(ring)]
		steps := max(1, int(math.Ceil(b.sub(a).len()/maxSeg)))
		for k := range steps {
			t := float64(k) / float64(steps)
			loop = append(loop, frame.unproject(a.x+(b.x-a.x)*t, a.y+(b.y-a.y)*t).point())
		}
	}

	start := defaultRes
	if sizeM < smallFenceM {
		start = finestRes
	}
	var lastErr error
	for res := start; res >= coarsestRes; res-- {
		if res > coarsestRes && estimateCells(areaM2, res) > targetCellsPerFence {
			continue
		}
		cells, err := h3PolygonCells(loop, res, MaxCellsPerFence)
		if err != nil {
			lastErr = err
			continue
		}
		return fenceCover{res: res, cells: cells}, nil
	}
	return fenceCover{}, errors.Join(fmt.Errorf("%w: fence cannot be covered with at most %d cells", ErrInvalid, MaxCellsPerFence), lastErr)
}

// estimateCells guesses how many cells at res overlap a roughly round area:
// the area plus a ring one cell wide, over the average cell area.
func estimateCells(areaM2 float64, res int) float64 {
	cellArea, err1 := h3HexAreaAvgM2(res)
	edge, err2 := h3HexEdgeAvgM(res)
	if err1 != nil || err2 != nil {
		return math.Inf(1)
	}
	rho := math.Sqrt(areaM2/math.Pi) + 1.5*edge
	return math.Pi * rho * rho / cellArea
}
