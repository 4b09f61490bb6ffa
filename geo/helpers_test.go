package geo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// offset moves p by east/north metres (local flat approximation, fine for
// the tens of kilometres the tests use).
func offset(p Point, eastM, northM float64) Point {
	return Point{
		Lat: p.Lat + northM/metresPerDegLat,
		Lng: p.Lng + eastM/(metresPerDegLat*math.Cos(p.Lat*degToRad)),
	}
}

// starPolygon is a simple polygon around c: vertices at increasing angles
// with radii in [minR, maxR] metres.
func starPolygon(rng *rand.Rand, c Point, n int, minR, maxR float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		a := 2 * math.Pi * (float64(i) + 0.8*rng.Float64()) / float64(n)
		r := minR + (maxR-minR)*rng.Float64()
		pts[i] = offset(c, r*math.Cos(a), r*math.Sin(a))
	}
	return pts
}

// shanghai is the centre of the synthetic city used by tests and benchmarks.
var shanghai = Point{31.2304, 121.4737}

// citySites scatters n sites over a square of side sideM metres around c:
// 70 % circles of radius 100–500 m, 30 % polygons of 4–8 vertices 60–300 m
// from their centre.
func citySites(rng *rand.Rand, n int, c Point, sideM float64) []SiteFence {
	sites := make([]SiteFence, n)
	for i := range sites {
		at := offset(c, (rng.Float64()-0.5)*sideM, (rng.Float64()-0.5)*sideM)
		f := Fence{Kind: Circle, Center: at, RadiusM: 100 + 400*rng.Float64()}
		if rng.IntN(10) < 3 {
			f = Fence{Kind: Polygon, Points: starPolygon(rng, at, 4+rng.IntN(5), 60, 300)}
		}
		sites[i] = SiteFence{Key: "site-" + strconv.Itoa(i), Fence: f}
	}
	return sites
}

func mustIndex(tb testing.TB, sites []SiteFence) *Index {
	tb.Helper()
	ix, err := NewIndex(sites)
	if err != nil {
		tb.Fatalf("NewIndex: %v", err)
	}
	return ix
}
