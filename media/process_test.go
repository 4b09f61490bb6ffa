package media

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dakahq/daka/media/mediatest"
	"github.com/disintegration/imaging"
)

// smallLimits keep unit tests fast; the pipeline is the same.
var smallLimits = Limits{NormalizedMaxSide: 400, ThumbMaxSide: 100}

func TestProcessAcceptsFormats(t *testing.T) {
	t.Parallel()
	stripes := func(x, y int) bool { return (x/8+y/8)%2 == 0 }
	tests := []struct {
		name         string
		in           []byte
		format       string
		w, h         int
		normW, normH int
		thumbW       int
	}{
		{name: "JPEG", in: mediatest.JPEG(t, photo(600, 450, 1), 90), format: FormatJPEG, w: 600, h: 450, normW: 400, normH: 300, thumbW: 100},
		{name: "PNG", in: mediatest.PNG(t, photo(300, 200, 2)), format: FormatPNG, w: 300, h: 200, normW: 300, normH: 200, thumbW: 100},
		{name: "WebPLossy", in: mediatest.LossyWebP, format: FormatWebP, w: 150, h: 100, normW: 150, normH: 100, thumbW: 100},
		{name: "WebPLossless", in: webpFile(riffChunk("VP8L", vp8lLossless(96, 64, stripes))), format: FormatWebP, w: 96, h: 64, normW: 96, normH: 64, thumbW: 96},
		{name: "PortraitJPEGFitsLongEdge", in: mediatest.JPEG(t, photo(300, 900, 3), 90), format: FormatJPEG, w: 300, h: 900, normW: 133, normH: 400, thumbW: 33},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Process(bytes.NewReader(tc.in), smallLimits)
			if err != nil {
				t.Fatalf("Process: %v", err)
			}
			if p.Format != tc.format || p.Width != tc.w || p.Height != tc.h {
				t.Errorf("got %s %d×%d, want %s %d×%d", p.Format, p.Width, p.Height, tc.format, tc.w, tc.h)
			}
			if p.NormalizedW != tc.normW || p.NormalizedH != tc.normH || p.ThumbW != tc.thumbW {
				t.Errorf("derivatives %d×%d / %d wide, want %d×%d / %d wide",
					p.NormalizedW, p.NormalizedH, p.ThumbW, tc.normW, tc.normH, tc.thumbW)
			}
			assertJPEG(t, p.Normalized, p.NormalizedW, p.NormalizedH)
			assertJPEG(t, p.Thumbnail, p.ThumbW, p.ThumbH)
			if p.PHash != p.PHashRotations[0] {
				t.Errorf("PHash %x is not PHashRotations[0] %x", p.PHash, p.PHashRotations[0])
			}
		})
	}
}

