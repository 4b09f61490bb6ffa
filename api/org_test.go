package api_test

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// orgEnv is one subtest's world: a tenant of its own on a bundle that reports
// to the subtest. Tenants are isolated from each other by design, so parallel
// subtests may share one bundle (one database) as long as each uses its own
// tenant and none moves the bundle's clock.
type orgEnv struct {
	*testBundle
	tenant
}

// newOrgEnv creates a fresh tenant (with its admin signed in) on b for t.
func newOrgEnv(t *testing.T, b *testBundle) orgEnv {
	t.Helper()
	e := orgEnv{testBundle: b}.forT(t)
	e.tenant = e.newTenant("t" + strings.ReplaceAll(uuid.NewString(), "-", "")[:20])
	return e
}

// forT returns e on a copy of its bundle that reports failures to t, so a
// subtest never fails its parent from another goroutine.
func (e orgEnv) forT(t *testing.T) orgEnv {
	c := *e.testBundle
	c.t, c.tb = t, t
	e.testBundle = &c
	return e
}

// dept creates a department under parent ("" for a root) and returns its id.
func (e orgEnv) dept(name, parent string) string {
	e.t.Helper()
	body := map[string]any{"name": name}
	if parent != "" {
		body["parent_id"] = parent
	}
	r := e.do("POST", "/v1/departments", e.Admin, body)
	want(e.t, r, 201)
	return r.M(e.t)["id"].(string)
}

// user creates an employee with a password and the given role and fields,
// signs them in, and returns their id and access token.
func (e orgEnv) user(no, role string, fields map[string]any) (id, token string) {
	e.t.Helper()
	f := map[string]any{"role": role}
	for k, v := range fields {
		f[k] = v
	}
	id = e.createEmployee(e.Admin, no, f)
	return id, e.login(e.Slug, no, testPassword)
}

// all follows next_cursor from path until it is null and returns every item.
// It fails on an item seen twice, and on a page larger than the limit asked.
func (e orgEnv) all(token, path string) []map[string]any {
	e.t.Helper()
	u, err := url.Parse(path)
	if err != nil {
		e.t.Fatal(err)
	}
	limit := 0
	if l := u.Query().Get("limit"); l != "" {
		fmt.Sscan(l, &limit)
	}
	var out []map[string]any
	seen := map[string]bool{}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			e.t.Fatalf("%s: pagination does not end", path)
		}
		r := e.do("GET", u.String(), token, nil)
		want(e.t, r, 200)
		var page struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}
		r.JSON(e.t, &page)
		if limit > 0 && len(page.Items) > limit {
			e.t.Fatalf("%s: page of %d items, limit %d", u, len(page.Items), limit)
		}
		for _, it := range page.Items {
			id := fmt.Sprint(it["id"])
			if seen[id] {
				e.t.Fatalf("%s: item %s returned twice", path, id)
			}
			seen[id] = true
			out = append(out, it)
		}
		if page.NextCursor == nil {
			return out
		}
		if len(page.Items) == 0 {
			e.t.Fatalf("%s: empty page with a next cursor", u)
		}
		q := u.Query()
		q.Set("cursor", *page.NextCursor)
		u.RawQuery = q.Encode()
	}
}

