package api

import (
	"context"

	"github.com/dakahq/daka/org"
)

// ListAuditEvents lists the audit trail.
func (s *Server) ListAuditEvents(ctx context.Context, r ListAuditEventsRequestObject) (ListAuditEventsResponseObject, error) {
	p := r.Params
	evs, next, err := s.org.ListAudit(ctx, actorFrom(ctx), org.AuditFilter{From: p.From, To: p.To, ActorID: p.ActorId,
		Action: p.Action, TargetType: p.TargetType, TargetID: p.TargetId, Cursor: p.Cursor, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	out := ListAuditEvents200JSONResponse{Items: make([]AuditEvent, len(evs)), NextCursor: nul(next)}
	for i, e := range evs {
		out.Items[i] = AuditEvent{Id: e.ID, At: e.At, ActorId: nul(e.ActorID), ActorRole: e.ActorRole, Action: e.Action,
			TargetType: e.TargetType, TargetId: e.TargetID, Changes: e.Changes, RequestId: e.RequestID, ClientIp: e.ClientIP}
	}
	return out, nil
}
