package notify_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/webhook"
	"github.com/dakahq/daka/org"
)

// receiver is a payroll system's endpoint: it verifies every delivery's
// signature as a Standard Webhooks library would and answers scripted codes.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	secret   string
	statuses []int // answered in order; then 200
	body     string
	got      []delivery
}

type delivery struct {
	ID, Timestamp string
	Body          []byte
	Verified      error
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{t: t, statuses: statuses, body: `{"ok":true}`}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		d := delivery{ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"), Body: b,
			Verified: webhook.Verify(r.secret, req.Header, b, time.Now(), 5*time.Minute)}
		r.got = append(r.got, d)
		code := http.StatusOK
		if len(r.statuses) > 0 {
			code, r.statuses = r.statuses[0], r.statuses[1:]
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, r.body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// subscribe registers r for types and hands it the secret.
func (e *env) subscribe(admin org.Actor, r *receiver, types ...string) notify.Webhook {
	e.t.Helper()
	w, secret, err := e.svc.CreateWebhook(e.ctx, admin, notify.WebhookInput{URL: r.srv.URL + "/hooks/daka", EventTypes: types})
	if err != nil {
		e.t.Fatal(err)
	}
	r.mu.Lock()
	r.secret = secret
	r.mu.Unlock()
	return w
}

func (e *env) publish(ev notify.Event) {
	e.t.Helper()
	if err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error { return e.svc.PublishTx(e.ctx, tx, ev) }); err != nil {
		e.t.Fatal(err)
	}
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	occurred := time.Date(2025, 3, 3, 1, 2, 3, 0, time.UTC)

	t.Run("DeliversASignedStandardWebhooksPayloadAndLogsTheAttempt", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		admin := e.employee(org.RoleAdmin)
		r := newReceiver(t)
		w := e.subscribe(admin, r, "request.decided")
		evID := uuid.New()
		e.publish(notify.Event{TenantID: e.tenant, ID: evID, Type: "request.decided", OccurredAt: occurred,
			Data: map[string]any{"request_id": "r1", "status": "approved"}})
		eventually(t, "the delivery", func() bool { return len(r.deliveries()) == 1 })
		d := r.deliveries()[0]
		if d.Verified != nil || d.ID != evID.String() {
			t.Fatalf("verification %v, id %s", d.Verified, d.ID)
		}
		var payload map[string]any
		if err := json.Unmarshal(d.Body, &payload); err != nil {
			t.Fatal(err)
		}
		if payload["type"] != "request.decided" || payload["timestamp"] != "2025-03-03T01:02:03Z" ||
			payload["data"].(map[string]any)["request_id"] != "r1" {
			t.Errorf("payload %s", d.Body)
		}
		var attempts []notify.DeliveryAttempt
		eventually(t, "the log", func() bool {
			attempts, _, _ = e.svc.ListDeliveries(e.ctx, admin, w.ID, nil, nil)
			return len(attempts) == 1
		})
		a := attempts[0]
		if !a.Succeeded || a.StatusCode == nil || *a.StatusCode != 200 || a.ResponseBody != `{"ok":true}` || a.EventID != evID || a.Attempt != 1 {
			t.Errorf("attempt %+v", a)
		}
	})

	t.Run("RetriesUntilTheEndpointAnswers2xxWithTheSameIDAndFreshSignatures", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		admin := e.employee(org.RoleAdmin)
		r := newReceiver(t, 500, 503, 200)
		r.body = strings.Repeat("é", 3000) // 6000 bytes: only the first 2 KB are kept
		w := e.subscribe(admin, r, "punch.created")
		e.publish(notify.Event{TenantID: e.tenant, Type: "punch.created", OccurredAt: occurred, Data: map[string]string{"punch_id": "p"}})
		eventually(t, "three attempts", func() bool { return len(r.deliveries()) == 3 })
		eventually(t, "the job to complete", func() bool { return e.jobsIn("notify.webhook", "completed") == 1 })
		ds := r.deliveries()
		for i, d := range ds {
			if d.Verified != nil || d.ID != ds[0].ID || string(d.Body) != string(ds[0].Body) {
				t.Errorf("attempt %d: verification %v, id %s, body %s", i+1, d.Verified, d.ID, d.Body)
			}
		}
		attempts, _, err := e.svc.ListDeliveries(e.ctx, admin, w.ID, nil, nil)
		if err != nil || len(attempts) != 3 {
			t.Fatalf("%d attempts logged, %v", len(attempts), err)
		}
		for i, want := range []int{200, 503, 500} { // newest first
			a := attempts[i]
			if a.StatusCode == nil || *a.StatusCode != want || a.Succeeded != (want == 200) || a.Attempt != 3-i {
				t.Errorf("attempt %d: %+v", 3-i, a)
			}
			if len(a.ResponseBody) > 2048 || !strings.HasPrefix(a.ResponseBody, "éé") {
				t.Errorf("attempt %d kept %d bytes of the response", 3-i, len(a.ResponseBody))
			}
		}
		if attempts[2].Error != "the endpoint answered 500" {
			t.Errorf("error %q", attempts[2].Error)
		}
	})

	t.Run("OnlySubscribedEndpointsGetAnEventAndPrefixesMatch", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		admin := e.employee(org.RoleAdmin)
		requests, punches, all := newReceiver(t), newReceiver(t), newReceiver(t)
		e.subscribe(admin, requests, "request.*")
		e.subscribe(admin, punches, "punch.created")
		e.subscribe(admin, all, "*")
		e.publish(notify.Event{TenantID: e.tenant, Type: "request.decided", Data: 1})
		e.publish(notify.Event{TenantID: e.tenant, Type: "request.withdrawn", Data: 2})
		eventually(t, "the deliveries", func() bool { return len(requests.deliveries()) == 2 && len(all.deliveries()) == 2 })
		settle()
		if n := len(punches.deliveries()); n != 0 {
			t.Errorf("punch endpoint got %d request events", n)
		}
	})

	t.Run("PublishingTheSameEventTwiceDeliversItOnce", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		admin := e.employee(org.RoleAdmin)
		r := newReceiver(t)
		e.subscribe(admin, r, "punch.created")
		ev := notify.Event{TenantID: e.tenant, ID: uuid.New(), Type: "punch.created", Data: "x"}
		e.publish(ev)
		e.publish(ev)
		eventually(t, "the delivery", func() bool { return len(r.deliveries()) == 1 })
		settle()
		if n := len(r.deliveries()); n != 1 {
			t.Errorf("%d deliveries", n)
		}
	})

	t.Run("RolledBackChangePublishesNothing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.start()
		admin := e.employee(org.RoleAdmin)
		r := newReceiver(t)
		e.subscribe(admin, r, "*")
		tx, err := e.pool.Begin(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.PublishTx(e.ctx, tx, notify.Event{TenantID: e.tenant, Type: "punch.created", Data: 1}); err != nil {
			t.Fatal(err)
		}
		_ = tx.Rollback(e.ctx)
		settle()
		if n := len(r.deliveries()) + e.count(`SELECT count(*) FROM river_job`); n != 0 {
			t.Errorf("%d deliveries or jobs after a rollback", n)
		}
	})

	t.Run("ADeletedEndpointGetsNothingMoreAndTheChangeIsAudited", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		admin := e.employee(org.RoleAdmin)
		r := newReceiver(t)
		w := e.subscribe(admin, r, "*")
		e.publish(notify.Event{TenantID: e.tenant, Type: "punch.created", Data: 1}) // queued, no worker yet
		if err := e.svc.DeleteWebhook(e.ctx, admin, w.ID); err != nil {
			t.Fatal(err)
		}
		e.start()
		eventually(t, "the job to finish", func() bool { return e.jobsIn("notify.webhook", "completed") == 1 })
		if n := len(r.deliveries()); n != 0 {
			t.Errorf("%d deliveries to a deleted endpoint", n)
		}
		if _, err := e.svc.GetWebhook(e.ctx, admin, w.ID); errs.KindOf(err) != errs.NotFound {
			t.Errorf("get deleted: %v", err)
		}
		if err := e.svc.DeleteWebhook(e.ctx, admin, w.ID); errs.KindOf(err) != errs.NotFound {
			t.Errorf("delete twice: %v", err)
		}
		if n := e.count(`SELECT count(*) FROM audit_events WHERE target_id = $1 AND action IN ('webhook.create', 'webhook.delete')`, w.ID.String()); n != 2 {
			t.Errorf("%d audit events", n)
		}
	})

	t.Run("RefusesToDeliverToInternalAddresses", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(o *notify.Options) { o.Webhooks.AllowHTTP = false })
		e.start()
		r := newReceiver(t)
		// Registered through some other path (or a DNS name that now
		// resolves to loopback): the dial guard still refuses.
		id := uuid.New()
		if _, err := e.pool.Exec(e.ctx, `INSERT INTO webhook_endpoints (tenant_id, id, url, event_types, secret, created_at)
			VALUES ($1, $2, $3, '{*}', $4, now())`, e.tenant, id, r.srv.URL, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); err != nil {
			t.Fatal(err)
		}
		e.publish(notify.Event{TenantID: e.tenant, Type: "punch.created", Data: 1})
		eventually(t, "a refused attempt", func() bool {
			return e.count(`SELECT count(*) FROM webhook_attempts WHERE status_code IS NULL AND error = 'the endpoint resolves to an address deliveries may not reach'`) >= 1
		})
		if n := len(r.deliveries()); n != 0 {
			t.Errorf("%d deliveries reached loopback", n)
		}
	})

	t.Run("OnlyAdminsManageEndpoints", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		mgr := e.employee(org.RoleManager)
		if _, _, err := e.svc.CreateWebhook(e.ctx, mgr, notify.WebhookInput{URL: "https://example.com/h", EventTypes: []string{"*"}}); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("create: %v", err)
		}
		if _, _, err := e.svc.ListWebhooks(e.ctx, mgr, nil, nil); errs.KindOf(err) != errs.Forbidden {
			t.Errorf("list: %v", err)
		}
	})

	t.Run("ValidatesRegistrations", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(o *notify.Options) { o.Webhooks.AllowHTTP = false })
		admin := e.employee(org.RoleAdmin)
		for _, tc := range []struct {
			name  string
			in    notify.WebhookInput
			field string
		}{
			{"PlainHTTP", notify.WebhookInput{URL: "http://payroll.example.com/h", EventTypes: []string{"*"}}, "url"},
			{"LoopbackWithoutTheTestSwitch", notify.WebhookInput{URL: "http://127.0.0.1:9/h", EventTypes: []string{"*"}}, "url"},
			{"PrivateAddress", notify.WebhookInput{URL: "https://192.168.1.20/h", EventTypes: []string{"*"}}, "url"},
			{"NoEventTypes", notify.WebhookInput{URL: "https://payroll.example.com/h"}, "event_types"},
			{"MalformedEventType", notify.WebhookInput{URL: "https://payroll.example.com/h", EventTypes: []string{"Punch Created"}}, "event_types"},
			{"LongDescription", notify.WebhookInput{URL: "https://payroll.example.com/h", EventTypes: []string{"*"}, Description: strings.Repeat("x", 501)}, "description"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				_, _, err := e.svc.CreateWebhook(e.ctx, admin, tc.in)
				ee, ok := errs.As(err)
				if !ok || ee.Kind != errs.Invalid || len(ee.Fields) == 0 || ee.Fields[0].Field != tc.field {
					t.Fatalf("err %v, want a validation error on %s", err, tc.field)
				}
			})
		}
	})
}

func TestSubscribes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		patterns []string
		typ      string
		want     bool
	}{
		{[]string{"*"}, "punch.created", true},
		{[]string{"punch.created"}, "punch.created", true},
		{[]string{"punch.created"}, "punch.created_late", false},
		{[]string{"request.*"}, "request.decided", true},
		{[]string{"request.*"}, "requests.decided", false},
		{[]string{"device.alarm", "request.*"}, "device.alarm", true},
		{nil, "punch.created", false},
	} {
		if got := notify.Subscribes(tc.patterns, tc.typ); got != tc.want {
			t.Errorf("Subscribes(%v, %q) = %v", tc.patterns, tc.typ, got)
		}
	}
}
