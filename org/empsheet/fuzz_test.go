package empsheet

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// FuzzParse feeds arbitrary bytes to Parse. Whatever the input, Parse must
// not panic, must reject the file with one of the documented sentinels or
// return a Result whose counts and rows are consistent, and must stay within
// the limits it was given.
func FuzzParse(f *testing.F) {
	tmpl, err := Template()
	if err != nil {
		f.Fatal(err)
	}
	gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("工号,姓名,部门\nA1,张三,研发/后端\n"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{
		tmpl,
		xlsxOf(f, []any{"工号", "姓名", "手机"}, []any{1001, "张三", 13800138000}, []any{stored("1.2E+19"), "李四", ""}),
		[]byte("工号,姓名,邮箱,手机,时区,角色,状态,考勤地点,卡号,上级工号\n" +
			"A1,张三,a@b.cn,13800138000,Asia/Shanghai,员工,在职,总部;分部,123,A0\nA1,李四,,,,,,,,\n"),
		[]byte("\xef\xbb\xbfemployee_no;name\r\n001;\"multi\nline\"\r\n"),
		[]byte("sep=\t\n工号\t姓名\n=1+1\t@x\n"),
		gbk,
		[]byte("\xff\xfe\x25\x5d\xd3\x59\t\x00\xd3\x59\x0d\x00\x0a\x00"),
		[]byte("%PDF-1.4"),
		[]byte("PK\x03\x04garbage"),
		{},
	} {
		f.Add(seed)
	}
	opts := Options{MaxRows: 200, MaxBytes: 1 << 20, MaxErrors: 50}
	knownCode := map[string]bool{
		CodeRequired: true, CodeTooLong: true, CodeInvalidEmail: true, CodeInvalidPhone: true,
		CodeInvalidTimezone: true, CodeInvalidRole: true, CodeInvalidStatus: true,
		CodeInvalidValue: true, CodeDuplicateInFile: true,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data), opts)
		if err != nil {
			if res != nil {
				t.Fatal("both a result and an error")
			}
			for _, s := range []error{ErrNotSpreadsheet, ErrMissingColumns, ErrDuplicateColumn, ErrTooManyRows, ErrTooLarge} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("undocumented error %v", err)
		}
		if res.TotalRows != len(res.Rows)+res.FailedRows || res.TotalRows > opts.MaxRows {
			t.Fatalf("counts: total %d rows %d failed %d", res.TotalRows, len(res.Rows), res.FailedRows)
		}
		if len(res.Errors) > opts.MaxErrors || (res.FailedRows > 0) != (len(res.Errors) > 0) {
			t.Fatalf("%d errors for %d failed rows", len(res.Errors), res.FailedRows)
		}
		seen := map[string]bool{}
		last := 1
		for _, r := range res.Rows {
			if r.Line <= last || r.EmployeeNo == "" || r.Name == "" || seen[r.EmployeeNo] {
				t.Fatalf("bad row %+v after line %d", r, last)
			}
			last = r.Line
			seen[r.EmployeeNo] = true
		}
		for _, e := range res.Errors {
			if _, ok := columnIndex[e.Column]; !ok || !knownCode[e.Code] || e.Row < 2 || e.Message == "" {
				t.Fatalf("bad error %+v", e)
			}
		}
	})
}

// FuzzParseSheetXML keeps the zip valid and fuzzes the worksheet XML inside
// it, which FuzzParse rarely reaches because mutations break the zip's
// checksums. Parse must not panic and must answer within its limits.
func FuzzParseSheetXML(f *testing.F) {
	base := xlsxOf(f, []any{"工号", "姓名", "手机"}, []any{1001, "张三", stored("1.3800138E10")}, []any{"A2", "李四", "x"})
	f.Add(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>工号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c></row>` +
		`<row r="3"><c r="A3"><v>1.2345678901234567E+19</v></c><c r="B3" t="s"><v>0</v></c></row>` +
		`<row r="7"><c r="XFD7" t="str"><f>1+1</f><v>2</v></c></row></sheetData></worksheet>`)
	f.Add(`<worksheet><sheetData><row><c t="s"><v>99999</v></c></row></sheetData></worksheet>`)
	f.Fuzz(func(t *testing.T, sheet string) {
		data := rewriteZip(t, base, "xl/worksheets/sheet1.xml", func(string) string { return sheet })
		res, err := Parse(bytes.NewReader(data), Options{MaxRows: 100, MaxErrors: 20})
		if err == nil && (res.TotalRows > 100 || len(res.Errors) > 20) {
			t.Fatalf("limits exceeded: %d rows, %d errors", res.TotalRows, len(res.Errors))
		}
	})
}
