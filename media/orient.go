package media

import (
	"image"

	"github.com/disintegration/imaging"
)

// orient applies an EXIF orientation (1–8) so the image is upright. imaging's
// Rotate90 turns counter-clockwise; EXIF 6 ("rotate 90 CW to display") is
// therefore Rotate270. The mapping is imaging's own fixOrientation, which it
// applies only to JPEG files it decodes itself.
func orient(img image.Image, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	if n, ok := img.(*image.NRGBA); ok {
		return n
	}
	return imaging.Clone(img)
}

// swapsAxes reports whether orientation o turns the image by 90° (5–8), so the
// upright width is the stored height.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }
