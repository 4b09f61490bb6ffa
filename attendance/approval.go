package attendance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// Request types: the three kinds of request an employee files, and flagged
// punches routed for review. Each has its own approval flow per tenant.
const (
	RequestMakeup   = "makeup"
	RequestLeave    = "leave"
	RequestOvertime = "overtime"
	RequestPunch    = "punch"
)

// Statuses of requests and approvals.
const (
	StatusPending   = "pending"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusWithdrawn = "withdrawn"
)

// Actions on an approval.
const (
	ActionApprove = "approve"
	ActionReject  = "reject"
)

// Notification is one message to some employees: an inbox item and a push.
// It has the fields of notify.Message, so cmd/daka adapts one to the other
// by conversion and attendance does not import notify.
type Notification struct {
	TenantID   uuid.UUID
	Recipients []uuid.UUID
	Type       string            // approval.requested, approval.reminder, approval.escalated, request.decided
	Template   string            // the notify template key
	Params     map[string]string // template parameters
	Data       map[string]string // push payload: approval_id, request_id, request_type
	DedupeKey  string            // one notification per recipient and key
}

// Event is a webhook event (the fields of notify.Event).
type Event struct {
	TenantID   uuid.UUID
	ID         uuid.UUID
	Type       string // request.created, request.decided
	OccurredAt time.Time
	Data       any
}

// Notifier delivers notifications and webhook events inside the caller's
// transaction, so nothing is sent for a change that rolls back.
type Notifier interface {
	NotifyTx(ctx context.Context, tx pgx.Tx, n Notification) error
	PublishTx(ctx context.Context, tx pgx.Tx, e Event) error
}

// nopNotifier is used when no Notifier is configured.
type nopNotifier struct{}

func (nopNotifier) NotifyTx(context.Context, pgx.Tx, Notification) error { return nil }
func (nopNotifier) PublishTx(context.Context, pgx.Tx, Event) error       { return nil }

// RequestOptions configure Requests.
type RequestOptions struct {
	// Notifier hears about every request and decision; nil: nobody is told.
	Notifier Notifier
	// Now is the clock; default the attendance service's.
	Now func() time.Time
	// SweepBatch is how many due approvals one sweep transaction handles
	// (default 100).
	SweepBatch int
}

// Requests files make-up, leave and overtime requests and runs the one
// approval engine that decides them and flagged punches.
type Requests struct {
	att  *Service
	pool *pgxpool.Pool
	org  *org.Service
	n    Notifier
	o    RequestOptions
}

// NewRequests returns the request and approval service over att's database.
func NewRequests(att *Service, o RequestOptions) *Requests {
	if o.Now == nil {
		o.Now = att.o.Now
	}
	if o.SweepBatch <= 0 {
		o.SweepBatch = 100
	}
	n := o.Notifier
	if n == nil {
		n = nopNotifier{}
	}
	return &Requests{att: att, pool: att.pool, org: att.org, n: n, o: o}
}

func (r *Requests) now() time.Time { return r.o.Now().UTC().Truncate(time.Microsecond) }

// Approver sources of a flow step.
const (
	SourceManager        = "manager"         // the requester's direct manager
	SourceDepartmentHead = "department_head" // the head of the department Levels up
	SourceRole           = "role"            // every active employee with Role
	SourceUsers          = "users"           // the named employees
	SourceAdmins         = "admins"          // the tenant's admins (also the fallback when nobody else is reachable)
)

// Step modes.
const (
	ModeAny = "any" // one approval completes the step
	ModeAll = "all" // every approver of the step must approve
)

// ApproverSource says who approves at a step.
type ApproverSource struct {
	Type    string      `json:"type"`
	Levels  int         `json:"levels,omitempty"`
	Role    string      `json:"role,omitempty"`
	UserIDs []uuid.UUID `json:"user_ids,omitempty"`
}

// FlowStep is one step of a flow: its approvers and whether one or all of
// them must approve.
type FlowStep struct {
	Name      string           `json:"name,omitempty"`
	Mode      string           `json:"mode"`
	Approvers []ApproverSource `json:"approvers"`
}

