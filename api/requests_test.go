package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/api"
	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/media/localstore"
	"github.com/dakahq/daka/media/mediatest"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/fcm"
	"github.com/dakahq/daka/org"
)

// outbox is the Notifier of the request tests: it writes what it is given
// into a table of the test database inside the caller's transaction, so a
// rolled-back decision leaves nothing behind, exactly like the real one.
type outbox struct{}

const outboxTable = `CREATE TABLE test_outbox (seq bigserial PRIMARY KEY, kind text NOT NULL, type text NOT NULL,
	template text NOT NULL DEFAULT '', recipients uuid[] NOT NULL DEFAULT '{}', data jsonb NOT NULL, dedupe text NOT NULL DEFAULT '')`

func (outbox) NotifyTx(ctx context.Context, tx pgx.Tx, n attendance.Notification) error {
	data, _ := json.Marshal(n.Data)
	_, err := tx.Exec(ctx, `INSERT INTO test_outbox (kind, type, template, recipients, data, dedupe) VALUES ('notify', $1, $2, $3, $4, $5)`,
		n.Type, n.Template, n.Recipients, data, n.DedupeKey)
	return err
}

func (outbox) PublishTx(ctx context.Context, tx pgx.Tx, e attendance.Event) error {
	data, err := json.Marshal(e.Data)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO test_outbox (kind, type, data) VALUES ('webhook', $1, $2)`, e.Type, data)
	return err
}

// sent is one row of the outbox.
type sent struct {
	Kind, Type, Template string
	Recipients           []uuid.UUID
	Data                 map[string]any
}

// reqEnv is a test bundle with the request service (notifications into the
// outbox), photo storage in a folder, and an organisation:
//
//	Ops (G heads it) ─ Field (M): E1, E2 report to M, M reports to G
//	Sales (S, a manager outside Field)
//	HQ: a 200 m circle; every employee may punch there
type reqEnv struct {
	*testBundle
	req               *attendance.Requests
	ten               tenant
	ops, field, sales string
	g, m, s, e1, e2   person
	hq                string
	fake              *fcmfake.Server // with the real notifier
}

// march18 is 2026-03-18 10:00 in Shanghai, the default "now" of these tests.
var march18 = time.Date(2026, 3, 18, 2, 0, 0, 0, time.UTC)

var shanghai = func() *time.Location { l, _ := time.LoadLocation("Asia/Shanghai"); return l }()

func newReqEnv(t *testing.T) *reqEnv { return newReqEnvAt(t, t, march18) }

// newReqEnvAt builds the environment with the clock at start (tokens are
// issued then, so the clock may only move forward from it). t is nil for
// benchmarks (responses are then not validated against the spec).
func newReqEnvAt(tb testing.TB, t *testing.T, start time.Time) *reqEnv {
	tb.Helper()
	return buildReqEnv(tb, t, start, false)
}

// newReqEnvNotify is newReqEnv with the real notification service as the
// Notifier: inbox rows, and River push jobs delivered to a fake FCM server.
func newReqEnvNotify(t *testing.T) *reqEnv { return buildReqEnv(t, t, march18, true) }

// notifier adapts notify.Service to attendance.Notifier, as cmd/daka does.
type notifier struct{ s *notify.Service }

func (n notifier) NotifyTx(ctx context.Context, tx pgx.Tx, m attendance.Notification) error {
	return n.s.NotifyTx(ctx, tx, notify.Message(m))
}

func (n notifier) PublishTx(ctx context.Context, tx pgx.Tx, e attendance.Event) error {
	return n.s.PublishTx(ctx, tx, notify.Event(e))
}

func buildReqEnv(tb testing.TB, t *testing.T, start time.Time, realNotify bool) *reqEnv {
	tb.Helper()
	pool := testdb.New(tb)
	if _, err := pool.Exec(context.Background(), outboxTable); err != nil {
		tb.Fatal(err)
	}
	clk := &clock{t: start}
	orgs, err := org.NewService(pool, org.Options{Now: clk.Now, JWTSecret: testSecret, DefaultTimezone: "Asia/Shanghai",
		AccessTTL: 1000 * 24 * time.Hour, PasswordHashCost: org.PasswordParams{MemoryKiB: 1024, Time: 1, Threads: 1}})
	if err != nil {
		tb.Fatal(err)
	}
	store, err := localstore.New(localstore.Options{Dir: tb.TempDir(), BaseURL: "http://daka.test",
		SigningKey: []byte("request-test-signing-key-0123456789abcdef"), Now: clk.Now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = store.Close() })
	att := attendance.NewService(pool, orgs, attendance.Options{Now: clk.Now, Photos: store})
	var n attendance.Notifier = outbox{}
	var ntf *notify.Service
	var fake *fcmfake.Server
	if realNotify {
		fake = fcmfake.New(tb)
		p, err := fcm.New(context.Background(), fcm.Config{ProjectID: "demo-test", Endpoint: fake.Endpoint()})
		if err != nil {
			tb.Fatal(err)
		}
		ntf, err = notify.New(pool, notify.Options{Providers: []notify.Provider{p}, Workers: 2, PollInterval: 20 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: clk.Now})
		if err != nil {
			tb.Fatal(err)
		}
		if err := ntf.Start(context.Background()); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = ntf.Stop(ctx)
		})
		n = notifier{ntf}
	}
	reqs := attendance.NewRequests(att, attendance.RequestOptions{Notifier: n})
	e, err := api.New(api.Deps{Org: orgs, Attendance: att, Requests: reqs, Media: store.Handler(), Notify: ntf,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), QuietAccessLog: true})
	if err != nil {
		tb.Fatal(err)
	}
	doc, err := api.Spec()
	if err != nil {
		tb.Fatal(err)
	}
	router, err := api.NewRouter(doc)
	if err != nil {
		tb.Fatal(err)
	}
	b := &testBundle{t: t, tb: tb, e: e, pool: pool, org: orgs, router: router, clock: clk, noValidate: t == nil}
	env := &reqEnv{testBundle: b, req: reqs, fake: fake}
	env.ten = b.newTenant("acme")
	adm := env.ten.Admin
	env.hq = b.createSite(adm, circleSite("HQ", hqLat, hqLng))
	env.ops = b.do("POST", "/v1/departments", adm, map[string]any{"name": "Ops"}).M(tb)["id"].(string)
	env.field = b.do("POST", "/v1/departments", adm, map[string]any{"name": "Field", "parent_id": env.ops}).M(tb)["id"].(string)
	env.sales = b.do("POST", "/v1/departments", adm, map[string]any{"name": "Sales"}).M(tb)["id"].(string)
	env.g = env.person("G", map[string]any{"role": "manager", "department_id": env.ops})
	env.m = env.person("M", map[string]any{"role": "manager", "department_id": env.field, "manager_id": env.g.ID})
	env.s = env.person("S", map[string]any{"role": "manager", "department_id": env.sales})
	env.e1 = env.person("E1", map[string]any{"department_id": env.field, "manager_id": env.m.ID})
	env.e2 = env.person("E2", map[string]any{"department_id": env.field, "manager_id": env.m.ID})
	return env
}

func (env *reqEnv) person(no string, fields map[string]any) person {
	env.tb.Helper()
	id := env.createEmployee(env.ten.Admin, no, fields)
	return person{ID: id, Token: env.login(env.ten.Slug, no, testPassword)}
}

// A point inside HQ with the precision of a real fix (a typed-in 4-decimal
// point is flagged by the trust rules).
const inHQLat, inHQLng = hqLat + 0.0000131, hqLng + 0.0000217

// makeupBody asks for a punch of kind at t with a location inside HQ.
func makeupBody(kind string, t time.Time) map[string]any {
	return map[string]any{"kind": kind, "time": t.Format(time.RFC3339), "reason": "忘记打卡 forgot to punch",
		"location": map[string]any{"lat": inHQLat, "lng": inHQLng, "accuracy_m": 15, "crs": "wgs84"}}
}

// file posts a make-up request and returns its JSON.
func (env *reqEnv) file(p person, body map[string]any) map[string]any {
	env.tb.Helper()
	r := env.do("POST", "/v1/me/makeup-requests", p.Token, body)
	want(env.tb, r, 201)
	return r.M(env.tb)
}

// approvals lists the approvals p sees with the given query.
func (env *reqEnv) approvals(p person, query string) []map[string]any {
	env.tb.Helper()
	r := env.do("GET", "/v1/approvals?"+query, p.Token, nil)
	want(env.tb, r, 200)
	var out struct {
		Items []map[string]any `json:"items"`
	}
	r.JSON(env.tb, &out)
	return out.Items
}

// approvalFor returns the approval of a request as p sees it, or nil.
func (env *reqEnv) approvalFor(p person, requestID string, query string) map[string]any {
	env.tb.Helper()
	for _, a := range env.approvals(p, query) {
		if a["request_id"] == requestID {
			return a
		}
	}
	return nil
}

// decide approves or rejects an approval as p.
func (env *reqEnv) decide(p person, approvalID, action, comment string) *resp {
	env.tb.Helper()
	var body any
	if comment != "" {
		body = map[string]any{"comment": comment}
	}
	return env.do("POST", "/v1/approvals/"+approvalID+"/"+action, p.Token, body)
}

// outbox returns what was notified or published, in order.
func (env *reqEnv) outbox() []sent {
	env.tb.Helper()
	rows, err := env.pool.Query(context.Background(), `SELECT kind, type, template, recipients, data FROM test_outbox ORDER BY seq`)
	if err != nil {
		env.tb.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sent, error) {
		var s sent
		var raw []byte
		err := r.Scan(&s.Kind, &s.Type, &s.Template, &s.Recipients, &raw)
		if err == nil {
			err = json.Unmarshal(raw, &s.Data)
		}
		return s, err
	})
	if err != nil {
		env.tb.Fatal(err)
	}
	return out
}

// notified reports how many notifications of typ reached who.
func (env *reqEnv) notified(typ, who string) int {
	n := 0
	for _, s := range env.outbox() {
		for _, r := range s.Recipients {
			if s.Kind == "notify" && s.Type == typ && r.String() == who {
				n++
			}
		}
	}
	return n
}

// published counts webhook events of typ.
func (env *reqEnv) published(typ string) int {
	n := 0
	for _, s := range env.outbox() {
		if s.Kind == "webhook" && s.Type == typ {
			n++
		}
	}
	return n
}

func actions(history any) string {
	var out []string
	for _, h := range history.([]any) {
		out = append(out, h.(map[string]any)["action"].(string))
	}
	return strings.Join(out, ",")
}

func TestMakeup_RequestIsApprovedIntoACorrectivePunch(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	at := march18.Add(-26 * time.Hour)
	q := env.file(env.e1, makeupBody("in", at))
	if q["status"] != "pending" || q["verdict"] != "accepted" || q["approval_id"] == nil {
		t.Fatalf("a new request is pending with its evidence evaluated: %v", q)
	}
	if sig := q["signals"].([]any); len(sig) == 0 || sig[0].(map[string]any)["code"] != "inside_geofence" {
		t.Fatalf("the evidence carries the live punch's signals: %v", sig)
	}
	if ev := q["evidence"].(map[string]any); ev["site_id"] != env.hq {
		t.Fatalf("evidence %v, want the HQ site", ev)
	}
	if env.notified("approval.requested", env.m.ID) != 1 || env.published("request.created") != 1 {
		t.Fatalf("the manager is asked and request.created is published: %v", env.outbox())
	}

	t.Run("TheManagerSeesItPendingWithWhatIsNeededToDecide", func(t *testing.T) {
		a := env.approvalFor(env.m, q["id"].(string), "status=pending")
		if a == nil {
			t.Fatal("the manager does not see the request")
		}
		emp := a["employee"].(map[string]any)
		ev := a["evidence"].(map[string]any)
		switch {
		case a["id"] != q["approval_id"], a["request_type"] != "makeup", a["can_decide"] != true:
			t.Fatalf("approval %v", a)
		case emp["id"] != env.e1.ID, emp["employee_no"] != "E1", emp["department_name"] != "Field":
			t.Fatalf("employee %v", emp)
		case ev["verdict"] != "accepted", ev["location"] == nil, ev["site_name"] != "HQ", ev["distance_m"] == nil:
			t.Fatalf("evidence %v", ev)
		case a["makeup"].(map[string]any)["time"] != at.Format(time.RFC3339):
			t.Fatalf("request %v", a["makeup"])
		}
		if g := env.approvals(env.g, "status=pending"); len(g) != 0 {
			t.Fatalf("the manager's manager is not asked: %v", g)
		}
	})

	t.Run("ApprovalMakesTheCorrectivePunch", func(t *testing.T) {
		r := env.decide(env.m, q["approval_id"].(string), "approve", "ok, 见过你")
		want(t, r, 200)
		a := r.M(t)
		mk := a["makeup"].(map[string]any)
		if a["status"] != "approved" || mk["status"] != "approved" || mk["corrective_punch_id"] == nil || a["decided_by"] != env.m.ID {
			t.Fatalf("approved: %s", r.Body)
		}
		if h := actions(a["history"]); h != "created,assigned,approved" {
			t.Fatalf("history %s", h)
		}
		r = env.do("GET", "/v1/punches?source=makeup", env.ten.Admin, nil)
		want(t, r, 200)
		items := r.M(t)["items"].([]any)
		if len(items) != 1 {
			t.Fatalf("%d makeup punches, want 1", len(items))
		}
		p := items[0].(map[string]any)
		if p["id"] != mk["corrective_punch_id"] || p["occurred_at"] != at.Format(time.RFC3339) || p["kind"] != "in" ||
			p["verdict"] != "accepted" || p["employee_id"] != env.e1.ID {
			t.Fatalf("corrective punch %v", p)
		}
		var reqID, approver uuid.UUID
		if err := env.pool.QueryRow(t.Context(), `SELECT makeup_request_id, approved_by FROM punches WHERE id = $1`, p["id"]).
			Scan(&reqID, &approver); err != nil {
			t.Fatal(err)
		}
		if reqID.String() != q["id"] || approver.String() != env.m.ID {
			t.Fatalf("the punch links request %s and approver %s", reqID, approver)
		}
		if env.notified("request.decided", env.e1.ID) != 1 || env.published("request.decided") != 1 {
			t.Fatalf("the requester hears the decision once: %v", env.outbox())
		}
	})

	t.Run("TheRequesterSeesTheOutcomeAndHistory", func(t *testing.T) {
		r := env.do("GET", "/v1/me/makeup-requests", env.e1.Token, nil)
		want(t, r, 200)
		it := r.M(t)["items"].([]any)[0].(map[string]any)
		h := it["history"].([]any)
		last := h[len(h)-1].(map[string]any)
		if it["status"] != "approved" || last["actor_id"] != env.m.ID || last["comment"] != "ok, 见过你" || last["actor_name"] != "Employee M" {
			t.Fatalf("request %v", it)
		}
	})

	t.Run("ADecidedRequestIsNotDecidedAgain", func(t *testing.T) {
		id := q["approval_id"].(string)
		want(t, env.decide(env.m, id, "approve", ""), 200) // the same approver repeating: same outcome
		want(t, env.decide(env.m, id, "reject", ""), 409, "already_decided")
		want(t, env.do("POST", "/v1/approvals/"+id+"/reject", env.ten.Admin, nil), 409, "already_decided")
		var n int
		if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM punches WHERE source = 'makeup'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d corrective punches (%v)", n, err)
		}
		if env.notified("request.decided", env.e1.ID) != 1 {
			t.Fatal("a repeated decision notifies again")
		}
	})

	t.Run("EveryStepIsInTheAuditTrail", func(t *testing.T) {
		r := env.do("GET", "/v1/audit-events?target_type=makeup_request&target_id="+q["id"].(string), env.ten.Admin, nil)
		want(t, r, 200)
		var got []string
		for _, e := range r.M(t)["items"].([]any) {
			got = append(got, e.(map[string]any)["action"].(string))
		}
		if strings.Join(got, ",") != "makeup_request.approved,makeup_request.assigned,makeup_request.created" {
			t.Fatalf("audit %v", got)
		}
	})
}

// The whole loop with the real notification service: the approver hears
// (inbox and push), approves, the corrective punch exists, and the requester
// hears (inbox and push), each exactly once.
func TestMakeup_EndToEndWithInboxAndPush(t *testing.T) {
	t.Parallel()
	env := newReqEnvNotify(t)
	want(t, env.do("POST", "/v1/me/push-tokens", env.m.Token, map[string]any{"token": "fcm-m", "platform": "android", "locale": "en"}), 201)
	want(t, env.do("POST", "/v1/me/push-tokens", env.e1.Token, map[string]any{"token": "fcm-e1", "platform": "ios", "locale": "zh-CN"}), 201)
	q := env.file(env.e1, makeupBody("in", march18.Add(-2*time.Hour)))

	waitFor(t, "the approver's push", func() bool { return len(env.fake.Delivered("fcm-m")) == 1 })
	msg := env.fake.Delivered("fcm-m")[0].Message
	if msg.Data["type"] != "approval.requested" || msg.Data["approval_id"] != q["approval_id"] || msg.Data["request_type"] != "makeup" ||
		!strings.Contains(msg.Notification.Title, "make-up punch from Employee E1") {
		t.Fatalf("approver's push %+v %v", msg.Notification, msg.Data)
	}
	inbox := func(p person) []map[string]any {
		r := env.do("GET", "/v1/me/notifications", p.Token, nil)
		want(t, r, 200)
		var in struct {
			Items []map[string]any `json:"items"`
		}
		r.JSON(t, &in)
		return in.Items
	}
	if in := inbox(env.m); len(in) != 1 || in[0]["type"] != "approval.requested" {
		t.Fatalf("approver's inbox %v", in)
	}

	want(t, env.decide(env.m, q["approval_id"].(string), "approve", "ok"), 200)
	r := env.do("GET", "/v1/punches?source=makeup&employee_id="+env.e1.ID, env.m.Token, nil)
	want(t, r, 200)
	if items := r.M(t)["items"].([]any); len(items) != 1 {
		t.Fatalf("%d corrective punches", len(items))
	}
	waitFor(t, "the requester's push", func() bool { return len(env.fake.Delivered("fcm-e1")) == 1 })
	msg = env.fake.Delivered("fcm-e1")[0].Message
	if msg.Data["type"] != "request.decided" || msg.Data["status"] != "approved" || msg.Data["request_id"] != q["id"] ||
		msg.Notification.Title != "你的补卡申请已通过" {
		t.Fatalf("requester's push %+v %v", msg.Notification, msg.Data)
	}
	if in := inbox(env.e1); len(in) != 1 || in[0]["type"] != "request.decided" {
		t.Fatalf("requester's inbox %v", in)
	}
	want(t, env.decide(env.m, q["approval_id"].(string), "approve", "ok"), 200) // a retry notifies nobody
	time.Sleep(200 * time.Millisecond)
	if len(env.fake.Delivered("fcm-e1")) != 1 || len(inbox(env.e1)) != 1 {
		t.Fatal("the requester heard the decision twice")
	}
}

func TestMakeup_RejectionChangesOnlyTheHistory(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	far := makeupBody("out", march18.Add(-3*time.Hour))
	far["location"] = map[string]any{"lat": 39.9, "lng": 116.4, "accuracy_m": 10}
	q := env.file(env.e1, far)
	if q["verdict"] != "rejected" || q["evidence"].(map[string]any)["nearest_site_id"] != env.hq {
		t.Fatalf("a location far away is evaluated like a live punch: %v", q)
	}
	r := env.decide(env.m, q["approval_id"].(string), "reject", "you were in Beijing")
	want(t, r, 200)
	if a := r.M(t); a["status"] != "rejected" || a["makeup"].(map[string]any)["corrective_punch_id"] != nil {
		t.Fatalf("rejected: %s", r.Body)
	}
	var n int
	if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM punches`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d punches after a rejection (%v)", n, err)
	}
	d := env.outbox()
	last := d[len(d)-1]
	if env.notified("request.decided", env.e1.ID) != 1 || last.Type != "request.decided" || last.Data["status"] != "rejected" {
		t.Fatalf("the requester hears the rejection: %v", d)
	}
}

