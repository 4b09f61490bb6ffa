package api_test

import (
	"slices"
	"strings"
	"testing"
)

// tenancyWorld is a tenant with one of everything, seen from another tenant.
type tenancyWorld struct {
	home                  orgEnv // owns the records
	dept, emp, site, mgr  string
	homeEmpToken          string
	homePunch             string
	away                  orgEnv // another tenant on the same database
	awayEmp, awayEmpToken string
	awayMgrToken          string
}

func newTenancyWorld(t *testing.T, b *testBundle) tenancyWorld {
	t.Helper()
	w := tenancyWorld{home: newOrgEnv(t, b), away: newOrgEnv(t, b)}
	h := w.home
	w.dept = h.dept("Home Dept", "")
	w.site = h.createSite(h.Admin, circleSite("Home Site", 31.2304, 121.4737))
	w.mgr, _ = h.user("M1", "manager", map[string]any{"department_id": w.dept})
	w.emp, w.homeEmpToken = h.user("E1", "employee", map[string]any{"department_id": w.dept, "manager_id": w.mgr,
		"site_ids": []string{w.site}, "email": "e1@home.test"})
	r := h.do("POST", "/v1/me/punches", w.homeEmpToken, punchBody("in", 31.2304, 121.4737, 10))
	want(t, r, 201)
	w.homePunch = r.M(t)["id"].(string)
	// The other tenant has look-alike records: same numbers, same names.
	a := w.away
	a.dept("Home Dept", "")
	w.awayEmp, w.awayEmpToken = a.user("E1", "employee", nil)
	_, w.awayMgrToken = a.user("M1", "manager", nil)
	return w
}

func TestTenancy_AnotherTenantsIDsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := newTenancyWorld(t, b)
	f := badFixture{dept: w.dept, emp: w.emp, site: w.site}
	before := w.home.snapshot(f)
	t.Run("Each", func(t *testing.T) {
		for _, tc := range []struct {
			name, method, path string
			body               any
		}{
			{"GetDepartment", "GET", "/v1/departments/{dept}", nil},
			{"RenameDepartment", "PATCH", "/v1/departments/{dept}", map[string]any{"name": "Taken Over"}},
			{"DeleteDepartment", "DELETE", "/v1/departments/{dept}", nil},
			{"GetEmployee", "GET", "/v1/employees/{emp}", nil},
			{"PatchEmployee", "PATCH", "/v1/employees/{emp}", map[string]any{"name": "Taken Over", "role": "employee"}},
			{"IssueActivationCode", "POST", "/v1/employees/{emp}/activation-code", map[string]any{"ttl_hours": 1}},
			{"GetSite", "GET", "/v1/sites/{site}", nil},
			{"PatchSite", "PATCH", "/v1/sites/{site}", map[string]any{"name": "Taken Over"}},
			{"DeleteSite", "DELETE", "/v1/sites/{site}", nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				a := w.away.forT(t)
				want(t, a.do(tc.method, f.expand(tc.path), a.Admin, tc.body), 404, "not_found")
			})
		}
		// The same numbers are not the same people: the other tenant's own
		// employee token cannot read the first tenant's employee either.
		t.Run("EmployeeOfTheOtherTenant", func(t *testing.T) {
			t.Parallel()
			a := w.away.forT(t)
			want(t, a.do("GET", "/v1/employees/"+w.emp, w.awayEmpToken, nil), 404, "not_found")
			want(t, a.do("GET", "/v1/sites/"+w.site, w.awayEmpToken, nil), 404, "not_found")
			want(t, a.do("GET", "/v1/departments/"+w.dept, w.awayMgrToken, nil), 404, "not_found")
			want(t, a.do("GET", "/v1/employees/"+w.emp, w.awayMgrToken, nil), 404, "not_found")
		})
	})
	if after := w.home.snapshot(f); after != before {
		t.Fatalf("another tenant changed this one:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

func TestTenancy_ListsAndFiltersStayInTheTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := newTenancyWorld(t, b)
	home := []string{w.dept, w.emp, w.site, w.mgr, w.homePunch, w.home.AdminID.String()}
	// The filters do find the records for their own tenant.
	for path, id := range map[string]string{
		"/v1/punches?employee_id=" + w.emp:                     w.homePunch,
		"/v1/punches?site_id=" + w.site:                        w.homePunch,
		"/v1/employees?department_id=" + w.dept:                w.emp,
		"/v1/audit-events?target_id=" + w.dept:                 "",
		"/v1/audit-events?actor_id=" + w.home.AdminID.String(): "",
	} {
		items := w.home.all(w.home.Admin, path)
		if len(items) == 0 || (id != "" && !slices.Contains(itemIDs(items), id)) {
			t.Fatalf("control: %s finds %v in its own tenant, want %s", path, itemIDs(items), id)
		}
	}
	for _, tc := range []struct {
		name, token, path string
		wantEmpty         bool
	}{
		{"Departments", "admin", "/v1/departments", false},
		{"Employees", "admin", "/v1/employees", false},
		{"EmployeesAsManager", "manager", "/v1/employees", false},
		{"Sites", "admin", "/v1/sites", true},
		{"SitesAsEmployee", "employee", "/v1/sites", true},
		{"Punches", "admin", "/v1/punches", true},
		{"AuditEvents", "admin", "/v1/audit-events", false},
		{"EmployeesInTheirDepartment", "admin", "/v1/employees?department_id={dept}", true},
		{"ChildrenOfTheirDepartment", "admin", "/v1/departments?parent_id={dept}", true},
		{"PunchesOfTheirEmployee", "admin", "/v1/punches?employee_id={emp}", true},
		{"PunchesAtTheirSite", "admin", "/v1/punches?site_id={site}", true},
		{"PunchesOfTheirEmployeeAsManager", "manager", "/v1/punches?employee_id={emp}", true},
		{"AuditByTheirAdmin", "admin", "/v1/audit-events?actor_id={admin}", true},
		{"AuditOfTheirDepartment", "admin", "/v1/audit-events?target_id={dept}", true},
		{"EmployeesNamedLikeTheirs", "admin", "/v1/employees?q=home.test", true},
		{"SitesNamedLikeTheirs", "admin", "/v1/sites?q=Home", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := w.away.forT(t)
			token := map[string]string{"admin": a.Admin, "manager": w.awayMgrToken, "employee": w.awayEmpToken}[tc.token]
			path := strings.NewReplacer("{dept}", w.dept, "{emp}", w.emp, "{site}", w.site,
				"{admin}", w.home.AdminID.String()).Replace(tc.path)
			items := a.all(token, path)
			got := itemIDs(items)
			for _, id := range home {
				if slices.Contains(got, id) {
					t.Fatalf("%s lists %s of the other tenant", path, id)
				}
			}
			for _, it := range items {
				for _, k := range []string{"target_id", "employee_id", "site_id", "department_id", "manager_id", "actor_id"} {
					if v, ok := it[k].(string); ok && slices.Contains(home, v) {
						t.Fatalf("%s: item %v refers to %s of the other tenant", path, it["id"], v)
					}
				}
			}
			if tc.wantEmpty && len(items) != 0 {
				t.Fatalf("%s: %d items, want none", path, len(items))
			}
		})
	}
}

