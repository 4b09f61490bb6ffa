package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/notify/webhook"
	"github.com/dakahq/daka/org"
)

// EventTypes are the webhook event types Daka publishes. Endpoints may also
// subscribe to "*" (everything) or a prefix such as "request.*".
var EventTypes = []string{
	"punch.created",     // a punch was recorded (app, terminal, make-up or admin)
	"request.created",   // an employee filed a request (make-up, leave, overtime)
	"request.decided",   // a request was approved or rejected
	"request.withdrawn", // the employee withdrew a pending request
	"device.alarm",      // a terminal raised an alarm
	"device.offline",    // a terminal stopped reporting
}

var patternRe = regexp.MustCompile(`^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+)$`)

// Subscribes reports whether an endpoint subscribed to patterns receives an
// event of type typ: an exact name, "*", or "prefix.*".
func Subscribes(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == "*" || p == typ {
			return true
		}
		if pre, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(typ, pre) {
			return true
		}
	}
	return false
}

const (
	maxEndpoints      = 50
	maxResponseStored = 2048
)

// Webhook is a registered endpoint. Its secret is returned only when created.
type Webhook struct {
	ID          uuid.UUID
	URL         string
	EventTypes  []string
	Description string
	CreatedBy   *uuid.UUID
	CreatedAt   time.Time
}

// WebhookInput registers an endpoint.
type WebhookInput struct {
	URL         string
	EventTypes  []string
	Description string
}

// DeliveryAttempt is one try to deliver one event to one endpoint.
type DeliveryAttempt struct {
	ID           uuid.UUID
	EventID      uuid.UUID
	EventType    string
	Attempt      int
	At           time.Time
	StatusCode   *int   // nil when no response arrived
	ResponseBody string // the first 2 KB
	Error        string // why the attempt failed, when it did
	DurationMS   int
	Succeeded    bool
}

func (s *Service) policy() webhook.Policy {
	return webhook.Policy{AllowLoopback: s.o.Webhooks.AllowHTTP, AllowPrivate: s.o.Webhooks.AllowPrivate}
}

func errAdminOnly() error {
	return errs.New(errs.Forbidden, "forbidden", "only admins manage webhooks")
}

