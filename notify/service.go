package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// The River queues this package works. Push and webhooks have separate queues
// so a slow payroll endpoint cannot hold up pushes.
const (
	QueuePush     = "notify_push"
	QueueWebhooks = "notify_webhooks"
)

// Options configure the Service; zero values get the defaults noted.
type Options struct {
	// Providers are the push channels, keyed by Name(). None: push is off
	// (inbox items are still written and no push jobs are queued).
	Providers []Provider
	// Workers is how many jobs of each queue this process runs at once
	// (default 10; DAKA_WORKERS).
	Workers int
	// DefaultLocale is the locale for recipients without a device locale
	// (default zh-CN).
	DefaultLocale string
	// PollInterval is how often idle workers look for jobs when the LISTEN
	// notification is missed (default 1 s; tests use less).
	PollInterval time.Duration
	// FetchCooldown is the least time between two fetches of a busy queue
	// (default 5 ms). River's own default, 100 ms, caps a queue at about
	// Workers×10 jobs a second however fast each job is
	// (docs/benchmarks/push.md).
	FetchCooldown time.Duration
	// RetryBackoff, when set, replaces River's attempt⁴-seconds backoff
	// (tests shorten it).
	RetryBackoff func(attempt int) time.Duration
	// PushMaxAttempts and WebhookMaxAttempts bound the retries (defaults 8
	// and 15: about 1.3 hours and 1.5 days with the default backoff).
	PushMaxAttempts    int
	WebhookMaxAttempts int
	// Webhooks: what deliveries may reach.
	Webhooks WebhookOptions
	Logger   *slog.Logger
	Now      func() time.Time
	// Registerer receives the delivery counters (daka_push_total,
	// daka_webhook_attempts_total); nil: they are kept but not exported.
	Registerer prometheus.Registerer
}

// WebhookOptions guard outgoing webhook requests.
type WebhookOptions struct {
	// AllowHTTP accepts http:// URLs whose host is a loopback address (tests
	// and local development; DAKA_WEBHOOK_ALLOW_HTTP). Everything else must
	// be https.
	AllowHTTP bool
	// AllowPrivate lets deliveries reach private and loopback addresses (an
	// OA system on the company network; DAKA_WEBHOOK_ALLOW_PRIVATE).
	// Link-local (cloud metadata), unspecified and multicast addresses are
	// never reached.
	AllowPrivate bool
	// Timeout bounds one delivery attempt (default 10 s).
	Timeout time.Duration
}

// Service is the notification centre: inbox, push tokens, push and webhook
// delivery. One per process; its River client runs the workers after Start.
type Service struct {
	pool      *pgxpool.Pool
	o         Options
	log       *slog.Logger
	providers map[string]Provider
	river     *river.Client[pgx.Tx]
	hc        *http.Client
	pushes    *prometheus.CounterVec
	webhooks  *prometheus.CounterVec
}

// New builds the service and its River client. The client can queue jobs at
// once; it works them only after Start.
func New(pool *pgxpool.Pool, o Options) (*Service, error) {
	if o.Workers <= 0 {
		o.Workers = 10
	}
	if o.DefaultLocale == "" {
		o.DefaultLocale = LocaleZhCN
	}
	if o.DefaultLocale != LocaleZhCN && o.DefaultLocale != LocaleEn {
		return nil, fmt.Errorf("notify: default locale %q is not zh-CN or en", o.DefaultLocale)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.FetchCooldown <= 0 {
		o.FetchCooldown = 5 * time.Millisecond
	}
	o.FetchCooldown = min(o.FetchCooldown, o.PollInterval)
	if o.PushMaxAttempts <= 0 {
		o.PushMaxAttempts = 8
	}
	if o.WebhookMaxAttempts <= 0 {
		o.WebhookMaxAttempts = 15
	}
	if o.Webhooks.Timeout <= 0 {
		o.Webhooks.Timeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{pool: pool, o: o, log: o.Logger, providers: map[string]Provider{}}
	for _, p := range o.Providers {
		if p == nil || p.Name() == "" {
			return nil, errors.New("notify: a provider without a name")
		}
		if _, dup := s.providers[p.Name()]; dup {
			return nil, fmt.Errorf("notify: provider %q given twice", p.Name())
		}
		s.providers[p.Name()] = p
	}
	s.hc = newWebhookClient(o.Webhooks)
	s.pushes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "daka_push_total",
		Help: "Push attempts by provider and outcome (delivered, token_invalid, rejected, retry, failed, skipped)."}, []string{"provider", "outcome"})
	s.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "daka_webhook_attempts_total",
		Help: "Webhook delivery attempts by outcome (delivered, failed)."}, []string{"outcome"})
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{s.pushes, s.webhooks} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("notify: metrics: %w", err)
			}
		}
	}

	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &pushWorker{s: s}); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &webhookWorker{s: s}); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: o.Logger.With("component", "river"),
		Queues: map[string]river.QueueConfig{
			QueuePush:     {MaxWorkers: o.Workers},
			QueueWebhooks: {MaxWorkers: o.Workers},
		},
		Workers:           workers,
		FetchPollInterval: o.PollInterval,
		FetchCooldown:     o.FetchCooldown,
		// A job left running by a crashed process is retried after this.
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 3 * time.Minute,
		// Completed job rows (and so River's own uniqueness) last a week; the
		// inbox dedupe key and delivery records hold for good.
		CompletedJobRetentionPeriod: 7 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("notify: river: %w", err)
	}
	s.river = client
	return s, nil
}

// PushEnabled reports whether any push provider is configured.
func (s *Service) PushEnabled() bool { return len(s.providers) > 0 }

// Start runs this process's workers until Stop. Every replica runs them;
// River hands each job to one of them. Cancelling ctx does not stop them
// (the server's signal context ends before it drains): Stop does, gracefully.
func (s *Service) Start(ctx context.Context) error {
	if err := s.river.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("notify: start workers: %w", err)
	}
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels them (a
// cancelled job is retried later, by this replica or another).
func (s *Service) Stop(ctx context.Context) error {
	err := s.river.Stop(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("notify: stop workers: %w", err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.river.StopAndCancel(cctx); err != nil {
		return fmt.Errorf("notify: stop workers: %w", err)
	}
	return nil
}

// querier is what pgxpool.Pool and pgx.Tx have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// providerNames lists the configured providers, for the token query.
func (s *Service) providerNames() []string {
	names := make([]string, 0, len(s.providers))
	for n := range s.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// now is the one timestamp of an operation, truncated to what PostgreSQL keeps.
func (s *Service) now() time.Time { return s.o.Now().UTC().Truncate(time.Microsecond) }

// nextRetry is the retry time for a failed job: Options.RetryBackoff when
// set, else zero (River's default policy).
func (s *Service) nextRetry(job *rivertype.JobRow) time.Time {
	if s.o.RetryBackoff == nil {
		return time.Time{}
	}
	return time.Now().Add(s.o.RetryBackoff(job.Attempt))
}
