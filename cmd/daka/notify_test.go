package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/notify"
)

// syncBuffer is a log sink the server goroutine and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveForTest runs `daka serve` with env until the test ends and returns
// its base URL and logs.
func serveForTest(t *testing.T, env map[string]string) (string, *syncBuffer) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	ctx, stop := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	if err := run(ctx, []string{"demo"}, getenv, io.Discard, logs, nil); err != nil {
		t.Fatalf("demo: %v", err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv, io.Discard, logs, ready) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("graceful shutdown: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr, logs
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

func postJSON(t *testing.T, url, token, body string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode >= 300 {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, m)
	}
	return m
}

// TestServe_PushesThroughTheConfiguredFCMEndpoint starts the binary with
// DAKA_FCM_ENDPOINT at a fake FCM, registers the demo employee's device,
// commits a notification from outside the server (as another replica
// would), and expects the server's River workers to push it.
func TestServe_PushesThroughTheConfiguredFCMEndpoint(t *testing.T) {
	t.Parallel()
	fake := fcmfake.New(t)
	dbURL := testdb.NewURL(t)
	base, logs := serveForTest(t, map[string]string{"DATABASE_URL": dbURL, "DAKA_HTTP_ADDR": "127.0.0.1:0", "DAKA_LOG_LEVEL": "info",
		"DAKA_JWT_SECRET": strings.Repeat("s", 32), "DAKA_FCM_ENDPOINT": fake.Endpoint(), "DAKA_FCM_PROJECT_ID": "demo-test", "DAKA_WORKERS": "2"})
	if !strings.Contains(logs.String(), "push on: FCM") {
		t.Errorf("start-up did not say push is on:\n%s", logs)
	}
	login := postJSON(t, base+"/v1/auth/login", "", `{"tenant":"demo","login":"E1001","password":"`+demoPassword+`"}`)
	token := login["access_token"].(string)
	user := login["user"].(map[string]any)
	postJSON(t, base+"/v1/me/push-tokens", token, `{"token":"demo-phone","platform":"android","locale":"zh-CN"}`)

	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var tenant uuid.UUID
	if err := pool.QueryRow(ctx, `SELECT id FROM tenants WHERE slug = 'demo'`).Scan(&tenant); err != nil {
		t.Fatal(err)
	}
	other, err := notify.New(pool, notify.Options{Providers: []notify.Provider{namedProvider("fcm")}})
	if err != nil {
		t.Fatal(err)
	}
	m := notify.Message{TenantID: tenant, Recipients: []uuid.UUID{uuid.MustParse(user["employee_id"].(string))},
		Type: "request.decided", Template: "request_decided", DedupeKey: "e2e",
		Params: map[string]string{"request_type": "leave", "decision": "rejected", "approver": "韩梅梅"}}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return other.NotifyTx(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(fake.Delivered("demo-phone")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no push arrived\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := fake.Delivered("demo-phone")[0].Message.Notification.Title; got != "你的请假申请已驳回" {
		t.Errorf("title %q", got)
	}
	const counter = `daka_push_total{outcome="delivered",provider="fcm"} 1`
	for !strings.Contains(metrics(t, base), counter) {
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s", counter)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func metrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestServe_WithoutFCMPushIsOffAndSaysSo checks the start-up line operators
// look for.
func TestServe_WithoutFCMPushIsOffAndSaysSo(t *testing.T) {
	t.Parallel()
	_, logs := serveForTest(t, map[string]string{"DATABASE_URL": testdb.NewURL(t), "DAKA_HTTP_ADDR": "127.0.0.1:0",
		"DAKA_LOG_LEVEL": "info", "DAKA_JWT_SECRET": strings.Repeat("s", 32)})
	if !strings.Contains(logs.String(), "push is off") {
		t.Errorf("start-up did not say push is off:\n%s", logs)
	}
}

func TestConfig_Notify(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]map[string]string{
		"BadWorkers":   {"DAKA_WORKERS": "0"},
		"BadAllowHTTP": {"DAKA_WEBHOOK_ALLOW_HTTP": "sometimes"},
		"BadLocale":    {"DAKA_NOTIFY_DEFAULT_LOCALE": "fr"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := loadConfig(func(k string) string { return env[k] }); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := loadConfig(func(string) string { return "" })
	if err != nil || c.Notify.Workers != 10 || c.Notify.DefaultLocale != "zh-CN" || c.Notify.fcm().Enabled() || c.Notify.WebhookAllowHTTP {
		t.Fatalf("defaults: %+v %v", c.Notify, err)
	}
}

// namedProvider stands in for a provider on a process that only queues
// (its Send is never called: that process runs no workers).
type namedProvider string

func (p namedProvider) Name() string { return string(p) }
func (p namedProvider) Send(context.Context, notify.Push) (notify.Result, error) {
	return notify.Result{Outcome: notify.RetryLater, Reason: "this process only queues"}, nil
}
