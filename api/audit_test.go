package api_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// wireAudit is the AuditEvent schema.
type wireAudit struct {
	ID         string         `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    *string        `json:"actor_id"`
	ActorRole  string         `json:"actor_role"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	Changes    map[string]any `json:"changes"`
	RequestID  string         `json:"request_id"`
	ClientIP   string         `json:"client_ip"`
}

// audit lists the tenant's audit events matching query, newest first.
func (e orgEnv) audit(query string) []wireAudit {
	e.t.Helper()
	var out []wireAudit
	for _, it := range e.all(e.Admin, "/v1/audit-events?limit=200&"+query) {
		j, _ := json.Marshal(it)
		var a wireAudit
		if err := json.Unmarshal(j, &a); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// subset fails unless every key of want is in got with an equal JSON value.
func subset(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		wj, _ := json.Marshal(w)
		gj, _ := json.Marshal(g)
		if !ok || string(wj) != string(gj) {
			t.Errorf("changes[%q] = %s, want %s (changes: %v)", k, gj, wj, got)
		}
	}
}

// The client address httptest gives every request (192.0.2.1, TEST-NET-1).
const testClientIP = "192.0.2.1"

func TestAudit_EveryAdminChangeIsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t) // its own bundle: the steps move the clock to order events
	e := newOrgEnv(t, b)
	ids := map[string]string{"admin": e.AdminID.String()}
	expand := func(v any) any {
		j, _ := json.Marshal(v)
		s := string(j)
		for k, id := range ids {
			s = strings.ReplaceAll(s, "{"+k+"}", id)
		}
		var out any
		_ = json.Unmarshal([]byte(s), &out)
		return out
	}
	seen := map[string]bool{}
	for _, ev := range e.audit("") {
		seen[ev.ID] = true
	}
	for i, step := range []struct {
		name         string
		method, path string
		body         any
		status       int
		save         string // remember the created id under this name
		headers      []string
		action, typ  string
		target       string
		changes      map[string]any
		secret       string // must not appear in the event
	}{
		{"CreateDepartment", "POST", "/v1/departments", map[string]any{"name": "Ops"}, 201, "dept", nil,
			"department.create", "department", "{dept}", map[string]any{"name": "Ops", "parent_id": nil}, ""},
		{"CreateChildDepartment", "POST", "/v1/departments", map[string]any{"name": "Night", "parent_id": "{dept}"}, 201, "child",
			[]string{"X-Request-Id", "client-chosen-id-0001"},
			"department.create", "department", "{child}", map[string]any{"name": "Night", "parent_id": "{dept}"}, ""},
		{"RenameDepartment", "PATCH", "/v1/departments/{child}", map[string]any{"name": "Late"}, 200, "", nil,
			"department.update", "department", "{child}", map[string]any{"name": map[string]any{"from": "Night", "to": "Late"}}, ""},
		{"MoveDepartment", "PATCH", "/v1/departments/{child}", map[string]any{"parent_id": nil}, 200, "",
			[]string{"X-Forwarded-For", "203.0.113.9"},
			"department.update", "department", "{child}", map[string]any{"parent_id": map[string]any{"from": "{dept}", "to": nil}}, ""},
		{"DeleteDepartment", "DELETE", "/v1/departments/{child}", nil, 204, "", nil,
			"department.delete", "department", "{child}", map[string]any{"name": "Late"}, ""},
		{"CreateSite", "POST", "/v1/sites", circleSite("HQ", 31.2304, 121.4737), 201, "site", nil,
			"site.create", "site", "{site}", map[string]any{"name": map[string]any{"from": "", "to": "HQ"},
				"timezone": map[string]any{"from": "", "to": "Asia/Shanghai"}, "crs": map[string]any{"from": "", "to": "wgs84"}}, ""},
		{"UpdateSite", "PATCH", "/v1/sites/{site}", map[string]any{"name": "Head Office", "wifi_bssids": []string{"AA-BB-CC-DD-EE-FF"}}, 200, "", nil,
			"site.update", "site", "{site}", map[string]any{"name": map[string]any{"from": "HQ", "to": "Head Office"},
				"wifi_bssids": map[string]any{"from": []string{}, "to": []string{"aa:bb:cc:dd:ee:ff"}}}, ""},
		{"CreateEmployee", "POST", "/v1/employees", map[string]any{"employee_no": "E1", "name": "Ann", "password": testPassword,
			"email": "ann@x.test", "site_ids": []string{"{site}"}}, 201, "emp", nil,
			"employee.create", "employee", "{emp}", map[string]any{"employee_no": "E1", "name": "Ann", "email": "ann@x.test",
				"has_password": true, "site_ids": []string{"{site}"}, "role": "employee"}, testPassword},
		{"UpdateEmployee", "PATCH", "/v1/employees/{emp}", map[string]any{"email": "ann@y.test", "department_id": "{dept}"}, 200, "", nil,
			"employee.update", "employee", "{emp}", map[string]any{"email": map[string]any{"from": "ann@x.test", "to": "ann@y.test"},
				"department_id": map[string]any{"from": nil, "to": "{dept}"}}, ""},
		{"SetEmployeePassword", "PATCH", "/v1/employees/{emp}", map[string]any{"password": "another long password"}, 200, "", nil,
			"employee.update", "employee", "{emp}", map[string]any{"password": "changed"}, "another long password"},
		{"IssueActivationCode", "POST", "/v1/employees/{emp}/activation-code", map[string]any{"ttl_hours": 24}, 201, "", nil,
			"employee.activation_code.issue", "employee", "{emp}", map[string]any{}, "{code}"},
		{"DeleteSite", "DELETE", "/v1/sites/{site}", nil, 204, "", nil,
			"site.delete", "site", "{site}", map[string]any{"name": "Head Office"}, ""},
	} {
		t.Run(step.name, func(t *testing.T) {
			e := e.forT(t)
			b.clock.Advance(time.Second)
			var body any
			if step.body != nil {
				body = expand(step.body)
			}
			r := e.do(step.method, expand(step.path).(string), e.Admin, body, step.headers...)
			want(t, r, step.status)
			if step.save != "" {
				ids[step.save] = r.M(t)["id"].(string)
			}
			if step.action == "employee.activation_code.issue" {
				ids["code"] = strings.ReplaceAll(r.M(t)["code"].(string), "-", "")
			}
			var fresh []wireAudit
			for _, ev := range e.audit("") {
				if !seen[ev.ID] {
					fresh = append(fresh, ev)
					seen[ev.ID] = true
				}
			}
			if len(fresh) != 1 {
				t.Fatalf("step %d wrote %d audit events, want 1: %+v", i, len(fresh), fresh)
			}
			ev := fresh[0]
			target := expand(step.target).(string)
			if ev.Action != step.action || ev.TargetType != step.typ || ev.TargetID != target {
				t.Fatalf("event %s %s %s, want %s %s %s", ev.Action, ev.TargetType, ev.TargetID, step.action, step.typ, target)
			}
			if orgStr(ev.ActorID) != e.AdminID.String() || ev.ActorRole != "admin" {
				t.Fatalf("actor %s (%s), want the admin %s", orgStr(ev.ActorID), ev.ActorRole, e.AdminID)
			}
			if rid := r.Header.Get("X-Request-Id"); ev.RequestID != rid || rid == "" {
				t.Fatalf("request_id %q, want the response's X-Request-Id %q", ev.RequestID, rid)
			}
			if len(step.headers) == 2 && step.headers[0] == "X-Request-Id" && ev.RequestID != step.headers[1] {
				t.Fatalf("request_id %q, want the client's %q", ev.RequestID, step.headers[1])
			}
			if ev.ClientIP != testClientIP {
				t.Fatalf("client_ip %q, want the peer %s (X-Forwarded-For is not trusted by default)", ev.ClientIP, testClientIP)
			}
			if !ev.At.Equal(b.clock.Now()) {
				t.Fatalf("at %s, want the server's clock %s", ev.At, b.clock.Now())
			}
			subset(t, ev.Changes, expand(step.changes).(map[string]any))
			raw, _ := json.Marshal(ev.Changes)
			for _, s := range []string{expand(step.secret).(string), "argon2", "password_hash"} {
				if s != "" && strings.Contains(string(raw), s) {
					t.Fatalf("the audit event holds a secret (%q): %s", s, raw)
				}
			}
		})
	}

	t.Run("ImportRecordsOneEventAndItsDepartments", func(t *testing.T) {
		e := e.forT(t)
		b.clock.Advance(time.Second)
		req := importRequest(t, e.Admin, "", "file", "s.csv", csvOf([][]string{
			{"employee_no", "name", "department"}, {"E1", "Ann Again", "Ops"}, {"E2", "Bob", "Ops/Import"}}))
		req.Header.Set("X-Request-Id", "import-request-0001")
		want(t, e.send(req), 200)
		evs := e.audit("")
		var imp, dept []wireAudit
		for _, ev := range evs {
			if seen[ev.ID] {
				continue
			}
			seen[ev.ID] = true
			switch ev.Action {
			case "employee.import":
				imp = append(imp, ev)
			case "department.create":
				dept = append(dept, ev)
			default:
				t.Errorf("unexpected event %+v", ev)
			}
		}
		if len(imp) != 1 || len(dept) != 1 {
			t.Fatalf("import wrote %d import and %d department events, want 1 and 1", len(imp), len(dept))
		}
		ev := imp[0]
		if ev.TargetType != "employee" || ev.TargetID != "*" || ev.RequestID != "import-request-0001" ||
			ev.ClientIP != testClientIP || orgStr(ev.ActorID) != e.AdminID.String() {
			t.Fatalf("import event %+v", ev)
		}
		subset(t, ev.Changes, map[string]any{"created": []string{"E2"}, "updated": []string{"E1"}, "failed": 0,
			"columns": []string{"department", "employee_no", "name"}})
		subset(t, dept[0].Changes, map[string]any{"name": "Import", "parent_id": ids["dept"], "via": "import"})
		if dept[0].RequestID != "import-request-0001" {
			t.Fatalf("department event request_id %q", dept[0].RequestID)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		e := e.forT(t)
		// A second admin, whose change is theirs alone.
		a2, tok2 := e.user("A2", "admin", nil)
		b.clock.Advance(time.Second)
		want(t, e.do("PATCH", "/v1/departments/"+ids["dept"], tok2, map[string]any{"name": "Operations"}), 200)

		actions := func(evs []wireAudit) []string {
			out := make([]string, len(evs))
			for i, ev := range evs {
				out[i] = ev.Action
			}
			return out
		}
		for _, tc := range []struct {
			query string
			want  []string // actions, newest first
		}{
			{"action=department.update", []string{"department.update", "department.update", "department.update"}},
			{"action=department.update&target_id=" + ids["child"], []string{"department.update", "department.update"}},
			{"target_type=site", []string{"site.delete", "site.update", "site.create"}},
			{"target_id=" + ids["emp"], []string{"employee.activation_code.issue", "employee.update", "employee.update", "employee.create"}},
			{"actor_id=" + a2, []string{"department.update"}},
			{"actor_id=" + a2 + "&action=department.create", nil},
			{"action=employee.import", []string{"employee.import"}},
			{"action=no.such.action", nil},
			{"target_type=department&target_id=" + ids["site"], nil},
		} {
			if got := actions(e.audit(tc.query)); !slices.Equal(got, tc.want) {
				t.Errorf("?%s: %v, want %v", tc.query, got, tc.want)
			}
		}
		// The first admin made every change but the second admin's rename
		// (and the tenant's creation, which has no actor).
		mine := e.audit("actor_id=" + e.AdminID.String())
		all := e.audit("")
		if len(mine) != len(all)-2 {
			t.Errorf("the first admin has %d events of %d, want all but 2", len(mine), len(all))
		}
		// from is inclusive and to exclusive, on the server's clock.
		site := e.audit("target_type=site")
		from, to := site[2].At, site[0].At // site.create … site.delete
		q := "from=" + from.Format(time.RFC3339Nano) + "&to=" + to.Format(time.RFC3339Nano)
		got := actions(e.audit(strings.ReplaceAll(q, "+", "%2B")))
		if w := []string{"employee.activation_code.issue", "employee.update", "employee.update", "employee.create", "site.update", "site.create"}; !slices.Equal(got, w) {
			t.Errorf("?%s: %v, want %v", q, got, w)
		}
	})

	t.Run("PagesNewestFirst", func(t *testing.T) {
		e := e.forT(t)
		all := e.audit("")
		paged := e.all(e.Admin, "/v1/audit-events?limit=3")
		if len(paged) != len(all) || len(all) != e.count("audit_events") {
			t.Fatalf("%d paged, %d in one page, %d in the database", len(paged), len(all), e.count("audit_events"))
		}
		for i := range all {
			if paged[i]["id"] != all[i].ID {
				t.Fatalf("page order differs at %d", i)
			}
			if i > 0 && all[i].At.After(all[i-1].At) {
				t.Fatalf("event %d (%s) is newer than event %d (%s)", i, all[i].At, i-1, all[i-1].At)
			}
		}
		if last := all[len(all)-1]; last.Action != "tenant.create" || last.ActorID != nil || last.ActorRole != "system" {
			t.Fatalf("oldest event %+v, want the tenant's creation by the system", last)
		}
	})
}

