package api_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func codes(p map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, s := range p["signals"].([]any) {
		out[s.(map[string]any)["code"].(string)] = true
	}
	return out
}

func TestTrust_SignalsAndVerdicts(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	post := func(tok string, body map[string]any) map[string]any {
		t.Helper()
		r := f.do("POST", "/v1/me/punches", tok, body)
		want(t, r, 201)
		return r.M(t)
	}
	t.Run("ImpossibleTravelFromShanghaiToBeijingInAMinute", func(t *testing.T) {
		p := post(f.empTok, punchBody("in", hqLat, hqLng, 10))
		if p["verdict"] != "accepted" {
			t.Fatalf("first punch: %v", p)
		}
		f.clock.Advance(time.Minute)
		p = post(f.empTok, punchBody("out", 39.9042, 116.4074, 10))
		if !codes(p)["impossible_travel"] || p["verdict"] == "accepted" {
			t.Fatalf("1,000 km in a minute: %v %v", p["verdict"], codes(p))
		}
	})
	t.Run("RootedPhoneAloneIsStillAccepted", func(t *testing.T) {
		f.createEmployee(f.ten.Admin, "R1", nil)
		tok := f.login("acme", "R1", testPassword)
		body := punchBody("in", hqLat, hqLng, 12)
		body["device"] = map[string]any{"id": "install-1", "platform": "android", "rooted": true}
		p := post(tok, body)
		if !codes(p)["rooted_device"] || p["verdict"] != "accepted" {
			t.Fatalf("a weak clue alone must not turn an honest punch away: %v %v", p["verdict"], codes(p))
		}
		if p["score"].(float64) <= 0 {
			t.Fatalf("score %v", p["score"])
		}
	})
	t.Run("WiFiOfTheSiteWithoutGPS", func(t *testing.T) {
		want(t, f.do("PATCH", "/v1/sites/"+f.hq, f.ten.Admin, map[string]any{"wifi_bssids": []string{"AA-BB-CC-DD-EE-01"}}), 200)
		f.createEmployee(f.ten.Admin, "W1", nil)
		tok := f.login("acme", "W1", testPassword)
		p := post(tok, map[string]any{"client_punch_id": uuid.NewString(), "kind": "in", "wifi": map[string]any{"bssid": "aa:bb:cc:dd:ee:01", "ssid": "HQ"}})
		if p["verdict"] != "accepted" || p["site_id"] != f.hq || !codes(p)["wifi_matches_site"] {
			t.Fatalf("Wi-Fi-only punch at HQ: %v", p)
		}
		p = post(tok, map[string]any{"client_punch_id": uuid.NewString(), "kind": "out", "wifi": map[string]any{"bssid": "aa:bb:cc:dd:ee:99"}})
		if p["verdict"] != "rejected" || !codes(p)["wifi_unknown"] {
			t.Fatalf("an unknown access point alone proves nothing: %v", p)
		}
		want(t, f.do("POST", "/v1/me/punches", tok, map[string]any{"client_punch_id": uuid.NewString(), "kind": "in"}), 422)
	})
	t.Run("OfflinePunchIsDatedByTheMonotonicClock", func(t *testing.T) {
		f.createEmployee(f.ten.Admin, "O1", nil)
		tok := f.login("acme", "O1", testPassword)
		now := f.clock.Now()
		body := punchBody("in", hqLat, hqLng, 10)
		// Queued 3 hours ago; the phone's wall clock is 7 minutes fast.
		body["offline"] = map[string]any{
			"device_time":           now.Add(-3*time.Hour + 7*time.Minute).Format(time.RFC3339),
			"device_time_at_upload": now.Add(7 * time.Minute).Format(time.RFC3339),
			"elapsed_ms":            int64(10_000_000), "elapsed_ms_at_upload": int64(10_000_000 + 3*3600*1000),
			"boot_id": "b1", "boot_id_at_upload": "b1"}
		p := post(tok, body)
		if p["offline"] != true || p["occurred_at"] != now.Add(-3*time.Hour).Format(time.RFC3339) {
			t.Fatalf("offline punch dated %v, want %v: %v", p["occurred_at"], now.Add(-3*time.Hour), p)
		}
		if p["verdict"] != "accepted" {
			t.Fatalf("a consistent offline punch is accepted: %v %v", p["verdict"], codes(p))
		}
		// Beyond the tenant's window (72 h): stored, rejected.
		old := punchBody("out", hqLat, hqLng, 10)
		old["offline"] = map[string]any{"device_time": now.Add(-100 * time.Hour).Format(time.RFC3339),
			"device_time_at_upload": now.Format(time.RFC3339)}
		p = post(tok, old)
		if p["verdict"] != "rejected" || p["offline"] != true {
			t.Fatalf("100 h late: %v %v", p["verdict"], codes(p))
		}
	})
	t.Run("FieldVisitGoesToApprovalByDefault", func(t *testing.T) {
		f.createEmployee(f.ten.Admin, "F1", nil)
		tok := f.login("acme", "F1", testPassword)
		body := punchBody("in", hqLat+0.2, hqLng, 15)
		body["field_visit"] = map[string]any{"note": "installing the POS at Store 12", "customer": "Store 12"}
		p := post(tok, body)
		if p["verdict"] != "needs_approval" || !codes(p)["field_visit"] || p["field_visit"].(map[string]any)["customer"] != "Store 12" {
			t.Fatalf("field check-in: %v", p)
		}
		// It waits in the approvals of the admins (F1 has no manager).
		r := f.do("GET", "/v1/approvals?status=pending", f.ten.Admin, nil)
		want(t, r, 200)
		found := false
		for _, it := range r.M(t)["items"].([]any) {
			m := it.(map[string]any)
			found = found || (m["request_type"] == "punch" && m["request_id"] == p["id"])
		}
		if !found {
			t.Fatalf("the field check-in is not waiting for approval: %s", r.Body)
		}
		body = punchBody("in", hqLat+0.2, hqLng, 15)
		body["field_visit"] = map[string]any{"note": "visit"}
		body["location"].(map[string]any)["is_mock"] = true
		if p := post(tok, body); p["verdict"] != "rejected" {
			t.Fatalf("a mock location stays rejected on field work: %v", p["verdict"])
		}
	})
}
