package attendance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

// EvidenceRule says which evidence a request type requires.
type EvidenceRule struct {
	Photo    bool `json:"photo"`
	Location bool `json:"location"`
}

// RequiredEvidence is the evidence each request type requires.
type RequiredEvidence struct {
	Makeup   EvidenceRule `json:"makeup"`
	Leave    EvidenceRule `json:"leave"`
	Overtime EvidenceRule `json:"overtime"`
}

// AutoApproveRule approves a make-up request without a person when its
// evidence is strong: the location evaluated to accepted, inside a permitted
// geofence (not merely within the fix's accuracy of it), with no warning or
// critical signal, and (RequirePhoto) a photo attached.
type AutoApproveRule struct {
	Enabled      bool `json:"enabled"`
	RequirePhoto bool `json:"require_photo"`
}

// MakeupPolicy is a tenant's rules for requests (docs/approvals.md).
type MakeupPolicy struct {
	// MonthlyQuota is how many make-up requests (pending or approved) an
	// employee may have for punch times in one calendar month (0–99).
	MonthlyQuota int `json:"monthly_quota"`
	// DaysBack is how many calendar days back a make-up punch may be (1–180).
	DaysBack int `json:"days_back"`
	// CutoffDay: at the end of this day of the next month, a month is closed
	// to make-up requests (1–28; 0: months never close).
	CutoffDay        int              `json:"cutoff_day"`
	RequiredEvidence RequiredEvidence `json:"required_evidence"`
	AutoApprove      AutoApproveRule  `json:"auto_approve"`
}

// StoredPolicy is a tenant's policy, or the default.
type StoredPolicy struct {
	Policy    MakeupPolicy
	IsDefault bool
	UpdatedAt *time.Time
	UpdatedBy *uuid.UUID
}

// DefaultMakeupPolicy is the policy of a tenant that has set none.
func DefaultMakeupPolicy() MakeupPolicy {
	return MakeupPolicy{MonthlyQuota: 3, DaysBack: 30, CutoffDay: 5, AutoApprove: AutoApproveRule{RequirePhoto: true}}
}

// Validate checks the policy's ranges.
func (p MakeupPolicy) Validate() error {
	var f errs.Fields
	if p.MonthlyQuota < 0 || p.MonthlyQuota > 99 {
		f.Add("monthly_quota", "invalid_quota", "monthly_quota must be between 0 and 99")
	}
	if p.DaysBack < 1 || p.DaysBack > 180 {
		f.Add("days_back", "invalid_days_back", "days_back must be between 1 and 180")
	}
	if p.CutoffDay < 0 || p.CutoffDay > 28 {
		f.Add("cutoff_day", "invalid_cutoff_day", "cutoff_day must be between 1 and 28, or 0 for no cut-off")
	}
	if p.RequiredEvidence.Leave.Location {
		f.Add("required_evidence.leave.location", "unsupported_evidence", "leave requests carry no location")
	}
	if p.RequiredEvidence.Overtime.Location {
		f.Add("required_evidence.overtime.location", "unsupported_evidence", "overtime requests carry no location")
	}
	return f.Err()
}

func (r *Requests) policy(ctx context.Context, q org.Querier, tenant uuid.UUID) (StoredPolicy, error) {
	var sp StoredPolicy
	var raw []byte
	err := q.QueryRow(ctx, `SELECT policy, updated_at, updated_by FROM request_policies WHERE tenant_id = $1`, tenant).
		Scan(&raw, &sp.UpdatedAt, &sp.UpdatedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		sp.Policy, sp.IsDefault = DefaultMakeupPolicy(), true
		return sp, nil
	}
	if err != nil {
		return sp, fmt.Errorf("request policy: %w", err)
	}
	sp.Policy = DefaultMakeupPolicy()
	if err := json.Unmarshal(raw, &sp.Policy); err != nil {
		return sp, fmt.Errorf("request policy: %w", err)
	}
	return sp, nil
}