// Flow is how requests of one type are approved in a tenant.
type Flow struct {
	Steps []FlowStep `json:"steps"`
	// RemindAfterHours: undecided approvers are reminded this long after a
	// step starts (0: never).
	RemindAfterHours int `json:"remind_after_hours"`
	// EscalateAfterHours: a step still undecided this long after it started
	// is escalated to the next level (0: never).
	EscalateAfterHours int `json:"escalate_after_hours"`
}

// StoredFlow is a tenant's flow for a request type, or the default.
type StoredFlow struct {
	RequestType string
	Flow        Flow
	IsDefault   bool
	UpdatedAt   *time.Time
	UpdatedBy   *uuid.UUID
}

// Flow defaults and bounds.
const (
	DefaultRemindAfterHours   = 24
	DefaultEscalateAfterHours = 72
	maxSteps                  = 10
	maxSources                = 10
	maxUsers                  = 50
	maxLevels                 = 10
)

// DefaultFlow is used when a tenant has configured none: the direct manager
// decides; without one (or on escalation) the admins do.
func DefaultFlow() Flow {
	return Flow{
		Steps:              []FlowStep{{Name: "manager", Mode: ModeAny, Approvers: []ApproverSource{{Type: SourceManager}}}},
		RemindAfterHours:   DefaultRemindAfterHours,
		EscalateAfterHours: DefaultEscalateAfterHours,
	}
}

// ValidRequestType reports whether t names a request type.
func ValidRequestType(t string) bool {
	return t == RequestMakeup || t == RequestLeave || t == RequestOvertime || t == RequestPunch
}

// validate checks a flow's shape; named users are checked against the
// database by PutFlow.
func (f *Flow) validate() error {
	var fe errs.Fields
	if len(f.Steps) < 1 || len(f.Steps) > maxSteps {
		fe.Add("steps", "invalid_steps", "a flow has 1 to %d steps", maxSteps)
	}
	for i := range f.Steps {
		st := &f.Steps[i]
		p := fmt.Sprintf("steps[%d]", i)
		if st.Mode == "" {
			st.Mode = ModeAny
		}
		if st.Mode != ModeAny && st.Mode != ModeAll {
			fe.Add(p+".mode", "invalid_mode", "mode must be any or all")
		}
		if len(st.Name) > 100 {
			fe.Add(p+".name", "invalid_name", "a step name has at most 100 characters")
		}
		if len(st.Approvers) < 1 || len(st.Approvers) > maxSources {
			fe.Add(p+".approvers", "invalid_approvers", "a step has 1 to %d approver sources", maxSources)
		}
		for j := range st.Approvers {
			src := &st.Approvers[j]
			q := fmt.Sprintf("%s.approvers[%d]", p, j)
			switch src.Type {
			case SourceManager, SourceAdmins:
			case SourceDepartmentHead:
				if src.Levels == 0 {
					src.Levels = 1
				}
				if src.Levels < 1 || src.Levels > maxLevels {
					fe.Add(q+".levels", "invalid_levels", "levels must be between 1 and %d", maxLevels)
				}
			case SourceRole:
				if src.Role != string(org.RoleManager) && src.Role != string(org.RoleAdmin) {
					fe.Add(q+".role", "invalid_role", "role must be manager or admin")
				}
			case SourceUsers:
				if len(src.UserIDs) < 1 || len(src.UserIDs) > maxUsers {
					fe.Add(q+".user_ids", "invalid_user_ids", "name 1 to %d employees", maxUsers)
				}
			default:
				fe.Add(q+".type", "invalid_type", "type must be manager, department_head, role, users or admins")
			}
			if src.Type != SourceDepartmentHead {
				src.Levels = 0
			}
			if src.Type != SourceRole {
				src.Role = ""
			}
			if src.Type != SourceUsers {
				src.UserIDs = nil
			}
		}
	}
	if f.RemindAfterHours < 0 || f.RemindAfterHours > 720 {
		fe.Add("remind_after_hours", "invalid_hours", "remind_after_hours must be between 0 (never) and 720")
	}
	if f.EscalateAfterHours < 0 || f.EscalateAfterHours > 2160 {
		fe.Add("escalate_after_hours", "invalid_hours", "escalate_after_hours must be between 0 (never) and 2160")
	}
	return fe.Err()
}

func errForbidden() error {
	return errs.New(errs.Forbidden, "forbidden", "your role does not allow this")
}