// ids returns the "id" of each item.
func itemIDs(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprint(it["id"])
	}
	return out
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// count counts the tenant's rows of one of the organisation tables, straight
// from the database, to prove that a refused request wrote nothing.
func (e orgEnv) count(table string) int {
	e.t.Helper()
	q := map[string]string{
		"departments":    `SELECT count(*) FROM departments WHERE tenant_id = $1`,
		"employees":      `SELECT count(*) FROM employees WHERE tenant_id = $1`,
		"sites":          `SELECT count(*) FROM sites WHERE tenant_id = $1`,
		"employee_sites": `SELECT count(*) FROM employee_sites WHERE tenant_id = $1`,
		"audit_events":   `SELECT count(*) FROM audit_events WHERE tenant_id = $1`,
		"punches":        `SELECT count(*) FROM punches WHERE tenant_id = $1`,
	}[table]
	if q == "" {
		e.t.Fatalf("count: unknown table %q", table)
	}
	var n int
	if err := e.pool.QueryRow(context.Background(), q, e.ID).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// fieldErr fails unless the problem lists an error for field with code.
func wantFieldErr(t *testing.T, p problem, field, code string) {
	t.Helper()
	for _, f := range p.Errors {
		if f.Field == field && f.Code == code {
			return
		}
	}
	t.Fatalf("errors %+v lack {field: %q, code: %q}", p.Errors, field, code)
}

func TestDepartments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e orgEnv)
	}{
		{"CreateRootAndChildFormATree", func(t *testing.T, e orgEnv) {
			r := e.do("POST", "/v1/departments", e.Admin, map[string]any{"name": "  研发  "})
			want(t, r, 201)
			root := r.M(t)
			if root["name"] != "研发" || root["parent_id"] != nil {
				t.Fatalf("root %v: want the trimmed name and no parent", root)
			}
			r = e.do("POST", "/v1/departments", e.Admin, map[string]any{"name": "后端", "parent_id": root["id"]})
			want(t, r, 201)
			child := r.M(t)
			if child["parent_id"] != root["id"] {
				t.Fatalf("child parent_id %v, want %v", child["parent_id"], root["id"])
			}
			r = e.do("GET", "/v1/departments/"+child["id"].(string), e.Admin, nil)
			want(t, r, 200)
			if got := r.M(t); got["name"] != "后端" || got["parent_id"] != root["id"] {
				t.Fatalf("GET child = %v", got)
			}
		}},
		{"ListFollowsCursorsUntilNull", func(t *testing.T, e orgEnv) {
			var made []string
			for i := range 7 {
				made = append(made, e.dept(fmt.Sprintf("D%02d", i), ""))
			}
			got := e.all(e.Admin, "/v1/departments?limit=3")
			if !slices.Equal(itemIDs(got), made) {
				t.Fatalf("paged ids %v, want %v in creation order", itemIDs(got), made)
			}
			// A limit that divides the total exactly still ends with a null cursor.
			if got := e.all(e.Admin, "/v1/departments?limit=7"); len(got) != 7 {
				t.Fatalf("limit=7: %d items", len(got))
			}
		}},
		{"FilterByParentListsOnlyChildren", func(t *testing.T, e orgEnv) {
			a, other := e.dept("A", ""), e.dept("B", "")
			a1, a2 := e.dept("A1", a), e.dept("A2", a)
			e.dept("A1x", a1) // a grandchild is not a child
			e.dept("B1", other)
			got := e.all(e.Admin, "/v1/departments?limit=1&parent_id="+a)
			if !slices.Equal(itemIDs(got), []string{a1, a2}) {
				t.Fatalf("children of A: %v, want %v", itemIDs(got), []string{a1, a2})
			}
			if got := e.all(e.Admin, "/v1/departments?parent_id="+uuid.NewString()); len(got) != 0 {
				t.Fatalf("children of an unknown id: %v", got)
			}
		}},
		{"RenameKeepsParent", func(t *testing.T, e orgEnv) {
			p := e.dept("P", "")
			c := e.dept("Old", p)
			r := e.do("PATCH", "/v1/departments/"+c, e.Admin, map[string]any{"name": "New"})
			want(t, r, 200)
			if got := r.M(t); got["name"] != "New" || got["parent_id"] != p {
				t.Fatalf("after rename: %v", got)
			}
		}},
		{"MoveUnderAnotherParentAndBackToRoot", func(t *testing.T, e orgEnv) {
			a, bb := e.dept("A", ""), e.dept("B", "")
			c := e.dept("C", a)
			r := e.do("PATCH", "/v1/departments/"+c, e.Admin, map[string]any{"parent_id": bb})
			want(t, r, 200)
			if got := r.M(t); got["parent_id"] != bb || got["name"] != "C" {
				t.Fatalf("after move: %v", got)
			}
			r = e.do("PATCH", "/v1/departments/"+c, e.Admin, map[string]any{"parent_id": nil})
			want(t, r, 200)
			if got := r.M(t); got["parent_id"] != nil {
				t.Fatalf("after move to root: %v", got)
			}
		}},
		{"MovingUnderOwnSubtreeIsACycle", func(t *testing.T, e orgEnv) {
			a := e.dept("A", "")
			a1 := e.dept("A1", a)
			a11 := e.dept("A11", a1)
			for _, target := range []string{a, a1, a11} {
				r := e.do("PATCH", "/v1/departments/"+a, e.Admin, map[string]any{"parent_id": target})
				p := want(t, r, 422, "validation_failed")
				wantFieldErr(t, p, "parent_id", "department_cycle")
			}
			r := e.do("GET", "/v1/departments/"+a, e.Admin, nil)
			want(t, r, 200)
			if got := r.M(t); got["parent_id"] != nil {
				t.Fatalf("a refused move changed the parent: %v", got)
			}
		}},
		{"UnknownParentIs422", func(t *testing.T, e orgEnv) {
			ghost := uuid.NewString()
			p := want(t, e.do("POST", "/v1/departments", e.Admin, map[string]any{"name": "X", "parent_id": ghost}), 422, "validation_failed")
			wantFieldErr(t, p, "parent_id", "unknown_department")
			d := e.dept("D", "")
			p = want(t, e.do("PATCH", "/v1/departments/"+d, e.Admin, map[string]any{"parent_id": ghost}), 422, "validation_failed")
			wantFieldErr(t, p, "parent_id", "unknown_department")
			if n := e.count("departments"); n != 1 {
				t.Fatalf("%d departments, want 1", n)
			}
		}},
		{"DeleteNonEmptyIs409", func(t *testing.T, e orgEnv) {
			withChild := e.dept("Parent", "")
			e.dept("Child", withChild)
			withStaff := e.dept("Staffed", "")
			e.createEmployee(e.Admin, "E1", map[string]any{"department_id": withStaff})
			for _, id := range []string{withChild, withStaff} {
				want(t, e.do("DELETE", "/v1/departments/"+id, e.Admin, nil), 409, "department_not_empty")
				want(t, e.do("GET", "/v1/departments/"+id, e.Admin, nil), 200)
			}
		}},
		{"DeleteEmptyThenGetIs404", func(t *testing.T, e orgEnv) {
			d := e.dept("Empty", "")
			want(t, e.do("DELETE", "/v1/departments/"+d, e.Admin, nil), 204)
			want(t, e.do("GET", "/v1/departments/"+d, e.Admin, nil), 404, "not_found")
			want(t, e.do("DELETE", "/v1/departments/"+d, e.Admin, nil), 404, "not_found")
			want(t, e.do("PATCH", "/v1/departments/"+d, e.Admin, map[string]any{"name": "Back"}), 404, "not_found")
			if got := e.all(e.Admin, "/v1/departments"); len(got) != 0 {
				t.Fatalf("list after delete: %v", got)
			}
		}},
		{"SiblingNameTakenIs409", func(t *testing.T, e orgEnv) {
			a, bb := e.dept("A", ""), e.dept("B", "")
			e.dept("Ops", a)
			e.dept("Ops", bb) // the same name under another parent is fine
			p := want(t, e.do("POST", "/v1/departments", e.Admin, map[string]any{"name": "Ops", "parent_id": a}), 409, "name_taken")
			wantFieldErr(t, p, "name", "name_taken")
			want(t, e.do("POST", "/v1/departments", e.Admin, map[string]any{"name": "A"}), 409, "name_taken")
			other := e.dept("Other", a)
			want(t, e.do("PATCH", "/v1/departments/"+other, e.Admin, map[string]any{"name": "Ops"}), 409, "name_taken")
			if n := e.count("departments"); n != 5 {
				t.Fatalf("%d departments, want 5", n)
			}
		}},
		{"OnlyAdminsChangeButEveryoneReads", func(t *testing.T, e orgEnv) {
			d := e.dept("D", "")
			_, mgr := e.user("M1", "manager", nil)
			_, emp := e.user("E1", "employee", nil)
			for _, tok := range []string{mgr, emp} {
				want(t, e.do("POST", "/v1/departments", tok, map[string]any{"name": "X"}), 403, "forbidden")
				want(t, e.do("PATCH", "/v1/departments/"+d, tok, map[string]any{"name": "X"}), 403, "forbidden")
				want(t, e.do("DELETE", "/v1/departments/"+d, tok, nil), 403, "forbidden")
				want(t, e.do("GET", "/v1/departments/"+d, tok, nil), 200)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newOrgEnv(t, b))
		})
	}
}

