package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

func outcomeOf(action string) string {
	if action == ActionReject {
		return StatusRejected
	}
	return StatusApproved
}

// validComment trims an optional decision comment: at most 1000 characters.
func validComment(c *string) (*string, error) {
	if c == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*c)
	if v == "" {
		return nil, nil
	}
	if len([]rune(v)) > 1000 {
		return nil, errs.FieldErr("comment", "invalid_comment", "a comment has at most 1000 characters")
	}
	return &v, nil
}

func errApprovalNotFound() error { return errs.New(errs.NotFound, "not_found", "approval not found") }

const assigneesSQL = `SELECT approval_id, step, approver_id, via, assigned_at, decision, decided_at, decided_by
	FROM approval_assignees WHERE tenant_id = $1 AND approval_id = ANY($2) ORDER BY step, assigned_at, approver_id`

// scanAssignees adds the rows of assigneesSQL to out, by approval.
func scanAssignees(rows pgx.Rows, out map[uuid.UUID][]Assignee) error {
	var apID uuid.UUID
	var as Assignee
	_, err := pgx.ForEachRow(rows, []any{&apID, &as.Step, &as.ApproverID, &as.Via, &as.AssignedAt, &as.Decision, &as.DecidedAt, &as.DecidedBy},
		func() error {
			out[apID] = append(out[apID], as)
			return nil
		})
	if err != nil {
		return fmt.Errorf("approval assignees: %w", err)
	}
	return nil
}

// loadAssignees reads every assignee of the given approvals.
func loadAssignees(ctx context.Context, q org.Querier, tenant uuid.UUID, ids []uuid.UUID) (map[uuid.UUID][]Assignee, error) {
	rows, err := q.Query(ctx, assigneesSQL, tenant, ids)
	if err != nil {
		return nil, fmt.Errorf("approval assignees: %w", err)
	}
	out := map[uuid.UUID][]Assignee{}
	return out, scanAssignees(rows, out)
}

// assigneesFor reads one approval's assignees and, in the same query, which
// of them emp stands in for at now: it returns emp followed by those
// approvers (what actsFor and involves take).
func assigneesFor(ctx context.Context, tx pgx.Tx, tenant, id, emp uuid.UUID, now time.Time) ([]Assignee, []uuid.UUID, error) {
	rows, err := tx.Query(ctx, `SELECT x.step, x.approver_id, x.via, x.assigned_at, x.decision, x.decided_at, x.decided_by,
			EXISTS (SELECT 1 FROM delegations d WHERE d.tenant_id = x.tenant_id AND d.employee_id = x.approver_id
			        AND d.delegate_id = $3 AND d.starts_at <= $4 AND d.ends_at > $4)
		FROM approval_assignees x WHERE x.tenant_id = $1 AND x.approval_id = $2 ORDER BY x.step, x.assigned_at, x.approver_id`,
		tenant, id, emp, now)
	if err != nil {
		return nil, nil, fmt.Errorf("approval assignees: %w", err)
	}
	var out []Assignee
	me := []uuid.UUID{emp}
	var as Assignee
	var delegated bool
	_, err = pgx.ForEachRow(rows, []any{&as.Step, &as.ApproverID, &as.Via, &as.AssignedAt, &as.Decision, &as.DecidedAt, &as.DecidedBy, &delegated},
		func() error {
			out = append(out, as)
			if delegated && !slices.Contains(me, as.ApproverID) {
				me = append(me, as.ApproverID)
			}
			return nil
		})
	if err != nil {
		return nil, nil, fmt.Errorf("approval assignees: %w", err)
	}
	return out, me, nil
}

// actsFor returns the undecided assignees of the approval's current step
// that emp may decide for (themselves, and whoever they stand in for).
func (ap *Approval) actsFor(emps []uuid.UUID) []Assignee {
	var out []Assignee
	for _, as := range ap.Assignees {
		if as.Step == ap.Step && as.Decision == nil && slices.Contains(emps, as.ApproverID) {
			out = append(out, as)
		}
	}
	return out
}

