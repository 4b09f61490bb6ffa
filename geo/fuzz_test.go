package geo

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

var fuzzCRS = [...]CRS{WGS84, GCJ02, BD09}

// FuzzToWGS84: conversions never panic, accept exactly the valid points,
// return valid points, and invert each other wherever the guard rectangle
// treats input and output alike.
func FuzzToWGS84(f *testing.F) {
	f.Add(31.17530398364597, 121.531541859215, uint8(1))
	f.Add(39.915, 116.404, uint8(2))
	f.Add(55.8271, 137.8347, uint8(1))
	f.Add(0.8293, 72.004, uint8(2))
	f.Add(51.5, -0.12, uint8(1))
	f.Add(math.NaN(), 0.0, uint8(0))
	f.Add(90.0, 180.0, uint8(2))
	f.Fuzz(func(t *testing.T, lat, lng float64, which uint8) {
		c := fuzzCRS[int(which)%len(fuzzCRS)]
		p := Point{lat, lng}
		w, err := ToWGS84(p, c)
		if p.Validate() != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ToWGS84(%v) accepted an invalid point: %v, %v", p, w, err)
			}
			return
		}
		if err != nil || w.Validate() != nil {
			t.Fatalf("ToWGS84(%v, %s) = %v, %v", p, c, w, err)
		}
		back, err := FromWGS84(w, c)
		if err != nil || back.Validate() != nil {
			t.Fatalf("FromWGS84(%v, %s) = %v, %v", w, c, back, err)
		}
		sameSide := inChinaGuard(w) == inChinaGuard(p)
		if c == BD09 {
			sameSide = sameSide && inChinaGuard(bdToGCJExact(p)) == inChinaGuard(p)
		}
		if sameSide && (math.Abs(back.Lat-p.Lat) > 1e-9 || math.Abs(back.Lng-p.Lng) > 1e-9) {
			t.Fatalf("round trip %v → %v → %v (%s)", p, w, back, c)
		}
	})
}

// fuzzBases are the places FuzzFenceValidate draws fences around.
var fuzzBases = [...]Point{shanghai, {-33.87, 151.21}, {84.9, 10}, {-16.8, 179.99}, {0, 0}, {64.7, 10.5}}

// FuzzFenceValidate builds a circle or polygon from the fuzz bytes (byte 0:
// kind and place, byte 1: scale, then int16 east/north offsets). Validate
// must never panic, must reject with a *FenceError, and a fence it accepts
// must behave: finite distances everywhere, vertices on the boundary, points
// outside Bounds outside the fence.
func FuzzFenceValidate(f *testing.F) {
	f.Add([]byte{0, 10, 0, 10, 0, 0})
	f.Add([]byte{1, 20, 0, 0, 0, 100, 100, 100, 100, 0})
	f.Add([]byte{1, 20, 0, 0, 100, 100, 0, 100, 100, 0})
	f.Add([]byte{7, 255, 0, 0, 0, 100, 100, 100, 100, 0, 0, 0})
	f.Add([]byte{3, 5, 0, 0, 0, 10, 10, 10})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		base := fuzzBases[int(data[0]>>1)%len(fuzzBases)]
		scale := math.Pow(1.1, float64(data[1])-60) // 0.003 m … 3.5 km per unit
		var offsets []float64
		for b := data[2:]; len(b) >= 2; b = b[2:] {
			offsets = append(offsets, float64(int16(binary.LittleEndian.Uint16(b)))*scale)
		}
		var fence Fence
		if data[0]&1 == 0 {
			fence = Fence{Kind: Circle, Center: base}
			if len(offsets) > 0 {
				fence.RadiusM = offsets[0]
			}
		} else {
			fence.Kind = Polygon
			for i := 0; i+1 < len(offsets); i += 2 {
				fence.Points = append(fence.Points, offset(base, offsets[i], offsets[i+1]))
			}
		}
		err := fence.Validate()
		if err != nil {
			var fe *FenceError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || fe.Code == "" || fe.Msg == "" {
				t.Fatalf("Validate() = %#v, want a *FenceError", err)
			}
			return
		}
		b := fence.Bounds()
		if b.Min.Validate() != nil || b.Max.Validate() != nil || b.Min.Lat > b.Max.Lat || b.Min.Lng > b.Max.Lng {
			t.Fatalf("Bounds() = %+v", b)
		}
		probes := []Point{
			{(b.Min.Lat + b.Max.Lat) / 2, (b.Min.Lng + b.Max.Lng) / 2},
			base, {b.Min.Lat - 1e-6, b.Min.Lng}, {b.Max.Lat, b.Max.Lng + 1e-6}, {-base.Lat, base.Lng + 90},
		}
		for _, p := range probes {
			d := fence.SignedDistanceM(p)
			if math.IsNaN(d) || math.IsInf(d, 0) {
				t.Fatalf("SignedDistanceM(%v) = %v for a valid fence", p, d)
			}
			outsideBounds := p.Lat < b.Min.Lat || p.Lat > b.Max.Lat || p.Lng < b.Min.Lng || p.Lng > b.Max.Lng
			if outsideBounds && d <= 0 {
				t.Fatalf("%v lies outside Bounds %+v but SignedDistanceM = %v", p, b, d)
			}
		}
		for _, v := range fence.Points {
			if d := fence.SignedDistanceM(v); math.Abs(d) > 1e-3 {
				t.Fatalf("vertex %v has SignedDistanceM %v, want ≈ 0", v, d)
			}
		}
	})
}

var fuzzIndex = sync.OnceValues(func() (*Index, *exactScanner) {
	rng := rand.New(rand.NewPCG(21, 21))
	sites := mixedSites(rng, shanghai)
	ix, err := NewIndex(sites)
	if err != nil {
		panic(err)
	}
	return ix, newExactScanner(sites)
})

// FuzzIndexLocate: for any point (east/north metres from a fixed test city,
// or raw coordinates) and any accuracy and slack, Locate returns exactly the
// exact scan's hits, sorted, with finite distances.
func FuzzIndexLocate(f *testing.F) {
	f.Add(0.0, 0.0, 10.0, 100.0, false)
	f.Add(1234.5, -777.0, 600.0, math.Inf(1), false)
	f.Add(-3000.0, 2500.0, 0.0, 50.0, false)
	f.Add(31.2304, 121.4737, 25.0, 100.0, true)
	f.Add(math.NaN(), 1.0, 5.0, 5.0, true)
	f.Fuzz(func(t *testing.T, x, y, accuracy, slack float64, raw bool) {
		ix, ref := fuzzIndex()
		p := Point{x, y}
		if !raw {
			p = offset(shanghai, math.Mod(x, 20_000), math.Mod(y, 20_000))
		}
		got := ix.Locate(p, accuracy, slack)
		if p.Validate() != nil {
			if len(got) != 0 {
				t.Fatalf("hits for invalid point %v: %v", p, got)
			}
			return
		}
		for i, h := range got {
			if math.IsNaN(h.SignedDistanceM) || h.Containment == Outside || (i > 0 && hitLess(h, got[i-1])) {
				t.Fatalf("bad hit %d in %+v", i, got)
			}
		}
		if want := ref.locate(p, accuracy, slack); !sameHits(got, want) {
			t.Fatalf("Locate(%v, %v, %v):\n got %+v\nwant %+v", p, accuracy, slack, got, want)
		}
	})
}
