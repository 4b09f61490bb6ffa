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
	"github.com/jackc/pgx/v5"

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

func TestDevices_Registry(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	t.Run("EachProtocolGetsItsCredential", func(t *testing.T) {
		n := b.device("DK-1", "daka", "Asia/Shanghai", map[string]any{"name": "Lobby", "model": "DK100"})
		if n["activation_code"] == nil || n["qr_payload"] == nil || n["activation_expires_at"] == nil || n["token"] != nil ||
			n["name"] != "Lobby" || n["site_name"] != "HQ" {
			t.Fatalf("native %v", n)
		}
		h := b.device("HK-1", "hikvision-isapi", "Asia/Shanghai")
		if h["token"] == nil || h["activation_code"] != nil {
			t.Fatalf("hikvision %v", h)
		}
		r := b.do("GET", "/v1/devices/"+h["id"].(string), b.ten.Admin, nil)
		want(t, r, 200)
		if m := r.M(t); m["token"] != nil {
			t.Fatal("the token is shown once")
		}
	})
	t.Run("Validation", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"BadSerial", map[string]any{"serial": "a b", "protocol": "daka", "site_id": b.site, "timezone": "UTC"}, "serial"},
			{"UnknownSite", map[string]any{"serial": "X1", "protocol": "daka", "site_id": "01a2132d-af13-7424-8e9a-e8348d7d7910", "timezone": "UTC"}, "site_id"},
			{"BadZone", map[string]any{"serial": "X1", "protocol": "daka", "site_id": b.site, "timezone": "Mars/Olympus"}, "timezone"},
			{"BadProtocol", map[string]any{"serial": "X1", "protocol": "suprema", "site_id": b.site, "timezone": "UTC"}, "protocol"},
			{"BadDirection", map[string]any{"serial": "X1", "protocol": "daka", "site_id": b.site, "timezone": "UTC",
				"direction_map": map[string]any{"doors": map[string]any{"one": "in"}}}, "direction_map.doors.one"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := want(t, b.do("POST", "/v1/devices", b.ten.Admin, tc.body), 422)
				if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
					t.Fatalf("errors %+v", p.Errors)
				}
			})
		}
		b.device("DUP1", "zkteco-adms", "UTC")
		p := want(t, b.do("POST", "/v1/devices", b.ten.Admin, map[string]any{"serial": "DUP1", "protocol": "daka", "site_id": b.site,
			"timezone": "UTC"}), 422)
		if p.Errors[0].Code != "serial_taken" {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("ListFiltersAndPages", func(t *testing.T) {
		r := b.do("GET", "/v1/devices?limit=2", b.ten.Admin, nil)
		want(t, r, 200)
		m := r.M(t)
		if len(m["items"].([]any)) != 2 || m["next_cursor"] == nil {
			t.Fatalf("%s", r.Body)
		}
		r = b.do("GET", "/v1/devices?limit=2&cursor="+m["next_cursor"].(string), b.ten.Admin, nil)
		want(t, r, 200)
		if n := len(r.M(t)["items"].([]any)); n != 1 {
			t.Fatalf("second page %d", n)
		}
		r = b.do("GET", "/v1/devices?protocol=hikvision-isapi", b.ten.Admin, nil)
		if n := len(r.M(t)["items"].([]any)); n != 1 {
			t.Fatalf("%d hikvision", n)
		}
		r = b.do("GET", "/v1/devices?status=offline", b.ten.Admin, nil)
		if n := len(r.M(t)["items"].([]any)); n != 3 {
			t.Fatalf("%d offline", n)
		}
	})
	t.Run("PatchAndDelete", func(t *testing.T) {
		d := b.device("ZK-DEL", "zkteco-adms", "Asia/Shanghai")
		id := d["id"].(string)
		other := b.createSite(b.ten.Admin, circleSite("Depot", depotLat, hqLng))
		r := b.do("PATCH", "/v1/devices/"+id, b.ten.Admin, map[string]any{"name": "Gate 2", "site_id": other, "timezone": "Asia/Tokyo",
			"direction_map": map[string]any{"default": "out"}})
		want(t, r, 200)
		if m := r.M(t); m["name"] != "Gate 2" || m["site_id"] != other || m["timezone"] != "Asia/Tokyo" ||
			m["direction_map"].(map[string]any)["default"] != "out" {
			t.Fatalf("%s", r.Body)
		}
		want(t, b.do("PATCH", "/v1/devices/"+id, b.ten.Admin, map[string]any{"serial": "X"}), 422)
		b.createEmployee(b.ten.Admin, "42", nil)
		b.send("POST", "/iclock/cdata?SN=ZK-DEL&table=ATTLOG", []byte("42\t2024-01-01 09:00:00\t0\t1\n"))
		want(t, b.do("DELETE", "/v1/devices/"+id, b.ten.Admin, nil), 204)
		want(t, b.do("GET", "/v1/devices/"+id, b.ten.Admin, nil), 404)
		if n := b.count(`SELECT count(*) FROM punches WHERE device_id = $1`, mustUUID(t, id)); n != 1 {
			t.Fatal("the punches of a deleted device stay")
		}
		wantText(t, b.send("GET", "/iclock/cdata?SN=ZK-DEL&options=all", nil), 403, "ERROR")
		b.device("ZK-DEL", "zkteco-adms", "UTC") // the serial is free again
	})
	t.Run("AdminsOnly", func(t *testing.T) {
		b.createEmployee(b.ten.Admin, "E9", nil)
		tok := b.login("acme", "E9", testPassword)
		want(t, b.do("GET", "/v1/devices", tok, nil), 403)
		want(t, b.do("POST", "/v1/devices", tok, map[string]any{"serial": "NOPE", "protocol": "daka", "site_id": b.site, "timezone": "UTC"}), 403)
		want(t, b.do("GET", "/v1/quarantine", tok, nil), 403)
	})
	t.Run("OtherTenantsDevicesAreNotFound", func(t *testing.T) {
		other := b.newTenant("other")
		r := b.do("GET", "/v1/devices", other.Admin, nil)
		if n := len(r.M(t)["items"].([]any)); n != 0 {
			t.Fatalf("%d visible", n)
		}
		id := b.device("MINE", "daka", "UTC")["id"].(string)
		want(t, b.do("GET", "/v1/devices/"+id, other.Admin, nil), 404)
		want(t, b.do("POST", "/v1/devices/"+id+"/disable", other.Admin, nil), 404)
	})
	t.Run("ChangesAreAudited", func(t *testing.T) {
		r := b.do("GET", "/v1/audit-events?target_type=device", b.ten.Admin, nil)
		want(t, r, 200)
		actions := map[string]bool{}
		for _, it := range r.M(t)["items"].([]any) {
			actions[it.(map[string]any)["action"].(string)] = true
		}
		for _, a := range []string{"device.create", "device.update", "device.delete"} {
			if !actions[a] {
				t.Fatalf("no %s in %v", a, actions)
			}
		}
	})
	t.Run("ZKDevicesHaveNoCredentialToRotate", func(t *testing.T) {
		id := b.device("ZKR", "zkteco-adms", "UTC")["id"].(string)
		want(t, b.do("POST", "/v1/devices/"+id+"/rotate", b.ten.Admin, nil), 409, "no_credential")
	})
}

