package attendance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/internal/page"
	"github.com/dakahq/daka/org"
)

// Request is a make-up, leave or overtime request. Exactly one of Makeup,
// Leave and Overtime is set, after Type.
type Request struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	Type            string
	EmployeeID      uuid.UUID
	Status          string
	Reason          string
	PhotoID         *uuid.UUID
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DecidedAt       *time.Time
	DecidedBy       *uuid.UUID // nil on an approved request: the policy approved it
	DecisionComment *string
	ApprovalID      *uuid.UUID
	Makeup          *MakeupDetails
	Leave           *LeaveDetails
	Overtime        *OvertimeDetails
	History         []HistoryEvent
}

// MakeupDetails is what a make-up request asks for and its evidence.
type MakeupDetails struct {
	Kind              string
	Time              time.Time
	Evidence          *Evidence
	CorrectsPunchID   *uuid.UUID
	CorrectivePunchID *uuid.UUID
	AutoApproved      bool
}

// Evidence is the location sent with a make-up request, evaluated by the
// same geofence rules as a live punch when the request was made.
type Evidence struct {
	Location         *EvidenceLocation `json:"location,omitempty"`
	Verdict          string            `json:"verdict"`
	SiteID           *uuid.UUID        `json:"site_id,omitempty"`
	SiteName         *string           `json:"site_name,omitempty"`
	DistanceM        *float64          `json:"distance_m,omitempty"`
	Containment      *string           `json:"containment,omitempty"`
	NearestSiteID    *uuid.UUID        `json:"nearest_site_id,omitempty"`
	NearestSiteName  *string           `json:"nearest_site_name,omitempty"`
	NearestDistanceM *float64          `json:"nearest_distance_m,omitempty"`
	Signals          []Signal          `json:"signals"`
	EvaluatedAt      time.Time         `json:"evaluated_at"`
}

// EvidenceLocation is the fix as stored: WGS-84 plus what was sent.
type EvidenceLocation struct {
	Lat       float64    `json:"lat"`
	Lng       float64    `json:"lng"`
	AccuracyM *float64   `json:"accuracy_m,omitempty"`
	CRS       string     `json:"crs"`
	SrcLat    float64    `json:"src_lat"`
	SrcLng    float64    `json:"src_lng"`
	FixTime   *time.Time `json:"fix_time,omitempty"`
	IsMock    *bool      `json:"is_mock,omitempty"`
}

// HistoryEvent is one thing that happened to a request: who, when, what,
// with which comment. ActorID is nil for the system (policy, sweeper).
type HistoryEvent struct {
	ID         uuid.UUID
	At         time.Time
	ActorID    *uuid.UUID
	ActorName  *string
	OnBehalfOf *uuid.UUID
	Action     string
	Comment    *string
	Details    map[string]any
}

// Summary describes the request in one line, times in loc.
func (q Request) Summary(loc *time.Location) string {
	var s string
	switch {
	case q.Makeup != nil:
		s = fmt.Sprintf("%s %s", q.Makeup.Time.In(loc).Format("2006-01-02 15:04"), q.Makeup.Kind)
	case q.Leave != nil:
		s = fmt.Sprintf("%s %s – %s (%g d)", q.Leave.Type, q.Leave.Start.Format("2006-01-02"), q.Leave.End.Format("2006-01-02"), q.Leave.Days())
	case q.Overtime != nil:
		s = fmt.Sprintf("%s – %s (%g h)", q.Overtime.Start.In(loc).Format("2006-01-02 15:04"),
			q.Overtime.End.In(loc).Format("15:04"), q.Overtime.Hours())
	}
	reason := []rune(q.Reason)
	if len(reason) > 60 {
		reason = append(reason[:60], '…')
	}
	return s + ": " + string(reason)
}

const requestCols = `r.id, r.tenant_id, r.type, r.employee_id, r.status, r.reason, r.photo_id, r.created_at, r.updated_at,
	r.decided_at, r.decided_by, r.decision_comment, r.punch_kind, r.punch_time, r.evidence, r.corrects_punch_id,
	r.corrective_punch_id, r.auto_approved, r.leave_type, r.start_date, r.end_date, r.start_half, r.end_half,
	r.starts_at, r.ends_at, r.compensation,
	(SELECT ap.id FROM approvals ap WHERE ap.tenant_id = r.tenant_id AND ap.request_type = r.type AND ap.request_id = r.id)`