// wireEmployee is the Employee schema as the tests read it.
type wireEmployee struct {
	ID           string   `json:"id"`
	EmployeeNo   string   `json:"employee_no"`
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	Status       string   `json:"status"`
	DepartmentID *string  `json:"department_id"`
	ManagerID    *string  `json:"manager_id"`
	Email        *string  `json:"email"`
	Phone        *string  `json:"phone"`
	Timezone     string   `json:"timezone"`
	CardNo       *string  `json:"card_no"`
	SiteIDs      []string `json:"site_ids"`
	AllSites     bool     `json:"all_sites"`
	HasPassword  bool     `json:"has_password"`
}

func (e orgEnv) employee(token, id string) wireEmployee {
	e.t.Helper()
	r := e.do("GET", "/v1/employees/"+id, token, nil)
	want(e.t, r, 200)
	var w wireEmployee
	r.JSON(e.t, &w)
	return w
}

func orgStr(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func TestEmployees(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, e orgEnv)
	}{
		{"CreateWithEveryFieldThenGet", func(t *testing.T, e orgEnv) {
			dept := e.dept("研发", "")
			mgr := e.createEmployee(e.Admin, "M1", map[string]any{"role": "manager"})
			site := e.createSite(e.Admin, circleSite("HQ", 31.2304, 121.4737))
			r := e.do("POST", "/v1/employees", e.Admin, map[string]any{
				"employee_no": "00123", "name": "张三", "role": "employee", "status": "active", "password": testPassword,
				"department_id": dept, "manager_id": mgr, "email": "Zhang.San@Example.com", "phone": "138 0013 8000",
				"timezone": "Europe/Berlin", "card_no": "0004021337", "site_ids": []string{site},
			})
			want(t, r, 201)
			var c wireEmployee
			r.JSON(t, &c)
			wantEmp := wireEmployee{ID: c.ID, EmployeeNo: "00123", Name: "张三", Role: "employee", Status: "active",
				DepartmentID: &dept, ManagerID: &mgr, Email: orgPtr("zhang.san@example.com"), Phone: orgPtr("+8613800138000"),
				Timezone: "Europe/Berlin", CardNo: orgPtr("0004021337"), SiteIDs: []string{site}, AllSites: false, HasPassword: true}
			if fmt.Sprintf("%+v", showEmp(c)) != fmt.Sprintf("%+v", showEmp(wantEmp)) {
				t.Fatalf("created\n %+v\nwant\n %+v", showEmp(c), showEmp(wantEmp))
			}
			if g := e.employee(e.Admin, c.ID); fmt.Sprintf("%+v", showEmp(g)) != fmt.Sprintf("%+v", showEmp(wantEmp)) {
				t.Fatalf("GET\n %+v\nwant\n %+v", showEmp(g), showEmp(wantEmp))
			}
			// The new employee signs in with their number, email or phone.
			for _, login := range []string{"00123", "zhang.san@example.com", "13800138000"} {
				e.login(e.Slug, login, testPassword)
			}
		}},
		{"DefaultsWithoutOptionalFields", func(t *testing.T, e orgEnv) {
			r := e.do("POST", "/v1/employees", e.Admin, map[string]any{"employee_no": "E1", "name": "Bare"})
			want(t, r, 201)
			var c wireEmployee
			r.JSON(t, &c)
			if c.Role != "employee" || c.Status != "active" || c.Timezone != "Asia/Shanghai" || c.HasPassword ||
				!c.AllSites || len(c.SiteIDs) != 0 || c.Email != nil || c.DepartmentID != nil {
				t.Fatalf("defaults: %+v", showEmp(c))
			}
		}},
		{"PatchChangesOnlyTheFieldsSent", func(t *testing.T, e orgEnv) {
			dept := e.dept("D", "")
			id := e.createEmployee(e.Admin, "E1", map[string]any{"department_id": dept, "email": "e1@x.test",
				"phone": "13800138001", "card_no": "77"})
			before := e.employee(e.Admin, id)
			r := e.do("PATCH", "/v1/employees/"+id, e.Admin, map[string]any{"name": "Renamed"})
			want(t, r, 200)
			var after wireEmployee
			r.JSON(t, &after)
			before.Name = "Renamed"
			if fmt.Sprintf("%+v", showEmp(after)) != fmt.Sprintf("%+v", showEmp(before)) {
				t.Fatalf("after renaming\n %+v\nwant\n %+v", showEmp(after), showEmp(before))
			}
			// null clears optional fields; the others stay.
			r = e.do("PATCH", "/v1/employees/"+id, e.Admin, map[string]any{"email": nil, "department_id": nil})
			want(t, r, 200)
			r.JSON(t, &after)
			if after.Email != nil || after.DepartmentID != nil || orgStr(after.Phone) != "+8613800138001" ||
				orgStr(after.CardNo) != "77" || after.Name != "Renamed" {
				t.Fatalf("after clearing: %+v", showEmp(after))
			}
			if g := e.employee(e.Admin, id); g.Email != nil || g.DepartmentID != nil {
				t.Fatalf("GET after clearing: %+v", showEmp(g))
			}
		}},
		{"EmployeeNoIsUniquePerTenant", func(t *testing.T, e orgEnv) {
			e.createEmployee(e.Admin, "E1", nil)
			p := want(t, e.do("POST", "/v1/employees", e.Admin, map[string]any{"employee_no": "E1", "name": "Twin"}), 409, "employee_no_taken")
			wantFieldErr(t, p, "employee_no", "employee_no_taken")
			e2 := e.createEmployee(e.Admin, "E2", nil)
			want(t, e.do("PATCH", "/v1/employees/"+e2, e.Admin, map[string]any{"employee_no": "E1"}), 409, "employee_no_taken")
			if n := e.count("employees"); n != 3 {
				t.Fatalf("%d employees, want 3", n)
			}
			// Another tenant has its own numbers.
			other := newOrgEnv(t, e.testBundle)
			other.createEmployee(other.Admin, "E1", nil)
		}},
		{"EmailAndPhoneAreUnique", func(t *testing.T, e orgEnv) {
			e.createEmployee(e.Admin, "E1", map[string]any{"email": "ann@x.test", "phone": "13800138000"})
			p := want(t, e.do("POST", "/v1/employees", e.Admin, map[string]any{"employee_no": "E2", "name": "B", "email": "ANN@x.test"}), 409, "email_taken")
			wantFieldErr(t, p, "email", "email_taken")
			p = want(t, e.do("POST", "/v1/employees", e.Admin, map[string]any{"employee_no": "E2", "name": "B", "phone": "+86 138-0013-8000"}), 409, "phone_taken")
			wantFieldErr(t, p, "phone", "phone_taken")
			e2 := e.createEmployee(e.Admin, "E2", nil)
			want(t, e.do("PATCH", "/v1/employees/"+e2, e.Admin, map[string]any{"email": "ann@x.test"}), 409, "email_taken")
			want(t, e.do("PATCH", "/v1/employees/"+e2, e.Admin, map[string]any{"phone": "13800138000"}), 409, "phone_taken")
		}},
		{"UnknownReferencesAre422WithTheField", func(t *testing.T, e orgEnv) {
			gone := e.createSite(e.Admin, circleSite("Gone", 31, 121))
			want(t, e.do("DELETE", "/v1/sites/"+gone, e.Admin, nil), 204)
			for _, c := range []struct {
				field, code string
				v           any
			}{
				{"department_id", "unknown_department", uuid.NewString()},
				{"manager_id", "unknown_manager", uuid.NewString()},
				{"site_ids", "unknown_site", []string{uuid.NewString()}},
				{"site_ids", "unknown_site", []string{gone}},
			} {
				p := want(t, e.do("POST", "/v1/employees", e.Admin, map[string]any{"employee_no": "E1", "name": "X", c.field: c.v}), 422, "validation_failed")
				wantFieldErr(t, p, c.field, c.code)
			}
			id := e.createEmployee(e.Admin, "E1", nil)
			p := want(t, e.do("PATCH", "/v1/employees/"+id, e.Admin, map[string]any{"department_id": uuid.NewString()}), 422, "validation_failed")
			wantFieldErr(t, p, "department_id", "unknown_department")
			if n := e.count("employees"); n != 2 {
				t.Fatalf("%d employees, want 2", n)
			}
		}},
		{"ManagerCyclesAreRefused", func(t *testing.T, e orgEnv) {
			a := e.createEmployee(e.Admin, "A", nil)
			bb := e.createEmployee(e.Admin, "B", map[string]any{"manager_id": a})
			c := e.createEmployee(e.Admin, "C", map[string]any{"manager_id": bb})
			for _, m := range []string{bb, c} {
				p := want(t, e.do("PATCH", "/v1/employees/"+a, e.Admin, map[string]any{"manager_id": m}), 422, "validation_failed")
				wantFieldErr(t, p, "manager_id", "manager_cycle")
			}
			p := want(t, e.do("PATCH", "/v1/employees/"+a, e.Admin, map[string]any{"manager_id": a}), 422, "validation_failed")
			wantFieldErr(t, p, "manager_id", "invalid_manager")
			if g := e.employee(e.Admin, a); g.ManagerID != nil {
				t.Fatalf("a refused change set manager_id to %s", *g.ManagerID)
			}
		}},
		{"LastActiveAdminCannotBeDemotedOrLeave", func(t *testing.T, e orgEnv) {
			for _, patch := range []map[string]any{{"role": "manager"}, {"role": "employee"}, {"status": "left"}} {
				want(t, e.do("PATCH", "/v1/employees/"+e.AdminID.String(), e.Admin, patch), 409, "last_admin")
			}
			if g := e.employee(e.Admin, e.AdminID.String()); g.Role != "admin" || g.Status != "active" {
				t.Fatalf("the last admin changed: %+v", showEmp(g))
			}
			// With a second admin the first may step down.
			e.createEmployee(e.Admin, "A2", map[string]any{"role": "admin"})
			want(t, e.do("PATCH", "/v1/employees/"+e.AdminID.String(), e.Admin, map[string]any{"role": "manager"}), 200)
		}},
		{"ListFilters", func(t *testing.T, e orgEnv) {
			root := e.dept("Root", "")
			sub := e.dept("Sub", root)
			elsewhere := e.dept("Elsewhere", "")
			inRoot := e.createEmployee(e.Admin, "R1", map[string]any{"department_id": root, "name": "Alice Root"})
			inSub := e.createEmployee(e.Admin, "S1", map[string]any{"department_id": sub, "role": "manager", "email": "sub.boss@x.test"})
			out := e.createEmployee(e.Admin, "X1", map[string]any{"department_id": elsewhere, "status": "left", "phone": "13912345678"})
			pct := e.createEmployee(e.Admin, "P1", map[string]any{"name": "100% Sure"})
			admin := e.AdminID.String()
			for _, c := range []struct {
				query string
				want  []string
			}{
				{"", []string{inRoot, inSub, out, pct, admin}},
				{"status=left", []string{out}},
				{"status=active", []string{inRoot, inSub, pct, admin}},
				{"role=manager", []string{inSub}},
				{"role=admin", []string{admin}},
				{"department_id=" + root, []string{inRoot, inSub}},
				{"department_id=" + sub, []string{inSub}},
				{"department_id=" + uuid.NewString(), nil},
				{"q=alice", []string{inRoot}},
				{"q=x1", []string{out}},
				{"q=sub.boss", []string{inSub}},
				{"q=3912345", []string{out}},
				{"q=" + url.QueryEscape("%"), []string{pct}},
				{"q=_", nil},
				{"q=nobody", nil},
				{"status=active&role=manager&department_id=" + root, []string{inSub}},
			} {
				got := e.all(e.Admin, "/v1/employees?limit=2&"+c.query)
				if !sameIDs(itemIDs(got), c.want) {
					t.Errorf("?%s: %v, want %v", c.query, itemIDs(got), c.want)
				}
			}
		}},
		{"ListPagesByEmployeeNo", func(t *testing.T, e orgEnv) {
			for _, no := range []string{"E07", "E03", "E01", "E05", "E02", "E06", "E04"} {
				e.createEmployee(e.Admin, no, nil)
			}
			var nos []string
			for _, it := range e.all(e.Admin, "/v1/employees?limit=3") {
				nos = append(nos, it["employee_no"].(string))
			}
			if w := []string{"E01", "E02", "E03", "E04", "E05", "E06", "E07", "admin"}; !slices.Equal(nos, w) {
				t.Fatalf("paged numbers %v, want %v", nos, w)
			}
		}},
		{"LimitOutsideTheSpecIs422", func(t *testing.T, e orgEnv) {
			for _, l := range []string{"201", "1000", "0", "-1"} {
				p := want(t, e.do("GET", "/v1/employees?limit="+l, e.Admin, nil), 422, "validation_failed")
				if len(p.Errors) == 0 || p.Errors[0].Field != "limit" {
					t.Errorf("limit=%s: errors %+v, want field limit", l, p.Errors)
				}
			}
			want(t, e.do("GET", "/v1/employees?limit=200", e.Admin, nil), 200)
		}},
		{"EmployeesCannotListOrSeeOthers", func(t *testing.T, e orgEnv) {
			other := e.createEmployee(e.Admin, "O1", nil)
			me, tok := e.user("E1", "employee", nil)
			want(t, e.do("GET", "/v1/employees", tok, nil), 403, "forbidden")
			want(t, e.do("GET", "/v1/employees/"+other, tok, nil), 404, "not_found")
			if g := e.employee(tok, me); g.ID != me {
				t.Fatalf("GET self = %+v", showEmp(g))
			}
			want(t, e.do("POST", "/v1/employees", tok, map[string]any{"employee_no": "Z", "name": "Z"}), 403, "forbidden")
			want(t, e.do("PATCH", "/v1/employees/"+me, tok, map[string]any{"role": "admin"}), 403, "forbidden")
		}},
		{"ManagerSeesOnlyTheirSubtreeAndReports", func(t *testing.T, e orgEnv) {
			d := e.dept("D", "")
			d2 := e.dept("D2", d)
			x := e.dept("X", "")
			mgr, tok := e.user("M1", "manager", map[string]any{"department_id": d})
			inD := e.createEmployee(e.Admin, "D-1", map[string]any{"department_id": d})
			inD2 := e.createEmployee(e.Admin, "D2-1", map[string]any{"department_id": d2})
			report := e.createEmployee(e.Admin, "R-1", map[string]any{"department_id": x, "manager_id": mgr})
			indirect := e.createEmployee(e.Admin, "R-2", map[string]any{"manager_id": report})
			stranger := e.createEmployee(e.Admin, "X-1", map[string]any{"department_id": x})
			visible := []string{mgr, inD, inD2, report, indirect}
			if got := e.all(tok, "/v1/employees?limit=2"); !sameIDs(itemIDs(got), visible) {
				t.Fatalf("manager lists %v, want %v", itemIDs(got), visible)
			}
			for _, id := range visible {
				e.employee(tok, id)
			}
			for _, id := range []string{stranger, e.AdminID.String()} {
				want(t, e.do("GET", "/v1/employees/"+id, tok, nil), 404, "not_found")
			}
			if got := e.all(tok, "/v1/employees?department_id="+x); !sameIDs(itemIDs(got), []string{report}) {
				t.Fatalf("manager filtering department X: %v, want only the report", itemIDs(got))
			}
			want(t, e.do("PATCH", "/v1/employees/"+inD, tok, map[string]any{"name": "Nope"}), 403, "forbidden")
		}},
		{"SiteRestrictionSemantics", func(t *testing.T, e orgEnv) {
			s1 := e.createSite(e.Admin, circleSite("S1", 31.2, 121.4))
			s2 := e.createSite(e.Admin, circleSite("S2", 31.3, 121.5))
			free := e.createEmployee(e.Admin, "F1", map[string]any{"site_ids": []string{}})
			if g := e.employee(e.Admin, free); !g.AllSites || len(g.SiteIDs) != 0 {
				t.Fatalf("site_ids []: %+v, want all_sites", showEmp(g))
			}
			bound := e.createEmployee(e.Admin, "B1", map[string]any{"site_ids": []string{s2, s1}})
			if g := e.employee(e.Admin, bound); g.AllSites || !sameIDs(g.SiteIDs, []string{s1, s2}) {
				t.Fatalf("restricted: %+v", showEmp(g))
			}
			want(t, e.do("DELETE", "/v1/sites/"+s1, e.Admin, nil), 204)
			if g := e.employee(e.Admin, bound); g.AllSites || !slices.Equal(g.SiteIDs, []string{s2}) {
				t.Fatalf("after deleting S1: %+v, want only S2 and still restricted", showEmp(g))
			}
			want(t, e.do("DELETE", "/v1/sites/"+s2, e.Admin, nil), 204)
			if g := e.employee(e.Admin, bound); g.AllSites || len(g.SiteIDs) != 0 {
				t.Fatalf("after deleting every site: %+v, want no sites and still restricted", showEmp(g))
			}
			r := e.do("PATCH", "/v1/employees/"+bound, e.Admin, map[string]any{"site_ids": []string{}})
			want(t, r, 200)
			var g wireEmployee
			r.JSON(t, &g)
			if !g.AllSites || len(g.SiteIDs) != 0 {
				t.Fatalf("PATCH site_ids []: %+v, want all_sites again", showEmp(g))
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newOrgEnv(t, b))
		})
	}
}

