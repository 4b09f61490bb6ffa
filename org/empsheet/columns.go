package empsheet

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Canonical column keys. They are the values of RowError.Column, the keys of
// Row.Present and MissingColumnsError.Columns, and a header may also be the
// key itself (handy for CSVs written by scripts).
const (
	KeyEmployeeNo = "employee_no"
	KeyName       = "name"
	KeyDepartment = "department"
	KeyManagerNo  = "manager_no"
	KeyEmail      = "email"
	KeyPhone      = "phone"
	KeyTimezone   = "timezone"
	KeyRole       = "role"
	KeyStatus     = "status"
	KeySites      = "sites"
	KeyCardNo     = "card_no"
)

// Column describes one column of the import sheet.
type Column struct {
	// Key is the canonical, stable identifier (snake_case ASCII).
	Key string
	// Chinese is the Chinese label, e.g. "工号".
	Chinese string
	// English is the English label, e.g. "Employee No.".
	English string
	// Required columns must be present in the header and non-empty in every row.
	Required bool
	// Aliases are further header spellings accepted on import (Chinese and
	// English synonyms used by other HR systems' exports).
	Aliases []string
	// Description explains the expected content, in Chinese and English; it is
	// written to the template's instructions sheet.
	Description string
	// Example is a valid sample value shown on the instructions sheet.
	Example string
}

// Header returns the bilingual header the template writes for the column:
// the Chinese label, a space, the English label, and a leading "*" when the
// column is required ("*工号 Employee No."). Parse accepts it back, as well as
// either label alone.
func (c Column) Header() string {
	h := c.Chinese + " " + c.English
	if c.Required {
		return "*" + h
	}
	return h
}

// maxLen is the longest accepted cell, in runes, per column. Longer cells get
// CodeTooLong. Employee and card numbers have their own, tighter format rule
// (32 characters) checked after this one.
func maxLen(key string) int {
	if key == KeyEmail {
		return 320 // RFC 3696 upper bound for an address
	}
	return 200
}

// columns is the canonical set in template order. It is never handed out
// directly (Columns copies it) so callers cannot change what Parse accepts.
var columns = []Column{
	{
		Key: KeyEmployeeNo, Chinese: "工号", English: "Employee No.", Required: true,
		Aliases: []string{"员工编号", "员工工号", "职工号", "职工编号", "人员编号", "编号",
			"employee number", "employee id", "emp no", "emp id", "staff no", "staff id", "staff number"},
		Description: "1-32 个字母、数字、- _ . ；前导零会保留，请把此列设为文本格式。" +
			" 1-32 letters, digits, - _ . ; leading zeros are kept, keep this column formatted as text.",
		Example: "00123",
	},
	{
		Key: KeyName, Chinese: "姓名", English: "Name", Required: true,
		Aliases:     []string{"名字", "员工姓名", "人员姓名", "full name", "employee name"},
		Description: "员工姓名。 The employee's name.",
		Example:     "张三",
	},
	{
		Key: KeyDepartment, Chinese: "部门", English: "Department",
		Aliases:     []string{"所属部门", "部门路径", "部门名称", "dept", "department path", "department name"},
		Description: "部门名称，或用 / 分隔的路径。 A department name, or a path separated by /.",
		Example:     "研发/后端",
	},
	{
		Key: KeyManagerNo, Chinese: "上级工号", English: "Manager No.",
		Aliases: []string{"直属上级工号", "主管工号", "经理工号", "上级编号", "汇报对象工号",
			"manager employee no", "manager id", "manager number", "supervisor no", "reports to"},
		Description: "直属上级的工号，可引用本文件中的其他行。 The manager's employee number; may refer to another row of this file.",
		Example:     "00001",
	},
	{
		Key: KeyEmail, Chinese: "邮箱", English: "Email",
		Aliases:     []string{"电子邮箱", "电子邮件", "邮件", "邮箱地址", "e-mail", "email address", "mail"},
		Description: "电子邮箱地址。 Email address.",
		Example:     "zhangsan@example.com",
	},
	{
		Key: KeyPhone, Chinese: "手机号", English: "Phone",
		Aliases: []string{"手机", "手机号码", "电话", "电话号码", "联系电话", "移动电话",
			"mobile", "mobile phone", "mobile number", "phone number", "tel", "telephone", "cell"},
		Description: "11 位中国大陆手机号，或带国家码的号码（+852 9123 4567）；可含空格和 -。" +
			" An 11-digit mainland China mobile number, or an international number with country code; spaces and dashes are allowed.",
		Example: "138 0013 8000",
	},
	{
		Key: KeyTimezone, Chinese: "时区", English: "Time Zone",
		Aliases:     []string{"所在时区", "timezone", "tz", "iana time zone"},
		Description: "IANA 时区名，留空则使用考勤地点的时区。 IANA zone name; empty means the site's zone.",
		Example:     "Asia/Shanghai",
	},
	{
		Key: KeyRole, Chinese: "角色", English: "Role",
		Aliases:     []string{"系统角色", "用户角色", "权限角色", "user role"},
		Description: "员工 / 经理 / 管理员（employee / manager / admin）。 employee, manager or admin.",
		Example:     "员工",
	},
	{
		Key: KeyStatus, Chinese: "状态", English: "Status",
		Aliases:     []string{"在职状态", "员工状态", "人员状态", "employment status"},
		Description: "在职 / 离职（active / left）。 active or left.",
		Example:     "在职",
	},
	{
		Key: KeySites, Chinese: "考勤地点", English: "Sites",
		Aliases: []string{"打卡地点", "考勤点", "考勤站点", "站点", "地点", "办公地点",
			"site", "site names", "attendance sites", "locations"},
		Description: "考勤地点名称，多个用 ; 或 ， 分隔。 Site names, separated by ; or ,.",
		Example:     "总部;上海办公室",
	},
	{
		Key: KeyCardNo, Chinese: "卡号", English: "Card No.",
		Aliases:     []string{"考勤卡号", "门禁卡号", "工卡号", "ic卡号", "card number", "card id", "badge no", "badge number"},
		Description: "考勤机卡号（可选），1-32 个字母或数字。 Terminal card number (optional), 1-32 letters or digits.",
		Example:     "0004021337",
	},
}

