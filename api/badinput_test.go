package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// badFixture is what a bad request may try to change: one of each record,
// and a snapshot of the tenant to compare with afterwards.
type badFixture struct {
	dept, emp, site string
}

func newBadFixture(e orgEnv) badFixture {
	e.t.Helper()
	return badFixture{
		dept: e.dept("Fixture", ""),
		emp:  e.createEmployee(e.Admin, "F1", map[string]any{"email": "f1@x.test"}),
		site: e.createSite(e.Admin, circleSite("Fixture", 31.2304, 121.4737)),
	}
}

// snapshot is everything a refused request must leave as it was.
func (e orgEnv) snapshot(f badFixture) string {
	e.t.Helper()
	var b strings.Builder
	for _, table := range []string{"departments", "employees", "sites", "employee_sites", "audit_events", "punches"} {
		fmt.Fprintf(&b, "%s=%d\n", table, e.count(table))
	}
	for _, p := range []string{"/v1/departments/" + f.dept, "/v1/employees/" + f.emp, "/v1/sites/" + f.site} {
		r := e.do("GET", p, e.Admin, nil)
		want(e.t, r, 200)
		fmt.Fprintf(&b, "%s\n", r.Body)
	}
	return b.String()
}

// expand puts the fixture's ids into a path or body template.
func (f badFixture) expand(s string) string {
	return strings.NewReplacer("{dept}", f.dept, "{emp}", f.emp, "{site}", f.site).Replace(s)
}

// siteJSON is a site body around one geofence given as JSON text.
func siteJSON(fence string) string {
	return `{"name":"S","timezone":"Asia/Shanghai","geofences":[` + fence + `]}`
}

// circleJSON is a site body with one circle; lat, lng and radius are JSON text.
func circleJSON(lat, lng, radius string) string {
	return siteJSON(`{"type":"circle","center":{"lat":` + lat + `,"lng":` + lng + `},"radius_m":` + radius + `}`)
}

