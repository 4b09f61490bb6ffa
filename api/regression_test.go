package api_test

import (
	"testing"
)

// Each test states what the spec promises; each fails today.
func TestRegression_ValidationReportsTheRightField(t *testing.T) {
	b := setup(t)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, field, fcode       string
	}{
		{"TrailingGarbageAfterJSON", "POST", "/v1/departments", `{"name":"x"} junk`, 400, "malformed_request", "", ""},
		{"TwoJSONDocuments", "POST", "/v1/departments", `{"name":"x"}{"name":"y"}`, 400, "malformed_request", "", ""},
		{"UnknownFieldIsNamed", "POST", "/v1/departments", `{"name":"x","zzz":1}`, 422, "validation_failed", "zzz", "unknown_field"},
		{"UnknownNestedFieldIsNamed", "POST", "/v1/sites", `{"name":"S","timezone":"UTC","geofences":[{"type":"circle","center":{"lat":31.2,"lng":121.4,"alt":3},"radius_m":100}]}`, 422, "validation_failed", "geofences[0].center.alt", "unknown_field"},
		{"MissingRequiredFieldIsNamedOnce", "POST", "/v1/departments", `{}`, 422, "validation_failed", "name", "required"},
		{"MissingNestedRequiredFieldIsNamedOnce", "POST", "/v1/sites", `{"name":"S","timezone":"UTC","geofences":[{"center":{"lat":31.2,"lng":121.4},"radius_m":100}]}`, 422, "validation_failed", "geofences[0].type", "required"},
		{"BadEmailIs422OnEmail", "POST", "/v1/employees", `{"employee_no":"E9","name":"x","email":"not an address"}`, 422, "validation_failed", "email", ""},
		{"EmptyEmailClears", "PATCH", "/v1/employees/{emp}", `{"email":""}`, 200, "", "", ""},
		{"BadUUIDInBodyIs422OnTheField", "POST", "/v1/departments", `{"name":"x","parent_id":"nope"}`, 422, "validation_failed", "parent_id", ""},
		{"UnparsableLimitIsAQueryProblem", "GET", "/v1/sites?limit=ten", "", 422, "validation_failed", "limit", ""},
		{"C1ControlNELInName", "POST", "/v1/departments", `{"name":"a\u0085b"}`, 422, "validation_failed", "name", "invalid_name"},
		{"C1ControlCSIInName", "PATCH", "/v1/employees/{emp}", `{"name":"a\u009b31mred"}`, 422, "validation_failed", "name", "invalid_name"},
		{"BidiOverrideInName", "POST", "/v1/sites", `{"name":"evil\u202etxt.exe","timezone":"UTC","geofences":[{"type":"circle","center":{"lat":31.2,"lng":121.4},"radius_m":100}]}`, 422, "validation_failed", "name", "invalid_name"},
		{"WrongContentTypeIs415", "POST", "/v1/departments", "text/plain", 415, "unsupported_media_type", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOrgEnv(t, b)
			emp := e.createEmployee(e.Admin, "E1", map[string]any{"email": "e1@x.test"})
			before := e.count("departments") + e.count("sites")
			var r *resp
			path := tc.path
			if path == "/v1/employees/{emp}" {
				path = "/v1/employees/" + emp
			}
			if tc.body == "text/plain" {
				r = e.do(tc.method, path, e.Admin, `{"name":"x"}`, "Content-Type", "text/plain")
			} else if tc.body == "" {
				r = e.do(tc.method, path, e.Admin, nil)
			} else {
				r = e.do(tc.method, path, e.Admin, tc.body)
			}
			after := e.count("departments") + e.count("sites")
			p := problem{}
			if r.Code >= 400 {
				r.JSON(t, &p)
			}
			if r.Code != tc.status || (tc.code != "" && p.Code != tc.code) {
				t.Errorf("got %d %s (wrote %d records): %.300s", r.Code, p.Code, after-before, r.Body)
				return
			}
			if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field || (tc.fcode != "" && p.Errors[0].Code != tc.fcode)) {
				t.Errorf("errors %+v, want field %q code %q", p.Errors, tc.field, tc.fcode)
			}
		})
	}
}
