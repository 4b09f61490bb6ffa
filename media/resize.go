package media

import (
	"image"
	"image/color"
	"runtime"
	"sync"

	"github.com/disintegration/imaging"
)

// fit scales img down (never up) so its long edge is at most maxSide, keeping
// the aspect ratio and at least one pixel on each edge.
//
// A YCbCr source (JPEG, lossy WebP) two or more times too large is first
// box-averaged by an integer factor in YCbCr space, converting each output
// pixel to RGB once instead of every source pixel; Lanczos then covers the
// remaining factor (< 2). On a 12 MP photo this is about 3× faster than
// Lanczos alone, which mostly spends its time converting 12 M pixels.
func fit(img image.Image, maxSide int) *image.NRGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if w <= maxSide && h <= maxSide {
		return imaging.Clone(img)
	}
	tw, th := maxSide, maxSide
	if w >= h {
		th = max(1, int(float64(h)*float64(maxSide)/float64(w)+0.5))
	} else {
		tw = max(1, int(float64(w)*float64(maxSide)/float64(h)+0.5))
	}
	if ycc, ok := img.(*image.YCbCr); ok {
		if k := max(w, h) / maxSide; k >= 2 && min(w, h)/k >= 1 {
			small := shrinkYCbCr(ycc, k)
			if small.Rect.Dx() == tw && small.Rect.Dy() == th {
				return small
			}
			img = small
		}
	}
	return imaging.Resize(img, tw, th, imaging.Lanczos)
}

// shrinkYCbCr averages k×k blocks of src (any chroma subsampling) into an
// opaque NRGBA of size ⌊w/k⌋×⌊h/k⌋; the at most k-1 trailing columns and rows
// that do not fill a block are dropped. Chroma is averaged per luma pixel, so
// every subsampling ratio is weighted correctly without special cases.
func shrinkYCbCr(src *image.YCbCr, k int) *image.NRGBA {
	r := src.Rect
	w, h := r.Dx()/k, r.Dy()/k
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	n, half := k*k, k*k/2
	rows := func(y0, y1 int) {
		for oy := y0; oy < y1; oy++ {
			out := dst.Pix[oy*dst.Stride:]
			for ox := range w {
				var sy, scb, scr int
				for dy := range k {
					y := r.Min.Y + oy*k + dy
					x0 := r.Min.X + ox*k
					yi := src.YOffset(x0, y)
					for dx := range k {
						sy += int(src.Y[yi+dx])
						ci := src.COffset(x0+dx, y)
						scb += int(src.Cb[ci])
						scr += int(src.Cr[ci])
					}
				}
				cr, cg, cb := color.YCbCrToRGB(uint8((sy+half)/n), uint8((scb+half)/n), uint8((scr+half)/n))
				o := out[4*ox : 4*ox+4 : 4*ox+4]
				o[0], o[1], o[2], o[3] = cr, cg, cb, 0xFF
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, h/64))
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { rows(h*i/workers, h*(i+1)/workers) })
	}
	wg.Wait()
	return dst
}