func TestBadInput_IsRefusedWithAStableCodeAndWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const (
		bowTie    = `{"type":"polygon","points":[{"lat":31.20,"lng":121.40},{"lat":31.21,"lng":121.41},{"lat":31.20,"lng":121.41},{"lat":31.21,"lng":121.40}]}`
		collinear = `{"type":"polygon","points":[{"lat":31.20,"lng":121.40},{"lat":31.21,"lng":121.40},{"lat":31.22,"lng":121.40}]}` // on one meridian
		twoPoints = `{"type":"polygon","points":[{"lat":31.20,"lng":121.40},{"lat":31.21,"lng":121.41}]}`
		repeated  = `{"type":"polygon","points":[{"lat":31.20,"lng":121.40},{"lat":31.21,"lng":121.41},{"lat":31.20,"lng":121.40}]}`
	)
	emptyCursor := base64.RawURLEncoding.EncodeToString([]byte(`{}`))
	for _, tc := range []struct {
		name         string
		method, path string
		body         string // sent as is; "" sends no body
		ctype        string // default application/json
		status       int
		code         string
		field, fcode string // the first field error, when the problem must name one
	}{
		// Not JSON at all.
		{"MalformedJSON", "POST", "/v1/departments", `{"name":`, "", 400, "malformed_request", "", ""},
		{"MalformedJSONInPatch", "PATCH", "/v1/sites/{site}", `{"name":"x",}`, "", 400, "malformed_request", "", ""},
		{"SingleQuotes", "POST", "/v1/departments", `{'name':'x'}`, "", 400, "malformed_request", "", ""},
		{"NaNLiteral", "POST", "/v1/sites", circleJSON("NaN", "121.4", "100"), "", 400, "malformed_request", "", ""},
		{"InfinityLiteral", "POST", "/v1/sites", circleJSON("31.2", "121.4", "Infinity"), "", 400, "malformed_request", "", ""},
		{"NegativeInfinityLiteral", "POST", "/v1/sites", circleJSON("-Infinity", "121.4", "100"), "", 400, "malformed_request", "", ""},

		// JSON that breaks the schema.
		{"EmptyObjectLacksRequiredName", "POST", "/v1/departments", `{}`, "", 422, "validation_failed", "", ""},
		{"UnknownField", "POST", "/v1/departments", `{"name":"x","zzz":1}`, "", 422, "validation_failed", "", ""},
		{"UnknownFieldInPatch", "PATCH", "/v1/employees/{emp}", `{"nmae":"typo"}`, "", 422, "validation_failed", "", ""},
		{"UnknownNestedField", "POST", "/v1/sites", siteJSON(`{"type":"circle","center":{"lat":31.2,"lng":121.4,"alt":3},"radius_m":100}`), "", 422, "validation_failed", "", ""},
		{"ArrayInsteadOfObject", "POST", "/v1/departments", `[]`, "", 422, "validation_failed", "body", "invalid_type"},
		{"NameIsANumber", "POST", "/v1/departments", `{"name":5}`, "", 422, "validation_failed", "name", "invalid_type"},
		{"EmployeeNoIsANumber", "POST", "/v1/employees", `{"employee_no":123,"name":"x"}`, "", 422, "validation_failed", "employee_no", "invalid_type"},
		{"RadiusIsAString", "POST", "/v1/sites", circleJSON("31.2", "121.4", `"200"`), "", 422, "validation_failed", "geofences[0].radius_m", "invalid_type"},
		{"SiteIDsIsAString", "PATCH", "/v1/employees/{emp}", `{"site_ids":"{site}"}`, "", 422, "validation_failed", "site_ids", "invalid_type"},
		{"RoleOutsideTheEnum", "PATCH", "/v1/employees/{emp}", `{"role":"root"}`, "", 422, "validation_failed", "role", "invalid_enum"},
		{"EmployeeNoWithASpace", "POST", "/v1/employees", `{"employee_no":"E 1","name":"x"}`, "", 422, "validation_failed", "employee_no", "invalid_format"},
		{"PasswordTooShort", "POST", "/v1/employees", `{"employee_no":"E2","name":"x","password":"short"}`, "", 422, "validation_failed", "password", "invalid_length"},

		// Coordinates.
		{"Lat91", "POST", "/v1/sites", circleJSON("91", "121.4", "100"), "", 422, "validation_failed", "geofences[0].center.lat", "out_of_range"},
		{"LatMinus91", "POST", "/v1/sites", circleJSON("-91", "121.4", "100"), "", 422, "validation_failed", "geofences[0].center.lat", "out_of_range"},
		{"Lng181", "POST", "/v1/sites", circleJSON("31.2", "181", "100"), "", 422, "validation_failed", "geofences[0].center.lng", "out_of_range"},
		{"LngMinus181", "POST", "/v1/sites", circleJSON("31.2", "-181", "100"), "", 422, "validation_failed", "geofences[0].center.lng", "out_of_range"},
		{"PolygonVertexLat91", "POST", "/v1/sites", siteJSON(`{"type":"polygon","points":[{"lat":31.2,"lng":121.4},{"lat":91,"lng":121.4},{"lat":31.2,"lng":121.5}]}`), "", 422, "validation_failed", "geofences[0].points[1].lat", "out_of_range"},
		{"Lat1e400", "POST", "/v1/sites", circleJSON("1e400", "121.4", "100"), "", 422, "validation_failed", "geofences[0].center.lat", ""},
		{"Radius1e400", "POST", "/v1/sites", circleJSON("31.2", "121.4", "1e400"), "", 422, "validation_failed", "geofences[0].radius_m", ""},
		{"PunchLat91", "POST", "/v1/me/punches", `{"client_punch_id":"` + uuid.NewString() + `","kind":"in","location":{"lat":91,"lng":121.4,"accuracy_m":5}}`, "", 422, "validation_failed", "location.lat", "out_of_range"},
		{"PunchLngMinus181", "POST", "/v1/me/punches", `{"client_punch_id":"` + uuid.NewString() + `","kind":"in","location":{"lat":31.2,"lng":-181,"accuracy_m":5}}`, "", 422, "validation_failed", "location.lng", "out_of_range"},

		// Geofence shapes.
		{"BowTiePolygon", "POST", "/v1/sites", siteJSON(bowTie), "", 422, "validation_failed", "geofences[0].points", "self_intersecting"},
		{"BowTiePolygonInPatch", "PATCH", "/v1/sites/{site}", `{"geofences":[` + bowTie + `]}`, "", 422, "validation_failed", "geofences[0].points", "self_intersecting"},
		{"CollinearPolygon", "POST", "/v1/sites", siteJSON(collinear), "", 422, "validation_failed", "geofences[0].points", "degenerate_polygon"},
		{"TwoPointPolygon", "POST", "/v1/sites", siteJSON(twoPoints), "", 422, "validation_failed", "geofences[0].points", "degenerate_polygon"},
		{"PolygonWithARepeatedPoint", "POST", "/v1/sites", siteJSON(repeated), "", 422, "validation_failed", "geofences[0].points", "degenerate_polygon"},
		{"RadiusZero", "POST", "/v1/sites", circleJSON("31.2", "121.4", "0"), "", 422, "validation_failed", "geofences[0].radius_m", "radius_out_of_range"},
		{"RadiusNegative", "POST", "/v1/sites", circleJSON("31.2", "121.4", "-5"), "", 422, "validation_failed", "geofences[0].radius_m", "radius_out_of_range"},
		{"RadiusHuge", "POST", "/v1/sites", circleJSON("31.2", "121.4", "1e9"), "", 422, "validation_failed", "geofences[0].radius_m", "radius_out_of_range"},
		{"NoGeofences", "POST", "/v1/sites", `{"name":"S","timezone":"Asia/Shanghai","geofences":[]}`, "", 422, "validation_failed", "geofences", "invalid_length"},
		{"UnknownCRS", "POST", "/v1/sites", `{"name":"S","timezone":"Asia/Shanghai","crs":"utm","geofences":[{"type":"circle","center":{"lat":31.2,"lng":121.4},"radius_m":100}]}`, "", 422, "validation_failed", "crs", ""},
		{"UnknownCRSInPatch", "PATCH", "/v1/sites/{site}", `{"crs":"WGS-84"}`, "", 422, "validation_failed", "crs", ""},
		{"UnknownCRSOnAPunch", "POST", "/v1/me/punches", `{"client_punch_id":"` + uuid.NewString() + `","kind":"in","location":{"lat":31.2,"lng":121.4,"accuracy_m":5,"crs":"mars"}}`, "", 422, "validation_failed", "location.crs", ""},
		{"BSSIDNotAMAC", "POST", "/v1/sites", `{"name":"S","timezone":"Asia/Shanghai","geofences":[{"type":"circle","center":{"lat":31.2,"lng":121.4},"radius_m":100}],"wifi_bssids":["router"]}`, "", 422, "validation_failed", "wifi_bssids[0]", "invalid_format"},

		// Time zones.
		{"SiteTimezoneOnMars", "POST", "/v1/sites", `{"name":"S","timezone":"Mars/Olympus","geofences":[{"type":"circle","center":{"lat":31.2,"lng":121.4},"radius_m":100}]}`, "", 422, "validation_failed", "timezone", "invalid_timezone"},
		{"SiteTimezoneLocal", "PATCH", "/v1/sites/{site}", `{"timezone":"Local"}`, "", 422, "validation_failed", "timezone", "invalid_timezone"},
		{"SiteTimezoneEmpty", "PATCH", "/v1/sites/{site}", `{"timezone":""}`, "", 422, "validation_failed", "timezone", "invalid_length"},
		{"EmployeeTimezoneOnMars", "POST", "/v1/employees", `{"employee_no":"E2","name":"x","timezone":"Mars/Olympus"}`, "", 422, "validation_failed", "timezone", "invalid_timezone"},
		{"EmployeeTimezoneLocal", "PATCH", "/v1/employees/{emp}", `{"timezone":"Local"}`, "", 422, "validation_failed", "timezone", "invalid_timezone"},
		{"EmployeeTimezoneEmpty", "POST", "/v1/employees", `{"employee_no":"E2","name":"x","timezone":""}`, "", 422, "validation_failed", "timezone", "invalid_length"},

		// Hostile strings.
		{"ControlCharacterInDepartmentName", "POST", "/v1/departments", `{"name":"a\u0001b"}`, "", 422, "validation_failed", "name", "invalid_name"},
		{"NewlineInDepartmentName", "PATCH", "/v1/departments/{dept}", `{"name":"two\nlines"}`, "", 422, "validation_failed", "name", "invalid_name"},
		{"SlashInDepartmentName", "POST", "/v1/departments", `{"name":"a/b"}`, "", 422, "validation_failed", "name", "invalid_name"},
		{"BlankDepartmentName", "POST", "/v1/departments", `{"name":"   "}`, "", 422, "validation_failed", "name", "invalid_name"},
		{"DELInEmployeeName", "PATCH", "/v1/employees/{emp}", `{"name":"x\u007fy"}`, "", 422, "validation_failed", "name", "invalid_name"},
		{"EscapeInSiteName", "PATCH", "/v1/sites/{site}", `{"name":"\u001b[31mred"}`, "", 422, "validation_failed", "name", "invalid_name"},
		{"TabInSiteAddress", "PATCH", "/v1/sites/{site}", `{"address":"a\tb"}`, "", 422, "validation_failed", "address", "invalid_address"},
		{"DepartmentName201Chars", "POST", "/v1/departments", `{"name":"` + strings.Repeat("x", 201) + `"}`, "", 422, "validation_failed", "name", "invalid_length"},
		{"EmployeeName201CJK", "POST", "/v1/employees", `{"employee_no":"E2","name":"` + strings.Repeat("张", 201) + `"}`, "", 422, "validation_failed", "name", "invalid_length"},
		{"SiteName10000Chars", "POST", "/v1/sites", `{"name":"` + strings.Repeat("x", 10000) + `","timezone":"UTC","geofences":[{"type":"circle","center":{"lat":31.2,"lng":121.4},"radius_m":100}]}`, "", 422, "validation_failed", "name", "invalid_length"},
		{"EmployeeNo33Chars", "PATCH", "/v1/employees/{emp}", `{"employee_no":"` + strings.Repeat("9", 33) + `"}`, "", 422, "validation_failed", "employee_no", "invalid_format"},

		// Bodies of the wrong size or kind.
		{"BodyOver1MiB", "POST", "/v1/departments", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, "", 413, "body_too_large", "", ""},
		{"MissingBody", "POST", "/v1/departments", "", "", 400, "malformed_request", "", ""},
		{"MissingBodyInPatch", "PATCH", "/v1/employees/{emp}", "", "", 400, "malformed_request", "", ""},
		{"EmptyBody", "POST", "/v1/sites", "", "application/json", 400, "malformed_request", "", ""},

		// Ids, filters and cursors.
		{"CursorGarbageDepartments", "GET", "/v1/departments?cursor=garbage!", "", "", 422, "validation_failed", "cursor", "invalid_cursor"},
		{"CursorGarbageEmployees", "GET", "/v1/employees?cursor=AAAA", "", "", 422, "validation_failed", "cursor", "invalid_cursor"},
		{"CursorGarbageSites", "GET", "/v1/sites?cursor=" + emptyCursor, "", "", 422, "validation_failed", "cursor", "invalid_cursor"},
		{"CursorGarbageAudit", "GET", "/v1/audit-events?cursor=%E2%98%83", "", "", 422, "validation_failed", "cursor", "invalid_cursor"},
		{"CursorGarbagePunches", "GET", "/v1/punches?cursor=bm90IGpzb24", "", "", 422, "validation_failed", "cursor", "invalid_cursor"},
		{"CursorTooLong", "GET", "/v1/departments?cursor=" + strings.Repeat("A", 513), "", "", 422, "validation_failed", "cursor", "invalid_length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newOrgEnv(t, b)
			f := newBadFixture(e)
			before := e.snapshot(f)
			var body any
			if tc.body != "" {
				body = f.expand(tc.body)
			}
			var headers []string
			if tc.ctype != "" {
				headers = []string{"Content-Type", tc.ctype}
			}
			r := e.do(tc.method, f.expand(tc.path), e.Admin, body, headers...)
			p := want(t, r, tc.status)
			if tc.code != "" && p.Code != tc.code {
				t.Fatalf("code %q, want %q: %s", p.Code, tc.code, r.Body)
			}
			if p.Code == "" {
				t.Fatalf("no stable code: %s", r.Body)
			}
			if tc.field != "" {
				if len(p.Errors) == 0 || p.Errors[0].Field != tc.field || (tc.fcode != "" && p.Errors[0].Code != tc.fcode) {
					t.Fatalf("errors %+v, want the first on %q with code %q", p.Errors, tc.field, tc.fcode)
				}
			}
			if after := e.snapshot(f); after != before {
				t.Fatalf("a refused request changed the tenant:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestBadInput_IdsThatAreNotUUIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name, method, path string
		body               any
	}{
		{"InAGetPath", "GET", "/v1/departments/not-a-uuid", nil},
		{"InAPatchPath", "PATCH", "/v1/employees/123", map[string]any{"name": "x"}},
		{"InADeletePath", "DELETE", "/v1/sites/zzz", nil},
		{"AlmostAUUID", "GET", "/v1/sites/" + strings.Repeat("g", 8) + "-0000-0000-0000-000000000000", nil},
		{"InAFilter", "GET", "/v1/employees?department_id=nope", nil},
		{"InAPunchFilter", "GET", "/v1/punches?site_id=1", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newOrgEnv(t, b)
			f := newBadFixture(e)
			before := e.snapshot(f)
			r := e.do(tc.method, tc.path, e.Admin, tc.body)
			if r.Code != 400 && r.Code != 422 {
				t.Fatalf("status %d, want 400 or 422: %s", r.Code, r.Body)
			}
			if p := want(t, r, r.Code); p.Code == "" {
				t.Fatalf("no stable code: %s", r.Body)
			}
			if after := e.snapshot(f); after != before {
				t.Fatalf("a refused request changed the tenant:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestBadInput_ContentTypesAndStreamedBodies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, tc := range []struct {
		name, ctype, body string
		chunked           bool
		statuses          []int
	}{
		{"TextPlain", "text/plain", `{"name":"x"}`, false, []int{400, 415}},
		{"FormEncoded", "application/x-www-form-urlencoded", `name=x`, false, []int{400, 415}},
		{"XML", "application/xml", `<name>x</name>`, false, []int{400, 415}},
		{"ChunkedOver1MiB", "application/json", `{"name":"` + strings.Repeat("y", 1<<20+10) + `"}`, true, []int{413}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newOrgEnv(t, b)
			req := httptest.NewRequest("POST", "/v1/departments", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+e.Admin)
			if tc.chunked {
				req.ContentLength = -1 // no length to check up front: the limit applies while reading
			}
			r := e.send(req)
			if !slices.Contains(tc.statuses, r.Code) {
				t.Fatalf("status %d, want one of %v: %s", r.Code, tc.statuses, r.Body)
			}
			p := want(t, r, r.Code)
			if p.Code == "" {
				t.Fatalf("no stable code: %s", r.Body)
			}
			if n := e.count("departments"); n != 0 {
				t.Fatalf("%d departments written", n)
			}
		})
	}
}

func TestBadInput_SQLLookingStringsAreStoredVerbatim(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, s := range []string{
		`Robert'); DROP TABLE departments;--`,
		`' OR '1'='1`,
		`"; DELETE FROM employees WHERE ''='`,
		`100% _done_ \ \\`,
		`$1 $$ ::uuid`,
	} {
		t.Run(strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return -1
		}, s), func(t *testing.T) {
			t.Parallel()
			e := newOrgEnv(t, b)
			r := e.do("POST", "/v1/departments", e.Admin, map[string]any{"name": s})
			want(t, r, 201)
			d := r.M(t)
			if d["name"] != s {
				t.Fatalf("department stored as %q, want %q", d["name"], s)
			}
			id := e.createEmployee(e.Admin, "E1", map[string]any{"name": s})
			if got := e.employee(e.Admin, id).Name; got != s {
				t.Fatalf("employee stored as %q, want %q", got, s)
			}
			site := circleSite(s, 31.2, 121.4)
			site["address"] = s
			r = e.do("POST", "/v1/sites", e.Admin, site)
			want(t, r, 201)
			if m := r.M(t); m["name"] != s || m["address"] != s {
				t.Fatalf("site stored as %q / %q", m["name"], m["address"])
			}
			// Searching for the string finds exactly the employee: it is a
			// literal substring, not SQL and not a LIKE pattern.
			got := e.all(e.Admin, "/v1/employees?q="+url.QueryEscape(s))
			if !slices.Equal(itemIDs(got), []string{id}) {
				t.Fatalf("q=%q found %v, want only %s", s, itemIDs(got), id)
			}
			if n := len(e.all(e.Admin, "/v1/departments")); n != 1 {
				t.Fatalf("%d departments after storing %q", n, s)
			}
		})
	}
}

func TestBadInput_TokensThatDoNotAuthenticate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	e := newOrgEnv(t, b)
	forge := func(secret any, method jwt.SigningMethod, claims jwt.MapClaims) string {
		c := jwt.MapClaims{"iss": "daka", "aud": "daka-api", "sub": e.AdminID.String(), "tid": e.ID.String(),
			"role": "admin", "exp": b.clock.Now().Add(time.Hour).Unix()}
		for k, v := range claims {
			c[k] = v
		}
		s, err := jwt.NewWithClaims(method, c).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	parts := strings.Split(e.Admin, ".")
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(
		`{"iss":"daka","aud":["daka-api"],"sub":"`+e.AdminID.String()+`","tid":"`+e.ID.String()+`","role":"admin","exp":4102444800}`)) + "." + parts[2]
	other := []byte("another-secret-another-secret-123456")
	t.Run("Each", func(t *testing.T) {
		for _, tc := range []struct {
			name, header, code string
		}{
			{"NoHeader", "", "unauthenticated"},
			{"NotBearer", "Basic YWRtaW46cGFzc3dvcmQ=", "unauthenticated"},
			{"EmptyBearer", "Bearer ", "unauthenticated"},
			{"Garbage", "Bearer garbage", "invalid_token"},
			{"ThreeGarbageParts", "Bearer a.b.c", "invalid_token"},
			{"SignedWithAnotherSecret", "Bearer " + forge(other, jwt.SigningMethodHS256, nil), "invalid_token"},
			{"AlgNone", "Bearer " + forge(jwt.UnsafeAllowNoneSignatureType, jwt.SigningMethodNone, nil), "invalid_token"},
			{"HS512WithTheRightSecret", "Bearer " + forge(testSecret, jwt.SigningMethodHS512, nil), "invalid_token"},
			{"PayloadSwappedUnderTheSignature", "Bearer " + tampered, "invalid_token"},
			{"WrongAudience", "Bearer " + forge(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"aud": "someone-else"}), "invalid_token"},
			{"WrongIssuer", "Bearer " + forge(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"iss": "evil"}), "invalid_token"},
			{"NoExpiry", "Bearer " + forge(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"exp": nil}), "invalid_token"},
			{"UnknownRole", "Bearer " + forge(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"role": "root"}), "invalid_token"},
			{"SubjectNotAUUID", "Bearer " + forge(testSecret, jwt.SigningMethodHS256, jwt.MapClaims{"sub": "admin"}), "invalid_token"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := e.forT(t)
				for _, req := range []struct {
					method, path string
					body         any
				}{
					{"GET", "/v1/departments", nil},
					{"POST", "/v1/departments", map[string]any{"name": "Intruder"}},
					{"PATCH", "/v1/employees/" + e.AdminID.String(), map[string]any{"name": "Intruder"}},
				} {
					var headers []string
					if tc.header != "" {
						headers = []string{"Authorization", tc.header}
					}
					r := e.do(req.method, req.path, "", req.body, headers...)
					want(t, r, 401, tc.code)
					if r.Header.Get("WWW-Authenticate") == "" {
						t.Error("no WWW-Authenticate header")
					}
				}
			})
		}
	})
	if n := e.count("departments"); n != 0 {
		t.Errorf("%d departments written with bad tokens", n)
	}
	if g := e.employee(e.Admin, e.AdminID.String()); g.Name == "Intruder" {
		t.Errorf("the admin was renamed with a bad token")
	}
}

func TestBadInput_AnExpiredTokenIs401(t *testing.T) {
	t.Parallel()
	b := setup(t) // its own bundle: this test moves the clock
	e := newOrgEnv(t, b)
	want(t, e.do("GET", "/v1/departments", e.Admin, nil), 200)
	b.clock.Advance(time.Hour)
	for _, req := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/v1/departments", nil},
		{"GET", "/v1/employees/" + e.AdminID.String(), nil},
		{"POST", "/v1/departments", map[string]any{"name": "Late"}},
		{"POST", "/v1/sites", circleSite("Late", 31.2, 121.4)},
	} {
		want(t, e.do(req.method, req.path, e.Admin, req.body), 401, "token_expired")
	}
	if n := e.count("departments") + e.count("sites"); n != 0 {
		t.Fatalf("%d records written with an expired token", n)
	}
	// A fresh login works again.
	fresh := e.login(e.Slug, "admin@"+e.Slug+".test", testPassword)
	want(t, e.do("GET", "/v1/departments", fresh, nil), 200)
}
