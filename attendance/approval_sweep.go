package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// SweepResult counts what one sweep did.
type SweepResult struct {
	Reminded  int
	Escalated int
}

// SweepApprovals sends the reminders and makes the escalations that are due
// at now, across tenants. Pending approvals are reminded once per step (and
// again after each escalation) when their reminder time has passed, and
// escalated when their deadline has: the undecided approvers' own managers
// (or department heads) are added to the step, which from then on needs any
// one approval; when none is left to add, the tenant's admins are; after the
// admins there is no further escalation. Each batch is one transaction that
// skips rows another sweeper holds, so replicas may sweep at once; serve
// calls it on a timer and tests call it with a fake clock.
func (r *Requests) SweepApprovals(ctx context.Context, now time.Time) (SweepResult, error) {
	var res SweepResult
	now = now.UTC().Truncate(time.Microsecond)
	for {
		var n int
		err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT `+approvalCols+` FROM approvals a
				WHERE a.status = 'pending' AND (a.remind_at <= $1 OR a.escalate_at <= $1)
				ORDER BY a.tenant_id, a.id LIMIT $2 FOR UPDATE SKIP LOCKED`, now, r.o.SweepBatch)
			if err != nil {
				return fmt.Errorf("sweep approvals: %w", err)
			}
			due, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Approval, error) { return scanApproval(row) })
			if err != nil {
				return fmt.Errorf("sweep approvals: %w", err)
			}
			n = len(due)
			for i := range due {
				ap := &due[i]
				as, err := loadAssignees(ctx, tx, ap.TenantID, []uuid.UUID{ap.ID})
				if err != nil {
					return err
				}
				ap.Assignees = as[ap.ID]
				if ap.EscalateAt != nil && !ap.EscalateAt.After(now) {
					done, err := r.escalate(ctx, tx, ap, now)
					if err != nil {
						return err
					}
					if done {
						res.Escalated++
						continue
					}
				}
				if ap.RemindAt == nil || ap.RemindAt.After(now) {
					continue
				}
				if err := r.remind(ctx, tx, ap, now); err != nil {
					return err
				}
				res.Reminded++
			}
			return nil
		})
		if err != nil {
			return res, err
		}
		if n < r.o.SweepBatch {
			return res, nil
		}
	}
}

func (ap *Approval) undecided() []uuid.UUID {
	var out []uuid.UUID
	for _, as := range ap.Assignees {
		if as.Step == ap.Step && as.Decision == nil {
			out = append(out, as.ApproverID)
		}
	}
	return out
}

func (r *Requests) remind(ctx context.Context, tx pgx.Tx, ap *Approval, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE approvals SET remind_at = NULL, updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
		ap.TenantID, ap.ID, now); err != nil {
		return fmt.Errorf("remind: %w", err)
	}
	waiting := ap.undecided()
	sys := org.Actor{TenantID: ap.TenantID}
	if err := r.event(ctx, tx, sys, ap.RequestType, ap.RequestID, now, "reminded", nil, nil,
		map[string]any{"approval_id": ap.ID, "step": ap.Step, "approvers": waiting}); err != nil {
		return err
	}
	return r.notifyApprovers(ctx, tx, ap, waiting, "approval.reminder", "approval_reminder", now)
}

// escalate adds the next level to the approval's current step; it reports
// false when nobody was left to add (escalation then stops).
func (r *Requests) escalate(ctx context.Context, tx pgx.Tx, ap *Approval, now time.Time) (bool, error) {
	asked := map[uuid.UUID]bool{}
	adminsAsked := false
	for _, as := range ap.Assignees {
		if as.Step == ap.Step {
			asked[as.ApproverID] = true
			adminsAsked = adminsAsked || as.Via == "admins"
		}
	}
	var add []uuid.UUID
	via := "escalation"
	for _, w := range ap.undecided() {
		ids, err := org.DirectManagers(ctx, tx, ap.TenantID, w, ap.EmployeeID, w)
		if err != nil {
			return false, err
		}
		for _, id := range ids {
			if !asked[id] && !slices.Contains(add, id) {
				add = append(add, id)
			}
		}
	}
	if len(add) == 0 && !adminsAsked {
		ids, err := r.admins(ctx, tx, ap.TenantID, ap.EmployeeID)
		if err != nil {
			return false, err
		}
		via = "admins"
		for _, id := range ids {
			if !asked[id] {
				add = append(add, id)
			}
		}
	}
	if len(add) == 0 {
		// Nobody is left above: keep the reminders, stop escalating.
		if _, err := tx.Exec(ctx, `UPDATE approvals SET escalate_at = NULL, updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
			ap.TenantID, ap.ID, now); err != nil {
			return false, fmt.Errorf("escalate: %w", err)
		}
		return false, nil
	}
	ap.Escalations++
	ap.StepMode = ModeAny
	ap.RemindAt, ap.EscalateAt = timers(ap.Flow, now)
	if via == "admins" {
		ap.EscalateAt = nil // the admins are the last level
	}
	if _, err := tx.Exec(ctx, `UPDATE approvals SET escalations = $3, step_mode = $4, step_started_at = $5, remind_at = $6,
			escalate_at = $7, updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
		ap.TenantID, ap.ID, ap.Escalations, ap.StepMode, now, ap.RemindAt, ap.EscalateAt); err != nil {
		return false, fmt.Errorf("escalate: %w", err)
	}
	ap.StepStartedAt = now
	if err := r.assign(ctx, tx, ap, add, via, now); err != nil {
		return false, err
	}
	sys := org.Actor{TenantID: ap.TenantID}
	if err := r.event(ctx, tx, sys, ap.RequestType, ap.RequestID, now, "escalated", nil, nil,
		map[string]any{"approval_id": ap.ID, "step": ap.Step, "added": add, "via": via, "escalations": ap.Escalations}); err != nil {
		return false, err
	}
	return true, r.notifyApprovers(ctx, tx, ap, add, "approval.escalated", "approval_escalated", now)
}

// Delegation hands an approver's decisions to a delegate while they are away.
type Delegation struct {
	EmployeeID uuid.UUID
	DelegateID uuid.UUID
	From, To   time.Time
	CreatedAt  time.Time
	Active     bool // now is within [From, To)
}

// SetDelegation makes delegate decide for the caller from from until to
// (replacing any earlier delegation). The delegate sees and decides what
// waits for the caller while it runs; delegations do not chain. Audited.
func (r *Requests) SetDelegation(ctx context.Context, a org.Actor, delegate uuid.UUID, from, to time.Time) (Delegation, error) {
	now := r.now()
	from, to = from.UTC().Truncate(time.Microsecond), to.UTC().Truncate(time.Microsecond)
	var f errs.Fields
	if delegate == a.EmployeeID {
		f.Add("delegate_id", "invalid_delegate", "you cannot delegate to yourself")
	}
	switch {
	case !to.After(from):
		f.Add("to", "invalid_range", "to must be after from")
	case !to.After(now):
		f.Add("to", "invalid_range", "this delegation would already be over")
	case to.Sub(from) > 366*24*time.Hour:
		f.Add("to", "invalid_range", "a delegation lasts at most a year")
	}
	if err := f.Err(); err != nil {
		return Delegation{}, err
	}
	d := Delegation{EmployeeID: a.EmployeeID, DelegateID: delegate, From: from, To: to, CreatedAt: now,
		Active: !now.Before(from) && now.Before(to)}
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		ok, err := org.ActiveEmployees(ctx, tx, a.TenantID, []uuid.UUID{delegate})
		if err != nil {
			return err
		}
		if len(ok) == 0 {
			return errs.FieldErr("delegate_id", "unknown_employee", "no active employee with this id")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO delegations (tenant_id, employee_id, delegate_id, starts_at, ends_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, employee_id) DO UPDATE
			SET delegate_id = excluded.delegate_id, starts_at = excluded.starts_at, ends_at = excluded.ends_at, created_at = excluded.created_at`,
			a.TenantID, a.EmployeeID, delegate, from, to, now); err != nil {
			return fmt.Errorf("set delegation: %w", err)
		}
		return org.Audit(ctx, tx, a, now, "delegation.set", "employee", a.EmployeeID.String(),
			map[string]any{"delegate_id": delegate, "from": from, "to": to})
	})
	return d, err
}