func scanRequest(row pgx.Row) (Request, error) {
	var q Request
	var kind, leaveType, startHalf, endHalf, comp *string
	var punchTime, startsAt, endsAt, startDate, endDate *time.Time
	var evidence []byte
	var corrects, corrective *uuid.UUID
	var auto bool
	err := row.Scan(&q.ID, &q.TenantID, &q.Type, &q.EmployeeID, &q.Status, &q.Reason, &q.PhotoID, &q.CreatedAt, &q.UpdatedAt,
		&q.DecidedAt, &q.DecidedBy, &q.DecisionComment, &kind, &punchTime, &evidence, &corrects, &corrective, &auto,
		&leaveType, &startDate, &endDate, &startHalf, &endHalf, &startsAt, &endsAt, &comp, &q.ApprovalID)
	if err != nil {
		return q, err
	}
	switch q.Type {
	case RequestMakeup:
		q.Makeup = &MakeupDetails{Kind: deref(kind), Time: deref(punchTime), CorrectsPunchID: corrects,
			CorrectivePunchID: corrective, AutoApproved: auto}
		if evidence != nil {
			q.Makeup.Evidence = &Evidence{}
			if err := json.Unmarshal(evidence, q.Makeup.Evidence); err != nil {
				return q, err
			}
		}
	case RequestLeave:
		q.Leave = &LeaveDetails{Type: deref(leaveType), Start: deref(startDate), End: deref(endDate),
			StartHalf: startHalf, EndHalf: endHalf}
	case RequestOvertime:
		q.Overtime = &OvertimeDetails{Start: deref(startsAt), End: deref(endsAt), Compensation: deref(comp)}
	}
	return q, nil
}

