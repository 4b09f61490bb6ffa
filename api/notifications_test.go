package api_test

import (
	"context"
	"fmt"
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
	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/fcm"
	"github.com/dakahq/daka/notify/webhook"
	"github.com/dakahq/daka/org"
)

// notifyBundle is the harness's router with a notification service whose
// River workers push to a fake FCM.
type notifyBundle struct {
	*testBundle
	svc  *notify.Service
	fake *fcmfake.Server
}

func setupNotify(t *testing.T) notifyBundle {
	t.Helper()
	ctx := context.Background()
	pool := testdb.New(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	orgs, err := org.NewService(pool, org.Options{Now: clk.Now, JWTSecret: testSecret, DefaultTimezone: "Asia/Shanghai",
		PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	fake := fcmfake.New(t)
	p, err := fcm.New(ctx, fcm.Config{ProjectID: "demo-test", Endpoint: fake.Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := notify.New(pool, notify.Options{Providers: []notify.Provider{p}, Workers: 2, PollInterval: 20 * time.Millisecond,
		RetryBackoff: func(int) time.Duration { return 20 * time.Millisecond }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Webhooks: notify.WebhookOptions{AllowHTTP: true, Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Stop(sctx)
	})
	e, err := api.New(api.Deps{Org: orgs, Attendance: attendance.NewService(pool, orgs, attendance.Options{Now: clk.Now}),
		Notify: svc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QuietAccessLog: true})
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
	return notifyBundle{testBundle: &testBundle{t: t, tb: t, e: e, pool: pool, org: orgs, router: router, clock: clk}, svc: svc, fake: fake}
}

// member is an employee of a tenant, signed in.
type member struct {
	ID    uuid.UUID
	Token string
}

func (b notifyBundle) member(tn tenant, no string) member {
	b.t.Helper()
	id := b.createEmployee(tn.Admin, no, nil)
	return member{ID: uuid.MustParse(id), Token: b.login(tn.Slug, no, testPassword)}
}

// send notifies recipients as another package would, in a committed transaction.
func (b notifyBundle) send(tn tenant, key string, to ...uuid.UUID) {
	b.t.Helper()
	m := notify.Message{TenantID: tn.ID, Recipients: to, Type: "approval.requested", Template: "approval_requested", DedupeKey: key,
		Params: map[string]string{"requester": "李雷", "request_type": "makeup", "summary": key},
		Data:   map[string]string{"request_id": "req-" + key}}
	ctx := context.Background()
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return b.svc.NotifyTx(ctx, tx, m) }); err != nil {
		b.t.Fatal(err)
	}
	b.clock.Advance(time.Second)
}

type wireNotification struct {
	ID     string            `json:"id"`
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Body   string            `json:"body"`
	Data   map[string]string `json:"data"`
	Locale string            `json:"locale"`
	ReadAt *time.Time        `json:"read_at"`
}

type wireInbox struct {
	Items       []wireNotification `json:"items"`
	NextCursor  *string            `json:"next_cursor"`
	UnreadCount int                `json:"unread_count"`
}

func (b notifyBundle) inbox(token, query string) wireInbox {
	b.t.Helper()
	r := b.do("GET", "/v1/me/notifications"+query, token, nil)
	want(b.t, r, 200)
	var in wireInbox
	r.JSON(b.t, &in)
	return in
}

func (b notifyBundle) unread(token string) int {
	b.t.Helper()
	r := b.do("GET", "/v1/me/notifications/unread-count", token, nil)
	want(b.t, r, 200)
	return int(r.M(b.t)["unread_count"].(float64))
}

func TestNotifications_Inbox(t *testing.T) {
	t.Parallel()
	b := setupNotify(t)
	tn := b.newTenant("inbox")
	mgr := b.member(tn, "M1")
	other := b.member(tn, "E2")
	for i := 1; i <= 3; i++ {
		b.send(tn, fmt.Sprintf("k%d", i), mgr.ID)
	}
	b.send(tn, "k9", other.ID)

	t.Run("PagesNewestFirstWithTheUnreadCountOfAll", func(t *testing.T) {
		p1 := b.inbox(mgr.Token, "?limit=2")
		if len(p1.Items) != 2 || p1.NextCursor == nil || p1.UnreadCount != 3 {
			t.Fatalf("page 1: %+v", p1)
		}
		p2 := b.inbox(mgr.Token, "?limit=2&cursor="+*p1.NextCursor)
		if len(p2.Items) != 1 || p2.NextCursor != nil || p2.UnreadCount != 3 {
			t.Fatalf("page 2: %+v", p2)
		}
		got := []string{p1.Items[0].Data["request_id"], p1.Items[1].Data["request_id"], p2.Items[0].Data["request_id"]}
		if strings.Join(got, ",") != "req-k3,req-k2,req-k1" {
			t.Errorf("order %v", got)
		}
		n := p1.Items[0]
		if n.Type != "approval.requested" || n.Title != "待审批：李雷的补卡" || n.Body != "李雷提交了补卡申请：k3" || n.Locale != "zh-CN" || n.ReadAt != nil {
			t.Errorf("item %+v", n)
		}
	})

	t.Run("ReadsOneIdempotentlyAndOnlyMyOwn", func(t *testing.T) {
		first := b.inbox(mgr.Token, "?limit=1").Items[0]
		r := b.do("POST", "/v1/me/notifications/"+first.ID+"/read", mgr.Token, nil)
		want(t, r, 200)
		var n wireNotification
		r.JSON(t, &n)
		if n.ReadAt == nil || n.ID != first.ID {
			t.Fatalf("read: %s", r.Body)
		}
		b.clock.Advance(time.Minute)
		r = b.do("POST", "/v1/me/notifications/"+first.ID+"/read", mgr.Token, nil)
		want(t, r, 200)
		var again wireNotification
		r.JSON(t, &again)
		if again.ReadAt == nil || !again.ReadAt.Equal(*n.ReadAt) {
			t.Errorf("the second read moved read_at: %v → %v", n.ReadAt, again.ReadAt)
		}
		if got := b.unread(mgr.Token); got != 2 {
			t.Errorf("unread %d, want 2", got)
		}
		want(t, b.do("POST", "/v1/me/notifications/"+first.ID+"/read", other.Token, nil), 404, "not_found")
		want(t, b.do("POST", "/v1/me/notifications/"+uuid.NewString()+"/read", mgr.Token, nil), 404, "not_found")
		if u := b.inbox(mgr.Token, "?unread=true"); len(u.Items) != 2 || u.UnreadCount != 2 {
			t.Errorf("unread filter: %+v", u)
		}
	})

	t.Run("ReadAllLeavesNothingUnreadAndTouchesNobodyElse", func(t *testing.T) {
		r := b.do("POST", "/v1/me/notifications/read-all", mgr.Token, nil)
		want(t, r, 200)
		m := r.M(t)
		if m["updated"] != float64(2) || m["unread_count"] != float64(0) {
			t.Fatalf("read-all: %s", r.Body)
		}
		if got := b.unread(mgr.Token); got != 0 {
			t.Errorf("unread %d after read-all", got)
		}
		if got := b.unread(other.Token); got != 1 {
			t.Errorf("someone else's unread count changed to %d", got)
		}
		if in := b.inbox(mgr.Token, "?unread=true"); len(in.Items) != 0 {
			t.Errorf("unread items left: %+v", in.Items)
		}
	})

	t.Run("AnotherTenantsNotificationIsNotFound", func(t *testing.T) {
		tn2 := b.newTenant("inbox-two")
		stranger := b.member(tn2, "X1")
		id := b.inbox(other.Token, "").Items[0].ID
		want(t, b.do("POST", "/v1/me/notifications/"+id+"/read", stranger.Token, nil), 404, "not_found")
		if in := b.inbox(stranger.Token, ""); len(in.Items) != 0 || in.UnreadCount != 0 {
			t.Errorf("a stranger sees %+v", in)
		}
	})

	t.Run("RefusesBadInput", func(t *testing.T) {
		want(t, b.do("GET", "/v1/me/notifications?cursor=not-a-cursor", mgr.Token, nil), 422)
		want(t, b.do("GET", "/v1/me/notifications?limit=0", mgr.Token, nil), 422)
		want(t, b.do("POST", "/v1/me/notifications/nope/read", mgr.Token, nil), 422)
		want(t, b.do("GET", "/v1/me/notifications", "", nil), 401)
	})
}

func TestNotifications_PushTokens(t *testing.T) {
	t.Parallel()
	b := setupNotify(t)
	tn := b.newTenant("tokens")
	amy := b.member(tn, "A1")
	ben := b.member(tn, "B1")

	t.Run("RegistersThenRefreshesByToken", func(t *testing.T) {
		body := map[string]any{"token": "fcm-amy-1", "platform": "android", "app_version": "2.3.1", "locale": "en-US"}
		r := b.do("POST", "/v1/me/push-tokens", amy.Token, body)
		want(t, r, 201)
		m := r.M(t)
		if m["provider"] != "fcm" || m["platform"] != "android" || m["locale"] != "en-US" || m["app_version"] != "2.3.1" {
			t.Errorf("token %s", r.Body)
		}
		body["app_version"] = "2.4.0"
		r = b.do("POST", "/v1/me/push-tokens", amy.Token, body)
		want(t, r, 200)
		if r.M(t)["app_version"] != "2.4.0" || r.M(t)["id"] != m["id"] {
			t.Errorf("refresh %s", r.Body)
		}
	})

	t.Run("PushesEndToEndInTheDevicesLanguage", func(t *testing.T) {
		b.send(tn, "push-1", amy.ID)
		waitFor(t, "the push", func() bool { return len(b.fake.Delivered("fcm-amy-1")) == 1 })
		msg := b.fake.Delivered("fcm-amy-1")[0].Message
		if msg.Notification.Title != "Approval needed: make-up punch from 李雷" || msg.Data["request_id"] != "req-push-1" || msg.Data["type"] != "approval.requested" {
			t.Errorf("push %+v %v", msg.Notification, msg.Data)
		}
		if in := b.inbox(amy.Token, ""); in.Items[0].Locale != "en" || in.Items[0].Title != msg.Notification.Title {
			t.Errorf("inbox %+v", in.Items[0])
		}
	})

	t.Run("ATokenMovesToWhoeverRegistersItLast", func(t *testing.T) {
		want(t, b.do("POST", "/v1/me/push-tokens", ben.Token, map[string]any{"token": "fcm-amy-1", "platform": "android"}), 201)
		r := b.do("GET", "/v1/me/push-tokens", amy.Token, nil)
		want(t, r, 200)
		if items := r.M(t)["items"].([]any); len(items) != 0 {
			t.Errorf("amy still holds %v", items)
		}
		b.send(tn, "push-2", amy.ID)
		time.Sleep(300 * time.Millisecond)
		if n := len(b.fake.Delivered("fcm-amy-1")); n != 1 {
			t.Errorf("ben's phone got amy's notification (%d pushes)", n)
		}
	})

	t.Run("DeletesWithTheTokenInTheBody", func(t *testing.T) {
		want(t, b.do("DELETE", "/v1/me/push-tokens", amy.Token, map[string]any{"token": "fcm-amy-1"}), 404, "not_found")
		want(t, b.do("DELETE", "/v1/me/push-tokens", ben.Token, map[string]any{"token": "fcm-amy-1"}), 204)
		want(t, b.do("DELETE", "/v1/me/push-tokens", ben.Token, map[string]any{"token": "fcm-amy-1"}), 404, "not_found")
	})

	t.Run("RefusesBadRegistrations", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"token": "t", "platform": "symbian"},
			{"token": "", "platform": "ios"},
			{"token": "has space", "platform": "ios"},
			{"token": "t", "platform": "ios", "provider": "pigeon"},
			{"token": "t", "platform": "ios", "locale": "english please"},
			{"token": "t"},
			{"token": "t", "platform": "ios", "extra": 1},
		} {
			r := b.do("POST", "/v1/me/push-tokens", amy.Token, body)
			if r.Code != 400 && r.Code != 422 {
				t.Errorf("%v: %d %s", body, r.Code, r.Body)
			}
		}
		if n := len(b.do("GET", "/v1/me/push-tokens", amy.Token, nil).M(t)["items"].([]any)); n != 0 {
			t.Errorf("%d tokens after refused registrations", n)
		}
	})
}

func TestNotifications_Webhooks(t *testing.T) {
	t.Parallel()
	b := setupNotify(t)
	tn := b.newTenant("hooks")
	emp := b.member(tn, "E1")
	var secret string
	got := make(chan error, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- webhook.Verify(secret, r.Header, body, time.Now(), 5*time.Minute)
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "queued")
	}))
	t.Cleanup(recv.Close)

	r := b.do("POST", "/v1/webhooks", tn.Admin, map[string]any{"url": recv.URL + "/daka", "event_types": []string{"request.*"}, "description": "Payroll"})
	want(t, r, 201)
	created := r.M(t)
	secret = created["secret"].(string)
	id := created["id"].(string)
	if !strings.HasPrefix(secret, "whsec_") || created["created_by"] != tn.AdminID.String() {
		t.Fatalf("created %s", r.Body)
	}

	t.Run("TheSecretIsShownOnlyOnCreation", func(t *testing.T) {
		r := b.do("GET", "/v1/webhooks/"+id, tn.Admin, nil)
		want(t, r, 200)
		if _, ok := r.M(t)["secret"]; ok {
			t.Errorf("secret shown again: %s", r.Body)
		}
		r = b.do("GET", "/v1/webhooks", tn.Admin, nil)
		want(t, r, 200)
		if !strings.Contains(string(r.Body), id) || strings.Contains(string(r.Body), "whsec_") {
			t.Errorf("list %s", r.Body)
		}
	})

	t.Run("DeliversSignedAndLogsEveryAttempt", func(t *testing.T) {
		ctx := context.Background()
		if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			return b.svc.PublishTx(ctx, tx, notify.Event{TenantID: tn.ID, Type: "request.decided", Data: map[string]string{"request_id": "r"}})
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("the receiver could not verify the delivery: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no delivery")
		}
		var items []any
		waitFor(t, "the log", func() bool {
			r := b.do("GET", "/v1/webhooks/"+id+"/deliveries", tn.Admin, nil)
			want(t, r, 200)
			items = r.M(t)["items"].([]any)
			return len(items) == 1
		})
		d := items[0].(map[string]any)
		if d["status_code"] != float64(202) || d["response_body"] != "queued" || d["succeeded"] != true || d["event_type"] != "request.decided" {
			t.Errorf("attempt %v", d)
		}
	})

	t.Run("OnlyAdminsManageThem", func(t *testing.T) {
		want(t, b.do("GET", "/v1/webhooks", emp.Token, nil), 403)
		want(t, b.do("POST", "/v1/webhooks", emp.Token, map[string]any{"url": "https://x.example/h", "event_types": []string{"*"}}), 403)
		want(t, b.do("GET", "/v1/webhooks/"+id+"/deliveries", emp.Token, nil), 403)
		want(t, b.do("DELETE", "/v1/webhooks/"+id, emp.Token, nil), 403)
	})

	t.Run("RefusesUnsafeOrMalformedEndpoints", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"url": "http://payroll.example.com/h", "event_types": []string{"*"}},
			{"url": "https://169.254.169.254/latest/meta-data", "event_types": []string{"*"}},
			{"url": "https://10.0.0.8/h", "event_types": []string{"*"}},
			{"url": "https://payroll.example.com/h", "event_types": []string{}},
			{"url": "https://payroll.example.com/h", "event_types": []string{"Punch!"}},
			{"url": "https://payroll.example.com/h"},
		} {
			r := b.do("POST", "/v1/webhooks", tn.Admin, body)
			if r.Code != 400 && r.Code != 422 {
				t.Errorf("%v: %d %s", body, r.Code, r.Body)
			}
		}
	})

	t.Run("AnotherTenantsEndpointIsNotFound", func(t *testing.T) {
		tn2 := b.newTenant("hooks-two")
		want(t, b.do("GET", "/v1/webhooks/"+id, tn2.Admin, nil), 404)
		want(t, b.do("GET", "/v1/webhooks/"+id+"/deliveries", tn2.Admin, nil), 404)
		want(t, b.do("DELETE", "/v1/webhooks/"+id, tn2.Admin, nil), 404)
	})

	t.Run("DeletionIsAuditedAndFinal", func(t *testing.T) {
		want(t, b.do("DELETE", "/v1/webhooks/"+id, tn.Admin, nil), 204)
		want(t, b.do("GET", "/v1/webhooks/"+id, tn.Admin, nil), 404, "not_found")
		r := b.do("GET", "/v1/audit-events?target_type=webhook&target_id="+id, tn.Admin, nil)
		want(t, r, 200)
		var actions []string
		for _, it := range r.M(t)["items"].([]any) {
			actions = append(actions, it.(map[string]any)["action"].(string))
		}
		if strings.Join(actions, ",") != "webhook.delete,webhook.create" {
			t.Errorf("audit %v", actions)
		}
	})
}

func TestNotifications_UnavailableWithoutTheService(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tn := b.newTenant("no-notify")
	want(t, b.do("GET", "/v1/me/notifications", tn.Admin, nil), 503, "notifications_unavailable")
	want(t, b.do("POST", "/v1/me/push-tokens", tn.Admin, map[string]any{"token": "t", "platform": "ios"}), 503, "notifications_unavailable")
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
