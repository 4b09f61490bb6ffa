package empsheet

import (
	"errors"
	"strings"
)

// File-level errors. Parse returns them wrapped with the reason, so callers
// test with errors.Is and show err.Error() to the admin. Each means the whole
// file was rejected and nothing should be imported.
var (
	// ErrNotSpreadsheet: the content is neither an .xlsx workbook nor CSV text
	// (empty file, PDF, image, other zip, legacy .xls, binary data, HTML…).
	ErrNotSpreadsheet = errors.New("empsheet: not a spreadsheet")
	// ErrMissingColumns: the header lacks a required column. The concrete
	// error is a *MissingColumnsError naming them.
	ErrMissingColumns = errors.New("empsheet: missing required columns")
	// ErrDuplicateColumn: two header cells map to the same column, so it is
	// unclear which one holds the data.
	ErrDuplicateColumn = errors.New("empsheet: duplicate column")
	// ErrTooManyRows: more data rows than Options.MaxRows.
	ErrTooManyRows = errors.New("empsheet: too many rows")
	// ErrTooLarge: the upload, the unzipped workbook or a CSV line exceeds
	// the size bounds that keep one import from exhausting memory.
	ErrTooLarge = errors.New("empsheet: file too large")
)

// MissingColumnsError lists the required columns the header lacks.
// errors.Is(err, ErrMissingColumns) holds for it.
type MissingColumnsError struct {
	// Columns are canonical keys in template order, e.g. ["employee_no"].
	Columns []string
}

// Error names each missing column by key and bilingual label.
func (e *MissingColumnsError) Error() string {
	parts := make([]string, len(e.Columns))
	for i, k := range e.Columns {
		parts[i] = k
		if j, ok := columnIndex[k]; ok {
			parts[i] = k + " (" + columns[j].Chinese + " " + columns[j].English + ")"
		}
	}
	return ErrMissingColumns.Error() + ": " + strings.Join(parts, ", ")
}

// Unwrap makes errors.Is(err, ErrMissingColumns) true.
func (e *MissingColumnsError) Unwrap() error { return ErrMissingColumns }

// Row error codes (RowError.Code). They are stable API: clients translate them.
const (
	// CodeRequired: a required cell (employee_no, name) is empty.
	CodeRequired = "required"
	// CodeTooLong: the cell exceeds the column's length limit (200 runes, 320 for email).
	CodeTooLong = "too_long"
	// CodeInvalidEmail: not a plain addr-spec like name@example.com.
	CodeInvalidEmail = "invalid_email"
	// CodeInvalidPhone: neither an 11-digit mainland mobile nor +country code and 8-15 digits.
	CodeInvalidPhone = "invalid_phone"
	// CodeInvalidTimezone: not an IANA zone name time.LoadLocation knows ("Local" is refused).
	CodeInvalidTimezone = "invalid_timezone"
	// CodeInvalidRole: not employee, manager or admin (员工, 经理, 管理员).
	CodeInvalidRole = "invalid_role"
	// CodeInvalidStatus: not active or left (在职, 离职).
	CodeInvalidStatus = "invalid_status"
	// CodeInvalidValue: control characters, a malformed employee/card/manager
	// number, a number Excel stored without its full digits, an empty
	// department path segment, or an employee who is their own manager.
	CodeInvalidValue = "invalid_value"
	// CodeDuplicateInFile: the employee_no (or card_no) already appeared in an
	// earlier row; the message names that row.
	CodeDuplicateInFile = "duplicate_in_file"
)

// RowError is one problem in one cell. Its JSON form is the element of the
// import response's "errors" array.
type RowError struct {
	// Row is the spreadsheet row number as the admin sees it (header = 1 when
	// it is the first row).
	Row int `json:"row"`
	// Column is the canonical key of the offending column.
	Column string `json:"column"`
	// Code is one of the Code* constants.
	Code string `json:"code"`
	// Message is a short English explanation that never echoes the whole cell.
	Message string `json:"message"`
}
