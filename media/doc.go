// Package media turns an uploaded punch photo into evidence Daka can keep, and
// defines the small storage seam (Store) the evidence lives behind.
//
// The pipeline (Process) is pure: it reads only the bytes it is given, reads no
// environment and never looks at the clock. Its invariants:
//
//   - The real type is sniffed from magic bytes; file names and client
//     Content-Type headers are never trusted. JPEG, PNG and WebP are accepted.
//     HEIC/HEIF and AVIF are recognised by their ISO-BMFF brand and refused
//     with ErrUnsupportedType, whose message tells the app to send JPEG.
//   - Limits are enforced before any pixel is decoded: the byte limit while
//     reading, then width×height from the header (image.DecodeConfig) against
//     the pixel limit, and an estimate of the decoder's memory (16-bit PNG and
//     progressive JPEG cost more per pixel) against MaxDecodeBytes. A
//     decompression bomb therefore costs a header parse, not an allocation.
//   - Decoders and the EXIF reader run behind recover: a panic in third-party
//     code on hostile input becomes ErrCorrupt (or "no EXIF"), never a crash.
//     Containers (JPEG segments, PNG and RIFF chunks) are walked by this
//     package with bounds-checked loops; imagemeta only parses the bare TIFF
//     structure, because its own JPEG scanner can loop forever on malformed
//     markers, which recover cannot stop. FuzzProcess and FuzzExtractEXIF
//     guard these properties.
//   - EXIF is read from the original bytes before anything is re-encoded.
//     Missing or unreadable EXIF is not an error; EXIF is a claim by the
//     client, to be used for consistency checks, never as proof.
//   - The EXIF orientation is applied to the pixels, so Width/Height and both
//     derivatives are upright. Orientation is applied after downscaling, which
//     gives the same pixels at a fraction of the memory.
//   - The derivatives (Normalized, Thumbnail) are fresh baseline JPEG
//     encodings of the pixels only: no APP1/EXIF, XMP, ICC or comment segment
//     survives, so GPS and device metadata never leave through them.
//     Transparent pixels are flattened onto white.
//   - SHA256 is over the original bytes exactly as received (exact-duplicate
//     detection); PHash is a 64-bit DCT perceptual hash of the upright image,
//     and PHashRotations holds the hashes of its 0/90/180/270° rotations so a
//     rotated re-upload still matches (MinRotationDistance).
//
// Peak memory of one Process call is bounded by Limits: roughly MaxBytes for
// the input plus MaxDecodeBytes for the decoded image plus a few tens of MB of
// derivatives. Callers bound concurrency (e.g. a semaphore in the API) to bound
// the process total.
package media
