package media

import (
	"image"
	"image/color"
	"testing"
)

func TestShrinkYCbCrMatchesBlockAverage(t *testing.T) {
	t.Parallel()
	src := photo(97, 61, 12) // odd sizes: trailing pixels and partial chroma blocks
	ratios := map[string]image.YCbCrSubsampleRatio{
		"444": image.YCbCrSubsampleRatio444, "422": image.YCbCrSubsampleRatio422,
		"420": image.YCbCrSubsampleRatio420, "440": image.YCbCrSubsampleRatio440,
		"411": image.YCbCrSubsampleRatio411, "410": image.YCbCrSubsampleRatio410,
	}
	for name, ratio := range ratios {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ycc := image.NewYCbCr(src.Rect, ratio)
			for y := range src.Rect.Dy() {
				for x := range src.Rect.Dx() {
					c := src.NRGBAAt(x, y)
					yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
					ycc.Y[ycc.YOffset(x, y)] = yy
					ycc.Cb[ycc.COffset(x, y)] = cb
					ycc.Cr[ycc.COffset(x, y)] = cr
				}
			}
			// Averaging YCbCr and converting once differs from converting
			// and averaging only where a channel clips at 0 or 255, so a few
			// samples may be off by several levels but the mean error is tiny.
			for _, k := range []int{2, 3, 5} {
				var sumErr, samples int
				got := shrinkYCbCr(ycc, k)
				if got.Rect.Dx() != 97/k || got.Rect.Dy() != 61/k {
					t.Fatalf("k=%d: size %v", k, got.Rect)
				}
				for oy := range got.Rect.Dy() {
					for ox := range got.Rect.Dx() {
						var sum [3]int
						for dy := range k {
							for dx := range k {
								c := color.NRGBAModel.Convert(ycc.At(ox*k+dx, oy*k+dy)).(color.NRGBA)
								sum[0] += int(c.R)
								sum[1] += int(c.G)
								sum[2] += int(c.B)
							}
						}
						g := got.NRGBAAt(ox, oy)
						for i, v := range []uint8{g.R, g.G, g.B} {
							d := int(v) - sum[i]/(k*k)
							if d < -12 || d > 12 {
								t.Fatalf("k=%d (%d,%d) channel %d: got %d, block average %d", k, ox, oy, i, v, sum[i]/(k*k))
							}
							sumErr += max(d, -d)
							samples++
						}
						if g.A != 0xFF {
							t.Fatalf("k=%d: alpha %d", k, g.A)
						}
					}
				}
				if mean := float64(sumErr) / float64(samples); mean > 1 {
					t.Errorf("k=%d: mean absolute error %.2f levels", k, mean)
				}
			}
		})
	}
}

func TestFit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		img        image.Image
		max        int
		wantW, wan int
	}{
		{"SmallerIsKept", image.NewNRGBA(image.Rect(0, 0, 300, 200)), 400, 300, 200},
		{"LandscapeLongEdge", image.NewNRGBA(image.Rect(0, 0, 800, 600)), 320, 320, 240},
		{"PortraitLongEdge", image.NewYCbCr(image.Rect(0, 0, 600, 800), image.YCbCrSubsampleRatio420), 320, 240, 320},
		{"ExactIntegerFactorSkipsLanczos", image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420), 320, 320, 240},
		{"NonZeroOrigin", image.NewYCbCr(image.Rect(10, 20, 810, 620), image.YCbCrSubsampleRatio422), 320, 320, 240},
		{"ExtremePanoramaKeepsOnePixel", image.NewYCbCr(image.Rect(0, 0, 20000, 5), image.YCbCrSubsampleRatio420), 1600, 1600, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := fit(tc.img, tc.max)
			if got.Rect.Dx() != tc.wantW || got.Rect.Dy() != tc.wan {
				t.Errorf("fit = %d×%d, want %d×%d", got.Rect.Dx(), got.Rect.Dy(), tc.wantW, tc.wan)
			}
		})
	}
}