// GetPolicy returns the tenant's request policy. Admins only.
func (r *Requests) GetPolicy(ctx context.Context, a org.Actor) (StoredPolicy, error) {
	if !a.IsAdmin() {
		return StoredPolicy{}, errForbidden()
	}
	return r.policy(ctx, r.pool, a.TenantID)
}

// PutPolicy replaces the tenant's request policy. Admins only; audited.
func (r *Requests) PutPolicy(ctx context.Context, a org.Actor, p MakeupPolicy) (StoredPolicy, error) {
	if !a.IsAdmin() {
		return StoredPolicy{}, errForbidden()
	}
	if err := p.Validate(); err != nil {
		return StoredPolicy{}, err
	}
	now := r.now()
	raw, err := json.Marshal(p)
	if err != nil {
		return StoredPolicy{}, fmt.Errorf("request policy: %w", err)
	}
	err = pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		before, err := r.policy(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO request_policies (tenant_id, policy, updated_at, updated_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
			a.TenantID, raw, now, a.EmployeeID); err != nil {
			return fmt.Errorf("request policy: %w", err)
		}
		return org.Audit(ctx, tx, a, now, "request_policy.update", "request_policy", a.TenantID.String(),
			map[string]any{"policy": map[string]any{"from": before.Policy, "to": p}})
	})
	if err != nil {
		return StoredPolicy{}, err
	}
	return StoredPolicy{Policy: p, UpdatedAt: &now, UpdatedBy: &a.EmployeeID}, nil
}

// LocationInput is a GPS fix sent as evidence.
type LocationInput struct {
	Lat, Lng  float64
	AccuracyM float64
	CRS       string // wgs84 (default), gcj02, bd09
	FixTime   *time.Time
	IsMock    *bool
}

// NewMakeupRequest asks for a punch that was missed or refused.
type NewMakeupRequest struct {
	Kind            string
	Time            time.Time
	Reason          string
	PhotoID         *uuid.UUID
	Location        *LocationInput
	CorrectsPunchID *uuid.UUID // the flagged or rejected punch it replaces
}

// Stable codes of make-up policy violations (422).
const (
	CodeQuotaExceeded    = "makeup_quota_exceeded"
	CodeTooOld           = "makeup_too_old"
	CodePeriodClosed     = "makeup_period_closed"
	CodeInFuture         = "makeup_in_future"
	CodeEvidenceRequired = "evidence_required"
)

// CheckMakeupTime applies the policy's time rules to a make-up punch at t,
// asked for at now by an employee in loc. It is pure.
func CheckMakeupTime(p MakeupPolicy, t, now time.Time, loc *time.Location) error {
	if t.After(now) {
		return &errs.Error{Kind: errs.Invalid, Code: CodeInFuture, Msg: "a make-up punch cannot be in the future",
			Fields: []errs.Field{{Field: "time", Code: CodeInFuture, Message: "the time is later than now"}}}
	}
	lt, ln := t.In(loc), now.In(loc)
	today := time.Date(ln.Year(), ln.Month(), ln.Day(), 0, 0, 0, 0, loc)
	earliest := today.AddDate(0, 0, -p.DaysBack)
	if lt.Before(earliest) {
		msg := fmt.Sprintf("make-up punches may go back at most %d days (to %s)", p.DaysBack, earliest.Format("2006-01-02"))
		return &errs.Error{Kind: errs.Invalid, Code: CodeTooOld, Msg: msg,
			Fields: []errs.Field{{Field: "time", Code: CodeTooOld, Message: msg}}}
	}
	if p.CutoffDay > 0 {
		month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
		closes := month.AddDate(0, 1, p.CutoffDay)
		if !now.Before(closes) {
			msg := fmt.Sprintf("%s was closed to make-up requests at the end of %s", month.Format("2006-01"),
				closes.AddDate(0, 0, -1).Format("2006-01-02"))
			return &errs.Error{Kind: errs.Invalid, Code: CodePeriodClosed, Msg: msg,
				Fields: []errs.Field{{Field: "time", Code: CodePeriodClosed, Message: msg}}}
		}
	}
	return nil
}