// Columns returns the canonical column set in template order. The slice is a
// fresh copy on every call.
func Columns() []Column {
	out := make([]Column, len(columns))
	for i, c := range columns {
		c.Aliases = append([]string(nil), c.Aliases...)
		out[i] = c
	}
	return out
}

// columnIndex maps a key to its position in columns.
var columnIndex = func() map[string]int {
	m := make(map[string]int, len(columns))
	for i, c := range columns {
		m[c.Key] = i
	}
	return m
}()

// headerIndex maps every accepted, normalised header spelling to the index of
// its column. It is built once; TestHeaderSpellingsAreUnambiguous proves no
// spelling maps to two columns.
var headerIndex = buildHeaderIndex()

func buildHeaderIndex() map[string]int {
	m := make(map[string]int)
	for i, c := range columns {
		for _, s := range headerSpellings(c) {
			m[normalizeHeader(s)] = i
		}
	}
	return m
}

// headerSpellings lists every header text accepted for c.
func headerSpellings(c Column) []string {
	s := []string{c.Key, c.Chinese, c.English, c.Header(),
		c.Chinese + c.English, c.English + c.Chinese}
	return append(s, c.Aliases...)
}

// normalizeHeader folds a header cell to the form used for matching: full-width
// characters become ASCII (width.Fold), letters are lower-cased, and white
// space and the punctuation people put around labels ("*", "_", "-", ".", "/",
// ":" and brackets of either width) are dropped, and so is a leading or
// trailing required/optional mark. So "*工号 Employee No.", "工号(Employee
// No.)", "工号（必填）", "ＥＭＰＬＯＹＥＥ＿ＮＯ" and "employee_no" all
// become comparable.
func normalizeHeader(s string) string {
	s = fold(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), isHeaderPunct(r), isInvisible(r):
			continue
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	n := b.String()
	// Other systems' templates mark columns in the header itself:
	// "姓名(必填)", "Email (optional)".
	for _, mark := range headerMarks {
		if rest, ok := strings.CutSuffix(n, mark); ok && rest != "" {
			n = rest
		} else if rest, ok := strings.CutPrefix(n, mark); ok && rest != "" {
			n = rest
		}
	}
	return n
}

var headerMarks = []string{"必填", "选填", "可选", "非必填", "required", "optional"}

func isHeaderPunct(r rune) bool {
	switch r {
	case '*', '_', '-', '.', '/', '\\', ':', '(', ')', '[', ']', '【', '】', '（', '）', '：', '·', '。':
		return true
	}
	return false
}

// isInvisible reports zero-width characters that spreadsheets and copy-paste
// leave at the edges of cells (BOM, zero-width space and joiners).
func isInvisible(r rune) bool {
	switch r {
	case '\ufeff', '\u200b', '\u200c', '\u200d', '\u2060':
		return true
	}
	return false
}

// fold maps full-width forms to their ASCII counterparts ("ＳＨ００１" →
// "SH001", "＠" → "@"). ASCII text, nearly every cell, is returned as is
// without the transformer's allocations.
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return width.Fold.String(s)
		}
	}
	return s
}
