package api

import (
	"context"

	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/internal/errs"
)

// devs returns the terminal service, or an error when the server was built
// without one.
func (s *Server) devs() (*devices.Service, error) {
	if s.dev == nil {
		return nil, errs.New(errs.Unavailable, "terminals_disabled", "this server was started without terminal support")
	}
	return s.dev, nil
}

func fromDirectionMap(m devices.DirectionMap) DirectionMap {
	out := DirectionMap{}
	if len(m.Status) > 0 {
		st := make(map[string]PunchKind, len(m.Status))
		for k, v := range m.Status {
			st[k] = PunchKind(v)
		}
		out.Status = &st
	}
	if len(m.Doors) > 0 {
		dr := make(map[string]PunchKind, len(m.Doors))
		for k, v := range m.Doors {
			dr[k] = PunchKind(v)
		}
		out.Doors = &dr
	}
	if m.Default != "" {
		out.Default = ptr(PunchKind(m.Default))
	}
	return out
}

func toDirectionMap(m *DirectionMap) *devices.DirectionMap {
	if m == nil {
		return nil
	}
	out := &devices.DirectionMap{}
	if m.Status != nil {
		out.Status = map[string]string{}
		for k, v := range *m.Status {
			out.Status[k] = string(v)
		}
	}
	if m.Doors != nil {
		out.Doors = map[string]string{}
		for k, v := range *m.Doors {
			out.Doors[k] = string(v)
		}
	}
	if m.Default != nil {
		out.Default = string(*m.Default)
	}
	return out
}

func fromDevice(d devices.Device) Device {
	status := DeviceStatus("offline")
	switch {
	case !d.Enabled:
		status = "disabled"
	case d.Protocol == devices.ProtocolDaka && d.ActivatedAt == nil:
		status = "pending_activation"
	case d.Online:
		status = "online"
	}
	info := d.Info
	if info == nil {
		info = map[string]string{}
	}
	out := Device{
		Id: d.ID, Serial: d.Serial, Protocol: DeviceProtocol(d.Protocol), SiteId: d.SiteID, Timezone: d.Timezone,
		Name: d.Name, Model: d.Model, DirectionMap: fromDirectionMap(d.DirectionMap), Enabled: d.Enabled, Status: status,
		LastSeenAt: nul(d.LastSeenAt), ActivatedAt: nul(d.ActivatedAt), Firmware: d.Firmware, Ip: d.IP,
		PushVersion: d.PushVersion, UserCount: nul(d.UserCount), PunchCount: nul(d.PunchCount), FpCount: nul(d.FPCount),
		FaceCount: nul(d.FaceCount), ClockMeasuredAt: nul(d.ClockMeasuredAt), PendingCommands: d.PendingCommands,
		Info: info, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
	if d.SiteName != "" {
		out.SiteName = ptr(d.SiteName)
	}
	if d.ClockOffset != nil {
		out.ClockOffsetMs = nul(ptr(d.ClockOffset.Milliseconds()))
	}
	return out
}

func withCredentials(out Device, c devices.Credentials) Device {
	if c.ActivationCode != "" {
		out.ActivationCode, out.QrPayload, out.ActivationExpiresAt = &c.ActivationCode, &c.QRPayload, c.ActivationExpiresAt
	}
	if c.Token != "" {
		out.Token = &c.Token
	}
	return out
}

// CreateDevice registers a terminal.
func (s *Server) CreateDevice(ctx context.Context, r CreateDeviceRequestObject) (CreateDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	b := r.Body
	p := devices.Protocol(b.Protocol)
	tz := string(b.Timezone)
	d, cred, err := dev.CreateDevice(ctx, actorFrom(ctx), devices.Registration{Serial: &b.Serial, Protocol: &p, SiteID: &b.SiteId,
		Timezone: &tz, Name: b.Name, Model: b.Model, DirectionMap: toDirectionMap(b.DirectionMap)})
	if err != nil {
		return nil, err
	}
	return CreateDevice201JSONResponse(withCredentials(fromDevice(d), cred)), nil
}

// ListDevices lists terminals.
func (s *Server) ListDevices(ctx context.Context, r ListDevicesRequestObject) (ListDevicesResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	p := r.Params
	f := devices.DeviceFilter{SiteID: p.SiteId, Status: strPtr(p.Status), Cursor: p.Cursor, Limit: p.Limit}
	if p.Protocol != nil {
		f.Protocol = ptr(devices.Protocol(*p.Protocol))
	}
	ds, next, err := dev.ListDevices(ctx, actorFrom(ctx), f)
	if err != nil {
		return nil, err
	}
	out := ListDevices200JSONResponse{Items: make([]Device, len(ds)), NextCursor: nul(next)}
	for i, d := range ds {
		out.Items[i] = fromDevice(d)
	}
	return out, nil
}

// GetDevice returns a terminal.
func (s *Server) GetDevice(ctx context.Context, r GetDeviceRequestObject) (GetDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	d, err := dev.GetDevice(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetDevice200JSONResponse(fromDevice(d)), nil
}

// UpdateDevice changes a terminal.
func (s *Server) UpdateDevice(ctx context.Context, r UpdateDeviceRequestObject) (UpdateDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	b := r.Body
	reg := devices.Registration{SiteID: b.SiteId, Name: b.Name, Model: b.Model, DirectionMap: toDirectionMap(b.DirectionMap)}
	if b.Timezone != nil {
		reg.Timezone = ptr(string(*b.Timezone))
	}
	d, err := dev.UpdateDevice(ctx, actorFrom(ctx), r.Id, reg)
	if err != nil {
		return nil, err
	}
	return UpdateDevice200JSONResponse(fromDevice(d)), nil
}

// DeleteDevice removes a terminal from the registry.
func (s *Server) DeleteDevice(ctx context.Context, r DeleteDeviceRequestObject) (DeleteDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	if err := dev.DeleteDevice(ctx, actorFrom(ctx), r.Id); err != nil {
		return nil, err
	}
	return DeleteDevice204Response{}, nil
}