func TestMakeup_ReplacesAFlaggedPunchWithoutEditingIt(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	r := env.do("POST", "/v1/me/punches", env.e1.Token, punchBody("in", 39.9, 116.4, 10))
	want(t, r, 201)
	raw := r.M(t)
	body := makeupBody("in", march18.Add(-time.Minute))
	body["corrects_punch_id"] = raw["id"]
	q := env.file(env.e1, body)
	want(t, env.decide(env.m, q["approval_id"].(string), "approve", ""), 200)
	var corrects uuid.UUID
	var verdict string
	if err := env.pool.QueryRow(t.Context(), `SELECT c.corrects_punch_id, o.verdict FROM punches c JOIN punches o ON o.id = c.corrects_punch_id
		WHERE c.source = 'makeup'`).Scan(&corrects, &verdict); err != nil {
		t.Fatal(err)
	}
	if corrects.String() != raw["id"] || verdict != "rejected" {
		t.Fatalf("corrects %s, original verdict %s", corrects, verdict)
	}

	t.Run("OnlyTheCallersRefusedPunches", func(t *testing.T) {
		ok := env.do("POST", "/v1/me/punches", env.e2.Token, punchBody("in", inHQLat, inHQLng, 10))
		want(t, ok, 201)
		other := env.do("POST", "/v1/me/punches", env.e2.Token, punchBody("in", 0, 0, 10))
		want(t, other, 201)
		for _, tc := range []struct {
			name, punch, code string
			who               person
		}{
			{"AnotherEmployeesPunch", other.M(t)["id"].(string), "unknown_punch", env.e1},
			{"AnAcceptedPunch", ok.M(t)["id"].(string), "punch_not_correctable", env.e2},
			{"NoSuchPunch", uuid.NewString(), "unknown_punch", env.e1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := makeupBody("in", march18.Add(-time.Hour))
				b["corrects_punch_id"] = tc.punch
				p := want(t, env.do("POST", "/v1/me/makeup-requests", tc.who.Token, b), 422)
				if len(p.Errors) != 1 || p.Errors[0].Code != tc.code || p.Errors[0].Field != "corrects_punch_id" {
					t.Fatalf("errors %+v", p.Errors)
				}
			})
		}
	})
}