func orgPtr(s string) *string { return &s }

// showEmp renders the comparable part of an employee (pointers resolved).
func showEmp(w wireEmployee) string {
	s := slices.Clone(w.SiteIDs)
	slices.Sort(s)
	return fmt.Sprintf("{id:%s no:%s name:%s role:%s status:%s dept:%s mgr:%s email:%s phone:%s tz:%s card:%s sites:%v all:%v pw:%v}",
		w.ID, w.EmployeeNo, w.Name, w.Role, w.Status, orgStr(w.DepartmentID), orgStr(w.ManagerID), orgStr(w.Email),
		orgStr(w.Phone), w.Timezone, orgStr(w.CardNo), s, w.AllSites, w.HasPassword)
}

// The GCJ-02 test vector every public implementation reproduces.
const (
	gcjVecWGSLat, gcjVecWGSLng = 39.911954, 116.377817
	gcjVecGCJLat, gcjVecGCJLng = 39.91334545536069, 116.38404722455657
)

// gcjToBD09 is Baidu's published forward transform (the exact inverse is
// the server's job).
func gcjToBD09(lat, lng float64) (float64, float64) {
	const xPi = math.Pi * 3000.0 / 180.0
	z := math.Sqrt(lng*lng+lat*lat) + 0.00002*math.Sin(lat*xPi)
	th := math.Atan2(lat, lng) + 0.000003*math.Cos(lng*xPi)
	return z*math.Sin(th) + 0.006, z*math.Cos(th) + 0.0065
}

