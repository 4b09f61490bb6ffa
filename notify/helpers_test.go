package notify_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/fcm"
	"github.com/dakahq/daka/org"
)

// env is a tenant on its own database, a fake FCM and a notify service whose
// River workers run only after start (so tests can stage a "crash").
type env struct {
	t      *testing.T
	ctx    context.Context
	pool   *pgxpool.Pool
	fake   *fcmfake.Server
	svc    *notify.Service
	tenant uuid.UUID
	logs   *logBuffer
}

func newEnv(t *testing.T, opts ...func(*notify.Options)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, ctx: ctx, pool: testdb.New(t), fake: fcmfake.New(t), tenant: uuid.New(), logs: &logBuffer{}}
	p, err := fcm.New(ctx, fcm.Config{ProjectID: "demo-test", Endpoint: e.fake.Endpoint(),
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	o := notify.Options{
		Providers:    []notify.Provider{p},
		Workers:      4,
		PollInterval: 20 * time.Millisecond,
		RetryBackoff: func(int) time.Duration { return 30 * time.Millisecond },
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Webhooks:     notify.WebhookOptions{AllowHTTP: true, Timeout: 2 * time.Second},
	}
	for _, f := range opts {
		f(&o)
	}
	if e.svc, err = notify.New(e.pool, o); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO tenants (id, slug, name) VALUES ($1, $2, 'Notify test')`,
		e.tenant, "t-"+e.tenant.String()[:8]); err != nil {
		t.Fatal(err)
	}
	return e
}

// start runs the workers until the test ends.
func (e *env) start() {
	e.t.Helper()
	if err := e.svc.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := e.svc.Stop(ctx); err != nil {
			e.t.Errorf("stop: %v", err)
		}
	})
}

// employee adds an employee with a role and returns the actor for them.
func (e *env) employee(role org.Role) org.Actor {
	e.t.Helper()
	id := uuid.New()
	if _, err := e.pool.Exec(e.ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, timezone, role, created_at, updated_at)
		VALUES ($1, $2, $3, 'Someone', 'Asia/Shanghai', $4, now(), now())`, e.tenant, id, "E"+id.String()[:8], role); err != nil {
		e.t.Fatal(err)
	}
	return org.Actor{TenantID: e.tenant, EmployeeID: id, Role: role}
}

// device registers an FCM token for a.
func (e *env) device(a org.Actor, token, locale string) {
	e.t.Helper()
	in := notify.TokenInput{Token: token, Platform: "android"}
	if locale != "" {
		in.Locale = &locale
	}
	if _, _, err := e.svc.RegisterToken(e.ctx, a, in); err != nil {
		e.t.Fatal(err)
	}
}

// notify runs NotifyTx in its own committed transaction.
func (e *env) notify(m notify.Message) {
	e.t.Helper()
	if err := pgx.BeginFunc(e.ctx, e.pool, func(tx pgx.Tx) error { return e.svc.NotifyTx(e.ctx, tx, m) }); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) message(key string, to ...org.Actor) notify.Message {
	m := notify.Message{TenantID: e.tenant, Type: "request.decided", Template: "request_decided", DedupeKey: key,
		Params: map[string]string{"request_type": "makeup", "decision": "approved", "approver": "王经理"},
		Data:   map[string]string{"request_id": "r-" + key}}
	for _, a := range to {
		m.Recipients = append(m.Recipients, a.EmployeeID)
	}
	return m
}

func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// jobsIn counts this test's jobs of a kind in a state.
func (e *env) jobsIn(kind, state string) int {
	return e.count(`SELECT count(*) FROM river_job WHERE kind = $1 AND state = $2`, kind, state)
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits long enough for idle workers to have picked up anything
// queued (many poll intervals), for tests that assert nothing happens.
func settle() { time.Sleep(400 * time.Millisecond) }

type logBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

var _ io.Writer = (*logBuffer)(nil)
