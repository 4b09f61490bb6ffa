package empsheet

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Defaults for the zero Options.
const (
	// DefaultMaxRows is the largest number of data rows accepted in one file.
	DefaultMaxRows = 50_000
	// DefaultMaxBytes bounds the upload itself (50,000 typical rows are about
	// 6 MiB as CSV and 3 MiB as .xlsx).
	DefaultMaxBytes = 32 << 20
	// DefaultMaxErrors bounds Result.Errors so a file that is wrong on every
	// row still yields a response of reasonable size.
	DefaultMaxErrors = 1000
)

// Options tunes Parse. The zero value uses the defaults.
type Options struct {
	// MaxRows is the largest number of non-empty data rows; a file with more
	// is rejected whole with ErrTooManyRows. 0 means DefaultMaxRows.
	MaxRows int
	// MaxBytes bounds how much is read from the reader; a longer upload is
	// rejected with ErrTooLarge. 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxErrors bounds len(Result.Errors); further errors are counted in
	// Result.FailedRows but not listed, and Result.ErrorsTruncated is set.
	// 0 means DefaultMaxErrors.
	MaxErrors int
}

func (o Options) withDefaults() Options {
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = DefaultMaxErrors
	}
	return o
}

// Format names the detected file type in Result.Format.
const (
	FormatXLSX = "xlsx"
	FormatCSV  = "csv"
)

// Result is what a file holds. Rows are the valid rows, ready to upsert by
// EmployeeNo; a row with any error is left out of Rows and described in
// Errors, so TotalRows == len(Rows) + FailedRows.
type Result struct {
	// Format is FormatXLSX or FormatCSV.
	Format string
	// Rows are the valid rows in file order.
	Rows []Row
	// Errors are the cell problems, ordered by row and then template column
	// order, at most Options.MaxErrors of them.
	Errors []RowError
	// ErrorsTruncated is true when more errors were found than listed.
	ErrorsTruncated bool
	// IgnoredColumns are the header texts of columns that matched nothing,
	// in file order, at most 100 (empty header cells are not listed).
	IgnoredColumns []string
	// TotalRows counts the non-empty data rows.
	TotalRows int
	// FailedRows counts the rows that had at least one error.
	FailedRows int
}

// Row is one valid employee row, with values trimmed and normalised (see the
// package documentation for each column's rule). An empty string means the
// cell was empty or the column absent; Present tells which.
type Row struct {
	// Line is the spreadsheet row number (header = 1).
	Line int
	// EmployeeNo is the upsert key, as written (leading zeros kept).
	EmployeeNo string
	// Name is the employee's name.
	Name string
	// Department is a department path with "/" between levels and each level
	// trimmed ("研发/后端"); a single name has no "/".
	Department string
	// ManagerNo is the manager's employee number.
	ManagerNo string
	// Email is the address as written.
	Email string
	// Phone is in E.164 form ("+8613800138000").
	Phone string
	// Timezone is an IANA zone name.
	Timezone string
	// Role is "employee", "manager" or "admin" (Chinese spellings mapped).
	Role string
	// Status is "active" or "left" (Chinese spellings mapped).
	Status string
	// CardNo is the terminal card number.
	CardNo string
	// Sites are the site names, trimmed, without empties or repeats, in order.
	Sites []string
	// Present holds the keys of the columns the file has, so that an update
	// changes only those. An empty cell in a present column is an explicit
	// empty value, unlike an absent column. The map is shared by all rows of
	// one Result: do not modify it.
	Present map[string]bool
}

