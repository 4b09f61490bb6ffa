package api

import (
	"context"
	"encoding/json"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/org"
)

func punchPolicy(t org.TenantPunchSettings) (PunchPolicy, error) {
	out := PunchPolicy{OfflineWindowHours: t.OfflineWindowHours, FieldPunchPolicy: PunchPolicyFieldPunchPolicy(t.FieldPunchPolicy),
		TrackRetentionDays: t.TrackRetentionDays}
	if t.TrustPolicy != nil {
		var m map[string]any
		if err := json.Unmarshal(t.TrustPolicy, &m); err != nil {
			return out, err
		}
		out.TrustPolicy = nul(&m)
	} else {
		out.TrustPolicy = nul[map[string]any](nil)
	}
	b, err := json.Marshal(attendance.TrustPolicyFor(t.TrustPolicy))
	if err != nil {
		return out, err
	}
	return out, json.Unmarshal(b, &out.EffectiveTrustPolicy)
}

// GetPunchPolicy returns the tenant's remote-punch policy.
func (s *Server) GetPunchPolicy(ctx context.Context, _ GetPunchPolicyRequestObject) (GetPunchPolicyResponseObject, error) {
	t, err := s.org.PunchSettings(ctx, actorFrom(ctx))
	if err != nil {
		return nil, err
	}
	out, err := punchPolicy(t)
	if err != nil {
		return nil, err
	}
	return GetPunchPolicy200JSONResponse(out), nil
}

// SetPunchPolicy replaces it.
func (s *Server) SetPunchPolicy(ctx context.Context, r SetPunchPolicyRequestObject) (SetPunchPolicyResponseObject, error) {
	in := org.TenantPunchSettings{OfflineWindowHours: r.Body.OfflineWindowHours, FieldPunchPolicy: string(r.Body.FieldPunchPolicy),
		TrackRetentionDays: r.Body.TrackRetentionDays}
	if r.Body.TrustPolicy.IsSpecified() && !r.Body.TrustPolicy.IsNull() {
		b, err := json.Marshal(r.Body.TrustPolicy.MustGet())
		if err != nil {
			return nil, err
		}
		in.TrustPolicy = b
	}
	t, err := s.org.SetPunchSettings(ctx, actorFrom(ctx), in, attendance.ValidateTrustPolicy)
	if err != nil {
		return nil, err
	}
	out, err := punchPolicy(t)
	if err != nil {
		return nil, err
	}
	return SetPunchPolicy200JSONResponse(out), nil
}
