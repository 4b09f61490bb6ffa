package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/devices/hikhttp"
	"github.com/dakahq/daka/devices/zkhttp"
	"github.com/dakahq/daka/internal/errs"
)

// mountTerminals serves the device protocols that firmware, not the spec,
// defines: ZKTeco ADMS under /iclock/ (any case, with or without .aspx) and
// Hikvision HTTP listening under /hik/events/{token}. They run before
// echo's router, with the request id, access log, metrics and panic
// recovery of every route but without the JSON body limit, spec validation
// and bearer auth: the handlers bound bodies themselves and identify
// devices by serial number or URL token.
func mountTerminals(e *echo.Echo, s *Server, dev *devices.Service) {
	if dev == nil {
		return
	}
	ip := func(r *http.Request) string { return clientIP(r.Context()) }
	wrap := func(h http.Handler) echo.HandlerFunc {
		return requestID(s.accessLog(recoverer(s.log)(echo.WrapHandler(h))))
	}
	zk := wrap(zkhttp.New(dev, zkhttp.Options{ClientIP: ip}))
	hik := wrap(hikhttp.New(dev, hikhttp.Options{ClientIP: ip}))
	e.Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := c.Request().URL.Path
			switch {
			case hasPrefixFold(p, "/iclock/") || strings.EqualFold(p, "/iclock"):
				c.SetPath("/iclock/*")
				return zk(c)
			case strings.HasPrefix(p, hikhttp.Prefix):
				c.SetPath(hikhttp.Prefix + ":token")
				return hik(c)
			}
			return next(c)
		}
	})
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// terminalBodyLimits bound native terminal bodies, checked before the
// signature (which covers the whole body) is verified.
var terminalBodyLimits = map[string]int64{
	"/v1/terminal/punches": 32 << 20, // 50,000 items
	"/v1/terminal/photos":  devices.MaxPhotoBytes,
}

// addTerminalLimits raises the JSON body limit for the native routes that
// carry more than a megabyte.
func addTerminalLimits(limits map[string]int64) {
	for p, n := range terminalBodyLimits {
		limits[p] = n
	}
}

type terminalKey struct{}

// terminalCall is what the signature check leaves for the handlers.
type terminalCall struct {
	device   devices.Device
	received time.Time
}

// terminalAuth verifies the signature of every /v1/terminal/ request
// before anything else reads the body (spec validation of a 50,000-item
// batch is not something to do for a stranger). A refusal is 401 (403 for
// a disabled device) with X-Daka-Server-Time, and is logged.
func (s *Server) terminalAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if s.dev == nil || !strings.HasPrefix(req.URL.Path, "/v1/terminal/") {
			return next(c)
		}
		received := s.dev.Now()
		limit := int64(1 << 20)
		if n, ok := terminalBodyLimits[req.URL.Path]; ok {
			limit = n
		}
		var body []byte
		if req.Body != nil {
			b, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, limit))
			if err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return errs.New(errs.TooLarge, "body_too_large", "the request body is larger than %d bytes", limit)
				}
				return errs.New(errs.BadRequest, "malformed_request", "the request body cannot be read")
			}
			body = b
			req.Body = io.NopCloser(bytes.NewReader(body))
		}
		target := req.RequestURI
		if target == "" {
			target = req.URL.RequestURI()
		}
		h := req.Header
		d, err := s.dev.VerifyRequest(req.Context(), devices.SignedRequest{Method: req.Method, Target: target,
			Device: h.Get(devices.HeaderDevice), Timestamp: h.Get(devices.HeaderTimestamp), Nonce: h.Get(devices.HeaderNonce),
			Signature: h.Get(devices.HeaderSignature), Body: body, Unwindowed: req.URL.Path == "/v1/terminal/time"})
		if err != nil {
			var ae *devices.AuthError
			if errors.As(err, &ae) {
				c.Response().Header().Set("X-Daka-Server-Time", ae.ServerTime.UTC().Format(time.RFC3339Nano))
			}
			return err
		}
		tc := terminalCall{device: d, received: received}
		ctx := context.WithValue(req.Context(), terminalKey{}, tc)
		c.SetRequest(req.WithContext(ctx))
		if req.Method == http.MethodPost && req.URL.Path == "/v1/terminal/punches" {
			err = s.terminalPunchesFast(c, tc, body)
		} else {
			err = next(c)
		}
		st := c.Response().Status
		if err != nil {
			if e, ok := errs.As(err); ok {
				st = statusOf[e.Kind]
			} else {
				st = http.StatusInternalServerError
			}
		}
		logged := body
		if req.URL.Path == "/v1/terminal/photos" {
			logged = nil // the raw log is for protocol bytes, not JPEGs
		}
		s.dev.LogRequest(context.WithoutCancel(ctx), d, devices.RawRequest{At: received, Method: req.Method, Path: req.URL.Path,
			Query: req.URL.RawQuery, Body: logged, BodySize: len(body), Status: st})
		if req.URL.Path != "/v1/terminal/time" {
			s.dev.Touch(context.WithoutCancel(ctx), d, clientIP(ctx))
		}
		return err
	}
}

