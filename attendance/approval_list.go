package attendance

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// ApprovalFilter narrows ListApprovals.
type ApprovalFilter struct {
	// Status: "pending" (for non-admins: waiting for the caller's decision;
	// for admins: every pending approval, or only those waiting for them
	// with AssignedToMe), "decided" (approved, rejected or withdrawn), or
	// nil for both.
	Status       *string
	RequestType  *string
	AssignedToMe bool
	Cursor       *string
	Limit        *int
}

// ListApprovals lists the approvals the actor may see, newest first, each
// with what is needed to decide it: the request (or punch) with its
// evidence, the requester, every approver asked and the history. Admins see
// the tenant's; others see those they were asked to decide, directly or as
// a delegate, or decided.
func (r *Requests) ListApprovals(ctx context.Context, a org.Actor, f ApprovalFilter) ([]Approval, *string, error) {
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	now := r.now()
	me, err := delegatorsOf(ctx, r.pool, a.TenantID, a.EmployeeID, now)
	if err != nil {
		return nil, nil, err
	}
	args := []any{a.TenantID}
	where := "a.tenant_id = $1"
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	mine := !a.IsAdmin() || f.AssignedToMe
	if f.Status != nil {
		switch *f.Status {
		case StatusPending:
			where += " AND a.status = 'pending'"
			if mine {
				add(`EXISTS (SELECT 1 FROM approval_assignees x WHERE x.tenant_id = a.tenant_id AND x.approval_id = a.id
					AND x.step = a.step AND x.decision IS NULL AND x.approver_id = ANY($%d))`, me)
				mine = false // already narrower than "involved"
			}
		case "decided":
			where += " AND a.status <> 'pending'"
		default:
			return nil, nil, errs.FieldErr("status", "invalid_status", "status must be pending or decided")
		}
	}
	if mine {
		args = append(args, me, a.EmployeeID)
		where += fmt.Sprintf(` AND (a.decided_by = $%d OR EXISTS (SELECT 1 FROM approval_assignees x
			WHERE x.tenant_id = a.tenant_id AND x.approval_id = a.id AND (x.approver_id = ANY($%d) OR x.decided_by = $%d)))`,
			len(args), len(args)-1, len(args))
	}
	if f.RequestType != nil {
		add("a.request_type = $%d", *f.RequestType)
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (a.created_at, a.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := r.pool.Query(ctx, `SELECT `+approvalCols+` FROM approvals a WHERE `+where+
		fmt.Sprintf(` ORDER BY a.created_at DESC, a.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list approvals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Approval, error) { return scanApproval(row) })
	if err != nil {
		return nil, nil, fmt.Errorf("list approvals: %w", err)
	}
	var next *string
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = page.Next(true, page.Cursor{T: last.CreatedAt, ID: last.ID})
	}
	if err := r.fill(ctx, a, me, out); err != nil {
		return nil, nil, err
	}
	return out, next, nil
}

// GetApproval returns one approval the actor may see, filled like a list item.
func (r *Requests) GetApproval(ctx context.Context, a org.Actor, id uuid.UUID) (Approval, error) {
	var ap Approval
	var me []uuid.UUID
	var err error
	batch := &pgx.Batch{}
	batch.Queue(`SELECT `+approvalCols+` FROM approvals a WHERE a.tenant_id = $1 AND a.id = $2`, a.TenantID, id).
		QueryRow(func(row pgx.Row) error {
			ap, err = scanApproval(row)
			return nil // looked at below
		})
	batch.Queue(delegatorsSQL, a.TenantID, a.EmployeeID, r.now()).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		me = append([]uuid.UUID{a.EmployeeID}, ids...)
		return err
	})
	if berr := r.pool.SendBatch(ctx, batch).Close(); berr != nil {
		return Approval{}, fmt.Errorf("get approval: %w", berr)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return Approval{}, errApprovalNotFound()
	}
	if err != nil {
		return Approval{}, fmt.Errorf("get approval: %w", err)
	}
	list := []Approval{ap}
	if err := r.fill(ctx, a, me, list); err != nil {
		return Approval{}, err
	}
	if !a.IsAdmin() && !list[0].involves(a.EmployeeID, me) {
		return Approval{}, errApprovalNotFound()
	}
	return list[0], nil
}

// fill loads what a reader of the approvals needs, a few queries per page.
func (r *Requests) fill(ctx context.Context, a org.Actor, me []uuid.UUID, aps []Approval) error {
	if len(aps) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(aps))
	byType := map[string][]uuid.UUID{}
	people := []uuid.UUID{}
	for i, ap := range aps {
		ids[i] = ap.ID
		byType[ap.RequestType] = append(byType[ap.RequestType], ap.RequestID)
		people = append(people, ap.EmployeeID)
		if ap.DecidedBy != nil {
			people = append(people, *ap.DecidedBy)
		}
	}
	// One round trip for everything that depends only on the page.
	assignees := map[uuid.UUID][]Assignee{}
	reqs := map[uuid.UUID]Request{}
	punches := map[uuid.UUID]Punch{}
	hist := map[uuid.UUID][]HistoryEvent{}
	batch := &pgx.Batch{}
	batch.Queue(assigneesSQL, a.TenantID, ids).Query(func(rows pgx.Rows) error { return scanAssignees(rows, assignees) })
	for typ, rids := range byType {
		if typ == RequestPunch {
			batch.Queue(`SELECT `+punchSelectCols+` FROM punches WHERE tenant_id = $1 AND id = ANY($2)`, a.TenantID, rids).
				Query(func(rows pgx.Rows) error {
					ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Punch, error) { return scanPunch(row) })
					for _, p := range ps {
						punches[p.ID] = p
					}
					return err
				})
		} else {
			batch.Queue(`SELECT `+requestCols+` FROM requests r WHERE r.tenant_id = $1 AND r.id = ANY($2)`, a.TenantID, rids).
				Query(func(rows pgx.Rows) error {
					qs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Request, error) { return scanRequest(row) })
					for _, q := range qs {
						reqs[q.ID] = q
					}
					return err
				})
		}
		batch.Queue(historySQL, a.TenantID, typ, rids).Query(func(rows pgx.Rows) error { return scanHistories(rows, hist) })
	}
	if err := r.pool.SendBatch(ctx, batch).Close(); err != nil {
		return fmt.Errorf("approval details: %w", err)
	}
	for _, list := range assignees {
		for _, as := range list {
			people = append(people, as.ApproverID)
			if as.DecidedBy != nil {
				people = append(people, *as.DecidedBy)
			}
		}
	}
	slices.SortFunc(people, func(x, y uuid.UUID) int { return slices.Compare(x[:], y[:]) })
	briefs, err := org.EmployeeBriefs(ctx, r.pool, a.TenantID, slices.Compact(people))
	if err != nil {
		return err
	}
	names := make(map[uuid.UUID]string, len(briefs))
	for id, b := range briefs {
		names[id] = b.Name
	}
	for i := range aps {
		ap := &aps[i]
		ap.Assignees = assignees[ap.ID]
		ap.Employee = briefs[ap.EmployeeID]
		ap.Names = names
		ap.History = hist[ap.RequestID]
		if ap.History == nil {
			ap.History = []HistoryEvent{}
		}
		if q, ok := reqs[ap.RequestID]; ok {
			q.History = ap.History
			ap.Request = &q
		}
		if p, ok := punches[ap.RequestID]; ok {
			ap.Punch = &p
		}
		ap.CanDecide = ap.Status == StatusPending &&
			(len(ap.actsFor(me)) > 0 || (a.IsAdmin() && a.EmployeeID != ap.EmployeeID))
		ap.PhotoURL = r.photoURL(ctx, ap)
	}
	return nil
}

// photoURL signs a viewing URL for the approval's evidence photo. The URL is
// a convenience beside photo_id: when the photo is gone, not ready, or the
// store cannot sign, the approval is still shown, without it.
func (r *Requests) photoURL(ctx context.Context, ap *Approval) *string {
	var id *uuid.UUID
	switch {
	case ap.Request != nil:
		id = ap.Request.PhotoID
	case ap.Punch != nil:
		id = ap.Punch.PhotoID
	}
	if id == nil {
		return nil
	}
	p, err := r.att.photoByID(ctx, ap.TenantID, *id, nil)
	if err != nil {
		return nil
	}
	urls, err := r.att.photoURLs(ctx, p)
	if err != nil || urls == nil {
		return nil
	}
	return &urls.URL
}
