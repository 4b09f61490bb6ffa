package api_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// BenchmarkCreateMyPunch measures a punch through the whole stack in process
// (router, validation, auth, evaluation, PostgreSQL), without the network.
func BenchmarkCreateMyPunch(b *testing.B) {
	bundle := setupB(b)
	ten := bundle.newTenant("bench")
	bundle.createSite(ten.Admin, circleSite("HQ", hqLat, hqLng))
	bundle.createEmployee(ten.Admin, "E1", nil)
	tok := bundle.login("bench", "E1", testPassword)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := fmt.Sprintf(`{"client_punch_id":"%s","kind":"in","location":{"lat":31.2304,"lng":121.4737,"accuracy_m":15}}`, uuid.NewString())
			req := httptest.NewRequest("POST", "/v1/me/punches", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			bundle.e.ServeHTTP(rec, req)
			if rec.Code != 201 {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

// BenchmarkBareEcho is the ceiling: an echo handler that does nothing.
func BenchmarkBareEcho(b *testing.B) {
	e := echo.New()
	e.POST("/v1/me/punches", func(c echo.Context) error { return c.JSON(201, map[string]string{"ok": "1"}) })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/v1/me/punches", strings.NewReader(`{}`))
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
		}
	})
}
