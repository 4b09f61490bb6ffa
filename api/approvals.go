package api

import (
	"context"

	"github.com/google/uuid"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/errs"
)

func fromApproval(ap attendance.Approval) Approval {
	name := func(id uuid.UUID) string { return ap.Names[id] }
	out := Approval{Id: ap.ID, RequestType: RequestType(ap.RequestType), RequestId: ap.RequestID, Status: RequestStatus(ap.Status),
		Employee: EmployeeSummary{Id: ap.Employee.ID, Name: ap.Employee.Name, EmployeeNo: ap.Employee.EmployeeNo,
			DepartmentId: nul(ap.Employee.DepartmentID), DepartmentName: nul(ap.Employee.DepartmentName)},
		Step: ap.Step + 1, StepCount: len(ap.Flow.Steps), StepMode: StepMode(ap.StepMode), Escalations: ap.Escalations,
		CanDecide: ap.CanDecide, Approvers: make([]ApprovalAssignee, len(ap.Assignees)), History: fromHistory(ap.History),
		CreatedAt: ap.CreatedAt, UpdatedAt: ap.UpdatedAt, RemindAt: nul(ap.RemindAt), EscalateAt: nul(ap.EscalateAt),
		DecidedAt: nul(ap.DecidedAt), DecidedBy: nul(ap.DecidedBy), DecidedByName: nul[string](nil),
		DecisionComment: nul(ap.DecisionComment), StepName: nul[string](nil)}
	if ap.Step < len(ap.Flow.Steps) && ap.Flow.Steps[ap.Step].Name != "" {
		out.StepName = nul(&ap.Flow.Steps[ap.Step].Name)
	}
	if ap.DecidedBy != nil {
		out.DecidedByName = nul(ptr(name(*ap.DecidedBy)))
	}
	for i, as := range ap.Assignees {
		out.Approvers[i] = ApprovalAssignee{Step: as.Step + 1, ApproverId: as.ApproverID, ApproverName: name(as.ApproverID),
			Via: ApprovalAssigneeVia(as.Via), AssignedAt: as.AssignedAt, DecidedAt: nul(as.DecidedAt), DecidedBy: nul(as.DecidedBy),
			Decision: nul[ApprovalAssigneeDecision](nil)}
		if as.Decision != nil {
			out.Approvers[i].Decision = nul(ptr(ApprovalAssigneeDecision(*as.Decision)))
		}
	}
	ev := &ApprovalEvidence{Signals: []Signal{}, PhotoUrl: nul(ap.PhotoURL), Verdict: nul[ApprovalEvidenceVerdict](nil),
		Location: nul[StoredLocation](nil)}
	switch {
	case ap.Request != nil && ap.Request.Makeup != nil:
		m := fromMakeup(*ap.Request)
		out.Makeup = &m
		ev.PhotoId = nul(ap.Request.PhotoID)
		if e := ap.Request.Makeup.Evidence; e != nil {
			ev.Verdict = nul(ptr(ApprovalEvidenceVerdict(e.Verdict)))
			ev.SiteId, ev.SiteName, ev.DistanceM = nul(e.SiteID), nul(e.SiteName), nul(e.DistanceM)
			ev.NearestSiteId, ev.NearestSiteName, ev.NearestDistanceM = nul(e.NearestSiteID), nul(e.NearestSiteName), nul(e.NearestDistanceM)
			ev.Signals = fromSignals(e.Signals)
			if e.Location != nil {
				ev.Location = nul(ptr(fromEvidenceLocation(e.Location)))
			}
		}
	case ap.Request != nil && ap.Request.Leave != nil:
		l := fromLeave(*ap.Request)
		out.Leave = &l
		ev.PhotoId = nul(ap.Request.PhotoID)
	case ap.Request != nil && ap.Request.Overtime != nil:
		o := fromOvertime(*ap.Request)
		out.Overtime = &o
		ev.PhotoId = nul(ap.Request.PhotoID)
	case ap.Punch != nil:
		p := fromPunch(*ap.Punch)
		out.Punch = &p
		ev.PhotoId, ev.Verdict = p.PhotoId, nul(ptr(ApprovalEvidenceVerdict(p.Verdict)))
		ev.Location, ev.Signals = p.Location, p.Signals
		ev.SiteId, ev.SiteName, ev.DistanceM = p.SiteId, p.SiteName, p.DistanceM
		ev.NearestSiteId, ev.NearestSiteName, ev.NearestDistanceM = p.NearestSiteId, p.NearestSiteName, p.NearestDistanceM
	}
	out.Evidence = ev
	return out
}