// Parse reads an employee import file. The type is sniffed from the content,
// never from a file name: .xlsx (a zip holding xl/workbook.xml) or CSV text in
// UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK.
//
// A returned error means the file as a whole was rejected and wraps one of
// ErrNotSpreadsheet, ErrMissingColumns (as *MissingColumnsError),
// ErrDuplicateColumn, ErrTooManyRows or ErrTooLarge, or is the reader's own
// error. Problems in individual cells are not errors: they are listed in
// Result.Errors and the rest of the file is still parsed.
//
// Parse keeps no state between calls and is safe for concurrent use.
func Parse(r io.Reader, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	data, err := io.ReadAll(io.LimitReader(r, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("empsheet: read upload: %w", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, fmt.Errorf("%w: upload is larger than %d bytes", ErrTooLarge, opts.MaxBytes)
	}
	kind, reason := sniff(data)
	switch kind {
	case kindZip:
		return parseXLSX(data, opts)
	case kindText:
		return parseCSV(data, opts)
	default:
		return nil, fmt.Errorf("%w: %s", ErrNotSpreadsheet, reason)
	}
}

// source yields the rows of one sheet.
type source interface {
	// next returns the spreadsheet row number and the cells of the next
	// row; io.EOF ends the sheet. The slice may be reused by the next call.
	next() (line int, cells []string, err error)
}

// record is one data row's cells in template column order, trimmed.
type record struct {
	line int
	vals [numColumns]string
}

const numColumns = 11

// maxIgnored bounds Result.IgnoredColumns (a sheet may have 16,384 columns).
const maxIgnored = 100

// header is a mapped header row.
type header struct {
	// col[i] is the file column holding template column i, or -1.
	col     [numColumns]int
	present map[string]bool
	ignored []string
}

// maxTitleRows is how many non-empty rows may precede the header: HR
// exports often start with a title ("XX公司员工花名册") or a note.
const maxTitleRows = 10

// readSheet finds the header, maps it and collects the non-empty data rows.
// The header is the first non-empty row in which any cell names a known
// column; up to maxTitleRows rows before it are passed over.
func readSheet(src source, opts Options) (*header, []record, error) {
	var h *header
	for skipped := 0; h == nil; {
		_, cells, err := src.next()
		if errors.Is(err, io.EOF) || skipped > maxTitleRows {
			// No header: every required column is missing.
			return nil, nil, missingColumns(&header{col: noColumns()})
		}
		if err != nil {
			return nil, nil, err
		}
		if blank(cells) {
			continue
		}
		if h, err = mapHeader(cells); err != nil {
			return nil, nil, err
		}
		if len(h.present) == 0 {
			h = nil
			skipped++
			continue
		}
		if err := missingColumns(h); err != nil {
			return nil, nil, err
		}
	}
	var recs []record
	for {
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) {
			return h, recs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		var rec record
		empty := true
		for i, c := range h.col {
			if c >= 0 && c < len(cells) {
				rec.vals[i] = trim(cells[c])
				if rec.vals[i] != "" {
					empty = false
				}
			}
		}
		if empty {
			continue
		}
		if len(recs) == opts.MaxRows {
			return nil, nil, fmt.Errorf("%w: more than %d data rows", ErrTooManyRows, opts.MaxRows)
		}
		rec.line = line
		recs = append(recs, rec)
	}
}

func noColumns() [numColumns]int {
	var c [numColumns]int
	for i := range c {
		c[i] = -1
	}
	return c
}

// mapHeader matches header cells to columns. A row naming no known column
// comes back with an empty present map.
func mapHeader(cells []string) (*header, error) {
	h := &header{col: noColumns(), present: make(map[string]bool)}
	for i, cell := range cells {
		text := trim(cell)
		if text == "" {
			continue
		}
		j, ok := headerIndex[normalizeHeader(text)]
		if !ok {
			if len(h.ignored) < maxIgnored {
				h.ignored = append(h.ignored, clip(text, 64))
			}
			continue
		}
		if prev := h.col[j]; prev >= 0 {
			return nil, fmt.Errorf("%w: %s is in both column %s and column %s",
				ErrDuplicateColumn, columns[j].Key, columnLetter(prev), columnLetter(i))
		}
		h.col[j] = i
		h.present[columns[j].Key] = true
	}
	return h, nil
}

func missingColumns(h *header) error {
	var miss []string
	for i, c := range columns {
		if c.Required && h.col[i] < 0 {
			miss = append(miss, c.Key)
		}
	}
	if miss == nil {
		return nil
	}
	return &MissingColumnsError{Columns: miss}
}

// columnLetter turns a 0-based column index into the A, B, …, AA letters
// spreadsheets show.
func columnLetter(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

func blank(cells []string) bool {
	for _, c := range cells {
		if trim(c) != "" {
			return false
		}
	}
	return true
}

// trim drops surrounding white space, including the ideographic space
// U+3000 and non-breaking space, and zero-width characters.
func trim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return isSpace(r) || isInvisible(r) })
}

func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u3000', '\u2002', '\u2003', '\u2009', '\u202f', '\u0085':
		return true
	}
	return false
}

// clip shortens s to at most n runes for use in messages.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// finish validates the collected records in file order.
func finish(format string, h *header, recs []record, opts Options) *Result {
	res := &Result{Format: format, IgnoredColumns: h.ignored, TotalRows: len(recs)}
	v := newValidator(h)
	res.Rows = make([]Row, 0, len(recs))
	for i := range recs {
		row, errs := v.row(&recs[i])
		if len(errs) == 0 {
			res.Rows = append(res.Rows, row)
			continue
		}
		res.FailedRows++
		for _, e := range errs {
			if len(res.Errors) == opts.MaxErrors {
				res.ErrorsTruncated = true
				break
			}
			res.Errors = append(res.Errors, e)
		}
	}
	return res
}
