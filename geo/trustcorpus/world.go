package trustcorpus

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/dakahq/daka/geo"
)

// zone is the sites' time zone (China Standard Time, no DST). A fixed zone
// keeps the generator free of tzdata lookups.
var zone = time.FixedZone("CST", 8*3600)

// epoch is the first day of the corpus, a Monday.
var epoch = time.Date(2025, 3, 3, 0, 0, 0, 0, zone)

// city is the centre of the simulated city (Shanghai, People's Square).
var city = geo.Point{Lat: 31.2304, Lng: 121.4737}

// slackM is the straddle cap the caller passes to geo.Classify (the
// attendance service's default MaxAccuracySlackM).
const slackM = 100

const metresPerDegLat = 111_194.9

// offset moves p by east/north metres (flat approximation, fine for the tens
// of kilometres used here).
func offset(p geo.Point, eastM, northM float64) geo.Point {
	return geo.Point{
		Lat: p.Lat + northM/metresPerDegLat,
		Lng: p.Lng + eastM/(metresPerDegLat*math.Cos(p.Lat*math.Pi/180)),
	}
}

// polar moves p by r metres towards a uniformly random bearing.
func polar(rng *rand.Rand, p geo.Point, r float64) geo.Point {
	a := 2 * math.Pi * rng.Float64()
	return offset(p, r*math.Cos(a), r*math.Sin(a))
}

// inDisc is a uniformly random point in the disc of radius r around c.
func inDisc(rng *rand.Rand, c geo.Point, r float64) geo.Point {
	return polar(rng, c, r*math.Sqrt(rng.Float64()))
}

// logUniform draws from [lo, hi] uniformly in log space.
func logUniform(rng *rand.Rand, lo, hi float64) float64 {
	return math.Exp(math.Log(lo) + rng.Float64()*(math.Log(hi)-math.Log(lo)))
}

func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + rng.Float64()*(hi-lo) }

func chance(rng *rand.Rand, p float64) bool { return rng.Float64() < p }

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }

func minutes(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// site is a workplace: a circular fence drawn by an admin around a building.
type site struct {
	id        string
	fence     geo.Fence
	building  geo.Point // centre of the building
	buildingR float64   // its radius in metres
	bssids    []string  // registered access points (empty: the site uses none)
	maxAccM   float64   // the site's own accuracy limit (0 = policy default)
	// outlierRate is the share of fixes with an urban-canyon multipath error
	// 2.5–5× the reported accuracy: high-rise districts 4 %, elsewhere 1 %.
	outlierRate float64
	photo       bool // the tenant requires a selfie with each punch
}

// newSite draws a site centred at c. Fence radii follow what admins pick in
// DingTalk/WeCom-style consoles (100–500 m, 200–300 most common); the
// building sits inside the fence with at least 10 m to spare, because an
// admin whose staff punch outside the fence every day redraws it.
func newSite(rng *rand.Rand, i int, c geo.Point) *site {
	radius := []float64{100, 200, 200, 300, 300, 500}[rng.IntN(6)]
	if chance(rng, 0.15) {
		radius = 150
	}
	bR := uniform(rng, 25, min(80, 0.6*radius))
	off := rng.Float64() * 0.5 * (radius - bR - 10)
	s := &site{
		id:       fmt.Sprintf("site-%02d", i),
		fence:    geo.Fence{Kind: geo.Circle, Center: c, RadiusM: radius},
		building: polar(rng, c, off), buildingR: bR,
		outlierRate: 0.01, photo: chance(rng, 0.6),
	}
	if chance(rng, 0.4) {
		s.outlierRate = 0.04
	}
	if chance(rng, 0.6) { // 2–8 BSSIDs: a few APs × 2.4/5 GHz radios
		for k := range 2 + rng.IntN(7) {
			s.bssids = append(s.bssids, fmt.Sprintf("a4:%02x:%02x:%02x:%02x:%02x", i, k, rng.IntN(256), rng.IntN(256), rng.IntN(256)))
		}
	}
	switch r := rng.Float64(); {
	case r < 0.15:
		s.maxAccM = 100
	case r < 0.20:
		s.maxAccM = 200
	}
	return s
}

// world is the tenant: local sites, two out-of-town sites for business
// trips, and a registry of which site owns which BSSID.
type world struct {
	sites  []*site
	remote []*site // Hangzhou and Beijing offices
	owner  map[string]string
}

func newWorld(rng *rand.Rand, nSites int) *world {
	w := &world{owner: map[string]string{}}
	for i := range nSites {
		w.sites = append(w.sites, newSite(rng, i, offset(city, uniform(rng, -20e3, 20e3), uniform(rng, -20e3, 20e3))))
	}
	w.remote = []*site{
		newSite(rng, nSites, geo.Point{Lat: 30.2741, Lng: 120.1551}),
		newSite(rng, nSites+1, geo.Point{Lat: 39.9042, Lng: 116.4074}),
	}
	for _, s := range append(w.sites, w.remote...) {
		for _, b := range s.bssids {
			w.owner[b] = s.id
		}
	}
	return w
}
