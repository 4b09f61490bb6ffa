package empsheet

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestTemplate(t *testing.T) {
	t.Parallel()
	data, err := Template()
	if err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T) *excelize.File {
		t.Helper()
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	}

	t.Run("ParsesBackAsZeroRows", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, data)
		if res.Format != FormatXLSX || res.TotalRows != 0 || len(res.Rows) != 0 ||
			len(res.Errors) != 0 || len(res.IgnoredColumns) != 0 {
			t.Fatalf("template parsed as %+v", res)
		}
	})
	t.Run("SheetsAreDataThenInstructions", func(t *testing.T) {
		t.Parallel()
		f := open(t)
		if got := f.GetSheetList(); !slices.Equal(got, []string{DataSheet, InstructionsSheet}) {
			t.Fatalf("sheets = %v", got)
		}
		if f.GetActiveSheetIndex() != 0 {
			t.Fatal("the data sheet is not the active sheet")
		}
	})
	t.Run("HeaderRowIsBilingualAndAlone", func(t *testing.T) {
		t.Parallel()
		rows, err := open(t).GetRows(DataSheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 {
			t.Fatalf("data sheet has %d rows, want only the header", len(rows))
		}
		for i, c := range Columns() {
			if rows[0][i] != c.Header() {
				t.Errorf("header %d = %q, want %q", i, rows[0][i], c.Header())
			}
		}
	})
	t.Run("HeaderIsFrozen", func(t *testing.T) {
		t.Parallel()
		p, err := open(t).GetPanes(DataSheet)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit != 1 || p.TopLeftCell != "A2" {
			t.Fatalf("panes = %+v", p)
		}
	})
	t.Run("ColumnsAreWideEnough", func(t *testing.T) {
		t.Parallel()
		f := open(t)
		for i := range columns {
			w, err := f.GetColWidth(DataSheet, columnLetter(i))
			if err != nil || w < 14 {
				t.Errorf("column %s width %v (%v)", columnLetter(i), w, err)
			}
		}
	})
	t.Run("RoleAndStatusHaveDropDowns", func(t *testing.T) {
		t.Parallel()
		dvs, err := open(t).GetDataValidations(DataSheet)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, dv := range dvs {
			got[strings.SplitN(dv.Sqref, ":", 2)[0]] = dv.Formula1
		}
		if len(dvs) != 2 || !strings.Contains(got["H2"], "管理员") || !strings.Contains(got["I2"], "离职") {
			t.Fatalf("data validations = %v", got)
		}
	})
	t.Run("NumberColumnsAreText", func(t *testing.T) {
		t.Parallel()
		f := open(t)
		for _, key := range []string{KeyEmployeeNo, KeyManagerNo, KeyPhone, KeyCardNo} {
			id, err := f.GetColStyle(DataSheet, columnLetter(columnIndex[key]))
			if err != nil {
				t.Fatal(err)
			}
			st, err := f.GetStyle(id)
			if err != nil || st.NumFmt != 49 {
				t.Errorf("%s: column style %+v (%v), want text format 49", key, st, err)
			}
		}
	})
	t.Run("InstructionsListEveryColumn", func(t *testing.T) {
		t.Parallel()
		rows, err := open(t).GetRows(InstructionsSheet)
		if err != nil {
			t.Fatal(err)
		}
		text := ""
		for _, r := range rows {
			text += strings.Join(r, "\t") + "\n"
		}
		for _, c := range Columns() {
			if !strings.Contains(text, c.Header()+"\t") || !strings.Contains(text, c.Description) {
				t.Errorf("instructions miss %s", c.Key)
			}
		}
	})
	t.Run("FilledTemplateRoundTrips", func(t *testing.T) {
		t.Parallel()
		f := open(t)
		vals := map[string]string{
			"A2": "00123", "B2": "张三", "C2": "研发/后端", "D2": "00001", "E2": "zhangsan@example.com",
			"F2": "138 0013 8000", "G2": "Asia/Shanghai", "H2": "经理", "I2": "在职", "J2": "总部；上海", "K2": "0004021337",
			"A3": "00001", "B3": "李四",
		}
		for cell, v := range vals {
			if err := f.SetCellStr(DataSheet, cell, v); err != nil {
				t.Fatal(err)
			}
		}
		buf, err := f.WriteToBuffer()
		if err != nil {
			t.Fatal(err)
		}
		res := mustParse(t, buf.Bytes())
		if len(res.Errors) != 0 || len(res.Rows) != 2 {
			t.Fatalf("rows %+v errors %+v", res.Rows, res.Errors)
		}
		r := res.Rows[0]
		want := Row{Line: 2, EmployeeNo: "00123", Name: "张三", Department: "研发/后端", ManagerNo: "00001",
			Email: "zhangsan@example.com", Phone: "+8613800138000", Timezone: "Asia/Shanghai", Role: "manager",
			Status: "active", CardNo: "0004021337", Sites: []string{"总部", "上海"}}
		r.Present, want.Present = nil, nil
		if !rowsEqual(r, want) {
			t.Fatalf("row = %+v\nwant  %+v", r, want)
		}
		if len(res.Rows[0].Present) != numColumns {
			t.Fatalf("Present = %v, want all columns", res.Rows[0].Present)
		}
	})
}

func rowsEqual(a, b Row) bool {
	return a.Line == b.Line && a.EmployeeNo == b.EmployeeNo && a.Name == b.Name && a.Department == b.Department &&
		a.ManagerNo == b.ManagerNo && a.Email == b.Email && a.Phone == b.Phone && a.Timezone == b.Timezone &&
		a.Role == b.Role && a.Status == b.Status && a.CardNo == b.CardNo && slices.Equal(a.Sites, b.Sites)
}
