package notify_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	firebase "firebase.google.com/go/v4"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"google.golang.org/api/option"

	"github.com/dakahq/daka/internal/fcmfake"
	"github.com/dakahq/daka/internal/testdb"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/notify/fcm"
)

// BenchmarkPush measures push throughput to the local FCM fake, in the same
// run: the fake's raw accept rate through the firebase SDK called directly
// by as many goroutines as River has workers (the ceiling), and push jobs
// delivered per second through River (a backlog of b.N committed jobs
// drained by the workers: fetch, load, send, delivery record, completion).
// The fake answers at once (CPU-bound) or after 20 ms (a network round
// trip); River runs with the shipped fetch cooldown (5 ms), 20 ms, and
// River's own default (100 ms); workers are DAKA_WORKERS' default (10) and
// 50. Run with -benchtime=Nx (e.g. 2000x).
func BenchmarkPush(b *testing.B) {
	for _, c := range []struct {
		latency   time.Duration
		workers   int
		cooldowns []time.Duration
	}{
		{0, 10, []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond}},
		{20 * time.Millisecond, 10, []time.Duration{5 * time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond}},
		{20 * time.Millisecond, 50, []time.Duration{5 * time.Millisecond}},
	} {
		prefix := fmt.Sprintf("latency=%s/workers=%d", c.latency, c.workers)
		b.Run(prefix+"/sdk-direct", func(b *testing.B) { benchDirect(b, c.latency, c.workers) })
		for _, cooldown := range c.cooldowns {
			b.Run(fmt.Sprintf("%s/river/cooldown=%s", prefix, cooldown), func(b *testing.B) { benchRiver(b, c.latency, c.workers, cooldown) })
		}
	}
}

func benchDirect(b *testing.B, latency time.Duration, workers int) {
	ctx := context.Background()
	fake := fcmfake.Start(fcmfake.WithoutRecording(), fcmfake.WithLatency(latency))
	defer fake.Close()
	app, err := firebase.NewApp(ctx, &firebase.Config{ProjectID: "demo-test"},
		option.WithoutAuthentication(), option.WithEndpoint(fake.Endpoint()))
	if err != nil {
		b.Fatal(err)
	}
	client, err := app.Messaging(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				m := fcm.Message(notify.Push{Token: "tok", Title: "待审批：李雷的补卡", Body: "李雷提交了补卡申请",
					Data: map[string]string{"type": "approval.requested", "request_id": "r"}, CollapseID: uuid.NewString()})
				if _, err := client.Send(ctx, m); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	report(b, fake)
}

func benchRiver(b *testing.B, latency time.Duration, workers int, cooldown time.Duration) {
	ctx := context.Background()
	fake := fcmfake.Start(fcmfake.WithoutRecording(), fcmfake.WithLatency(latency))
	defer fake.Close()
	pool := testdb.New(b)
	p, err := fcm.New(ctx, fcm.Config{ProjectID: "demo-test", Endpoint: fake.Endpoint()})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := notify.New(pool, notify.Options{Providers: []notify.Provider{p}, Workers: workers,
		PollInterval: time.Second, FetchCooldown: cooldown, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	tenant := uuid.New()
	// b.N employees with one device each, then one committed notification
	// to all of them: b.N push jobs waiting for workers.
	if _, err := pool.Exec(ctx, `INSERT INTO tenants (id, slug, name) VALUES ($1, 'bench', 'Bench')`, tenant); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO employees (tenant_id, id, employee_no, name, timezone, created_at, updated_at)
		SELECT $1, gen_random_uuid(), 'E' || i, 'Someone', 'Asia/Shanghai', now(), now() FROM generate_series(1, $2) i`, tenant, b.N); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO push_tokens (tenant_id, id, employee_id, provider, token, platform, created_at, updated_at)
		SELECT tenant_id, gen_random_uuid(), id, 'fcm', 'tok-' || employee_no, 'android', now(), now() FROM employees WHERE tenant_id = $1`, tenant); err != nil {
		b.Fatal(err)
	}
	var recips []uuid.UUID
	rows, _ := pool.Query(ctx, `SELECT id FROM employees WHERE tenant_id = $1`, tenant)
	if recips, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID]); err != nil {
		b.Fatal(err)
	}
	m := notify.Message{TenantID: tenant, Recipients: recips, Type: "approval.requested", Template: "approval_requested",
		DedupeKey: "bench", Params: map[string]string{"requester": "李雷", "request_type": "makeup", "summary": "补卡"},
		Data: map[string]string{"request_id": "r"}}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return svc.NotifyTx(ctx, tx, m) }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for fake.Accepted() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d pushes after 10 minutes", fake.Accepted(), b.N)
		}
		time.Sleep(2 * time.Millisecond)
	}
	b.StopTimer()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := svc.Stop(sctx); err != nil {
		b.Fatal(err)
	}
	if n := fake.Requests(); n != int64(b.N) {
		b.Errorf("%d requests for %d jobs", n, b.N)
	}
	report(b, fake)
}

func report(b *testing.B, fake *fcmfake.Server) {
	b.ReportMetric(float64(fake.Accepted())/b.Elapsed().Seconds(), "pushes/s")
}
