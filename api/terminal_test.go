package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dakahq/daka/devices"
)

func uuid7() (uuid.UUID, error) { return uuid.NewV7() }

// native is a signed native terminal talking to the test server.
type native struct {
	b      *devBundle
	id     string
	secret string
	nonce  atomic.Int64
}

// nativeDevice registers a native terminal and activates it.
func (b *devBundle) nativeDevice(serial string, extra ...map[string]any) *native {
	b.tb.Helper()
	d := b.device(serial, "daka", "Asia/Shanghai", extra...)
	if d["status"] != "pending_activation" {
		b.tb.Fatalf("a new native device waits for activation: %v", d)
	}
	r := b.do("POST", "/v1/devices/activate", "", map[string]any{"activation_code": d["activation_code"]})
	want(b.tb, r, 200)
	a := r.M(b.tb)
	if a["device_id"] != d["id"] || a["timezone"] != "Asia/Shanghai" {
		b.tb.Fatalf("activation %v", a)
	}
	return &native{b: b, id: d["id"].(string), secret: a["secret"].(string)}
}

// request builds a signed request; mods may spoil it.
func (n *native) request(method, target string, body []byte, mods ...func(h http.Header)) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	ts := strconv.FormatInt(n.b.clock.Now().Unix(), 10)
	nonce := fmt.Sprintf("nonce-%016d", n.nonce.Add(1))
	req.Header.Set(devices.HeaderDevice, n.id)
	req.Header.Set(devices.HeaderTimestamp, ts)
	req.Header.Set(devices.HeaderNonce, nonce)
	req.Header.Set(devices.HeaderSignature, devices.Sign(n.secret, method, target, ts, nonce, body))
	for _, m := range mods {
		m(req.Header)
	}
	return req
}

// do sends a signed request through the router (responses checked against
// the spec).
func (n *native) do(method, target string, body any, mods ...func(h http.Header)) *resp {
	n.b.tb.Helper()
	var raw []byte
	switch v := body.(type) {
	case nil:
	case []byte:
		raw = v
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			n.b.tb.Fatal(err)
		}
	}
	return n.b.testBundle.send(n.request(method, target, raw, mods...))
}

func TestTerminal_Activation(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	d := b.device("DK-0001", "daka", "Asia/Shanghai")
	code := d["activation_code"].(string)
	if !strings.Contains(d["qr_payload"].(string), "daka://terminal/activate?") || d["token"] != nil {
		t.Fatalf("registration %v", d)
	}
	t.Run("CodeWorksOnceInAnySpelling", func(t *testing.T) {
		r := b.do("POST", "/v1/devices/activate", "", map[string]any{"activation_code": strings.ToLower(strings.ReplaceAll(code, "-", ""))})
		want(t, r, 200)
		if s := r.M(t)["secret"].(string); len(s) < 40 {
			t.Fatalf("secret %q", s)
		}
		want(t, b.do("POST", "/v1/devices/activate", "", map[string]any{"activation_code": code}), 401, "invalid_activation_code")
	})
	t.Run("TheSecretIsNotStored", func(t *testing.T) {
		if n := b.count(`SELECT count(*) FROM devices WHERE key_enc IS NOT NULL AND activated_at IS NOT NULL`); n != 1 {
			t.Fatal("no sealed key")
		}
	})
	t.Run("ExpiredCodeIsRefused", func(t *testing.T) {
		d := b.device("DK-0002", "daka", "Asia/Shanghai")
		b.advance(73 * time.Hour)
		want(t, b.do("POST", "/v1/devices/activate", "", map[string]any{"activation_code": d["activation_code"]}), 401, "invalid_activation_code")
	})
	t.Run("ListedAsPendingActivationUntilRedeemed", func(t *testing.T) {
		r := b.do("GET", "/v1/devices?protocol=daka", b.ten.Admin, nil)
		want(t, r, 200)
		statuses := map[string]string{}
		for _, it := range r.M(t)["items"].([]any) {
			m := it.(map[string]any)
			statuses[m["serial"].(string)] = m["status"].(string)
		}
		if statuses["DK-0002"] != "pending_activation" || statuses["DK-0001"] == "pending_activation" {
			t.Fatalf("statuses %v", statuses)
		}
	})
}