// terminal returns the signed-in device of a native request.
func terminal(ctx context.Context) (terminalCall, error) {
	tc, ok := ctx.Value(terminalKey{}).(terminalCall)
	if !ok {
		return tc, errs.New(errs.Unauthenticated, "signature_missing", "sign the request")
	}
	return tc, nil
}

// TerminalTime answers a clock-sync request.
func (s *Server) TerminalTime(ctx context.Context, r TerminalTimeRequestObject) (TerminalTimeResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	t2 := s.dev.Now()
	return TerminalTime200JSONResponse{T0: r.Params.T0, T1: tc.received.UnixMilli(), T2: t2.UnixMilli(), ServerTime: t2}, nil
}

// TerminalHeartbeat records a native heartbeat.
func (s *Server) TerminalHeartbeat(ctx context.Context, r TerminalHeartbeatRequestObject) (TerminalHeartbeatResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	b := r.Body
	h := devices.Heartbeat{UserCount: b.UserCount, PunchCount: b.PunchCount, FaceCount: b.FaceCount, FPCount: b.FpCount,
		ClockOffsetMs: b.ClockOffsetMs}
	if b.Firmware != nil {
		h.Firmware = *b.Firmware
	}
	if b.Ip != nil {
		h.IP = *b.Ip
	}
	if b.Properties != nil {
		h.Props = *b.Properties
	}
	d, err := s.dev.RecordHeartbeat(ctx, tc.device, h)
	if err != nil {
		return nil, err
	}
	return TerminalHeartbeat200JSONResponse{ServerTime: s.dev.Now(), PendingCommands: d.PendingCommands, RosterResetAt: d.RosterResetAt}, nil
}

// terminalPunchesFast serves POST /v1/terminal/punches for a verified
// device without the generic request validation and the generated
// handler: a week offline is 50,000 items, and validating them against the
// schema, decoding them twice and answering through pointer-heavy
// generated types cost more CPU than storing them. The body is decoded
// once, straight into the domain type; each item is validated on its own
// by devices.IngestNative (a bad item is an item result, not a 422); the
// answer is written by hand in the spec's TerminalPunchResults shape.
func (s *Server) terminalPunchesFast(c echo.Context, tc terminalCall, body []byte) error {
	var in struct {
		Punches []devices.NativePunch `json:"punches"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&in); err != nil {
		return errs.New(errs.BadRequest, "malformed_request", "the request body is not a punch batch: %s", trimErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.New(errs.BadRequest, "malformed_request", "the request body has data after its JSON value")
	}
	if len(in.Punches) == 0 || len(in.Punches) > devices.MaxNativeBatch {
		return errs.FieldErr("punches", "invalid_length", "send 1 to %d punches", devices.MaxNativeBatch)
	}
	outs, err := s.dev.IngestNative(c.Request().Context(), tc.device, in.Punches, tc.received)
	if err != nil {
		return err
	}
	b := make([]byte, 0, 96*len(outs)+128)
	b = append(b, `{"results":[`...)
	var created, dups, quarantined, rejected int
	for i, o := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"seq":`...)
		b = strconv.AppendInt(b, in.Punches[i].Seq, 10)
		b = append(b, `,"status":"`...)
		b = append(b, o.Status...)
		b = append(b, '"')
		switch o.Status {
		case devices.OutcomeCreated, devices.OutcomeDuplicate:
			if o.Status == devices.OutcomeCreated {
				created++
				s.metrics.punches.WithLabelValues("terminal", o.Verdict).Inc()
			} else {
				dups++
			}
			b = append(b, `,"punch_id":"`...)
			b = append(b, o.PunchID.String()...)
			b = append(b, '"')
			if o.Verdict != "" {
				b = append(b, `,"verdict":"`...)
				b = append(b, o.Verdict...)
				b = append(b, '"')
			}
		default:
			if o.Status == devices.OutcomeQuarantined {
				quarantined++
			} else {
				rejected++
				b = append(b, `,"error":`...)
				eb, _ := json.Marshal(o.Detail)
				b = append(b, eb...)
			}
			b = append(b, `,"quarantine_id":"`...)
			b = append(b, o.QuarantineID.String()...)
			b = append(b, `","reason":"`...)
			b = append(b, o.Reason...)
			b = append(b, '"')
		}
		b = append(b, '}')
	}
	b = append(b, `],"created":`...)
	b = strconv.AppendInt(b, int64(created), 10)
	b = append(b, `,"duplicates":`...)
	b = strconv.AppendInt(b, int64(dups), 10)
	b = append(b, `,"quarantined":`...)
	b = strconv.AppendInt(b, int64(quarantined), 10)
	b = append(b, `,"rejected":`...)
	b = strconv.AppendInt(b, int64(rejected), 10)
	b = append(b, "}\n"...)
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, b)
}

