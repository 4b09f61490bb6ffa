package media

import (
	"bytes"
	"encoding/binary"
)

// Accepted formats, as reported in Processed.Format.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
	FormatWebP = "webp"
)

// sniff names the container in b from its magic bytes. It returns one of the
// Format constants, or "" and the unsupported type's short name.
func sniff(b []byte) (format, unsupported string) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return FormatJPEG, ""
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG, ""
	case len(b) >= 12 && string(b[0:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return FormatWebP, ""
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return "", "gif"
	case bytes.HasPrefix(b, []byte("BM")):
		return "", "bmp"
	case bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")):
		return "", "tiff"
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return "", isoBrandType(b)
	}
	return "", "unknown"
}

// heifBrands are the ISO-BMFF brands of HEIF still images (ISO/IEC 23008-12):
// iPhones write major brand "heic" with compatible "mif1"; "mif1"/"msf1" are
// the generic HEIF structural brands.
var heifBrands = map[string]bool{
	"heic": true, "heix": true, "hevc": true, "hevx": true, "heim": true,
	"heis": true, "hevm": true, "hevs": true, "mif1": true, "msf1": true,
}

// isoBrandType classifies an ISO-BMFF file by its ftyp box: the major brand,
// then (if inconclusive) the compatible brands. AVIF is checked first because
// AVIF files also list the generic "mif1" brand.
func isoBrandType(b []byte) string {
	size := int(binary.BigEndian.Uint32(b[0:4]))
	if size < 16 || size > len(b) {
		size = min(len(b), 64)
	}
	brands := []string{string(b[8:12])}
	for off := 16; off+4 <= size; off += 4 {
		brands = append(brands, string(b[off:off+4]))
	}
	for _, br := range brands {
		if br == "avif" || br == "avis" {
			return "avif"
		}
	}
	for _, br := range brands {
		if heifBrands[br] {
			return "heic"
		}
	}
	return "video"
}
