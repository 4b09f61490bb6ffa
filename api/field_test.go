package api_test

import (
	"testing"
	"time"
)

func TestField_TracksOnlyDuringAssignments(t *testing.T) {
	t.Parallel()
	f := newPunchFixture(t)
	now := f.clock.Now()
	track := func(at time.Time, lat float64) map[string]any {
		return map[string]any{"lat": lat, "lng": hqLng, "accuracy_m": 8, "time": at.Format(time.RFC3339)}
	}
	// No assignment yet: nothing is recorded.
	r := f.do("POST", "/v1/me/track", f.empTok, map[string]any{"points": []any{track(now, hqLat)}})
	want(t, r, 200)
	if m := r.M(t); m["accepted"].(float64) != 0 || m["rejected"].([]any)[0].(map[string]any)["code"] != "no_field_assignment" {
		t.Fatalf("recorded without an assignment: %s", r.Body)
	}
	// Employees cannot assign themselves.
	want(t, f.do("POST", "/v1/field-assignments", f.empTok, map[string]any{"employee_id": f.emp,
		"starts_at": now.Format(time.RFC3339), "ends_at": now.Add(8 * time.Hour).Format(time.RFC3339)}), 403, "forbidden")
	r = f.do("POST", "/v1/field-assignments", f.ten.Admin, map[string]any{"employee_id": f.emp,
		"starts_at": now.Add(-time.Hour).Format(time.RFC3339), "ends_at": now.Add(8 * time.Hour).Format(time.RFC3339), "note": "client visits"})
	want(t, r, 201)
	assignment := r.M(t)["id"].(string)

	// A walk north for 20 minutes (fixes every 30 s), then a 15-minute stop,
	// uploaded when it is over.
	base := now.Add(-40 * time.Minute)
	var pts []any
	lat := hqLat
	for i := 0; i < 40; i++ {
		pts = append(pts, track(base.Add(time.Duration(i)*30*time.Second), lat))
		lat += 45.0 / 111195 // 1.5 m/s
	}
	for i := 40; i < 70; i++ {
		pts = append(pts, track(base.Add(time.Duration(i)*30*time.Second), lat))
	}
	r = f.do("POST", "/v1/me/track", f.empTok, map[string]any{"points": pts})
	want(t, r, 200)
	if m := r.M(t); m["accepted"].(float64) != 70 {
		t.Fatalf("accepted %v of 70: %s", m["accepted"], r.Body)
	}
	r = f.do("POST", "/v1/me/track", f.empTok, map[string]any{"points": pts[:10]})
	if m := r.M(t); m["duplicates"].(float64) != 10 || m["accepted"].(float64) != 0 {
		t.Fatalf("a re-sent batch is stored once: %s", r.Body)
	}

	r = f.do("GET", "/v1/employees/"+f.emp+"/track?from="+now.Add(-time.Hour).Format(time.RFC3339)+"&to="+now.Add(2*time.Hour).Format(time.RFC3339), f.ten.Admin, nil)
	want(t, r, 200)
	gj := r.M(t)
	props := gj["properties"].(map[string]any)
	if d := props["distance_m"].(float64); d < 1600 || d > 1900 {
		t.Fatalf("distance %v m, want ≈ 1755 m", d)
	}
	if props["stops"].(float64) != 1 || props["fixes"].(float64) != 70 {
		t.Fatalf("properties %v", props)
	}
	line := gj["features"].([]any)[0].(map[string]any)["geometry"].(map[string]any)["coordinates"].([]any)
	if len(line) >= 70 || len(line) < 2 {
		t.Fatalf("the line is simplified for display: %d points", len(line))
	}
	// Employees do not read tracks (not even their own here); other tenants get 404.
	want(t, f.do("GET", "/v1/employees/"+f.emp+"/track?date=2026-01-01", f.empTok, nil), 403, "forbidden")
	other := f.newTenant("other")
	want(t, f.do("GET", "/v1/employees/"+f.emp+"/track?date=2026-01-01", other.Admin, nil), 404)

	// Cancelling stops recording.
	want(t, f.do("DELETE", "/v1/field-assignments/"+assignment, f.ten.Admin, nil), 204)
	r = f.do("POST", "/v1/me/track", f.empTok, map[string]any{"points": []any{track(now.Add(time.Minute), hqLat)}})
	if m := r.M(t); m["accepted"].(float64) != 0 {
		t.Fatalf("recorded after cancellation: %s", r.Body)
	}
	r = f.do("GET", "/v1/me/field-assignments", f.empTok, nil)
	want(t, r, 200)
	if items := r.M(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["cancelled_at"] == nil {
		t.Fatalf("assignments: %s", r.Body)
	}
}
