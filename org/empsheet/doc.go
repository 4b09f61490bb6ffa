// Package empsheet reads and writes the employee import spreadsheet.
//
// It is pure: Parse gets the uploaded bytes through an io.Reader and returns
// validated rows; Template returns the .xlsx an admin downloads. Nothing
// here touches the database, HTTP or the environment, and nothing is written
// to disk (workbooks are unzipped in memory). Matching rows to existing
// employees, departments, managers and sites, and the upsert itself, are the
// org service's job.
//
// # File types
//
// The type is sniffed from the content, never from the file name:
//
//   - .xlsx (and .xlsm): a zip holding xl/workbook.xml. The sheet named
//     DataSheet ("员工 Employees") is read when present, otherwise the first
//     visible sheet other than the instructions sheet. Only that one sheet is
//     read, with excelize's streaming row iterator.
//   - CSV text: UTF-8 with or without BOM, UTF-16 with BOM, or else
//     GB18030 (which covers GBK and GB2312, as Excel on Chinese Windows
//     writes). The delimiter is ",", ";" or TAB, whichever the header line
//     has most of outside quotes; an Excel "sep=;" first line also works.
//
// Everything else is rejected whole with ErrNotSpreadsheet and a reason that
// tells the admin what to do: empty files, legacy .xls and password-protected
// workbooks (OLE2), .xlsb, .ods, other zips, PDFs, images, HTML or XML
// "xls" exports, and any binary data.
//
// # Header
//
// The header is the first non-empty row in which some cell names a known
// column; up to ten title or note rows above it are skipped. A header cell
// matches a column when,
// after folding full-width characters, lower-casing, and dropping white
// space and the punctuation "* _ - . / \ : ( ) [ ] 【 】 ·", and a leading or
// trailing 必填/选填/required/optional mark, it equals the column's key,
// Chinese label, English label, the template's bilingual label ("*工号
// Employee No.") or an alias (Columns lists them: 员工编号, employee number,
// emp no, …). Unmatched header cells are ignored and
// reported in Result.IgnoredColumns; two cells matching the same column are
// an ErrDuplicateColumn; a missing required column is a *MissingColumnsError.
// Columns may come in any order, and optional ones may be left out: an update
// then changes only the columns present (Row.Present).
//
// # Rows
//
// Row numbers are the ones a spreadsheet program shows (header = 1 when it is
// the first row; blank rows count, and a CSV cell spanning several lines is
// one row). Rows whose known columns are all empty are skipped and not
// counted. More than Options.MaxRows (50,000) non-empty rows reject the file
// with ErrTooManyRows.
//
// Every cell is trimmed of white space (including U+3000 and NBSP) and
// zero-width characters. Then, per column:
//
//	employee_no  required; 1-32 of A-Z a-z 0-9 - _ . ; repeats → duplicate_in_file
//	name         required
//	department   a name or a path "研发/后端" ("／" too); levels are trimmed
//	manager_no   same rule as employee_no; not the row's own number
//	email        a bare address (no display name), at most 320 characters
//	phone        11-digit mainland mobile or +country code, 8-15 digits;
//	             stored as E.164 ("+8613800138000")
//	timezone     an IANA name accepted by time.LoadLocation; "Local" refused
//	role         employee | manager | admin, or 员工 | 经理 | 管理员
//	status       active | left, or 在职 | 离职
//	sites        names separated by ";" "；" "," "，" or "、"
//	card_no      1-32 of A-Z a-z 0-9; repeats → duplicate_in_file
//
// Other cells may hold at most 200 characters (too_long). Control
// characters, line breaks inside a cell and bidirectional overrides are
// refused (invalid_value). Full-width letters and digits are folded to ASCII
// in the number, email, timezone, role and status columns.
//
// # Numbers in .xlsx
//
// Cells are read as Excel displays them, so a text cell keeps its leading
// zeros and a "000000" number format yields the padded number the admin
// sees. Excel often stores IDs typed into a General cell as numbers; in the
// employee, manager, card and phone columns a zero fraction ("1001.0") and
// thousands separators ("1,001") are therefore removed. A number of more than
// 15 digits is displayed in scientific notation; the sheet is then read a
// second time for its stored digits, and if those are in scientific notation
// too (Excel itself keeps only 15 digits) the cell is refused with a message
// asking to format the column as text.
//
// # Formulas and formula-looking text
//
// Nothing is evaluated. A formula cell in an .xlsx yields the result Excel
// cached when it saved the file. Text that starts with "=", "+", "-" or "@"
// (a CSV cell, or an .xlsx text cell) is kept as literal text. Code that
// later writes these values into a spreadsheet or CSV must escape them
// against formula injection.
//
// # Errors
//
// Problems in a cell become a RowError (row, column key, code, message); the
// row is left out of Result.Rows and the rest of the file is still read, so
// one upload reports every problem at once. The codes are the Code*
// constants.
package empsheet