// TerminalPunches ingests a native punch batch. Requests reach
// terminalPunchesFast first; this is the generated interface's path (the
// same result, through the generic validation and types).
func (s *Server) TerminalPunches(ctx context.Context, r TerminalPunchesRequestObject) (TerminalPunchesResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	in := r.Body.Punches
	if len(in) > devices.MaxNativeBatch {
		return nil, errs.FieldErr("punches", "invalid_length", "at most %d punches per request", devices.MaxNativeBatch)
	}
	items := make([]devices.NativePunch, len(in))
	for i, p := range in {
		it := devices.NativePunch{Seq: p.Seq, DeviceTime: p.DeviceTime, Status: p.Status, PhotoID: p.PhotoId}
		if p.Pin != nil {
			it.PIN = *p.Pin
		}
		if p.Card != nil {
			it.Card = *p.Card
		}
		if p.Verify != nil {
			it.Verify = *p.Verify
		}
		items[i] = it
	}
	outs, err := s.dev.IngestNative(ctx, tc.device, items, tc.received)
	if err != nil {
		return nil, err
	}
	res := TerminalPunches200JSONResponse{Results: make([]TerminalPunchResult, len(outs))}
	for i, o := range outs {
		x := TerminalPunchResult{Seq: in[i].Seq, Status: TerminalPunchResultStatus(o.Status)}
		switch o.Status {
		case devices.OutcomeCreated, devices.OutcomeDuplicate:
			if o.Status == devices.OutcomeCreated {
				res.Created++
				s.metrics.punches.WithLabelValues("terminal", o.Verdict).Inc()
			} else {
				res.Duplicates++
			}
			x.PunchId = ptr(o.PunchID)
			if o.Verdict != "" {
				x.Verdict = ptr(Verdict(o.Verdict))
			}
		case devices.OutcomeQuarantined:
			res.Quarantined++
			x.QuarantineId, x.Reason = ptr(o.QuarantineID), ptr(o.Reason)
		case devices.OutcomeRejected:
			res.Rejected++
			x.QuarantineId, x.Reason, x.Error = ptr(o.QuarantineID), ptr(o.Reason), ptr(o.Detail)
		}
		res.Results[i] = x
	}
	return res, nil
}

// TerminalRoster returns a page of the device's roster.
func (s *Server) TerminalRoster(ctx context.Context, r TerminalRosterRequestObject) (TerminalRosterResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	limit := 500
	if r.Params.Limit != nil {
		limit = *r.Params.Limit
	}
	pg, err := s.dev.Roster(ctx, tc.device, r.Params.Since, r.Params.Cursor, limit)
	if err != nil {
		return nil, err
	}
	out := TerminalRoster200JSONResponse{Items: make([]TerminalRosterEntry, len(pg.Items)), NextCursor: nul(pg.NextCursor),
		Since: pg.Since, Full: pg.Full}
	for i, e := range pg.Items {
		ts := make([]TerminalRosterTemplate, len(e.Templates))
		for j, t := range e.Templates {
			ts[j] = TerminalRosterTemplate{Id: t.ID, Kind: t.Kind, Index: t.Index, Format: ptr(t.Format), Sha256: t.SHA256}
		}
		out.Items[i] = TerminalRosterEntry{EmployeeId: e.EmployeeID, EmployeeNo: e.EmployeeNo, Pin: e.PIN, Name: e.Name,
			Cards: e.Cards, Templates: ts, Removed: e.Removed}
	}
	return out, nil
}

// TerminalCommands delivers the device's queued commands (once each).
func (s *Server) TerminalCommands(ctx context.Context, _ TerminalCommandsRequestObject) (TerminalCommandsResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.dev.DeviceByID(ctx, tc.device.ID) // the signed-in copy may predate a command queued since
	if err != nil {
		return nil, err
	}
	cs, err := s.dev.TakeCommands(ctx, d, 100, func(cs []devices.Command) int { return len(cs) })
	if err != nil {
		return nil, err
	}
	out := TerminalCommands200JSONResponse{Items: make([]TerminalCommand, len(cs))}
	for i, c := range cs {
		args := map[string]any{}
		if b, err := json.Marshal(c.Args); err == nil {
			_ = json.Unmarshal(b, &args)
		}
		out.Items[i] = TerminalCommand{Id: c.CmdID, Type: DeviceCommandType(c.Kind), Args: args}
	}
	return out, nil
}

