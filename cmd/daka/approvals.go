package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/notify"
)

// notifier lets notify.Service serve as attendance's Notifier: the two
// packages' message and event types have the same fields, so attendance does
// not import notify and this adapter is a conversion.
type notifier struct{ s *notify.Service }

func (n notifier) NotifyTx(ctx context.Context, tx pgx.Tx, m attendance.Notification) error {
	return n.s.NotifyTx(ctx, tx, notify.Message(m))
}

func (n notifier) PublishTx(ctx context.Context, tx pgx.Tx, e attendance.Event) error {
	return n.s.PublishTx(ctx, tx, notify.Event(e))
}

// newRequests builds the request and approval service; without a notify
// service nobody is notified (the requests still work).
func newRequests(att *attendance.Service, ntf *notify.Service) *attendance.Requests {
	o := attendance.RequestOptions{}
	if ntf != nil {
		o.Notifier = notifier{ntf}
	}
	return attendance.NewRequests(att, o)
}

// runApprovalSweeper sends due approval reminders and makes due escalations
// every interval until ctx ends. Every replica may run it: the sweep skips
// approvals another replica is handling.
func runApprovalSweeper(ctx context.Context, reqs *attendance.Requests, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := reqs.SweepApprovals(ctx, time.Now())
		switch {
		case err != nil && ctx.Err() == nil:
			log.Error("approval sweep failed", "err", err)
		case res.Reminded+res.Escalated > 0:
			log.Info("approval sweep", "reminded", res.Reminded, "escalated", res.Escalated)
		}
	}
}
