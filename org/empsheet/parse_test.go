package empsheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func TestParseXLSX(t *testing.T) {
	t.Parallel()
	t.Run("HappyPath", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, xlsxOf(t,
			[]any{"工号", "姓名", "部门", "上级工号", "邮箱", "手机号", "时区", "角色", "状态", "考勤地点", "卡号"},
			[]any{"E001", " 王小明 ", "研发 / 后端", "E000", "xm@example.com", "13800138000", "Asia/Shanghai", "员工", "在职", "总部;分部", "12345"},
			[]any{"E000", "陈总", "研发", "", "", "+852 9123 4567", "Asia/Hong_Kong", "admin", "active", "", ""},
		))
		if res.Format != FormatXLSX || res.TotalRows != 2 || res.FailedRows != 0 || len(res.Errors) != 0 {
			t.Fatalf("result %+v", res)
		}
		want := []Row{
			{Line: 2, EmployeeNo: "E001", Name: "王小明", Department: "研发/后端", ManagerNo: "E000", Email: "xm@example.com",
				Phone: "+8613800138000", Timezone: "Asia/Shanghai", Role: "employee", Status: "active",
				Sites: []string{"总部", "分部"}, CardNo: "12345"},
			{Line: 3, EmployeeNo: "E000", Name: "陈总", Department: "研发", Phone: "+85291234567",
				Timezone: "Asia/Hong_Kong", Role: "admin", Status: "active"},
		}
		for i := range want {
			if !rowsEqual(res.Rows[i], want[i]) {
				t.Errorf("row %d = %+v\nwant %+v", i, res.Rows[i], want[i])
			}
		}
	})
	t.Run("NumberCells", func(t *testing.T) {
		t.Parallel()
		// Each row: the employee number cell, how it is stored, what Parse
		// must return (or the error code).
		tests := []struct {
			name string
			cell any
			want string
			code string
		}{
			{"Integer", 1001, "1001", ""},
			{"Float", 1002.0, "1002", ""},
			{"StoredWithZeroFraction", stored("1003.0"), "1003", ""},
			{"StoredInScientificNotation", stored("1.004E3"), "1004", ""},
			{"ZeroPaddedFormat", formatted{123, "000000"}, "000123", ""},
			{"ThousandsAndDecimals", formatted{1005, "#,##0.00"}, "1005", ""},
			{"TextKeepsLeadingZeros", "000456", "000456", ""},
			{"TextThatLooksLikeANumber", "1E5", "1E5", ""},
			{"SixteenDigitsStoredExactly", stored("1234567890123456"), "1234567890123456", ""},
			{"TwentyDigitsStoredExactly", stored("12345678901234567890"), "12345678901234567890", ""},
			{"DigitsLostByExcel", stored("1.2345678901234567E+19"), "", CodeInvalidValue},
			{"FractionIsNotAnID", 10.5, "10.5", ""},
		}
		rows := [][]any{{"工号", "姓名"}}
		for _, tt := range tests {
			rows = append(rows, []any{tt.cell, tt.name})
		}
		res := mustParse(t, xlsxOf(t, rows...))
		got := map[string]string{}
		for _, r := range res.Rows {
			got[r.Name] = r.EmployeeNo
		}
		gotCode := map[int]string{}
		for _, e := range res.Errors {
			gotCode[e.Row] = e.Code
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if g := gotCode[i+2]; g != tt.code {
					t.Fatalf("code = %q, want %q", g, tt.code)
				}
				if tt.code == "" && got[tt.name] != tt.want {
					t.Fatalf("employee_no = %q, want %q", got[tt.name], tt.want)
				}
			})
		}
	})
	t.Run("NumericPhoneAndCard", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, xlsxOf(t,
			[]any{"工号", "姓名", "手机", "卡号"},
			[]any{1, "a", 13800138000, stored("4021337.0")},
			[]any{2, "b", stored("1.3800138001E10"), stored("98765432109876543210")},
		))
		if len(res.Errors) != 0 {
			t.Fatal(res.Errors)
		}
		if res.Rows[0].Phone != "+8613800138000" || res.Rows[0].CardNo != "4021337" ||
			res.Rows[1].Phone != "+8613800138001" || res.Rows[1].CardNo != "98765432109876543210" {
			t.Fatalf("rows %+v", res.Rows)
		}
	})
	t.Run("FormulaCellYieldsCachedValue", func(t *testing.T) {
		t.Parallel()
		// Excel saves a formula with its last result; the formula here
		// would give "李四", the cached result is "张三".
		data := rewriteZip(t, xlsxOf(t, []any{"工号", "姓名"}, []any{"F1", "PLACEHOLDER"}),
			"xl/worksheets/sheet1.xml", func(s string) string {
				i := strings.Index(s, `<c r="B2"`)
				j := i + strings.Index(s[i:], "</c>") + len("</c>")
				return s[:i] + `<c r="B2" t="str"><f>"李"&amp;"四"</f><v>张三</v></c>` + s[j:]
			})
		res := mustParse(t, data)
		if len(res.Rows) != 1 || res.Rows[0].Name != "张三" {
			t.Fatalf("rows %+v errors %+v", res.Rows, res.Errors)
		}
	})
	t.Run("RowNumbersMatchTheSheet", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, xlsxOf(t,
			nil,
			[]any{"工号", "姓名"},
			[]any{"A1", "甲"},
			nil,
			[]any{nil, nil},
			[]any{"A2", ""},
		))
		if res.TotalRows != 2 || !slices.Equal(codes(res.Errors), []string{"name:required@6"}) || res.Rows[0].Line != 3 {
			t.Fatalf("rows %+v errors %v", res.Rows, codes(res.Errors))
		}
	})
	t.Run("RowsWithOnlyIgnoredColumnsAreSkipped", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, xlsxOf(t,
			[]any{"工号", "姓名", "备注"},
			[]any{"A1", "甲", ""},
			[]any{nil, nil, "合计：1 人"},
		))
		if res.TotalRows != 1 || len(res.Errors) != 0 || !slices.Equal(res.IgnoredColumns, []string{"备注"}) {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("PrefersTheDataSheetByName", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, workbookOf(t,
			sheetSpec{name: InstructionsSheet, rows: [][]any{{"说明"}}},
			sheetSpec{name: DataSheet, rows: [][]any{{"工号", "姓名"}, {"B1", "乙"}}},
		))
		if len(res.Rows) != 1 || res.Rows[0].EmployeeNo != "B1" {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("OtherwiseTheFirstVisibleSheet", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, workbookOf(t,
			sheetSpec{name: "Hidden", hidden: true, rows: [][]any{{"lookup"}}},
			sheetSpec{name: "员工表", rows: [][]any{{"工号", "姓名"}, {"C1", "丙"}}},
			sheetSpec{name: "Other", rows: [][]any{{"工号", "姓名"}, {"D1", "丁"}}},
		))
		if len(res.Rows) != 1 || res.Rows[0].EmployeeNo != "C1" {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("EmptySheetLacksColumns", func(t *testing.T) {
		t.Parallel()
		_, err := Parse(bytes.NewReader(xlsxOf(t)), Options{})
		var mc *MissingColumnsError
		if !errors.As(err, &mc) || !slices.Equal(mc.Columns, []string{KeyEmployeeNo, KeyName}) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseCSV(t *testing.T) {
	t.Parallel()
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	utf16 := func(s string) []byte {
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name  string
		data  []byte
		names []string // Name of each valid row, in order
		lines []int
	}{
		{"UTF8", []byte("工号,姓名\nA1,张三\nA2,李四\n"), []string{"张三", "李四"}, []int{2, 3}},
		{"UTF8WithBOM", []byte("\xef\xbb\xbf工号,姓名\r\nA1,张三\r\n"), []string{"张三"}, []int{2}},
		{"GB18030", gbk("工号,姓名,部门\nA1,张三,研发部\nA2,欧阳娜娜,市场部\n"), []string{"张三", "欧阳娜娜"}, []int{2, 3}},
		{"UTF16WithBOMAndTabs", utf16("工号\t姓名\r\nA1\t张三\r\n"), []string{"张三"}, []int{2}},
		{"Semicolon", []byte("工号;姓名;考勤地点\nA1;张三;\"总部,分部\"\n"), []string{"张三"}, []int{2}},
		{"Tab", []byte("工号\t姓名\nA1\t张三\n"), []string{"张三"}, []int{2}},
		{"ExcelSepLine", []byte("sep=;\n工号;姓名\nA1;张三\n"), []string{"张三"}, []int{2}},
		{"DelimitersInsideQuotesDoNotCount", []byte("工号,姓名,\"考勤地点;Sites;x;y\"\nA1,张三;x,\"a;b\"\n"), []string{"张三;x"}, []int{2}},
		{"BlankLinesCountAsRows", []byte("工号,姓名\n\nA1,张三\n,\nA2,李四\n"), []string{"张三", "李四"}, []int{3, 5}},
		{"QuotedLineBreakIsOneRow", []byte("工号,姓名,部门\nA1,张三,\"研发\n后端\"\nA2,李四,\n"), []string{"李四"}, []int{3}},
		{"ShortRows", []byte("工号,姓名,邮箱\nA1,张三\n"), []string{"张三"}, []int{2}},
		{"HeaderOnly", []byte("工号,姓名\n"), nil, nil},
		{"LeadingBlankLines", []byte("\n\n工号,姓名\nA1,张三"), []string{"张三"}, []int{4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := mustParse(t, tt.data)
			var names []string
			var lines []int
			for _, r := range res.Rows {
				names = append(names, r.Name)
				lines = append(lines, r.Line)
			}
			if res.Format != FormatCSV || !slices.Equal(names, tt.names) || !slices.Equal(lines, tt.lines) {
				t.Fatalf("format %s names %q lines %v errors %+v", res.Format, names, lines, res.Errors)
			}
		})
	}
	t.Run("ErrorRowNumberAfterMultilineCell", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, []byte("工号,姓名\nA1,\"张\n三\"\nA2,\n"))
		if !slices.Equal(codes(res.Errors), []string{"name:invalid_value@2", "name:required@3"}) {
			t.Fatalf("errors %v", codes(res.Errors))
		}
	})
}

func TestParseHeader(t *testing.T) {
	t.Parallel()
	t.Run("PresentListsOnlyTheFilesColumns", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, []byte("Name,EMPLOYEE NO.,Remarks,,Email\n张三,A1,x,y,\n"))
		if len(res.Rows) != 1 {
			t.Fatal(res.Errors)
		}
		p := res.Rows[0].Present
		if len(p) != 3 || !p[KeyEmployeeNo] || !p[KeyName] || !p[KeyEmail] || p[KeyPhone] {
			t.Fatalf("Present = %v", p)
		}
		if !slices.Equal(res.IgnoredColumns, []string{"Remarks"}) {
			t.Fatalf("IgnoredColumns = %q", res.IgnoredColumns)
		}
	})
	t.Run("IgnoredColumnsAreCapped", func(t *testing.T) {
		t.Parallel()
		head := "工号,姓名" + strings.Repeat(",未知", 150) + "\n"
		res := mustParse(t, []byte(head+"A1,张三\n"))
		if len(res.IgnoredColumns) != maxIgnored || len(res.Rows) != 1 {
			t.Fatalf("%d ignored columns, %d rows", len(res.IgnoredColumns), len(res.Rows))
		}
	})
	t.Run("TitleRowsAboveTheHeaderAreSkipped", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, xlsxOf(t,
			[]any{"某某公司员工花名册"},
			[]any{"导出时间", "2024-05-01"},
			nil,
			[]any{"工号", "姓名", "备注"},
			[]any{"A1", "张三", ""},
		))
		if len(res.Rows) != 1 || res.Rows[0].Line != 5 || !slices.Equal(res.IgnoredColumns, []string{"备注"}) {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("HeaderBelowTenOtherRowsIsNotFound", func(t *testing.T) {
		t.Parallel()
		data := strings.Repeat("说明\n", maxTitleRows+1) + "工号,姓名\nA1,张三\n"
		_, err := Parse(strings.NewReader(data), Options{})
		var mc *MissingColumnsError
		if !errors.As(err, &mc) || len(mc.Columns) != 2 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("MissingRequiredColumns", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, data string
			want       []string
		}{
			{"NoEmployeeNo", "姓名,邮箱\n张三,a@b.cn\n", []string{KeyEmployeeNo}},
			{"NoName", "工号\nA1\n", []string{KeyName}},
			{"Neither", "foo,bar\n1,2\n", []string{KeyEmployeeNo, KeyName}},
			{"OnlyBlankLines", "\n \n\t\n", []string{KeyEmployeeNo, KeyName}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := Parse(strings.NewReader(tt.data), Options{})
				var mc *MissingColumnsError
				if !errors.Is(err, ErrMissingColumns) || !errors.As(err, &mc) || !slices.Equal(mc.Columns, tt.want) {
					t.Fatalf("err = %v", err)
				}
				if !strings.Contains(err.Error(), columns[columnIndex[tt.want[0]]].Chinese) {
					t.Fatalf("message %q does not name the column in Chinese", err)
				}
			})
		}
	})
	t.Run("DuplicateColumn", func(t *testing.T) {
		t.Parallel()
		_, err := Parse(strings.NewReader("工号,姓名,Employee No.\nA1,张三,A2\n"), Options{})
		if !errors.Is(err, ErrDuplicateColumn) || !strings.Contains(err.Error(), "column A and column C") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseRejectsWholeFile(t *testing.T) {
	t.Parallel()
	zipOf := func(files map[string]string) []byte {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		for name, body := range files {
			fw, err := w.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fw.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	// A zip whose single entry claims to unzip to 1 GiB.
	bomb := func() []byte {
		var buf bytes.Buffer
		w := zip.NewWriter(&buf)
		fw, err := w.CreateRaw(&zip.FileHeader{Name: "xl/workbook.xml", Method: zip.Store,
			CompressedSize64: 1, UncompressedSize64: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	rows := func(n int) []byte {
		var b strings.Builder
		b.WriteString("工号,姓名\n")
		for i := range n {
			b.WriteString("E" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + ",x\n")
		}
		return []byte(b.String())
	}
	valid := xlsxOf(t, []any{"工号", "姓名"}, []any{"A1", "x"})
	tests := []struct {
		name    string
		data    []byte
		opts    Options
		is      error
		mention string
	}{
		{"Empty", nil, Options{}, ErrNotSpreadsheet, "empty"},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), Options{}, ErrNotSpreadsheet, "PNG image"},
		{"JPEG", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), Options{}, ErrNotSpreadsheet, "JPEG image"},
		{"PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), Options{}, ErrNotSpreadsheet, "PDF"},
		{"LegacyXLS", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00"), Options{}, ErrNotSpreadsheet, "save it as .xlsx"},
		{"OtherZip", zipOf(map[string]string{"notes.txt": "hello"}), Options{}, ErrNotSpreadsheet, "zip archive, not an .xlsx"},
		{"ODS", zipOf(map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"}), Options{}, ErrNotSpreadsheet, ".ods"},
		{"XLSB", zipOf(map[string]string{"xl/workbook.bin": "x"}), Options{}, ErrNotSpreadsheet, ".xlsb"},
		{"DOCX", zipOf(map[string]string{"word/document.xml": "<x/>"}), Options{}, ErrNotSpreadsheet, "Word"},
		{"TruncatedXLSX", valid[:len(valid)/2], Options{}, ErrNotSpreadsheet, "damaged"},
		{"WorkbookWithGarbage", zipOf(map[string]string{"xl/workbook.xml": "not xml <<<", "[Content_Types].xml": "<<"}), Options{}, ErrNotSpreadsheet, ""},
		{"ZipBomb", bomb(), Options{}, ErrTooLarge, "MiB"},
		{"Binary", []byte{0x81, 0x30, 0xff, 0xfe, 0x00, 0x80, 0xff, 0x01}, Options{}, ErrNotSpreadsheet, "binary"},
		{"NULBytes", []byte("工号,姓名\x00\nA1,x\n"), Options{}, ErrNotSpreadsheet, "NUL"},
		{"HTMLSavedAsXLS", []byte("<html><table><tr><td>工号</td></tr></table></html>"), Options{}, ErrNotSpreadsheet, "HTML"},
		{"SpreadsheetML2003", []byte("\xef\xbb\xbf<?xml version=\"1.0\"?><Workbook/>"), Options{}, ErrNotSpreadsheet, "XML"},
		{"TooManyRows", rows(4), Options{MaxRows: 3}, ErrTooManyRows, "more than 3"},
		{"TooManyRowsXLSX", xlsxOf(t, []any{"工号", "姓名"}, []any{"a", "b"}, []any{"c", "d"}), Options{MaxRows: 1}, ErrTooManyRows, ""},
		{"UploadTooLarge", rows(50), Options{MaxBytes: 100}, ErrTooLarge, "100 bytes"},
		{"LineWithTooManyFields", []byte("工号,姓名" + strings.Repeat(",", 5000) + "\n"), Options{}, ErrTooLarge, "fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := Parse(bytes.NewReader(tt.data), tt.opts)
			if !errors.Is(err, tt.is) || res != nil {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("err = %q, want it to mention %q", err, tt.mention)
			}
		})
	}
	t.Run("ExactlyMaxRowsIsFine", func(t *testing.T) {
		t.Parallel()
		res, err := Parse(bytes.NewReader(rows(3)), Options{MaxRows: 3})
		if err != nil || res.TotalRows != 3 {
			t.Fatalf("res %+v err %v", res, err)
		}
	})
	t.Run("ReaderErrorIsReturned", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("connection reset")
		_, err := Parse(iotest.ErrReader(boom), Options{})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
	})
}