func deref[T any](p *T) T {
	var z T
	if p == nil {
		return z
	}
	return *p
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// insertRequest stores a new request.
func insertRequest(ctx context.Context, tx pgx.Tx, q *Request) error {
	var kind, leaveType, comp *string
	var punchTime, startsAt, endsAt, startDate, endDate *time.Time
	var evidence []byte
	var corrects *uuid.UUID
	var startHalf, endHalf *string
	switch {
	case q.Makeup != nil:
		kind, punchTime, corrects = &q.Makeup.Kind, &q.Makeup.Time, q.Makeup.CorrectsPunchID
		if q.Makeup.Evidence != nil {
			var err error
			if evidence, err = json.Marshal(q.Makeup.Evidence); err != nil {
				return fmt.Errorf("insert request: %w", err)
			}
		}
	case q.Leave != nil:
		leaveType, startDate, endDate, startHalf, endHalf = &q.Leave.Type, &q.Leave.Start, &q.Leave.End, q.Leave.StartHalf, q.Leave.EndHalf
	case q.Overtime != nil:
		startsAt, endsAt, comp = &q.Overtime.Start, &q.Overtime.End, &q.Overtime.Compensation
	}
	_, err := tx.Exec(ctx, `INSERT INTO requests (tenant_id, id, type, employee_id, status, reason, photo_id, created_at, updated_at,
			punch_kind, punch_time, evidence, corrects_punch_id, leave_type, start_date, end_date, start_half, end_half,
			starts_at, ends_at, compensation)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
		q.TenantID, q.ID, q.Type, q.EmployeeID, q.Status, q.Reason, q.PhotoID, q.CreatedAt,
		kind, punchTime, evidence, corrects, leaveType, startDate, endDate, startHalf, endHalf, startsAt, endsAt, comp)
	if err != nil {
		return fmt.Errorf("insert request: %w", err)
	}
	return nil
}

// validReason trims a reason and checks it: 1–1000 printable characters.
func validReason(s string) (string, bool) {
	v := strings.TrimSpace(s)
	n := len([]rune(v))
	bad := strings.ContainsFunc(v, func(r rune) bool {
		return (unicode.IsControl(r) && r != '\n') || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
	})
	return v, n >= 1 && n <= 1000 && !bad
}

// auditTarget names a request in the audit trail.
func auditTarget(reqType string) string {
	if reqType == RequestPunch {
		return "punch"
	}
	return reqType + "_request"
}

// event records one history event of a request, in request_events and in
// the audit trail, inside tx.
func (r *Requests) event(ctx context.Context, tx pgx.Tx, a org.Actor, reqType string, reqID uuid.UUID, at time.Time,
	action string, onBehalfOf *uuid.UUID, comment *string, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	raw, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("request event: %w", err)
	}
	var actor *uuid.UUID
	if a.EmployeeID != uuid.Nil {
		actor = &a.EmployeeID
	}
	id, _ := uuid.NewV7()
	if _, err := tx.Exec(ctx, `INSERT INTO request_events (tenant_id, id, request_type, request_id, at, actor_id, on_behalf_of,
			action, comment, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.TenantID, id, reqType, reqID, at, actor, onBehalfOf, action, comment, raw); err != nil {
		return fmt.Errorf("request event: %w", err)
	}
	changes := map[string]any{"details": details}
	if comment != nil {
		changes["comment"] = *comment
	}
	if onBehalfOf != nil {
		changes["on_behalf_of"] = *onBehalfOf
	}
	return org.Audit(ctx, tx, a, at, auditTarget(reqType)+"."+action, auditTarget(reqType), reqID.String(), changes)
}

// histories loads the history of the given requests of one type, oldest
// event first.
func histories(ctx context.Context, q org.Querier, tenant uuid.UUID, reqType string, ids []uuid.UUID) (map[uuid.UUID][]HistoryEvent, error) {
	out := make(map[uuid.UUID][]HistoryEvent, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, historySQL, tenant, reqType, ids)
	if err != nil {
		return nil, fmt.Errorf("request history: %w", err)
	}
	return out, scanHistories(rows, out)
}

const historySQL = `SELECT ev.request_id, ev.id, ev.at, ev.actor_id, e.name, ev.on_behalf_of, ev.action, ev.comment, ev.details
	FROM request_events ev LEFT JOIN employees e ON e.tenant_id = ev.tenant_id AND e.id = ev.actor_id
	WHERE ev.tenant_id = $1 AND ev.request_type = $2 AND ev.request_id = ANY($3) ORDER BY ev.at, ev.id`

// scanHistories adds the rows of historySQL to out, by request.
func scanHistories(rows pgx.Rows, out map[uuid.UUID][]HistoryEvent) error {
	var reqID uuid.UUID
	var h HistoryEvent
	var raw []byte
	_, err := pgx.ForEachRow(rows, []any{&reqID, &h.ID, &h.At, &h.ActorID, &h.ActorName, &h.OnBehalfOf, &h.Action, &h.Comment, &raw},
		func() error {
			ev := h
			ev.Details = nil
			if err := json.Unmarshal(raw, &ev.Details); err != nil {
				return err
			}
			out[reqID] = append(out[reqID], ev)
			return nil
		})
	if err != nil {
		return fmt.Errorf("request history: %w", err)
	}
	return nil
}

// withHistory fills the History of each request.
func withHistory(ctx context.Context, q org.Querier, tenant uuid.UUID, reqs []Request) error {
	byType := map[string][]uuid.UUID{}
	for _, x := range reqs {
		byType[x.Type] = append(byType[x.Type], x.ID)
	}
	for typ, ids := range byType {
		h, err := histories(ctx, q, tenant, typ, ids)
		if err != nil {
			return err
		}
		for i := range reqs {
			if reqs[i].Type == typ {
				reqs[i].History = h[reqs[i].ID]
				if reqs[i].History == nil {
					reqs[i].History = []HistoryEvent{}
				}
			}
		}
	}
	return nil
}

// RequestFilter narrows ListMine.
type RequestFilter struct {
	Status *string
	Cursor *string
	Limit  *int
}

// ListMine lists the caller's requests of one type, newest first, each with
// its history.
func (r *Requests) ListMine(ctx context.Context, a org.Actor, reqType string, f RequestFilter) ([]Request, *string, error) {
	cur, err := page.Decode(f.Cursor)
	if err != nil {
		return nil, nil, err
	}
	limit := page.Limit(f.Limit)
	args := []any{a.TenantID, a.EmployeeID, reqType}
	where := "r.tenant_id = $1 AND r.employee_id = $2 AND r.type = $3"
	if f.Status != nil {
		args = append(args, *f.Status)
		where += fmt.Sprintf(" AND r.status = $%d", len(args))
	}
	if cur != nil {
		args = append(args, cur.T, cur.ID)
		where += fmt.Sprintf(" AND (r.created_at, r.id) < ($%d, $%d)", len(args)-1, len(args))
	}
	args = append(args, limit+1)
	rows, err := r.pool.Query(ctx, `SELECT `+requestCols+` FROM requests r WHERE `+where+
		fmt.Sprintf(` ORDER BY r.created_at DESC, r.id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list requests: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Request, error) { return scanRequest(row) })
	if err != nil {
		return nil, nil, fmt.Errorf("list requests: %w", err)
	}
	var next *string
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = page.Next(true, page.Cursor{T: last.CreatedAt, ID: last.ID})
	}
	if err := withHistory(ctx, r.pool, a.TenantID, out); err != nil {
		return nil, nil, err
	}
	return out, next, nil
}

func errRequestNotFound(reqType string) error {
	return errs.New(errs.NotFound, "not_found", "%s request not found", reqType)
}

// getRequest reads one request of the tenant with its history.
func getRequest(ctx context.Context, q org.Querier, tenant uuid.UUID, reqType string, id uuid.UUID) (Request, error) {
	x, err := scanRequest(q.QueryRow(ctx, `SELECT `+requestCols+` FROM requests r WHERE r.tenant_id = $1 AND r.id = $2 AND r.type = $3`,
		tenant, id, reqType))
	if errors.Is(err, pgx.ErrNoRows) {
		return x, errRequestNotFound(reqType)
	}
	if err != nil {
		return x, fmt.Errorf("get request: %w", err)
	}
	reqs := []Request{x}
	if err := withHistory(ctx, q, tenant, reqs); err != nil {
		return x, err
	}
	return reqs[0], nil
}

// GetMine returns one of the caller's requests (others' are not found).
func (r *Requests) GetMine(ctx context.Context, a org.Actor, reqType string, id uuid.UUID) (Request, error) {
	x, err := getRequest(ctx, r.pool, a.TenantID, reqType, id)
	if err == nil && x.EmployeeID != a.EmployeeID {
		return Request{}, errRequestNotFound(reqType)
	}
	return x, err
}

// Withdraw takes back one of the caller's pending requests; its approval
// stops. Withdrawing a withdrawn request again answers it unchanged; a
// decided one cannot be withdrawn (409 already_decided).
func (r *Requests) Withdraw(ctx context.Context, a org.Actor, reqType string, id uuid.UUID) (Request, error) {
	now := r.now()
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		// Lock the approval before the request, in the order a decision
		// takes them, so a withdrawal racing a decision waits instead of
		// deadlocking; whichever commits first wins.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM approvals WHERE tenant_id = $1 AND request_type = $2 AND request_id = $3 FOR UPDATE`,
			a.TenantID, reqType, id); err != nil {
			return fmt.Errorf("withdraw request: %w", err)
		}
		x, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestCols+` FROM requests r
			WHERE r.tenant_id = $1 AND r.id = $2 AND r.type = $3 FOR UPDATE`, a.TenantID, id, reqType))
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && x.EmployeeID != a.EmployeeID) {
			return errRequestNotFound(reqType)
		}
		if err != nil {
			return fmt.Errorf("withdraw request: %w", err)
		}
		switch x.Status {
		case StatusWithdrawn:
			return nil
		case StatusApproved, StatusRejected:
			return errs.New(errs.Conflict, "already_decided", "this request was already %s and cannot be withdrawn", x.Status)
		}
		if _, err := tx.Exec(ctx, `UPDATE requests SET status = 'withdrawn', updated_at = $3 WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, id, now); err != nil {
			return fmt.Errorf("withdraw request: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE approvals SET status = 'withdrawn', updated_at = $4, remind_at = NULL, escalate_at = NULL
			WHERE tenant_id = $1 AND request_type = $2 AND request_id = $3 AND status = 'pending'`, a.TenantID, reqType, id, now); err != nil {
			return fmt.Errorf("withdraw request: %w", err)
		}
		return r.event(ctx, tx, a, reqType, id, now, "withdrawn", nil, nil, nil)
	})
	if err != nil {
		return Request{}, err
	}
	return getRequest(ctx, r.pool, a.TenantID, reqType, id)
}