// TerminalCommandAck records a command's result.
func (s *Server) TerminalCommandAck(ctx context.Context, r TerminalCommandAckRequestObject) (TerminalCommandAckResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	b := r.Body
	code := 0
	if !b.Ok {
		code = -1
	}
	if b.Code != nil {
		code = *b.Code
	}
	rep := devices.CommandReply{CmdID: r.CmdId, Return: &code}
	if b.Message != nil {
		rep.Message = *b.Message
	}
	if b.Data != nil {
		rep.Props = *b.Data
	}
	unknown, err := s.dev.CompleteCommands(ctx, tc.device, []devices.CommandReply{rep})
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, errs.New(errs.NotFound, "not_found", "no open command %s on this device", r.CmdId)
	}
	return TerminalCommandAck204Response{}, nil
}

// TerminalEvents stores native alarms.
func (s *Server) TerminalEvents(ctx context.Context, r TerminalEventsRequestObject) (TerminalEventsResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	in := make([]devices.EventInput, 0, len(r.Body.Events))
	for i, e := range r.Body.Events {
		t, abs, err := devices.ParseDeviceTime(e.DeviceTime)
		if err != nil {
			return nil, errs.FieldErr("events["+strconv.Itoa(i)+"].device_time", "invalid_time", "%v", err)
		}
		raw, _ := json.Marshal(e)
		key := "ev:" + shortSum(raw)
		if e.Seq != nil {
			key = devices.SeqKey("ev", *e.Seq)
		}
		det := map[string]any{}
		if e.Details != nil {
			det = *e.Details
		}
		if e.Door != nil {
			det["door"] = *e.Door
		}
		x := devices.EventInput{Kind: devices.EventAlarm, Type: string(e.Type), Time: t, Absolute: abs, DedupeKey: key,
			Details: det, Raw: string(raw), PhotoID: e.PhotoId}
		if e.Pin != nil {
			x.PIN = *e.Pin
		}
		in = append(in, x)
	}
	stored, err := s.dev.StoreEvents(ctx, tc.device, in, tc.received)
	if err != nil {
		return nil, err
	}
	return TerminalEvents200JSONResponse{Stored: len(stored), Duplicates: len(in) - len(stored)}, nil
}

// TerminalPhoto stores a punch photo from a native terminal.
func (s *Server) TerminalPhoto(ctx context.Context, r TerminalPhotoRequestObject) (TerminalPhotoResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, devices.MaxPhotoBytes+1))
	if err != nil {
		return nil, errs.New(errs.BadRequest, "malformed_request", "the photo cannot be read")
	}
	if len(b) < 3 || b[0] != 0xff || b[1] != 0xd8 || b[2] != 0xff {
		return nil, errs.New(errs.Unsupported, "unsupported_image_type", "send a JPEG")
	}
	id, err := s.dev.StorePhoto(ctx, tc.device, devices.PhotoInput{ContentType: "image/jpeg", Data: b})
	if errors.Is(err, devices.ErrNoMediaStore) {
		return nil, errs.New(errs.Unavailable, "photos_disabled", "this server keeps no photos")
	}
	if err != nil {
		return nil, err
	}
	return TerminalPhoto201JSONResponse{Id: id}, nil
}

// TerminalUploadTemplate stores a template enrolled on a native device.
func (s *Server) TerminalUploadTemplate(ctx context.Context, r TerminalUploadTemplateRequestObject) (TerminalUploadTemplateResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	b := r.Body
	t := devices.TemplateInput{PIN: b.Pin, Kind: string(b.Kind), Data: b.Data}
	if b.Index != nil {
		t.Index = *b.Index
	}
	if b.Format != nil {
		t.Format = *b.Format
	}
	if len(t.Data) == 0 || len(t.Data) > devices.MaxTemplateBytes {
		return nil, errs.FieldErr("data", "invalid_length", "a template is 1 to %d bytes", devices.MaxTemplateBytes)
	}
	n, err := s.dev.StoreTemplates(ctx, tc.device, []devices.TemplateInput{t})
	if err != nil {
		return nil, err
	}
	return TerminalUploadTemplate201JSONResponse{Stored: n}, nil
}

// TerminalTemplate hands an approved template to a native device.
func (s *Server) TerminalTemplate(ctx context.Context, r TerminalTemplateRequestObject) (TerminalTemplateResponseObject, error) {
	tc, err := terminal(ctx)
	if err != nil {
		return nil, err
	}
	t, data, err := s.dev.TemplateData(ctx, tc.device, r.Id)
	if err != nil {
		return nil, err
	}
	return TerminalTemplate200JSONResponse{Id: t.ID, EmployeeId: nul(t.EmployeeID), Pin: ptr(t.PIN), Kind: t.Kind, Index: t.Index,
		Format: t.Format, Sha256: t.SHA256, Data: data}, nil
}

func shortSum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
