package api

import (
	"context"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/org"
)

func fromSignals(sigs []attendance.Signal) []Signal {
	out := make([]Signal, len(sigs))
	for i, s := range sigs {
		out[i] = Signal{Code: s.Code, Message: s.Message, Severity: ptr(SignalSeverity(s.Severity))}
		if s.Details != nil {
			d := s.Details
			out[i].Details = &d
		}
	}
	return out
}

func fromHistory(h []attendance.HistoryEvent) []HistoryEvent {
	out := make([]HistoryEvent, len(h))
	for i, e := range h {
		d := e.Details
		if d == nil {
			d = map[string]any{}
		}
		out[i] = HistoryEvent{Id: e.ID, At: e.At, ActorId: nul(e.ActorID), ActorName: nul(e.ActorName),
			OnBehalfOf: nul(e.OnBehalfOf), Action: e.Action, Comment: nul(e.Comment), Details: d}
	}
	return out
}

func fromEvidenceLocation(l *attendance.EvidenceLocation) StoredLocation {
	return StoredLocation{Lat: l.Lat, Lng: l.Lng, AccuracyM: nul(l.AccuracyM), Crs: Crs(l.CRS), SrcLat: l.SrcLat, SrcLng: l.SrcLng,
		FixTime: nul(l.FixTime), IsMock: nul(l.IsMock)}
}

func fromEvidence(ev *attendance.Evidence) *Evidence {
	if ev == nil {
		return nil
	}
	out := &Evidence{Verdict: Verdict(ev.Verdict), SiteId: nul(ev.SiteID), SiteName: nul(ev.SiteName), DistanceM: nul(ev.DistanceM),
		Containment: nul(ev.Containment), NearestSiteId: nul(ev.NearestSiteID), NearestSiteName: nul(ev.NearestSiteName),
		NearestDistanceM: nul(ev.NearestDistanceM), Signals: fromSignals(ev.Signals), EvaluatedAt: ptr(ev.EvaluatedAt)}
	if ev.Location != nil {
		out.Location = nul(ptr(fromEvidenceLocation(ev.Location)))
	}
	return out
}

func fromMakeup(q attendance.Request) MakeupRequest {
	m := q.Makeup
	out := MakeupRequest{Id: q.ID, EmployeeId: q.EmployeeID, Kind: PunchKind(m.Kind), Time: m.Time, Reason: q.Reason,
		Status: RequestStatus(q.Status), PhotoId: nul(q.PhotoID), Signals: []Signal{}, Evidence: fromEvidence(m.Evidence),
		CorrectsPunchId: nul(m.CorrectsPunchID), CorrectivePunchId: nul(m.CorrectivePunchID), AutoApproved: m.AutoApproved,
		ApprovalId: nul(q.ApprovalID), CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt, DecidedAt: nul(q.DecidedAt),
		DecidedBy: nul(q.DecidedBy), DecisionComment: nul(q.DecisionComment), History: fromHistory(q.History),
		Verdict: nul[MakeupRequestVerdict](nil)}
	if m.Evidence != nil {
		out.Verdict = nul(ptr(MakeupRequestVerdict(m.Evidence.Verdict)))
		out.Signals = fromSignals(m.Evidence.Signals)
	}
	return out
}

func fromLeave(q attendance.Request) LeaveRequest {
	l := q.Leave
	out := LeaveRequest{Id: q.ID, EmployeeId: q.EmployeeID, Type: LeaveType(l.Type), Start: openapi_types.Date{Time: l.Start},
		End: openapi_types.Date{Time: l.End}, Days: l.Days(), Reason: q.Reason, Status: RequestStatus(q.Status),
		PhotoId: nul(q.PhotoID), ApprovalId: nul(q.ApprovalID), CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
		DecidedAt: nul(q.DecidedAt), DecidedBy: nul(q.DecidedBy), DecisionComment: nul(q.DecisionComment),
		History: fromHistory(q.History), StartHalf: nul[LeaveRequestStartHalf](nil), EndHalf: nul[LeaveRequestEndHalf](nil)}
	if l.StartHalf != nil {
		out.StartHalf = nul(ptr(LeaveRequestStartHalf(*l.StartHalf)))
	}
	if l.EndHalf != nil {
		out.EndHalf = nul(ptr(LeaveRequestEndHalf(*l.EndHalf)))
	}
	return out
}

