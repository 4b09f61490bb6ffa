package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// Notification is one inbox item.
type Notification struct {
	ID        uuid.UUID
	Type      string
	Title     string
	Body      string
	Locale    string
	Data      map[string]string
	ReadAt    *time.Time
	CreatedAt time.Time
}

// InboxFilter narrows ListInbox.
type InboxFilter struct {
	UnreadOnly bool
	Cursor     *string
	Limit      *int
}

const notificationCols = `id, type, title, body, locale, data, read_at, created_at`

func scanNotification(r pgx.Row) (Notification, error) {
	var n Notification
	var data []byte
	if err := r.Scan(&n.ID, &n.Type, &n.Title, &n.Body, &n.Locale, &data, &n.ReadAt, &n.CreatedAt); err != nil {
		return n, err
	}
	n.Data = map[string]string{}
	if err := json.Unmarshal(data, &n.Data); err != nil {
		return n, fmt.Errorf("notification data: %w", err)
	}
	return n, nil
}

// ListInbox returns the actor's notifications, newest first, with how many
// are unread in all.
func (s *Service) ListInbox(ctx context.Context, a org.Actor, f InboxFilter) (items []Notification, next *string, unread int, err error) {
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, 0, err
	}
	n := page.Limit(f.Limit)
	args := []any{a.TenantID, a.EmployeeID, n + 1}
	cond := ""
	if f.UnreadOnly {
		cond += ` AND read_at IS NULL`
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		cond += ` AND (created_at, id) < ($4, $5)`
	}
	// One snapshot for the page and the count, so they agree.
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+notificationCols+` FROM notifications
			WHERE tenant_id = $1 AND recipient_id = $2`+cond+` ORDER BY created_at DESC, id DESC LIMIT $3`, args...)
		if err != nil {
			return err
		}
		items, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Notification, error) { return scanNotification(r) })
		if err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM notifications
			WHERE tenant_id = $1 AND recipient_id = $2 AND read_at IS NULL`, a.TenantID, a.EmployeeID).Scan(&unread)
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("notify: inbox: %w", err)
	}
	more := len(items) > n
	if more {
		items = items[:n]
	}
	var last page.Cursor
	if len(items) > 0 {
		last = page.Cursor{T: items[len(items)-1].CreatedAt, ID: items[len(items)-1].ID}
	}
	return items, page.Next(more, last), unread, nil
}

// UnreadCount returns how many of the actor's notifications are unread.
func (s *Service) UnreadCount(ctx context.Context, a org.Actor) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications
		WHERE tenant_id = $1 AND recipient_id = $2 AND read_at IS NULL`, a.TenantID, a.EmployeeID).Scan(&n); err != nil {
		return 0, fmt.Errorf("notify: unread count: %w", err)
	}
	return n, nil
}

// MarkRead marks one of the actor's notifications read and returns it. It is
// idempotent: a notification read before keeps its first read time. Someone
// else's notification is not found.
func (s *Service) MarkRead(ctx context.Context, a org.Actor, id uuid.UUID) (Notification, error) {
	n, err := scanNotification(s.pool.QueryRow(ctx, `UPDATE notifications SET read_at = coalesce(read_at, $4)
		WHERE tenant_id = $1 AND recipient_id = $2 AND id = $3 RETURNING `+notificationCols,
		a.TenantID, a.EmployeeID, id, s.now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, errs.New(errs.NotFound, "not_found", "notification not found")
	}
	if err != nil {
		return Notification{}, fmt.Errorf("notify: mark read: %w", err)
	}
	return n, nil
}

// MarkAllRead marks every unread notification of the actor created up to
// now read, and returns how many changed. One that arrives while the app
// calls this stays unread, as the user has not seen it.
func (s *Service) MarkAllRead(ctx context.Context, a org.Actor) (int, error) {
	now := s.now()
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET read_at = $3
		WHERE tenant_id = $1 AND recipient_id = $2 AND read_at IS NULL AND created_at <= $3`, a.TenantID, a.EmployeeID, now)
	if err != nil {
		return 0, fmt.Errorf("notify: mark all read: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
