package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/api"
	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/org"
)

// clock is a settable time source shared by every service of a bundle.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type testBundle struct {
	t          *testing.T
	tb         testing.TB
	noValidate bool
	e          *echo.Echo
	pool       *pgxpool.Pool
	org        *org.Service
	router     routers.Router
	clock      *clock
}

var testSecret = []byte("test-secret-test-secret-test-secret!!")

// setup builds the real router on a fresh database. opts tweak org.Options.
func setup(t *testing.T, opts ...func(*org.Options)) *testBundle {
	t.Helper()
	return setupTB(t, t, opts...)
}

// setupB is setup for benchmarks (requests are not validated against the
// spec there: that would measure the validator).
func setupB(b *testing.B) *testBundle {
	b.Helper()
	bundle := setupTB(b, nil)
	bundle.noValidate = true
	return bundle
}

func setupTB(tb testing.TB, t *testing.T, opts ...func(*org.Options)) *testBundle {
	pool := testdb.New(tb)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	o := org.Options{Now: clk.Now, JWTSecret: testSecret, DefaultTimezone: "Asia/Shanghai",
		PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}}
	for _, f := range opts {
		f(&o)
	}
	orgs, err := org.NewService(pool, o)
	if err != nil {
		tb.Fatal(err)
	}
	e, err := api.New(api.Deps{Org: orgs, Attendance: attendance.NewService(pool, orgs, attendance.Options{Now: clk.Now}),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QuietAccessLog: true})
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := api.Spec()
	if err != nil {
		tb.Fatal(err)
	}
	router, err := api.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return &testBundle{t: t, tb: tb, e: e, pool: pool, org: orgs, router: router, clock: clk}
}

type resp struct {
	Code   int
	Body   []byte
	Header http.Header
}

// JSON decodes the body into v.
func (r *resp) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// M decodes the body as a JSON object.
func (r *resp) M(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// problem is the RFC 9457 body the tests look at.
type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Errors []struct {
		Field, Code, Message string
	} `json:"errors"`
}

// do sends a request through the real router and validates the response
// against the spec (errors included) for every route the spec has. body may
// be nil, a string or []byte (sent as is) or any value (sent as JSON).
func (b *testBundle) do(method, path, token string, body any, headers ...string) *resp {
	b.tb.Helper()
	var rd io.Reader
	ct := ""
	switch v := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(v), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(v), "application/json"
	default:
		j, err := json.Marshal(v)
		if err != nil {
			b.tb.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.send(req)
}

// send runs req and validates the response against the spec.
func (b *testBundle) send(req *http.Request) *resp {
	b.tb.Helper()
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	rec := httptest.NewRecorder()
	b.e.ServeHTTP(rec, req)
	r := &resp{Code: rec.Code, Body: rec.Body.Bytes(), Header: rec.Header()}
	b.validate(req, reqBody, r)
	return r
}

func (b *testBundle) validate(req *http.Request, reqBody []byte, r *resp) {
	b.tb.Helper()
	if b.noValidate {
		return
	}
	vreq := req.Clone(context.Background())
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := b.router.FindRoute(vreq)
	if err != nil {
		if r.Code >= 400 && !strings.Contains(r.Header.Get("Content-Type"), "application/problem+json") {
			b.tb.Errorf("%s %s: error %d is not problem+json: %s", req.Method, req.URL, r.Code, r.Body)
		}
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: r.Code, Header: r.Header, Body: io.NopCloser(bytes.NewReader(r.Body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		b.tb.Errorf("%s %s → %d does not match the spec: %v\nbody: %.600s", req.Method, req.URL, r.Code, err, r.Body)
	}
}

// want fails unless r has the status (and, for errors, the problem code).
func want(t testing.TB, r *resp, status int, code ...string) problem {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status %d, want %d: %s", r.Code, status, r.Body)
	}
	var p problem
	if status >= 400 {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("content type %q, want application/problem+json", ct)
		}
		r.JSON(t, &p)
		if len(code) > 0 && p.Code != code[0] {
			t.Fatalf("problem code %q, want %q: %s", p.Code, code[0], r.Body)
		}
	}
	return p
}

// tenant is a tenant made for a test, with its admin signed in.
type tenant struct {
	ID      uuid.UUID
	Slug    string
	AdminID uuid.UUID
	Admin   string // access token
}

const testPassword = "correct horse battery"

func (b *testBundle) newTenant(slug string) tenant {
	b.tb.Helper()
	ct, err := b.org.CreateTenant(context.Background(), org.NewTenant{Slug: slug, Name: "Tenant " + slug,
		AdminEmail: "admin@" + slug + ".test", AdminPassword: testPassword})
	if err != nil {
		b.tb.Fatal(err)
	}
	return tenant{ID: ct.Tenant.ID, Slug: slug, AdminID: ct.AdminID, Admin: b.login(slug, "admin@"+slug+".test", testPassword)}
}

func (b *testBundle) login(slug, login, password string) string {
	b.tb.Helper()
	r := b.do("POST", "/v1/auth/login", "", map[string]string{"tenant": slug, "login": login, "password": password})
	want(b.tb, r, 200)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	r.JSON(b.tb, &tok)
	return tok.AccessToken
}

// createSite makes a site and returns its id.
func (b *testBundle) createSite(token string, body map[string]any) string {
	b.tb.Helper()
	r := b.do("POST", "/v1/sites", token, body)
	want(b.tb, r, 201)
	return r.M(b.tb)["id"].(string)
}

// circleSite is a 200 m WGS-84 circle around (lat, lng).
func circleSite(name string, lat, lng float64) map[string]any {
	return map[string]any{"name": name, "timezone": "Asia/Shanghai", "crs": "wgs84",
		"geofences": []any{map[string]any{"type": "circle", "center": map[string]any{"lat": lat, "lng": lng}, "radius_m": 200}}}
}

// createEmployee makes an employee and returns its id; fields override defaults.
func (b *testBundle) createEmployee(token, no string, fields map[string]any) string {
	b.tb.Helper()
	body := map[string]any{"employee_no": no, "name": "Employee " + no, "password": testPassword}
	for k, v := range fields {
		body[k] = v
	}
	r := b.do("POST", "/v1/employees", token, body)
	want(b.tb, r, 201)
	return r.M(b.tb)["id"].(string)
}

// punchBody is an app punch at (lat, lng) plus a metre or so of GPS noise:
// real fixes have many decimals, and round ones are a trust signal.
func punchBody(kind string, lat, lng, acc float64) map[string]any {
	return map[string]any{"client_punch_id": uuid.NewString(), "kind": kind,
		"location": map[string]any{"lat": lat + noise(), "lng": lng + noise(), "accuracy_m": acc, "crs": "wgs84"}}
}

func noise() float64 { return (rand.Float64() - 0.5) * 2e-5 }
