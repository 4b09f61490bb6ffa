package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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

// importCSV builds n employee rows as CSV with Chinese names and department paths.
func importCSV(n int, offset int) []byte {
	var sb strings.Builder
	sb.WriteString("工号 Employee No.,姓名 Name,部门 Department,邮箱 Email,角色 Role\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&sb, "%07d,员工%d,研发/组%d,e%d@bench.test,employee\n", offset+i, i, i%50, offset+i)
	}
	return []byte(sb.String())
}

// importRun makes every benchmark iteration's employee numbers new.
var importRun atomic.Int64

// BenchmarkImportEmployees10k imports 10,000 new employees through the HTTP
// endpoint (multipart upload, parse, resolve, COPY + upsert, audit), and next
// to it COPYs the same number of rows straight into an employees-shaped table:
// the raw limit measured in the same run.
func BenchmarkImportEmployees10k(b *testing.B) {
	bundle := setupB(b)
	ten := bundle.newTenant("bench")
	b.Run("API", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			body, ct := multipartFile("employees.csv", importCSV(10000, int(importRun.Add(1))*100000))
			req := httptest.NewRequest("POST", "/v1/employees/import", body)
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+ten.Admin)
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			rec := httptest.NewRecorder()
			bundle.e.ServeHTTP(rec, req)
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"created":10000`) {
				b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
			}
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "alloc-MiB/op")
		}
	})
	b.Run("RawCOPY", func(b *testing.B) {
		ctx := context.Background()
		for i := 0; i < b.N; i++ {
			importRun.Add(1)
			tx, err := bundle.pool.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			rows := make([][]any, 10000)
			for j := range rows {
				rows[j] = []any{ten.ID, uuid.New(), fmt.Sprintf("R%d-%06d", importRun.Load(), j), "员工", "Asia/Shanghai", time.Now(), time.Now()}
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"employees"},
				[]string{"tenant_id", "id", "employee_no", "name", "timezone", "created_at", "updated_at"}, pgx.CopyFromRows(rows)); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func multipartFile(name string, data []byte) (io.Reader, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	_ = w.Close()
	return &buf, w.FormDataContentType()
}