func TestTerminal_Signature(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	n := b.nativeDevice("DK-0001")
	hb := map[string]any{"firmware": "daka-fw 1.2"}
	set := func(k, v string) func(http.Header) { return func(h http.Header) { h.Set(k, v) } }
	for _, tc := range []struct {
		name   string
		mod    func(http.Header)
		status int
		code   string
	}{
		{"GoodSignature", nil, 200, ""},
		{"BadSignature", set(devices.HeaderSignature, strings.Repeat("0", 64)), 401, "invalid_signature"},
		{"SignatureOverAnotherBody", func(h http.Header) {
			h.Set(devices.HeaderSignature, devices.Sign(n.secret, "POST", "/v1/terminal/heartbeat", h.Get(devices.HeaderTimestamp),
				h.Get(devices.HeaderNonce), []byte(`{}`)))
		}, 401, "invalid_signature"},
		{"StaleTimestamp", func(h http.Header) {
			ts := strconv.FormatInt(b.clock.Now().Add(-6*time.Minute).Unix(), 10)
			h.Set(devices.HeaderTimestamp, ts)
			body, _ := json.Marshal(hb)
			h.Set(devices.HeaderSignature, devices.Sign(n.secret, "POST", "/v1/terminal/heartbeat", ts, h.Get(devices.HeaderNonce), body))
		}, 401, "stale_timestamp"},
		{"FutureTimestamp", func(h http.Header) {
			ts := strconv.FormatInt(b.clock.Now().Add(6*time.Minute).Unix(), 10)
			h.Set(devices.HeaderTimestamp, ts)
			body, _ := json.Marshal(hb)
			h.Set(devices.HeaderSignature, devices.Sign(n.secret, "POST", "/v1/terminal/heartbeat", ts, h.Get(devices.HeaderNonce), body))
		}, 401, "stale_timestamp"},
		{"MissingHeaders", func(h http.Header) { h.Del(devices.HeaderSignature) }, 401, "signature_missing"},
		{"UnknownDevice", set(devices.HeaderDevice, "01a2132d-af13-7424-8e9a-e8348d7d7910"), 401, "unknown_device"},
		{"ShortNonce", set(devices.HeaderNonce, "abc"), 401, "invalid_nonce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mods []func(http.Header)
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			r := n.do("POST", "/v1/terminal/heartbeat", hb, mods...)
			if tc.status == 200 {
				want(t, r, 200)
				return
			}
			want(t, r, tc.status, tc.code)
			if _, err := time.Parse(time.RFC3339Nano, r.Header.Get("X-Daka-Server-Time")); err != nil {
				t.Fatalf("X-Daka-Server-Time %q", r.Header.Get("X-Daka-Server-Time"))
			}
		})
	}
	t.Run("ReplayedNonce", func(t *testing.T) {
		req := n.request("POST", "/v1/terminal/heartbeat", []byte(`{}`))
		again := req.Clone(context.Background())
		again.Body = io.NopCloser(strings.NewReader(`{}`))
		want(t, b.testBundle.send(req), 200)
		want(t, b.testBundle.send(again), 401, "replayed_nonce")
	})
	t.Run("FailuresAreLogged", func(t *testing.T) {
		if n := b.count(`SELECT count(*) FROM device_requests WHERE status = 401`); n < 5 {
			t.Fatalf("%d refusals in the device's log", n)
		}
	})
	t.Run("DisabledDeviceIs403", func(t *testing.T) {
		want(t, b.do("POST", "/v1/devices/"+n.id+"/disable", b.ten.Admin, nil), 200)
		want(t, n.do("POST", "/v1/terminal/heartbeat", hb), 403, "device_disabled")
		want(t, b.do("POST", "/v1/devices/"+n.id+"/enable", b.ten.Admin, nil), 200)
	})
	t.Run("RotationEndsTheSecret", func(t *testing.T) {
		r := b.do("POST", "/v1/devices/"+n.id+"/rotate", b.ten.Admin, nil)
		want(t, r, 200)
		want(t, n.do("POST", "/v1/terminal/heartbeat", hb), 401, "not_activated")
		r = b.do("POST", "/v1/devices/activate", "", map[string]any{"activation_code": r.M(t)["activation_code"]})
		want(t, r, 200)
		n.secret = r.M(t)["secret"].(string)
		want(t, n.do("POST", "/v1/terminal/heartbeat", hb), 200)
	})
}