func TestMakeup_Policy(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	adm := env.ten.Admin

	t.Run("DefaultsUntilSet", func(t *testing.T) {
		r := env.do("GET", "/v1/policies/makeup", adm, nil)
		want(t, r, 200)
		p := r.M(t)
		if p["monthly_quota"] != 3.0 || p["days_back"] != 30.0 || p["cutoff_day"] != 5.0 || p["is_default"] != true {
			t.Fatalf("defaults %v", p)
		}
	})
	t.Run("AdminsOnly", func(t *testing.T) {
		want(t, env.do("GET", "/v1/policies/makeup", env.m.Token, nil), 403, "forbidden")
		want(t, env.do("PUT", "/v1/policies/makeup", env.e1.Token, map[string]any{"monthly_quota": 5}), 403, "forbidden")
	})
	t.Run("RangesAreChecked", func(t *testing.T) {
		for _, body := range []map[string]any{{"monthly_quota": 100}, {"days_back": 181}, {"days_back": 0}, {"cutoff_day": 29},
			{"required_evidence": map[string]any{"leave": map[string]any{"location": true}}}} {
			want(t, env.do("PUT", "/v1/policies/makeup", adm, body), 422)
		}
	})
	t.Run("PutReplacesAndIsAudited", func(t *testing.T) {
		r := env.do("PUT", "/v1/policies/makeup", adm, map[string]any{"monthly_quota": 99, "days_back": 180,
			"required_evidence": map[string]any{"makeup": map[string]any{"photo": true}}})
		want(t, r, 200)
		p := r.M(t)
		if p["monthly_quota"] != 99.0 || p["cutoff_day"] != 5.0 || p["is_default"] != false ||
			p["required_evidence"].(map[string]any)["makeup"].(map[string]any)["photo"] != true {
			t.Fatalf("policy %v", p)
		}
		a := env.do("GET", "/v1/audit-events?action=request_policy.update", adm, nil)
		want(t, a, 200)
		if n := len(a.M(t)["items"].([]any)); n != 1 {
			t.Fatalf("%d audit events", n)
		}
	})
}

