package geo

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// randomUnitVec is uniform on the sphere.
func randomUnitVec(rng *rand.Rand) vec3 {
	z := 2*rng.Float64() - 1
	a := 2 * math.Pi * rng.Float64()
	r := math.Sqrt(1 - z*z)
	return vec3{r * math.Cos(a), r * math.Sin(a), z}
}

// TestCellMatchesH3 checks the pure-Go cell lookup against h3-go at every
// resolution, on the places where a port would most likely go wrong.
func TestCellMatchesH3(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 13))

	worldwide := make([]Point, 30_000)
	for i := range worldwide {
		worldwide[i] = randomUnitVec(rng).point()
	}

	var china []Point
	for range 5_000 {
		china = append(china, Point{18 + 35*rng.Float64(), 74 + 60*rng.Float64()})
	}

	// Around the 12 pentagons, where H3 rotates digits specially.
	var pentagons []Point
	for bc := range h3NumBaseCells {
		if !h3Pentagons[bc].pentagon {
			continue
		}
		c, err := h3CellCenter(h3Init | h3ModeCell<<h3ModeOffset | uint64(bc)<<h3BCOffset)
		if err != nil {
			t.Fatal(err)
		}
		frame := newTangentFrame(toVec3(c))
		for range 2_000 {
			r := 0.02 * math.Pow(rng.Float64(), 3) // up to ~130 km, dense near the centre
			a := 2 * math.Pi * rng.Float64()
			pentagons = append(pentagons, frame.unproject(r*math.Cos(a), r*math.Sin(a)).point())
		}
	}

	// On the edges between icosahedron faces, where the nearest face flips.
	var faceEdges []Point
	for len(faceEdges) < 20_000 {
		f1, f2 := rng.IntN(h3NumFaces), rng.IntN(h3NumFaces)
		c1, c2 := h3FaceCenterPoint[f1], h3FaceCenterPoint[f2]
		if f1 == f2 || c1.dot(c2) < 0.7 { // neighbouring faces only
			continue
		}
		normal := c1.sub(c2).unit()
		v := randomUnitVec(rng)
		v = v.sub(normal.scale(v.dot(normal))).add(normal.scale((rng.Float64() - 0.5) * 1e-9)).unit()
		if v.dot(c1) < 0.75 {
			continue
		}
		faceEdges = append(faceEdges, v.point())
	}

	tests := []struct {
		name   string
		points []Point
	}{
		{"Worldwide", worldwide},
		{"China", china},
		{"NearPentagons", pentagons},
		{"OnFaceEdges", faceEdges},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for i, p := range tt.points {
				res := i % (h3MaxRes + 1)
				want, err := h3LatLngToCell(p, res)
				if err != nil {
					t.Fatal(err)
				}
				if got := cellOf(p, res); got != want {
					t.Fatalf("cellOf(%v, %d) = %x, h3-go says %x", p, res, got, want)
				}
			}
		})
	}
}

// TestCellRadiusBound: no vertex of any cell lies farther from the cell's
// centre than cellRadiusBoundM allows without its spare, including cells on
// icosahedron face edges.
func TestCellRadiusBound(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 3))
	for res := coarsestRes; res <= finestRes; res++ {
		exact := (cellRadiusBoundM(res) - 1) / 1.05
		for i := 0; i < 3000; i++ {
			v := randomUnitVec(rng)
			if i%2 == 1 { // move onto the edge between two neighbouring faces
				c1, c2 := h3FaceCenterPoint[i%h3NumFaces], h3FaceCenterPoint[(i/2)%h3NumFaces]
				if c1.dot(c2) < 0.7 || c1 == c2 {
					continue
				}
				n := c1.sub(c2).unit()
				v = v.sub(n.scale(v.dot(n))).unit()
			}
			cell := cellOf(v.point(), res)
			centre, err := h3CellCenter(cell)
			if err != nil {
				t.Fatal(err)
			}
			boundary, err := h3CellBoundary(cell)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range boundary {
				if d := DistanceM(centre, b); d > exact*(1+1e-9) {
					t.Fatalf("res %d cell %x: vertex %.2f m from centre, bound %.2f m", res, cell, d, exact)
				}
			}
		}
	}
}

func TestRoundDiv7(t *testing.T) {
	t.Parallel()
	for n := -1000; n <= 1000; n++ {
		if got, want := roundDiv7(n), int(math.Round(float64(n)/7)); got != want {
			t.Fatalf("roundDiv7(%d) = %d, want %d", n, got, want)
		}
	}
}

func BenchmarkCellOf(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]Point, 1024)
	for i := range pts {
		pts[i] = offset(shanghai, (rng.Float64()-0.5)*50_000, (rng.Float64()-0.5)*50_000)
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	i := 0
	var sink uint64
	cpu := threadCPU()
	for b.Loop() {
		sink ^= cellOf(pts[i%len(pts)], defaultRes)
		i++
	}
	reportCPU(b, threadCPU()-cpu, "cells")
	_ = sink
}

// BenchmarkH3LatLngToCell is the cgo call cellOf replaces, for comparison.
func BenchmarkH3LatLngToCell(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]Point, 1024)
	for i := range pts {
		pts[i] = offset(shanghai, (rng.Float64()-0.5)*50_000, (rng.Float64()-0.5)*50_000)
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	i := 0
	var sink uint64
	cpu := threadCPU()
	for b.Loop() {
		c, _ := h3LatLngToCell(pts[i%len(pts)], defaultRes)
		sink ^= c
		i++
	}
	reportCPU(b, threadCPU()-cpu, "cells")
	_ = sink
}
