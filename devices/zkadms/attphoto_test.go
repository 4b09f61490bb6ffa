package zkadms

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strconv"
	"testing"
)

// tinyJPEG is the smallest byte run that looks like a JPEG to the parser
// (SOI, an APP0 marker start, EOI); its content is irrelevant here.
var tinyJPEG = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")

func photoBody(header string, img []byte) []byte {
	return append([]byte(header), img...)
}

func TestParseATTPHOTO(t *testing.T) {
	t.Parallel()
	size := strconv.Itoa(len(tinyJPEG))
	b64 := base64.StdEncoding.EncodeToString(tinyJPEG)
	tests := []struct {
		name       string
		body       []byte
		wantPIN    string
		wantTime   string
		wantCmd    string
		wantBase64 bool
		wantSize   int
		wantErr    error
	}{
		{
			name:     "SPECUploadPhotoNulSeparated",
			body:     photoBody("PIN=20181121173455-123.jpg\nSN=0316144680030\nsize="+size+"\nCMD=uploadphoto\x00", tinyJPEG),
			wantPIN:  "123",
			wantTime: "2018-11-21 17:34:55",
			wantCmd:  "uploadphoto",
			wantSize: len(tinyJPEG),
		},
		{
			name:     "RealUploadVariant",
			body:     photoBody("PIN=20240805124057-1156.jpg\nSN=SERIAL87654321\nsize="+size+"\nCMD=realupload\x00", tinyJPEG),
			wantPIN:  "1156",
			wantTime: "2024-08-05 12:40:57",
			wantCmd:  "realupload",
			wantSize: len(tinyJPEG),
		},
		{
			name:     "JPEGMagicFallbackBoundary",
			body:     photoBody("PIN=20240805124057-7.jpg\nSN=X\n", tinyJPEG),
			wantPIN:  "7",
			wantTime: "2024-08-05 12:40:57",
			wantSize: -1,
		},
		{
			name:       "Base64Image",
			body:       []byte("PIN=20240805124057-7.jpg\nSN=X\nsize=" + size + "\nCMD=uploadphoto\x00" + b64 + "\r\n"),
			wantPIN:    "7",
			wantTime:   "2024-08-05 12:40:57",
			wantCmd:    "uploadphoto",
			wantBase64: true,
			wantSize:   len(tinyJPEG),
		},
		{
			name:     "FailedVerificationPhotoHasNoPIN",
			body:     photoBody("PIN=20240805124057.jpg\nSN=X\nsize="+size+"\nCMD=uploadphoto\x00", tinyJPEG),
			wantTime: "2024-08-05 12:40:57",
			wantCmd:  "uploadphoto",
			wantSize: len(tinyJPEG),
		},
		{
			name:     "CapitalSizeAndTrailingCRLFTrimmed",
			body:     photoBody("PIN=20240805124057-0042.jpg\r\nSN=X\r\nSize="+size+"\r\nCMD=uploadphoto\x00", append(bytes.Clone(tinyJPEG), '\r', '\n')),
			wantPIN:  "0042",
			wantTime: "2024-08-05 12:40:57",
			wantCmd:  "uploadphoto",
			wantSize: len(tinyJPEG),
		},
		{
			name:    "CutPOSTIsASizeMismatch",
			body:    photoBody("PIN=20240805124057-7.jpg\nsize=9999\nCMD=uploadphoto\x00", tinyJPEG),
			wantErr: ErrPhotoSize,
		},
		{
			name:    "ExtraBinaryAfterDeclaredSize",
			body:    photoBody("PIN=20240805124057-7.jpg\nsize=4\nCMD=uploadphoto\x00", tinyJPEG),
			wantErr: ErrPhotoSize,
		},
		{
			name:    "NoImage",
			body:    []byte("PIN=20240805124057-7.jpg\nSN=X\nCMD=uploadphoto\x00"),
			wantErr: ErrPhotoNoImage,
		},
		{
			name:    "NoFileName",
			body:    photoBody("SN=X\nCMD=uploadphoto\x00", tinyJPEG),
			wantErr: ErrPhotoName,
		},
		{
			name:    "BadFileNameTime",
			body:    photoBody("PIN=2024-08-05-7.jpg\nCMD=uploadphoto\x00", tinyJPEG),
			wantErr: ErrPhotoName,
		},
		{
			name:    "NegativeSize",
			body:    photoBody("PIN=20240805124057-7.jpg\nsize=-1\nCMD=uploadphoto\x00", tinyJPEG),
			wantErr: ErrPhotoSize,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParseATTPHOTO(tt.body)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.PIN != tt.wantPIN || !p.LocalTime.Equal(wall(tt.wantTime)) || p.Cmd != tt.wantCmd || p.Base64 != tt.wantBase64 || p.Size != tt.wantSize {
				t.Errorf("photo = PIN %q time %v cmd %q b64 %v size %d", p.PIN, p.LocalTime, p.Cmd, p.Base64, p.Size)
			}
			if !bytes.Equal(p.Image, tinyJPEG) || !p.IsJPEG() {
				t.Errorf("image = %x", p.Image)
			}
		})
	}

	t.Run("ImageDoesNotAliasBody", func(t *testing.T) {
		t.Parallel()
		body := photoBody("PIN=20240805124057-7.jpg\nCMD=uploadphoto\x00", tinyJPEG)
		p, err := ParseATTPHOTO(body)
		if err != nil {
			t.Fatal(err)
		}
		body[len(body)-1] = 0
		if !bytes.Equal(p.Image, tinyJPEG) {
			t.Error("image changed with the body")
		}
	})
}

func TestParsePhotoFileName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantPIN string
		wantErr bool
	}{
		{"TimeAndPIN", "20181121173455-123.jpg", "123", false},
		{"TimeOnly", "20181121173455.jpg", "", false},
		{"IDCardVariant", "20181121173455-1-123-440101199001011234.jpg", "123", false},
		{"PINWithDash", "20181121173455-A-7.jpg", "A-7", false},
		{"NotATime", "2018112117345-123.jpg", "", true},
		{"InvalidDate", "20181321173455-123.jpg", "", true},
		{"EmptyPIN", "20181121173455-.jpg", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pin, ts, err := ParsePhotoFileName(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err == nil && (pin != tt.wantPIN || !ts.Equal(wall("2018-11-21 17:34:55"))) {
				t.Errorf("got %q %v", pin, ts)
			}
		})
	}
}
