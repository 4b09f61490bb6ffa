package media

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/evanoberholster/imagemeta"
	"github.com/evanoberholster/imagemeta/exif2"
)

// EXIF is the metadata Daka keeps from a photo, read before the derivatives
// strip it. Every field is a claim made by the uploading device; use it for
// consistency checks (capture time vs receive time, EXIF GPS vs punch GPS),
// never as proof. The zero value means "no EXIF".
type EXIF struct {
	// CaptureTime is DateTimeOriginal (falling back to DateTimeDigitized),
	// with sub-seconds. When CaptureOffsetKnown is true it carries the
	// OffsetTimeOriginal zone and is a real instant. When false the camera did
	// not record its UTC offset: CaptureTime then holds the camera's wall-clock
	// reading in time.UTC and is NOT an instant; interpret it in the site's
	// time zone. Nil when absent or unparseable.
	CaptureTime *time.Time
	// CaptureOffsetKnown reports whether CaptureTime carries a recorded offset.
	CaptureOffsetKnown bool
	// GPS is the position the camera recorded, or nil.
	GPS *GPS
	// Make, Model and Software are the camera's IFD0 strings, trimmed, made
	// valid UTF-8 without control characters, and capped at 128 bytes.
	Make, Model, Software string
	// Orientation is the EXIF orientation tag (1–8) the pipeline applied, or 0
	// when absent.
	Orientation int
}

// GPS is an EXIF position in WGS-84 degrees.
type GPS struct {
	Lat, Lng float64
	// AltitudeM is metres above sea level (negative below), or nil when the
	// photo has none.
	AltitudeM *float64
}

// maxEXIFString caps the EXIF strings kept, so a hostile file cannot make the
// metadata row large.
const maxEXIFString = 128

// ExtractEXIF reads the EXIF of an image without decoding its pixels. It
// understands JPEG (APP1), PNG (eXIf chunk), WebP (EXIF chunk) and, best
// effort, HEIC, so metadata of a photo Process refuses can still be logged.
// It never fails: missing, truncated or hostile metadata yields a zero EXIF.
//
// The containers are walked by this package; imagemeta only ever sees the
// bare TIFF structure. Its JPEG scanner loops forever on some malformed
// marker sequences (found by FuzzProcess), which recover cannot stop.
func ExtractEXIF(b []byte) EXIF {
	format, unsupported := sniff(b)
	switch {
	case format == FormatJPEG:
		return readTIFF(jpegEXIF(b))
	case format == FormatPNG:
		return readTIFF(pngEXIF(b))
	case format == FormatWebP:
		return readTIFF(webpEXIF(b))
	case unsupported == "heic":
		return readTIFF(heifEXIF(b))
	}
	return EXIF{}
}

// readTIFF reads a bare TIFF/EXIF structure.
func readTIFF(tiff []byte) EXIF {
	if len(tiff) < 8 {
		return EXIF{}
	}
	if len(tiff) < 64 {
		// imagemeta sniffs the first bytes before parsing; zero padding past the
		// structure is never referenced by a valid IFD.
		tiff = append(tiff[:len(tiff):len(tiff)], make([]byte, 64-len(tiff))...)
	}
	return readEXIF(func() (exif2.Exif, error) { return imagemeta.DecodeTiff(bytes.NewReader(tiff)) })
}

// readEXIF runs an imagemeta decoder behind recover and converts its result.
// imagemeta returns partial data together with an error for truncated files;
// whatever it recovered is kept.
func readEXIF(decode func() (exif2.Exif, error)) (out EXIF) {
	defer func() {
		if recover() != nil {
			out = EXIF{}
		}
	}()
	e, _ := decode()
	return convertEXIF(e)
}

