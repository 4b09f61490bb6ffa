package empsheet

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// Sheet names of the template. Parse reads the sheet named DataSheet when a
// workbook has one, so admins may reorder sheets freely.
const (
	DataSheet         = "员工 Employees"
	InstructionsSheet = "说明 Instructions"
)

// templateRows is how far down the drop-downs and text formats reach: the
// row limit plus the header.
const templateRows = DefaultMaxRows + 1

// Template builds the import template: a data sheet with one bilingual
// header row (see Column.Header) and nothing else, so it parses back as zero
// rows; and an instructions sheet describing every column with an example.
// The data sheet freezes the header, sizes the columns, formats the number
// columns as text (so Excel keeps leading zeros and long digits) and offers
// drop-downs for role and status.
func Template() ([]byte, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName("Sheet1", DataSheet); err != nil {
		return nil, fmt.Errorf("empsheet: template: %w", err)
	}
	if err := writeDataSheet(f); err != nil {
		return nil, fmt.Errorf("empsheet: template data sheet: %w", err)
	}
	if err := writeInstructions(f); err != nil {
		return nil, fmt.Errorf("empsheet: template instructions: %w", err)
	}
	f.SetActiveSheet(0)
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("empsheet: template write: %w", err)
	}
	return buf.Bytes(), nil
}

func writeDataSheet(f *excelize.File) error {
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": cells hold text
	if err != nil {
		return err
	}
	head, err := headerStyle(f, false)
	if err != nil {
		return err
	}
	required, err := headerStyle(f, true)
	if err != nil {
		return err
	}
	// Column styles first: SetColStyle restyles existing cells, which
	// would overwrite the header's style.
	for _, i := range idColumns {
		col := columnLetter(i)
		if err := f.SetColStyle(DataSheet, col, text); err != nil {
			return err
		}
	}
	for i, c := range columns {
		col := columnLetter(i)
		cell := col + "1"
		if err := f.SetCellStr(DataSheet, cell, c.Header()); err != nil {
			return err
		}
		style := head
		if c.Required {
			style = required
		}
		if err := f.SetCellStyle(DataSheet, cell, cell, style); err != nil {
			return err
		}
		if err := f.SetColWidth(DataSheet, col, col, columnWidth(c)); err != nil {
			return err
		}
	}
	if err := f.SetRowHeight(DataSheet, 1, 24); err != nil {
		return err
	}
	if err := f.SetPanes(DataSheet, &excelize.Panes{
		Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
	}); err != nil {
		return err
	}
	for _, dd := range []struct {
		key, title string
		values     []string
	}{
		{KeyRole, "角色 Role", []string{"员工", "经理", "管理员", "employee", "manager", "admin"}},
		{KeyStatus, "状态 Status", []string{"在职", "离职", "active", "left"}},
	} {
		col := columnLetter(columnIndex[dd.key])
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, templateRows))
		if err := dv.SetDropList(dd.values); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, dd.title,
			"请从下拉列表中选择。 Choose a value from the list: "+strings.Join(dd.values, ", "))
		if err := f.AddDataValidation(DataSheet, dv); err != nil {
			return err
		}
	}
	return nil
}

func headerStyle(f *excelize.File, required bool) (int, error) {
	color := "1F2937"
	if required {
		color = "B91C1C"
	}
	return f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Color: color},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E5E7EB"}},
		Alignment: &excelize.Alignment{Vertical: "center"},
		Border: []excelize.Border{
			{Type: "bottom", Color: "9CA3AF", Style: 1},
		},
	})
}

// columnWidth fits the header (CJK characters are two units wide) with a
// floor that leaves room for typical values.
func columnWidth(c Column) float64 {
	w := 0
	for _, r := range c.Header() {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			w += 2
		default:
			w++
		}
	}
	floor := 14
	switch c.Key {
	case KeyEmail:
		floor = 28
	case KeyDepartment, KeySites:
		floor = 22
	}
	return float64(max(w+2, floor))
}

func writeInstructions(f *excelize.File) error {
	const sheet = InstructionsSheet
	if _, err := f.NewSheet(sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	rows := [][]string{
		{"员工导入说明 Employee import instructions"},
		{"在「" + DataSheet + "」表第 2 行起每行填写一名员工，按工号新增或更新；不要修改表头。带 * 的列必填。" +
			" Fill one employee per row of the \"" + DataSheet + "\" sheet from row 2; rows are created or updated by employee number. " +
			"Keep the header row. Columns marked * are required."},
		{"可以删除不需要的列：更新时只修改文件中存在的列。也可上传 CSV（UTF-8 或 GBK，逗号、分号或制表符分隔）。" +
			" Columns you do not need may be deleted: an update changes only the columns in the file. CSV (UTF-8 or GBK; comma, semicolon or tab) is accepted too."},
		{fmt.Sprintf("公式不会被计算，以 = + - @ 开头的内容按文本导入。最多 %[1]d 行。"+
			" Formulas are not evaluated; text starting with = + - @ is imported as text. At most %[1]d rows.", DefaultMaxRows)},
		{},
		{"列 Column", "必填 Required", "说明 Description", "示例 Example"},
	}
	for _, c := range columns {
		req := "否 No"
		if c.Required {
			req = "是 Yes"
		}
		rows = append(rows, []string{c.Header(), req, c.Description, c.Example})
	}
	rows = append(rows, []string{}, []string{"示例行（请勿粘贴到此表）Example row (for reference only)"})
	var heads, example []string
	for _, c := range columns {
		heads = append(heads, c.Header())
		example = append(example, c.Example)
	}
	rows = append(rows, heads, example)
	for r, row := range rows {
		for c, v := range row {
			cell, err := excelize.CoordinatesToCellName(c+1, r+1)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return err
			}
		}
	}
	tableHead := 6
	exampleHead := tableHead + len(columns) + 3
	for _, s := range []struct {
		from, to string
		style    int
	}{
		{"A1", "A1", title},
		{fmt.Sprintf("A%d", tableHead), fmt.Sprintf("D%d", tableHead), bold},
		{fmt.Sprintf("A%d", exampleHead-1), fmt.Sprintf("A%d", exampleHead-1), bold},
		{fmt.Sprintf("A%d", exampleHead), fmt.Sprintf("%s%d", columnLetter(len(columns)-1), exampleHead), bold},
		{fmt.Sprintf("C%d", tableHead+1), fmt.Sprintf("C%d", tableHead+len(columns)), wrap},
	} {
		if err := f.SetCellStyle(sheet, s.from, s.to, s.style); err != nil {
			return err
		}
	}
	for col, w := range map[string]float64{"A": 26, "B": 14, "C": 80, "D": 24} {
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	return nil
}
