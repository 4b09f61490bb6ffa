package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dakahq/daka/internal/testdb"
)

// TestMain_EndToEnd drives the binary's own entry point: migrate, create a
// tenant, seed the demo, serve on :0, log in and punch, and shut down.
func TestMain_EndToEnd(t *testing.T) {
	t.Parallel()
	dbURL := testdb.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "DAKA_HTTP_ADDR": "127.0.0.1:0", "DAKA_LOG_LEVEL": "warn",
		"DAKA_JWT_SECRET": strings.Repeat("s", 32), "DAKA_MEDIA_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out, errb bytes.Buffer

	if err := run(ctx, []string{"migrate"}, getenv, &out, &errb, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	out.Reset()
	args := []string{"tenant", "create", "--slug", "acme", "--name", "ACME Ltd", "--admin-email", "it@acme.test", "--admin-password", "s3cret-enough"}
	if err := run(ctx, args, getenv, &out, &errb, nil); err != nil {
		t.Fatalf("tenant create: %v", err)
	}
	var created map[string]string
	if err := json.Unmarshal(out.Bytes(), &created); err != nil || created["slug"] != "acme" || created["tenant_id"] == "" || created["admin_user_id"] == "" {
		t.Fatalf("tenant create printed %q (%v)", out.String(), err)
	}
	if err := run(ctx, args, getenv, io.Discard, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "slug") {
		t.Fatalf("a second tenant with the same slug: %v", err)
	}
	for i := 0; i < 2; i++ { // the demo seed is idempotent
		out.Reset()
		if err := run(ctx, []string{"demo"}, getenv, &out, &errb, nil); err != nil {
			t.Fatalf("demo: %v", err)
		}
	}
	if !strings.Contains(out.String(), "already exists") {
		t.Fatalf("second demo run: %s", out.String())
	}

	sctx, stop := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(sctx, []string{"serve"}, getenv, io.Discard, &errb, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	base := "http://" + addr
	for _, p := range []string{"/healthz", "/readyz", "/docs", "/openapi.yaml", "/metrics"} {
		resp, err := http.Get(base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", p, err, resp)
		}
		resp.Body.Close()
	}
	login := `{"tenant":"demo","login":"E1001","password":"` + demoPassword + `"}`
	resp, err := http.Post(base+"/v1/auth/login", "application/json", strings.NewReader(login))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login: %v %v", err, resp)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	punch := `{"client_punch_id":"0191f2a4-7e55-7c4e-9a6b-3c2d1e0f9a8b","kind":"in","location":{"lat":31.230437,"lng":121.473662,"accuracy_m":12,"crs":"gcj02"}}`
	req, _ := http.NewRequest("POST", base+"/v1/me/punches", strings.NewReader(punch))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("punch: %v %v", err, resp)
	}
	var p struct{ Verdict string }
	_ = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if p.Verdict != "accepted" {
		t.Fatalf("a punch at the demo site's centre: %s", p.Verdict)
	}

	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("graceful shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestConfig_RejectsBadValues(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"ShortSecret": {"DAKA_JWT_SECRET": "short"},
		"BadDuration": {"DAKA_ACCESS_TOKEN_TTL": "soon"},
		"BadBool":     {"DAKA_AUTO_MIGRATE": "maybe"},
		"BadZone":     {"DAKA_DEFAULT_TIMEZONE": "Mars/Base"},
		"BadLevel":    {"DAKA_LOG_LEVEL": "loud"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := loadConfig(func(k string) string { return env[k] }); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil || c.HTTPAddr != ":8080" || !c.AutoMigrate || c.AccessTTL != 15*time.Minute {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	if strings.Contains(Config{JWTSecret: "topsecret", DatabaseURL: "postgres://u:pw@h/db"}.String(), "topsecret") ||
		strings.Contains(Config{DatabaseURL: "postgres://u:pw@h/db"}.String(), ":pw@") {
		t.Fatal("secrets are printed")
	}
}