// ListApprovals lists the approvals the caller may see.
func (s *Server) ListApprovals(ctx context.Context, r ListApprovalsRequestObject) (ListApprovalsResponseObject, error) {
	p := r.Params
	f := attendance.ApprovalFilter{Status: strPtr(p.Status), RequestType: strPtr(p.RequestType), Cursor: p.Cursor, Limit: p.Limit}
	if p.AssignedToMe != nil {
		f.AssignedToMe = *p.AssignedToMe
	}
	aps, next, err := s.req.ListApprovals(ctx, actorFrom(ctx), f)
	if err != nil {
		return nil, err
	}
	out := ListApprovals200JSONResponse{Items: make([]Approval, len(aps)), NextCursor: nul(next)}
	for i, ap := range aps {
		out.Items[i] = fromApproval(ap)
	}
	return out, nil
}

// GetApproval returns one approval.
func (s *Server) GetApproval(ctx context.Context, r GetApprovalRequestObject) (GetApprovalResponseObject, error) {
	ap, err := s.req.GetApproval(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetApproval200JSONResponse(fromApproval(ap)), nil
}

// ApproveApproval approves.
func (s *Server) ApproveApproval(ctx context.Context, r ApproveApprovalRequestObject) (ApproveApprovalResponseObject, error) {
	var comment *string
	if r.Body != nil {
		comment = r.Body.Comment
	}
	ap, err := s.req.Decide(ctx, actorFrom(ctx), r.Id, attendance.ActionApprove, comment)
	if err != nil {
		return nil, err
	}
	return ApproveApproval200JSONResponse(fromApproval(ap)), nil
}

// RejectApproval rejects.
func (s *Server) RejectApproval(ctx context.Context, r RejectApprovalRequestObject) (RejectApprovalResponseObject, error) {
	var comment *string
	if r.Body != nil {
		comment = r.Body.Comment
	}
	ap, err := s.req.Decide(ctx, actorFrom(ctx), r.Id, attendance.ActionReject, comment)
	if err != nil {
		return nil, err
	}
	return RejectApproval200JSONResponse(fromApproval(ap)), nil
}

// DecideApprovals decides several approvals, each on its own.
func (s *Server) DecideApprovals(ctx context.Context, r DecideApprovalsRequestObject) (DecideApprovalsResponseObject, error) {
	b := r.Body
	res, err := s.req.DecideBatch(ctx, actorFrom(ctx), b.Ids, string(b.Action), b.Comment)
	if err != nil {
		return nil, err
	}
	out := DecideApprovals200JSONResponse{Results: make([]ApprovalBatchItem, len(res))}
	for i, x := range res {
		item := ApprovalBatchItem{Id: x.ID, Ok: x.Err == nil, Status: 200, Code: nul[string](nil), Detail: nul[string](nil)}
		if x.Err != nil {
			e, _ := errs.As(x.Err)
			item.Status, item.Code, item.Detail = statusOf[e.Kind], nul(&e.Code), nul(&e.Msg)
			out.Failed++
		} else {
			a := fromApproval(*x.Approval)
			item.Approval = &a
			out.Succeeded++
		}
		out.Results[i] = item
	}
	return out, nil
}

func fromFlow(sf attendance.StoredFlow) ApprovalFlow {
	out := ApprovalFlow{RequestType: RequestType(sf.RequestType), Steps: make([]ApprovalStep, len(sf.Flow.Steps)),
		RemindAfterHours: sf.Flow.RemindAfterHours, EscalateAfterHours: sf.Flow.EscalateAfterHours, IsDefault: sf.IsDefault,
		UpdatedAt: nul(sf.UpdatedAt), UpdatedBy: nul(sf.UpdatedBy)}
	for i, st := range sf.Flow.Steps {
		step := ApprovalStep{Mode: ptr(StepMode(st.Mode)), Approvers: make([]ApproverSource, len(st.Approvers))}
		if st.Name != "" {
			step.Name = ptr(st.Name)
		}
		for j, src := range st.Approvers {
			a := ApproverSource{Type: ApproverSourceType(src.Type)}
			if src.Levels > 0 {
				a.Levels = ptr(src.Levels)
			}
			if src.Role != "" {
				a.Role = ptr(ApproverSourceRole(src.Role))
			}
			if len(src.UserIDs) > 0 {
				a.UserIds = ptr(src.UserIDs)
			}
			step.Approvers[j] = a
		}
		out.Steps[i] = step
	}
	return out
}

// GetApprovalFlow returns the flow of a request type.
func (s *Server) GetApprovalFlow(ctx context.Context, r GetApprovalFlowRequestObject) (GetApprovalFlowResponseObject, error) {
	sf, err := s.req.GetFlow(ctx, actorFrom(ctx), string(r.RequestType))
	if err != nil {
		return nil, err
	}
	return GetApprovalFlow200JSONResponse(fromFlow(sf)), nil
}

// PutApprovalFlow replaces the flow of a request type.
func (s *Server) PutApprovalFlow(ctx context.Context, r PutApprovalFlowRequestObject) (PutApprovalFlowResponseObject, error) {
	b := r.Body
	f := attendance.Flow{Steps: make([]attendance.FlowStep, len(b.Steps)),
		RemindAfterHours: attendance.DefaultRemindAfterHours, EscalateAfterHours: attendance.DefaultEscalateAfterHours}
	if b.RemindAfterHours != nil {
		f.RemindAfterHours = *b.RemindAfterHours
	}
	if b.EscalateAfterHours != nil {
		f.EscalateAfterHours = *b.EscalateAfterHours
	}
	for i, st := range b.Steps {
		step := attendance.FlowStep{Approvers: make([]attendance.ApproverSource, len(st.Approvers))}
		if st.Name != nil {
			step.Name = *st.Name
		}
		if st.Mode != nil {
			step.Mode = string(*st.Mode)
		}
		for j, src := range st.Approvers {
			a := attendance.ApproverSource{Type: string(src.Type)}
			if src.Levels != nil {
				a.Levels = *src.Levels
			}
			if src.Role != nil {
				a.Role = string(*src.Role)
			}
			if src.UserIds != nil {
				a.UserIDs = *src.UserIds
			}
			step.Approvers[j] = a
		}
		f.Steps[i] = step
	}
	sf, err := s.req.PutFlow(ctx, actorFrom(ctx), string(r.RequestType), f)
	if err != nil {
		return nil, err
	}
	return PutApprovalFlow200JSONResponse(fromFlow(sf)), nil
}

func fromDelegation(d attendance.Delegation) Delegation {
	return Delegation{EmployeeId: d.EmployeeID, DelegateId: d.DelegateID, From: d.From, To: d.To, Active: d.Active, CreatedAt: d.CreatedAt}
}

// GetMyDelegation returns the caller's delegation.
func (s *Server) GetMyDelegation(ctx context.Context, _ GetMyDelegationRequestObject) (GetMyDelegationResponseObject, error) {
	d, err := s.req.GetDelegation(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	return GetMyDelegation200JSONResponse(fromDelegation(d)), nil
}

// PutMyDelegation sets the caller's delegation.
func (s *Server) PutMyDelegation(ctx context.Context, r PutMyDelegationRequestObject) (PutMyDelegationResponseObject, error) {
	d, err := s.req.SetDelegation(ctx, actorFrom(ctx), r.Body.DelegateId, r.Body.From, r.Body.To)
	if err != nil {
		return nil, err
	}
	return PutMyDelegation200JSONResponse(fromDelegation(d)), nil
}

// DeleteMyDelegation ends the caller's delegation.
func (s *Server) DeleteMyDelegation(ctx context.Context, _ DeleteMyDelegationRequestObject) (DeleteMyDelegationResponseObject, error) {
	if err := s.req.DeleteDelegation(ctx, actorFrom(ctx)); err != nil {
		return nil, err
	}
	return DeleteMyDelegation204Response{}, nil
}
