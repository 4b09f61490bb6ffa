package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// exactScanner is the reference Locate: every fence, exact test, no index.
// Polygons are prepared once, as Fence.SignedDistanceM would redo it per call.
type exactScanner struct {
	sites []SiteFence
	dist  []func(Point) float64
}

func newExactScanner(sites []SiteFence) *exactScanner {
	s := &exactScanner{sites: sites}
	for _, sf := range sites {
		f := sf.Fence
		if f.Kind == Circle {
			s.dist = append(s.dist, f.SignedDistanceM)
			continue
		}
		shape := newPolygonShape(newRing(f.Points).pts)
		s.dist = append(s.dist, func(p Point) float64 { return shape.signedDistanceM(toVec3(p)) })
	}
	return s
}

func (s *exactScanner) locate(p Point, accuracyM, maxSlackM float64) []Hit {
	slack := min(maxSlackM, IndexMarginM)
	var hits []Hit
	for i, dist := range s.dist {
		d := dist(p)
		if c := Classify(d, accuracyM, slack); c != Outside {
			hits = append(hits, Hit{Key: s.sites[i].Key, FenceIdx: i, SignedDistanceM: d, Containment: c})
		}
	}
	sortHits(hits)
	return hits
}

// sameHits compares hit lists exactly: the index must reproduce the exact
// test bit for bit, or a point on the edge of a Classify band could flip.
func sameHits(a, b []Hit) bool { return slices.Equal(a, b) }

// nearEdgePoints samples points around every fence, concentrated in the band
// from 100 m inside to 50 m beyond IndexMarginM outside, where a pre-filter
// would lose hits first.
func nearEdgePoints(rng *rand.Rand, ref *exactScanner, perFence int) []Point {
	var pts []Point
	for i, s := range ref.sites {
		b := s.Fence.Bounds()
		reach := IndexMarginM + 50
		for k := 0; k < perFence; {
			lat := b.Min.Lat + (b.Max.Lat-b.Min.Lat)*rng.Float64()
			lng := b.Min.Lng + (b.Max.Lng-b.Min.Lng)*rng.Float64()
			p := offset(Point{lat, lng}, (rng.Float64()*2-1)*reach*1.5, (rng.Float64()*2-1)*reach*1.5)
			if d := ref.dist[i](p); d >= -100 && d <= reach {
				pts = append(pts, p)
				k++
			}
		}
	}
	return pts
}

// mixedSites puts fences of every kind and size the index supports around c.
func mixedSites(rng *rand.Rand, c Point) []SiteFence {
	sites := citySites(rng, 60, c, 6_000)
	sites = append(sites,
		SiteFence{"tiny-circle", Fence{Kind: Circle, Center: offset(c, 100, 100), RadiusM: 5}},
		SiteFence{"campus", Fence{Kind: Polygon, Points: starPolygon(rng, offset(c, -1500, 800), 40, 800, 2500)}},
		SiteFence{"district", Fence{Kind: Circle, Center: offset(c, 2000, -2000), RadiusM: 12_000}},
		SiteFence{"many-vertices", Fence{Kind: Polygon, Points: circleRing(offset(c, 500, -900), 700, MaxVertices)}},
		SiteFence{"duplicate-key", Fence{Kind: Circle, Center: c, RadiusM: 150}},
		SiteFence{"duplicate-key", Fence{Kind: Circle, Center: c, RadiusM: 150}},
	)
	return sites
}

// TestLocateMatchesExactScan is the pre-filter's contract: for every query
// the index returns exactly the fences an exact scan of all fences returns
// (no misses, no false accepts), with the same distances and containment.
func TestLocateMatchesExactScan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		centre Point
	}{
		{"Shanghai", shanghai},
		{"Urumqi", Point{43.83, 87.62}},
		{"Sydney", Point{-33.87, 151.21}},
		{"Quito", Point{-0.18, -78.47}},
		{"Tromso", Point{69.65, 18.96}},
		{"NearPentagonBaseCell4", Point{64.7, 10.5}},
	}
	queries := []struct{ accuracy, slack float64 }{
		{0, 0},                   // unknown accuracy: only centres inside
		{15, 100},                // good GPS fix
		{300, 100},               // slack caps the band
		{2000, math.Inf(1)},      // band capped at IndexMarginM
		{math.NaN(), math.NaN()}, // garbage in
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(5, uint64(tt.centre.Lat*1000)))
			sites := mixedSites(rng, tt.centre)
			ix := mustIndex(t, sites)
			ref := newExactScanner(sites)
			pts := nearEdgePoints(rng, ref, 20)
			for range 2_000 {
				pts = append(pts, offset(tt.centre, (rng.Float64()-0.5)*30_000, (rng.Float64()-0.5)*30_000))
			}
			hits := 0
			for _, p := range pts {
				for _, q := range queries {
					got := ix.Locate(p, q.accuracy, q.slack)
					want := ref.locate(p, q.accuracy, q.slack)
					if !sameHits(got, want) {
						t.Fatalf("Locate(%v, %v, %v):\n got %+v\nwant %+v", p, q.accuracy, q.slack, got, want)
					}
					hits += len(got)
				}
			}
			if hits < len(pts) {
				t.Fatalf("only %d hits for %d points: the test is not exercising the index", hits, len(pts))
			}
		})
	}
}