func TestDevices_QuarantineResolution(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	id := b.zkDevice("BOCK200961014")
	ann := b.createEmployee(b.ten.Admin, "1001", nil)
	other := b.createSite(b.ten.Admin, circleSite("Depot", depotLat, hqLng))
	bob := b.createEmployee(b.ten.Admin, "1002", map[string]any{"site_ids": []string{other}})
	post := func(body string) {
		t.Helper()
		if w := b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG", []byte(body)); w.Status != 200 {
			t.Fatalf("%d %q", w.Status, w.Body)
		}
	}
	post("77\t2024-07-28 08:00:00\t0\t1\n77\t2024-07-28 17:00:00\t1\t1\n1002\t2024-07-28 08:05:00\t0\t1\n")
	items := func(q string) []map[string]any {
		t.Helper()
		r := b.do("GET", "/v1/quarantine"+q, b.ten.Admin, nil)
		want(t, r, 200)
		var out struct {
			Items []map[string]any `json:"items"`
		}
		r.JSON(t, &out)
		return out.Items
	}
	qs := items("?pin=77")
	if len(qs) != 2 || qs[0]["reason"] != "unknown_pin" || qs[0]["device_id"] != id || qs[0]["occurred_at"] == nil ||
		qs[0]["device_local_time"] != "2024-07-28T17:00:00" {
		t.Fatalf("%v", qs)
	}
	t.Run("MappingThePINPunchesEveryRecordOfIt", func(t *testing.T) {
		want(t, b.do("POST", "/v1/quarantine/"+qs[0]["id"].(string)+"/resolve", b.ten.Admin, map[string]any{}), 422)
		r := b.do("POST", "/v1/quarantine/"+qs[0]["id"].(string)+"/resolve", b.ten.Admin, map[string]any{"employee_id": ann})
		want(t, r, 200)
		m := r.M(t)
		if m["action"] != "pin_mapped" || m["punched"] != 2.0 || m["item"].(map[string]any)["status"] != "resolved" ||
			m["item"].(map[string]any)["punch_id"] == nil {
			t.Fatalf("%s", r.Body)
		}
		if n := b.count(`SELECT count(*) FROM punches WHERE employee_id = $1`, mustUUID(t, ann)); n != 2 {
			t.Fatalf("%d punches", n)
		}
		want(t, b.do("POST", "/v1/quarantine/"+qs[0]["id"].(string)+"/resolve", b.ten.Admin, map[string]any{"employee_id": ann}), 409, "already_resolved")
		// From now on the device's PIN 77 is Ann.
		post("77\t2024-07-29 08:00:00\t0\t1\n")
		if n := b.count(`SELECT count(*) FROM punches WHERE employee_id = $1`, mustUUID(t, ann)); n != 3 {
			t.Fatalf("%d punches", n)
		}
		r = b.do("GET", "/v1/employees/"+ann+"/devices", b.ten.Admin, nil)
		want(t, r, 200)
		if !strings.Contains(string(r.Body), `"pin":"77"`) {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("GrantingAccessPunchesTheNotPermitted", func(t *testing.T) {
		q := items("?reason=not_permitted")
		if len(q) != 1 || q[0]["employee_id"] != bob {
			t.Fatalf("%v", q)
		}
		r := b.do("POST", "/v1/quarantine/"+q[0]["id"].(string)+"/resolve", b.ten.Admin, nil)
		want(t, r, 200)
		if m := r.M(t); m["action"] != "access_granted" || m["punched"] != 1.0 {
			t.Fatalf("%s", r.Body)
		}
		r = b.do("GET", "/v1/employees/"+bob+"/devices", b.ten.Admin, nil)
		if m := r.M(t); len(m["device_ids"].([]any)) != 1 || m["devices"].([]any)[0].(map[string]any)["via"] != "enrolment" {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("UnreadableLinesCannotBeResolved", func(t *testing.T) {
		post("1001\tgarbage\n")
		q := items("?reason=unparseable")
		want(t, b.do("POST", "/v1/quarantine/"+q[0]["id"].(string)+"/resolve", b.ten.Admin, map[string]any{"employee_id": ann}), 409, "cannot_resolve")
	})
	t.Run("ReevaluateAfterCreatingTheEmployee", func(t *testing.T) {
		post("3003\t2024-07-30 08:00:00\t0\t1\n")
		b.createEmployee(b.ten.Admin, "3003", nil)
		r := b.do("POST", "/v1/quarantine/reevaluate", b.ten.Admin, map[string]any{"device_id": id})
		want(t, r, 200)
		if m := r.M(t); m["punched"] != 1.0 || m["still_quarantined"] != 0.0 {
			t.Fatalf("%s", r.Body)
		}
		if n := len(items("")); n != 1 { // only the unreadable line is left open
			t.Fatalf("%d open", n)
		}
		if n := len(items("?status=resolved")); n != 4 {
			t.Fatalf("%d resolved", n)
		}
	})
	t.Run("ResolutionsAreAudited", func(t *testing.T) {
		r := b.do("GET", "/v1/audit-events?action=quarantine.resolve", b.ten.Admin, nil)
		if n := len(r.M(t)["items"].([]any)); n != 2 {
			t.Fatalf("%d audit events", n)
		}
	})
}

func TestDevices_EmployeeAccessAndCards(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	zk := b.zkDevice("ACC0001")
	other := b.createSite(b.ten.Admin, circleSite("Depot", depotLat, hqLng))
	emp := b.createEmployee(b.ten.Admin, "501", map[string]any{"name": "Eve", "site_ids": []string{other}})
	t.Run("NotPermittedByDefault", func(t *testing.T) {
		r := b.do("GET", "/v1/employees/"+emp+"/devices", b.ten.Admin, nil)
		want(t, r, 200)
		if n := len(r.M(t)["devices"].([]any)); n != 0 {
			t.Fatalf("%s", r.Body)
		}
	})
	t.Run("EnrollingOnTheSiteQueuesTheUser", func(t *testing.T) {
		r := b.do("PUT", "/v1/employees/"+emp+"/devices", b.ten.Admin, map[string]any{"site_ids": []string{b.site}})
		want(t, r, 200)
		if d := r.M(t)["devices"].([]any); len(d) != 1 || d[0].(map[string]any)["device_id"] != zk || d[0].(map[string]any)["pin"] != "501" {
			t.Fatalf("%s", r.Body)
		}
		w := b.send("GET", "/iclock/getrequest?SN=ACC0001", nil)
		if !strings.HasPrefix(w.Body, "C:101:DATA UPDATE USERINFO PIN=501\tName=Eve\t") {
			t.Fatalf("%q", w.Body)
		}
	})
	t.Run("ADevicePINReplacesTheOldUser", func(t *testing.T) {
		want(t, b.do("PUT", "/v1/employees/"+emp+"/devices", b.ten.Admin, map[string]any{"pins": []any{map[string]any{"device_id": zk, "pin": "9"}}}), 200)
		wantText(t, b.send("GET", "/iclock/getrequest?SN=ACC0001", nil), 200,
			"C:102:DATA DELETE USERINFO PIN=501\nC:103:DATA UPDATE USERINFO PIN=9\tName=Eve\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=\n")
	})
	t.Run("WithdrawingDeletesTheUser", func(t *testing.T) {
		want(t, b.do("PUT", "/v1/employees/"+emp+"/devices", b.ten.Admin, map[string]any{"site_ids": []string{}}), 200)
		wantText(t, b.send("GET", "/iclock/getrequest?SN=ACC0001", nil), 200, "C:104:DATA DELETE USERINFO PIN=9\n")
	})
	t.Run("UnknownDeviceIsAFieldError", func(t *testing.T) {
		p := want(t, b.do("PUT", "/v1/employees/"+emp+"/devices", b.ten.Admin, map[string]any{"device_ids": []string{"01a2132d-af13-7424-8e9a-e8348d7d7910"}}), 422)
		if p.Errors[0].Field != "device_ids[0]" {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("CardsIdentifyRTLogPunches", func(t *testing.T) {
		ann := b.createEmployee(b.ten.Admin, "600", nil)
		rt := "time=2024-01-10 11:49:32\tpin=0\tcardno=4455667\teventaddr=1\tevent=0\tinoutstatus=0\tverifytype=4\tindex=1\n"
		wantText(t, b.send("POST", "/iclock/cdata?SN=ACC0001&table=rtlog", []byte(rt)), 200, "OK")
		if n := b.count(`SELECT count(*) FROM device_quarantine WHERE reason = 'unknown_card' AND card = '4455667'`); n != 1 {
			t.Fatal("an unknown card is quarantined")
		}
		r := b.do("PUT", "/v1/employees/"+ann+"/cards", b.ten.Admin, map[string]any{"cards": []string{"4455667", "4455667"}})
		want(t, r, 200)
		if c := r.M(t)["cards"].([]any); len(c) != 1 {
			t.Fatalf("%s", r.Body)
		}
		if n := b.count(`SELECT count(*) FROM punches WHERE employee_id = $1`, mustUUID(t, ann)); n != 1 {
			t.Fatal("the card's quarantined record became a punch")
		}
		p := want(t, b.do("PUT", "/v1/employees/"+emp+"/cards", b.ten.Admin, map[string]any{"cards": []string{"4455667"}}), 422)
		if p.Errors[0].Code != "card_taken" {
			t.Fatalf("%+v", p)
		}
		r = b.do("GET", "/v1/employees/"+ann+"/cards", b.ten.Admin, nil)
		want(t, r, 200)
	})
}

func TestDevices_EnrolmentsFromZKTemplates(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.zkDevice("SERIAL87654321")
	emp := b.createEmployee(b.ten.Admin, "1160", nil)
	stranger := b.createEmployee(b.ten.Admin, "2000", nil)
	body := "USER PIN=1160\tName=Isa\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0\tViceCard=\n" +
		"FP PIN=1160\tFID=6\tSize=12\tValid=1\tTMP=AAECAwQFBgcICQoL\n" +
		"FACE PIN=55\tFID=0\tValid=1\tSize=8\tTMP=Zm9vYmFyMDA=\n" +
		"BIODATA Pin=1160\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp=cGFsbXBhbG0=\n"
	for range 2 {
		wantText(t, b.send("POST", "/iclock/cdata?SN=SERIAL87654321&table=OPERLOG", []byte(body)), 200, "OK: 4")
	}
	r := b.do("GET", "/v1/enrolments?status=pending", b.ten.Admin, nil)
	want(t, r, 200)
	items := r.M(t)["items"].([]any)
	if len(items) != 3 {
		t.Fatalf("%s", r.Body)
	}
	byPIN := map[string]map[string]any{}
	for _, it := range items {
		m := it.(map[string]any)
		byPIN[m["pin"].(string)+"/"+m["kind"].(string)] = m
	}
	if byPIN["1160/fingerprint"]["employee_id"] != emp || byPIN["1160/fingerprint"]["index"] != 6.0 || byPIN["55/face"]["employee_id"] != nil ||
		byPIN["1160/face"]["format"] != "5.8" {
		t.Fatalf("%v", byPIN)
	}
	unknown := byPIN["55/face"]["id"].(string)
	want(t, b.do("POST", "/v1/enrolments/"+unknown+"/approve", b.ten.Admin, nil), 422)
	r = b.do("POST", "/v1/enrolments/"+unknown+"/approve", b.ten.Admin, map[string]any{"employee_id": stranger})
	want(t, r, 200)
	if m := r.M(t); m["status"] != "approved" || m["employee_id"] != stranger {
		t.Fatalf("%s", r.Body)
	}
	want(t, b.do("POST", "/v1/enrolments/"+byPIN["1160/face"]["id"].(string)+"/reject", b.ten.Admin, map[string]any{"comment": "blurred"}), 200)
	r = b.do("GET", "/v1/devices/"+b.count2(`SELECT id::text FROM devices`)+"/users", b.ten.Admin, nil)
	want(t, r, 200)
	u := r.M(t)["items"].([]any)[0].(map[string]any)
	if u["fp_count"] != 1.0 || u["face_count"] != 1.0 { // what the device holds, whatever the review said
		t.Fatalf("mirror %v", u)
	}
	if n := b.count(`SELECT count(*) FROM biometric_templates WHERE position('\x000102'::bytea in template_enc) > 0`); n != 0 {
		t.Fatal("a template is stored in the clear")
	}
}

// count2 runs a query returning one text value.
func (b *devBundle) count2(sql string, args ...any) string {
	b.tb.Helper()
	var s string
	if err := b.pool.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		b.tb.Fatal(err)
	}
	return s
}

func TestDevices_PendingListShowsSerialsNotContents(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.send("POST", "/iclock/cdata?SN=STRANGER1&table=ATTLOG", []byte("1\t2024-07-28 01:25:24\t0\t1\n"))
	other := b.newTenant("other")
	r := b.do("GET", "/v1/devices/pending", other.Admin, nil)
	want(t, r, 200)
	if !strings.Contains(string(r.Body), "STRANGER1") || strings.Contains(string(r.Body), "2024-07-28") {
		t.Fatalf("%s", r.Body)
	}
	want(t, b.do("POST", "/v1/devices/pending/NOSUCH/approve", b.ten.Admin, map[string]any{"site_id": b.site, "timezone": "UTC"}), 404)
}

func TestDevices_HandshakeTimeZoneFollowsTheDeviceZone(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	for _, tc := range []struct{ serial, zone, want string }{
		{"IN1", "Asia/Kolkata", "TimeZone=330"},
		{"NP1", "Asia/Kathmandu", "TimeZone=345"},
		{"UTC1", "UTC", "TimeZone=0"},
		{"NF1", "America/St_Johns", "TimeZone=-"},
	} {
		b.device(tc.serial, "zkteco-adms", tc.zone)
		w := b.send("GET", "/iclock/cdata?SN="+tc.serial+"&options=all", nil)
		if !strings.Contains(w.Body, "\n"+tc.want) {
			t.Fatalf("%s (%s): %q", tc.serial, tc.zone, w.Body)
		}
	}
}

func TestDevices_RetentionAndOfflineNotices(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	id := b.zkDevice("OLD1")
	var offline []string
	b.dev.OnOffline(func(ctx context.Context, tx pgx.Tx, d devices.Device) error {
		offline = append(offline, d.Serial)
		return nil
	})
	b.send("GET", "/iclock/getrequest?SN=OLD1", nil)
	b.send("GET", "/iclock/cdata?SN=GONE1&options=all", nil) // a pending serial
	ctx := context.Background()
	t.Run("QuietDevicesAreReportedOnce", func(t *testing.T) {
		if n, err := b.dev.CheckOffline(ctx); err != nil || n != 0 {
			t.Fatalf("%d %v", n, err)
		}
		b.advance(16 * time.Minute)
		if n, err := b.dev.CheckOffline(ctx); err != nil || n != 1 || len(offline) != 1 || offline[0] != "OLD1" {
			t.Fatalf("%d %v %v", n, err, offline)
		}
		if n, _ := b.dev.CheckOffline(ctx); n != 0 {
			t.Fatal("reported twice")
		}
		b.send("GET", "/iclock/getrequest?SN=OLD1", nil) // back: re-armed
		b.advance(16 * time.Minute)
		if n, _ := b.dev.CheckOffline(ctx); n != 1 {
			t.Fatal("not re-armed by the device's return")
		}
	})
	t.Run("RawLogAndPendingDevicesExpire", func(t *testing.T) {
		if n := b.count(`SELECT count(*) FROM device_requests WHERE device_id = $1`, mustUUID(t, id)); n == 0 {
			t.Fatal("nothing logged")
		}
		b.advance(31 * 24 * time.Hour)
		if _, err := b.dev.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if n := b.count(`SELECT count(*) FROM device_requests`) + b.count(`SELECT count(*) FROM pending_devices`); n != 0 {
			t.Fatalf("%d rows outlived their retention", n)
		}
	})
}