// CreateWebhook registers an endpoint and returns it with its signing secret,
// which is never shown again. Admins only; audited.
func (s *Service) CreateWebhook(ctx context.Context, a org.Actor, in WebhookInput) (Webhook, string, error) {
	if !a.IsAdmin() {
		return Webhook{}, "", errAdminOnly()
	}
	var fe errs.Fields
	u, err := s.policy().CheckURL(strings.TrimSpace(in.URL), s.o.Webhooks.AllowHTTP)
	if err != nil {
		fe.Add("url", "invalid_url", "%s", err.Error())
	} else if len(u.String()) > 2000 {
		fe.Add("url", "invalid_url", "the url is longer than 2000 characters")
	}
	types := uniqueStrings(in.EventTypes)
	if len(types) == 0 {
		fe.Add("event_types", "required", "name at least one event type, a prefix such as request.* or *")
	}
	for _, t := range types {
		if !patternRe.MatchString(t) || len(t) > 100 {
			fe.Add("event_types", "invalid_event_type", "%q is not an event type, a prefix.* or *", t)
		}
	}
	desc := strings.TrimSpace(in.Description)
	if utf8.RuneCountInString(desc) > 500 {
		fe.Add("description", "too_long", "the description is longer than 500 characters")
	}
	if err := fe.Err(); err != nil {
		return Webhook{}, "", err
	}
	secret, err := webhook.NewSecret()
	if err != nil {
		return Webhook{}, "", err
	}
	w := Webhook{ID: newID(), URL: u.String(), EventTypes: types, Description: desc, CreatedBy: &a.EmployeeID, CreatedAt: s.now()}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var n int
		// Lock the tenant's endpoints so two creations cannot both pass the cap.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::text, 0))`, a.TenantID); err != nil {
			return fmt.Errorf("notify: lock webhooks: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL`,
			a.TenantID).Scan(&n); err != nil {
			return fmt.Errorf("notify: count webhooks: %w", err)
		}
		if n >= maxEndpoints {
			return errs.New(errs.Conflict, "webhook_limit", "a tenant may register at most %d webhook endpoints", maxEndpoints)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_endpoints (tenant_id, id, url, event_types, description, secret, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.TenantID, w.ID, w.URL, w.EventTypes, w.Description, secret, a.EmployeeID, w.CreatedAt); err != nil {
			return fmt.Errorf("notify: insert webhook: %w", err)
		}
		return org.Audit(ctx, tx, a, w.CreatedAt, "webhook.create", "webhook", w.ID.String(),
			map[string]any{"url": w.URL, "event_types": w.EventTypes, "description": w.Description})
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

const webhookCols = `id, url, event_types, description, created_by, created_at`

func scanWebhook(r pgx.Row) (Webhook, error) {
	var w Webhook
	err := r.Scan(&w.ID, &w.URL, &w.EventTypes, &w.Description, &w.CreatedBy, &w.CreatedAt)
	return w, err
}

func errWebhookNotFound() error { return errs.New(errs.NotFound, "not_found", "webhook not found") }

// GetWebhook returns one live endpoint. Admins only.
func (s *Service) GetWebhook(ctx context.Context, a org.Actor, id uuid.UUID) (Webhook, error) {
	if !a.IsAdmin() {
		return Webhook{}, errAdminOnly()
	}
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints
		WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, a.TenantID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Webhook{}, errWebhookNotFound()
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("notify: webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks returns the live endpoints, newest first. Admins only.
func (s *Service) ListWebhooks(ctx context.Context, a org.Actor, cursor *string, limit *int) ([]Webhook, *string, error) {
	if !a.IsAdmin() {
		return nil, nil, errAdminOnly()
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID, n + 1}
	cond := ""
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		cond = ` AND (created_at, id) < ($3, $4)`
	}
	rows, err := s.pool.Query(ctx, `SELECT `+webhookCols+` FROM webhook_endpoints
		WHERE tenant_id = $1 AND deleted_at IS NULL`+cond+` ORDER BY created_at DESC, id DESC LIMIT $2`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: webhooks: %w", err)
	}
	ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Webhook, error) { return scanWebhook(r) })
	if err != nil {
		return nil, nil, fmt.Errorf("notify: webhooks: %w", err)
	}
	more := len(ws) > n
	if more {
		ws = ws[:n]
	}
	var last page.Cursor
	if len(ws) > 0 {
		last = page.Cursor{T: ws[len(ws)-1].CreatedAt, ID: ws[len(ws)-1].ID}
	}
	return ws, page.Next(more, last), nil
}

// DeleteWebhook stops deliveries to an endpoint (queued ones are dropped).
// Its delivery log stays readable in the database. Admins only; audited.
func (s *Service) DeleteWebhook(ctx context.Context, a org.Actor, id uuid.UUID) error {
	if !a.IsAdmin() {
		return errAdminOnly()
	}
	now := s.now()
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var url string
		err := tx.QueryRow(ctx, `UPDATE webhook_endpoints SET deleted_at = $3
			WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING url`, a.TenantID, id, now).Scan(&url)
		if errors.Is(err, pgx.ErrNoRows) {
			return errWebhookNotFound()
		}
		if err != nil {
			return fmt.Errorf("notify: delete webhook: %w", err)
		}
		return org.Audit(ctx, tx, a, now, "webhook.delete", "webhook", id.String(), map[string]any{"url": url})
	})
}