func TestAudit_OnlyAdminsRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newOrgEnv(t, b)
	_, mgr := e.user("M1", "manager", nil)
	_, emp := e.user("E1", "employee", nil)
	for name, tok := range map[string]string{"Manager": mgr, "Employee": emp} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := e.forT(t)
			want(t, e.do("GET", "/v1/audit-events", tok, nil), 403, "forbidden")
			want(t, e.do("GET", "/v1/audit-events?actor_id="+e.AdminID.String(), tok, nil), 403, "forbidden")
		})
	}
}

func TestAudit_RefusedOrEmptyChangesWriteNoEvent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name         string
		method, path string
		body         any
		status       int
		as           string // "admin" or "manager"
	}{
		{"InvalidName", "POST", "/v1/departments", map[string]any{"name": "a\u0001b"}, 422, "admin"},
		{"SchemaViolation", "POST", "/v1/sites", map[string]any{"name": "S"}, 422, "admin"},
		{"MalformedJSON", "POST", "/v1/departments", `{"name":`, 400, "admin"},
		{"SiblingNameTaken", "POST", "/v1/departments", map[string]any{"name": "Fixture"}, 409, "admin"},
		{"DepartmentCycle", "PATCH", "/v1/departments/{dept}", map[string]any{"parent_id": "{dept}"}, 422, "admin"},
		{"DeleteNonEmptyDepartment", "DELETE", "/v1/departments/{dept}", nil, 409, "admin"},
		{"UnknownEmployee", "PATCH", "/v1/employees/00000000-0000-7000-8000-000000000000", map[string]any{"name": "X"}, 404, "admin"},
		{"EmployeeNoTaken", "POST", "/v1/employees", map[string]any{"employee_no": "F1", "name": "X"}, 409, "admin"},
		{"UnknownSite", "PATCH", "/v1/employees/{emp}", map[string]any{"site_ids": []string{"00000000-0000-7000-8000-000000000000"}}, 422, "admin"},
		{"LastAdmin", "PATCH", "/v1/employees/{admin}", map[string]any{"role": "employee"}, 409, "admin"},
		{"BowTieFence", "PATCH", "/v1/sites/{site}", map[string]any{"geofences": []any{fencePolygon(
			wirePoint{31.20, 121.40}, wirePoint{31.21, 121.41}, wirePoint{31.20, 121.41}, wirePoint{31.21, 121.40})}}, 422, "admin"},
		{"ForbiddenToAManager", "PATCH", "/v1/departments/{dept}", map[string]any{"name": "Mine"}, 403, "manager"},
		{"ActivationCodeForAManager", "POST", "/v1/employees/{emp}/activation-code", nil, 403, "manager"},
		{"DepartmentPatchThatChangesNothing", "PATCH", "/v1/departments/{dept}", map[string]any{"name": "Fixture"}, 200, "admin"},
		{"SitePatchThatChangesNothing", "PATCH", "/v1/sites/{site}", map[string]any{"name": "Fixture", "crs": "wgs84"}, 200, "admin"},
		{"EmployeePatchThatChangesNothing", "PATCH", "/v1/employees/{emp}", map[string]any{"email": "F1@X.TEST"}, 200, "admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newOrgEnv(t, b)
			f := newBadFixture(e)
			e.createEmployee(e.Admin, "D1", map[string]any{"department_id": f.dept})
			token := e.Admin
			if tc.as == "manager" {
				_, token = e.user("M1", "manager", nil)
			}
			before := e.count("audit_events")
			expand := func(s string) string { return strings.ReplaceAll(f.expand(s), "{admin}", e.AdminID.String()) }
			var body any = tc.body
			if m, ok := tc.body.(map[string]any); ok {
				j, _ := json.Marshal(m)
				body = expand(string(j))
			}
			want(t, e.do(tc.method, expand(tc.path), token, body), tc.status)
			if n := e.count("audit_events"); n != before {
				evs := e.audit("")
				t.Fatalf("%d audit events written, the newest: %+v", n-before, evs[0])
			}
		})
	}
	t.Run("ImportsThatWriteNothing", func(t *testing.T) {
		t.Parallel()
		e := newOrgEnv(t, b)
		e.createEmployee(e.Admin, "E1", nil)
		before := e.count("audit_events")
		rows := [][]string{{"employee_no", "name"}, {"E1", "Employee E1"}, {"E2", ""}}
		for _, q := range []string{"?dry_run=true", "?atomic=true"} {
			want(t, e.send(importRequest(t, e.Admin, q, "file", "x.csv", csvOf(rows))), 200)
		}
		want(t, e.send(importRequest(t, e.Admin, "", "file", "x.png", []byte("\x89PNG\r\n\x1a\n"))), 415)
		if n := e.count("audit_events"); n != before {
			t.Errorf("%d audit events written by imports that changed nothing", n-before)
		}
	})
}