func TestTerminal_ClockSync(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1001", nil)
	n := b.nativeDevice("DK-0001")
	t.Run("TimeAnswersEvenWithAWrongClock", func(t *testing.T) {
		t0 := b.clock.Now().Add(-2 * time.Hour).UnixMilli()
		r := n.do("GET", fmt.Sprintf("/v1/terminal/time?t0=%d", t0), nil, func(h http.Header) {
			ts := strconv.FormatInt(b.clock.Now().Add(-2*time.Hour).Unix(), 10)
			h.Set(devices.HeaderTimestamp, ts)
			h.Set(devices.HeaderSignature, devices.Sign(n.secret, "GET", fmt.Sprintf("/v1/terminal/time?t0=%d", t0), ts, h.Get(devices.HeaderNonce), nil))
		})
		want(t, r, 200)
		m := r.M(t)
		if m["t0"] != float64(t0) || m["t1"] != float64(b.clock.Now().UnixMilli()) || m["t2"].(float64) < m["t1"].(float64) {
			t.Fatalf("time %v", m)
		}
	})
	t.Run("MeasuredOffsetIsStoredAndCorrectsPunches", func(t *testing.T) {
		want(t, n.do("POST", "/v1/terminal/heartbeat", map[string]any{"clock_offset_ms": 120000}), 200)
		r := b.do("GET", "/v1/devices/"+n.id, b.ten.Admin, nil)
		if r.M(t)["clock_offset_ms"] != 120000.0 {
			t.Fatalf("offset %s", r.Body)
		}
		local := b.clock.Now().In(mustLoc(t, "Asia/Shanghai")).Add(-time.Hour).Format("2006-01-02T15:04:05")
		r = n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 1, "pin": "1001", "device_time": local}}})
		want(t, r, 200)
		var occ, client time.Time
		b.pool.QueryRow(context.Background(), `SELECT occurred_at, client_time FROM punches`).Scan(&occ, &client)
		if client.Sub(occ) != 2*time.Minute {
			t.Fatalf("device time %v, corrected %v", client, occ)
		}
	})
	t.Run("OffsetBeyondTheBoundFlags", func(t *testing.T) {
		want(t, n.do("POST", "/v1/terminal/heartbeat", map[string]any{"clock_offset_ms": 600000}), 200)
		r := n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 2, "pin": "1001",
			"device_time": "2026-01-05T09:00:00+08:00"}}})
		want(t, r, 200)
		res := r.M(t)["results"].([]any)[0].(map[string]any)
		if res["verdict"] != "flagged" {
			t.Fatalf("result %v", res)
		}
		var sigs string
		b.pool.QueryRow(context.Background(), `SELECT signals::text FROM punches WHERE device_seq = 2`).Scan(&sigs)
		if !strings.Contains(sigs, "device_clock_skew") {
			t.Fatalf("signals %s", sigs)
		}
	})
}