func TestProcessRejects(t *testing.T) {
	t.Parallel()
	jpg := mediatest.JPEG(t, photo(200, 150, 4), 90)
	pngImg := mediatest.PNG(t, photo(200, 150, 5))
	tests := []struct {
		name string
		in   []byte
		lim  Limits
		want error
		msg  string // substring of the error message
	}{
		{name: "Empty", in: nil, want: ErrCorrupt},
		{name: "HEICMajorBrand", in: isoFile("heic", []string{"mif1", "heic"}, make([]byte, 64)), want: ErrUnsupportedType, msg: "JPEG"},
		{name: "HEIXMajorBrand", in: isoFile("heix", []string{"mif1"}, make([]byte, 64)), want: ErrUnsupportedType, msg: "HEIC"},
		{name: "MIF1WithHEICCompatible", in: isoFile("mif1", []string{"heic"}, make([]byte, 64)), want: ErrUnsupportedType, msg: "HEIC"},
		{name: "AVIF", in: isoFile("avif", []string{"mif1", "miaf"}, make([]byte, 64)), want: ErrUnsupportedType, msg: "AVIF"},
		{name: "MP4Video", in: isoFile("isom", []string{"mp41"}, make([]byte, 64)), want: ErrUnsupportedType, msg: "video"},
		{name: "GIF", in: []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), want: ErrUnsupportedType, msg: "gif"},
		{name: "Text", in: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>"), want: ErrUnsupportedType, msg: "unknown"},
		{name: "OverByteLimit", in: jpg, lim: Limits{MaxBytes: int64(len(jpg)) - 1}, want: ErrTooLarge, msg: "bytes"},
		{name: "PNGBomb100000x100000", in: pngHeaderOnly(100000, 100000, 8, 6, 0), want: ErrTooLarge, msg: "pixels"},
		{name: "JPEGBomb65535x65535", in: jpegHeaderOnly(0xC0, 65535, 65535), want: ErrTooLarge, msg: "pixels"},
		{name: "WebPBombCanvas", in: webpFile(vp8xChunk(16384, 16384, false)), want: ErrTooLarge, msg: "pixels"},
		{name: "OverPixelLimit", in: jpg, lim: Limits{MaxPixels: 200*150 - 1}, want: ErrTooLarge},
		{name: "SixteenBitPNGOverDecodeBudget", in: pngHeaderOnly(6000, 6000, 16, 6, 0), want: ErrTooLarge, msg: "MB"},
		{name: "ProgressiveJPEGOverDecodeBudget", in: jpegHeaderOnly(0xC2, 8000, 5000), want: ErrTooLarge, msg: "MB"},
		// The same dimensions pass the limits when the decoder needs less memory
		// per pixel; these headers then fail only because pixels are missing.
		{name: "EightBitPNGHeaderWithinBudget", in: pngHeaderOnly(6000, 6000, 8, 6, 0), want: ErrCorrupt},
		{name: "BaselineJPEGHeaderWithinBudget", in: jpegHeaderOnly(0xC0, 8000, 5000), want: ErrCorrupt},
		{name: "TooSmall", in: mediatest.PNG(t, photo(63, 200, 6)), want: ErrTooSmall},
		{name: "TruncatedJPEG", in: jpg[:len(jpg)/2], want: ErrCorrupt},
		{name: "TruncatedPNG", in: pngImg[:len(pngImg)/2], want: ErrCorrupt},
		{name: "TruncatedWebP", in: mediatest.LossyWebP[:len(mediatest.LossyWebP)/2], want: ErrCorrupt},
		{name: "JPEGMagicThenGarbage", in: append([]byte{0xFF, 0xD8, 0xFF}, bytes.Repeat([]byte{0x42}, 500)...), want: ErrCorrupt},
		{name: "PNGBadCRC", in: append(pngImg[:29:29], append([]byte{0xDE, 0xAD}, pngImg[31:]...)...), want: ErrCorrupt},
		{name: "ZeroWidthPNG", in: pngHeaderOnly(0, 100, 8, 6, 0), want: ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := Process(bytes.NewReader(tc.in), tc.lim)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Process = %v, %v; want %v", p, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

// TestProcessRefusesBombsBeforeDecoding proves the pixel limit is checked from
// the header: rejecting a PNG that declares 10^10 pixels allocates next to
// nothing, where decoding it would need 40 GB.
func TestProcessRefusesBombsBeforeDecoding(t *testing.T) {
	// Not parallel: it measures this goroutine's allocations process-wide.
	bomb := pngHeaderOnly(100000, 100000, 8, 6, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Process(bytes.NewReader(bomb), Limits{})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Process = %v, want ErrTooLarge", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("rejecting the bomb allocated %d bytes; the limit must be checked before decoding", alloc)
	}
}

func TestUnsupportedTypeErrorNamesTheType(t *testing.T) {
	t.Parallel()
	_, err := Process(bytes.NewReader(isoFile("heic", []string{"mif1"}, make([]byte, 32))), Limits{})
	var ute *UnsupportedTypeError
	if !errors.As(err, &ute) || ute.Type != "heic" {
		t.Fatalf("error %v is not an *UnsupportedTypeError for heic", err)
	}
	if want := "capture or convert the photo to JPEG"; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not tell the app to send JPEG", err)
	}
}

func TestProcessAppliesOrientation(t *testing.T) {
	t.Parallel()
	// A 96×64 image stored sideways: the red mark is in the stored top-left.
	stored := marked(96, 64)
	tests := []struct {
		orientation  uint16
		w, h         int
		redX, redY   float64 // where the mark ends up, as fractions of the upright size
		blueX, blueY float64
	}{
		{orientation: 1, w: 96, h: 64, redX: 0.1, redY: 0.1, blueX: 0.9, blueY: 0.9},
		{orientation: 3, w: 96, h: 64, redX: 0.9, redY: 0.9, blueX: 0.1, blueY: 0.1},
		{orientation: 6, w: 64, h: 96, redX: 0.9, redY: 0.1, blueX: 0.1, blueY: 0.9},
		{orientation: 8, w: 64, h: 96, redX: 0.1, redY: 0.9, blueX: 0.9, blueY: 0.1},
		{orientation: 5, w: 64, h: 96, redX: 0.1, redY: 0.1, blueX: 0.9, blueY: 0.9},
	}
	for _, tc := range tests {
		t.Run("Orientation"+string(rune('0'+tc.orientation)), func(t *testing.T) {
			t.Parallel()
			in := withAPP1(mediatest.JPEG(t, stored, 95), buildTIFF(exifSpec{orientation: tc.orientation}))
			p, err := Process(bytes.NewReader(in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != tc.w || p.Height != tc.h || p.NormalizedW != tc.w || p.NormalizedH != tc.h {
				t.Fatalf("upright %d×%d, normalized %d×%d; want %d×%d", p.Width, p.Height, p.NormalizedW, p.NormalizedH, tc.w, tc.h)
			}
			if p.EXIF.Orientation != int(tc.orientation) {
				t.Errorf("EXIF.Orientation = %d, want %d", p.EXIF.Orientation, tc.orientation)
			}
			img, err := jpeg.Decode(bytes.NewReader(p.Normalized))
			if err != nil {
				t.Fatal(err)
			}
			at := func(fx, fy float64) color.Color {
				return img.At(int(fx*float64(tc.w)), int(fy*float64(tc.h)))
			}
			if !reddish(at(tc.redX, tc.redY)) {
				t.Errorf("no red mark at (%.1f, %.1f)", tc.redX, tc.redY)
			}
			if reddish(at(tc.blueX, tc.blueY)) {
				t.Errorf("red mark at (%.1f, %.1f), expected blue", tc.blueX, tc.blueY)
			}
		})
	}
}

func reddish(c color.Color) bool {
	r, _, b, _ := c.RGBA()
	return r > 0xC000 && b < 0x4000
}

func TestProcessOrientsWebPAndPNGFromTheirEXIFChunks(t *testing.T) {
	t.Parallel()
	tiff := buildTIFF(exifSpec{orientation: 6, make: "Google", model: "Pixel 8"})
	mark := func(x, y int) bool { return x < 24 && y < 16 }
	webp := webpFile(vp8xChunk(96, 64, true), riffChunk("VP8L", vp8lLossless(96, 64, mark)), riffChunk("EXIF", tiff))
	pngWithEXIF := withPNGChunk(mediatest.PNG(t, marked(96, 64)), pngChunk("eXIf", tiff))
	for name, in := range map[string][]byte{"WebP": webp, "PNG": pngWithEXIF} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p, err := Process(bytes.NewReader(in), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Width != 64 || p.Height != 96 || p.EXIF.Model != "Pixel 8" {
				t.Errorf("got %d×%d model %q; want 64×96 from orientation 6, model Pixel 8", p.Width, p.Height, p.EXIF.Model)
			}
		})
	}
}

func TestProcessFlattensTransparencyOnWhite(t *testing.T) {
	t.Parallel()
	img := image.NewNRGBA(image.Rect(0, 0, 80, 80)) // fully transparent
	p, err := Process(bytes.NewReader(mediatest.PNG(t, img)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := jpeg.Decode(bytes.NewReader(p.Normalized))
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := out.At(40, 40).RGBA(); r < 0xF000 || g < 0xF000 || b < 0xF000 {
		t.Errorf("transparent pixel became %04x %04x %04x, want white", r, g, b)
	}
}

func TestProcessSHA256IsOfTheOriginalBytes(t *testing.T) {
	t.Parallel()
	in := mediatest.JPEG(t, photo(120, 90, 7), 90)
	p, err := Process(bytes.NewReader(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var want [32]byte
	copy(want[:], sha256Sum(in))
	if p.SHA256 != want {
		t.Errorf("SHA256 = %x, want %x", p.SHA256, want)
	}
}

func TestProcessStripsAllMetadata(t *testing.T) {
	t.Parallel()
	in := withAPP1(mediatest.JPEG(t, photo(500, 400, 8), 90), buildTIFF(exifSpec{
		orientation: 6, make: "Apple", model: "iPhone 15", sw: "17.4.1",
		dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+08:00",
		gps: true, lat: 39.9087, latRef: "N", lng: 116.3975, lngRef: "E", altitude: 43.5,
	}))
	// A comment segment, which must not survive either.
	in = append(in[:2:2], append([]byte{0xFF, 0xFE, 0, 9, 's', 'e', 'c', 'r', 'e', 't', '!'}, in[2:]...)...)
	p, err := Process(bytes.NewReader(in), smallLimits)
	if err != nil {
		t.Fatal(err)
	}
	if p.EXIF.GPS == nil {
		t.Fatal("fixture EXIF was not read; the stripping check would prove nothing")
	}
	for name, out := range map[string][]byte{"Normalized": p.Normalized, "Thumbnail": p.Thumbnail} {
		for _, m := range jpegMarkers(t, out) {
			if m >= 0xE0 && m <= 0xEF || m == 0xFE {
				t.Errorf("%s has marker FF%02X (APPn/COM); metadata must be stripped", name, m)
			}
		}
		for _, s := range []string{"Exif", "Apple", "iPhone", "secret"} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s contains %q", name, s)
			}
		}
		if e := ExtractEXIF(out); e != (EXIF{}) {
			t.Errorf("%s still has EXIF %+v", name, e)
		}
	}
}

// jpegMarkers lists the segment markers of a JPEG up to start-of-scan.
func jpegMarkers(t *testing.T, b []byte) []byte {
	t.Helper()
	var ms []byte
	for i := 2; i+4 <= len(b); {
		if b[i] != 0xFF {
			t.Fatalf("no marker at offset %d", i)
		}
		m := b[i+1]
		ms = append(ms, m)
		if m == 0xDA {
			return ms
		}
		i += 2 + int(b[i+2])<<8 + int(b[i+3])
	}
	t.Fatal("no start-of-scan")
	return nil
}

func assertJPEG(t *testing.T, b []byte, w, h int) {
	t.Helper()
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("derivative is not a JPEG: %v", err)
	}
	if cfg.Width != w || cfg.Height != h {
		t.Errorf("derivative is %d×%d, reported %d×%d", cfg.Width, cfg.Height, w, h)
	}
}

func TestExtractEXIF(t *testing.T) {
	t.Parallel()
	jpg := mediatest.JPEG(t, photo(80, 80, 9), 90)
	beijing := time.Date(2024, 5, 6, 8, 59, 30, 0, time.FixedZone("+08:00", 8*3600))
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name       string
		in         []byte
		wantTime   time.Time // zero: no capture time
		offsetKnow bool
		wantGPS    *GPS
		make, mdl  string
		sw         string
	}{
		{
			name: "FullLittleEndian",
			in: withAPP1(jpg, buildTIFF(exifSpec{
				make: "Apple", model: "iPhone 15", sw: "17.4.1",
				dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+08:00",
				gps: true, lat: 39.9087, latRef: "N", lng: 116.3975, lngRef: "E", altitude: 43.5,
			})),
			wantTime: beijing, offsetKnow: true,
			wantGPS: &GPS{Lat: 39.9087, Lng: 116.3975, AltitudeM: f(43.5)},
			make:    "Apple", mdl: "iPhone 15", sw: "17.4.1",
		},
		{
			name: "BigEndianSouthWestBelowSeaLevel",
			in: withAPP1(jpg, buildTIFF(exifSpec{
				bigEndian: true, make: "samsung", model: "SM-S921B",
				dateTimeOriginal: "2025:01:31 23:10:05", offsetTimeOriginal: "-03:00",
				gps: true, lat: 22.9068, latRef: "S", lng: 43.1729, lngRef: "W", altitude: 12, belowSeaLevel: true,
			})),
			wantTime: time.Date(2025, 1, 31, 23, 10, 5, 0, time.FixedZone("-03:00", -3*3600)), offsetKnow: true,
			wantGPS: &GPS{Lat: -22.9068, Lng: -43.1729, AltitudeM: f(-12)},
			make:    "samsung", mdl: "SM-S921B",
		},
		{
			name:     "NoOffsetIsWallClockInUTC",
			in:       withAPP1(jpg, buildTIFF(exifSpec{dateTimeOriginal: "2024:05:06 08:59:30"})),
			wantTime: time.Date(2024, 5, 6, 8, 59, 30, 0, time.UTC),
		},
		{
			name:     "UTCOffsetIsKnown",
			in:       withAPP1(jpg, buildTIFF(exifSpec{dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+00:00"})),
			wantTime: time.Date(2024, 5, 6, 8, 59, 30, 0, time.UTC), offsetKnow: true,
		},
		{
			name:    "GPSWithoutAltitude",
			in:      withAPP1(jpg, buildTIFF(exifSpec{gps: true, lat: 31.2304, latRef: "N", lng: 121.4737, lngRef: "E"})),
			wantGPS: &GPS{Lat: 31.2304, Lng: 121.4737},
		},
		{
			name: "ZeroDateIsAbsent",
			in:   withAPP1(jpg, buildTIFF(exifSpec{dateTimeOriginal: "0000:00:00 00:00:00", make: "Xiaomi"})),
			make: "Xiaomi",
		},
		{
			name: "ControlCharactersAndPaddingAreCleaned",
			in:   withAPP1(jpg, buildTIFF(exifSpec{make: "  Evil\x07Corp\r\n  ", model: "M\x00odel"})),
			make: "EvilCorp", mdl: "M",
		},
		{name: "NoEXIF", in: jpg},
		{name: "TruncatedEXIF", in: withAPP1(jpg, buildTIFF(exifSpec{make: "Apple", model: "iPhone"})[:14])},
		{
			name: "HEICBestEffort",
			in: isoFile("heic", []string{"mif1", "heic"}, append(make([]byte, 200),
				append([]byte("Exif\x00\x00"), buildTIFF(exifSpec{make: "Apple", model: "iPhone 15 Pro",
					dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+08:00"})...)...)),
			wantTime: beijing, offsetKnow: true, make: "Apple", mdl: "iPhone 15 Pro",
		},
		{
			name: "WebPEXIFChunkWithPrefix",
			in: webpFile(vp8xChunk(64, 64, true), riffChunk("VP8L", vp8lLossless(64, 64, func(x, y int) bool { return x > y })),
				riffChunk("EXIF", append([]byte("Exif\x00\x00"), buildTIFF(exifSpec{model: "Pixel 8"})...))),
			mdl: "Pixel 8",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := ExtractEXIF(tc.in)
			switch {
			case tc.wantTime.IsZero() && e.CaptureTime != nil:
				t.Errorf("CaptureTime = %v, want none", e.CaptureTime)
			case !tc.wantTime.IsZero() && e.CaptureTime == nil:
				t.Errorf("CaptureTime missing, want %v", tc.wantTime)
			case !tc.wantTime.IsZero():
				_, gotOff := e.CaptureTime.Zone()
				_, wantOff := tc.wantTime.Zone()
				if !e.CaptureTime.Equal(tc.wantTime) || gotOff != wantOff {
					t.Errorf("CaptureTime = %v, want %v", e.CaptureTime, tc.wantTime)
				}
			}
			if e.CaptureOffsetKnown != tc.offsetKnow {
				t.Errorf("CaptureOffsetKnown = %v, want %v", e.CaptureOffsetKnown, tc.offsetKnow)
			}
			if !sameGPS(e.GPS, tc.wantGPS) {
				t.Errorf("GPS = %s, want %s", fmtGPS(e.GPS), fmtGPS(tc.wantGPS))
			}
			if e.Make != tc.make || e.Model != tc.mdl || e.Software != tc.sw {
				t.Errorf("Make/Model/Software = %q/%q/%q, want %q/%q/%q", e.Make, e.Model, e.Software, tc.make, tc.mdl, tc.sw)
			}
		})
	}
}

func TestProcessReturnsEXIF(t *testing.T) {
	t.Parallel()
	in := withAPP1(mediatest.JPEG(t, photo(200, 150, 10), 90), buildTIFF(exifSpec{
		dateTimeOriginal: "2024:05:06 08:59:30", offsetTimeOriginal: "+08:00",
		gps: true, lat: 39.9087, latRef: "N", lng: 116.3975, lngRef: "E",
	}))
	p, err := Process(bytes.NewReader(in), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if p.EXIF.CaptureTime == nil || !p.EXIF.CaptureTime.Equal(time.Date(2024, 5, 6, 0, 59, 30, 0, time.UTC)) || p.EXIF.GPS == nil {
		t.Errorf("EXIF = %+v", p.EXIF)
	}
}

func sameGPS(a, b *GPS) bool {
	if a == nil || b == nil {
		return a == b
	}
	close := func(x, y float64) bool { return x-y < 1e-4 && y-x < 1e-4 }
	if !close(a.Lat, b.Lat) || !close(a.Lng, b.Lng) {
		return false
	}
	if a.AltitudeM == nil || b.AltitudeM == nil {
		return a.AltitudeM == b.AltitudeM
	}
	return close(*a.AltitudeM, *b.AltitudeM)
}

func fmtGPS(g *GPS) string {
	if g == nil {
		return "nil"
	}
	alt := "nil"
	if g.AltitudeM != nil {
		alt = strings.TrimRight(strings.TrimRight(fmtFloat(*g.AltitudeM), "0"), ".")
	}
	return fmtFloat(g.Lat) + "," + fmtFloat(g.Lng) + " alt " + alt
}

func TestPerceptualHash(t *testing.T) {
	t.Parallel()
	process := func(t *testing.T, b []byte) *Processed {
		t.Helper()
		p, err := Process(bytes.NewReader(b), smallLimits)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	orig := photo(480, 360, 11)
	base := process(t, mediatest.JPEG(t, orig, 90))

	t.Run("ResizedAndRecompressedCopyMatches", func(t *testing.T) {
		t.Parallel()
		p := process(t, mediatest.JPEG(t, imaging.Resize(orig, 240, 180, imaging.Box), 60))
		if d := HashDistance(base.PHash, p.PHash); d > PHashSameImage {
			t.Errorf("distance %d > %d", d, PHashSameImage)
		}
		if p.SHA256 == base.SHA256 {
			t.Error("different bytes share a SHA-256")
		}
	})
	t.Run("RotatedCopyMatchesOnlyViaRotations", func(t *testing.T) {
		t.Parallel()
		for _, rot := range []struct {
			name string
			img  *image.NRGBA
		}{{"90", imaging.Rotate90(orig)}, {"180", imaging.Rotate180(orig)}, {"270", imaging.Rotate270(orig)}} {
			p := process(t, mediatest.JPEG(t, rot.img, 85))
			if d := HashDistance(base.PHash, p.PHash); d <= PHashSameImage {
				t.Errorf("%s: plain distance %d already matches; the test image is too symmetric", rot.name, d)
			}
			if d := MinRotationDistance(p.PHash, base.PHashRotations); d > PHashSameImage {
				t.Errorf("%s: rotation-aware distance %d > %d", rot.name, d, PHashSameImage)
			}
			if d := MinRotationDistance(base.PHash, p.PHashRotations); d > PHashSameImage {
				t.Errorf("%s: reverse rotation-aware distance %d > %d", rot.name, d, PHashSameImage)
			}
		}
	})
	t.Run("EXIFRotatedCopyHashesUpright", func(t *testing.T) {
		t.Parallel()
		// Stored sideways (as a phone held in portrait writes it) with
		// orientation 8; upright it is the original.
		sideways := withAPP1(mediatest.JPEG(t, imaging.Rotate270(orig), 90), buildTIFF(exifSpec{orientation: 8}))
		p := process(t, sideways)
		if d := HashDistance(base.PHash, p.PHash); d > PHashSameImage {
			t.Errorf("distance %d > %d", d, PHashSameImage)
		}
	})
	t.Run("DifferentImageIsFar", func(t *testing.T) {
		t.Parallel()
		for seed := uint64(100); seed < 104; seed++ {
			p := process(t, mediatest.JPEG(t, photo(480, 360, seed), 90))
			if d := MinRotationDistance(p.PHash, base.PHashRotations); d <= 2*PHashSameImage {
				t.Errorf("seed %d: distance %d to an unrelated image", seed, d)
			}
		}
	})
}

func TestHashDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b uint64
		want int
	}{
		{0, 0, 0},
		{0, ^uint64(0), 64},
		{0b1011, 0b0001, 2},
		{1 << 63, 1, 2},
	}
	for _, tc := range tests {
		if got := HashDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("HashDistance(%x, %x) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := MinRotationDistance(0b1111, [4]uint64{^uint64(0), 0b1110, 0, 0b0111_0000}); got != 1 {
		t.Errorf("MinRotationDistance = %d, want 1", got)
	}
}
