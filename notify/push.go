package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// PushArgs is the River job that sends one notification to one device token.
// Jobs are unique by their arguments, so (notification, token) is queued once.
type PushArgs struct {
	TenantID       uuid.UUID `json:"tenant_id"`
	NotificationID uuid.UUID `json:"notification_id"`
	TokenID        uuid.UUID `json:"token_id"`
}

// Kind names the job for River.
func (PushArgs) Kind() string { return "notify.push" }

// InsertOpts puts push jobs on their queue, unique by arguments.
func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueuePush, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type pushWorker struct {
	river.WorkerDefaults[PushArgs]
	s *Service
}

func (w *pushWorker) Work(ctx context.Context, job *river.Job[PushArgs]) error {
	return w.s.deliverPush(ctx, job.Args, job.Attempt, job.MaxAttempts)
}

func (w *pushWorker) Timeout(*river.Job[PushArgs]) time.Duration { return 30 * time.Second }

func (w *pushWorker) NextRetry(job *river.Job[PushArgs]) time.Time { return w.s.nextRetry(job.JobRow) }

// ErrPushFailed wraps a push attempt that should be retried.
var ErrPushFailed = errors.New("notify: push failed")

// deliverPush sends one notification to one token, at most once per
// (notification, token) as far as the delivery record can tell.
func (s *Service) deliverPush(ctx context.Context, a PushArgs, attempt, maxAttempts int) error {
	var (
		recipient, owner       uuid.UUID
		typ, tmpl, title, body string
		locale                 string
		params, data           []byte
		provider, token, plat  string
		tokLocale, status      *string
		hasToken               bool
	)
	err := s.pool.QueryRow(ctx, `SELECT n.recipient_id, n.type, n.template, n.params, n.locale, n.title, n.body, n.data,
			t.id IS NOT NULL, coalesce(t.employee_id, n.recipient_id), coalesce(t.provider, ''), coalesce(t.token, ''),
			coalesce(t.platform, ''), t.locale, d.status
		FROM notifications n
		LEFT JOIN push_tokens t ON t.tenant_id = n.tenant_id AND t.id = $3
		LEFT JOIN push_deliveries d ON d.tenant_id = n.tenant_id AND d.notification_id = n.id AND d.token_id = $3
		WHERE n.tenant_id = $1 AND n.id = $2`, a.TenantID, a.NotificationID, a.TokenID).
		Scan(&recipient, &typ, &tmpl, &params, &locale, &title, &body, &data, &hasToken, &owner, &provider, &token, &plat, &tokLocale, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("notify: notification %s is gone", a.NotificationID))
	}
	if err != nil {
		return fmt.Errorf("notify: load push: %w", err)
	}
	if status != nil || !hasToken || owner != recipient {
		s.pushes.WithLabelValues(provider, "skipped").Inc()
	}
	switch {
	case status != nil:
		// Already delivered (or settled) by an earlier run of this job: the
		// crash came after the record and before River marked it complete.
		s.log.Info("push already settled; not sending again", "notification", a.NotificationID, "token", a.TokenID, "status", *status)
		return nil
	case !hasToken:
		return nil // removed (logout, uninstall) since the job was queued
	case owner != recipient:
		return nil // the device now belongs to someone else: never show them this
	}
	p, ok := s.providers[provider]
	if !ok {
		return river.JobCancel(fmt.Errorf("notify: push provider %q is not configured", provider))
	}
	push := Push{Token: token, Platform: plat, Title: title, Body: body, CollapseID: a.NotificationID.String(),
		Data: map[string]string{}}
	if err := json.Unmarshal(data, &push.Data); err != nil {
		return river.JobCancel(fmt.Errorf("notify: data of %s: %w", a.NotificationID, err))
	}
	push.Data["type"], push.Data["notification_id"] = typ, a.NotificationID.String()
	// A device may read another language than the inbox was written in.
	if tokLocale != nil {
		if l := NormaliseLocale(*tokLocale, locale); l != locale {
			var pm map[string]string
			if json.Unmarshal(params, &pm) == nil {
				if _, known := templates[tmpl]; known {
					push.Title, push.Body = render(tmpl, l, pm)
				}
			}
		}
	}

	res, sendErr := p.Send(ctx, push)
	if sendErr != nil {
		res = Result{Outcome: RetryLater, Reason: sendErr.Error()}
	}
	// The record must survive a job context cancelled by shutdown right
	// after the provider accepted: that is what stops a second send.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	outcome := "retry"
	if res.Outcome != RetryLater {
		outcome = res.Outcome.String()
	} else if attempt >= maxAttempts {
		outcome = "failed"
	}
	s.pushes.WithLabelValues(provider, outcome).Inc()
	switch res.Outcome {
	case Delivered:
		return s.recordPush(rctx, a, provider, Delivered, res.MessageID, "")
	case TokenInvalid:
		s.log.Info("push token invalid; removing it", "provider", provider, "token", a.TokenID, "reason", res.Reason)
		return pgx.BeginFunc(rctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(rctx, `DELETE FROM push_tokens WHERE tenant_id = $1 AND id = $2 AND token = $3`,
				a.TenantID, a.TokenID, token); err != nil {
				return fmt.Errorf("notify: remove token: %w", err)
			}
			return s.recordPushQ(rctx, tx, a, provider, TokenInvalid, "", res.Reason)
		})
	case Rejected:
		s.log.Error("push rejected by the provider", "provider", provider, "notification", a.NotificationID, "reason", res.Reason)
		if err := s.recordPush(rctx, a, provider, Rejected, "", res.Reason); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("%w: rejected: %s", ErrPushFailed, res.Reason))
	}
	if attempt >= maxAttempts {
		if err := s.recordPushStatus(rctx, s.pool, a, provider, "failed", "", res.Reason); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s: %s", ErrPushFailed, provider, res.Reason)
}

func (s *Service) recordPush(ctx context.Context, a PushArgs, provider string, o Outcome, msgID, reason string) error {
	return s.recordPushStatus(ctx, s.pool, a, provider, o.String(), msgID, reason)
}

func (s *Service) recordPushQ(ctx context.Context, tx pgx.Tx, a PushArgs, provider string, o Outcome, msgID, reason string) error {
	return s.recordPushStatus(ctx, tx, a, provider, o.String(), msgID, reason)
}

// recordPushStatus writes the settled outcome of (notification, token); the
// first record wins, so a late duplicate cannot overwrite a delivery.
func (s *Service) recordPushStatus(ctx context.Context, q querier, a PushArgs, provider, status, msgID, reason string) error {
	if len(reason) > 500 {
		reason = truncateUTF8(reason, 500)
	}
	if _, err := q.Exec(ctx, `INSERT INTO push_deliveries (tenant_id, notification_id, token_id, provider, status, message_id, reason, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id, notification_id, token_id) DO NOTHING`,
		a.TenantID, a.NotificationID, a.TokenID, provider, status, msgID, reason, s.now()); err != nil {
		return fmt.Errorf("notify: record push: %w", err)
	}
	return nil
}