func TestTerminal_Punches(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1001", map[string]any{"card_no": "555"})
	other := b.createSite(b.ten.Admin, circleSite("Depot", depotLat, hqLng))
	b.createEmployee(b.ten.Admin, "1002", map[string]any{"site_ids": []string{other}})
	n := b.nativeDevice("DK-0001", map[string]any{"direction_map": map[string]any{"status": map[string]any{"7": "out"}}})
	batch := []any{
		map[string]any{"seq": 1, "pin": "1001", "device_time": "2026-11-20T08:00:00", "status": 0, "verify": "face"},
		map[string]any{"seq": 2, "card": "555", "device_time": "2026-11-20T18:00:00+08:00", "status": 7},
		map[string]any{"seq": 3, "pin": "9999", "device_time": "2026-11-20T08:01:00"},
		map[string]any{"seq": 4, "pin": "1002", "device_time": "2026-11-20T08:02:00"},
		map[string]any{"seq": 5, "pin": "1001", "device_time": "tomorrow"},
		map[string]any{"seq": 6, "device_time": "2026-11-20T08:03:00"},
		map[string]any{"seq": 1, "pin": "1001", "device_time": "2026-11-20T08:00:00"},
	}
	r := n.do("POST", "/v1/terminal/punches", map[string]any{"punches": batch})
	want(t, r, 200)
	var out struct {
		Results []struct {
			Seq          int64  `json:"seq"`
			Status       string `json:"status"`
			Reason       string `json:"reason"`
			PunchID      string `json:"punch_id"`
			QuarantineID string `json:"quarantine_id"`
		} `json:"results"`
		Created, Duplicates, Quarantined, Rejected int
	}
	r.JSON(t, &out)
	wantStatus := []string{"created", "created", "quarantined", "quarantined", "rejected", "rejected", "duplicate"}
	wantReason := []string{"", "", "unknown_pin", "not_permitted", "unparseable", "unparseable", ""}
	for i, res := range out.Results {
		if res.Status != wantStatus[i] || res.Reason != wantReason[i] || res.Seq != int64(batch[i].(map[string]any)["seq"].(int)) {
			t.Fatalf("item %d: %+v", i, res)
		}
	}
	if out.Created != 2 || out.Duplicates != 1 || out.Quarantined != 2 || out.Rejected != 2 || out.Results[0].PunchID != out.Results[6].PunchID {
		t.Fatalf("totals %+v", out)
	}
	t.Run("StoredAsSent", func(t *testing.T) {
		var kind, verify, zone string
		var local string
		b.pool.QueryRow(context.Background(), `SELECT kind, verify_method, device_zone, to_char(device_local_time, 'YYYY-MM-DD"T"HH24:MI:SS')
			FROM punches WHERE device_seq = 1`).Scan(&kind, &verify, &zone, &local)
		if kind != "in" || verify != "face" || zone != "Asia/Shanghai" || local != "2026-11-20T08:00:00" {
			t.Fatalf("%s %s %s %s", kind, verify, zone, local)
		}
		b.pool.QueryRow(context.Background(), `SELECT kind FROM punches WHERE device_seq = 2`).Scan(&kind)
		if kind != "out" {
			t.Fatal("the device's direction map says status 7 is out")
		}
	})
	t.Run("TheWholeBatchAgainIsAllDuplicates", func(t *testing.T) {
		r := n.do("POST", "/v1/terminal/punches", map[string]any{"punches": batch})
		want(t, r, 200)
		r.JSON(t, &out)
		if out.Created != 0 || out.Duplicates != 3 || out.Quarantined != 2 || out.Rejected != 2 {
			t.Fatalf("replay %+v", out)
		}
		if n := b.count(`SELECT count(*) FROM punches`); n != 2 {
			t.Fatalf("%d punches", n)
		}
	})
	t.Run("AFixedItemReplacesItsRejection", func(t *testing.T) {
		r := n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 5, "pin": "1001", "device_time": "2026-11-21T08:00:00"}}})
		want(t, r, 200)
		if n := b.count(`SELECT count(*) FROM device_quarantine WHERE dedupe_key = 'seq:5' AND resolved_at IS NOT NULL AND punch_id IS NOT NULL`); n != 1 {
			t.Fatal("the rejected item was not closed by its fixed resend")
		}
	})
	t.Run("ListedAsTerminalPunches", func(t *testing.T) {
		if ps := b.punches(""); len(ps) != 3 || ps[0]["source"] != "terminal" {
			t.Fatalf("%d punches", len(ps))
		}
	})
	t.Run("EmptyBatchIsRefused", func(t *testing.T) {
		want(t, n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{}}), 422)
	})
}