// wireFence is the Geofence schema.
type wireFence struct {
	Type    string      `json:"type"`
	Center  *wirePoint  `json:"center"`
	RadiusM *float64    `json:"radius_m"`
	Points  []wirePoint `json:"points"`
}

type wirePoint struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// wireSite is the Site schema.
type wireSite struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	Timezone       string      `json:"timezone"`
	CRS            string      `json:"crs"`
	Geofences      []wireFence `json:"geofences"`
	GeofencesWGS84 []wireFence `json:"geofences_wgs84"`
	WifiBSSIDs     []string    `json:"wifi_bssids"`
}

func nearPt(a, b wirePoint, tol float64) bool {
	return math.Abs(a.Lat-b.Lat) <= tol && math.Abs(a.Lng-b.Lng) <= tol
}

func fenceCircle(lat, lng, r float64) map[string]any {
	return map[string]any{"type": "circle", "center": map[string]any{"lat": lat, "lng": lng}, "radius_m": r}
}

func fencePolygon(pts ...wirePoint) map[string]any {
	ps := make([]any, len(pts))
	for i, p := range pts {
		ps[i] = map[string]any{"lat": p.Lat, "lng": p.Lng}
	}
	return map[string]any{"type": "polygon", "points": ps}
}

// square is a polygon with a corner at p and sides of d degrees.
func fenceSquare(p wirePoint, d float64) []wirePoint {
	return []wirePoint{p, {p.Lat, p.Lng + d}, {p.Lat + d, p.Lng + d}, {p.Lat + d, p.Lng}}
}