// GetFlow returns the tenant's flow for a request type (the default when
// none is configured). Admins only.
func (r *Requests) GetFlow(ctx context.Context, a org.Actor, reqType string) (StoredFlow, error) {
	if !a.IsAdmin() {
		return StoredFlow{}, errForbidden()
	}
	if !ValidRequestType(reqType) {
		return StoredFlow{}, errs.New(errs.NotFound, "not_found", "no request type %q", reqType)
	}
	return r.flow(ctx, r.pool, a.TenantID, reqType)
}

func (r *Requests) flow(ctx context.Context, q org.Querier, tenant uuid.UUID, reqType string) (StoredFlow, error) {
	sf := StoredFlow{RequestType: reqType}
	var raw []byte
	err := q.QueryRow(ctx, `SELECT flow, updated_at, updated_by FROM approval_flows WHERE tenant_id = $1 AND request_type = $2`,
		tenant, reqType).Scan(&raw, &sf.UpdatedAt, &sf.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		sf.Flow, sf.IsDefault = DefaultFlow(), true
		return sf, nil
	}
	if err != nil {
		return sf, fmt.Errorf("approval flow: %w", err)
	}
	if err := json.Unmarshal(raw, &sf.Flow); err != nil {
		return sf, fmt.Errorf("approval flow: %w", err)
	}
	return sf, nil
}

// PutFlow replaces the tenant's flow for a request type. Named users must
// be active employees of the tenant. Admins only; audited.
func (r *Requests) PutFlow(ctx context.Context, a org.Actor, reqType string, f Flow) (StoredFlow, error) {
	if !a.IsAdmin() {
		return StoredFlow{}, errForbidden()
	}
	if !ValidRequestType(reqType) {
		return StoredFlow{}, errs.New(errs.NotFound, "not_found", "no request type %q", reqType)
	}
	if err := f.validate(); err != nil {
		return StoredFlow{}, err
	}
	now := r.now()
	var out StoredFlow
	err := pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		var fe errs.Fields
		for i, st := range f.Steps {
			for j, src := range st.Approvers {
				if src.Type != SourceUsers {
					continue
				}
				ok, err := org.ActiveEmployees(ctx, tx, a.TenantID, src.UserIDs)
				if err != nil {
					return err
				}
				for k, id := range src.UserIDs {
					if !slices.Contains(ok, id) {
						fe.Add(fmt.Sprintf("steps[%d].approvers[%d].user_ids[%d]", i, j, k), "unknown_employee",
							"no active employee with id %s", id)
					}
				}
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		before, err := r.flow(ctx, tx, a.TenantID, reqType)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("approval flow: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO approval_flows (tenant_id, request_type, flow, updated_at, updated_by)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, request_type)
			DO UPDATE SET flow = excluded.flow, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			a.TenantID, reqType, raw, now, a.EmployeeID); err != nil {
			return fmt.Errorf("approval flow: %w", err)
		}
		out = StoredFlow{RequestType: reqType, Flow: f, UpdatedAt: &now, UpdatedBy: &a.EmployeeID}
		return org.Audit(ctx, tx, a, now, "approval_flow.update", "approval_flow", reqType,
			map[string]any{"flow": map[string]any{"from": before.Flow, "to": f}})
	})
	return out, err
}

// RequestRef names what an approval decides: a request of one of the request
// types, or (RequestPunch) a flagged punch by its id.
type RequestRef struct {
	TenantID   uuid.UUID
	Type       string
	ID         uuid.UUID
	EmployeeID uuid.UUID // the requester (for a punch: whose punch it is)
}

// Approval is the decision process of one request.
type Approval struct {
	ID              uuid.UUID
	TenantID        uuid.UUID
	RequestType     string
	RequestID       uuid.UUID
	EmployeeID      uuid.UUID
	Status          string
	Flow            Flow // as it was when the request was made (plus the admin fallback step, if used)
	Step            int  // index into Flow.Steps
	StepMode        string
	Escalations     int
	StepStartedAt   time.Time
	RemindAt        *time.Time
	EscalateAt      *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DecidedAt       *time.Time
	DecidedBy       *uuid.UUID
	DecisionComment *string

	// Filled when read for an actor.
	Assignees []Assignee
	CanDecide bool
	Employee  org.EmployeeBrief
	Request   *Request // makeup, leave, overtime
	Punch     *Punch   // a flagged punch under review
	History   []HistoryEvent
	Names     map[uuid.UUID]string // every employee the approval mentions
	PhotoURL  *string              // a signed URL of the evidence photo, when the photo store offers one
}

