package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

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

// DisableDevice disables a terminal.
func (s *Server) DisableDevice(ctx context.Context, r DisableDeviceRequestObject) (DisableDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	d, err := dev.SetEnabled(ctx, actorFrom(ctx), r.Id, false)
	if err != nil {
		return nil, err
	}
	return DisableDevice200JSONResponse(fromDevice(d)), nil
}

// EnableDevice enables a terminal again.
func (s *Server) EnableDevice(ctx context.Context, r EnableDeviceRequestObject) (EnableDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	d, err := dev.SetEnabled(ctx, actorFrom(ctx), r.Id, true)
	if err != nil {
		return nil, err
	}
	return EnableDevice200JSONResponse(fromDevice(d)), nil
}

// RotateDeviceCredential issues a new credential.
func (s *Server) RotateDeviceCredential(ctx context.Context, r RotateDeviceCredentialRequestObject) (RotateDeviceCredentialResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	d, cred, err := dev.RotateCredential(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return RotateDeviceCredential200JSONResponse(withCredentials(fromDevice(d), cred)), nil
}

func fromCommand(c devices.Command) DeviceCommand {
	args := map[string]any{}
	if b, err := json.Marshal(c.Args); err == nil {
		_ = json.Unmarshal(b, &args)
	}
	out := DeviceCommand{Id: c.ID, CmdId: c.CmdID, Type: DeviceCommandType(c.Kind), Args: args, EmployeeId: nul(c.EmployeeID),
		State: DeviceCommandState(c.State), Attempts: c.Attempts, ReturnCode: nul(c.ReturnCode), CreatedAt: c.CreatedAt,
		SentAt: nul(c.SentAt), FinishedAt: nul(c.FinishedAt)}
	if c.Result != nil {
		out.Result = nul(&c.Result)
	} else {
		out.Result = nul[map[string]any](nil)
	}
	return out
}

// ListDeviceCommands lists a terminal's command queue.
func (s *Server) ListDeviceCommands(ctx context.Context, r ListDeviceCommandsRequestObject) (ListDeviceCommandsResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	cs, next, err := dev.ListCommands(ctx, actorFrom(ctx), r.Id, strPtr(r.Params.State), r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListDeviceCommands200JSONResponse{Items: make([]DeviceCommand, len(cs)), NextCursor: nul(next)}
	for i, c := range cs {
		out.Items[i] = fromCommand(c)
	}
	return out, nil
}

// CreateDeviceCommand queues a command.
func (s *Server) CreateDeviceCommand(ctx context.Context, r CreateDeviceCommandRequestObject) (CreateDeviceCommandResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	b := r.Body
	args := devices.CommandArgs{Start: b.Start, End: b.End}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&args.PIN, b.Pin}, {&args.Name, b.Name}, {&args.Card, b.Card}, {&args.Key, b.Key}, {&args.Value, b.Value}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if b.Privilege != nil {
		args.Privilege = int(*b.Privilege)
	}
	cmdID := ""
	if b.CmdId != nil {
		cmdID = *b.CmdId
	}
	cs, err := dev.EnqueueCommand(ctx, actorFrom(ctx), r.Id, string(b.Type), args, cmdID)
	if err != nil {
		return nil, err
	}
	out := CreateDeviceCommand201JSONResponse{Items: make([]DeviceCommand, len(cs)), NextCursor: nul[string](nil)}
	for i, c := range cs {
		out.Items[i] = fromCommand(c)
	}
	return out, nil
}

// ListDeviceRequests returns a terminal's raw request log.
func (s *Server) ListDeviceRequests(ctx context.Context, r ListDeviceRequestsRequestObject) (ListDeviceRequestsResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	rs, next, err := dev.ListRequests(ctx, actorFrom(ctx), r.Id, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListDeviceRequests200JSONResponse{Items: make([]DeviceRequest, len(rs)), NextCursor: nul(next)}
	for i, x := range rs {
		out.Items[i] = DeviceRequest{Id: x.ID, At: x.At, Method: x.Method, Path: x.Path, Query: x.Query,
			Body: strings.ToValidUTF8(string(x.Body), "\uFFFD"), BodyBase64: base64.StdEncoding.EncodeToString(x.Body),
			BodyBytes: x.BodySize, Status: x.Status, Response: x.Response}
	}
	return out, nil
}

// ListDeviceUsers lists what a ZK terminal reported of its users.
func (s *Server) ListDeviceUsers(ctx context.Context, r ListDeviceUsersRequestObject) (ListDeviceUsersResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	us, next, err := dev.ListDeviceUsers(ctx, actorFrom(ctx), r.Id, r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListDeviceUsers200JSONResponse{Items: make([]DeviceUser, len(us)), NextCursor: nul(next)}
	for i, u := range us {
		out.Items[i] = DeviceUser{Pin: u.PIN, Name: u.Name, Privilege: nul(u.Privilege), Card: u.Card, Group: nul(u.Group),
			Verify: nul(u.Verify), FpCount: u.FPCount, FaceCount: u.FaceCount, Deleted: u.Deleted, UpdatedAt: u.UpdatedAt}
	}
	return out, nil
}

func wallString(t *time.Time) nullable.Nullable[string] {
	if t == nil {
		return nul[string](nil)
	}
	v := t.Format("2006-01-02T15:04:05")
	return nul(&v)
}

// ListDeviceEvents lists terminal events.
func (s *Server) ListDeviceEvents(ctx context.Context, r ListDeviceEventsRequestObject) (ListDeviceEventsResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	es, next, err := dev.ListEvents(ctx, actorFrom(ctx), r.Params.DeviceId, strPtr(r.Params.Kind), r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListDeviceEvents200JSONResponse{Items: make([]DeviceEvent, len(es)), NextCursor: nul(next)}
	for i, e := range es {
		det := e.Details
		if det == nil {
			det = map[string]any{}
		}
		out.Items[i] = DeviceEvent{Id: e.ID, DeviceId: e.DeviceID, DeviceName: ptr(e.DeviceName), Kind: DeviceEventKind(e.Kind),
			Type: e.Type, Pin: e.PIN, OccurredAt: nul(e.OccurredAt), DeviceLocalTime: wallString(e.DeviceLocalTime),
			ReceivedAt: e.ReceivedAt, Details: det, Raw: e.Raw, PhotoId: nul(e.PhotoID)}
	}
	return out, nil
}

// ListPendingDevices lists unregistered serials.
func (s *Server) ListPendingDevices(ctx context.Context, r ListPendingDevicesRequestObject) (ListPendingDevicesResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	ps, next, err := dev.ListPending(ctx, actorFrom(ctx), r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListPendingDevices200JSONResponse{Items: make([]PendingDevice, len(ps)), NextCursor: nul(next)}
	for i, p := range ps {
		info := p.Info
		if info == nil {
			info = map[string]string{}
		}
		out.Items[i] = PendingDevice{Serial: p.Serial, Protocol: DeviceProtocol(p.Protocol), FirstSeenAt: p.FirstSeenAt,
			LastSeenAt: p.LastSeenAt, Ip: p.IP, Requests: p.Requests, Records: p.Records, StoredBytes: p.StoredBytes, Info: info}
	}
	return out, nil
}

// ApprovePendingDevice registers a pending serial and ingests what it sent.
func (s *Server) ApprovePendingDevice(ctx context.Context, r ApprovePendingDeviceRequestObject) (ApprovePendingDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	b := r.Body
	tz := string(b.Timezone)
	reg := devices.Registration{SiteID: &b.SiteId, Timezone: &tz, Name: b.Name, Model: b.Model, DirectionMap: toDirectionMap(b.DirectionMap)}
	if b.Protocol != nil {
		reg.Protocol = ptr(devices.Protocol(*b.Protocol))
	}
	res, err := dev.ApprovePending(ctx, actorFrom(ctx), r.Serial, reg)
	if err != nil {
		return nil, err
	}
	return ApprovePendingDevice201JSONResponse{Device: withCredentials(fromDevice(res.Device), res.Credentials), Replayed: res.Replayed}, nil
}

func fromQuarantine(q devices.QuarantineItem) QuarantineItem {
	out := QuarantineItem{Id: q.ID, DeviceId: q.DeviceID, DeviceName: ptr(q.DeviceName), DeviceSerial: ptr(q.DeviceSerial),
		Pin: q.PIN, Card: q.Card, OccurredAt: nul(q.OccurredAt), DeviceLocalTime: wallString(q.DeviceLocalTime),
		DeviceZone: ptr(q.DeviceZone), Seq: nul(q.Seq), Reason: QuarantineReason(q.Reason), Detail: q.Detail,
		EmployeeId: nul(q.EmployeeID), ReceivedAt: q.ReceivedAt, Raw: q.Raw, Status: "open", ResolvedAt: nul(q.ResolvedAt),
		Resolution: nul(q.Resolution), PunchId: nul(q.PunchID)}
	if q.ResolvedAt != nil {
		out.Status = "resolved"
	}
	return out
}

// ListQuarantine lists quarantined terminal records.
func (s *Server) ListQuarantine(ctx context.Context, r ListQuarantineRequestObject) (ListQuarantineResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	p := r.Params
	qs, next, err := dev.ListQuarantine(ctx, actorFrom(ctx), devices.QuarantineFilter{DeviceID: p.DeviceId, Reason: strPtr(p.Reason),
		PIN: p.Pin, Status: strPtr(p.Status), Cursor: p.Cursor, Limit: p.Limit})
	if err != nil {
		return nil, err
	}
	out := ListQuarantine200JSONResponse{Items: make([]QuarantineItem, len(qs)), NextCursor: nul(next)}
	for i, q := range qs {
		out.Items[i] = fromQuarantine(q)
	}
	return out, nil
}

// ResolveQuarantine resolves a quarantined record.
func (s *Server) ResolveQuarantine(ctx context.Context, r ResolveQuarantineRequestObject) (ResolveQuarantineResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	var emp *uuid.UUID
	if r.Body != nil {
		emp = r.Body.EmployeeId
	}
	res, err := dev.ResolveQuarantine(ctx, actorFrom(ctx), r.Id, emp)
	if err != nil {
		return nil, err
	}
	return ResolveQuarantine200JSONResponse{Action: QuarantineResolutionAction(res.Action), Item: fromQuarantine(res.Item),
		Punched: res.Punched, StillQuarantined: res.StillQuarantined}, nil
}

// ReevaluateQuarantine evaluates open quarantined records again.
func (s *Server) ReevaluateQuarantine(ctx context.Context, r ReevaluateQuarantineRequestObject) (ReevaluateQuarantineResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	var id *uuid.UUID
	if r.Body != nil {
		id = r.Body.DeviceId
	}
	punched, still, err := dev.ReevaluateQuarantine(ctx, actorFrom(ctx), id)
	if err != nil {
		return nil, err
	}
	return ReevaluateQuarantine200JSONResponse{Punched: punched, StillQuarantined: still}, nil
}

func fromAccess(a devices.Access) EmployeeDeviceAccess {
	out := EmployeeDeviceAccess{EmployeeId: a.EmployeeID, DeviceIds: a.DeviceIDs, SiteIds: a.SiteIDs,
		Pins: make([]DevicePin, len(a.PINs))}
	for i, p := range a.PINs {
		out.Pins[i] = DevicePin{DeviceId: p.DeviceID, Pin: p.PIN}
	}
	out.Devices = make([]struct {
		DeviceId openapi_types.UUID             `json:"device_id"`
		Name     string                         `json:"name"`
		Pin      string                         `json:"pin"`
		Protocol DeviceProtocol                 `json:"protocol"`
		Serial   string                         `json:"serial"`
		SiteId   openapi_types.UUID             `json:"site_id"`
		Via      EmployeeDeviceAccessDevicesVia `json:"via"`
	}, len(a.Devices))
	for i, d := range a.Devices {
		x := &out.Devices[i]
		x.DeviceId, x.Name, x.Pin, x.Protocol, x.Serial, x.SiteId, x.Via = d.DeviceID, d.Name, d.PIN, DeviceProtocol(d.Protocol),
			d.Serial, d.SiteID, EmployeeDeviceAccessDevicesVia(d.Via)
	}
	return out
}

// GetEmployeeDevices returns an employee's terminal access.
func (s *Server) GetEmployeeDevices(ctx context.Context, r GetEmployeeDevicesRequestObject) (GetEmployeeDevicesResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	a, err := dev.GetAccess(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetEmployeeDevices200JSONResponse(fromAccess(a)), nil
}

// SetEmployeeDevices changes an employee's enrolments and device PINs.
func (s *Server) SetEmployeeDevices(ctx context.Context, r SetEmployeeDevicesRequestObject) (SetEmployeeDevicesResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	in := devices.AccessInput{DeviceIDs: r.Body.DeviceIds, SiteIDs: r.Body.SiteIds}
	if r.Body.Pins != nil {
		ps := make([]devices.DevicePIN, len(*r.Body.Pins))
		for i, p := range *r.Body.Pins {
			ps[i] = devices.DevicePIN{DeviceID: p.DeviceId, PIN: p.Pin}
		}
		in.PINs = &ps
	}
	a, err := dev.SetAccess(ctx, actorFrom(ctx), r.Id, in)
	if err != nil {
		return nil, err
	}
	return SetEmployeeDevices200JSONResponse(fromAccess(a)), nil
}

// GetEmployeeCards returns an employee's terminal cards.
func (s *Server) GetEmployeeCards(ctx context.Context, r GetEmployeeCardsRequestObject) (GetEmployeeCardsResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	cs, err := dev.Cards(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	return GetEmployeeCards200JSONResponse{Cards: cs}, nil
}

// SetEmployeeCards replaces an employee's terminal cards.
func (s *Server) SetEmployeeCards(ctx context.Context, r SetEmployeeCardsRequestObject) (SetEmployeeCardsResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	cs, err := dev.SetCards(ctx, actorFrom(ctx), r.Id, r.Body.Cards)
	if err != nil {
		return nil, err
	}
	return SetEmployeeCards200JSONResponse{Cards: cs}, nil
}

func fromTemplate(t devices.Template) Enrolment {
	return Enrolment{Id: t.ID, EmployeeId: nul(t.EmployeeID), EmployeeName: ptr(t.EmployeeName), DeviceId: t.DeviceID,
		DeviceName: ptr(t.DeviceName), Pin: t.PIN, Kind: EnrolmentKind(t.Kind), Index: t.Index, Format: t.Format, Size: t.Size,
		Sha256: t.SHA256, Status: EnrolmentStatus(t.Status), CreatedAt: t.CreatedAt, DecidedAt: nul(t.DecidedAt),
		DecidedBy: nul(t.DecidedBy), Comment: ptr(t.Comment)}
}

// ListEmployeeTemplates lists an employee's template references.
func (s *Server) ListEmployeeTemplates(ctx context.Context, r ListEmployeeTemplatesRequestObject) (ListEmployeeTemplatesResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	ts, err := dev.EmployeeTemplates(ctx, actorFrom(ctx), r.Id)
	if err != nil {
		return nil, err
	}
	out := ListEmployeeTemplates200JSONResponse{Items: make([]Enrolment, len(ts)), NextCursor: nul[string](nil)}
	for i, t := range ts {
		out.Items[i] = fromTemplate(t)
	}
	return out, nil
}

// ListEnrolments lists templates for review.
func (s *Server) ListEnrolments(ctx context.Context, r ListEnrolmentsRequestObject) (ListEnrolmentsResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	ts, next, err := dev.ListEnrolments(ctx, actorFrom(ctx), strPtr(r.Params.Status), r.Params.Cursor, r.Params.Limit)
	if err != nil {
		return nil, err
	}
	out := ListEnrolments200JSONResponse{Items: make([]Enrolment, len(ts)), NextCursor: nul(next)}
	for i, t := range ts {
		out.Items[i] = fromTemplate(t)
	}
	return out, nil
}

func decision(b *EnrolmentDecision) (*uuid.UUID, string) {
	if b == nil {
		return nil, ""
	}
	c := ""
	if b.Comment != nil {
		c = *b.Comment
	}
	return b.EmployeeId, c
}

// ApproveEnrolment approves a template.
func (s *Server) ApproveEnrolment(ctx context.Context, r ApproveEnrolmentRequestObject) (ApproveEnrolmentResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	emp, comment := decision(r.Body)
	t, err := dev.DecideEnrolment(ctx, actorFrom(ctx), r.Id, true, emp, comment)
	if err != nil {
		return nil, err
	}
	return ApproveEnrolment200JSONResponse(fromTemplate(t)), nil
}

// RejectEnrolment rejects a template.
func (s *Server) RejectEnrolment(ctx context.Context, r RejectEnrolmentRequestObject) (RejectEnrolmentResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	_, comment := decision(r.Body)
	t, err := dev.DecideEnrolment(ctx, actorFrom(ctx), r.Id, false, nil, comment)
	if err != nil {
		return nil, err
	}
	return RejectEnrolment200JSONResponse(fromTemplate(t)), nil
}

// ActivateDevice redeems a native terminal's activation code.
func (s *Server) ActivateDevice(ctx context.Context, r ActivateDeviceRequestObject) (ActivateDeviceResponseObject, error) {
	dev, err := s.devs()
	if err != nil {
		return nil, err
	}
	a, err := dev.Activate(ctx, r.Body.ActivationCode)
	if err != nil {
		return nil, err
	}
	return ActivateDevice200JSONResponse{DeviceId: a.Device.ID, TenantId: a.Device.TenantID, Secret: a.Secret, SiteId: a.Device.SiteID,
		Timezone: a.Device.Timezone, ServerTime: dev.Now(),
		Signature: "HMAC-SHA256(SHA-256(secret), METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body)))"}, nil
}
