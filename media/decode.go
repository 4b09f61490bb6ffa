package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"
)

// decodeConfig reads only the header of b and returns its dimensions and
// colour model. Hostile headers cannot make it allocate pixel memory.
func decodeConfig(format string, b []byte) (cfg image.Config, err error) {
	defer recoverAsCorrupt(&err)
	r := bytes.NewReader(b)
	switch format {
	case FormatJPEG:
		cfg, err = jpeg.DecodeConfig(r)
	case FormatPNG:
		cfg, err = png.DecodeConfig(r)
	case FormatWebP:
		cfg, err = webp.DecodeConfig(r)
	default:
		return cfg, fmt.Errorf("%w: no decoder for %q", ErrCorrupt, format)
	}
	if err != nil {
		return cfg, fmt.Errorf("%w: header: %w", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, fmt.Errorf("%w: header declares %d×%d pixels", ErrCorrupt, cfg.Width, cfg.Height)
	}
	return cfg, nil
}

// decodePixels decodes b fully. Call it only after the header passed the
// limits: this is where memory is allocated.
func decodePixels(format string, b []byte) (img image.Image, err error) {
	defer recoverAsCorrupt(&err)
	r := bytes.NewReader(b)
	switch format {
	case FormatJPEG:
		img, err = jpeg.Decode(r)
	case FormatPNG:
		img, err = png.Decode(r)
	case FormatWebP:
		img, err = webp.Decode(r)
	default:
		return nil, fmt.Errorf("%w: no decoder for %q", ErrCorrupt, format)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return img, nil
}

// recoverAsCorrupt turns a panic in a third-party decoder into ErrCorrupt.
// It must be deferred directly by the function whose error it sets.
func recoverAsCorrupt(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%w: decoder panicked: %v", ErrCorrupt, p)
	}
}

// decodeCost estimates the bytes the decoder allocates for the pixels of an
// image with this header. It is an upper-bound-minded estimate, not exact: it
// only has to separate ordinary photos from ones that would need far more
// memory than their pixel count suggests.
func decodeCost(format string, b []byte, cfg image.Config) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch format {
	case FormatPNG:
		bpp := int64(4)
		switch cfg.ColorModel {
		case color.GrayModel:
			bpp = 1
		case color.Gray16Model:
			bpp = 2
		case color.RGBA64Model, color.NRGBA64Model:
			bpp = 8
		default:
			if _, ok := cfg.ColorModel.(color.Palette); ok {
				bpp = 1
			}
		}
		// Interlaced (Adam7) images decode each pass into its own buffer
		// before merging, so they need about twice the memory.
		if len(b) > 28 && b[28] == 1 {
			bpp *= 2
		}
		return px * bpp
	case FormatJPEG:
		return jpegCost(b, px)
	default: // WebP: lossless decodes to NRGBA, lossy to YCbCr plus alpha.
		return px * 4
	}
}

// jpegCost estimates the decoder memory of a JPEG: the output planes (one
// byte per sample; 4-component and unsubsampled 3-component images may be
// converted to a 4-byte-per-pixel CMYK/RGBA copy) plus, for progressive
// JPEGs, the coefficient buffers the decoder keeps for every block of every
// component until the last scan (64 int32 per 8×8 block: 4 bytes per sample).
func jpegCost(b []byte, px int64) int64 {
	progressive, nc, samplesPerPixel := jpegFrame(b)
	cost := float64(px) * samplesPerPixel
	if nc == 4 || (nc == 3 && samplesPerPixel == 3) {
		cost += float64(px) * 4
	}
	if progressive {
		cost += float64(px) * samplesPerPixel * 4
	}
	return int64(cost)
}

// jpegFrame walks the JPEG marker segments up to the first start-of-frame and
// reports whether it is progressive, its component count, and how many
// samples per pixel its components hold after chroma subsampling (3 for 4:4:4,
// 1.5 for 4:2:0). A malformed stream reports the worst case the decoder could
// be asked for.
func jpegFrame(b []byte) (progressive bool, components int, samplesPerPixel float64) {
	const worstComponents, worstSamples = 4, 4
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF { // garbage between segments: the stdlib decoder skips it too
			i++
			continue
		}
		marker := b[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) {
			i += 2
			continue
		}
		n := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		if n < 2 || i+2+n > len(b) {
			return true, worstComponents, worstSamples
		}
		seg := b[i+4 : i+2+n]
		isSOF := marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
		if isSOF {
			if len(seg) < 6 {
				return true, worstComponents, worstSamples
			}
			nc := int(seg[5])
			if nc < 1 || len(seg) < 6+3*nc {
				return true, worstComponents, worstSamples
			}
			hMax, vMax := 1, 1
			for c := range nc {
				s := seg[6+3*c+1]
				hMax = max(hMax, int(s>>4))
				vMax = max(vMax, int(s&0x0F))
			}
			for c := range nc {
				s := seg[6+3*c+1]
				samplesPerPixel += float64(int(s>>4)*int(s&0x0F)) / float64(hMax*vMax)
			}
			progressive = marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE
			return progressive, nc, samplesPerPixel
		}
		i += 2 + n
	}
	return true, worstComponents, worstSamples
}
