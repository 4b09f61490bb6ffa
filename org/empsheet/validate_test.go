package empsheet

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// parseCell parses a CSV with employee_no, name and key, where key holds val
// and the other cells are valid. It returns the row (if valid) and errors.
func parseCell(t *testing.T, key, val string) (*Row, []RowError) {
	t.Helper()
	head := []string{KeyEmployeeNo, KeyName}
	row := []string{"E1", "张三"}
	switch key {
	case KeyEmployeeNo:
		row[0] = val
	case KeyName:
		row[1] = val
	default:
		head = append(head, key)
		row = append(row, val)
	}
	res := mustParse(t, csvOf(t, head, row))
	if len(res.Rows) == 1 {
		return &res.Rows[0], res.Errors
	}
	return nil, res.Errors
}

func TestRowErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, key, val, code string
	}{
		{"EmployeeNoRequired", KeyEmployeeNo, "  ", CodeRequired},
		{"NameRequired", KeyName, "\u3000", CodeRequired},
		{"NameTooLong", KeyName, strings.Repeat("长", 201), CodeTooLong},
		{"DepartmentTooLong", KeyDepartment, strings.Repeat("a", 201), CodeTooLong},
		{"EmailTooLong", KeyEmail, strings.Repeat("a", 310) + "@example.com", CodeTooLong},
		{"EmployeeNoTooLong", KeyEmployeeNo, strings.Repeat("9", 33), CodeTooLong},
		{"CardNoTooLong", KeyCardNo, strings.Repeat("9", 33), CodeTooLong},
		{"EmployeeNoWithSpace", KeyEmployeeNo, "E 1", CodeInvalidValue},
		{"EmployeeNoWithSlash", KeyEmployeeNo, "E/1", CodeInvalidValue},
		{"EmployeeNoChinese", KeyEmployeeNo, "工1", CodeInvalidValue},
		{"EmployeeNoFormula", KeyEmployeeNo, "=1+1", CodeInvalidValue},
		{"EmployeeNoScientific", KeyEmployeeNo, "1.38E+10", CodeInvalidValue},
		{"ManagerNoInvalid", KeyManagerNo, "M#1", CodeInvalidValue},
		{"ManagerIsSelf", KeyManagerNo, "E1", CodeInvalidValue},
		{"CardNoWithDash", KeyCardNo, "12-34", CodeInvalidValue},
		{"NameWithBell", KeyName, "张\a三", CodeInvalidValue},
		{"NameWithTab", KeyName, "张\t三", CodeInvalidValue},
		{"NameWithLineBreak", KeyName, "张\n三", CodeInvalidValue},
		{"NameWithC1Control", KeyName, "张\u0085三", CodeInvalidValue},
		{"NameWithBidiOverride", KeyName, "abc\u202egpj.exe", CodeInvalidValue},
		{"NameWithLineSeparator", KeyName, "张\u2028三", CodeInvalidValue},
		{"SitesWithControl", KeySites, "总部\x1b[31m", CodeInvalidValue},
		{"DepartmentEmptyLevel", KeyDepartment, "研发//后端", CodeInvalidValue},
		{"DepartmentOnlySlashes", KeyDepartment, " / ", CodeInvalidValue},
		{"EmailWithoutAt", KeyEmail, "zhangsan.example.com", CodeInvalidEmail},
		{"EmailWithDisplayName", KeyEmail, "张三 <zs@example.com>", CodeInvalidEmail},
		{"EmailWithoutDot", KeyEmail, "zs@localhost", CodeInvalidEmail},
		{"EmailIPLiteral", KeyEmail, "zs@[10.0.0.1]", CodeInvalidEmail},
		{"EmailTwoAts", KeyEmail, "a@b@example.com", CodeInvalidEmail},
		{"EmailSpace", KeyEmail, "z s@example.com", CodeInvalidEmail},
		{"EmailDoubleDot", KeyEmail, "zs@example..com", CodeInvalidEmail},
		{"PhoneTooShort", KeyPhone, "1380013800", CodeInvalidPhone},
		{"PhoneLandlineWithoutCountryCode", KeyPhone, "010-12345678", CodeInvalidPhone},
		{"PhoneLetters", KeyPhone, "138-CALL-NOW", CodeInvalidPhone},
		{"PhoneExtension", KeyPhone, "+86 10 1234 5678 x12", CodeInvalidPhone},
		{"PhoneTooLong", KeyPhone, "+1234567890123456", CodeInvalidPhone},
		{"PhonePlusInMiddle", KeyPhone, "86+13800138000", CodeInvalidPhone},
		{"PhoneBadChinaMobile", KeyPhone, "+86 138 0013 800", CodeInvalidPhone},
		{"PhoneScientific", KeyPhone, "1.38001E+10", CodeInvalidPhone},
		{"TimezoneUnknown", KeyTimezone, "Asia/Beijing", CodeInvalidTimezone},
		{"TimezoneLocal", KeyTimezone, "Local", CodeInvalidTimezone},
		{"TimezoneOffset", KeyTimezone, "UTC+8", CodeInvalidTimezone},
		{"TimezonePathTraversal", KeyTimezone, "../../etc/passwd", CodeInvalidTimezone},
		{"TimezoneChinese", KeyTimezone, "北京时间", CodeInvalidTimezone},
		{"RoleUnknown", KeyRole, "boss", CodeInvalidRole},
		{"RoleChineseUnknown", KeyRole, "老板", CodeInvalidRole},
		{"StatusUnknown", KeyStatus, "retired", CodeInvalidStatus},
		{"StatusChineseUnknown", KeyStatus, "试用", CodeInvalidStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row, errs := parseCell(t, tt.key, tt.val)
			if row != nil || len(errs) != 1 {
				t.Fatalf("row %+v errors %+v, want one %s", row, errs, tt.code)
			}
			e := errs[0]
			if e.Row != 2 || e.Column != tt.key || e.Code != tt.code || e.Message == "" {
				t.Fatalf("error %+v, want row 2 %s %s", e, tt.key, tt.code)
			}
		})
	}
}

