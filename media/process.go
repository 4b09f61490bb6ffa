package media

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"io"
)

// Processed is an accepted photo: what Daka stores (the two JPEG derivatives)
// and what it indexes (hashes, EXIF claims, dimensions). The original bytes
// are deliberately not part of it: they carry GPS and device metadata, and
// SHA256 already identifies exact duplicates.
type Processed struct {
	// Format is the sniffed input type: FormatJPEG, FormatPNG or FormatWebP.
	Format string
	// Width and Height are the original's pixel size, upright (after the EXIF
	// orientation is applied).
	Width, Height int
	// SHA256 is the digest of the original bytes exactly as received.
	SHA256 [32]byte
	// PHash is the 64-bit perceptual hash of the upright image
	// (PHashRotations[0]).
	PHash uint64
	// PHashRotations are the hashes of the upright image turned clockwise by
	// 0, 90, 180 and 270 degrees; see MinRotationDistance.
	PHashRotations [4]uint64
	// EXIF holds the metadata read from the original before stripping.
	EXIF EXIF
	// Normalized is an upright baseline JPEG with no metadata, long edge at
	// most Limits.NormalizedMaxSide (never upscaled).
	Normalized []byte
	// NormalizedW and NormalizedH are Normalized's pixel size.
	NormalizedW, NormalizedH int
	// Thumbnail is an upright baseline JPEG with no metadata, long edge at
	// most Limits.ThumbMaxSide (never upscaled).
	Thumbnail []byte
	// ThumbW and ThumbH are Thumbnail's pixel size.
	ThumbW, ThumbH int
}

// ContentType is the MIME type of both derivatives.
const ContentType = "image/jpeg"

// Process validates, decodes and normalises one uploaded photo; see the
// package documentation for the invariants. It reads r to EOF or to
// lim.MaxBytes+1 bytes, whichever is first. Errors wrap ErrUnsupportedType,
// ErrTooLarge, ErrTooSmall or ErrCorrupt, except a failing reader, whose
// error is returned wrapped as is.
func Process(r io.Reader, lim Limits) (*Processed, error) {
	lim = lim.withDefaults()
	data, err := readAtMost(r, lim.MaxBytes)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrCorrupt)
	}
	format, unsupported := sniff(data)
	if format == "" {
		return nil, &UnsupportedTypeError{Type: unsupported}
	}

	cfg, err := decodeConfig(format, data)
	if err != nil {
		return nil, err
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.MaxPixels {
		return nil, fmt.Errorf("%w: %d×%d is %d pixels, limit %d", ErrTooLarge, cfg.Width, cfg.Height, px, lim.MaxPixels)
	}
	if cost := decodeCost(format, data, cfg); cost > lim.MaxDecodeBytes {
		return nil, fmt.Errorf("%w: decoding %d×%d %s needs about %d MB, limit %d MB",
			ErrTooLarge, cfg.Width, cfg.Height, format, cost>>20, lim.MaxDecodeBytes>>20)
	}
	if min(cfg.Width, cfg.Height) < lim.MinSide {
		return nil, fmt.Errorf("%w: %d×%d, short edge must be at least %d", ErrTooSmall, cfg.Width, cfg.Height, lim.MinSide)
	}

	p := &Processed{Format: format, SHA256: sha256.Sum256(data), EXIF: ExtractEXIF(data)}
	p.Width, p.Height = cfg.Width, cfg.Height
	if swapsAxes(p.EXIF.Orientation) {
		p.Width, p.Height = p.Height, p.Width
	}

	img, err := decodePixels(format, data)
	if err != nil {
		return nil, err
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: header says %d×%d, pixels are %d×%d", ErrCorrupt, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}

	// Downscale first and orient the small result: the same pixels as
	// orienting first, without a full-resolution NRGBA copy.
	norm := orient(fit(img, lim.NormalizedMaxSide), p.EXIF.Orientation)
	flattenOnWhite(norm)
	thumb := fit(norm, lim.ThumbMaxSide)

	if p.PHashRotations, err = perceptualHashes(norm); err != nil {
		return nil, err
	}
	p.PHash = p.PHashRotations[0]
	if p.Normalized, err = encodeJPEG(norm, lim.JPEGQuality); err != nil {
		return nil, err
	}
	if p.Thumbnail, err = encodeJPEG(thumb, lim.JPEGQuality); err != nil {
		return nil, err
	}
	p.NormalizedW, p.NormalizedH = norm.Rect.Dx(), norm.Rect.Dy()
	p.ThumbW, p.ThumbH = thumb.Rect.Dx(), thumb.Rect.Dy()
	return p, nil
}

// readAtMost reads r to EOF, failing with ErrTooLarge as soon as more than
// limit bytes arrive, so an oversized upload costs at most limit+1 bytes.
func readAtMost(r io.Reader, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("media: read upload: %w", err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return buf.Bytes(), nil
}

// flattenOnWhite composites any transparency onto white in place: JPEG has no
// alpha, and the encoder would otherwise turn transparent pixels black.
func flattenOnWhite(img *image.NRGBA) {
	if img.Opaque() {
		return
	}
	bg := image.NewNRGBA(img.Rect)
	draw.Draw(bg, bg.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(bg, bg.Rect, img, img.Rect.Min, draw.Over)
	copy(img.Pix, bg.Pix)
}

// encodeJPEG writes a baseline JPEG of img. The stdlib encoder writes only
// SOI, DQT, SOF0, DHT, SOS and EOI: no APP segment, hence no metadata.
func encodeJPEG(img *image.NRGBA, quality int) ([]byte, error) {
	var buf bytes.Buffer
	// img is opaque here, so its non-premultiplied pixels are also valid
	// premultiplied RGBA; the encoder's fast path for *image.RGBA applies.
	rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	if err := jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("media: encode jpeg: %w", err)
	}
	return buf.Bytes(), nil
}
