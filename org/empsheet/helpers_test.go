package empsheet

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"
)

// csvOf writes rows as comma-separated UTF-8 without BOM.
func csvOf(t testing.TB, rows ...[]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// stored writes its text as the stored value of a number cell, the way
// other programs than Excel may write it ("1001.0", "1.3800138E10").
type stored string

// formatted is a number cell with a custom number format.
type formatted struct {
	v      any
	format string
}

// sheetSpec is one worksheet of a test workbook. A nil cell is skipped.
type sheetSpec struct {
	name   string
	hidden bool
	rows   [][]any
}

// xlsxOf builds a one-sheet workbook ("Sheet1") from rows.
func xlsxOf(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	return workbookOf(t, sheetSpec{name: "Sheet1", rows: rows})
}

// workbookOf builds a workbook with the given sheets, in order.
func workbookOf(t testing.TB, sheets ...sheetSpec) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == nil {
					continue
				}
				cell, err := excelize.CoordinatesToCellName(c+1, r+1)
				if err != nil {
					t.Fatal(err)
				}
				switch v := v.(type) {
				case stored:
					err = f.SetCellDefault(s.name, cell, string(v))
				case formatted:
					if err = f.SetCellValue(s.name, cell, v.v); err == nil {
						var style int
						style, err = f.NewStyle(&excelize.Style{CustomNumFmt: &v.format})
						if err == nil {
							err = f.SetCellStyle(s.name, cell, cell, style)
						}
					}
				case string:
					err = f.SetCellStr(s.name, cell, v)
				default:
					err = f.SetCellValue(s.name, cell, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// Excel cannot hide the selected sheet: select the first visible one.
	for i, s := range sheets {
		if !s.hidden {
			f.SetActiveSheet(i)
			break
		}
	}
	for _, s := range sheets {
		if s.hidden {
			if err := f.SetSheetVisible(s.name, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustParse(t testing.TB, data []byte) *Result {
	t.Helper()
	res, err := Parse(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

// codes lists "column:code@row" for compact comparisons.
func codes(errs []RowError) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Column + ":" + e.Code + "@" + strconv.Itoa(e.Row)
	}
	return out
}

// rewriteZip returns data with the named entry's text changed by edit.
func rewriteZip(t testing.TB, data []byte, name string, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name {
			body = []byte(edit(string(body)))
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
