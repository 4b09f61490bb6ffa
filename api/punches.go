package api

import (
	"context"

	"github.com/dakahq/daka/attendance"
)

func fromPunch(p attendance.Punch) Punch {
	out := Punch{
		Id: p.ID, EmployeeId: p.EmployeeID, Kind: PunchKind(p.Kind), Source: PunchSource(p.Source), Verdict: Verdict(p.Verdict),
		ClientPunchId: nul(p.ClientPunchID), SiteId: nul(p.SiteID), SiteName: nul(p.SiteName), DistanceM: nul(p.DistanceM),
		NearestSiteId: nul(p.NearestSiteID), NearestSiteName: nul(p.NearestSiteName), NearestDistanceM: nul(p.NearestDistanceM),
		PhotoId: nul(p.PhotoID), DeviceId: nul(p.DeviceID), ClientTime: nul(p.ClientTime), ReceivedAt: p.ReceivedAt, OccurredAt: p.OccurredAt,
		Score: ptr(p.Score), Signals: make([]Signal, len(p.Signals)),
	}
	if p.Containment != nil {
		out.Containment = nul((*PunchContainment)(p.Containment))
	}
	for _, a := range p.NextActions() {
		out.NextActions = append(out.NextActions, PunchNextActions(a))
	}
	for i, s := range p.Signals {
		sig := Signal{Code: s.Code, Message: s.Message, Severity: ptr(SignalSeverity(s.Severity))}
		if s.Details != nil {
			d := s.Details
			sig.Details = &d
		}
		out.Signals[i] = sig
	}
	if l := p.Location; l != nil {
		out.Location = nul(&StoredLocation{Lat: l.Lat, Lng: l.Lng, AccuracyM: nul(l.AccuracyM), Crs: Crs(l.CRS),
			SrcLat: l.SrcLat, SrcLng: l.SrcLng, FixTime: nul(l.FixTime), IsMock: nul(l.IsMock)})
	}
	if p.WiFi != nil {
		out.Wifi = &Wifi{Bssid: p.WiFi.BSSID, Ssid: ptr(p.WiFi.SSID)}
	}
	if p.Offline {
		out.Offline = ptr(true)
	}
	if v := p.FieldVisit; v != nil {
		fv := FieldVisit{Note: v.Note}
		if v.Customer != "" {
			fv.Customer = &v.Customer
		}
		out.FieldVisit = nul(&fv)
	}
	return out
}

// CreateMyPunch records an app punch.
func (s *Server) CreateMyPunch(ctx context.Context, r CreateMyPunchRequestObject) (CreateMyPunchResponseObject, error) {
	b := r.Body
	in := attendance.NewAppPunch{ClientPunchID: b.ClientPunchId, Kind: string(b.Kind), ClientTime: b.ClientTime, PhotoID: b.PhotoId}
	if l := b.Location; l != nil {
		in.Lat, in.Lng, in.AccuracyM, in.FixTime, in.IsMock = l.Lat, l.Lng, l.AccuracyM, l.FixTime, l.IsMock
		if l.Crs != nil {
			in.CRS = string(*l.Crs)
		}
	} else {
		in.NoLocation = true
	}
	if b.Wifi != nil {
		in.WiFi = &attendance.WiFi{BSSID: b.Wifi.Bssid}
		if b.Wifi.Ssid != nil {
			in.WiFi.SSID = *b.Wifi.Ssid
		}
	}
	if b.Device != nil {
		in.Device = &attendance.AppDevice{Rooted: b.Device.Rooted, DevMode: b.Device.DeveloperMode}
		if b.Device.Id != nil {
			in.Device.ID = *b.Device.Id
		}
		if b.Device.Platform != nil {
			in.Device.Platform = *b.Device.Platform
		}
	}
	if o := b.Offline; o != nil {
		in.Offline = &attendance.OfflineClock{DeviceTime: o.DeviceTime, ElapsedMs: o.ElapsedMs, DeviceTimeAtUpload: o.DeviceTimeAtUpload,
			ElapsedMsAtUpload: o.ElapsedMsAtUpload}
		if o.BootId != nil {
			in.Offline.BootID = *o.BootId
		}
		if o.BootIdAtUpload != nil {
			in.Offline.BootIDAtUpload = *o.BootIdAtUpload
		}
	}
	if v := b.FieldVisit; v != nil {
		in.FieldVisit = &attendance.FieldVisit{Note: v.Note}
		if v.Customer != nil {
			in.FieldVisit.Customer = *v.Customer
		}
	}
	p, created, err := s.att.RecordAppPunch(ctx, actorFrom(ctx), in)
	if err != nil {
		return nil, err
	}
	s.metrics.punches.WithLabelValues(p.Source, p.Verdict).Inc()
	if !created {
		return CreateMyPunch200JSONResponse(fromPunch(p)), nil
	}
	return CreateMyPunch201JSONResponse(fromPunch(p)), nil
}

func punchList(ps []attendance.Punch, next *string) PunchList {
	out := PunchList{Items: make([]Punch, len(ps)), NextCursor: nul(next)}
	for i, p := range ps {
		out.Items[i] = fromPunch(p)
	}
	return out
}

func strPtr[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := string(*v)
	return &s
}

// ListMyPunches lists the caller's punches.
func (s *Server) ListMyPunches(ctx context.Context, r ListMyPunchesRequestObject) (ListMyPunchesResponseObject, error) {
	p := r.Params
	ps, next, err := s.att.ListPunches(ctx, actorFrom(ctx), true, attendance.PunchFilter{
		Verdict: strPtr(p.Verdict), Source: strPtr(p.Source), From: p.From, To: p.To, Cursor: p.Cursor, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	return ListMyPunches200JSONResponse(punchList(ps, next)), nil
}

// ListPunches lists punches in the caller's scope.
func (s *Server) ListPunches(ctx context.Context, r ListPunchesRequestObject) (ListPunchesResponseObject, error) {
	p := r.Params
	ps, next, err := s.att.ListPunches(ctx, actorFrom(ctx), false, attendance.PunchFilter{
		EmployeeID: p.EmployeeId, SiteID: p.SiteId, Verdict: strPtr(p.Verdict), Source: strPtr(p.Source),
		From: p.From, To: p.To, Cursor: p.Cursor, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	return ListPunches200JSONResponse(punchList(ps, next)), nil
}