// GetDelegation returns the caller's delegation (404 when there is none).
func (r *Requests) GetDelegation(ctx context.Context, a org.Actor) (Delegation, error) {
	d := Delegation{EmployeeID: a.EmployeeID}
	err := r.pool.QueryRow(ctx, `SELECT delegate_id, starts_at, ends_at, created_at FROM delegations WHERE tenant_id = $1 AND employee_id = $2`,
		a.TenantID, a.EmployeeID).Scan(&d.DelegateID, &d.From, &d.To, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, errs.New(errs.NotFound, "not_found", "you have no delegation")
	}
	if err != nil {
		return d, fmt.Errorf("get delegation: %w", err)
	}
	now := r.now()
	d.Active = !now.Before(d.From) && now.Before(d.To)
	return d, nil
}

// DeleteDelegation ends the caller's delegation now (404 when there is none). Audited.
func (r *Requests) DeleteDelegation(ctx context.Context, a org.Actor) error {
	now := r.now()
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var delegate uuid.UUID
		err := tx.QueryRow(ctx, `DELETE FROM delegations WHERE tenant_id = $1 AND employee_id = $2 RETURNING delegate_id`,
			a.TenantID, a.EmployeeID).Scan(&delegate)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.New(errs.NotFound, "not_found", "you have no delegation")
		}
		if err != nil {
			return fmt.Errorf("delete delegation: %w", err)
		}
		return org.Audit(ctx, tx, a, now, "delegation.delete", "employee", a.EmployeeID.String(), map[string]any{"delegate_id": delegate})
	})
}
