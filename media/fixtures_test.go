package media

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// photo draws a deterministic photo-like image: a two-colour gradient, a
// dozen soft-edged ellipses and per-pixel noise. Different seeds give
// unrelated scenes, which is what the perceptual-hash tests need; the noise
// makes JPEG sizes and decode costs realistic.
func photo(w, h int, seed uint64) *image.NRGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15))
	randColor := func() [3]float64 {
		return [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	}
	type ellipse struct {
		cx, cy, rx, ry float64
		c              [3]float64
	}
	c0, c1 := randColor(), randColor()
	shapes := make([]ellipse, 12)
	for i := range shapes {
		shapes[i] = ellipse{
			cx: rng.Float64() * float64(w), cy: rng.Float64() * float64(h),
			rx: (0.05 + 0.25*rng.Float64()) * float64(w), ry: (0.05 + 0.25*rng.Float64()) * float64(h),
			c: randColor(),
		}
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			t := (float64(x)/float64(w) + float64(y)/float64(h)) / 2
			var px [3]float64
			for k := range px {
				px[k] = c0[k]*(1-t) + c1[k]*t
			}
			for _, s := range shapes {
				dx, dy := (float64(x)-s.cx)/s.rx, (float64(y)-s.cy)/s.ry
				if d := dx*dx + dy*dy; d < 1 {
					a := math.Min(1, (1-d)*4) // soft edge
					for k := range px {
						px[k] = px[k]*(1-a) + s.c[k]*a
					}
				}
			}
			i := img.PixOffset(x, y)
			for k := range px {
				img.Pix[i+k] = uint8(math.Max(0, math.Min(255, px[k]+rng.NormFloat64()*6)))
			}
			img.Pix[i+3] = 255
		}
	}
	return img
}