// involves reports whether the approval ever asked one of emps, or emp
// decided on it.
func (ap *Approval) involves(emp uuid.UUID, emps []uuid.UUID) bool {
	for _, as := range ap.Assignees {
		if slices.Contains(emps, as.ApproverID) || (as.DecidedBy != nil && *as.DecidedBy == emp) {
			return true
		}
	}
	return ap.DecidedBy != nil && *ap.DecidedBy == emp
}

// Decide approves or rejects an approval for the actor, who must be one of
// its current step's approvers (or stand in for one by delegation), or an
// admin (an admin who is not asked decides the whole approval at once).
//
// Decisions are serialised on the approval's row lock, so concurrent
// deciders produce exactly one outcome. Deciding a decided approval answers
// 409 already_decided, except that the approver who decided it, repeating
// the same decision, gets the approval back unchanged (a retried request).
// Approvals the actor may not see are not found (404).
func (r *Requests) Decide(ctx context.Context, a org.Actor, id uuid.UUID, action string, comment *string) (Approval, error) {
	if action != ActionApprove && action != ActionReject {
		return Approval{}, errs.FieldErr("action", "invalid_action", "action must be approve or reject")
	}
	comment, err := validComment(comment)
	if err != nil {
		return Approval{}, err
	}
	if err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		return r.decideTx(ctx, tx, a, id, action, comment)
	}); err != nil {
		return Approval{}, err
	}
	return r.GetApproval(ctx, a, id)
}

func (r *Requests) decideTx(ctx context.Context, tx pgx.Tx, a org.Actor, id uuid.UUID, action string, comment *string) error {
	now := r.now()
	var actorName string
	ap, err := scanApproval(tx.QueryRow(ctx, `SELECT `+approvalCols+`,
			coalesce((SELECT e.name FROM employees e WHERE e.tenant_id = a.tenant_id AND e.id = $3), '')
		FROM approvals a WHERE a.tenant_id = $1 AND a.id = $2 FOR UPDATE OF a`, a.TenantID, id, a.EmployeeID), &actorName)
	if errors.Is(err, pgx.ErrNoRows) {
		return errApprovalNotFound()
	}
	if err != nil {
		return fmt.Errorf("decide: %w", err)
	}
	var me []uuid.UUID
	if ap.Assignees, me, err = assigneesFor(ctx, tx, a.TenantID, id, a.EmployeeID, now); err != nil {
		return err
	}
	if !a.IsAdmin() && !ap.involves(a.EmployeeID, me) {
		return errApprovalNotFound()
	}
	outcome := outcomeOf(action)
	if ap.Status != StatusPending {
		if ap.Status == outcome && ap.DecidedBy != nil && *ap.DecidedBy == a.EmployeeID {
			return nil
		}
		return errs.New(errs.Conflict, "already_decided", "this %s request was already %s", ap.RequestType, ap.Status)
	}
	rows := ap.actsFor(me)
	override := false
	if len(rows) == 0 {
		for _, x := range ap.Assignees {
			if x.DecidedBy != nil && *x.DecidedBy == a.EmployeeID && x.Decision != nil && *x.Decision == outcome {
				return nil // a repeated decision on an approval that still waits for others
			}
		}
		if !a.IsAdmin() || a.EmployeeID == ap.EmployeeID {
			return errs.New(errs.Forbidden, "not_current_approver", "this request is not waiting for your decision")
		}
		override = true
	}
	var approvers []uuid.UUID
	for _, x := range rows {
		approvers = append(approvers, x.ApproverID)
	}
	if len(approvers) > 0 {
		if _, err := tx.Exec(ctx, `UPDATE approval_assignees SET decision = $5, decided_at = $6, decided_by = $7
			WHERE tenant_id = $1 AND approval_id = $2 AND step = $3 AND approver_id = ANY($4) AND decision IS NULL`,
			a.TenantID, id, ap.Step, approvers, outcome, now, a.EmployeeID); err != nil {
			return fmt.Errorf("decide: %w", err)
		}
		for i := range ap.Assignees {
			if x := &ap.Assignees[i]; x.Step == ap.Step && slices.Contains(approvers, x.ApproverID) && x.Decision == nil {
				x.Decision, x.DecidedAt, x.DecidedBy = &outcome, &now, &a.EmployeeID
			}
		}
	}
	var onBehalf *uuid.UUID
	if len(approvers) > 0 && !slices.Contains(approvers, a.EmployeeID) {
		onBehalf = &approvers[0]
	}
	details := map[string]any{"approval_id": ap.ID, "step": ap.Step}
	if override {
		details["admin_override"] = true
	}
	if outcome == StatusRejected || override {
		return r.finish(ctx, tx, a, actorName, &ap, outcome, comment, onBehalf, details, now)
	}
	if ap.StepMode == ModeAll {
		for _, x := range ap.Assignees {
			if x.Step == ap.Step && x.Decision == nil {
				details["waiting_for"] = "others"
				return r.event(ctx, tx, a, ap.RequestType, ap.RequestID, now, "approved", onBehalf, comment, details)
			}
		}
	}
	// The step is complete: start the next step that has approvers, or
	// finish when none is left.
	for next := ap.Step + 1; next < len(ap.Flow.Steps); next++ {
		ids, err := r.resolveStep(ctx, tx, ap.TenantID, ap.EmployeeID, ap.Flow.Steps[next])
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			continue
		}
		details["next_step"] = next
		if err := r.event(ctx, tx, a, ap.RequestType, ap.RequestID, now, "approved", onBehalf, comment, details); err != nil {
			return err
		}
		return r.startStep(ctx, tx, &ap, next, ids, "flow", now)
	}
	return r.finish(ctx, tx, a, actorName, &ap, outcome, comment, onBehalf, details, now)
}