// checkPhoto refuses a photo the caller cannot attach (not theirs, not
// ready, refused or deleted: 422 photo_not_found or photo_not_ready).
func (r *Requests) checkPhoto(ctx context.Context, a org.Actor, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	_, err := r.att.PhotoEvidence(ctx, a.TenantID, a.EmployeeID, *id)
	return err
}

// create stores a new request for the caller after check (run with the
// employee's row locked, so counting checks cannot race), then either
// approves it at once (autoApprove returns true) or starts its approval.
func (r *Requests) create(ctx context.Context, a org.Actor, q Request,
	check func(tx pgx.Tx, emp org.EmployeeBrief) error, autoApprove bool) (Request, error) {
	now := r.now()
	q.ID, _ = uuid.NewV7()
	q.TenantID, q.EmployeeID, q.Status, q.CreatedAt, q.UpdatedAt = a.TenantID, a.EmployeeID, StatusPending, now, now
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		emp, err := org.LockEmployee(ctx, tx, a.TenantID, a.EmployeeID)
		if err != nil {
			return err
		}
		if emp.Status != org.StatusActive {
			return errs.New(errs.Forbidden, "employee_left", "the employee has left and cannot file requests")
		}
		if err := check(tx, emp); err != nil {
			return err
		}
		if err := insertRequest(ctx, tx, &q); err != nil {
			return err
		}
		if err := r.event(ctx, tx, a, q.Type, q.ID, now, "created", nil, nil, nil); err != nil {
			return err
		}
		if err := r.n.PublishTx(ctx, tx, Event{TenantID: a.TenantID, Type: "request.created", OccurredAt: now,
			Data: webhookData(q, nil)}); err != nil {
			return fmt.Errorf("publish request.created: %w", err)
		}
		if autoApprove {
			return r.autoApprove(ctx, tx, q, emp, now)
		}
		_, err = r.StartApprovalTx(ctx, tx, RequestRef{TenantID: a.TenantID, Type: q.Type, ID: q.ID, EmployeeID: a.EmployeeID})
		return err
	})
	if err != nil {
		return Request{}, err
	}
	return getRequest(ctx, r.pool, a.TenantID, q.Type, q.ID)
}

