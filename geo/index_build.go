package geo

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// indexedFence is a fence prepared for the exact test.
type indexedFence struct {
	key     string
	idx     int // position in the slice given to NewIndex
	circle  bool
	center  vec3
	radiusM float64
	poly    *polygonShape
}

// signedDistanceM is Fence.SignedDistanceM for the point whose unit vector
// is v, computed by the same code so that the index and the fence agree to
// the last bit, even at the edges of Classify's bands.
func (f *indexedFence) signedDistanceM(v vec3) float64 {
	if f.circle {
		return circleSignedDistanceM(f.center, f.radiusM, v)
	}
	return f.poly.signedDistanceM(v)
}

// spatialOrderRes is the H3 resolution (~0.7 km² cells) whose cell order
// sorts the fences in memory.
const spatialOrderRes = 8

// cellDisc returns the centre of a cell at res and the radius (metres) of a
// disc around it that contains the whole cell.
func cellDisc(cell uint64, res int) (centre vec3, radiusM float64, err error) {
	c, err := h3CellCenter(cell)
	if err != nil {
		return vec3{}, 0, err
	}
	return toVec3(c), cellRadiusBoundM(res), nil
}

// cellRadiusBoundM bounds the distance from any res-r cell's centre to any
// point of it. In H3's face plane every hexagon has circumradius 1/√3 at
// the resolution's scale, and the gnomonic projection only ever stretches
// distances, so on the sphere no cell point is farther than that; cells are
// largest at face centres, where the bound is attained
// (TestCellRadiusBound). 5 % and 1 m spare cover cells split across faces
// and rounding.
func cellRadiusBoundM(res int) float64 {
	return 1.05*EarthRadiusM/(math.Sqrt(3)*h3ResScale[res]) + 1
}

// prepareAll runs prepareFence for every fence on all CPUs (covering is the
// expensive part of building an index: ~1 ms of H3 work per fence), filling
// sites and returning the covers. It reports the failure of the lowest
// failing fence index, so the error does not depend on scheduling.
func prepareAll(fences []SiteFence, sites []indexedFence) ([]fenceCover, error) {
	covers := make([]fenceCover, len(fences))
	errs := make([]error, len(fences))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(1, len(fences))) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(fences) {
					return
				}
				sites[i], covers[i], errs[i] = prepareFence(fences[i])
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("index fence %d (key %q): %w", i, fences[i].Key, err)
		}
	}
	return covers, nil
}

// prepareFence validates a fence, prepares its exact test and computes its
// cover, checking one covering cell against h3-go so that a change in the
// library's grid can never silently disagree with cellOf.
func prepareFence(sf SiteFence) (indexedFence, fenceCover, error) {
	f := sf.Fence
	if err := f.Validate(); err != nil {
		return indexedFence{}, fenceCover{}, err
	}
	site := indexedFence{key: sf.Key}

	var (
		cover fenceCover
		err   error
	)
	if f.Kind == Circle {
		site.circle, site.center, site.radiusM = true, toVec3(f.Center), f.RadiusM
		cover, err = coverFence(newTangentFrame(site.center), []vec2{{0, 0}}, 0, f.RadiusM, f.RadiusM)
	} else {
		r := newRing(f.Points)
		site.poly = newPolygonShape(r.pts)
		reach := 0.0
		for _, v := range site.poly.verts {
			d := v.sub(site.poly.frame.u)
			reach = max(reach, chordToM(d.dot(d)))
		}
		cover, err = coverFence(site.poly.frame, convexHull(site.poly.xy), reach, 0, reach)
	}
	if err != nil {
		return indexedFence{}, fenceCover{}, err
	}
	if len(cover.cells) == 0 {
		return indexedFence{}, fenceCover{}, errors.New("h3 returned no cells for the fence")
	}
	centre, err := h3CellCenter(cover.cells[0])
	if err != nil {
		return indexedFence{}, fenceCover{}, err
	}
	if got := cellOf(centre, cover.res); got != cover.cells[0] {
		return indexedFence{}, fenceCover{}, fmt.Errorf("pure-Go cell lookup gives %x for h3 cell %x at res %d (has the h3-go grid changed?)", got, cover.cells[0], cover.res)
	}
	return site, cover, nil
}
