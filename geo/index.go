package geo

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// SiteFence is one fence to index, under the caller's key (e.g. a site ID).
// Keys need not be unique; hits carry both the key and the fence's position
// in the slice given to NewIndex.
type SiteFence struct {
	Key   string
	Fence Fence
}

// Hit is a fence found for a point.
type Hit struct {
	Key             string
	FenceIdx        int
	SignedDistanceM float64
	Containment     Containment
}

// Index finds the fences near a point. H3 cells are only a pre-filter: every
// fence is listed under the cells covering it plus IndexMarginM, a lookup
// reads the candidates listed under the point's cell at each resolution in
// use, and every candidate gets the exact test (SignedDistanceM and
// Classify). An Index is immutable once built and safe for concurrent use.
type Index struct {
	sites    []indexedFence
	rects    []siteRect // rects[i] belongs to sites[i]; kept apart so the hot pre-check stays in cache
	res      []int      // resolutions in use, finest first
	cells    cellTable  // cell → postings[off : off+n]
	postings []posting  // grouped by cell
}

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
	// MaxFences is the largest number of fences one Index holds.
	MaxFences = 1 << postingIDBits
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

// indexedFence is a fence prepared for the exact test.
type indexedFence struct {
	key     string
	idx     int // position in the slice given to NewIndex
	circle  bool
	center  vec3
	radiusM float64
	poly    *polygonShape
}

// siteRect is a fence's lat/lng rectangle in float32, rounded outwards, with
// the metres-to-degrees-of-longitude factor for the highest latitude the
// fence plus IndexMarginM reaches (so it never under-estimates). It rejects
// most candidates with a few comparisons and no trigonometry.
type siteRect struct{ minLat, maxLat, minLng, maxLng, lngPerM float32 }

// spatialOrderRes is the H3 resolution (~0.7 km² cells) whose cell order
// sorts the fences in memory.
const spatialOrderRes = 8

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

// signedDistanceM is Fence.SignedDistanceM for the point whose unit vector
// is v, computed by the same code so that the index and the fence agree to
// the last bit, even at the edges of Classify's bands.
func (f *indexedFence) signedDistanceM(v vec3) float64 {
	if f.circle {
		return circleSignedDistanceM(f.center, f.radiusM, v)
	}
	return f.poly.signedDistanceM(v)
}

// NewIndex validates and indexes fences. It fails on the first invalid fence
// (wrapping its *FenceError, so errors.Is(err, ErrInvalid) holds).
func NewIndex(fences []SiteFence) (*Index, error) {
	if len(fences) > MaxFences {
		return nil, fmt.Errorf("%w: %d fences exceed the index limit of %d", ErrInvalid, len(fences), MaxFences)
	}
	type entry struct {
		cell uint64
		site int32
	}
	sites := make([]indexedFence, len(fences))
	covers, err := prepareAll(fences, sites)
	if err != nil {
		return nil, err
	}
	// Store fences in spatial order (by the H3 cell of their centre, which
	// follows a space-filling curve) so that the candidates listed under one
	// cell sit next to each other in memory: the rectangle pre-check is
	// memory-bound, and this halves its cache misses.
	order := make([]int, len(fences))
	keys := make([]uint64, len(fences))
	for i, f := range fences {
		order[i] = i
		b := f.Fence.Bounds()
		keys[i] = cellOf(Point{(b.Min.Lat + b.Max.Lat) / 2, (b.Min.Lng + b.Max.Lng) / 2}, spatialOrderRes)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })

	ix := &Index{sites: make([]indexedFence, len(fences)), rects: make([]siteRect, len(fences))}
	var entries []entry
	usedRes := map[int]bool{}
	for pos, i := range order {
		ix.sites[pos] = sites[i]
		ix.sites[pos].idx = i
		ix.rects[pos] = newSiteRect(fences[i].Fence.Bounds())
		usedRes[covers[i].res] = true
		for _, cell := range covers[i].cells {
			entries = append(entries, entry{cell, int32(pos)})
		}
	}
	for r := range usedRes {
		ix.res = append(ix.res, r)
	}
	slices.SortFunc(ix.res, func(a, b int) int { return b - a })

	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.cell, b.cell), cmp.Compare(a.site, b.site))
	})
	entries = slices.Compact(entries)
	ix.postings = make([]posting, len(entries))
	distinct := 0
	for i, e := range entries {
		if i == 0 || e.cell != entries[i-1].cell {
			distinct++
		}
	}
	ix.cells = newCellTable(distinct)
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].cell == entries[i].cell {
			j++
		}
		centre, radiusM, err := cellDisc(entries[i].cell, int(entries[i].cell>>h3ResOffset&0xf))
		if err != nil {
			return nil, err
		}
		for k := i; k < j; k++ {
			d := ix.sites[entries[k].site].signedDistanceM(centre) - radiusM
			ix.postings[k] = newPosting(int(entries[k].site), d)
		}
		ix.cells.put(entries[i].cell, uint32(i), uint32(j-i))
		i = j
	}
	return ix, nil
}

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
		return indexedFence{}, fenceCover{}, fmt.Errorf("%w: h3 returned no cells for the fence", ErrInvalid)
	}
	centre, err := h3CellCenter(cover.cells[0])
	if err != nil {
		return indexedFence{}, fenceCover{}, err
	}
	if got := cellOf(centre, cover.res); got != cover.cells[0] {
		return indexedFence{}, fenceCover{}, fmt.Errorf("geo: pure-Go cell lookup gives %x for h3 cell %x at res %d", got, cover.cells[0], cover.res)
	}
	return site, cover, nil
}