// checkEvidence refuses a request that lacks evidence its type requires.
func checkEvidence(rule EvidenceRule, photo *uuid.UUID, hasLocation bool) error {
	var f []errs.Field
	if rule.Photo && photo == nil {
		f = append(f, errs.Field{Field: "photo_id", Code: CodeEvidenceRequired, Message: "a photo is required"})
	}
	if rule.Location && !hasLocation {
		f = append(f, errs.Field{Field: "location", Code: CodeEvidenceRequired, Message: "a location is required"})
	}
	if len(f) == 0 {
		return nil
	}
	msg := "this request needs evidence: " + f[0].Message
	if len(f) == 2 {
		msg = "this request needs evidence: a photo and a location"
	}
	return &errs.Error{Kind: errs.Invalid, Code: CodeEvidenceRequired, Msg: msg, Fields: f}
}

// evaluateEvidence runs a location through the live punch evaluation
// (the same geofences, accuracy rules, trust signals and verdicts).
func (r *Requests) evaluateEvidence(ctx context.Context, a org.Actor, kind string, photo *uuid.UUID, l LocationInput, now time.Time) (*Evidence, error) {
	in := NewAppPunch{ClientPunchID: uuid.New(), Kind: kind, Lat: l.Lat, Lng: l.Lng, AccuracyM: l.AccuracyM, CRS: l.CRS,
		FixTime: l.FixTime, IsMock: l.IsMock, PhotoID: photo}
	if err := in.Validate(); err != nil {
		if e, ok := errs.As(err); ok {
			for i := range e.Fields {
				if e.Fields[i].Field == "location" || e.Fields[i].Field == "kind" {
					continue
				}
				e.Fields[i].Field = "location." + e.Fields[i].Field
			}
		}
		return nil, err
	}
	pc, err := r.att.org.PunchContextFor(ctx, a.TenantID, a.EmployeeID)
	if err != nil {
		return nil, err
	}
	facts, err := r.att.gatherEvidence(ctx, a, in)
	if err != nil {
		return nil, err
	}
	p := r.att.evaluateWith(pc, in, now, facts)
	ev := &Evidence{Verdict: p.Verdict, SiteID: p.SiteID, SiteName: p.SiteName, DistanceM: p.DistanceM, Containment: p.Containment,
		NearestSiteID: p.NearestSiteID, NearestSiteName: p.NearestSiteName, NearestDistanceM: p.NearestDistanceM,
		Signals: p.Signals, EvaluatedAt: now}
	if loc := p.Location; loc != nil {
		ev.Location = &EvidenceLocation{Lat: loc.Lat, Lng: loc.Lng, AccuracyM: loc.AccuracyM, CRS: string(loc.CRS),
			SrcLat: loc.SrcLat, SrcLng: loc.SrcLng, FixTime: loc.FixTime, IsMock: loc.IsMock}
	}
	return ev, nil
}

// autoApproves reports whether the policy's auto-approve rule accepts the
// request's evidence.
func autoApproves(rule AutoApproveRule, photo *uuid.UUID, ev *Evidence) bool {
	if !rule.Enabled || ev == nil || (rule.RequirePhoto && photo == nil) {
		return false
	}
	if ev.Verdict != VerdictAccepted || ev.SiteID == nil || ev.Containment == nil ||
		(*ev.Containment != string(geo.Inside) && *ev.Containment != string(geo.InsideUncertain)) {
		return false
	}
	for _, s := range ev.Signals {
		if s.Severity == "warning" || s.Severity == "critical" {
			return false
		}
	}
	return true
}