func TestRowNormalisation(t *testing.T) {
	t.Parallel()
	field := func(r *Row, key string) string {
		switch key {
		case KeyEmployeeNo:
			return r.EmployeeNo
		case KeyName:
			return r.Name
		case KeyDepartment:
			return r.Department
		case KeyManagerNo:
			return r.ManagerNo
		case KeyEmail:
			return r.Email
		case KeyPhone:
			return r.Phone
		case KeyTimezone:
			return r.Timezone
		case KeyRole:
			return r.Role
		case KeyStatus:
			return r.Status
		case KeySites:
			return strings.Join(r.Sites, "|")
		case KeyCardNo:
			return r.CardNo
		}
		panic(key)
	}
	tests := []struct {
		name, key, val, want string
	}{
		{"EmployeeNoLeadingZeros", KeyEmployeeNo, "000123", "000123"},
		{"EmployeeNoPunctuation", KeyEmployeeNo, "SH-2024_01.a", "SH-2024_01.a"},
		{"EmployeeNoFullWidth", KeyEmployeeNo, "ＳＨ００１", "SH001"},
		{"EmployeeNoZeroFraction", KeyEmployeeNo, "1001.00", "1001"},
		{"EmployeeNoThousands", KeyEmployeeNo, "1,234,567", "1234567"},
		{"EmployeeNoTextExponent", KeyEmployeeNo, "1E5", "1E5"},
		{"NameTrimmed", KeyName, "\u00a0 张三\u200b ", "张三"},
		{"NameFormulaLookingIsText", KeyName, `=HYPERLINK("http://evil.example","x")`, `=HYPERLINK("http://evil.example","x")`},
		{"NamePlus", KeyName, "+cmd|' /C calc'!A0", "+cmd|' /C calc'!A0"},
		{"NameMinus", KeyName, "-2+3", "-2+3"},
		{"NameAt", KeyName, "@SUM(1+1)", "@SUM(1+1)"},
		{"NameAt200Runes", KeyName, strings.Repeat("长", 200), strings.Repeat("长", 200)},
		{"DepartmentSingle", KeyDepartment, "研发部", "研发部"},
		{"DepartmentPath", KeyDepartment, " 研发 / 后端 ", "研发/后端"},
		{"DepartmentFullWidthSlash", KeyDepartment, "R&D／Backend", "R&D/Backend"},
		{"DepartmentOuterSlashes", KeyDepartment, "/研发/后端/", "研发/后端"},
		{"ManagerNo", KeyManagerNo, "0001", "0001"},
		{"Email", KeyEmail, "Zhang.San+hr@Example.COM", "Zhang.San+hr@Example.COM"},
		{"EmailFullWidthAt", KeyEmail, "zs＠example.com", "zs@example.com"},
		{"EmailIDN", KeyEmail, "zs@例子.中国", "zs@例子.中国"},
		{"PhoneChinaMobile", KeyPhone, "13800138000", "+8613800138000"},
		{"PhoneSpacesAndDashes", KeyPhone, "138-0013 8000", "+8613800138000"},
		{"Phone86Prefix", KeyPhone, "8613800138000", "+8613800138000"},
		{"PhonePlus86", KeyPhone, "+86 138 0013 8000", "+8613800138000"},
		{"Phone0086", KeyPhone, "0086 13800138000", "+8613800138000"},
		{"PhoneHongKong", KeyPhone, "+852 9123-4567", "+85291234567"},
		{"PhoneUS", KeyPhone, "+1 (415) 555-2671", "+14155552671"},
		{"PhoneBeijingLandlineWithCountryCode", KeyPhone, "+86 10 1234 5678", "+861012345678"},
		{"PhoneFullWidth", KeyPhone, "１３８００１３８０００", "+8613800138000"},
		{"PhoneNumberCellWithFraction", KeyPhone, "13800138000.0", "+8613800138000"},
		{"TimezoneShanghai", KeyTimezone, "Asia/Shanghai", "Asia/Shanghai"},
		{"TimezoneUTC", KeyTimezone, "UTC", "UTC"},
		{"TimezoneEtc", KeyTimezone, "Etc/GMT-8", "Etc/GMT-8"},
		{"RoleEnglish", KeyRole, "Admin", "admin"},
		{"RoleChineseEmployee", KeyRole, "员工", "employee"},
		{"RoleChineseManager", KeyRole, "经理", "manager"},
		{"RoleChineseAdmin", KeyRole, "管理员", "admin"},
		{"RoleFullWidth", KeyRole, "ＭＡＮＡＧＥＲ", "manager"},
		{"StatusActive", KeyStatus, "ACTIVE", "active"},
		{"StatusLeft", KeyStatus, "left", "left"},
		{"StatusChineseActive", KeyStatus, "在职", "active"},
		{"StatusChineseLeft", KeyStatus, "离职", "left"},
		{"SitesSemicolons", KeySites, "总部;分部", "总部|分部"},
		{"SitesFullWidthSemicolons", KeySites, "总部；分部", "总部|分部"},
		{"SitesCommas", KeySites, "总部, 分部 ,", "总部|分部"},
		{"SitesEnumerationComma", KeySites, "总部、分部，仓库", "总部|分部|仓库"},
		{"SitesRepeatsDropped", KeySites, "总部;总部; ;分部", "总部|分部"},
		{"SitesOnlySeparators", KeySites, ";;", ""},
		{"CardNo", KeyCardNo, "00A1B2", "00A1B2"},
		{"CardNoZeroFraction", KeyCardNo, "4021337.0", "4021337"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			row, errs := parseCell(t, tt.key, tt.val)
			if row == nil {
				t.Fatalf("errors %+v", errs)
			}
			if got := field(row, tt.key); got != tt.want {
				t.Fatalf("%s = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

func TestRowEdgeCases(t *testing.T) {
	t.Parallel()
	t.Run("DuplicateEmployeeNumbersNameTheFirstRow", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, csvOf(t,
			[]string{"工号", "姓名", "邮箱"},
			[]string{"A1", "甲", "bad"}, // invalid, yet still the first A1
			[]string{"A2", "乙", ""},
			[]string{"A1", "丙", ""},
			[]string{"A1", "丁", ""},
		))
		if !slices.Equal(codes(res.Errors), []string{
			"email:invalid_email@2", "employee_no:duplicate_in_file@4", "employee_no:duplicate_in_file@5",
		}) {
			t.Fatalf("errors %v", codes(res.Errors))
		}
		if !strings.Contains(res.Errors[1].Message, "row 2") || !strings.Contains(res.Errors[2].Message, "row 2") {
			t.Fatalf("messages %q, %q", res.Errors[1].Message, res.Errors[2].Message)
		}
		if len(res.Rows) != 1 || res.Rows[0].EmployeeNo != "A2" || res.TotalRows != 4 || res.FailedRows != 3 {
			t.Fatalf("result %+v", res)
		}
	})
	t.Run("NumberFormsOfOneEmployeeAreDuplicates", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, xlsxOf(t, []any{"工号", "姓名"}, []any{"1001", "甲"}, []any{1001, "乙"}))
		if !slices.Equal(codes(res.Errors), []string{"employee_no:duplicate_in_file@3"}) {
			t.Fatalf("errors %v", codes(res.Errors))
		}
	})
	t.Run("DuplicateCardNumbers", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, csvOf(t,
			[]string{"工号", "姓名", "卡号"},
			[]string{"A1", "甲", "77"},
			[]string{"A2", "乙", "77"},
		))
		if !slices.Equal(codes(res.Errors), []string{"card_no:duplicate_in_file@3"}) ||
			!strings.Contains(res.Errors[0].Message, "row 2") {
			t.Fatalf("errors %+v", res.Errors)
		}
	})
	t.Run("AllErrorsOfARowInColumnOrder", func(t *testing.T) {
		t.Parallel()
		res := mustParse(t, csvOf(t,
			[]string{"状态", "角色", "工号", "姓名", "邮箱"},
			[]string{"x", "y", "", "", "z"},
		))
		if !slices.Equal(codes(res.Errors), []string{
			"employee_no:required@2", "name:required@2", "email:invalid_email@2",
			"role:invalid_role@2", "status:invalid_status@2",
		}) {
			t.Fatalf("errors %v", codes(res.Errors))
		}
	})
	t.Run("MaxErrorsTruncatesTheListNotTheCount", func(t *testing.T) {
		t.Parallel()
		rows := [][]string{{"工号", "姓名"}}
		for i := range 10 {
			rows = append(rows, []string{fmt.Sprint("E", i), ""})
		}
		res, err := Parse(bytes.NewReader(csvOf(t, rows...)), Options{MaxErrors: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) != 4 || !res.ErrorsTruncated || res.FailedRows != 10 || res.TotalRows != 10 {
			t.Fatalf("errors %d truncated %v failed %d total %d", len(res.Errors), res.ErrorsTruncated, res.FailedRows, res.TotalRows)
		}
	})
	t.Run("HugeCellIsNotEchoed", func(t *testing.T) {
		t.Parallel()
		huge := strings.Repeat("攻", 1<<20)
		_, errs := parseCell(t, KeyName, huge)
		if len(errs) != 1 || errs[0].Code != CodeTooLong || len(errs[0].Message) > 200 {
			t.Fatalf("errors %+v", errs)
		}
	})
	t.Run("EmptyOptionalCellIsAbsentValue", func(t *testing.T) {
		t.Parallel()
		row, errs := parseCell(t, KeyEmail, "")
		if row == nil || row.Email != "" || !row.Present[KeyEmail] || len(errs) != 0 {
			t.Fatalf("row %+v errors %+v", row, errs)
		}
	})
}
