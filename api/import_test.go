package api_test

import (
	"bytes"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// xlsxOf builds a one-sheet workbook whose cells are the given strings
// (stored as text, as an admin's typed-in sheet would be).
func xlsxOf(t testing.TB, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, cells); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// csvOf joins rows with commas (no cell here needs quoting).
func csvOf(rows [][]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ",") + "\r\n")
	}
	return []byte(b.String())
}

// importRequest is a multipart upload of data as the form field named field.
func importRequest(t testing.TB, token, query, field, filename string, data []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("POST", "/v1/employees/import"+query, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// wireImport is the ImportResult schema.
type wireImport struct {
	Created, Updated, Failed, Unchanged int
	DryRun                              bool `json:"dry_run"`
	Atomic                              bool `json:"atomic"`
	Errors                              []struct {
		Row                   int
		Column, Code, Message string
	}
}

// imports uploads data and expects 200 with the counts given.
func (e orgEnv) imports(query, filename string, data []byte) wireImport {
	e.t.Helper()
	r := e.send(importRequest(e.t, e.Admin, query, "file", filename, data))
	want(e.t, r, 200)
	var out wireImport
	r.JSON(e.t, &out)
	return out
}

func (w wireImport) counts() string {
	return fmt.Sprintf("created=%d updated=%d unchanged=%d failed=%d", w.Created, w.Updated, w.Unchanged, w.Failed)
}

// byNo lists the tenant's employees by employee number.
func (e orgEnv) byNo() map[string]wireEmployee {
	e.t.Helper()
	out := map[string]wireEmployee{}
	for _, it := range e.all(e.Admin, "/v1/employees?limit=200") {
		w := e.employee(e.Admin, it["id"].(string))
		out[w.EmployeeNo] = w
	}
	return out
}

// deptPaths lists the tenant's departments as "A/B" paths by id.
func (e orgEnv) deptPaths() map[string]string {
	e.t.Helper()
	items := e.all(e.Admin, "/v1/departments?limit=200")
	byID := map[string]map[string]any{}
	for _, it := range items {
		byID[it["id"].(string)] = it
	}
	out := map[string]string{}
	for id := range byID {
		path := ""
		for cur := byID[id]; cur != nil; {
			if path == "" {
				path = cur["name"].(string)
			} else {
				path = cur["name"].(string) + "/" + path
			}
			p, _ := cur["parent_id"].(string)
			cur = byID[p]
		}
		out[id] = path
	}
	return out
}

// importSnapshot is what an import that must write nothing leaves alone.
func (e orgEnv) importSnapshot() string {
	e.t.Helper()
	var b strings.Builder
	fmt.Fprintln(&b, e.count("employees"), e.count("departments"), e.count("employee_sites"), e.count("audit_events"))
	emps := e.byNo()
	for _, no := range slices.Sorted(maps.Keys(emps)) {
		fmt.Fprintln(&b, showEmp(emps[no]))
	}
	return b.String()
}

// The template's bilingual headers, as an admin's filled-in copy has them.
var templateHeader = []string{"*工号 Employee No.", "*姓名 Name", "部门 Department", "上级工号 Manager No.", "邮箱 Email",
	"手机号 Phone", "时区 Time Zone", "角色 Role", "状态 Status", "考勤地点 Sites", "卡号 Card No."}

func TestImport_Template(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newOrgEnv(t, b)
	r := e.do("GET", "/v1/employees/import/template", e.Admin, nil)
	want(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".xlsx") {
		t.Fatalf("content disposition %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("the template does not open: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) < 2 || sheets[0] != "员工 Employees" {
		t.Fatalf("sheets %v, want the data sheet first and an instructions sheet", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil || len(rows) != 1 {
		t.Fatalf("data sheet has %d rows (%v), want only the header", len(rows), err)
	}
	if !slices.Equal(rows[0], templateHeader) {
		t.Fatalf("header %q, want %q", rows[0], templateHeader)
	}
	for _, h := range rows[0] {
		hasHan := strings.ContainsFunc(h, func(r rune) bool { return unicode.Is(unicode.Han, r) })
		hasLatin := strings.ContainsFunc(h, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' })
		if !hasHan || !hasLatin {
			t.Errorf("header %q is not bilingual", h)
		}
	}
	// The untouched template imports as nothing.
	if got := e.imports("", "template.xlsx", r.Body); got.counts() != "created=0 updated=0 unchanged=0 failed=0" || len(got.Errors) != 0 {
		t.Fatalf("importing the blank template: %s %+v", got.counts(), got.Errors)
	}
	_, mgr := e.user("M1", "manager", nil)
	want(t, e.do("GET", "/v1/employees/import/template", mgr, nil), 403, "forbidden")
}

func TestImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e orgEnv)
	}{
		{"XLSXWithEveryColumn", func(t *testing.T, e orgEnv) {
			hq := e.createSite(e.Admin, circleSite("总部", 31.2304, 121.4737))
			sh := e.createSite(e.Admin, circleSite("Shanghai Office", 31.3, 121.5))
			existing := e.dept("研发", "")
			got := e.imports("", "staff.xlsx", xlsxOf(t, [][]string{
				templateHeader,
				{"00123", "张三", "研发/后端", "M009", "Zhang.San@Example.com", "138 0013 8000", "Asia/Shanghai", "员工", "在职", "总部; shanghai office", "0004021337"},
				{"00124", "李四", "研发", "", "", "", "", "employee", "active", "", ""},
				{"M009", "王经理", "销售/华东/上海", "", "", "+852 9123 4567", "Asia/Hong_Kong", "经理", "", "总部", ""},
			}))
			if got.counts() != "created=3 updated=0 unchanged=0 failed=0" || len(got.Errors) != 0 || got.DryRun || got.Atomic {
				t.Fatalf("import: %s %+v", got.counts(), got.Errors)
			}
			emps, paths := e.byNo(), e.deptPaths()
			zs, ls, mgr := emps["00123"], emps["00124"], emps["M009"]
			if paths[orgStr(zs.DepartmentID)] != "研发/后端" || orgStr(ls.DepartmentID) != existing ||
				paths[orgStr(mgr.DepartmentID)] != "销售/华东/上海" {
				t.Fatalf("departments %s / %s / %s; paths %v", orgStr(zs.DepartmentID), orgStr(ls.DepartmentID), orgStr(mgr.DepartmentID), paths)
			}
			if len(paths) != 5 {
				t.Fatalf("departments %v, want 研发 reused and 4 created", paths)
			}
			if orgStr(zs.ManagerID) != mgr.ID || ls.ManagerID != nil {
				t.Fatalf("managers: %s, %s; want %s (defined later in the file) and none", orgStr(zs.ManagerID), orgStr(ls.ManagerID), mgr.ID)
			}
			if orgStr(zs.Email) != "zhang.san@example.com" || orgStr(zs.Phone) != "+8613800138000" || orgStr(mgr.Phone) != "+85291234567" {
				t.Fatalf("contacts: %s %s %s", orgStr(zs.Email), orgStr(zs.Phone), orgStr(mgr.Phone))
			}
			if zs.Role != "employee" || mgr.Role != "manager" || zs.Status != "active" || mgr.Status != "active" ||
				mgr.Timezone != "Asia/Hong_Kong" || ls.Timezone != "Asia/Shanghai" || orgStr(zs.CardNo) != "0004021337" {
				t.Fatalf("fields: %s | %s", showEmp(zs), showEmp(mgr))
			}
			if !sameIDs(zs.SiteIDs, []string{hq, sh}) || zs.AllSites || !ls.AllSites || !slices.Equal(mgr.SiteIDs, []string{hq}) {
				t.Fatalf("sites: %v %v %v", zs.SiteIDs, ls.SiteIDs, mgr.SiteIDs)
			}
			if zs.HasPassword {
				t.Fatal("an imported employee has a password")
			}
		}},
		{"CSVWithKeyHeadersAndABOM", func(t *testing.T, e orgEnv) {
			data := append([]byte("\xef\xbb\xbf"), csvOf([][]string{
				{"employee_no", "name", "department", "email"},
				{"E1", "Ann", "Ops", "ann@x.test"},
				{"E2", "Bob", "Ops/Night", ""},
			})...)
			got := e.imports("", "staff.csv", data)
			if got.counts() != "created=2 updated=0 unchanged=0 failed=0" {
				t.Fatalf("import: %s %+v", got.counts(), got.Errors)
			}
			emps, paths := e.byNo(), e.deptPaths()
			if emps["E1"].Name != "Ann" || paths[orgStr(emps["E2"].DepartmentID)] != "Ops/Night" || orgStr(emps["E1"].Email) != "ann@x.test" {
				t.Fatalf("imported %s | %s", showEmp(emps["E1"]), showEmp(emps["E2"]))
			}
		}},
		{"RowErrorsNameRowColumnAndCode", func(t *testing.T, e orgEnv) {
			e.createSite(e.Admin, circleSite("HQ", 31.2, 121.4))
			e.createEmployee(e.Admin, "TAKEN", map[string]any{"email": "taken@x.test"})
			got := e.imports("", "staff.xlsx", xlsxOf(t, [][]string{
				{"工号", "姓名", "邮箱", "考勤地点", "上级工号", "角色", "时区"},
				{"E1", "Good", "", "HQ", "", "", ""},       // row 2
				{"E2", "", "", "", "", "", ""},             // row 3: no name
				{"E3", "Bad Mail", "nope", "", "", "", ""}, // row 4
				{"E4", "Lost", "", "Mars Base", "", "", ""},
				{"E5", "Orphan", "", "", "NOBODY", "", ""},
				{"E1", "Twin", "", "", "", "", ""}, // row 7
				{"E7", "Boss?", "", "", "", "god", ""},
				{"E8", "Far", "", "", "", "", "Mars/Olympus"},
				{"E9", "Copycat", "taken@x.test", "", "", "", ""},
			}))
			wantErrs := map[int][2]string{
				3: {"name", "required"}, 4: {"email", "invalid_email"}, 5: {"sites", "unknown_site"},
				6: {"manager_no", "unknown_manager"}, 7: {"employee_no", "duplicate_in_file"}, 8: {"role", "invalid_role"},
				9: {"timezone", "invalid_timezone"}, 10: {"email", "email_taken"},
			}
			if got.Created != 1 || got.Failed != len(wantErrs) || len(got.Errors) != len(wantErrs) {
				t.Fatalf("import: %s %+v", got.counts(), got.Errors)
			}
			for _, er := range got.Errors {
				w, ok := wantErrs[er.Row]
				if !ok || er.Column != w[0] || er.Code != w[1] || er.Message == "" {
					t.Errorf("error %+v, want row %d on %v with a message", er, er.Row, w)
				}
				delete(wantErrs, er.Row)
			}
			if len(wantErrs) != 0 {
				t.Errorf("rows not reported: %v", wantErrs)
			}
			emps := e.byNo()
			if len(emps) != 3 || emps["E1"].Name != "Good" {
				t.Fatalf("employees %v, want admin, TAKEN and the one good row", slices.Collect(maps.Keys(emps)))
			}
		}},
		{"UpsertChangesOnlyThePresentColumns", func(t *testing.T, e orgEnv) {
			first := e.imports("", "a.xlsx", xlsxOf(t, [][]string{
				{"工号", "姓名", "邮箱", "手机号", "部门"},
				{"E1", "Ann", "ann@x.test", "13800138001", "Ops"},
				{"E2", "Bob", "bob@x.test", "13800138002", "Ops"},
			}))
			if first.counts() != "created=2 updated=0 unchanged=0 failed=0" {
				t.Fatalf("first import: %s %+v", first.counts(), first.Errors)
			}
			before := e.byNo()
			second := e.imports("", "b.xlsx", xlsxOf(t, [][]string{
				{"Employee No.", "Name", "Card No."},
				{"E1", "Ann Renamed", "123"},
				{"E2", "Bob", ""},
				{"E3", "Cat", ""},
			}))
			if second.counts() != "created=1 updated=1 unchanged=1 failed=0" {
				t.Fatalf("second import: %s %+v", second.counts(), second.Errors)
			}
			after := e.byNo()
			ann, wantAnn := after["E1"], before["E1"]
			wantAnn.Name, wantAnn.CardNo = "Ann Renamed", orgPtr("123")
			if showEmp(ann) != showEmp(wantAnn) {
				t.Fatalf("E1 after the second import\n %s\nwant\n %s", showEmp(ann), showEmp(wantAnn))
			}
			if showEmp(after["E2"]) != showEmp(before["E2"]) {
				t.Fatalf("E2 changed: %s -> %s", showEmp(before["E2"]), showEmp(after["E2"]))
			}
			// The same file again changes nothing.
			again := e.imports("", "b.xlsx", xlsxOf(t, [][]string{
				{"Employee No.", "Name", "Card No."}, {"E1", "Ann Renamed", "123"}, {"E2", "Bob", ""}, {"E3", "Cat", ""},
			}))
			if again.counts() != "created=0 updated=0 unchanged=3 failed=0" {
				t.Fatalf("re-import: %s", again.counts())
			}
			// An empty cell in a present column clears the value.
			clear := e.imports("", "c.csv", csvOf([][]string{{"employee_no", "name", "email"}, {"E1", "Ann Renamed", ""}}))
			if clear.counts() != "created=0 updated=1 unchanged=0 failed=0" || e.byNo()["E1"].Email != nil {
				t.Fatalf("clearing the email: %s, email %s", clear.counts(), orgStr(e.byNo()["E1"].Email))
			}
		}},
		{"SitesColumnReplacesTheRestriction", func(t *testing.T, e orgEnv) {
			hq := e.createSite(e.Admin, circleSite("HQ", 31.2, 121.4))
			e.createSite(e.Admin, circleSite("Lab", 31.3, 121.5))
			id := e.createEmployee(e.Admin, "E1", nil)
			got := e.imports("", "s.csv", csvOf([][]string{{"employee_no", "name", "sites"}, {"E1", "Employee E1", "hq"}}))
			if got.counts() != "created=0 updated=1 unchanged=0 failed=0" {
				t.Fatalf("import: %s %+v", got.counts(), got.Errors)
			}
			if g := e.employee(e.Admin, id); !slices.Equal(g.SiteIDs, []string{hq}) || g.AllSites {
				t.Fatalf("after restricting: %s", showEmp(g))
			}
			got = e.imports("", "s.csv", csvOf([][]string{{"employee_no", "name", "sites"}, {"E1", "Employee E1", ""}}))
			if g := e.employee(e.Admin, id); got.Updated != 1 || !g.AllSites {
				t.Fatalf("after clearing the sites: %s %s", got.counts(), showEmp(g))
			}
		}},
		{"TheLastAdminCannotBeDemotedByImport", func(t *testing.T, e orgEnv) {
			got := e.imports("", "a.csv", csvOf([][]string{{"employee_no", "name", "role"}, {"admin", "Administrator", "employee"}}))
			if got.Failed != 1 || len(got.Errors) != 1 || got.Errors[0].Code != "admin_change_not_allowed" {
				t.Fatalf("import: %s %+v", got.counts(), got.Errors)
			}
			if g := e.employee(e.Admin, e.AdminID.String()); g.Role != "admin" {
				t.Fatalf("admin demoted: %s", showEmp(g))
			}
		}},
		{"ManagerCyclesInTheFileAreRowErrors", func(t *testing.T, e orgEnv) {
			got := e.imports("", "c.csv", csvOf([][]string{{"employee_no", "name", "manager_no"},
				{"A", "A", "B"}, {"B", "B", "A"}, {"C", "C", "A"}, {"D", "D", ""}}))
			if got.counts() != "created=1 updated=0 unchanged=0 failed=3" || len(got.Errors) != 3 {
				t.Fatalf("import: %s %+v", got.counts(), got.Errors)
			}
			for _, er := range got.Errors {
				// A and B report each other; C's manager is in the loop and is
				// not imported, so C cannot be either.
				if er.Column != "manager_no" || (er.Row <= 3 && er.Code != "manager_cycle") {
					t.Errorf("error %+v, want a manager_no error (manager_cycle for rows 2 and 3)", er)
				}
			}
			if emps := e.byNo(); len(emps) != 2 || emps["D"].ID == "" {
				t.Fatalf("employees %v, want admin and D", slices.Collect(maps.Keys(emps)))
			}
		}},
		{"DryRunWritesNothing", func(t *testing.T, e orgEnv) {
			e.createEmployee(e.Admin, "E1", nil)
			before := e.importSnapshot()
			got := e.imports("?dry_run=true", "d.xlsx", xlsxOf(t, [][]string{
				{"工号", "姓名", "部门"}, {"E1", "Renamed", "New/Dept"}, {"E2", "New", "New/Dept"}, {"E3", "", ""},
			}))
			if got.counts() != "created=1 updated=1 unchanged=0 failed=1" || !got.DryRun || len(got.Errors) != 1 {
				t.Fatalf("dry run: %s dry_run=%v %+v", got.counts(), got.DryRun, got.Errors)
			}
			if after := e.importSnapshot(); after != before {
				t.Fatalf("a dry run wrote:\n%s\n%s", before, after)
			}
		}},
		{"AtomicWithOneBadRowWritesNothing", func(t *testing.T, e orgEnv) {
			rows := [][]string{{"工号", "姓名", "部门"}, {"E1", "Ann", "Ops"}, {"E2", "Bob", "Ops"}, {"E3", "Cat", "Ops"}}
			bad := append(slices.Clone(rows), []string{"E4", "", "Ops"})
			before := e.importSnapshot()
			got := e.imports("?atomic=true", "a.xlsx", xlsxOf(t, bad))
			if got.counts() != "created=0 updated=0 unchanged=0 failed=1" || !got.Atomic ||
				len(got.Errors) != 1 || got.Errors[0].Row != 5 || got.Errors[0].Code != "required" {
				t.Fatalf("atomic import with a bad row: %s atomic=%v %+v", got.counts(), got.Atomic, got.Errors)
			}
			if after := e.importSnapshot(); after != before {
				t.Fatalf("an atomic import with a bad row wrote:\n%s\n%s", before, after)
			}
			if got := e.imports("?atomic=true", "a.xlsx", xlsxOf(t, rows)); got.counts() != "created=3 updated=0 unchanged=0 failed=0" {
				t.Fatalf("atomic import of good rows: %s", got.counts())
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newOrgEnv(t, b))
		})
	}
}

func TestImport_RejectedWhole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(i*7919 + i>>3)
	}
	for _, tc := range []struct {
		name, field, filename string
		data                  []byte
		role                  string
		status                int
		code                  string
		errField, errCode     string
	}{
		{"PNG", "file", "staff.xlsx", png, "admin", 415, "not_a_spreadsheet", "", ""},
		{"PDF", "file", "staff.xlsx", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"), "admin", 415, "not_a_spreadsheet", "", ""},
		{"RandomBytes", "file", "staff.csv", random, "admin", 415, "not_a_spreadsheet", "", ""},
		{"LegacyXLS", "file", "staff.xls", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00\x00"), "admin", 415, "not_a_spreadsheet", "", ""},
		{"EmptyFile", "file", "staff.csv", nil, "admin", 415, "not_a_spreadsheet", "", ""},
		{"HTMLSavedAsXLS", "file", "staff.xls", []byte("<html><table><tr><td>工号</td></tr></table></html>"), "admin", 415, "not_a_spreadsheet", "", ""},
		{"MissingEmployeeNoColumn", "file", "staff.csv", csvOf([][]string{{"name", "email"}, {"Ann", "ann@x.test"}}), "admin", 422, "missing_columns", "employee_no", "missing_column"},
		{"MissingNameColumnInXLSX", "file", "staff.xlsx", nil, "admin", 422, "missing_columns", "name", "missing_column"},
		{"NoFileField", "upload", "staff.csv", csvOf([][]string{{"employee_no", "name"}, {"E1", "Ann"}}), "admin", 422, "validation_failed", "file", "required"},
		{"ByAManager", "file", "staff.csv", csvOf([][]string{{"employee_no", "name"}, {"E1", "Ann"}}), "manager", 403, "forbidden", "", ""},
		{"ByAnEmployee", "file", "staff.csv", csvOf([][]string{{"employee_no", "name"}, {"E1", "Ann"}}), "employee", 403, "forbidden", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newOrgEnv(t, b)
			data := tc.data
			if tc.name == "MissingNameColumnInXLSX" {
				data = xlsxOf(t, [][]string{{"工号 Employee No.", "邮箱"}, {"E1", "a@x.test"}})
			}
			token := e.Admin
			if tc.role != "admin" {
				_, token = e.user("U1", tc.role, nil)
			}
			before := e.importSnapshot()
			p := want(t, e.send(importRequest(t, token, "", tc.field, tc.filename, data)), tc.status, tc.code)
			if tc.errField != "" {
				wantFieldErr(t, p, tc.errField, tc.errCode)
			}
			if after := e.importSnapshot(); after != before {
				t.Fatalf("a rejected import wrote:\n%s\n%s", before, after)
			}
		})
	}
	t.Run("NotMultipart", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		r := e.do("POST", "/v1/employees/import", e.Admin, `{"file":"E1,Ann"}`)
		if r.Code != 400 && r.Code != 415 {
			t.Fatalf("status %d, want 400 or 415: %s", r.Code, r.Body)
		}
		want(t, r, r.Code)
		if n := e.count("employees"); n != 1 {
			t.Fatalf("%d employees", n)
		}
	})
}

func TestImport_TenThousandRows(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newOrgEnv(t, b)
	e.createSite(e.Admin, circleSite("HQ", 31.2, 121.4))
	const n = 10_000
	rows := [][]string{templateHeader}
	for i := range n {
		mgr := ""
		if i%100 != 0 {
			mgr = fmt.Sprintf("E%05d", i-i%100) // the first of each hundred manages the rest
		}
		rows = append(rows, []string{fmt.Sprintf("E%05d", i), fmt.Sprintf("员工 %d", i), fmt.Sprintf("总部/第%d组", i%50), mgr,
			fmt.Sprintf("e%05d@x.test", i), fmt.Sprintf("139%08d", i), "", "", "", "HQ", fmt.Sprint(1_000_000 + i)})
	}
	data := xlsxOf(t, rows)
	got := e.imports("", "big.xlsx", data)
	if got.counts() != fmt.Sprintf("created=%d updated=0 unchanged=0 failed=0", n) || len(got.Errors) != 0 {
		t.Fatalf("import: %s %+v", got.counts(), got.Errors[:min(5, len(got.Errors))])
	}
	if c := e.count("employees"); c != n+1 {
		t.Fatalf("%d employees, want %d", c, n+1)
	}
	if c := e.count("departments"); c != 51 {
		t.Fatalf("%d departments, want 总部 and its 50 groups", c)
	}
	if c := e.count("employee_sites"); c != n {
		t.Fatalf("%d site restrictions, want %d", c, n)
	}
	var managed int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM employees WHERE tenant_id = $1 AND manager_id IS NOT NULL`, e.ID).Scan(&managed); err != nil {
		t.Fatal(err)
	}
	if managed != n-n/100 {
		t.Fatalf("%d employees with a manager, want %d", managed, n-n/100)
	}
	// The same file again is all unchanged.
	if again := e.imports("", "big.xlsx", data); again.counts() != fmt.Sprintf("created=0 updated=0 unchanged=%d failed=0", n) {
		t.Fatalf("re-import: %s", again.counts())
	}
}
