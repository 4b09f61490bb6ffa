package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// punchFixture is a tenant with two 200 m sites 5 km apart and an employee.
type punchFixture struct {
	*testBundle
	ten         tenant
	hq, depot   string
	emp, empTok string
}

// Shanghai People's Square (WGS-84) and a depot about 5 km north.
const hqLat, hqLng = 31.2304, 121.4737
const depotLat = hqLat + 0.045

func newPunchFixture(t *testing.T) punchFixture {
	b := setup(t)
	ten := b.newTenant("acme")
	f := punchFixture{testBundle: b, ten: ten}
	f.hq = b.createSite(ten.Admin, circleSite("HQ", hqLat, hqLng))
	f.depot = b.createSite(ten.Admin, circleSite("Depot", depotLat, hqLng))
	f.emp = b.createEmployee(ten.Admin, "E1", nil)
	f.empTok = b.login("acme", "E1", testPassword)
	return f
}

func TestPunch_Verdicts(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	// 31.2304,121.4737 in WGS-84 is this point in GCJ-02 (Shanghai offset ≈ 500 m).
	const gcjLat, gcjLng = 31.228396, 121.478202
	for _, tc := range []struct {
		name          string
		lat, lng, acc float64
		crs           string
		verdict       string
		site          string // "hq", "depot" or "" for none
		signal        string
	}{
		{"InsideHQ", hqLat, hqLng, 10, "wgs84", "accepted", "hq", "inside_geofence"},
		{"InsideDepot", depotLat + 0.001, hqLng, 10, "wgs84", "accepted", "depot", "inside_geofence"},
		{"GCJ02InputIsConverted", gcjLat, gcjLng, 10, "gcj02", "accepted", "hq", "inside_geofence"},
		{"GCJ02ReadAsWGS84IsOutside", gcjLat, gcjLng, 10, "wgs84", "rejected", "", "outside_geofence"},
		// The straddle rule (docs/trust.md): inside the fence's reach only by
		// the fix's accuracy → flagged for review, not turned away.
		{"AccuracyCircleReachesTheFence", hqLat + 0.0022, hqLng, 60, "wgs84", "flagged", "hq", "accuracy_straddles_fence"},
		// A 5 km fix cannot claim a 200 m fence: a person decides.
		{"HugeAccuracyDoesNotStretchTheFence", hqLat + 0.01, hqLng, 5000, "wgs84", "needs_approval", "", "outside_geofence"},
		{"FarAway", 39.9, 116.4, 10, "wgs84", "rejected", "", "outside_geofence"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh employee each time: one person at several places within
			// a second would be impossible travel.
			f.createEmployee(f.ten.Admin, "V-"+tc.name[:min(len(tc.name), 20)], nil)
			tok := f.login("acme", "V-"+tc.name[:min(len(tc.name), 20)], testPassword)
			body := punchBody("in", tc.lat, tc.lng, tc.acc)
			body["location"].(map[string]any)["crs"] = tc.crs
			r := f.do("POST", "/v1/me/punches", tok, body)
			want(t, r, 201)
			p := r.M(t)
			if p["verdict"] != tc.verdict {
				t.Fatalf("verdict %v, want %s: %s", p["verdict"], tc.verdict, r.Body)
			}
			found := false
			for _, sg := range p["signals"].([]any) {
				found = found || sg.(map[string]any)["code"] == tc.signal
			}
			if !found {
				t.Fatalf("signals %v lack %s", p["signals"], tc.signal)
			}
			switch tc.site {
			case "hq", "depot":
				want := map[string]string{"hq": f.hq, "depot": f.depot}[tc.site]
				if p["site_id"] != want {
					t.Fatalf("site %v, want %s", p["site_id"], want)
				}
				if p["next_actions"].([]any)[0] != "none" {
					t.Fatalf("next_actions %v", p["next_actions"])
				}
			default:
				if p["site_id"] != nil || p["nearest_site_id"] == nil || p["nearest_distance_m"].(float64) <= 0 {
					t.Fatalf("an outside punch names the nearest site and its distance: %s", r.Body)
				}
				if tc.verdict != "rejected" {
					return
				}
				if p["site_id"] != nil {
					t.Fatalf("a rejection names the nearest site and its distance: %s", r.Body)
				}
				if fmt.Sprint(p["next_actions"]) != "[retry makeup_request]" {
					t.Fatalf("next_actions %v", p["next_actions"])
				}
			}
			if p["received_at"] != p["occurred_at"] {
				t.Fatalf("a live punch occurs when the server receives it: %s", r.Body)
			}
		})
	}
	t.Run("MockLocationIsRejectedAndKept", func(t *testing.T) {
		body := punchBody("in", hqLat, hqLng, 5)
		body["location"].(map[string]any)["is_mock"] = true
		r := f.do("POST", "/v1/me/punches", f.empTok, body)
		want(t, r, 201)
		if p := r.M(t); p["verdict"] != "rejected" {
			t.Fatalf("verdict %v", p["verdict"])
		}
	})
	t.Run("NearestIsTheNearestPermittedSite", func(t *testing.T) {
		f.createEmployee(f.ten.Admin, "E2", map[string]any{"site_ids": []string{f.depot}})
		tok := f.login("acme", "E2", testPassword)
		r := f.do("POST", "/v1/me/punches", tok, punchBody("in", hqLat, hqLng, 10))
		want(t, r, 201)
		p := r.M(t)
		if p["verdict"] != "rejected" || p["nearest_site_id"] != f.depot {
			t.Fatalf("at HQ but only permitted at the depot: %s", r.Body)
		}
		d := p["nearest_distance_m"].(float64)
		if d < 4700 || d > 4900 {
			t.Fatalf("distance to the depot fence %v, want ≈4800 m", d)
		}
	})
}