func fromOvertime(q attendance.Request) OvertimeRequest {
	o := q.Overtime
	return OvertimeRequest{Id: q.ID, EmployeeId: q.EmployeeID, Start: o.Start, End: o.End, Hours: o.Hours(),
		Compensation: Compensation(o.Compensation), Reason: q.Reason, Status: RequestStatus(q.Status), PhotoId: nul(q.PhotoID),
		ApprovalId: nul(q.ApprovalID), CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt, DecidedAt: nul(q.DecidedAt),
		DecidedBy: nul(q.DecidedBy), DecisionComment: nul(q.DecisionComment), History: fromHistory(q.History)}
}

func fromLocationInput(l *PunchLocation) *attendance.LocationInput {
	if l == nil {
		return nil
	}
	in := &attendance.LocationInput{Lat: l.Lat, Lng: l.Lng, AccuracyM: l.AccuracyM, FixTime: l.FixTime, IsMock: l.IsMock}
	if l.Crs != nil {
		in.CRS = string(*l.Crs)
	}
	return in
}

// CreateMakeupRequest files a make-up punch request.
func (s *Server) CreateMakeupRequest(ctx context.Context, r CreateMakeupRequestRequestObject) (CreateMakeupRequestResponseObject, error) {
	b := r.Body
	q, err := s.req.CreateMakeup(ctx, actorFrom(ctx), attendance.NewMakeupRequest{Kind: string(b.Kind), Time: b.Time,
		Reason: b.Reason, PhotoID: b.PhotoId, Location: fromLocationInput(b.Location), CorrectsPunchID: b.CorrectsPunchId})
	if err != nil {
		return nil, err
	}
	return CreateMakeupRequest201JSONResponse(fromMakeup(q)), nil
}

func (s *Server) listMine(ctx context.Context, typ string, status *RequestStatus, cursor *string, limit *int) ([]attendance.Request, *string, error) {
	return s.req.ListMine(ctx, actorFrom(ctx), typ, attendance.RequestFilter{Status: strPtr(status), Cursor: cursor, Limit: limit})
}

