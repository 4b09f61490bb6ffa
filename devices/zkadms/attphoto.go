package zkadms

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// jpegMagic starts every JPEG file (SOI marker plus the first marker byte).
var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

// photoMarkers end the text header of an ATTPHOTO body; the image follows
// after one separator byte (NUL on the wire).
var photoMarkers = []string{"CMD=uploadphoto", "CMD=realupload"}

// maxPhotoHeader bounds the text header searched for a marker: real headers
// are under 100 bytes, and scanning a 10 MB body for one is wasted work.
const maxPhotoHeader = 4096

// AttPhoto is one table=ATTPHOTO upload: the camera snapshot a device takes
// at a punch.
type AttPhoto struct {
	// FileName is the PIN= header, e.g. "20181121173455-123.jpg".
	FileName string
	// PIN is the user from the file name; empty for a photo of a failed
	// verification (the name is then only a time).
	PIN string
	// LocalTime holds the wall-clock time from the file name in UTC fields;
	// link the photo to the punch by (SN, PIN, LocalTime).
	LocalTime time.Time
	// SN is the serial number from the body (the query SN is authoritative).
	SN string
	// Size is the declared image size in bytes, -1 when not declared.
	Size int
	// Cmd is "uploadphoto" or "realupload"; empty when the image was found
	// only by its JPEG magic.
	Cmd string
	// Base64 is true when the image arrived Base64-encoded (ATTPHOTOBase64=1).
	Base64 bool
	// Image is the decoded image (a copy; it does not alias the body).
	Image []byte
	// Header holds every key=value header line (keys as sent).
	Header map[string]string
}

// IsJPEG reports whether the image starts with the JPEG SOI marker.
func (p AttPhoto) IsJPEG() bool { return bytes.HasPrefix(p.Image, jpegMagic) }

// ParseATTPHOTO parses a table=ATTPHOTO body:
//
//	PIN=${yyyyMMddHHmmss}-${pin}.jpg\nSN=${SN}\nsize=${bytes}\nCMD=uploadphoto\x00<JPEG bytes>
//
// The CMD=realupload variant is accepted too. Without either marker, the JPEG
// magic FF D8 FF is the boundary between header and image. One separator byte
// (NUL, or LF / CRLF) after the marker is skipped.
//
// Base64 is detected from the content rather than configured: a body whose
// image part is not JPEG but is entirely Base64 text that decodes is taken as
// ATTPHOTOBase64=1 output. The declared size is checked against the image
// (for Base64, either the encoded or the decoded length may be declared); a
// shorter image means a cut POST and fails with ErrPhotoSize. Extra trailing
// CR/LF/NUL bytes are trimmed.
func ParseATTPHOTO(body []byte) (AttPhoto, error) {
	head, img, cmd := splitPhoto(body)
	p := AttPhoto{Size: -1, Cmd: cmd, Header: map[string]string{}}
	for _, line := range strings.Split(string(head), "\n") {
		line = strings.Trim(line, "\r\x00")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		p.Header[k] = v
		switch strings.ToLower(k) {
		case "pin":
			p.FileName = v
		case "sn":
			p.SN = v
		case "size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return AttPhoto{}, fmt.Errorf("%w: size %.20q", ErrPhotoSize, v)
			}
			p.Size = n
		}
	}
	if p.FileName == "" {
		return AttPhoto{}, fmt.Errorf("%w: no PIN= header", ErrPhotoName)
	}
	var err error
	if p.PIN, p.LocalTime, err = ParsePhotoFileName(p.FileName); err != nil {
		return AttPhoto{}, err
	}
	img, p.Base64, err = decodePhoto(img, p.Size)
	if err != nil {
		return AttPhoto{}, err
	}
	p.Image = img
	return p, nil
}

// splitPhoto separates the text header from the image bytes.
func splitPhoto(body []byte) (head, img []byte, cmd string) {
	window := body[:min(len(body), maxPhotoHeader)]
	for _, m := range photoMarkers {
		if i := bytes.Index(window, []byte(m)); i >= 0 {
			img = body[i+len(m):]
			switch {
			case bytes.HasPrefix(img, []byte("\r\n")):
				img = img[2:]
			case len(img) > 0 && (img[0] == 0 || img[0] == '\n'):
				img = img[1:]
			}
			return body[:i], img, strings.TrimPrefix(m, "CMD=")
		}
	}
	if i := bytes.Index(window, jpegMagic); i >= 0 {
		return body[:i], body[i:], ""
	}
	return body, nil, ""
}

// decodePhoto turns the image part into bytes and checks the declared size.
func decodePhoto(img []byte, size int) ([]byte, bool, error) {
	if !bytes.HasPrefix(img, jpegMagic) {
		text := bytes.TrimRight(img, "\r\n\x00 \t")
		text = bytes.TrimLeft(text, "\r\n \t")
		if isBase64Text(text) {
			dec := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
			n, err := base64.StdEncoding.Decode(dec, text)
			if err == nil && n > 0 {
				if size >= 0 && size != n && size != len(text) {
					return nil, false, fmt.Errorf("%w: declared %d, got %d (base64)", ErrPhotoSize, size, n)
				}
				return dec[:n], true, nil
			}
		}
	}
	if len(img) == 0 {
		return nil, false, ErrPhotoNoImage
	}
	if size >= 0 && len(img) != size {
		if len(img) < size {
			return nil, false, fmt.Errorf("%w: declared %d, got %d", ErrPhotoSize, size, len(img))
		}
		tail := img[size:]
		if len(bytes.Trim(tail, "\r\n\x00")) != 0 {
			return nil, false, fmt.Errorf("%w: declared %d, got %d", ErrPhotoSize, size, len(img))
		}
		img = img[:size]
	}
	if size == 0 {
		return nil, false, ErrPhotoNoImage
	}
	return bytes.Clone(img), false, nil
}

// isBase64Text reports whether b is non-empty standard Base64 text (line
// breaks are not expected: ZK writes it as one run).
func isBase64Text(b []byte) bool {
	if len(b) == 0 || len(b)%4 != 0 {
		return false
	}
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
		default:
			return false
		}
	}
	return true
}

// ParsePhotoFileName extracts the PIN and wall-clock time from an ATTPHOTO
// file name (also sent as the PIN query parameter on /iclock/fdata):
//
//	20181121173455-123.jpg               time and PIN
//	20181121173455.jpg                   time only (failed verification)
//	20181121173455-1-123-4401....jpg     ID-card variant: time-phototype-pin-idnum
//
// Other dash counts take everything after the time as the PIN, so a PIN that
// itself contains '-' survives. The time is returned in UTC fields.
func ParsePhotoFileName(name string) (pin string, local time.Time, err error) {
	base := strings.TrimSpace(name)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	parts := strings.Split(base, "-")
	ts := parts[0]
	if len(ts) != 14 || !allDigits(ts) {
		return "", time.Time{}, fmt.Errorf("%w: %.40q", ErrPhotoName, name)
	}
	local, err = time.Parse("20060102150405", ts)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%w: %.40q", ErrPhotoName, name)
	}
	switch len(parts) {
	case 1:
		return "", local, nil
	case 4:
		pin = parts[2]
	default:
		pin = strings.Join(parts[1:], "-")
	}
	pin = strings.TrimSpace(pin)
	if err := checkPIN(pin); err != nil {
		return "", time.Time{}, fmt.Errorf("%w: photo %.40q", err, name)
	}
	return pin, local, nil
}
