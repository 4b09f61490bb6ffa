package geo

import (
	"cmp"
	"fmt"
	"slices"
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
	Key             string      // the fence's SiteFence.Key
	FenceIdx        int         // the fence's position in the slice given to NewIndex
	SignedDistanceM float64     // Fence.SignedDistanceM of the point, negative inside
	Containment     Containment // Classify of that distance with the query's accuracy and slack
}

// MaxFences is the largest number of fences one Index holds (fence positions
// take 24 bits of a posting).
const MaxFences = 1 << postingIDBits

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

// NewIndex validates and indexes fences. It fails on the first invalid fence
// (wrapping its *FenceError, so errors.Is(err, ErrInvalid) holds). Building
// costs ~1.2 ms of CPU per fence, spread over all CPUs.
func NewIndex(fences []SiteFence) (*Index, error) {
	if len(fences) > MaxFences {
		return nil, fmt.Errorf("%w: %d fences exceed the index limit of %d", ErrInvalid, len(fences), MaxFences)
	}
	sites := make([]indexedFence, len(fences))
	covers, err := prepareAll(fences, sites)
	if err != nil {
		return nil, err
	}
	ix := &Index{sites: make([]indexedFence, len(fences)), rects: make([]siteRect, len(fences))}
	var entries []cellEntry
	usedRes := map[int]bool{}
	for pos, i := range spatialOrder(fences) {
		ix.sites[pos] = sites[i]
		ix.sites[pos].idx = i
		ix.rects[pos] = newSiteRect(fences[i].Fence.Bounds())
		usedRes[covers[i].res] = true
		for _, cell := range covers[i].cells {
			entries = append(entries, cellEntry{cell, int32(pos)})
		}
	}
	for r := range usedRes {
		ix.res = append(ix.res, r)
	}
	slices.SortFunc(ix.res, func(a, b int) int { return b - a })
	if err := ix.fillCells(entries); err != nil {
		return nil, err
	}
	return ix, nil
}

// cellEntry lists the fence at position site under a cell.
type cellEntry struct {
	cell uint64
	site int32
}

// spatialOrder is the order in which fences are stored: by the H3 cell of
// their centre, which follows a space-filling curve, so that the candidates
// listed under one cell sit near each other in memory (lookups are
// memory-bound).
func spatialOrder(fences []SiteFence) []int {
	order := make([]int, len(fences))
	keys := make([]uint64, len(fences))
	for i, f := range fences {
		order[i] = i
		b := f.Fence.Bounds()
		keys[i] = cellOf(Point{(b.Min.Lat + b.Max.Lat) / 2, (b.Min.Lng + b.Max.Lng) / 2}, spatialOrderRes)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	return order
}

// fillCells groups the entries by cell into the postings and the cell
// table, computing each posting's distance bound.
func (ix *Index) fillCells(entries []cellEntry) error {
	slices.SortFunc(entries, func(a, b cellEntry) int {
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
			return err
		}
		for k := i; k < j; k++ {
			d := ix.sites[entries[k].site].signedDistanceM(centre) - radiusM
			ix.postings[k] = newPosting(int(entries[k].site), d)
		}
		ix.cells.put(entries[i].cell, uint32(i), uint32(j-i))
		i = j
	}
	return nil
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
// fences, calling allow once per fence, so it costs O(fences) (about 0.08 ms
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