// marked is a w×h blue image with a red square in its top-left corner, to
// check where orientation puts the stored top-left.
func marked(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{0, 0, 255, 255}
			if x < w/4 && y < h/4 {
				c = color.NRGBA{255, 0, 0, 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// withAPP1 inserts an APP1 "Exif" segment carrying tiff right after SOI, where
// cameras put it.
func withAPP1(jpg, tiff []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// tiffTag is one IFD entry. value holds the raw value bytes in the TIFF's
// byte order; count is in units of typ.
type tiffTag struct {
	tag   uint16
	typ   uint16
	count uint32
	value []byte
}

const (
	tiffBYTE     = 1
	tiffASCII    = 2
	tiffSHORT    = 3
	tiffLONG     = 4
	tiffRATIONAL = 5
)

// exifSpec describes the EXIF a fixture carries; zero fields are omitted.
type exifSpec struct {
	bigEndian          bool
	orientation        uint16
	make, model, sw    string
	dateTimeOriginal   string // "2006:01:02 15:04:05"
	offsetTimeOriginal string // "+08:00"
	lat, lng           float64
	latRef, lngRef     string // "N"/"S", "E"/"W"
	altitude           float64
	belowSeaLevel      bool
	gps                bool
}

// buildTIFF writes a minimal TIFF/EXIF structure by hand: IFD0 (Make, Model,
// Orientation, Software, ExifIFD and GPS pointers), the Exif IFD
// (DateTimeOriginal, OffsetTimeOriginal) and the GPS IFD, laid out in
// increasing offsets like camera firmware does.
func buildTIFF(s exifSpec) []byte {
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	header := []byte("II*\x00\x08\x00\x00\x00")
	if s.bigEndian {
		bo = binary.BigEndian
		header = []byte("MM\x00*\x00\x00\x00\x08")
	}
	ascii := func(tag uint16, v string) tiffTag {
		return tiffTag{tag, tiffASCII, uint32(len(v) + 1), append([]byte(v), 0)}
	}
	short := func(tag, v uint16) tiffTag {
		b := make([]byte, 2)
		bo.PutUint16(b, v)
		return tiffTag{tag, tiffSHORT, 1, b}
	}
	long := func(tag uint16, v uint32) tiffTag {
		b := make([]byte, 4)
		bo.PutUint32(b, v)
		return tiffTag{tag, tiffLONG, 1, b}
	}
	rational := func(tag uint16, vals ...[2]uint32) tiffTag {
		var b []byte
		for _, v := range vals {
			b = bo.AppendUint32(b, v[0])
			b = bo.AppendUint32(b, v[1])
		}
		return tiffTag{tag, tiffRATIONAL, uint32(len(vals)), b}
	}
	dms := func(deg float64) [][2]uint32 {
		deg = math.Abs(deg)
		d := math.Floor(deg)
		m := math.Floor((deg - d) * 60)
		sec := (deg - d - m/60) * 3600
		return [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(math.Round(sec * 100)), 100}}
	}

	var ifd0, exifIFD, gpsIFD []tiffTag
	if s.make != "" {
		ifd0 = append(ifd0, ascii(0x010F, s.make))
	}
	if s.model != "" {
		ifd0 = append(ifd0, ascii(0x0110, s.model))
	}
	if s.orientation != 0 {
		ifd0 = append(ifd0, short(0x0112, s.orientation))
	}
	if s.sw != "" {
		ifd0 = append(ifd0, ascii(0x0131, s.sw))
	}
	if s.dateTimeOriginal != "" {
		exifIFD = append(exifIFD, ascii(0x9003, s.dateTimeOriginal))
	}
	if s.offsetTimeOriginal != "" {
		exifIFD = append(exifIFD, ascii(0x9011, s.offsetTimeOriginal))
	}
	if s.gps {
		gpsIFD = append(gpsIFD,
			tiffTag{0x0000, tiffBYTE, 4, []byte{2, 3, 0, 0}}, // GPSVersionID
			ascii(0x0001, s.latRef), rational(0x0002, dms(s.lat)...),
			ascii(0x0003, s.lngRef), rational(0x0004, dms(s.lng)...))
		if s.altitude != 0 {
			ref := byte(0)
			if s.belowSeaLevel {
				ref = 1
			}
			gpsIFD = append(gpsIFD, tiffTag{0x0005, tiffBYTE, 1, []byte{ref}},
				rational(0x0006, [2]uint32{uint32(math.Round(s.altitude * 10)), 10}))
		}
	}

	size := func(tags []tiffTag) int {
		n := 2 + 12*len(tags) + 4
		for _, t := range tags {
			if len(t.value) > 4 {
				n += len(t.value) + len(t.value)%2
			}
		}
		return n
	}
	// The pointer tags have the highest IDs, so appending keeps IFD0 sorted.
	nPointers := 0
	if len(exifIFD) > 0 {
		nPointers++
	}
	if len(gpsIFD) > 0 {
		nPointers++
	}
	off := 8 + size(ifd0) + 12*nPointers
	if len(exifIFD) > 0 {
		ifd0 = append(ifd0, long(0x8769, uint32(off)))
		off += size(exifIFD)
	}
	if len(gpsIFD) > 0 {
		ifd0 = append(ifd0, long(0x8825, uint32(off)))
	}

	out := append([]byte{}, header...)
	writeIFD := func(tags []tiffTag) {
		start := len(out)
		data := start + 2 + 12*len(tags) + 4
		var values []byte
		out = bo.AppendUint16(out, uint16(len(tags)))
		for _, t := range tags {
			out = bo.AppendUint16(out, t.tag)
			out = bo.AppendUint16(out, t.typ)
			out = bo.AppendUint32(out, t.count)
			if len(t.value) <= 4 {
				out = append(out, t.value...)
				out = append(out, make([]byte, 4-len(t.value))...)
				continue
			}
			out = bo.AppendUint32(out, uint32(data+len(values)))
			values = append(values, t.value...)
			if len(t.value)%2 == 1 {
				values = append(values, 0)
			}
		}
		out = bo.AppendUint32(out, 0) // no next IFD
		out = append(out, values...)
	}
	writeIFD(ifd0)
	if len(exifIFD) > 0 {
		writeIFD(exifIFD)
	}
	if len(gpsIFD) > 0 {
		writeIFD(gpsIFD)
	}
	return out
}

// vp8lLossless encodes a w×h two-colour image as a lossless WebP (VP8L)
// bitstream, by hand: no transforms, no colour cache, and "simple" prefix
// codes, so green costs one bit per pixel (set(x, y) picks the brighter
// green) and red, blue and alpha cost none. golang.org/x/image has no WebP
// encoder; this is the smallest one that exercises the real decoder.
func vp8lLossless(w, h int, set func(x, y int) bool) []byte {
	var bw bitWriter
	bw.write(0x2F, 8) // VP8L signature
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	bw.write(0, 1) // alpha_is_used
	bw.write(0, 3) // version
	bw.write(0, 1) // no transform
	bw.write(0, 1) // no colour cache
	bw.write(0, 1) // no meta prefix codes
	// Green: two 8-bit symbols, 0x40 (code 0) and 0xC0 (code 1).
	bw.write(1, 1)
	bw.write(1, 1)
	bw.write(1, 1)
	bw.write(0x40, 8)
	bw.write(0xC0, 8)
	// Red 0x20, blue 0x80, alpha 0xFF: one symbol each, zero bits per pixel.
	for _, v := range []uint32{0x20, 0x80, 0xFF} {
		bw.write(1, 1)
		bw.write(0, 1)
		bw.write(1, 1)
		bw.write(v, 8)
	}
	// Distance: one 1-bit symbol (never used).
	bw.write(1, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	bw.write(0, 1)
	for y := range h {
		for x := range w {
			if set(x, y) {
				bw.write(1, 1)
			} else {
				bw.write(0, 1)
			}
		}
	}
	return bw.bytes()
}

type bitWriter struct {
	buf   []byte
	acc   uint64
	nbits uint
}

// write appends the n low bits of v, least significant first (VP8L order).
func (b *bitWriter) write(v uint32, n uint) {
	b.acc |= uint64(v&(1<<n-1)) << b.nbits
	b.nbits += n
	for b.nbits >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.nbits -= 8
	}
}

func (b *bitWriter) bytes() []byte {
	if b.nbits > 0 {
		return append(b.buf, byte(b.acc))
	}
	return b.buf
}

// riffChunk frames a WebP chunk, padded to an even size.
func riffChunk(fourcc string, data []byte) []byte {
	out := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	out = append(out, data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

// webpFile wraps chunks into a RIFF/WEBP container.
func webpFile(chunks ...[]byte) []byte {
	var body []byte
	for _, c := range chunks {
		body = append(body, c...)
	}
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(body)))...)
	out = append(out, "WEBP"...)
	return append(out, body...)
}

// vp8xChunk is the extended-format header chunk declaring the canvas size
// and which optional chunks follow.
func vp8xChunk(w, h int, exif bool) []byte {
	d := make([]byte, 10)
	if exif {
		d[0] |= 1 << 3
	}
	d[4], d[5], d[6] = byte(w-1), byte((w-1)>>8), byte((w-1)>>16)
	d[7], d[8], d[9] = byte(h-1), byte((h-1)>>8), byte((h-1)>>16)
	return riffChunk("VP8X", d)
}

// pngChunk frames a PNG chunk with its CRC.
func pngChunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngHeaderOnly is a PNG signature and IHDR declaring w×h, with no pixel
// data: enough for DecodeConfig, never decodable.
func pngHeaderOnly(w, h uint32, bitDepth, colorType, interlace byte) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, bitDepth, colorType, 0, 0, interlace)
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// withPNGChunk inserts a chunk right after IHDR.
func withPNGChunk(p []byte, chunk []byte) []byte {
	const afterIHDR = 8 + 12 + 13
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, p[afterIHDR:]...)
}

// jpegHeaderOnly is SOI, a start-of-frame declaring w×h with 4:2:0 YCbCr
// components, and a start-of-scan header with no entropy-coded data: enough
// for DecodeConfig, never decodable. sof is 0xC0 (baseline) or 0xC2
// (progressive).
func jpegHeaderOnly(sof byte, w, h uint16) []byte {
	seg := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1}
	out := []byte{0xFF, 0xD8, 0xFF, sof, 0, byte(len(seg) + 2)}
	out = append(out, seg...)
	return append(out, 0xFF, 0xDA, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0)
}

// isoFile is an ISO-BMFF file starting with an ftyp box of the given major
// and compatible brands, followed by payload.
func isoFile(major string, compatible []string, payload []byte) []byte {
	body := append([]byte(major), 0, 0, 0, 0)
	for _, c := range compatible {
		body = append(body, c...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(8+len(body)))
	out = append(out, "ftyp"...)
	out = append(out, body...)
	return append(out, payload...)
}