// ListMyMakeupRequests lists the caller's make-up requests.
func (s *Server) ListMyMakeupRequests(ctx context.Context, r ListMyMakeupRequestsRequestObject) (ListMyMakeupRequestsResponseObject, error) {
	qs, next, err := s.listMine(ctx, attendance.RequestMakeup, r.Params.Status, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListMyMakeupRequests200JSONResponse{Items: make([]MakeupRequest, len(qs)), NextCursor: nul(next)}
	for i, q := range qs {
		out.Items[i] = fromMakeup(q)
	}
	return out, nil
}

// GetMyMakeupRequest returns one of the caller's make-up requests.
func (s *Server) GetMyMakeupRequest(ctx context.Context, r GetMyMakeupRequestRequestObject) (GetMyMakeupRequestResponseObject, error) {
	q, err := s.req.GetMine(ctx, actorFrom(ctx), attendance.RequestMakeup, r.Id)
	if err != nil {
		return nil, err
	}
	return GetMyMakeupRequest200JSONResponse(fromMakeup(q)), nil
}

// WithdrawMakeupRequest withdraws a pending make-up request.
func (s *Server) WithdrawMakeupRequest(ctx context.Context, r WithdrawMakeupRequestRequestObject) (WithdrawMakeupRequestResponseObject, error) {
	q, err := s.req.Withdraw(ctx, actorFrom(ctx), attendance.RequestMakeup, r.Id)
	if err != nil {
		return nil, err
	}
	return WithdrawMakeupRequest200JSONResponse(fromMakeup(q)), nil
}

// CreateLeaveRequest files a leave request.
func (s *Server) CreateLeaveRequest(ctx context.Context, r CreateLeaveRequestRequestObject) (CreateLeaveRequestResponseObject, error) {
	b := r.Body
	q, err := s.req.CreateLeave(ctx, actorFrom(ctx), attendance.NewLeaveRequest{Type: string(b.Type), Start: b.Start.Time,
		End: b.End.Time, StartHalf: strPtr(b.StartHalf), EndHalf: strPtr(b.EndHalf), Reason: b.Reason, PhotoID: b.PhotoId})
	if err != nil {
		return nil, err
	}
	return CreateLeaveRequest201JSONResponse(fromLeave(q)), nil
}

// ListMyLeaveRequests lists the caller's leave requests.
func (s *Server) ListMyLeaveRequests(ctx context.Context, r ListMyLeaveRequestsRequestObject) (ListMyLeaveRequestsResponseObject, error) {
	qs, next, err := s.listMine(ctx, attendance.RequestLeave, r.Params.Status, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListMyLeaveRequests200JSONResponse{Items: make([]LeaveRequest, len(qs)), NextCursor: nul(next)}
	for i, q := range qs {
		out.Items[i] = fromLeave(q)
	}
	return out, nil
}

// GetMyLeaveRequest returns one of the caller's leave requests.
func (s *Server) GetMyLeaveRequest(ctx context.Context, r GetMyLeaveRequestRequestObject) (GetMyLeaveRequestResponseObject, error) {
	q, err := s.req.GetMine(ctx, actorFrom(ctx), attendance.RequestLeave, r.Id)
	if err != nil {
		return nil, err
	}
	return GetMyLeaveRequest200JSONResponse(fromLeave(q)), nil
}

// WithdrawLeaveRequest withdraws a pending leave request.
func (s *Server) WithdrawLeaveRequest(ctx context.Context, r WithdrawLeaveRequestRequestObject) (WithdrawLeaveRequestResponseObject, error) {
	q, err := s.req.Withdraw(ctx, actorFrom(ctx), attendance.RequestLeave, r.Id)
	if err != nil {
		return nil, err
	}
	return WithdrawLeaveRequest200JSONResponse(fromLeave(q)), nil
}

// CreateOvertimeRequest files an overtime request.
func (s *Server) CreateOvertimeRequest(ctx context.Context, r CreateOvertimeRequestRequestObject) (CreateOvertimeRequestResponseObject, error) {
	b := r.Body
	in := attendance.NewOvertimeRequest{Start: b.Start, End: b.End, Reason: b.Reason, PhotoID: b.PhotoId}
	if b.Compensation != nil {
		in.Compensation = string(*b.Compensation)
	}
	q, err := s.req.CreateOvertime(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	return CreateOvertimeRequest201JSONResponse(fromOvertime(q)), nil
}

// ListMyOvertimeRequests lists the caller's overtime requests.
func (s *Server) ListMyOvertimeRequests(ctx context.Context, r ListMyOvertimeRequestsRequestObject) (ListMyOvertimeRequestsResponseObject, error) {
	qs, next, err := s.listMine(ctx, attendance.RequestOvertime, r.Params.Status, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListMyOvertimeRequests200JSONResponse{Items: make([]OvertimeRequest, len(qs)), NextCursor: nul(next)}
	for i, q := range qs {
		out.Items[i] = fromOvertime(q)
	}
	return out, nil
}

// GetMyOvertimeRequest returns one of the caller's overtime requests.
func (s *Server) GetMyOvertimeRequest(ctx context.Context, r GetMyOvertimeRequestRequestObject) (GetMyOvertimeRequestResponseObject, error) {
	q, err := s.req.GetMine(ctx, actorFrom(ctx), attendance.RequestOvertime, r.Id)
	if err != nil {
		return nil, err
	}
	return GetMyOvertimeRequest200JSONResponse(fromOvertime(q)), nil
}

// WithdrawOvertimeRequest withdraws a pending overtime request.
func (s *Server) WithdrawOvertimeRequest(ctx context.Context, r WithdrawOvertimeRequestRequestObject) (WithdrawOvertimeRequestResponseObject, error) {
	q, err := s.req.Withdraw(ctx, actorFrom(ctx), attendance.RequestOvertime, r.Id)
	if err != nil {
		return nil, err
	}
	return WithdrawOvertimeRequest200JSONResponse(fromOvertime(q)), nil
}

func fromPolicy(sp attendance.StoredPolicy) RequestPolicy {
	p := sp.Policy
	out := RequestPolicy{MonthlyQuota: p.MonthlyQuota, DaysBack: p.DaysBack, CutoffDay: p.CutoffDay, IsDefault: sp.IsDefault,
		UpdatedAt: nul(sp.UpdatedAt), UpdatedBy: nul(sp.UpdatedBy)}
	out.AutoApprove.Enabled, out.AutoApprove.RequirePhoto = p.AutoApprove.Enabled, p.AutoApprove.RequirePhoto
	rule := func(r attendance.EvidenceRule) EvidenceRuleState {
		return EvidenceRuleState{Photo: r.Photo, Location: r.Location}
	}
	out.RequiredEvidence.Makeup = rule(p.RequiredEvidence.Makeup)
	out.RequiredEvidence.Leave = rule(p.RequiredEvidence.Leave)
	out.RequiredEvidence.Overtime = rule(p.RequiredEvidence.Overtime)
	return out
}

// GetMakeupPolicy returns the tenant's request policy.
func (s *Server) GetMakeupPolicy(ctx context.Context, _ GetMakeupPolicyRequestObject) (GetMakeupPolicyResponseObject, error) {
	sp, err := s.req.GetPolicy(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	return GetMakeupPolicy200JSONResponse(fromPolicy(sp)), nil
}

// PutMakeupPolicy replaces the tenant's request policy; absent fields take
// their defaults.
func (s *Server) PutMakeupPolicy(ctx context.Context, r PutMakeupPolicyRequestObject) (PutMakeupPolicyResponseObject, error) {
	b := r.Body
	p := attendance.DefaultMakeupPolicy()
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.MonthlyQuota, b.MonthlyQuota)
	set(&p.DaysBack, b.DaysBack)
	set(&p.CutoffDay, b.CutoffDay)
	flag := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	if a := b.AutoApprove; a != nil {
		flag(&p.AutoApprove.Enabled, a.Enabled)
		flag(&p.AutoApprove.RequirePhoto, a.RequirePhoto)
	}
	if e := b.RequiredEvidence; e != nil {
		for _, x := range []struct {
			in  *EvidenceRule
			out *attendance.EvidenceRule
		}{{e.Makeup, &p.RequiredEvidence.Makeup}, {e.Leave, &p.RequiredEvidence.Leave}, {e.Overtime, &p.RequiredEvidence.Overtime}} {
			if x.in != nil {
				flag(&x.out.Photo, x.in.Photo)
				flag(&x.out.Location, x.in.Location)
			}
		}
	}
	sp, err := s.req.PutPolicy(ctx, actorFrom(ctx), p)
	if err != nil {
		return nil, err
	}
	return PutMakeupPolicy200JSONResponse(fromPolicy(sp)), nil
}

// GetDepartmentHead returns who heads a department.
func (s *Server) GetDepartmentHead(ctx context.Context, r GetDepartmentHeadRequestObject) (GetDepartmentHeadResponseObject, error) {
	h, err := s.org.GetDepartmentHead(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetDepartmentHead200JSONResponse(fromDepartmentHead(h)), nil
}

// PutDepartmentHead names a department's head.
func (s *Server) PutDepartmentHead(ctx context.Context, r PutDepartmentHeadRequestObject) (PutDepartmentHeadResponseObject, error) {
	var head *uuid.UUID
	if r.Body.EmployeeId.IsSpecified() && !r.Body.EmployeeId.IsNull() {
		head = ptr(r.Body.EmployeeId.MustGet())
	}
	h, err := s.org.SetDepartmentHead(ctx, actorFrom(ctx), r.Id, head)
	if err != nil {
		return nil, err
	}
	return PutDepartmentHead200JSONResponse(fromDepartmentHead(h)), nil
}

func fromDepartmentHead(h org.DepartmentHead) DepartmentHead {
	return DepartmentHead{DepartmentId: h.DepartmentID, HeadEmployeeId: nul(h.HeadEmployeeID), EffectiveHeadIds: h.EffectiveHeads}
}