// Assignee is one approver asked at one step, and their decision.
type Assignee struct {
	Step       int
	ApproverID uuid.UUID
	Via        string // flow, escalation, admins
	AssignedAt time.Time
	Decision   *string
	DecidedAt  *time.Time
	DecidedBy  *uuid.UUID // the approver, or their delegate
}

const approvalCols = `a.id, a.tenant_id, a.request_type, a.request_id, a.employee_id, a.status, a.flow, a.step, a.step_mode,
	a.escalations, a.step_started_at, a.remind_at, a.escalate_at, a.created_at, a.updated_at, a.decided_at, a.decided_by,
	a.decision_comment`

// scanApproval reads approvalCols, then any extra columns into extra.
func scanApproval(row pgx.Row, extra ...any) (Approval, error) {
	var ap Approval
	var raw []byte
	err := row.Scan(append([]any{&ap.ID, &ap.TenantID, &ap.RequestType, &ap.RequestID, &ap.EmployeeID, &ap.Status, &raw, &ap.Step,
		&ap.StepMode, &ap.Escalations, &ap.StepStartedAt, &ap.RemindAt, &ap.EscalateAt, &ap.CreatedAt, &ap.UpdatedAt,
		&ap.DecidedAt, &ap.DecidedBy, &ap.DecisionComment}, extra...)...)
	if err != nil {
		return ap, err
	}
	return ap, json.Unmarshal(raw, &ap.Flow)
}

