package empsheet

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

type kind int

const (
	kindOther kind = iota
	kindZip
	kindText
)

// saveAs ends every "wrong format" reason: admins fix these files by saving
// them again from Excel or WPS.
const saveAs = "open it in Excel or WPS and save it as .xlsx (Excel Workbook) or CSV"

// magic lists binary formats admins upload by mistake, so the error can say
// what the file is instead of just "not a spreadsheet".
var magic = []struct {
	prefix string
	what   string
}{
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Excel 97-2003 (.xls) or password-protected workbook"},
	{"%PDF-", "a PDF document"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF87a", "a GIF image"},
	{"GIF89a", "a GIF image"},
	{"\x1f\x8b", "a gzip archive"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"Rar!\x1a\x07", "a RAR archive"},
	{"{\\rtf", "an RTF document"},
}

// sniff classifies the upload by its first bytes. For kindOther it returns
// the reason shown to the admin.
func sniff(data []byte) (kind, string) {
	if len(data) == 0 {
		return kindOther, "the file is empty"
	}
	for _, m := range magic {
		if bytes.HasPrefix(data, []byte(m.prefix)) {
			return kindOther, "the file is " + m.what + "; " + saveAs
		}
	}
	if len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WEBP" {
		return kindOther, "the file is a WebP image; " + saveAs
	}
	// Local file header, or the end record of an empty archive.
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")) {
		return kindZip, ""
	}
	return kindText, ""
}

// decodeText turns CSV bytes into UTF-8 text. UTF-8 (BOM optional) is tried
// first, then UTF-16 with BOM (Excel's "Unicode Text"), and any other content
// is taken as GB18030, the superset of GBK/GB2312 that Excel on Chinese
// Windows writes. Content that decodes in none of these, or holds NUL bytes,
// is binary and rejected.
func decodeText(data []byte) (string, error) {
	var text string
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		data = data[3:]
		if !utf8.Valid(data) {
			return "", fmt.Errorf("%w: the file starts with a UTF-8 byte order mark but is not UTF-8 text", ErrNotSpreadsheet)
		}
		text = string(data)
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		out, err := dec.Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return "", fmt.Errorf("%w: the file is not valid UTF-16 text", ErrNotSpreadsheet)
		}
		text = string(out)
	case utf8.Valid(data):
		text = string(data)
	default:
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
			return "", fmt.Errorf("%w: the file is binary data, not UTF-8 or GB18030 (GBK) text; %s", ErrNotSpreadsheet, saveAs)
		}
		text = string(out)
	}
	if strings.IndexByte(text, 0) >= 0 {
		return "", fmt.Errorf("%w: the file is binary data (it contains NUL bytes); %s", ErrNotSpreadsheet, saveAs)
	}
	if strings.HasPrefix(strings.TrimLeft(text, " \t\r\n\ufeff"), "<") {
		// Several HR systems export "xls" files that are HTML tables or
		// SpreadsheetML 2003 XML; Excel opens them, Parse does not.
		return "", fmt.Errorf("%w: the file is an HTML or XML document (a web page saved as .xls?); %s", ErrNotSpreadsheet, saveAs)
	}
	return text, nil
}