// TestTerminal_WeekOfflineBatch uploads 50,000 punches in one request over
// real HTTP, twice: they are stored exactly once.
func TestTerminal_WeekOfflineBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("50,000 punches")
	}
	t.Parallel()
	b := setupDevices(t)
	ctx := context.Background()
	const emps = 200
	if _, err := b.pool.Exec(ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, timezone, created_at, updated_at)
		SELECT $1, gen_random_uuid(), 'E' || g, 'Employee ' || g, 'Asia/Shanghai', now(), now() FROM generate_series(1, $2) g`,
		b.ten.ID, emps); err != nil {
		t.Fatal(err)
	}
	n := b.nativeDevice("DK-WEEK")
	items := make([]map[string]any, 50000)
	start := time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC)
	for i := range items {
		items[i] = map[string]any{"seq": i + 1, "pin": fmt.Sprintf("E%d", i%emps+1), "status": i % 2,
			"device_time": start.Add(time.Duration(i) * 12 * time.Second).Format("2006-01-02T15:04:05"), "verify": "face"}
	}
	body, _ := json.Marshal(map[string]any{"punches": items})
	post := func() (created, dups int) {
		req := n.request("POST", "/v1/terminal/punches", body)
		hreq, _ := http.NewRequest("POST", b.srv.URL+"/v1/terminal/punches", bytes.NewReader(body))
		hreq.Header = req.Header
		began := time.Now()
		res, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ Created, Duplicates, Quarantined, Rejected int }
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			t.Fatalf("%d %v", res.StatusCode, err)
		}
		t.Logf("50,000 punches in %v: %+v", time.Since(began).Round(time.Millisecond), out)
		return out.Created, out.Duplicates
	}
	if c, d := post(); c != 50000 || d != 0 {
		t.Fatalf("first upload: %d created, %d duplicates", c, d)
	}
	if c, d := post(); c != 0 || d != 50000 {
		t.Fatalf("second upload: %d created, %d duplicates", c, d)
	}
	if got := b.count(`SELECT count(*) FROM punches`); got != 50000 {
		t.Fatalf("%d punches", got)
	}
}

func TestTerminal_Roster(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	a := b.createEmployee(b.ten.Admin, "1001", map[string]any{"name": "Ann", "card_no": "777"})
	other := b.createSite(b.ten.Admin, circleSite("Depot", depotLat, hqLng))
	c := b.createEmployee(b.ten.Admin, "1003", map[string]any{"name": "Cid", "site_ids": []string{other}})
	n := b.nativeDevice("DK-0001")
	type entry struct {
		EmployeeNo string   `json:"employee_no"`
		PIN        string   `json:"pin"`
		Name       string   `json:"name"`
		Cards      []string `json:"cards"`
		Removed    bool     `json:"removed"`
		Templates  []struct {
			ID string `json:"id"`
		} `json:"templates"`
	}
	type page struct {
		Items      []entry `json:"items"`
		NextCursor *string `json:"next_cursor"`
		Since      string  `json:"since"`
		Full       bool    `json:"full"`
	}
	get := func(q string) page {
		t.Helper()
		r := n.do("GET", "/v1/terminal/roster"+q, nil)
		want(t, r, 200)
		var p page
		r.JSON(t, &p)
		return p
	}
	full := get("?limit=1")
	if !full.Full || len(full.Items) != 1 || full.NextCursor == nil || full.Items[0].EmployeeNo != "1001" || full.Items[0].Cards[0] != "777" {
		t.Fatalf("first page %+v", full)
	}
	second := get("?limit=1&cursor=" + *full.NextCursor)
	if len(second.Items) != 1 || second.Items[0].EmployeeNo != "admin" {
		t.Fatalf("second page %+v", second)
	}
	if last := get("?limit=1&cursor=" + *second.NextCursor); len(last.Items) != 0 || last.NextCursor != nil {
		t.Fatalf("past the end %+v", last)
	}
	since := full.Since
	b.advance(time.Minute)
	// Changes: Cid is enrolled on the device with a device PIN, Ann gets a
	// card, a new employee, and one who leaves.
	want(t, b.do("PUT", "/v1/employees/"+c+"/devices", b.ten.Admin, map[string]any{"device_ids": []string{n.id},
		"pins": []any{map[string]any{"device_id": n.id, "pin": "77"}}}), 200)
	want(t, b.do("PUT", "/v1/employees/"+a+"/cards", b.ten.Admin, map[string]any{"cards": []string{"888"}}), 200)
	b.createEmployee(b.ten.Admin, "1004", map[string]any{"name": "Dee"})
	left := b.createEmployee(b.ten.Admin, "1005", nil)
	want(t, b.do("PATCH", "/v1/employees/"+left, b.ten.Admin, map[string]any{"status": "left"}), 200)
	b.advance(time.Minute)
	delta := get("?since=" + since)
	got := map[string]entry{}
	for _, e := range delta.Items {
		got[e.EmployeeNo] = e
	}
	if delta.Full || got["1003"].PIN != "77" || got["1003"].Removed || strings.Join(got["1001"].Cards, ",") != "777,888" ||
		got["1004"].Name != "Dee" || !got["1005"].Removed {
		t.Fatalf("delta %+v", delta)
	}
	t.Run("MovingTheDeviceResyncsInFull", func(t *testing.T) {
		want(t, b.do("PATCH", "/v1/devices/"+n.id, b.ten.Admin, map[string]any{"site_id": other}), 200)
		p := get("?since=" + delta.Since)
		if !p.Full {
			t.Fatalf("%+v", p)
		}
	})
	t.Run("ForeignCursorIsRefused", func(t *testing.T) {
		want(t, n.do("GET", "/v1/terminal/roster?since=garbage", nil), 422)
	})
}

func TestTerminal_CommandsEventsPhotosTemplates(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	emp := b.createEmployee(b.ten.Admin, "1001", nil)
	var alarms []devices.Event
	b.dev.OnAlarm(func(ctx context.Context, tx pgx.Tx, e devices.Event) error {
		alarms = append(alarms, e)
		return nil
	})
	n := b.nativeDevice("DK-0001")
	t.Run("CommandsOnceThenAcknowledged", func(t *testing.T) {
		b.queue(n.id, map[string]any{"type": "reboot"})
		r := n.do("GET", "/v1/terminal/commands", nil)
		want(t, r, 200)
		items := r.M(t)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["type"] != "reboot" {
			t.Fatalf("%s", r.Body)
		}
		if again := n.do("GET", "/v1/terminal/commands", nil); len(again.M(t)["items"].([]any)) != 0 {
			t.Fatal("delivered twice")
		}
		id := items[0].(map[string]any)["id"].(string)
		want(t, n.do("POST", "/v1/terminal/commands/"+id+"/ack", map[string]any{"ok": true}), 204)
		want(t, n.do("POST", "/v1/terminal/commands/nope/ack", map[string]any{"ok": true}), 404)
		if b.count(`SELECT count(*) FROM device_commands WHERE state = 'done'`) != 1 {
			t.Fatal("not done")
		}
	})
	t.Run("AlarmsAreStoredAndAnnouncedOnce", func(t *testing.T) {
		ev := map[string]any{"events": []any{map[string]any{"seq": 9, "type": "tailgating", "device_time": "2026-11-20T08:00:00", "door": 1}}}
		r := n.do("POST", "/v1/terminal/events", ev)
		want(t, r, 200)
		want(t, n.do("POST", "/v1/terminal/events", ev), 200)
		if len(alarms) != 1 || alarms[0].Type != "tailgating" || alarms[0].SiteName != "HQ" {
			t.Fatalf("alarms %+v", alarms)
		}
		r = b.do("GET", "/v1/device-events?kind=alarm", b.ten.Admin, nil)
		if n := len(r.M(t)["items"].([]any)); n != 1 {
			t.Fatalf("%d alarms listed", n)
		}
	})
	t.Run("PhotoLinksToItsPunch", func(t *testing.T) {
		req := n.request("POST", "/v1/terminal/photos", tinyJPEG)
		req.Header.Set("Content-Type", "image/jpeg")
		r := b.testBundle.send(req)
		want(t, r, 201)
		photo := r.M(t)["id"].(string)
		want(t, n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 1, "pin": "1001",
			"device_time": "2026-11-20T08:00:00", "photo_id": photo}}}), 200)
		if b.count(`SELECT count(*) FROM device_photos WHERE id = $1 AND punch_id IS NOT NULL`, mustUUID(t, photo)) != 1 {
			t.Fatal("not linked")
		}
	})
	t.Run("TemplateReviewedThenInTheRoster", func(t *testing.T) {
		tmpl := []byte("face template bytes")
		r := n.do("POST", "/v1/terminal/templates", map[string]any{"pin": "1001", "kind": "face", "index": 0, "data": tmpl})
		want(t, r, 201)
		if r.M(t)["stored"] != 1.0 {
			t.Fatal(string(r.Body))
		}
		if b.count(`SELECT count(*) FROM biometric_templates WHERE position($1 in template_enc) > 0`, tmpl) != 0 {
			t.Fatal("the template is stored in the clear")
		}
		r = b.do("GET", "/v1/enrolments?status=pending", b.ten.Admin, nil)
		want(t, r, 200)
		items := r.M(t)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["employee_id"] != emp {
			t.Fatalf("%s", r.Body)
		}
		id := items[0].(map[string]any)["id"].(string)
		want(t, n.do("GET", "/v1/terminal/templates/"+id, nil), 404) // not approved yet
		want(t, b.do("POST", "/v1/enrolments/"+id+"/approve", b.ten.Admin, map[string]any{"comment": "ok"}), 200)
		want(t, b.do("POST", "/v1/enrolments/"+id+"/reject", b.ten.Admin, nil), 409, "already_decided")
		r = n.do("GET", "/v1/terminal/roster", nil)
		if !strings.Contains(string(r.Body), id) {
			t.Fatalf("roster %s", r.Body)
		}
		r = n.do("GET", "/v1/terminal/templates/"+id, nil)
		want(t, r, 200)
		data, _ := base64.StdEncoding.DecodeString(r.M(t)["data"].(string))
		if string(data) != string(tmpl) {
			t.Fatalf("template %q", data)
		}
		r = b.do("GET", "/v1/employees/"+emp+"/templates", b.ten.Admin, nil)
		want(t, r, 200)
		if n := len(r.M(t)["items"].([]any)); n != 1 {
			t.Fatalf("%d templates", n)
		}
	})
}

// benchEmployees inserts n employees E1..En straight into the database.
func benchEmployees(tb testing.TB, b *devBundle, n int) {
	tb.Helper()
	if _, err := b.pool.Exec(context.Background(), `INSERT INTO employees (tenant_id, id, employee_no, name, timezone, created_at, updated_at)
		SELECT $1, gen_random_uuid(), 'E' || g, 'Employee ' || g, 'Asia/Shanghai', now(), now() FROM generate_series(1, $2) g`,
		b.ten.ID, n); err != nil {
		tb.Fatal(err)
	}
}

// copyPunches is the baseline: the same rows a terminal batch stores, sent
// with PostgreSQL COPY straight into punches (same table, same indexes, no
// matching, no deduplication). keys must be new.
func copyPunches(tb testing.TB, b *devBundle, device string, emps []string, keys []string, at time.Time) time.Duration {
	tb.Helper()
	ctx := context.Background()
	pg := func(s string) pgtype.UUID { return pgtype.UUID{Bytes: mustUUID(tb, s), Valid: true} }
	dev, site, ten := pg(device), pg(b.site), pgtype.UUID{Bytes: b.ten.ID, Valid: true}
	empIDs := make([]pgtype.UUID, len(emps))
	for i, e := range emps {
		empIDs[i] = pg(e)
	}
	rows := make([][]any, len(keys))
	for i, k := range keys {
		id, _ := uuid7()
		t := at.Add(time.Duration(i) * time.Second)
		rows[i] = []any{ten, pgtype.UUID{Bytes: id, Valid: true}, empIDs[i%len(emps)], "in", "terminal", "accepted", t, at, t, site, "HQ",
			[]byte("[]"), dev, int64(i), t, "Asia/Shanghai", k, `{"seq":1}`, "face", int32(0)}
	}
	conn, err := b.pool.Acquire(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Release()
	began := time.Now()
	n, err := conn.Conn().CopyFrom(ctx, pgx.Identifier{"punches"}, []string{"tenant_id", "id", "employee_id", "kind", "source", "verdict",
		"occurred_at", "received_at", "client_time", "site_id", "site_name", "signals", "device_id", "device_seq", "device_local_time",
		"device_zone", "dedupe_key", "raw", "verify_method", "status_code"}, pgx.CopyFromRows(rows))
	if err != nil || int(n) != len(keys) {
		tb.Fatalf("copy: %d rows, %v", n, err)
	}
	return time.Since(began)
}

// productionCaches turns the lookup caches back on (tests run without
// them so that every change shows at once).
func productionCaches(o *devices.Options) { o.DeviceCacheTTL, o.IdentityCacheTTL = 0, 0 }

// BenchmarkTerminalNativeBatch posts native punch batches over real HTTP
// (signature, spec validation, matching, one insert per 5,000) and, in the
// same run, COPYs the same number of rows: punches/s of each and the ratio.
func BenchmarkTerminalNativeBatch(b *testing.B) {
	for _, size := range []int{5000, 50000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			bb := setupDevices(b, productionCaches)
			benchEmployees(b, bb, 200)
			var emps []string
			rows, _ := bb.pool.Query(context.Background(), `SELECT id::text FROM employees WHERE employee_no LIKE 'E%'`)
			emps, _ = pgx.CollectRows(rows, pgx.RowTo[string])
			n := bb.nativeDevice("DK-BENCH")
			copyDev := bb.device("COPY-BASE", "daka", "Asia/Shanghai")["id"].(string)
			start := time.Date(2026, 11, 16, 7, 0, 0, 0, time.UTC)
			var api, cp time.Duration
			seq := 0
			b.ResetTimer()
			for it := 0; it < b.N; it++ {
				b.StopTimer()
				items := make([]map[string]any, size)
				keys := make([]string, size)
				for i := range items {
					seq++
					items[i] = map[string]any{"seq": seq, "pin": fmt.Sprintf("E%d", seq%200+1), "status": seq % 2, "verify": "face",
						"device_time": start.Add(time.Duration(seq) * time.Second).Format("2006-01-02T15:04:05")}
					keys[i] = fmt.Sprintf("seq:%d", seq)
				}
				body, _ := json.Marshal(map[string]any{"punches": items})
				req := n.request("POST", "/v1/terminal/punches", body)
				hreq, _ := http.NewRequest("POST", bb.srv.URL+"/v1/terminal/punches", bytes.NewReader(body))
				hreq.Header = req.Header
				b.StartTimer()
				began := time.Now()
				res, err := http.DefaultClient.Do(hreq)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("status %d", res.StatusCode)
				}
				api += time.Since(began)
				cp += copyPunches(b, bb, copyDev, emps, keys, start)
			}
			total := float64(b.N * size)
			b.ReportMetric(total/api.Seconds(), "api_punches/s")
			b.ReportMetric(total/cp.Seconds(), "copy_punches/s")
			b.ReportMetric(cp.Seconds()/api.Seconds(), "api/copy")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkTerminalATTLOG posts ZKTeco backlog batches (128 lines, the
// firmware's batch) from 8 devices at once over real HTTP, and COPYs the
// same number of rows in the same run.
func BenchmarkTerminalATTLOG(b *testing.B) {
	bb := setupDevices(b, productionCaches)
	benchEmployees(b, bb, 200)
	rows, _ := bb.pool.Query(context.Background(), `SELECT id::text FROM employees WHERE employee_no LIKE 'E%'`)
	emps, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	const devs, lines = 8, 128
	for i := 0; i < devs; i++ {
		bb.zkDevice(fmt.Sprintf("ZKBENCH%d", i))
	}
	copyDev := bb.device("COPY-BASE", "daka", "Asia/Shanghai")["id"].(string)
	start := time.Date(2025, 1, 1, 7, 0, 0, 0, time.UTC)
	var next atomic.Int64
	batch := func(dev int, from int64) []byte {
		var sb strings.Builder
		for i := int64(0); i < lines; i++ {
			s := from + i
			fmt.Fprintf(&sb, "E%d\t%s\t%d\t15\t0\t0\t0\t0\t0\t0\t%d\n", s%200+1, start.Add(time.Duration(s)*time.Second).Format("2006-01-02 15:04:05"),
				s%2, s)
		}
		return []byte(sb.String())
	}
	b.ResetTimer()
	began := time.Now()
	var posts atomic.Int64
	b.SetParallelism(devs / runtime.GOMAXPROCS(0))
	var devN atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		dev := int(devN.Add(1)-1) % devs
		for pb.Next() {
			body := batch(dev, next.Add(lines)-lines)
			res, err := http.Post(fmt.Sprintf("%s/iclock/cdata?SN=ZKBENCH%d&table=ATTLOG&Stamp=1", bb.srv.URL, dev), "", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if string(out) != fmt.Sprintf("OK: %d", lines) {
				b.Errorf("answer %q", out)
				return
			}
			posts.Add(1)
		}
	})
	api := time.Since(began)
	b.StopTimer()
	total := int(posts.Load()) * lines
	keys := make([]string, total)
	for i := range keys {
		keys[i] = fmt.Sprintf("copy:%d", i)
	}
	var cp time.Duration
	for i := 0; i < total; i += 5000 {
		cp += copyPunches(b, bb, copyDev, emps, keys[i:min(i+5000, total)], start)
	}
	b.ReportMetric(float64(total)/api.Seconds(), "api_punches/s")
	b.ReportMetric(float64(total)/cp.Seconds(), "copy_punches/s")
	b.ReportMetric(cp.Seconds()/api.Seconds(), "api/copy")
	b.ReportMetric(0, "ns/op")
}

func TestTerminal_ReadableItemReplacesItsUnreadableQuarantine(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	n := b.nativeDevice("DK-Q")
	want(t, n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 8, "pin": "77", "device_time": "never"}}}), 200)
	want(t, n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 8, "pin": "77", "device_time": "2026-11-20T08:00:00"}}}), 200)
	want(t, n.do("POST", "/v1/terminal/punches", map[string]any{"punches": []any{map[string]any{"seq": 8, "pin": "77", "device_time": "never"}}}), 200)
	var reason, raw string
	b.pool.QueryRow(context.Background(), `SELECT reason, raw FROM device_quarantine WHERE dedupe_key = 'seq:8'`).Scan(&reason, &raw)
	if reason != "unknown_pin" || !strings.Contains(raw, "2026-11-20T08:00:00") {
		t.Fatalf("%s %s", reason, raw)
	}
	emp := b.createEmployee(b.ten.Admin, "77", nil)
	r := b.do("POST", "/v1/quarantine/reevaluate", b.ten.Admin, nil)
	want(t, r, 200)
	if n := b.count(`SELECT count(*) FROM punches WHERE employee_id = $1`, mustUUID(t, emp)); n != 1 {
		t.Fatalf("%d punches", n)
	}
}