// webhookData is the payload of request.created and request.decided.
func webhookData(q Request, ap *Approval) map[string]any {
	d := map[string]any{"request_id": q.ID, "request_type": q.Type, "employee_id": q.EmployeeID, "status": q.Status,
		"reason": q.Reason, "created_at": q.CreatedAt}
	switch {
	case q.Makeup != nil:
		d["kind"], d["time"] = q.Makeup.Kind, q.Makeup.Time
		if q.Makeup.CorrectivePunchID != nil {
			d["corrective_punch_id"] = *q.Makeup.CorrectivePunchID
		}
	case q.Leave != nil:
		d["leave_type"], d["start"], d["end"] = q.Leave.Type, q.Leave.Start.Format("2006-01-02"), q.Leave.End.Format("2006-01-02")
		d["start_half"], d["end_half"], d["days"] = q.Leave.StartHalf, q.Leave.EndHalf, q.Leave.Days()
	case q.Overtime != nil:
		d["start"], d["end"], d["compensation"], d["hours"] = q.Overtime.Start, q.Overtime.End, q.Overtime.Compensation, q.Overtime.Hours()
	}
	if ap != nil {
		d["approval_id"], d["decided_at"], d["decided_by"], d["comment"] = ap.ID, ap.DecidedAt, ap.DecidedBy, ap.DecisionComment
	}
	return d
}