// startStep moves the approval to step and asks ids.
func (r *Requests) startStep(ctx context.Context, tx pgx.Tx, ap *Approval, step int, ids []uuid.UUID, via string, now time.Time) error {
	ap.Step, ap.StepMode, ap.StepStartedAt = step, ap.Flow.Steps[step].Mode, now
	ap.RemindAt, ap.EscalateAt = timers(ap.Flow, now)
	if _, err := tx.Exec(ctx, `UPDATE approvals SET step = $3, step_mode = $4, step_started_at = $5, remind_at = $6, escalate_at = $7,
			updated_at = $5 WHERE tenant_id = $1 AND id = $2`,
		ap.TenantID, ap.ID, ap.Step, ap.StepMode, now, ap.RemindAt, ap.EscalateAt); err != nil {
		return fmt.Errorf("next step: %w", err)
	}
	if err := r.assign(ctx, tx, ap, ids, via, now); err != nil {
		return err
	}
	sys := org.Actor{TenantID: ap.TenantID}
	if err := r.event(ctx, tx, sys, ap.RequestType, ap.RequestID, now, "assigned", nil, nil,
		map[string]any{"approval_id": ap.ID, "step": step, "approvers": ids, "via": via}); err != nil {
		return err
	}
	return r.notifyApprovers(ctx, tx, ap, ids, "approval.requested", "approval_requested", now)
}