// Locate returns every fence whose exact test for the fix (p, accuracyM) is
// not Outside, nearest first (by signed distance, ties by FenceIdx).
// maxSlackM is capped at IndexMarginM, the farthest the index looks. An
// invalid p yields no hits.
func (ix *Index) Locate(p Point, accuracyM, maxSlackM float64) []Hit {
	return ix.AppendLocate(nil, p, accuracyM, maxSlackM)
}

// AppendLocate is Locate appending to dst; with a reused dst of sufficient
// capacity a lookup allocates nothing.
func (ix *Index) AppendLocate(dst []Hit, p Point, accuracyM, maxSlackM float64) []Hit {
	if p.Validate() != nil {
		return dst
	}
	slack := min(maxSlackM, IndexMarginM)
	band := straddleBandM(accuracyM, slack)
	v := toVec3(p)
	fp := projectToFace(v)
	start := len(dst)
	for _, res := range ix.res {
		off, n := ix.cells.get(fp.cell(res))
		for _, e := range ix.postings[off : off+n] {
			if e.farther(band) {
				continue
			}
			id := e.pos()
			if !ix.rects[id].near(p, band) {
				continue
			}
			site := &ix.sites[id]
			d := site.signedDistanceM(v)
			if c := Classify(d, accuracyM, slack); c != Outside {
				dst = append(dst, Hit{Key: site.key, FenceIdx: site.idx, SignedDistanceM: d, Containment: c})
			}
		}
	}
	sortHits(dst[start:])
	return dst
}

// sortHits orders hits by signed distance, then FenceIdx. Lookups return a
// handful of hits, so insertion sort is fastest and does not allocate.
func sortHits(h []Hit) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && hitLess(h[j], h[j-1]); j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

func hitLess(a, b Hit) bool {
	if a.SignedDistanceM != b.SignedDistanceM {
		return a.SignedDistanceM < b.SignedDistanceM
	}
	return a.FenceIdx < b.FenceIdx
}

// Nearest returns the allowed fence with the smallest signed distance to p
// (so a fence containing p beats one that does not), ties by FenceIdx. allow
// filters by key; nil allows every fence. It is an exact scan over all
// fences, calling allow once per fence, so it costs O(fences) (about 0.1 ms
// per 1,000 fences): use it for "you are 2.3 km from the nearest site"
// messages, not per punch. Containment is Classify(d, 0, 0): without an
// accuracy it is InsideUncertain or Outside. ok is false if p is invalid or
// nothing is allowed.
func (ix *Index) Nearest(p Point, allow func(key string) bool) (hit Hit, ok bool) {
	if p.Validate() != nil {
		return Hit{}, false
	}
	v := toVec3(p)
	for i := range ix.sites {
		site := &ix.sites[i]
		if allow != nil && !allow(site.key) {
			continue
		}
		d := site.signedDistanceM(v)
		if c := (Hit{SignedDistanceM: d, FenceIdx: site.idx}); !ok || hitLess(c, hit) {
			hit, ok = Hit{Key: site.key, FenceIdx: site.idx, SignedDistanceM: d}, true
		}
	}
	if ok {
		hit.Containment = Classify(hit.SignedDistanceM, 0, 0)
	}
	return hit, ok
}
