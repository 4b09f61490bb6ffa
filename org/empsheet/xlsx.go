package empsheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

const (
	// maxUnzipped bounds the declared uncompressed size of all zip entries.
	// archive/zip refuses entries that inflate past their declared size, so
	// this is a real bound on what excelize holds in memory (a zip bomb
	// stops here). 50,000 rows unzip to about 30 MiB.
	maxUnzipped = 128 << 20
	// maxZipEntries bounds the entries excelize loads; a workbook has a few
	// dozen.
	maxZipEntries = 10_000
	// maxCells bounds the cells the row iterator may hand back in total. A
	// row with one cell in column XFD comes back as 16,384 strings, so a
	// hostile sheet could otherwise cost minutes of CPU within maxUnzipped.
	maxCells = 20_000_000
)

// idColumns are the template columns whose cells Excel tends to hold as
// numbers: employee, manager and card numbers and phones.
var idColumns = []int{
	columnIndex[KeyEmployeeNo], columnIndex[KeyManagerNo], columnIndex[KeyPhone], columnIndex[KeyCardNo],
}

func parseXLSX(data []byte, opts Options) (*Result, error) {
	if err := inspectZip(data); err != nil {
		return nil, err
	}
	f, err := openWorkbook(data, false)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	sheet, err := pickSheet(f)
	if err != nil {
		return nil, err
	}
	src, err := newXLSXSource(f, sheet)
	if err != nil {
		return nil, err
	}
	h, recs, err := readSheet(src, opts)
	if err != nil {
		return nil, err
	}
	if err := recoverDigits(data, sheet, h, recs); err != nil {
		return nil, err
	}
	return finish(FormatXLSX, h, recs, opts), nil
}

// inspectZip checks that the archive is an Office Open XML workbook before
// excelize sees it, and names the format when it is another kind of zip.
func inspectZip(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%w: the file is a damaged zip archive (%w); %s", ErrNotSpreadsheet, err, saveAs)
	}
	if len(zr.File) > maxZipEntries {
		return fmt.Errorf("%w: the workbook has more than %d parts", ErrTooLarge, maxZipEntries)
	}
	var total uint64
	names := make(map[string]bool, len(zr.File))
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		names[strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))] = true
	}
	if total > maxUnzipped {
		return fmt.Errorf("%w: the workbook unzips to more than %d MiB", ErrTooLarge, maxUnzipped>>20)
	}
	switch {
	case names["xl/workbook.xml"]:
		return nil
	case names["xl/workbook.bin"]:
		return fmt.Errorf("%w: the file is an Excel binary workbook (.xlsb); %s", ErrNotSpreadsheet, saveAs)
	case names["content.xml"] && names["mimetype"]:
		return fmt.Errorf("%w: the file is an OpenDocument file (.ods); %s", ErrNotSpreadsheet, saveAs)
	case names["word/document.xml"]:
		return fmt.Errorf("%w: the file is a Word document; %s", ErrNotSpreadsheet, saveAs)
	case names["ppt/presentation.xml"]:
		return fmt.Errorf("%w: the file is a PowerPoint presentation; %s", ErrNotSpreadsheet, saveAs)
	default:
		return fmt.Errorf("%w: the file is a zip archive, not an .xlsx workbook; %s", ErrNotSpreadsheet, saveAs)
	}
}

// openWorkbook opens the workbook fully in memory: both unzip limits are
// the same, so excelize never spills parts to temporary files. raw selects
// stored values instead of displayed ones (see recoverDigits).
func openWorkbook(data []byte, raw bool) (f *excelize.File, err error) {
	defer guard(&err)
	f, err = excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue:      raw,
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: maxUnzipped,
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		return nil, fmt.Errorf("%w: the workbook is damaged (%w); %s", ErrNotSpreadsheet, err, saveAs)
	}
	return f, nil
}

// guard turns a panic inside excelize into ErrNotSpreadsheet. It is deferred
// only around calls into excelize: a crafted workbook must not take down the
// server, while panics in this package's own code still surface in tests.
func guard(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: the workbook is damaged (%v); %s", ErrNotSpreadsheet, r, saveAs)
	}
}

// pickSheet returns the template's data sheet when the workbook has one, and
// otherwise the first visible sheet that is not the instructions sheet.
func pickSheet(f *excelize.File) (name string, err error) {
	defer guard(&err)
	list := f.GetSheetList()
	for _, s := range list {
		if normalizeHeader(s) == normalizeHeader(DataSheet) {
			return s, nil
		}
	}
	for _, s := range list {
		if normalizeHeader(s) == normalizeHeader(InstructionsSheet) {
			continue
		}
		if visible, err := f.GetSheetVisible(s); err == nil && visible {
			return s, nil
		}
	}
	if len(list) > 0 {
		return list[0], nil
	}
	return "", fmt.Errorf("%w: the workbook has no worksheet; %s", ErrNotSpreadsheet, saveAs)
}

// xlsxSource streams one worksheet with excelize's row iterator. The row
// number is the count of Next calls: excelize steps through gaps in sparse
// sheets one row at a time, returning no cells for them.
type xlsxSource struct {
	rows  *excelize.Rows
	line  int
	cells int
}

func newXLSXSource(f *excelize.File, sheet string) (src *xlsxSource, err error) {
	defer guard(&err)
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read sheet %q (%w); %s", ErrNotSpreadsheet, sheet, err, saveAs)
	}
	return &xlsxSource{rows: rows}, nil
}

func (s *xlsxSource) next() (line int, cells []string, err error) {
	defer guard(&err)
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return 0, nil, fmt.Errorf("%w: the worksheet is damaged (%w); %s", ErrNotSpreadsheet, err, saveAs)
		}
		return 0, nil, io.EOF
	}
	s.line++
	cells, err = s.rows.Columns()
	if err != nil {
		return 0, nil, fmt.Errorf("%w: the worksheet is damaged at row %d (%w); %s", ErrNotSpreadsheet, s.line, err, saveAs)
	}
	if s.cells += len(cells); s.cells > maxCells {
		return 0, nil, fmt.Errorf("%w: the worksheet has more than %d cells", ErrTooLarge, maxCells)
	}
	return s.line, cells, nil
}

// recoverDigits gives long numbers back their digits. Cells are read as
// displayed (so a custom "000000" format keeps the zeros the admin sees and
// a text cell stays text), but excelize, like Excel, displays a number of
// more than 15 significant digits in scientific notation. When an ID
// column shows such a value, the sheet is read a second time, raw, and a
// stored value made only of digits replaces it. A stored value that is
// itself in scientific notation really has lost digits and stays as it is,
// for validation to reject. Most files never take the second pass.
func recoverDigits(data []byte, sheet string, h *header, recs []record) error {
	need := map[int]int{} // line -> index in recs
	last := 0
	for i := range recs {
		for _, c := range idColumns {
			if looksScientific(recs[i].vals[c]) {
				need[recs[i].line] = i
				last = recs[i].line
				break
			}
		}
	}
	if len(need) == 0 {
		return nil
	}
	f, err := openWorkbook(data, true)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	src, err := newXLSXSource(f, sheet)
	if err != nil {
		return err
	}
	for {
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) || line > last {
			return nil
		}
		if err != nil {
			return err
		}
		i, ok := need[line]
		if !ok {
			continue
		}
		for _, c := range idColumns {
			col := h.col[c]
			if col < 0 || col >= len(cells) || !looksScientific(recs[i].vals[c]) {
				continue
			}
			if raw := trim(cells[col]); isDigits(raw) {
				recs[i].vals[c] = raw
			}
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
