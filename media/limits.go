package media

// Default limits; see Limits for what each bounds.
const (
	DefaultMaxBytes          = 25 << 20 // a 48 MP phone JPEG is 8–15 MB
	DefaultMaxPixels         = 40_000_000
	DefaultMinSide           = 64
	DefaultNormalizedMaxSide = 1600
	DefaultThumbMaxSide      = 320
	DefaultJPEGQuality       = 85
	DefaultMaxDecodeBytes    = 256 << 20
)

// Limits bounds the work and memory of one Process call. A zero field takes
// its default, so Limits{} is the default policy.
type Limits struct {
	// MaxBytes is the largest accepted input, counted while reading.
	MaxBytes int64
	// MaxPixels is the largest accepted width×height, checked from the image
	// header before decoding (decompression-bomb guard). Phones with 50 MP or
	// larger "high resolution" modes exceed the default; the app should
	// downscale before uploading.
	MaxPixels int64
	// MaxDecodeBytes bounds the estimated memory the decoder allocates for one
	// image, checked from the header before decoding. Bytes per pixel vary:
	// 1.5 for a baseline 4:2:0 JPEG, 4 for RGBA PNG, 8 for 16-bit PNG, and a
	// progressive JPEG adds 4 bytes per sample of coefficient buffers. The
	// default admits every 8-bit image up to DefaultMaxPixels and a
	// progressive 12 MP JPEG even at 4:4:4.
	MaxDecodeBytes int64
	// MinSide is the smallest accepted short edge in pixels, before resizing.
	MinSide int
	// NormalizedMaxSide is the long edge of the normalized JPEG. Smaller images
	// are not upscaled.
	NormalizedMaxSide int
	// ThumbMaxSide is the long edge of the thumbnail.
	ThumbMaxSide int
	// JPEGQuality is the encoder quality (1–100) of both derivatives.
	JPEGQuality int
}

// withDefaults returns l with every zero or invalid field replaced by its default.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = DefaultMaxPixels
	}
	if l.MaxDecodeBytes <= 0 {
		l.MaxDecodeBytes = DefaultMaxDecodeBytes
	}
	if l.MinSide <= 0 {
		l.MinSide = DefaultMinSide
	}
	if l.NormalizedMaxSide <= 0 {
		l.NormalizedMaxSide = DefaultNormalizedMaxSide
	}
	if l.ThumbMaxSide <= 0 {
		l.ThumbMaxSide = DefaultThumbMaxSide
	}
	if l.JPEGQuality <= 0 || l.JPEGQuality > 100 {
		l.JPEGQuality = DefaultJPEGQuality
	}
	return l
}
