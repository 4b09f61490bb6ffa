package media

import (
	"bytes"
	"image"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dakahq/daka/media/mediatest"
)

// bench12MP is a 4000×3000 photo-like JPEG at quality 90, generated once.
var bench12MP = sync.OnceValue(func() []byte {
	return mediatest.JPEG(&testing.B{}, photo(4000, 3000, 42), 90)
})

// peakHeap samples the live heap every millisecond until stop is called and
// returns the highest value seen above the live heap at the start.
// runtime/metrics reads without stopping the world, so sampling barely
// perturbs the benchmark.
func peakHeap() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return max(peak.Load(), base) - base
	}
}

// BenchmarkProcess12MP measures the whole pipeline on a 12 MP phone-sized
// JPEG: sniff, limits, EXIF, decode, downscale to 1600 px, orient, thumbnail,
// four perceptual hashes and two JPEG encodes. Besides ns/op and allocs it
// reports the process CPU time per op (cpu-ms/op: steadier than wall time on
// a shared machine), the peak live heap above the starting heap
// (peak-heap-MiB) and the input size.
func BenchmarkProcess12MP(b *testing.B) {
	in := bench12MP()
	runtime.GC()
	stop := peakHeap()
	cpu0 := cpuTime()
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Process(bytes.NewReader(in), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(len(in))/1e6, "input-MB")
}

// BenchmarkStages12MP splits the pipeline so the cost of each step is visible.
func BenchmarkStages12MP(b *testing.B) {
	in := bench12MP()
	src, err := decodePixels(FormatJPEG, in)
	if err != nil {
		b.Fatal(err)
	}
	norm := fit(src, DefaultNormalizedMaxSide)
	b.Run("Decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodePixels(FormatJPEG, in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FitTo1600", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fit(src, DefaultNormalizedMaxSide)
		}
	})
	b.Run("Thumbnail", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			fit(norm, DefaultThumbMaxSide)
		}
	})
	b.Run("PHashWithRotations", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := perceptualHashes(norm); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("EncodeNormalized", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := encodeJPEG(norm, DefaultJPEGQuality); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SHA256AndEXIF", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = sha256Sum(in)
			_ = ExtractEXIF(in)
		}
	})
	var _ image.Image = norm
}