func TestMakeup_PolicyViolations(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, shanghai) }
	for _, tc := range []struct {
		name   string
		now    time.Time
		at     time.Time
		policy map[string]any
		code   string // "" for accepted
		detail string
	}{
		{"InTheFuture", day(2026, 3, 18, 10), day(2026, 3, 18, 11), nil, "makeup_in_future", "future"},
		{"ThirtyDaysBackIsAllowed", day(2026, 3, 4, 10), day(2026, 2, 2, 9), nil, "", ""},
		{"ThirtyOneDaysBackIsTooOld", day(2026, 3, 4, 10), day(2026, 2, 1, 23), nil, "makeup_too_old", "30 days"},
		{"LastMonthBeforeTheCutoff", day(2026, 3, 5, 20), day(2026, 2, 27, 9), nil, "", ""},
		{"LastMonthAfterTheCutoff", day(2026, 3, 6, 0), day(2026, 2, 27, 9), nil, "makeup_period_closed", "2026-02"},
		{"NoCutoffWhenDisabled", day(2026, 3, 20, 9), day(2026, 2, 27, 9), map[string]any{"cutoff_day": 0}, "", ""},
		{"DaysBackFollowsThePolicy", day(2026, 3, 18, 10), day(2026, 3, 10, 9), map[string]any{"days_back": 7}, "makeup_too_old", "7 days"},
		{"PhotoRequired", day(2026, 3, 18, 10), day(2026, 3, 18, 9),
			map[string]any{"required_evidence": map[string]any{"makeup": map[string]any{"photo": true}}}, "evidence_required", "photo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := newReqEnvAt(t, t, tc.now)
			if tc.policy != nil {
				want(t, env.do("PUT", "/v1/policies/makeup", env.ten.Admin, tc.policy), 200)
			}
			r := env.do("POST", "/v1/me/makeup-requests", env.e1.Token, makeupBody("in", tc.at))
			if tc.code == "" {
				want(t, r, 201)
				return
			}
			p := want(t, r, 422, tc.code)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %q does not mention %q", p.Detail, tc.detail)
			}
		})
	}

	t.Run("EvidenceRequiredNamesEachMissingPiece", func(t *testing.T) {
		t.Parallel()
		env := newReqEnv(t)
		want(t, env.do("PUT", "/v1/policies/makeup", env.ten.Admin, map[string]any{
			"required_evidence": map[string]any{"makeup": map[string]any{"photo": true, "location": true}}}), 200)
		body := makeupBody("in", march18.Add(-time.Hour))
		delete(body, "location")
		p := want(t, env.do("POST", "/v1/me/makeup-requests", env.e1.Token, body), 422, "evidence_required")
		if len(p.Errors) != 2 || p.Errors[0].Field != "photo_id" || p.Errors[1].Field != "location" {
			t.Fatalf("errors %+v", p.Errors)
		}
		photo := env.photo(env.e1)
		body["photo_id"] = photo
		body["location"] = makeupBody("in", march18)["location"]
		want(t, env.do("POST", "/v1/me/makeup-requests", env.e1.Token, body), 201)
		body["photo_id"] = env.photo(env.e2)
		p = want(t, env.do("POST", "/v1/me/makeup-requests", env.e1.Token, body), 422, "photo_not_found")
		if p.Errors[0].Field != "photo_id" {
			t.Fatalf("another employee's photo: %+v", p.Errors)
		}
	})

	t.Run("MonthlyQuota", func(t *testing.T) {
		t.Parallel()
		env := newReqEnv(t)
		var ids []string
		for i := range 3 {
			ids = append(ids, env.file(env.e1, makeupBody("in", march18.Add(-time.Duration(24*(i+1))*time.Hour)))["id"].(string))
		}
		p := want(t, env.do("POST", "/v1/me/makeup-requests", env.e1.Token, makeupBody("out", march18.Add(-time.Hour))), 422, "makeup_quota_exceeded")
		if !strings.Contains(p.Detail, "quota is 3") || !strings.Contains(p.Detail, "3 of them are used for 2026-03") {
			t.Fatalf("detail %q", p.Detail)
		}
		// Another employee has their own quota.
		env.file(env.e2, makeupBody("in", march18.Add(-time.Hour)))
		// A withdrawn request gives its place back; a rejected one too.
		want(t, env.do("POST", "/v1/me/makeup-requests/"+ids[0]+"/withdraw", env.e1.Token, nil), 200)
		env.file(env.e1, makeupBody("out", march18.Add(-time.Hour)))
		want(t, env.do("POST", "/v1/me/makeup-requests", env.e1.Token, makeupBody("out", march18.Add(-2*time.Hour))), 422, "makeup_quota_exceeded")
	})
}