func convertEXIF(e exif2.Exif) EXIF {
	out := EXIF{
		Make:     cleanEXIFString(e.Make),
		Model:    cleanEXIFString(e.Model),
		Software: cleanEXIFString(e.Software),
	}
	if o := int(e.Orientation); o >= 1 && o <= 8 {
		out.Orientation = o
	}
	t := e.DateTimeOriginal()
	if !plausibleCaptureTime(t) {
		t = e.CreateDate()
	}
	if plausibleCaptureTime(t) {
		out.CaptureTime = &t
		// imagemeta leaves the time in time.UTC when no offset tag exists and
		// in a FixedZone named after the tag (even "+00:00") when one does.
		out.CaptureOffsetKnown = t.Location() != time.UTC
	}
	lat, lng := e.GPS.Latitude(), e.GPS.Longitude()
	if validCoordinate(lat, lng) && (lat != 0 || lng != 0) {
		g := &GPS{Lat: lat, Lng: lng}
		// imagemeta has no presence flag for altitude: an exact 0 (sea level
		// to the millimetre) is treated as absent.
		if alt := float64(e.GPS.Altitude()); alt != 0 && !math.IsNaN(alt) && !math.IsInf(alt, 0) && math.Abs(alt) < 100_000 {
			g.AltitudeM = &alt
		}
		out.GPS = g
	}
	return out
}

// plausibleCaptureTime rejects absent ("0000:00:00 00:00:00" normalises to
// year -1) and nonsense years, so CaptureTime is nil rather than misleading.
func plausibleCaptureTime(t time.Time) bool {
	return !t.IsZero() && t.Year() >= 1990 && t.Year() <= 2200
}

func validCoordinate(lat, lng float64) bool {
	return !math.IsNaN(lat) && !math.IsNaN(lng) &&
		lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180
}

// cleanEXIFString makes an EXIF ASCII value safe to store and display: it
// ends at the first NUL (EXIF strings are C strings), drops invalid UTF-8 and
// control characters, trims spaces and caps the length.
func cleanEXIFString(s string) string {
	s, _, _ = strings.Cut(s, "\x00")
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	for len(s) > maxEXIFString {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// exifPrefix starts the EXIF payload of a JPEG APP1 segment and, usually, of
// the Exif item in HEIF files.
const exifPrefix = "Exif\x00\x00"

// jpegEXIF returns the TIFF structure of the first APP1 "Exif" segment, or
// nil. It walks segment headers up to start-of-scan and never reads past b.
func jpegEXIF(b []byte) []byte {
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			return nil
		}
		marker := b[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0x01 || marker >= 0xD0 && marker <= 0xD8: // no length field
			i += 2
			continue
		case marker == 0xD9 || marker == 0xDA: // end of image, start of scan
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[i+2 : i+4]))
		if n < 2 || i+2+n > len(b) {
			return nil
		}
		if seg := b[i+4 : i+2+n]; marker == 0xE1 && bytes.HasPrefix(seg, []byte(exifPrefix)) {
			return seg[len(exifPrefix):]
		}
		i += 2 + n
	}
	return nil
}

// heifEXIF finds the Exif item of a HEIF file by its "Exif\0\0" prefix and a
// TIFF header, without parsing the ISO-BMFF box tree (best effort).
func heifEXIF(b []byte) []byte {
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(exifPrefix))
		if i < 0 {
			return nil
		}
		tiff := b[off+i+len(exifPrefix):]
		if bytes.HasPrefix(tiff, []byte("II*\x00")) || bytes.HasPrefix(tiff, []byte("MM\x00*")) {
			return tiff
		}
		off += i + 1
	}
}

// pngEXIF returns the payload of the first eXIf chunk, or nil. It walks
// chunk headers only, so its cost is independent of the pixel data size.
func pngEXIF(b []byte) []byte {
	for off := 8; off+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[off : off+4]))
		typ := string(b[off+4 : off+8])
		if n < 0 || n > len(b)-off-12 {
			return nil
		}
		if typ == "eXIf" {
			return b[off+8 : off+8+n]
		}
		if typ == "IEND" {
			return nil
		}
		off += 12 + n
	}
	return nil
}

// webpEXIF returns the payload of the RIFF "EXIF" chunk of an extended
// (VP8X) WebP, without the "Exif\0\0" prefix some writers add, or nil.
func webpEXIF(b []byte) []byte {
	for off := 12; off+8 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		if n < 0 || n > len(b)-off-8 {
			return nil
		}
		if string(b[off:off+4]) == "EXIF" {
			return bytes.TrimPrefix(b[off+8:off+8+n], []byte(exifPrefix))
		}
		off += 8 + n + n&1 // chunks are padded to even sizes
	}
	return nil
}
