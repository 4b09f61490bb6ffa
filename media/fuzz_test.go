package media

import (
	"bytes"
	"errors"
	"image/jpeg"
	"testing"

	"github.com/dakahq/daka/media/mediatest"
)

// fuzzLimits are small so each iteration is cheap; the code paths (limit
// checks, decoders, EXIF, resize, hashing, encoding) are the same as with the
// defaults. With them one iteration can allocate at most about 64 MB.
var fuzzLimits = Limits{
	MaxBytes: 1 << 20, MaxPixels: 4_000_000, MaxDecodeBytes: 48 << 20,
	MinSide: 8, NormalizedMaxSide: 256, ThumbMaxSide: 64,
}

// FuzzProcess feeds arbitrary bytes to the pipeline. It must never panic, and
// whatever it accepts must satisfy the output invariants. Run with
// go test ./media -run '^$' -fuzz FuzzProcess -fuzztime 20s.
func FuzzProcess(f *testing.F) {
	full := exifSpec{
		orientation: 6, make: "Apple", model: "iPhone 15", sw: "17.4.1",
		dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+08:00",
		gps: true, lat: 39.9087, latRef: "N", lng: 116.3975, lngRef: "E", altitude: 43.5,
	}
	tiff := buildTIFF(full)
	small := photo(40, 30, 1)
	f.Add(withAPP1(mediatest.JPEG(f, small, 80), tiff))
	f.Add(withAPP1(mediatest.JPEG(f, small, 80), buildTIFF(exifSpec{bigEndian: true, orientation: 3})))
	f.Add(mediatest.PNG(f, small))
	f.Add(withPNGChunk(mediatest.PNG(f, small), pngChunk("eXIf", tiff)))
	f.Add(mediatest.LossyWebP)
	f.Add(webpFile(vp8xChunk(16, 16, true), riffChunk("VP8L", vp8lLossless(16, 16, func(x, y int) bool { return x == y })), riffChunk("EXIF", tiff)))
	f.Add(isoFile("heic", []string{"mif1"}, append([]byte("Exif\x00\x00"), tiff...)))
	f.Add(pngHeaderOnly(100000, 100000, 8, 6, 0))
	f.Add(jpegHeaderOnly(0xC2, 2000, 2000))
	f.Add(tiff)

	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ExtractEXIF(data) // must not panic on its own either
		p, err := Process(bytes.NewReader(data), fuzzLimits)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedType) && !errors.Is(err, ErrTooLarge) &&
				!errors.Is(err, ErrTooSmall) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		if int64(p.Width)*int64(p.Height) > fuzzLimits.MaxPixels {
			t.Fatalf("accepted %d×%d over the pixel limit", p.Width, p.Height)
		}
		if max(p.NormalizedW, p.NormalizedH) > fuzzLimits.NormalizedMaxSide || max(p.ThumbW, p.ThumbH) > fuzzLimits.ThumbMaxSide {
			t.Fatalf("derivatives %d×%d and %d×%d exceed their limits", p.NormalizedW, p.NormalizedH, p.ThumbW, p.ThumbH)
		}
		for _, out := range [][]byte{p.Normalized, p.Thumbnail} {
			if _, err := jpeg.DecodeConfig(bytes.NewReader(out)); err != nil {
				t.Fatalf("derivative is not a JPEG: %v", err)
			}
			if bytes.Contains(out, []byte("Exif\x00")) {
				t.Fatal("derivative carries EXIF")
			}
		}
	})
}

// FuzzExtractEXIF aims the fuzzer at the EXIF reader: the input is a bare
// TIFF structure, wrapped in each container ExtractEXIF understands. It must
// never panic or hang, and whatever it returns must be sane.
func FuzzExtractEXIF(f *testing.F) {
	f.Add(buildTIFF(exifSpec{
		orientation: 6, make: "Apple", model: "iPhone 15", sw: "17.4.1",
		dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+08:00",
		gps: true, lat: 39.9087, latRef: "N", lng: 116.3975, lngRef: "E", altitude: 43.5,
	}))
	f.Add(buildTIFF(exifSpec{bigEndian: true, dateTimeOriginal: "2025:01:31 23:10:05", offsetTimeOriginal: "-03:00"}))
	jpg := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	f.Fuzz(func(t *testing.T, tiff []byte) {
		if len(tiff) > 60000 {
			return // an APP1 segment holds at most 65533 bytes
		}
		for _, in := range [][]byte{
			withAPP1(jpg, tiff),
			webpFile(riffChunk("EXIF", tiff)),
			isoFile("heic", nil, append([]byte(exifPrefix), tiff...)),
		} {
			e := ExtractEXIF(in)
			if e.GPS != nil && !validCoordinate(e.GPS.Lat, e.GPS.Lng) {
				t.Fatalf("invalid GPS %+v", e.GPS)
			}
			if len(e.Make) > maxEXIFString || len(e.Model) > maxEXIFString || len(e.Software) > maxEXIFString {
				t.Fatal("EXIF string over the cap")
			}
			if e.Orientation < 0 || e.Orientation > 8 {
				t.Fatalf("orientation %d", e.Orientation)
			}
		}
	})
}
