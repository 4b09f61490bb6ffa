package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/dakahq/daka/org"
)

// Message is one notification to some users, delivered to their inboxes now
// and to their devices by push.
type Message struct {
	TenantID   uuid.UUID
	Recipients []uuid.UUID       // employee ids; duplicates ignored
	Type       string            // machine type the app routes on, e.g. "approval.requested", "request.decided", "device.alarm"
	Template   string            // template key, e.g. "approval_requested"; params fill it in zh-CN and en
	Params     map[string]string // template parameters; see Templates for each template's names
	Data       map[string]string // push data payload (request_id, type, ...), also stored with the inbox item
	DedupeKey  string            // same key for the same recipient → one notification (exactly once per event)
}

// Event is a webhook event for payroll/OA systems.
type Event struct {
	TenantID   uuid.UUID
	ID         uuid.UUID // the webhook-id receivers deduplicate on; uuid.Nil: a new UUIDv7
	Type       string    // punch.created, request.decided, ...; see EventTypes
	OccurredAt time.Time // the payload's timestamp
	Data       any       // marshalled to JSON as the payload's "data"
}

// Sentinel errors of the package.
var (
	ErrInvalidMessage  = errors.New("notify: invalid message")
	ErrUnknownTemplate = errors.New("notify: unknown template")
	ErrInvalidEvent    = errors.New("notify: invalid event")
)

var (
	typeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	// reservedData are keys FCM refuses in a data payload, plus the two Daka
	// sets itself so the app can always route.
	reservedData = map[string]bool{"from": true, "message_type": true, "notification": true, "collapse_key": true,
		"type": true, "notification_id": true}
)

const (
	maxDedupeKey = 200
	maxDataBytes = 3000 // FCM allows 4096 bytes of payload; leave room for title, body and our keys
)

func (m *Message) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidMessage, fmt.Sprintf(format, args...))
	}
	switch {
	case m.TenantID == uuid.Nil:
		return bad("no tenant")
	case !typeRe.MatchString(m.Type) || len(m.Type) > 100:
		return bad("type %q is not a dotted lower-case name", m.Type)
	case m.DedupeKey == "" || len(m.DedupeKey) > maxDedupeKey || !utf8.ValidString(m.DedupeKey):
		return bad("the dedupe key must be 1 to %d bytes of UTF-8", maxDedupeKey)
	}
	if _, ok := templates[m.Template]; !ok {
		return fmt.Errorf("%w: %q", ErrUnknownTemplate, m.Template)
	}
	size := 0
	for k, v := range m.Data {
		if reservedData[k] || strings.HasPrefix(k, "google.") || strings.HasPrefix(k, "gcm.") || k == "" {
			return bad("data key %q is reserved", k)
		}
		size += len(k) + len(v)
	}
	if size > maxDataBytes {
		return bad("the data payload is %d bytes, more than %d", size, maxDataBytes)
	}
	return nil
}

// NotifyTx records m in each recipient's inbox and queues its push to every
// device they have registered, all inside the caller's transaction: nothing
// is sent if tx rolls back, and everything is sent (by any replica's workers)
// once it commits. A recipient who already has a notification with
// m.DedupeKey gets nothing new, so calling NotifyTx again for the same event
// is harmless. Titles and bodies are rendered from m.Template in each
// recipient's locale (their newest device's locale, else the service
// default). Recipients must be employees of m.TenantID.
func (s *Service) NotifyTx(ctx context.Context, tx pgx.Tx, m Message) error {
	if err := m.validate(); err != nil {
		return err
	}
	recips := uniqueIDs(m.Recipients)
	if len(recips) == 0 {
		return nil
	}
	locales, err := s.recipientLocales(ctx, tx, m.TenantID, recips)
	if err != nil {
		return err
	}
	params, err := json.Marshal(orEmpty(m.Params))
	if err != nil {
		return fmt.Errorf("notify: params: %w", err)
	}
	data, err := json.Marshal(orEmpty(m.Data))
	if err != nil {
		return fmt.Errorf("notify: data: %w", err)
	}
	now := s.now()
	n := len(recips)
	ids, titles, bodies, locs := make([]uuid.UUID, n), make([]string, n), make([]string, n), make([]string, n)
	for i, r := range recips {
		ids[i] = newID()
		locs[i] = locales[r]
		titles[i], bodies[i] = render(m.Template, locs[i], m.Params)
	}
	rows, err := tx.Query(ctx, `INSERT INTO notifications (tenant_id, id, recipient_id, type, template, params, locale,
			title, body, data, dedupe_key, created_at)
		SELECT $1, u.id, u.recipient_id, $2, $3, $4, u.locale, u.title, u.body, $5, $6, $7
		FROM unnest($8::uuid[], $9::uuid[], $10::text[], $11::text[], $12::text[]) AS u(id, recipient_id, locale, title, body)
		ON CONFLICT (tenant_id, recipient_id, dedupe_key) DO NOTHING
		RETURNING id, recipient_id`,
		m.TenantID, m.Type, m.Template, params, data, m.DedupeKey, now, ids, recips, locs, titles, bodies)
	if err != nil {
		return fmt.Errorf("notify: insert notifications: %w", err)
	}
	created := map[uuid.UUID]uuid.UUID{} // recipient → notification
	for rows.Next() {
		var id, r uuid.UUID
		if err := rows.Scan(&id, &r); err != nil {
			rows.Close()
			return fmt.Errorf("notify: insert notifications: %w", err)
		}
		created[r] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: insert notifications: %w", err)
	}
	if len(created) == 0 || len(s.providers) == 0 {
		return nil
	}
	return s.queuePushes(ctx, tx, m.TenantID, created)
}