// CreateMakeup files a make-up punch request for the caller. Its location
// (if any) is evaluated like a live punch and kept as evidence; the tenant's
// policy decides whether it may be filed (422 with a stable code when not)
// and whether it is approved at once.
func (r *Requests) CreateMakeup(ctx context.Context, a org.Actor, in NewMakeupRequest) (Request, error) {
	var f errs.Fields
	if in.Kind != KindIn && in.Kind != KindOut {
		f.Add("kind", "invalid_kind", "kind must be in or out")
	}
	reason, ok := validReason(in.Reason)
	if !ok {
		f.Add("reason", "invalid_reason", "give a reason of 1 to 1000 printable characters")
	}
	if in.Time.IsZero() {
		f.Add("time", "required", "the time of the punch asked for is required")
	}
	if err := f.Err(); err != nil {
		return Request{}, err
	}
	if err := r.checkPhoto(ctx, a, in.PhotoID); err != nil {
		return Request{}, err
	}
	now := r.now()
	sp, err := r.policy(ctx, r.pool, a.TenantID)
	if err != nil {
		return Request{}, err
	}
	pol := sp.Policy
	var ev *Evidence
	if in.Location != nil {
		if ev, err = r.evaluateEvidence(ctx, a, in.Kind, in.PhotoID, *in.Location, now); err != nil {
			return Request{}, err
		}
	}
	t := in.Time.UTC().Truncate(time.Microsecond)
	q := Request{Type: RequestMakeup, Reason: reason, PhotoID: in.PhotoID,
		Makeup: &MakeupDetails{Kind: in.Kind, Time: t, Evidence: ev, CorrectsPunchID: in.CorrectsPunchID}}
	auto := autoApproves(pol.AutoApprove, in.PhotoID, ev)
	return r.create(ctx, a, q, func(tx pgx.Tx, emp org.EmployeeBrief) error {
		loc, err := time.LoadLocation(emp.Timezone)
		if err != nil {
			loc = time.UTC
		}
		if err := CheckMakeupTime(pol, t, now, loc); err != nil {
			return err
		}
		if err := checkEvidence(pol.RequiredEvidence.Makeup, in.PhotoID, in.Location != nil); err != nil {
			return err
		}
		if in.CorrectsPunchID != nil {
			var owner uuid.UUID
			var verdict string
			err := tx.QueryRow(ctx, `SELECT employee_id, verdict FROM punches WHERE tenant_id = $1 AND id = $2`,
				a.TenantID, *in.CorrectsPunchID).Scan(&owner, &verdict)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && owner != a.EmployeeID) {
				return errs.FieldErr("corrects_punch_id", "unknown_punch", "you have no punch with this id")
			}
			if err != nil {
				return fmt.Errorf("make-up request: %w", err)
			}
			if verdict == VerdictAccepted {
				return errs.FieldErr("corrects_punch_id", "punch_not_correctable", "this punch was accepted; only flagged or refused punches are replaced")
			}
		}
		lt := t.In(loc)
		from := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
		to := from.AddDate(0, 1, 0)
		var used int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM requests WHERE tenant_id = $1 AND employee_id = $2 AND type = 'makeup'
			AND status IN ('pending', 'approved') AND punch_time >= $3 AND punch_time < $4`,
			a.TenantID, a.EmployeeID, from, to).Scan(&used); err != nil {
			return fmt.Errorf("make-up quota: %w", err)
		}
		if used >= pol.MonthlyQuota {
			msg := fmt.Sprintf("the monthly quota is %d make-up requests and %d of them are used for %s",
				pol.MonthlyQuota, used, from.Format("2006-01"))
			return &errs.Error{Kind: errs.Invalid, Code: CodeQuotaExceeded, Msg: msg,
				Fields: []errs.Field{{Field: "time", Code: CodeQuotaExceeded, Message: msg}}}
		}
		return nil
	}, auto)
}

// autoApprove approves a new request by the tenant's rule, without a person.
func (r *Requests) autoApprove(ctx context.Context, tx pgx.Tx, q Request, emp org.EmployeeBrief, now time.Time) error {
	sys := org.Actor{TenantID: q.TenantID}
	pid, err := r.applyApproval(ctx, tx, &q, nil, now)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE requests SET status = 'approved', decided_at = $3, auto_approved = true, updated_at = $3,
		corrective_punch_id = $4 WHERE tenant_id = $1 AND id = $2`, q.TenantID, q.ID, now, pid); err != nil {
		return fmt.Errorf("auto-approve: %w", err)
	}
	q.Status, q.DecidedAt = StatusApproved, &now
	details := map[string]any{"rule": "auto_approve"}
	if pid != nil {
		details["corrective_punch_id"] = *pid
	}
	if err := r.event(ctx, tx, sys, q.Type, q.ID, now, "auto_approved", nil, nil, details); err != nil {
		return err
	}
	loc, err := time.LoadLocation(emp.Timezone)
	if err != nil {
		loc = time.UTC
	}
	if err := r.n.NotifyTx(ctx, tx, Notification{TenantID: q.TenantID, Recipients: []uuid.UUID{q.EmployeeID},
		Type: "request.decided", Template: "request_auto_approved",
		Params:    map[string]string{"request_type": q.Type, "summary": q.Summary(loc), "decision": StatusApproved},
		Data:      map[string]string{"request_id": q.ID.String(), "request_type": q.Type, "status": StatusApproved},
		DedupeKey: "request.decided:" + q.ID.String()}); err != nil {
		return fmt.Errorf("notify requester: %w", err)
	}
	if err := r.n.PublishTx(ctx, tx, Event{TenantID: q.TenantID, Type: "request.decided", OccurredAt: now,
		Data: webhookData(q, nil)}); err != nil {
		return fmt.Errorf("publish request.decided: %w", err)
	}
	return nil
}