func TestPunch_ClientTimeIsKeptButTheServerDecides(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	body := punchBody("out", hqLat, hqLng, 10)
	client := f.clock.Now().Add(-2 * time.Hour)
	body["client_time"] = client.Format(time.RFC3339)
	r := f.do("POST", "/v1/me/punches", f.empTok, body)
	want(t, r, 201)
	p := r.M(t)
	if p["client_time"] != client.Format(time.RFC3339) {
		t.Fatalf("client_time %v", p["client_time"])
	}
	if p["occurred_at"] != f.clock.Now().Format(time.RFC3339) {
		t.Fatalf("occurred_at %v, want the server's %v", p["occurred_at"], f.clock.Now())
	}
	found := false
	for _, s := range p["signals"].([]any) {
		found = found || s.(map[string]any)["code"] == "client_clock_skew"
	}
	if !found {
		t.Fatal("a two-hour clock difference is reported")
	}
}

func TestPunch_RetriesNeverDuplicate(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	body := punchBody("in", hqLat, hqLng, 10)
	first := f.do("POST", "/v1/me/punches", f.empTok, body)
	want(t, first, 201)
	again := f.do("POST", "/v1/me/punches", f.empTok, body)
	want(t, again, 200)
	if first.M(t)["id"] != again.M(t)["id"] {
		t.Fatal("a replay returned another punch")
	}
	body["kind"] = "out"
	want(t, f.do("POST", "/v1/me/punches", f.empTok, body), 409, "idempotency_key_reused")

	// Twenty concurrent retries of a new punch: one row, one 201.
	body = punchBody("out", hqLat, hqLng, 10)
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- f.do("POST", "/v1/me/punches", f.empTok, body).Code
		}()
	}
	wg.Wait()
	close(codes)
	n201 := 0
	for c := range codes {
		if c == 201 {
			n201++
		} else if c != 200 {
			t.Fatalf("status %d", c)
		}
	}
	var rows int
	if err := f.pool.QueryRow(t.Context(), `SELECT count(*) FROM punches WHERE client_punch_id = $1`, body["client_punch_id"]).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if n201 != 1 || rows != 1 {
		t.Fatalf("%d created answers and %d rows, want 1 and 1", n201, rows)
	}
}