// finish decides the approval for good: the request takes the outcome
// (an approved make-up request gets its corrective punch), the history and
// audit trail record it, the requester is notified and request.decided is
// published, all in tx.
func (r *Requests) finish(ctx context.Context, tx pgx.Tx, a org.Actor, actorName string, ap *Approval, outcome string,
	comment *string, onBehalf *uuid.UUID, details map[string]any, now time.Time) error {
	tag, err := tx.Exec(ctx, `UPDATE approvals SET status = $3, decided_at = $4, decided_by = $5, decision_comment = $6,
			remind_at = NULL, escalate_at = NULL, updated_at = $4
		WHERE tenant_id = $1 AND id = $2 AND status = 'pending'`, ap.TenantID, ap.ID, outcome, now, a.EmployeeID, comment)
	if err != nil {
		return fmt.Errorf("decide: %w", err)
	}
	if tag.RowsAffected() != 1 { // cannot happen under the row lock; refuse rather than decide twice
		return errs.New(errs.Conflict, "already_decided", "this request was already decided")
	}
	ap.Status, ap.DecidedAt, ap.DecidedBy, ap.DecisionComment = outcome, &now, &a.EmployeeID, comment
	var req *Request
	if ap.RequestType != RequestPunch {
		q, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestCols+` FROM requests r WHERE r.tenant_id = $1 AND r.id = $2 FOR UPDATE`,
			ap.TenantID, ap.RequestID))
		if err != nil {
			return fmt.Errorf("decide: %w", err)
		}
		var pid *uuid.UUID
		if outcome == StatusApproved {
			if pid, err = r.applyApproval(ctx, tx, &q, &a.EmployeeID, now); err != nil {
				return err
			}
			if pid != nil {
				details["corrective_punch_id"] = *pid
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE requests SET status = $3, decided_at = $4, decided_by = $5, decision_comment = $6, updated_at = $4,
				corrective_punch_id = coalesce($7, corrective_punch_id)
			WHERE tenant_id = $1 AND id = $2`, ap.TenantID, ap.RequestID, outcome, now, a.EmployeeID, comment, pid); err != nil {
			return fmt.Errorf("decide: %w", err)
		}
		q.Status, q.DecidedAt, q.DecidedBy, q.DecisionComment = outcome, &now, &a.EmployeeID, comment
		req = &q
	}
	if err := r.event(ctx, tx, a, ap.RequestType, ap.RequestID, now, outcome, onBehalf, comment, details); err != nil {
		return err
	}
	data := map[string]string{"approval_id": ap.ID.String(), "request_id": ap.RequestID.String(),
		"request_type": ap.RequestType, "status": outcome}
	if err := r.n.NotifyTx(ctx, tx, Notification{TenantID: ap.TenantID, Recipients: []uuid.UUID{ap.EmployeeID},
		Type: "request.decided", Template: "request_decided",
		Params: map[string]string{"request_type": notifyRequestType(ap.RequestType), "decision": outcome,
			"approver": actorName, "comment": deref(comment)},
		Data: data, DedupeKey: "request.decided:" + ap.RequestID.String()}); err != nil {
		return fmt.Errorf("notify requester: %w", err)
	}
	payload := map[string]any{"request_id": ap.RequestID, "request_type": ap.RequestType, "employee_id": ap.EmployeeID,
		"status": outcome, "approval_id": ap.ID, "decided_at": now, "decided_by": a.EmployeeID, "comment": comment}
	if req != nil {
		payload = webhookData(*req, ap)
	}
	if err := r.n.PublishTx(ctx, tx, Event{TenantID: ap.TenantID, Type: "request.decided", OccurredAt: now, Data: payload}); err != nil {
		return fmt.Errorf("publish request.decided: %w", err)
	}
	return nil
}

// BatchResult is the outcome of one id of a batch decision.
type BatchResult struct {
	ID       uuid.UUID
	Approval *Approval // on success
	Err      error     // an *errs.Error (not found, already decided, ...) on failure
}

// MaxBatch is how many approvals one batch decision may name.
const MaxBatch = 100

// DecideBatch decides each approval on its own (one transaction each), so
// one failure does not undo the others, and reports each outcome in order.
// Only an error that is not about one item (a bad comment, a database
// failure) fails the whole call.
func (r *Requests) DecideBatch(ctx context.Context, a org.Actor, ids []uuid.UUID, action string, comment *string) ([]BatchResult, error) {
	if len(ids) == 0 || len(ids) > MaxBatch {
		return nil, errs.FieldErr("ids", "invalid_ids", "name 1 to %d approvals", MaxBatch)
	}
	if action != ActionApprove && action != ActionReject {
		return nil, errs.FieldErr("action", "invalid_action", "action must be approve or reject")
	}
	if _, err := validComment(comment); err != nil {
		return nil, err
	}
	out := make([]BatchResult, len(ids))
	for i, id := range ids {
		out[i].ID = id
		if slices.Contains(ids[:i], id) {
			out[i].Err = errs.New(errs.BadRequest, "duplicate_id", "this id appears earlier in the batch")
			continue
		}
		ap, err := r.Decide(ctx, a, id, action, comment)
		if _, ok := errs.As(err); err != nil && !ok {
			return nil, err
		}
		if err != nil {
			out[i].Err = err
			continue
		}
		out[i].Approval = &ap
	}
	return out, nil
}