// applyApproval makes an approved request take effect: for a make-up
// request, the corrective punch (source makeup, at the requested time,
// linked to the request, its approver and the punch it corrects; nil
// approver: the policy). Leave and overtime are stored for the attendance
// engine and need nothing more. It returns the corrective punch's id, which
// the caller stores on the request with its new status.
func (r *Requests) applyApproval(ctx context.Context, tx pgx.Tx, q *Request, approver *uuid.UUID, now time.Time) (*uuid.UUID, error) {
	if q.Makeup == nil {
		return nil, nil
	}
	m := q.Makeup
	id, _ := uuid.NewV7()
	details := map[string]any{"request_id": q.ID}
	msg := "make-up punch approved"
	if approver != nil {
		details["approved_by"] = *approver
	} else {
		msg = "make-up punch approved by the tenant's auto-approve rule"
	}
	var siteID *uuid.UUID
	var siteName *string
	if ev := m.Evidence; ev != nil {
		details["evidence_verdict"] = ev.Verdict
		if ev.Verdict == VerdictAccepted {
			siteID, siteName = ev.SiteID, ev.SiteName
		}
	}
	sig, err := json.Marshal([]Signal{{Code: "makeup_approved", Severity: "info", Message: msg, Details: details}})
	if err != nil {
		return nil, fmt.Errorf("corrective punch: %w", err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO punches (id, tenant_id, employee_id, kind, source, verdict, occurred_at, received_at,
			site_id, site_name, photo_id, signals, makeup_request_id, approved_by, corrects_punch_id)
		VALUES ($1, $2, $3, $4, 'makeup', 'accepted', $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (tenant_id, makeup_request_id) WHERE makeup_request_id IS NOT NULL DO NOTHING`,
		id, q.TenantID, q.EmployeeID, m.Kind, m.Time, now, siteID, siteName, q.PhotoID, sig, q.ID, approver, m.CorrectsPunchID)
	if err != nil {
		return nil, fmt.Errorf("corrective punch: %w", err)
	}
	if tag.RowsAffected() == 0 {
		if err := tx.QueryRow(ctx, `SELECT id FROM punches WHERE tenant_id = $1 AND makeup_request_id = $2`, q.TenantID, q.ID).Scan(&id); err != nil {
			return nil, fmt.Errorf("corrective punch: %w", err)
		}
	}
	m.CorrectivePunchID = &id
	return &id, nil
}