func TestTenancy_AnotherTenantsIDsCannotBeReferenced(t *testing.T) {
	t.Parallel()
	b := setup(t)
	w := newTenancyWorld(t, b)
	for _, tc := range []struct {
		name, method, path string
		body               map[string]any
		field, code        string
	}{
		{"DepartmentUnderTheirParent", "POST", "/v1/departments", map[string]any{"name": "X", "parent_id": w.dept}, "parent_id", "unknown_department"},
		{"EmployeeInTheirDepartment", "POST", "/v1/employees", map[string]any{"employee_no": "E9", "name": "X", "department_id": w.dept}, "department_id", "unknown_department"},
		{"EmployeeUnderTheirManager", "POST", "/v1/employees", map[string]any{"employee_no": "E9", "name": "X", "manager_id": w.mgr}, "manager_id", "unknown_manager"},
		{"EmployeeAtTheirSite", "POST", "/v1/employees", map[string]any{"employee_no": "E9", "name": "X", "site_ids": []string{w.site}}, "site_ids", "unknown_site"},
		{"MovedToTheirDepartment", "PATCH", "/v1/employees/{awayEmp}", map[string]any{"department_id": w.dept}, "department_id", "unknown_department"},
		{"MovedUnderTheirManager", "PATCH", "/v1/employees/{awayEmp}", map[string]any{"manager_id": w.emp}, "manager_id", "unknown_manager"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := w.away.forT(t)
			employees := a.count("employees")
			p := want(t, a.do(tc.method, strings.ReplaceAll(tc.path, "{awayEmp}", w.awayEmp), a.Admin, tc.body), 422, "validation_failed")
			wantFieldErr(t, p, tc.field, tc.code)
			if n := a.count("employees"); n != employees {
				t.Fatalf("%d employees, want %d", n, employees)
			}
		})
	}
	t.Run("PunchingAtTheirSiteFindsNoSite", func(t *testing.T) {
		a := w.away.forT(t)
		r := a.do("POST", "/v1/me/punches", w.awayEmpToken, punchBody("in", 31.2304, 121.4737, 10))
		want(t, r, 201)
		p := r.M(t)
		if p["verdict"] != "rejected" || p["site_id"] != nil || p["nearest_site_id"] != nil {
			t.Fatalf("punch at the other tenant's site: %v, want rejected with no site at all", p)
		}
	})
}