// ListDeliveries returns the delivery attempts to one endpoint, newest
// first, each with its status code and the first 2 KB of the response.
// Admins only.
func (s *Service) ListDeliveries(ctx context.Context, a org.Actor, endpoint uuid.UUID, cursor *string, limit *int) ([]DeliveryAttempt, *string, error) {
	if _, err := s.GetWebhook(ctx, a, endpoint); err != nil {
		return nil, nil, err
	}
	cur, err := page.Decode(cursor)
	if err != nil {
		return nil, nil, err
	}
	n := page.Limit(limit)
	args := []any{a.TenantID, endpoint, n + 1}
	cond := ""
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		cond = ` AND (at, id) < ($4, $5)`
	}
	rows, err := s.pool.Query(ctx, `SELECT id, event_id, event_type, attempt, at, status_code, response_body, error, duration_ms, succeeded
		FROM webhook_attempts WHERE tenant_id = $1 AND endpoint_id = $2`+cond+` ORDER BY at DESC, id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("notify: deliveries: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (DeliveryAttempt, error) {
		var d DeliveryAttempt
		err := r.Scan(&d.ID, &d.EventID, &d.EventType, &d.Attempt, &d.At, &d.StatusCode, &d.ResponseBody, &d.Error, &d.DurationMS, &d.Succeeded)
		return d, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("notify: deliveries: %w", err)
	}
	more := len(ds) > n
	if more {
		ds = ds[:n]
	}
	var last page.Cursor
	if len(ds) > 0 {
		last = page.Cursor{T: ds[len(ds)-1].At, ID: ds[len(ds)-1].ID}
	}
	return ds, page.Next(more, last), nil
}

// WebhookArgs is the River job that delivers one event to one endpoint.
type WebhookArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	EndpointID uuid.UUID `json:"endpoint_id"`
	EventID    uuid.UUID `json:"event_id"`
}

// Kind names the job for River.
func (WebhookArgs) Kind() string { return "notify.webhook" }

// InsertOpts puts webhook jobs on their queue, unique by arguments.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhooks, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type webhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	s *Service
}

func (w *webhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	err := w.s.deliverWebhook(ctx, job.Args, job.Attempt)
	if err != nil && job.Attempt >= job.MaxAttempts {
		w.s.log.Warn("webhook delivery gave up", "endpoint", job.Args.EndpointID, "event", job.Args.EventID, "attempts", job.Attempt, "err", err)
	}
	return err
}

func (w *webhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration {
	return w.s.o.Webhooks.Timeout + 10*time.Second
}

func (w *webhookWorker) NextRetry(job *river.Job[WebhookArgs]) time.Time {
	return w.s.nextRetry(job.JobRow)
}

// ErrWebhookFailed wraps a delivery attempt that did not get a 2xx.
var ErrWebhookFailed = errors.New("notify: webhook delivery failed")

func (s *Service) deliverWebhook(ctx context.Context, a WebhookArgs, attempt int) error {
	var (
		url, secret, typ string
		body             string
		deleted          bool
	)
	err := s.pool.QueryRow(ctx, `SELECT e.url, e.secret, e.deleted_at IS NOT NULL, ev.type, ev.body
		FROM webhook_endpoints e JOIN webhook_events ev ON ev.tenant_id = e.tenant_id AND ev.id = $3
		WHERE e.tenant_id = $1 AND e.id = $2`, a.TenantID, a.EndpointID, a.EventID).Scan(&url, &secret, &deleted, &typ, &body)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("notify: webhook %s or event %s is gone", a.EndpointID, a.EventID))
	}
	if err != nil {
		return fmt.Errorf("notify: load webhook: %w", err)
	}
	if deleted {
		return nil
	}
	key, err := webhook.DecodeSecret(secret)
	if err != nil {
		return river.JobCancel(fmt.Errorf("notify: webhook %s: %w", a.EndpointID, err))
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(body)))
	if err != nil {
		return river.JobCancel(fmt.Errorf("notify: webhook %s: %w", a.EndpointID, err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Daka-Webhooks/1")
	webhook.SetHeaders(req.Header, key, a.EventID.String(), s.o.Now(), []byte(body))

	rec := DeliveryAttempt{ID: newID(), EventID: a.EventID, EventType: typ, Attempt: attempt}
	resp, err := s.hc.Do(req)
	if err != nil {
		rec.Error = describeHTTPError(err)
	} else {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseStored))
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		resp.Body.Close()
		code := resp.StatusCode
		rec.StatusCode = &code
		rec.ResponseBody = storableText(head)
		rec.Succeeded = code >= 200 && code < 300
		if !rec.Succeeded {
			rec.Error = fmt.Sprintf("the endpoint answered %d", code)
		}
	}
	rec.DurationMS = int(time.Since(start).Milliseconds())
	rec.At = s.now()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.pool.Exec(rctx, `INSERT INTO webhook_attempts (tenant_id, id, endpoint_id, event_id, event_type, attempt, at,
			status_code, response_body, error, duration_ms, succeeded)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		a.TenantID, rec.ID, a.EndpointID, a.EventID, typ, attempt, rec.At, rec.StatusCode, rec.ResponseBody, rec.Error,
		rec.DurationMS, rec.Succeeded); err != nil {
		return fmt.Errorf("notify: record webhook attempt: %w", err)
	}
	if !rec.Succeeded {
		s.webhooks.WithLabelValues("failed").Inc()
		return fmt.Errorf("%w: %s", ErrWebhookFailed, rec.Error)
	}
	s.webhooks.WithLabelValues("delivered").Inc()
	return nil
}

// describeHTTPError names a transport failure without leaking internals
// beyond what the tenant's admin needs to fix their endpoint.
func describeHTTPError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, webhook.ErrForbiddenAddress):
		return "the endpoint resolves to an address deliveries may not reach"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	}
	return truncateUTF8(err.Error(), 500)
}

// storableText makes a response body fit a text column: valid UTF-8, no NULs.
func storableText(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "")
}

func newWebhookClient(o WebhookOptions) *http.Client {
	p := webhook.Policy{AllowLoopback: o.AllowHTTP, AllowPrivate: o.AllowPrivate}
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: p.Control}
	return &http.Client{
		Timeout: o.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would be dialled instead of the endpoint, and escape the guard
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: o.Timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       60 * time.Second,
		},
		// A redirect is the endpoint's answer, logged as a failure: following
		// it would send the signed body somewhere the admin did not register.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func uniqueStrings(ss []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