func TestPunch_Lists(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	dept := f.do("POST", "/v1/departments", f.ten.Admin, map[string]any{"name": "Field"}).M(t)["id"].(string)
	f.createEmployee(f.ten.Admin, "M1", map[string]any{"role": "manager", "department_id": dept})
	f.createEmployee(f.ten.Admin, "E2", map[string]any{"department_id": dept})
	mgrTok := f.login("acme", "M1", testPassword)
	e2Tok := f.login("acme", "E2", testPassword)

	for i := 0; i < 5; i++ {
		want(t, f.do("POST", "/v1/me/punches", f.empTok, punchBody("in", hqLat, hqLng, 10)), 201)
		f.clock.Advance(time.Minute)
	}
	want(t, f.do("POST", "/v1/me/punches", f.empTok, punchBody("in", 0, 0, 10)), 201) // rejected
	want(t, f.do("POST", "/v1/me/punches", e2Tok, punchBody("in", depotLat, hqLng, 10)), 201)

	count := func(path, tok string) (int, []map[string]any) {
		t.Helper()
		var all []map[string]any
		next := ""
		for pages := 0; ; pages++ {
			p := path
			if next != "" {
				p += "&cursor=" + url.QueryEscape(next)
			}
			r := f.do("GET", p, tok, nil)
			want(t, r, 200)
			var page struct {
				Items      []map[string]any `json:"items"`
				NextCursor *string          `json:"next_cursor"`
			}
			r.JSON(t, &page)
			all = append(all, page.Items...)
			if page.NextCursor == nil || pages > 20 {
				break
			}
			next = *page.NextCursor
		}
		return len(all), all
	}
	for _, tc := range []struct {
		name, path, who string
		want            int
	}{
		{"MineAllPages", "/v1/me/punches?limit=2", "e1", 6},
		{"MineRejected", "/v1/me/punches?verdict=rejected", "e1", 1},
		{"AdminAll", "/v1/punches?limit=3", "admin", 7},
		{"AdminByEmployee", "/v1/punches?employee_id=" + f.emp, "admin", 6},
		{"AdminBySite", "/v1/punches?site_id=" + f.depot, "admin", 1},
		{"AdminBySource", "/v1/punches?source=app", "admin", 7},
		{"ManagerSeesTheirDepartment", "/v1/punches?limit=200", "mgr", 1},
		{"ManagerCannotPeekByFilter", "/v1/punches?employee_id=" + f.emp, "mgr", 0},
		{"FromTo", "/v1/punches?from=" + url.QueryEscape(f.clock.Now().Add(-150*time.Second).Format(time.RFC3339)), "admin", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := map[string]string{"e1": f.empTok, "admin": f.ten.Admin, "mgr": mgrTok}[tc.who]
			sep := "?"
			if strings.Contains(tc.path, "?") {
				sep = "&"
			}
			n, items := count(tc.path+sep+"x=1", tok)
			if n != tc.want {
				t.Fatalf("%d punches, want %d", n, tc.want)
			}
			for i := 1; i < len(items); i++ {
				if items[i-1]["occurred_at"].(string) < items[i]["occurred_at"].(string) {
					t.Fatal("not newest first")
				}
			}
		})
	}
	t.Run("EmployeesCannotListOthers", func(t *testing.T) {
		want(t, f.do("GET", "/v1/punches", f.empTok, nil), 403, "forbidden")
	})
}

func TestPunch_LeaversCannotPunch(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	want(t, f.do("PATCH", "/v1/employees/"+f.emp, f.ten.Admin, map[string]any{"status": "left"}), 200)
	want(t, f.do("POST", "/v1/me/punches", f.empTok, punchBody("in", hqLat, hqLng, 10)), 403, "employee_left")
}
