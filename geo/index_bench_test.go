package geo

import (
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// BenchmarkIndexLocate_10kSites looks up random points in a 50 × 50 km city
// with 10,000 sites (70 % circles of 100–500 m, 30 % small polygons). One op
// is one point check: the point's cells, the candidates listed under them,
// and the exact test for each candidate.
func BenchmarkIndexLocate_10kSites(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	ix := mustIndex(b, citySites(rng, 10_000, shanghai, 50_000))
	const nq = 1 << 16
	queries := make([]Point, nq)
	for i := range queries {
		queries[i] = offset(shanghai, (rng.Float64()-0.5)*50_000, (rng.Float64()-0.5)*50_000)
	}
	hits := make([]Hit, 0, 64)
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	i := 0
	cpu := threadCPU()
	for b.Loop() {
		hits = ix.AppendLocate(hits[:0], queries[i%nq], 30, 100)
		i++
	}
	reportCPU(b, threadCPU()-cpu, "checks")
}

// reportCPU adds the per-op CPU time of the benchmark's thread, and the
// per-second rates by wall and by CPU time, to the benchmark's output.
func reportCPU(b *testing.B, cpu time.Duration, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(b.N)/cpu.Seconds(), unit+"/cpu-s")
	}
}

// BenchmarkNewIndex_1kSites is the build cost: one op indexes 1,000 sites
// (validation, cover polygon, H3 polyfill, cell table).
func BenchmarkNewIndex_1kSites(b *testing.B) {
	sites := citySites(rand.New(rand.NewPCG(8, 8)), 1_000, shanghai, 50_000)
	b.ReportAllocs()
	for b.Loop() {
		mustIndex(b, sites)
	}
}

// BenchmarkNearest_10kSites is the exact scan behind Nearest.
func BenchmarkNearest_10kSites(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 7))
	ix := mustIndex(b, citySites(rng, 10_000, shanghai, 50_000))
	b.ReportAllocs()
	for b.Loop() {
		ix.Nearest(offset(shanghai, (rng.Float64()-0.5)*50_000, (rng.Float64()-0.5)*50_000), nil)
	}
}