func TestLocate(t *testing.T) {
	t.Parallel()
	a := offset(shanghai, 1000, 0)
	sites := []SiteFence{
		{"big", Fence{Kind: Circle, Center: a, RadiusM: 300}},
		{"small", Fence{Kind: Circle, Center: a, RadiusM: 100}},
		{"square", Fence{Kind: Polygon, Points: square(offset(a, 350, -50), 100)}},
	}
	ix := mustIndex(t, sites)
	tests := []struct {
		name            string
		p               Point
		accuracy, slack float64
		want            []string // "key:containment", nearest first
	}{
		{"CentreOfBothCircles", a, 10, 100, []string{"big:inside", "small:inside"}},
		{"InBigOnly", offset(a, 200, 0), 10, 100, []string{"big:inside"}},
		{"InBigStraddlingSmall", offset(a, 110, 0), 20, 100, []string{"big:inside", "small:straddles"}},
		{"InBigJustInsideSmall", offset(a, 95, 0), 20, 100, []string{"big:inside", "small:inside_uncertain"}},
		{"BetweenCircleAndSquare", offset(a, 330, 0), 30, 100, []string{"square:straddles", "big:straddles"}},
		{"StraddleCappedBySlack", offset(a, 330, 0), 30, 15, nil},
		{"SlackCappedAtIndexMargin", offset(a, 940, 0), 1000, 5000, []string{"square:straddles"}},
		{"BeyondIndexMargin", offset(a, 960, 0), 1000, 5000, nil},
		{"FarAway", offset(a, 20_000, 0), 10, 100, nil},
		{"InvalidPoint", Point{math.NaN(), 0}, 10, 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, h := range ix.Locate(tt.p, tt.accuracy, tt.slack) {
				got = append(got, h.Key+":"+string(h.Containment))
				if sites[h.FenceIdx].Key != h.Key {
					t.Errorf("hit %+v: FenceIdx does not match Key", h)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Locate = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAppendLocateDoesNotAllocate is not parallel: AllocsPerRun measures the
// whole process.
func TestAppendLocateDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	ix := mustIndex(t, citySites(rng, 200, shanghai, 5_000))
	dst := make([]Hit, 0, 64)
	p := shanghai
	allocs := testing.AllocsPerRun(1000, func() {
		p = offset(shanghai, (rng.Float64()-0.5)*5_000, (rng.Float64()-0.5)*5_000)
		dst = ix.AppendLocate(dst[:0], p, 50, 100)
	})
	if allocs != 0 {
		t.Fatalf("AppendLocate allocates %.1f times per lookup", allocs)
	}
}

func TestNearest(t *testing.T) {
	t.Parallel()
	sites := []SiteFence{
		{"tenant-a/hq", Fence{Kind: Circle, Center: shanghai, RadiusM: 200}},
		{"tenant-b/shop", Fence{Kind: Circle, Center: offset(shanghai, 3000, 0), RadiusM: 100}},
		{"tenant-a/depot", Fence{Kind: Polygon, Points: square(offset(shanghai, 10_000, 0), 500)}},
	}
	ix := mustIndex(t, sites)
	tenantA := func(k string) bool { return strings.HasPrefix(k, "tenant-a/") }
	tests := []struct {
		name     string
		p        Point
		allow    func(string) bool
		wantKey  string
		wantDist float64
		wantIn   Containment
		wantOK   bool
	}{
		{"InsideHQ", offset(shanghai, 50, 0), nil, "tenant-a/hq", -150, InsideUncertain, true},
		{"NearShopAllSites", offset(shanghai, 2500, 0), nil, "tenant-b/shop", 400, Outside, true},
		{"NearShopTenantA", offset(shanghai, 2500, 0), tenantA, "tenant-a/hq", 2300, Outside, true},
		{"EastOfEverything", offset(shanghai, 12_000, 250), nil, "tenant-a/depot", 1500, Outside, true},
		{"NothingAllowed", shanghai, func(string) bool { return false }, "", 0, "", false},
		{"InvalidPoint", Point{100, 0}, nil, "", 0, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, ok := ix.Nearest(tt.p, tt.allow)
			if ok != tt.wantOK || h.Key != tt.wantKey || h.Containment != tt.wantIn || math.Abs(h.SignedDistanceM-tt.wantDist) > 1 {
				t.Fatalf("Nearest = %+v, %v; want %s at %.0f m (%s), %v", h, ok, tt.wantKey, tt.wantDist, tt.wantIn, tt.wantOK)
			}
		})
	}
}

func TestNewIndexRejectsInvalidFence(t *testing.T) {
	t.Parallel()
	sites := []SiteFence{
		{"ok", Fence{Kind: Circle, Center: shanghai, RadiusM: 100}},
		{"bad", Fence{Kind: Circle, Center: shanghai, RadiusM: -1}},
		{"worse", Fence{Kind: Polygon}},
	}
	_, err := NewIndex(sites)
	var fe *FenceError
	if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Code != CodeRadiusOutOfRange {
		t.Fatalf("NewIndex error = %v, want the FenceError of fence 1", err)
	}
	if !strings.Contains(err.Error(), `fence 1 (key "bad")`) {
		t.Fatalf("error %q does not name the fence", err)
	}
}

func TestEmptyIndex(t *testing.T) {
	t.Parallel()
	ix := mustIndex(t, nil)
	if hits := ix.Locate(shanghai, 10, 100); len(hits) != 0 {
		t.Fatalf("Locate on empty index = %v", hits)
	}
	if _, ok := ix.Nearest(shanghai, nil); ok {
		t.Fatal("Nearest on empty index reported a fence")
	}
}

// TestCoverCellsBounded: every fence, from 1 m to the largest allowed, gets
// a cover within MaxCellsPerFence at the resolution the size rule picks.
func TestCoverCellsBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fence   Fence
		wantRes int
	}{
		{"Circle1m", Fence{Kind: Circle, Center: shanghai, RadiusM: 1}, 10},
		{"Circle300m", Fence{Kind: Circle, Center: shanghai, RadiusM: 300}, 10},
		{"Circle2km", Fence{Kind: Circle, Center: shanghai, RadiusM: 2_000}, 9},
		{"CircleMax", Fence{Kind: Circle, Center: shanghai, RadiusM: MaxRadiusM}, 6},
		{"SquareMax", Fence{Kind: Polygon, Points: square(offset(shanghai, -49_000, -49_000), 98_000)}, 6},
		{"CircleMaxAt84N", Fence{Kind: Circle, Center: Point{84, 0}, RadiusM: 20_000}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, cover, err := prepareFence(SiteFence{Key: tt.name, Fence: tt.fence})
			if err != nil {
				t.Fatal(err)
			}
			if cover.res != tt.wantRes || len(cover.cells) > MaxCellsPerFence {
				t.Fatalf("res %d with %d cells, want res %d and ≤ %d cells", cover.res, len(cover.cells), tt.wantRes, MaxCellsPerFence)
			}
			t.Logf("res %d, %d cells", cover.res, len(cover.cells))
		})
	}
}

// TestIndexConcurrentReaders: lookups from many goroutines see the same
// results as sequential ones (run with -race to check for data races).
func TestIndexConcurrentReaders(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4, 4))
	sites := citySites(rng, 300, shanghai, 8_000)
	ix := mustIndex(t, sites)
	pts := make([]Point, 500)
	want := make([][]Hit, len(pts))
	for i := range pts {
		pts[i] = offset(shanghai, (rng.Float64()-0.5)*8_000, (rng.Float64()-0.5)*8_000)
		want[i] = ix.Locate(pts[i], 40, 100)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var dst []Hit
			for k := range pts {
				i := (k + g*61) % len(pts)
				dst = ix.AppendLocate(dst[:0], pts[i], 40, 100)
				if !sameHits(dst, want[i]) {
					t.Errorf("goroutine %d, point %d: got %v, want %v", g, i, dst, want[i])
					return
				}
				ix.Nearest(pts[i], nil)
			}
		})
	}
	wg.Wait()
}
