package empsheet

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	// The zone database is embedded so that which time zones validate does
	// not depend on whether the server image ships /usr/share/zoneinfo.
	_ "time/tzdata"
	"unicode"
	"unicode/utf8"
)

// maxIDLen is the longest employee, manager or card number.
const maxIDLen = 32

// validator checks rows in file order; it remembers the first row of each
// employee and card number to report later repeats.
type validator struct {
	present   map[string]bool
	firstEmp  map[string]int
	firstCard map[string]int
	zones     map[string]bool // LoadLocation outcome per distinct name
	errs      []RowError
}

func newValidator(h *header) *validator {
	return &validator{
		present:   h.present,
		firstEmp:  make(map[string]int),
		firstCard: make(map[string]int),
		zones:     make(map[string]bool),
	}
}

// row validates and normalises one record. The returned slice is reused by
// the next call.
func (v *validator) row(rec *record) (Row, []RowError) {
	v.errs = v.errs[:0]
	row := Row{Line: rec.line, Present: v.present}
	fail := func(key, code, msg string) {
		v.errs = append(v.errs, RowError{Row: rec.line, Column: key, Code: code, Message: msg})
	}
	for i, c := range columns {
		val := rec.vals[i]
		if val == "" {
			if c.Required {
				fail(c.Key, CodeRequired, c.English+" is required")
			}
			continue
		}
		if n, limit := utf8.RuneCountInString(val), maxLen(c.Key); n > limit {
			fail(c.Key, CodeTooLong, fmt.Sprintf("%s is %d characters long; the limit is %d", c.English, n, limit))
			continue
		}
		if hasControl(val) {
			fail(c.Key, CodeInvalidValue, c.English+" contains control characters (line breaks, tabs or invisible formatting)")
			continue
		}
		switch c.Key {
		case KeyEmployeeNo:
			id, code, msg := idNumber(val, isEmployeeNoByte, "letters, digits, '-', '_' and '.'")
			if code != "" {
				fail(c.Key, code, "Employee No. "+msg)
				continue
			}
			if first, dup := v.firstEmp[id]; dup {
				fail(c.Key, CodeDuplicateInFile, fmt.Sprintf("Employee No. %s already appears in row %d", id, first))
				continue
			}
			v.firstEmp[id] = rec.line
			row.EmployeeNo = id
		case KeyName:
			row.Name = val
		case KeyDepartment:
			path, ok := departmentPath(val)
			if !ok {
				fail(c.Key, CodeInvalidValue, "Department path has an empty level; write levels as 研发/后端")
				continue
			}
			row.Department = path
		case KeyManagerNo:
			id, code, msg := idNumber(val, isEmployeeNoByte, "letters, digits, '-', '_' and '.'")
			if code != "" {
				fail(c.Key, code, "Manager No. "+msg)
				continue
			}
			row.ManagerNo = id
		case KeyEmail:
			email := fold(val)
			if !validEmail(email) {
				fail(c.Key, CodeInvalidEmail, "Email must be an address like name@example.com")
				continue
			}
			row.Email = email
		case KeyPhone:
			phone, msg := normalizePhone(val)
			if msg != "" {
				fail(c.Key, CodeInvalidPhone, msg)
				continue
			}
			row.Phone = phone
		case KeyTimezone:
			tz := fold(val)
			if !v.validZone(tz) {
				fail(c.Key, CodeInvalidTimezone, "Time Zone must be an IANA zone name like Asia/Shanghai")
				continue
			}
			row.Timezone = tz
		case KeyRole:
			role, ok := roles[strings.ToLower(fold(val))]
			if !ok {
				fail(c.Key, CodeInvalidRole, "Role must be employee, manager or admin (员工, 经理, 管理员)")
				continue
			}
			row.Role = role
		case KeyStatus:
			status, ok := statuses[strings.ToLower(fold(val))]
			if !ok {
				fail(c.Key, CodeInvalidStatus, "Status must be active or left (在职, 离职)")
				continue
			}
			row.Status = status
		case KeySites:
			row.Sites = splitSites(val)
		case KeyCardNo:
			id, code, msg := idNumber(val, isCardNoByte, "letters and digits")
			if code != "" {
				fail(c.Key, code, "Card No. "+msg)
				continue
			}
			if first, dup := v.firstCard[id]; dup {
				fail(c.Key, CodeDuplicateInFile, fmt.Sprintf("Card No. %s already appears in row %d", id, first))
				continue
			}
			v.firstCard[id] = rec.line
			row.CardNo = id
		}
	}
	if row.ManagerNo != "" && row.ManagerNo == row.EmployeeNo {
		fail(KeyManagerNo, CodeInvalidValue, "an employee cannot be their own manager")
	}
	return row, v.errs
}

var roles = map[string]string{
	"employee": "employee", "manager": "manager", "admin": "admin",
	"员工": "employee", "经理": "manager", "管理员": "admin",
}

var statuses = map[string]string{
	"active": "active", "left": "left",
	"在职": "active", "离职": "left",
}

// hasControl reports characters that have no place in a one-line field:
// C0/C1 controls (including tab and line breaks inside a cell), the Unicode
// line separators, and bidirectional overrides that can make a name display
// differently from what is stored.
func hasControl(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsControl(r),
			r == '\u2028', r == '\u2029',
			r >= '\u202a' && r <= '\u202e',
			r >= '\u2066' && r <= '\u2069':
			return true
		}
	}
	return false
}

func isEmployeeNoByte(c byte) bool {
	return isCardNoByte(c) || c == '-' || c == '_' || c == '.'
}

func isCardNoByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// idNumber normalises an employee, manager or card number: full-width
// characters become ASCII and number formatting is undone (canonicalNumber).
// On failure it returns a code and the end of a message.
func idNumber(val string, ok func(byte) bool, allowed string) (id, code, msg string) {
	id = fold(val)
	if looksScientific(id) {
		return "", CodeInvalidValue, "was stored as a number in scientific notation and has lost digits; " +
			"format the column as text and type it again"
	}
	id = canonicalNumber(id)
	if len(id) > maxIDLen {
		return "", CodeTooLong, fmt.Sprintf("is longer than %d characters", maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if !ok(id[i]) {
			return "", CodeInvalidValue, "may contain only " + allowed
		}
	}
	return id, "", ""
}

// looksScientific matches numbers the way Excel and excelize display them
// in scientific notation ("1.23456789012346E+19", "1E+20"). The exponent
// sign is required: a text ID such as "1E5" is left alone.
func looksScientific(s string) bool {
	mant, exp, ok := strings.Cut(s, "E")
	if !ok {
		mant, exp, ok = strings.Cut(s, "e")
	}
	if !ok || len(exp) < 2 || (exp[0] != '+' && exp[0] != '-') || !isDigits(exp[1:]) {
		return false
	}
	intPart, frac, hasFrac := strings.Cut(mant, ".")
	return isDigits(intPart) && (!hasFrac || isDigits(frac))
}

// canonicalNumber undoes the number formats Excel applies to IDs typed into
// number cells: a zero fraction ("1001.0", "1001.00") and thousands
// separators ("1,001"). Neither form is a valid ID as written, except that
// a text ID like "7.0" reads as "7", an accepted ambiguity.
func canonicalNumber(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if hasFrac && (frac == "" || strings.Trim(frac, "0") != "") {
		return s
	}
	if isDigits(intPart) {
		return intPart
	}
	groups := strings.Split(intPart, ",")
	if len(groups) < 2 || len(groups[0]) > 3 || !isDigits(groups[0]) {
		return s
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !isDigits(g) {
			return s
		}
	}
	return strings.Join(groups, "")
}

// normalizePhone returns the number in E.164 form, or a message. Accepted:
// an 11-digit mainland mobile (1[3-9]xxxxxxxxx, optionally prefixed 86,
// +86 or 0086) or "+"/"00" followed by a country code and 8-15 digits in
// all. Spaces, dashes, dots and brackets are ignored.
func normalizePhone(val string) (string, string) {
	s := canonicalNumber(fold(val))
	if looksScientific(s) {
		return "", "Phone was stored as a number in scientific notation and has lost digits; " +
			"format the column as text and type it again"
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return "", "Phone may contain only digits, a leading +, spaces and dashes"
		}
	}
	d := b.String()
	intl := false
	switch {
	case strings.HasPrefix(d, "+"):
		d, intl = d[1:], true
	case strings.HasPrefix(d, "00"):
		d, intl = d[2:], true
	}
	switch {
	case !intl && isChinaMobile(d):
		return "+86" + d, ""
	case !intl && len(d) == 13 && strings.HasPrefix(d, "86") && isChinaMobile(d[2:]):
		return "+" + d, ""
	case intl && len(d) >= 8 && len(d) <= 15 && d[0] != '0':
		if rest := d[2:]; strings.HasPrefix(d, "86") && rest[0] == '1' && rest[1] >= '3' && rest[1] <= '9' && !isChinaMobile(rest) {
			return "", "Phone: a +86 mobile number has 11 digits starting with 13-19"
		}
		return "+" + d, ""
	}
	return "", "Phone must be an 11-digit mobile number (13800138000) or start with + and the country code (+852 9123 4567)"
}

func isChinaMobile(d string) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9' && isDigits(d)
}

// validEmail accepts a bare addr-spec (no display name, no comments, no IP
// literal) whose domain has at least two labels.
func validEmail(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") ||
		strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	for _, r := range domain {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// validZone reports whether tz names an IANA zone. "Local" is refused: it
// means whatever zone the server runs in, not a place.
func (v *validator) validZone(tz string) bool {
	if ok, seen := v.zones[tz]; seen {
		return ok
	}
	ok := tz != "Local" && len(tz) <= 64 && zoneChars(tz)
	if ok {
		_, err := time.LoadLocation(tz)
		ok = err == nil
	}
	v.zones[tz] = ok
	return ok
}

// zoneChars keeps odd strings away from LoadLocation: IANA names are ASCII
// letters, digits, "/", "_", "-" and "+".
func zoneChars(tz string) bool {
	for i := 0; i < len(tz); i++ {
		c := tz[i]
		if !(isCardNoByte(c) || c == '/' || c == '_' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}

// departmentPath trims each level of a "/"-separated path (full-width "／"
// too) and joins them with "/". Leading and trailing separators are
// dropped; an empty inner level ("研发//后端") is an error.
func departmentPath(s string) (string, bool) {
	parts := strings.Split(strings.ReplaceAll(s, "／", "/"), "/")
	for len(parts) > 0 && trim(parts[0]) == "" {
		parts = parts[1:]
	}
	for len(parts) > 0 && trim(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return "", false
	}
	for i, p := range parts {
		if parts[i] = trim(p); parts[i] == "" {
			return "", false
		}
	}
	return strings.Join(parts, "/"), true
}

// splitSites splits on ";" "；" "," "，" and "、", trims, and drops empty
// and repeated names.
func splitSites(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool {
		return r == ';' || r == '；' || r == ',' || r == '，' || r == '、'
	})
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		f = trim(f)
		if f == "" || contains(out, f) {
			continue
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