func TestSites(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wgs := wirePoint{gcjVecWGSLat, gcjVecWGSLng}
	gcj := wirePoint{gcjVecGCJLat, gcjVecGCJLng}
	bdLat, bdLng := gcjToBD09(gcjVecGCJLat, gcjVecGCJLng)
	bd := wirePoint{bdLat, bdLng}

	t.Run("FencesInEveryCRS", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			name, crs string
			src       wirePoint // the vector in crs
		}{
			{"CircleWGS84", "wgs84", wgs},
			{"CircleGCJ02", "gcj02", gcj},
			{"CircleBD09", "bd09", bd},
			{"PolygonWGS84", "wgs84", wgs},
			{"PolygonGCJ02", "gcj02", gcj},
			{"PolygonBD09", "bd09", bd},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := newOrgEnv(t, b)
				var fence map[string]any
				if strings.HasPrefix(tc.name, "Circle") {
					fence = fenceCircle(tc.src.Lat, tc.src.Lng, 150)
				} else {
					fence = fencePolygon(fenceSquare(tc.src, 0.002)...)
				}
				r := e.do("POST", "/v1/sites", e.Admin, map[string]any{"name": "HQ", "timezone": "Asia/Shanghai",
					"crs": tc.crs, "geofences": []any{fence}})
				want(t, r, 201)
				var created wireSite
				r.JSON(t, &created)
				r = e.do("GET", "/v1/sites/"+created.ID, e.Admin, nil)
				want(t, r, 200)
				var got wireSite
				r.JSON(t, &got)
				for _, s := range []wireSite{created, got} {
					if s.CRS != tc.crs || len(s.Geofences) != 1 || len(s.GeofencesWGS84) != 1 {
						t.Fatalf("site %+v", s)
					}
					src, w := s.Geofences[0], s.GeofencesWGS84[0]
					if src.Type != fence["type"] || w.Type != fence["type"] {
						t.Fatalf("types %q/%q, want %q", src.Type, w.Type, fence["type"])
					}
					var echoed, converted wirePoint
					if src.Type == "circle" {
						if *src.RadiusM != 150 || *w.RadiusM != 150 {
							t.Fatalf("radius %v/%v, want 150", *src.RadiusM, *w.RadiusM)
						}
						echoed, converted = *src.Center, *w.Center
					} else {
						if len(src.Points) != 4 || len(w.Points) != 4 {
							t.Fatalf("points %v / %v", src.Points, w.Points)
						}
						if !slices.Equal(src.Points, fenceSquare(tc.src, 0.002)) {
							t.Fatalf("echoed points %v, want them as sent", src.Points)
						}
						echoed, converted = src.Points[0], w.Points[0]
					}
					if echoed != tc.src {
						t.Fatalf("echoed %v, want %v as sent", echoed, tc.src)
					}
					if !nearPt(converted, wgs, 1e-6) {
						t.Fatalf("WGS-84 %v, want %v within 1e-6°", converted, wgs)
					}
				}
			})
		}
	})

	t.Run("GCJ02VectorRoundTripsThroughAPunch", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		site := e.createSite(e.Admin, map[string]any{"name": "GCJ", "timezone": "Asia/Shanghai", "crs": "gcj02",
			"geofences": []any{fenceCircle(gcjVecGCJLat, gcjVecGCJLng, 30)}})
		_, tok := e.user("E1", "employee", nil)
		// A WGS-84 fix at the vector's WGS point (plus punchBody's metre or
		// so of GPS noise) is at the fence's centre.
		r := e.do("POST", "/v1/me/punches", tok, punchBody("in", gcjVecWGSLat, gcjVecWGSLng, 5))
		want(t, r, 201)
		p := r.M(t)
		if p["verdict"] != "accepted" || p["site_id"] != site {
			t.Fatalf("punch %v, want accepted at %s", p, site)
		}
		if d := p["distance_m"].(float64); d > -28 {
			t.Fatalf("distance_m %v, want about -30 (the centre)", d)
		}
	})

	t.Run("BSSIDsAreNormalised", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		body := circleSite("HQ", 31.2, 121.4)
		body["wifi_bssids"] = []string{"AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:01", "AA:BB:CC:DD:EE:FF", "0A-1b-2C-3d-4E-5f"}
		r := e.do("POST", "/v1/sites", e.Admin, body)
		want(t, r, 201)
		var s wireSite
		r.JSON(t, &s)
		if w := []string{"0a:1b:2c:3d:4e:5f", "aa:bb:cc:dd:ee:01", "aa:bb:cc:dd:ee:ff"}; !slices.Equal(s.WifiBSSIDs, w) {
			t.Fatalf("wifi_bssids %v, want %v", s.WifiBSSIDs, w)
		}
		for _, placeholder := range []string{"02:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"} {
			p := want(t, e.do("PATCH", "/v1/sites/"+s.ID, e.Admin, map[string]any{"wifi_bssids": []string{"aa:bb:cc:dd:ee:01", placeholder}}), 422, "validation_failed")
			wantFieldErr(t, p, "wifi_bssids[1]", "invalid_bssid")
		}
	})

	t.Run("PatchReplacesFencesAndKeepsThemOtherwise", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		r := e.do("POST", "/v1/sites", e.Admin, map[string]any{"name": "HQ", "timezone": "Asia/Shanghai",
			"geofences": []any{fenceCircle(31.2, 121.4, 100), fenceCircle(31.3, 121.5, 200)}})
		want(t, r, 201)
		id := r.M(t)["id"].(string)
		r = e.do("PATCH", "/v1/sites/"+id, e.Admin, map[string]any{"name": "Head Office"})
		want(t, r, 200)
		var s wireSite
		r.JSON(t, &s)
		if s.Name != "Head Office" || len(s.Geofences) != 2 {
			t.Fatalf("after renaming: %+v", s)
		}
		sq := fenceSquare(wirePoint{31.25, 121.45}, 0.001)
		r = e.do("PATCH", "/v1/sites/"+id, e.Admin, map[string]any{"geofences": []any{fencePolygon(sq...)}})
		want(t, r, 200)
		r.JSON(t, &s)
		if len(s.Geofences) != 1 || s.Geofences[0].Type != "polygon" || !slices.Equal(s.Geofences[0].Points, sq) ||
			len(s.GeofencesWGS84) != 1 || s.Name != "Head Office" {
			t.Fatalf("after replacing the fences: %+v", s)
		}
	})

	t.Run("ChangingCRSNeedsFences", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		id := e.createSite(e.Admin, circleSite("HQ", gcjVecWGSLat, gcjVecWGSLng))
		p := want(t, e.do("PATCH", "/v1/sites/"+id, e.Admin, map[string]any{"crs": "gcj02"}), 422, "validation_failed")
		wantFieldErr(t, p, "geofences", "required")
		r := e.do("GET", "/v1/sites/"+id, e.Admin, nil)
		var s wireSite
		r.JSON(t, &s)
		if s.CRS != "wgs84" || !nearPt(*s.GeofencesWGS84[0].Center, wgs, 0) {
			t.Fatalf("a refused change altered the site: %+v", s)
		}
		// The same crs again is no change; a crs with its fences is.
		want(t, e.do("PATCH", "/v1/sites/"+id, e.Admin, map[string]any{"crs": "wgs84"}), 200)
		r = e.do("PATCH", "/v1/sites/"+id, e.Admin, map[string]any{"crs": "gcj02", "geofences": []any{fenceCircle(gcjVecGCJLat, gcjVecGCJLng, 200)}})
		want(t, r, 200)
		r.JSON(t, &s)
		if s.CRS != "gcj02" || !nearPt(*s.GeofencesWGS84[0].Center, wgs, 1e-6) {
			t.Fatalf("after switching to gcj02: %+v", s)
		}
	})

	t.Run("DeleteRetiresTheSite", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		keep := e.createSite(e.Admin, circleSite("Keep", 31.3, 121.5))
		gone := e.createSite(e.Admin, circleSite("Gone", 31.2, 121.4))
		want(t, e.do("DELETE", "/v1/sites/"+gone, e.Admin, nil), 204)
		want(t, e.do("GET", "/v1/sites/"+gone, e.Admin, nil), 404, "not_found")
		want(t, e.do("PATCH", "/v1/sites/"+gone, e.Admin, map[string]any{"name": "Back"}), 404, "not_found")
		want(t, e.do("DELETE", "/v1/sites/"+gone, e.Admin, nil), 404, "not_found")
		if got := e.all(e.Admin, "/v1/sites?limit=1"); !slices.Equal(itemIDs(got), []string{keep}) {
			t.Fatalf("sites listed %v, want only %s", itemIDs(got), keep)
		}
		if got := e.all(e.Admin, "/v1/sites?q=gone"); len(got) != 0 {
			t.Fatalf("search finds the deleted site: %v", itemIDs(got))
		}
	})

	t.Run("PunchesAtADeletedSiteAreRejected", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		site := e.createSite(e.Admin, circleSite("HQ", 31.2304, 121.4737))
		_, free := e.user("F1", "employee", nil)
		_, bound := e.user("B1", "employee", map[string]any{"site_ids": []string{site}})
		for _, tok := range []string{free, bound} {
			r := e.do("POST", "/v1/me/punches", tok, punchBody("in", 31.2304, 121.4737, 10))
			want(t, r, 201)
			if p := r.M(t); p["verdict"] != "accepted" || p["site_id"] != site {
				t.Fatalf("before deleting: %v", p)
			}
		}
		want(t, e.do("DELETE", "/v1/sites/"+site, e.Admin, nil), 204)
		for _, tok := range []string{free, bound} {
			r := e.do("POST", "/v1/me/punches", tok, punchBody("out", 31.2304, 121.4737, 10))
			want(t, r, 201)
			if p := r.M(t); p["verdict"] != "rejected" || p["site_id"] != nil {
				t.Fatalf("after deleting: %v, want rejected with no site", p)
			}
		}
		// The punches made before stay, with their site.
		if got := e.all(e.Admin, "/v1/punches?site_id="+site); len(got) != 2 {
			t.Fatalf("%d punches at the deleted site, want the 2 accepted before", len(got))
		}
	})

	t.Run("OnlyAdminsChangeSites", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		id := e.createSite(e.Admin, circleSite("HQ", 31.2, 121.4))
		_, mgr := e.user("M1", "manager", nil)
		want(t, e.do("POST", "/v1/sites", mgr, circleSite("X", 31, 121)), 403, "forbidden")
		want(t, e.do("PATCH", "/v1/sites/"+id, mgr, map[string]any{"name": "X"}), 403, "forbidden")
		want(t, e.do("DELETE", "/v1/sites/"+id, mgr, nil), 403, "forbidden")
		want(t, e.do("GET", "/v1/sites/"+id, mgr, nil), 200)
	})
}