// resolveStep turns a step's approver sources into active employees, the
// requester left out.
func (r *Requests) resolveStep(ctx context.Context, tx pgx.Tx, tenant, requester uuid.UUID, st FlowStep) ([]uuid.UUID, error) {
	var out []uuid.UUID
	for _, src := range st.Approvers {
		var ids []uuid.UUID
		var err error
		switch src.Type {
		case SourceManager:
			ids, err = org.DirectManagers(ctx, tx, tenant, requester, requester)
		case SourceDepartmentHead:
			ids, err = org.DepartmentHeads(ctx, tx, tenant, requester, src.Levels, requester)
		case SourceRole:
			ids, err = org.EmployeesWithRole(ctx, tx, tenant, org.Role(src.Role))
		case SourceUsers:
			ids, err = org.ActiveEmployees(ctx, tx, tenant, src.UserIDs)
		case SourceAdmins:
			ids, err = r.admins(ctx, tx, tenant, requester)
		}
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if (id != requester || src.Type == SourceAdmins) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// admins are who decides when nobody else can: the tenant's active admins
// other than the requester, or the requester when they are the only admin
// (someone must be able to decide).
func (r *Requests) admins(ctx context.Context, tx pgx.Tx, tenant, requester uuid.UUID) ([]uuid.UUID, error) {
	all, err := org.ActiveAdmins(ctx, tx, tenant)
	if err != nil {
		return nil, err
	}
	others := slices.DeleteFunc(slices.Clone(all), func(id uuid.UUID) bool { return id == requester })
	if len(others) > 0 {
		return others, nil
	}
	return all, nil
}

func adminStep() FlowStep {
	return FlowStep{Name: "admins", Mode: ModeAny, Approvers: []ApproverSource{{Type: SourceAdmins}}}
}

// StartApprovalTx starts the approval of ref inside the caller's
// transaction: it snapshots the tenant's flow for ref.Type, asks the
// approvers of the first step that has any (the tenant's admins when no
// step has), and notifies them. The punch path calls it for a punch whose
// verdict is needs_approval or flagged; request creation calls it for every
// request that is not auto-approved. Starting twice for one ref is refused.
func (r *Requests) StartApprovalTx(ctx context.Context, tx pgx.Tx, ref RequestRef) (Approval, error) {
	if !ValidRequestType(ref.Type) {
		return Approval{}, fmt.Errorf("start approval: unknown request type %q", ref.Type)
	}
	now := r.now()
	sf, err := r.flow(ctx, tx, ref.TenantID, ref.Type)
	if err != nil {
		return Approval{}, err
	}
	f := sf.Flow
	step, ids := -1, []uuid.UUID(nil)
	for i, st := range f.Steps {
		if ids, err = r.resolveStep(ctx, tx, ref.TenantID, ref.EmployeeID, st); err != nil {
			return Approval{}, err
		}
		if len(ids) > 0 {
			step = i
			break
		}
	}
	via := "flow"
	if step < 0 {
		f.Steps = append(f.Steps, adminStep())
		step, via = len(f.Steps)-1, "admins"
		if ids, err = r.resolveStep(ctx, tx, ref.TenantID, ref.EmployeeID, f.Steps[step]); err != nil {
			return Approval{}, err
		}
		if len(ids) == 0 {
			return Approval{}, errs.New(errs.Conflict, "no_approver", "the tenant has no active admin to decide this request")
		}
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return Approval{}, fmt.Errorf("start approval: %w", err)
	}
	id, _ := uuid.NewV7()
	ap := Approval{ID: id, TenantID: ref.TenantID, RequestType: ref.Type, RequestID: ref.ID, EmployeeID: ref.EmployeeID,
		Status: StatusPending, Flow: f, Step: step, StepMode: f.Steps[step].Mode, StepStartedAt: now, CreatedAt: now, UpdatedAt: now}
	ap.RemindAt, ap.EscalateAt = timers(f, now)
	if _, err := tx.Exec(ctx, `INSERT INTO approvals (tenant_id, id, request_type, request_id, employee_id, status, flow, step,
			step_mode, step_started_at, remind_at, escalate_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
		ap.TenantID, ap.ID, ap.RequestType, ap.RequestID, ap.EmployeeID, ap.Status, raw, ap.Step, ap.StepMode,
		now, ap.RemindAt, ap.EscalateAt, now); err != nil {
		if isUnique(err) {
			return Approval{}, errs.New(errs.Conflict, "approval_exists", "this %s is already under approval", ref.Type)
		}
		return Approval{}, fmt.Errorf("start approval: %w", err)
	}
	if err := r.assign(ctx, tx, &ap, ids, via, now); err != nil {
		return Approval{}, err
	}
	sys := org.Actor{TenantID: ref.TenantID}
	if err := r.event(ctx, tx, sys, ref.Type, ref.ID, now, "assigned", nil, nil,
		map[string]any{"approval_id": ap.ID, "step": step, "approvers": ids, "via": via}); err != nil {
		return Approval{}, err
	}
	return ap, r.notifyApprovers(ctx, tx, &ap, ids, "approval.requested", "approval_requested", now)
}

// timers are when a step that starts at now is reminded and escalated.
func timers(f Flow, now time.Time) (remind, escalate *time.Time) {
	if f.RemindAfterHours > 0 {
		t := now.Add(time.Duration(f.RemindAfterHours) * time.Hour)
		remind = &t
	}
	if f.EscalateAfterHours > 0 {
		t := now.Add(time.Duration(f.EscalateAfterHours) * time.Hour)
		escalate = &t
	}
	return remind, escalate
}

// assign asks ids at the approval's current step.
func (r *Requests) assign(ctx context.Context, tx pgx.Tx, ap *Approval, ids []uuid.UUID, via string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO approval_assignees (tenant_id, approval_id, step, approver_id, via, assigned_at)
		SELECT $1, $2, $3, u, $4, $5 FROM unnest($6::uuid[]) AS u ON CONFLICT DO NOTHING`,
		ap.TenantID, ap.ID, ap.Step, via, now, ids); err != nil {
		return fmt.Errorf("assign approvers: %w", err)
	}
	for _, id := range ids {
		ap.Assignees = append(ap.Assignees, Assignee{Step: ap.Step, ApproverID: id, Via: via, AssignedAt: now})
	}
	return nil
}

// delegatesOf returns the active delegates (at now) of the given approvers.
func delegatesOf(ctx context.Context, q org.Querier, tenant uuid.UUID, approvers []uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT delegate_id FROM delegations
		WHERE tenant_id = $1 AND employee_id = ANY($2) AND starts_at <= $3 AND ends_at > $3`, tenant, approvers, now)
	if err != nil {
		return nil, fmt.Errorf("delegates: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("delegates: %w", err)
	}
	return ids, nil
}

const delegatorsSQL = `SELECT employee_id FROM delegations
	WHERE tenant_id = $1 AND delegate_id = $2 AND starts_at <= $3 AND ends_at > $3`

// delegatorsOf returns whom emp stands in for at now (their active
// delegations), emp first.
func delegatorsOf(ctx context.Context, q org.Querier, tenant, emp uuid.UUID, now time.Time) ([]uuid.UUID, error) {
	rows, err := q.Query(ctx, delegatorsSQL, tenant, emp, now)
	if err != nil {
		return nil, fmt.Errorf("delegators: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, fmt.Errorf("delegators: %w", err)
	}
	return append([]uuid.UUID{emp}, ids...), nil
}

// notifyApprovers tells approvers (and whoever stands in for them now) that
// the approval needs them.
func (r *Requests) notifyApprovers(ctx context.Context, tx pgx.Tx, ap *Approval, approvers []uuid.UUID, typ, template string, now time.Time) error {
	if len(approvers) == 0 {
		return nil
	}
	dels, err := delegatesOf(ctx, tx, ap.TenantID, approvers, now)
	if err != nil {
		return err
	}
	sum, err := r.summary(ctx, tx, ap)
	if err != nil {
		return err
	}
	err = r.n.NotifyTx(ctx, tx, Notification{
		TenantID: ap.TenantID, Recipients: slices.Concat(approvers, dels), Type: typ, Template: template,
		Params: map[string]string{"requester": sum.requester, "request_type": notifyRequestType(ap.RequestType),
			"summary": sum.text, "submitted_at": sum.submitted},
		Data:      map[string]string{"approval_id": ap.ID.String(), "request_id": ap.RequestID.String(), "request_type": ap.RequestType},
		DedupeKey: fmt.Sprintf("%s:%s:%d:%d", typ, ap.ID, ap.Step, ap.Escalations),
	})
	if err != nil {
		return fmt.Errorf("notify approvers: %w", err)
	}
	return nil
}

// notifyRequestType is the request type as notification templates name it.
func notifyRequestType(t string) string {
	if t == RequestPunch {
		return "flagged_punch"
	}
	return t
}

type approvalSummary struct {
	requester string
	text      string
	submitted string
	tz        *time.Location
}

// summary describes the request in one line for notifications, in the
// requester's time zone.
func (r *Requests) summary(ctx context.Context, tx pgx.Tx, ap *Approval) (approvalSummary, error) {
	briefs, err := org.EmployeeBriefs(ctx, tx, ap.TenantID, []uuid.UUID{ap.EmployeeID})
	if err != nil {
		return approvalSummary{}, err
	}
	b := briefs[ap.EmployeeID]
	loc, err := time.LoadLocation(b.Timezone)
	if err != nil {
		loc = time.UTC
	}
	s := approvalSummary{requester: b.Name, tz: loc, submitted: ap.CreatedAt.In(loc).Format("2006-01-02 15:04")}
	if ap.RequestType == RequestPunch {
		p, err := scanPunch(tx.QueryRow(ctx, `SELECT `+punchSelectCols+` FROM punches WHERE tenant_id = $1 AND id = $2`, ap.TenantID, ap.RequestID))
		if err != nil {
			return s, fmt.Errorf("approval summary: %w", err)
		}
		s.text = fmt.Sprintf("%s %s", p.OccurredAt.In(loc).Format("2006-01-02 15:04"), p.Kind)
		if p.NearestDistanceM != nil && p.NearestSiteName != nil {
			s.text += fmt.Sprintf(", %.0f m from %s", *p.NearestDistanceM, *p.NearestSiteName)
		}
		return s, nil
	}
	req, err := scanRequest(tx.QueryRow(ctx, `SELECT `+requestCols+` FROM requests r WHERE r.tenant_id = $1 AND r.id = $2`,
		ap.TenantID, ap.RequestID))
	if err != nil {
		return s, fmt.Errorf("approval summary: %w", err)
	}
	s.text = req.Summary(loc)
	return s, nil
}