// photo uploads a small JPEG as p and returns its id.
func (env *reqEnv) photo(p person) string {
	env.tb.Helper()
	r := (&photoEnv{testBundle: env.testBundle}).upload(p.Token, mediatest.JPEG(env.tb, scene(640, 480, uint64(time.Now().UnixNano())), 80))
	want(env.tb, r, 201)
	return r.M(env.tb)["id"].(string)
}

func TestMakeup_AutoApprove(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	want(t, env.do("PUT", "/v1/policies/makeup", env.ten.Admin, map[string]any{"auto_approve": map[string]any{"enabled": true}}), 200)
	photo := env.photo(env.e1)
	for _, tc := range []struct {
		name     string
		photo    bool
		lat, acc float64
		auto     bool
	}{
		{"PhotoAndInsideTheFence", true, inHQLat, 10, true},
		{"NoPhoto", false, inHQLat, 10, false},
		{"OnlyWithinTheFixsAccuracy", true, inHQLat + 0.0022, 60, false},
		{"OutsideTheFence", true, inHQLat + 0.05, 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := makeupBody("in", march18.Add(-time.Hour))
			body["location"].(map[string]any)["lat"] = tc.lat
			body["location"].(map[string]any)["accuracy_m"] = tc.acc
			if tc.photo {
				body["photo_id"] = photo
			}
			q := env.file(env.e1, body)
			if tc.auto != (q["status"] == "approved") || q["auto_approved"] != tc.auto || tc.auto != (q["corrective_punch_id"] != nil) {
				t.Fatalf("auto-approved %v, want %v: %v", q["auto_approved"], tc.auto, q)
			}
			if tc.auto && (actions(q["history"]) != "created,auto_approved" || q["decided_by"] != nil || q["approval_id"] != nil) {
				t.Fatalf("an auto-approval is the policy's, without an approval: %v", q)
			}
			want(t, env.do("POST", "/v1/me/makeup-requests/"+q["id"].(string)+"/withdraw", env.e1.Token, nil), map[bool]int{true: 409, false: 200}[tc.auto])
		})
	}
	var n int
	if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM punches WHERE source = 'makeup' AND approved_by IS NULL`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d auto-approved corrective punches (%v)", n, err)
	}
}

func TestMakeup_Withdraw(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)
	q := env.file(env.e1, makeupBody("in", march18.Add(-time.Hour)))
	id, apID := q["id"].(string), q["approval_id"].(string)

	want(t, env.do("POST", "/v1/me/makeup-requests/"+id+"/withdraw", env.e2.Token, nil), 404, "not_found")
	r := env.do("POST", "/v1/me/makeup-requests/"+id+"/withdraw", env.e1.Token, nil)
	want(t, r, 200)
	if w := r.M(t); w["status"] != "withdrawn" || actions(w["history"]) != "created,assigned,withdrawn" {
		t.Fatalf("withdrawn: %s", r.Body)
	}
	want(t, env.do("POST", "/v1/me/makeup-requests/"+id+"/withdraw", env.e1.Token, nil), 200) // again: unchanged
	if env.approvalFor(env.m, id, "status=pending") != nil {
		t.Fatal("a withdrawn request still waits for the manager")
	}
	if a := env.approvalFor(env.m, id, "status=decided"); a == nil || a["status"] != "withdrawn" {
		t.Fatalf("the manager sees it withdrawn: %v", a)
	}
	want(t, env.decide(env.m, apID, "approve", ""), 409, "already_decided")

	q2 := env.file(env.e1, makeupBody("in", march18.Add(-2*time.Hour)))
	want(t, env.decide(env.m, q2["approval_id"].(string), "approve", ""), 200)
	want(t, env.do("POST", "/v1/me/makeup-requests/"+q2["id"].(string)+"/withdraw", env.e1.Token, nil), 409, "already_decided")

	r = env.do("GET", "/v1/me/makeup-requests?status=withdrawn", env.e1.Token, nil)
	want(t, r, 200)
	if items := r.M(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Fatalf("filtered list %s", r.Body)
	}
	want(t, env.do("GET", "/v1/me/makeup-requests/"+id, env.e1.Token, nil), 200)
	want(t, env.do("GET", "/v1/me/makeup-requests/"+id, env.e2.Token, nil), 404, "not_found")
}

func TestLeaveAndOvertime_GoThroughTheSameFlow(t *testing.T) {
	t.Parallel()
	env := newReqEnv(t)

	t.Run("Leave", func(t *testing.T) {
		r := env.do("POST", "/v1/me/leave-requests", env.e1.Token, map[string]any{"type": "annual", "start": "2026-04-01",
			"end": "2026-04-03", "start_half": "pm", "reason": "家里有事"})
		want(t, r, 201)
		l := r.M(t)
		if l["days"] != 2.5 || l["status"] != "pending" || l["start_half"] != "pm" || l["end_half"] != nil {
			t.Fatalf("leave %v", l)
		}
		for _, tc := range []struct {
			name string
			body map[string]any
			code string
			st   int
		}{
			{"OverlapsTheAfternoon", map[string]any{"type": "sick", "start": "2026-04-01", "end": "2026-04-01", "end_half": "pm", "reason": "x"}, "leave_overlap", 409},
			{"TheMorningBeforeIsFree", map[string]any{"type": "sick", "start": "2026-04-01", "end": "2026-04-01", "end_half": "am", "reason": "x"}, "", 201},
			{"EndBeforeStart", map[string]any{"type": "sick", "start": "2026-04-05", "end": "2026-04-04", "reason": "x"}, "validation_failed", 422},
			{"PmToAmOfOneDay", map[string]any{"type": "sick", "start": "2026-04-09", "end": "2026-04-09", "start_half": "pm", "end_half": "am", "reason": "x"}, "validation_failed", 422},
			{"UnknownType", map[string]any{"type": "holiday", "start": "2026-04-09", "end": "2026-04-09", "reason": "x"}, "validation_failed", 422},
		} {
			t.Run(tc.name, func(t *testing.T) {
				want(t, env.do("POST", "/v1/me/leave-requests", env.e1.Token, tc.body), tc.st, tc.code)
			})
		}
		a := env.approvalFor(env.m, l["id"].(string), "status=pending&request_type=leave")
		if a == nil || a["leave"].(map[string]any)["type"] != "annual" {
			t.Fatalf("the manager sees the leave: %v", a)
		}
		r = env.decide(env.m, a["id"].(string), "approve", "")
		want(t, r, 200)
		r = env.do("GET", "/v1/me/leave-requests/"+l["id"].(string), env.e1.Token, nil)
		want(t, r, 200)
		if r.M(t)["status"] != "approved" {
			t.Fatalf("leave %s", r.Body)
		}
	})

	t.Run("Overtime", func(t *testing.T) {
		start := march18.Add(8 * time.Hour)
		body := map[string]any{"start": start.Format(time.RFC3339), "end": start.Add(3 * time.Hour).Format(time.RFC3339),
			"reason": "上线", "compensation": "time_off"}
		r := env.do("POST", "/v1/me/overtime-requests", env.e2.Token, body)
		want(t, r, 201)
		o := r.M(t)
		if o["hours"] != 3.0 || o["compensation"] != "time_off" {
			t.Fatalf("overtime %v", o)
		}
		body["start"] = start.Add(2 * time.Hour).Format(time.RFC3339)
		body["end"] = start.Add(4 * time.Hour).Format(time.RFC3339)
		want(t, env.do("POST", "/v1/me/overtime-requests", env.e2.Token, body), 409, "overtime_overlap")
		body["end"] = start.Add(27 * time.Hour).Format(time.RFC3339)
		want(t, env.do("POST", "/v1/me/overtime-requests", env.e2.Token, body), 422, "validation_failed")
		r = env.decide(env.m, o["approval_id"].(string), "reject", "not needed")
		want(t, r, 200)
		r = env.do("GET", "/v1/me/overtime-requests", env.e2.Token, nil)
		want(t, r, 200)
		if it := r.M(t)["items"].([]any)[0].(map[string]any); it["status"] != "rejected" || it["decision_comment"] != "not needed" {
			t.Fatalf("overtime %v", it)
		}
		if n := env.published("request.decided"); n != 2 {
			t.Fatalf("%d request.decided events", n)
		}
	})
}