// queuePushes inserts one push job per (notification, token) for the tokens
// whose provider this service has; tokens for channels not configured keep
// their rows but get no jobs.
func (s *Service) queuePushes(ctx context.Context, tx pgx.Tx, tenant uuid.UUID, created map[uuid.UUID]uuid.UUID) error {
	recips := make([]uuid.UUID, 0, len(created))
	for r := range created {
		recips = append(recips, r)
	}
	rows, err := tx.Query(ctx, `SELECT id, employee_id FROM push_tokens
		WHERE tenant_id = $1 AND employee_id = ANY($2) AND provider = ANY($3)`, tenant, recips, s.providerNames())
	if err != nil {
		return fmt.Errorf("notify: push tokens: %w", err)
	}
	var jobs []river.InsertManyParams
	for rows.Next() {
		var tok, emp uuid.UUID
		if err := rows.Scan(&tok, &emp); err != nil {
			rows.Close()
			return fmt.Errorf("notify: push tokens: %w", err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: PushArgs{TenantID: tenant, NotificationID: created[emp], TokenID: tok},
			InsertOpts: &river.InsertOpts{MaxAttempts: s.o.PushMaxAttempts}})
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: push tokens: %w", err)
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := s.river.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("notify: queue pushes: %w", err)
	}
	return nil
}

// recipientLocales picks each recipient's locale: the locale of the device
// they registered or refreshed last, else the service default.
func (s *Service) recipientLocales(ctx context.Context, tx pgx.Tx, tenant uuid.UUID, recips []uuid.UUID) (map[uuid.UUID]string, error) {
	out := make(map[uuid.UUID]string, len(recips))
	for _, r := range recips {
		out[r] = s.o.DefaultLocale
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT ON (employee_id) employee_id, locale FROM push_tokens
		WHERE tenant_id = $1 AND employee_id = ANY($2) AND locale IS NOT NULL
		ORDER BY employee_id, updated_at DESC`, tenant, recips)
	if err != nil {
		return nil, fmt.Errorf("notify: locales: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var loc string
		if err := rows.Scan(&id, &loc); err != nil {
			return nil, fmt.Errorf("notify: locales: %w", err)
		}
		out[id] = NormaliseLocale(loc, s.o.DefaultLocale)
	}
	return out, rows.Err()
}

// PublishTx queues e for every live webhook endpoint of the tenant that
// subscribes to e.Type, inside the caller's transaction: one signed delivery
// job per endpoint, retried with backoff until the endpoint answers 2xx.
// Publishing the same event id twice delivers it once per endpoint.
func (s *Service) PublishTx(ctx context.Context, tx pgx.Tx, e Event) error {
	if e.TenantID == uuid.Nil || !typeRe.MatchString(e.Type) || len(e.Type) > 100 {
		return fmt.Errorf("%w: tenant and a dotted lower-case type are required (type %q)", ErrInvalidEvent, e.Type)
	}
	if e.ID == uuid.Nil {
		e.ID = newID()
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = s.now()
	}
	rows, err := tx.Query(ctx, `SELECT id, event_types FROM webhook_endpoints WHERE tenant_id = $1 AND deleted_at IS NULL`, e.TenantID)
	if err != nil {
		return fmt.Errorf("notify: webhook endpoints: %w", err)
	}
	var jobs []river.InsertManyParams
	for rows.Next() {
		var id uuid.UUID
		var types []string
		if err := rows.Scan(&id, &types); err != nil {
			rows.Close()
			return fmt.Errorf("notify: webhook endpoints: %w", err)
		}
		if Subscribes(types, e.Type) {
			jobs = append(jobs, river.InsertManyParams{Args: WebhookArgs{TenantID: e.TenantID, EndpointID: id, EventID: e.ID},
				InsertOpts: &river.InsertOpts{MaxAttempts: s.o.WebhookMaxAttempts}})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("notify: webhook endpoints: %w", err)
	}
	if len(jobs) == 0 {
		return nil
	}
	body, err := json.Marshal(struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
		Data      any       `json:"data"`
	}{e.Type, e.OccurredAt.UTC(), e.Data})
	if err != nil {
		return fmt.Errorf("%w: data: %w", ErrInvalidEvent, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO webhook_events (tenant_id, id, type, occurred_at, body, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO NOTHING`,
		e.TenantID, e.ID, e.Type, e.OccurredAt, string(body), s.now()); err != nil {
		return fmt.Errorf("notify: webhook event: %w", err)
	}
	if _, err := s.river.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("notify: queue webhooks: %w", err)
	}
	return nil
}

// Admins returns the tenant's active admins (whom alarms and requests without
// a reachable approver go to), read in the caller's transaction.
func (s *Service) Admins(ctx context.Context, q pgx.Tx, tenant uuid.UUID) ([]uuid.UUID, error) {
	ids, err := org.ActiveAdmins(ctx, q, tenant)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return ids, nil
}

func uniqueIDs(ids []uuid.UUID) []uuid.UUID {
	seen := make(map[uuid.UUID]bool, len(ids))
	out := make([]uuid.UUID, 0, len(ids))
	for _, id := range ids {
		if id != uuid.Nil && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}
