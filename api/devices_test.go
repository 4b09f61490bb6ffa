package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/api"
	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/media/localstore"
	"github.com/dakahq/daka/org"
)

// devBundle is the real router with terminal support, served over real
// HTTP (httptest.NewServer) as well, because terminal exchanges are
// checked byte for byte, Date header included.
type devBundle struct {
	*testBundle
	dev   *devices.Service
	att   *attendance.Service
	srv   *httptest.Server
	ten   tenant
	site  string
	media string
}

var testEncryptionKey = devices.DeriveKey(testSecret)

// devOptions tweak the devices service of a bundle.
type devOption func(*devices.Options)

// setupDevices builds a bundle with terminal support, a tenant "acme" and a
// site "HQ" (Asia/Shanghai).
func setupDevices(t testing.TB, opts ...devOption) *devBundle {
	t.Helper()
	pool := testdb.New(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	orgs, err := org.NewService(pool, org.Options{Now: clk.Now, JWTSecret: testSecret, DefaultTimezone: "Asia/Shanghai",
		PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	att := attendance.NewService(pool, orgs, attendance.Options{Now: clk.Now})
	dir := t.TempDir()
	store, err := localstore.New(localstore.Options{Dir: dir, SigningKey: testSecret, BaseURL: "http://media.test"})
	if err != nil {
		t.Fatal(err)
	}
	o := devices.Options{Now: clk.Now, EncryptionKey: testEncryptionKey, Media: store, DeviceCacheTTL: -1, IdentityCacheTTL: -1,
		Logger: slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, f := range opts {
		f(&o)
	}
	dev, err := devices.NewService(pool, orgs, att, o)
	if err != nil {
		t.Fatal(err)
	}
	e, err := api.New(api.Deps{Org: orgs, Attendance: att, Devices: dev,
		Logger: slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelError})), QuietAccessLog: true,
		MaxBodyBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := api.Spec()
	if err != nil {
		t.Fatal(err)
	}
	router, err := api.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	tt, _ := t.(*testing.T)
	b := &devBundle{testBundle: &testBundle{t: tt, tb: t, e: e, pool: pool, org: orgs, router: router, clock: clk},
		dev: dev, att: att, media: dir}
	b.srv = httptest.NewServer(e)
	t.Cleanup(b.srv.Close)
	b.ten = b.newTenant("acme")
	b.site = b.createSite(b.ten.Admin, circleSite("HQ", hqLat, hqLng))
	return b
}

// tlog sends the devices service's errors to the test log (shown when a
// test fails).
type tlog struct{ tb testing.TB }

func (w tlog) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// device registers a terminal and returns the response body.
func (b *devBundle) device(serial, protocol, tz string, extra ...map[string]any) map[string]any {
	b.tb.Helper()
	body := map[string]any{"serial": serial, "protocol": protocol, "site_id": b.site, "timezone": tz}
	for _, m := range extra {
		for k, v := range m {
			body[k] = v
		}
	}
	r := b.do("POST", "/v1/devices", b.ten.Admin, body)
	want(b.tb, r, 201)
	return r.M(b.tb)
}

// wire is one exchange over real HTTP.
type wire struct {
	Status int
	Body   string
	Header http.Header
}

// send makes a raw HTTP request to the server: no Content-Type unless
// given, headers as a device sends them.
func (b *devBundle) send(method, path string, body []byte, headers ...string) wire {
	b.tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequest(method, b.srv.URL+path, rd)
	if err != nil {
		b.tb.Fatal(err)
	}
	req.Header.Set("User-Agent", "iClock Proxy/1.09")
	req.Header.Set("Accept", "*/*")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	return wire{Status: res.StatusCode, Body: string(out), Header: res.Header}
}

// punches lists terminal punches through the API.
func (b *devBundle) punches(query string) []map[string]any {
	b.tb.Helper()
	r := b.do("GET", "/v1/punches?source=terminal&limit=200"+query, b.ten.Admin, nil)
	want(b.tb, r, 200)
	var out struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(b.tb, &out)
	return out.Items
}

// advance moves the clock and signs the admin in again (access tokens
// last 15 minutes).
func (b *devBundle) advance(d time.Duration) {
	b.tb.Helper()
	b.clock.Advance(d)
	b.ten.Admin = b.login(b.ten.Slug, "admin@"+b.ten.Slug+".test", testPassword)
}

// count runs a counting query.
func (b *devBundle) count(sql string, args ...any) int {
	b.tb.Helper()
	var n int
	if err := b.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		b.tb.Fatal(err)
	}
	return n
}

func TestDevices_ThinSlice(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1156", map[string]any{"name": "Isa"})
	dev := b.device("SERIAL87654321", "zkteco-adms", "Asia/Shanghai")
	if dev["activation_code"] != nil || dev["token"] != nil {
		t.Fatalf("a ZK device has no credential: %v", dev)
	}
	hs := b.send("GET", "/iclock/cdata?SN=SERIAL87654321&options=all&language=73&pushver=2.4.0", nil)
	if hs.Status != 200 || !strings.HasPrefix(hs.Body, "GET OPTION FROM: SERIAL87654321\n") || !strings.Contains(hs.Body, "\nTimeZone=8\n") {
		t.Fatalf("handshake %d %q", hs.Status, hs.Body)
	}
	r := b.send("POST", "/iclock/cdata?SN=SERIAL87654321&table=ATTLOG&Stamp=9999", []byte("1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n"))
	if r.Status != 200 || r.Body != "OK: 1" {
		t.Fatalf("ATTLOG %d %q", r.Status, r.Body)
	}
	ps := b.punches("")
	if len(ps) != 1 {
		t.Fatalf("%d terminal punches, want 1", len(ps))
	}
	p := ps[0]
	if p["source"] != "terminal" || p["kind"] != "out" || p["verdict"] != "accepted" ||
		p["occurred_at"] != "2024-08-05T04:40:57Z" || p["site_id"] != b.site {
		t.Fatalf("punch %v", p)
	}
	if _, err := uuid.Parse(p["employee_id"].(string)); err != nil {
		t.Fatal(err)
	}
}

func mustUUID(t testing.TB, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
