package api

import (
	"context"
	"time"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/internal/errs"
)

func fromAssignment(f attendance.FieldAssignment) FieldAssignment {
	return FieldAssignment{Id: f.ID, EmployeeId: f.EmployeeID, StartsAt: f.StartsAt, EndsAt: f.EndsAt, Note: f.Note,
		CreatedBy: nul(f.CreatedBy), CreatedAt: f.CreatedAt, CancelledAt: nul(f.CancelledAt)}
}

func assignmentList(fs []attendance.FieldAssignment, next *string) FieldAssignmentList {
	out := FieldAssignmentList{Items: make([]FieldAssignment, len(fs)), NextCursor: nul(next)}
	for i, f := range fs {
		out.Items[i] = fromAssignment(f)
	}
	return out
}

// CreateFieldAssignment puts an employee on field work.
func (s *Server) CreateFieldAssignment(ctx context.Context, r CreateFieldAssignmentRequestObject) (CreateFieldAssignmentResponseObject, error) {
	note := ""
	if r.Body.Note != nil {
		note = *r.Body.Note
	}
	f, err := s.att.CreateFieldAssignment(ctx, actorFrom(ctx), r.Body.EmployeeId, r.Body.StartsAt, r.Body.EndsAt, note)
	if err != nil {
		return nil, err
	}
	return CreateFieldAssignment201JSONResponse(fromAssignment(f)), nil
}

// CancelFieldAssignment cancels one.
func (s *Server) CancelFieldAssignment(ctx context.Context, r CancelFieldAssignmentRequestObject) (CancelFieldAssignmentResponseObject, error) {
	if err := s.att.CancelFieldAssignment(ctx, actorFrom(ctx), r.Id); err != nil {
		return nil, err
	}
	return CancelFieldAssignment204Response{}, nil
}

// ListFieldAssignments lists an employee's assignments.
func (s *Server) ListFieldAssignments(ctx context.Context, r ListFieldAssignmentsRequestObject) (ListFieldAssignmentsResponseObject, error) {
	fs, next, err := s.att.ListFieldAssignments(ctx, actorFrom(ctx), r.Id, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	return ListFieldAssignments200JSONResponse(assignmentList(fs, next)), nil
}

// ListMyFieldAssignments lists the caller's assignments.
func (s *Server) ListMyFieldAssignments(ctx context.Context, r ListMyFieldAssignmentsRequestObject) (ListMyFieldAssignmentsResponseObject, error) {
	a := actorFrom(ctx)
	fs, next, err := s.att.ListFieldAssignments(ctx, a, a.EmployeeID, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	return ListMyFieldAssignments200JSONResponse(assignmentList(fs, next)), nil
}

// RecordMyTrack stores track points.
func (s *Server) RecordMyTrack(ctx context.Context, r RecordMyTrackRequestObject) (RecordMyTrackResponseObject, error) {
	fixes := make([]attendance.TrackFix, len(r.Body.Points))
	for i, p := range r.Body.Points {
		fixes[i] = attendance.TrackFix{Lat: p.Lat, Lng: p.Lng, AccuracyM: p.AccuracyM, Time: p.Time}
		if p.Crs != nil {
			fixes[i].CRS = string(*p.Crs)
		}
	}
	res, err := s.att.RecordTrack(ctx, actorFrom(ctx), fixes)
	if err != nil {
		return nil, err
	}
	out := RecordMyTrack200JSONResponse{Accepted: res.Accepted, Duplicates: res.Duplicates}
	out.Rejected = make([]struct {
		Code    string `json:"code"`
		Index   int    `json:"index"`
		Message string `json:"message"`
	}, len(res.Rejected))
	for i, rj := range res.Rejected {
		out.Rejected[i].Code, out.Rejected[i].Index, out.Rejected[i].Message = rj.Code, rj.Index, rj.Message
	}
	return out, nil
}

// GetEmployeeTrack returns a day's track as GeoJSON.
func (s *Server) GetEmployeeTrack(ctx context.Context, r GetEmployeeTrackRequestObject) (GetEmployeeTrackResponseObject, error) {
	a := actorFrom(ctx)
	var from, to time.Time
	switch {
	case r.Params.Date != nil:
		e, err := s.org.GetEmployee(ctx, a, r.Id)
		if err != nil {
			return nil, err
		}
		loc, err := time.LoadLocation(e.Timezone)
		if err != nil {
			loc = time.UTC
		}
		d := r.Params.Date.Time
		from = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
		to = from.AddDate(0, 0, 1)
	case r.Params.From != nil && r.Params.To != nil:
		from, to = *r.Params.From, *r.Params.To
	default:
		return nil, errs.FieldErr("date", "required", "give date, or from and to")
	}
	tr, err := s.att.Track(ctx, a, r.Id, from, to)
	if err != nil {
		return nil, err
	}
	return GetEmployeeTrack200ApplicationGeoPlusJSONResponse(trackGeoJSON(tr)), nil
}

type feature = struct {
	Geometry struct {
		Coordinates interface{}                      `json:"coordinates"`
		Type        TrackGeoJSONFeaturesGeometryType `json:"type"`
	} `json:"geometry"`
	Properties map[string]interface{}   `json:"properties"`
	Type       TrackGeoJSONFeaturesType `json:"type"`
}

func trackGeoJSON(tr attendance.DayTrack) TrackGeoJSON {
	out := TrackGeoJSON{Type: "FeatureCollection"}
	out.Properties.EmployeeId, out.Properties.From, out.Properties.To = tr.EmployeeID, tr.From, tr.To
	out.Properties.DistanceM, out.Properties.Fixes, out.Properties.Stops = tr.DistanceM, tr.Raw, len(tr.Stops)
	out.Features = []feature{}
	if len(tr.Line) > 0 {
		var f feature
		f.Type = "Feature"
		f.Geometry.Type = "LineString"
		coords := make([][2]float64, len(tr.Line))
		times := make([]time.Time, len(tr.Line))
		for i, p := range tr.Line {
			coords[i] = [2]float64{p.Lng, p.Lat}
			times[i] = p.Time
		}
		f.Geometry.Coordinates = coords
		f.Properties = map[string]any{"kind": "track", "times": times, "distance_m": tr.DistanceM}
		out.Features = append(out.Features, f)
	}
	for _, st := range tr.Stops {
		var f feature
		f.Type = "Feature"
		f.Geometry.Type = "Point"
		f.Geometry.Coordinates = [2]float64{st.Center.Lng, st.Center.Lat}
		f.Properties = map[string]any{"kind": "stop", "start": st.Start, "end": st.End,
			"duration_s": int(st.Duration().Seconds()), "fixes": st.Fixes}
		out.Features = append(out.Features, f)
	}
	return out
}
