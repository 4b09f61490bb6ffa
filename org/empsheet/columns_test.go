package empsheet

import (
	"slices"
	"testing"
)

func TestColumns(t *testing.T) {
	t.Parallel()
	t.Run("KeysInTemplateOrder", func(t *testing.T) {
		t.Parallel()
		want := []string{"employee_no", "name", "department", "manager_no", "email", "phone",
			"timezone", "role", "status", "sites", "card_no"}
		var got []string
		for _, c := range Columns() {
			got = append(got, c.Key)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("keys = %v, want %v", got, want)
		}
		if len(columns) != numColumns {
			t.Fatalf("numColumns = %d, len(columns) = %d", numColumns, len(columns))
		}
	})
	t.Run("OnlyEmployeeNoAndNameAreRequired", func(t *testing.T) {
		t.Parallel()
		for _, c := range Columns() {
			if want := c.Key == KeyEmployeeNo || c.Key == KeyName; c.Required != want {
				t.Errorf("%s: Required = %v", c.Key, c.Required)
			}
		}
	})
	t.Run("ReturnsACopy", func(t *testing.T) {
		t.Parallel()
		cs := Columns()
		cs[0].Key = "changed"
		cs[0].Aliases[0] = "changed"
		if again := Columns(); again[0].Key != KeyEmployeeNo || again[0].Aliases[0] == "changed" {
			t.Fatal("Columns shares its backing data with callers")
		}
	})
	t.Run("HeaderIsBilingualWithRequiredMark", func(t *testing.T) {
		t.Parallel()
		if got := Columns()[0].Header(); got != "*工号 Employee No." {
			t.Errorf("employee_no header = %q", got)
		}
		if got := Columns()[2].Header(); got != "部门 Department" {
			t.Errorf("department header = %q", got)
		}
	})
	t.Run("EveryExampleIsValid", func(t *testing.T) {
		t.Parallel()
		head := make([]string, 0, numColumns)
		ex := make([]string, 0, numColumns)
		for _, c := range Columns() {
			head = append(head, c.Header())
			ex = append(ex, c.Example)
		}
		// The manager example must differ from the employee example.
		res := mustParse(t, csvOf(t, head, ex))
		if len(res.Errors) != 0 || len(res.Rows) != 1 {
			t.Fatalf("examples do not validate: %+v", res.Errors)
		}
	})
}

func TestHeaderSpellingsAreUnambiguous(t *testing.T) {
	t.Parallel()
	owner := map[string]string{}
	for _, c := range columns {
		for _, s := range headerSpellings(c) {
			n := normalizeHeader(s)
			if n == "" {
				t.Errorf("%s: spelling %q normalises to nothing", c.Key, s)
			}
			if o, ok := owner[n]; ok && o != c.Key {
				t.Errorf("spelling %q (%q) belongs to both %s and %s", s, n, o, c.Key)
			}
			owner[n] = c.Key
		}
	}
}

func TestHeaderMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header, key string
	}{
		{"ChineseLabel", "工号", KeyEmployeeNo},
		{"EnglishLabel", "Employee No.", KeyEmployeeNo},
		{"TemplateLabel", "*工号 Employee No.", KeyEmployeeNo},
		{"LabelsReversed", "Employee No. 工号", KeyEmployeeNo},
		{"LabelsOnTwoLines", "工号\nEmployee No.", KeyEmployeeNo},
		{"LabelsInBrackets", "工号（Employee No.）", KeyEmployeeNo},
		{"Key", "employee_no", KeyEmployeeNo},
		{"UpperCase", "EMPLOYEE NO", KeyEmployeeNo},
		{"FullWidth", "ＥＭＰＬＯＹＥＥ＿ＮＯ", KeyEmployeeNo},
		{"ChineseAlias", "员工编号", KeyEmployeeNo},
		{"EnglishAlias", "Emp No", KeyEmployeeNo},
		{"IdeographicSpaces", "\u3000姓 名\u3000", KeyName},
		{"ZeroWidth", "\u200b邮箱", KeyEmail},
		{"EmailHyphen", "E-Mail", KeyEmail},
		{"PhoneAlias", "手机号码", KeyPhone},
		{"ManagerAlias", "直属上级工号", KeyManagerNo},
		{"TimezoneKey", "TimeZone", KeyTimezone},
		{"SitesAlias", "打卡地点", KeySites},
		{"CardAlias", "Card Number", KeyCardNo},
		{"RequiredMarkChinese", "姓名（必填）", KeyName},
		{"OptionalMarkEnglish", "Email (optional)", KeyEmail},
		{"OptionalMarkChinese", "选填：部门", KeyDepartment},
		{"Unknown", "备注", ""},
		{"OnlyAMark", "必填", ""},
		{"UnknownEnglish", "Remarks", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if i, ok := headerIndex[normalizeHeader(trim(tt.header))]; ok {
				got = columns[i].Key
			}
			if got != tt.key {
				t.Fatalf("%q matched %q, want %q", tt.header, got, tt.key)
			}
		})
	}
}
