// Package zkhttp serves the ZKTeco "ADMS" / PUSH protocol (iclock) over
// HTTP: a plain net/http handler that package api mounts on /iclock/. It
// routes by endpoint (case-insensitively, with or without .aspx), bounds
// and reads bodies whatever their Content-Type, turns what devices send
// into package devices' calls through the pure zkadms parsers, and answers
// in text/plain with an explicit Content-Length, written once.
//
// Rules it keeps (docs/terminals.md, terminal-protocols.md Part A/E):
//   - an unregistered serial is answered 403 "ERROR" (the device keeps its
//     pointer and retries) and recorded as a pending device with what it
//     sent, which is ingested when an admin approves it;
//   - ATTLOG is answered "OK: <n>" only after the transaction holding the
//     records committed (n = lines stored, duplicates included); a failure
//     is a 500 "ERROR" and the device sends the batch again, harmlessly;
//   - commands go out on getrequest exactly once (devices.TakeCommands) and
//     replies are accepted on devicecmd and on table-less cdata;
//   - every exchange of a registered device lands in its raw request log.
package zkhttp

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/devices/zkadms"
	"github.com/dakahq/daka/internal/errs"
)

// MaxBody bounds a request body (photos and templates are the big ones).
const MaxBody = 10 << 20

// Options configure the Handler.
type Options struct {
	// ClientIP returns the device's address (default: the TCP peer).
	ClientIP func(*http.Request) string
	// Field10 pins how ATTLOG field index 10 is read (default: the
	// zkadms heuristic).
	Field10 zkadms.Field10Mode
	// Delay is the getrequest poll interval sent in the handshake
	// (default 10 s).
	Delay int
}

// Handler serves /iclock/.
type Handler struct {
	svc *devices.Service
	o   Options
	log *slog.Logger
}

// New returns a Handler and registers it as the replayer of approved
// pending ZKTeco devices.
func New(svc *devices.Service, o Options) *Handler {
	if o.ClientIP == nil {
		o.ClientIP = func(r *http.Request) string {
			h, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return h
		}
	}
	if o.Delay <= 0 {
		o.Delay = 10
	}
	h := &Handler{svc: svc, o: o, log: svc.Logger()}
	svc.RegisterReplayer(devices.ProtocolZKTeco, h.replay)
	return h
}

// endpoints are the iclock paths firmware uses.
var endpoints = map[string]bool{
	"cdata": true, "getrequest": true, "devicecmd": true, "ping": true, "registry": true, "push": true,
	"rtdata": true, "querydata": true, "fdata": true, "exchange": true,
}

// Endpoint returns the iclock endpoint of a path ("/iclock/cdata.aspx" →
// "cdata"), matched case-insensitively, or "" when it is none.
func Endpoint(path string) string {
	const prefix = "/iclock/"
	if len(path) < len(prefix) || !strings.EqualFold(path[:len(prefix)], prefix) {
		return ""
	}
	e := strings.ToLower(strings.TrimSuffix(path[len(prefix):], "/"))
	e = strings.TrimSuffix(e, ".aspx")
	if !endpoints[e] {
		return ""
	}
	return e
}

// exchange is one request, live or replayed.
type exchange struct {
	method   string
	endpoint string
	path     string
	rawQuery string
	q        url.Values
	body     []byte
	at       time.Time
	ip       string
	replay   bool
}

// reply is what the handler answers.
type reply struct {
	status int
	body   string
}

func ok(body string) reply { return reply{status: http.StatusOK, body: body} }

var errReply = reply{status: http.StatusInternalServerError, body: "ERROR"}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := exchange{method: r.Method, endpoint: Endpoint(r.URL.Path), path: r.URL.Path, rawQuery: r.URL.RawQuery,
		q: r.URL.Query(), at: h.svc.Now(), ip: h.o.ClientIP(r)}
	if x.endpoint == "" {
		write(w, reply{status: http.StatusNotFound, body: "ERROR"})
		return
	}
	sn := serial(x.q)
	if sn == "" || !zkadms.ValidSerial(sn) {
		write(w, reply{status: http.StatusBadRequest, body: "ERROR"})
		return
	}
	if r.Body != nil {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				write(w, reply{status: http.StatusRequestEntityTooLarge, body: "ERROR"})
				return
			}
			write(w, reply{status: http.StatusBadRequest, body: "ERROR"})
			return
		}
		x.body = b
	}
	ctx := r.Context()
	d, err := h.svc.DeviceBySerial(ctx, sn)
	switch {
	case errs.KindOf(err) == errs.NotFound:
		h.pending(ctx, sn, x)
		write(w, reply{status: http.StatusForbidden, body: "ERROR"})
		return
	case err != nil:
		h.log.Error("zk device lookup", "serial", sn, "err", err)
		write(w, errReply)
		return
	case d.Protocol != devices.ProtocolZKTeco:
		h.log.Warn("zk request for a device registered with another protocol", "serial", sn, "protocol", d.Protocol)
		write(w, reply{status: http.StatusForbidden, body: "ERROR"})
		return
	}
	rep := h.handle(ctx, d, x)
	// Seen and logged before answering, so whoever looks after the device
	// got its answer sees both.
	h.svc.Touch(ctx, d, x.ip)
	h.svc.LogRequest(ctx, d, devices.RawRequest{At: x.at, Method: x.method, Path: x.path, Query: x.rawQuery,
		Body: x.body, BodySize: len(x.body), Status: rep.status, Response: rep.body})
	write(w, rep)
}

// write sends a reply: text/plain, explicit Content-Length, one write (old
// firmware and chunked encoding are not friends; net/http adds Date, which
// devices set their clocks from).
func write(w http.ResponseWriter, r reply) {
	h := w.Header()
	h.Set("Content-Type", "text/plain")
	h.Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.body)
}

// serial reads SN (any case: firmware sends SN, some sn).
func serial(q url.Values) string {
	if v := q.Get("SN"); v != "" {
		return v
	}
	for k, vs := range q {
		if strings.EqualFold(k, "sn") && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// get reads a query parameter ignoring case (table=, Table=, INFO=).
func get(q url.Values, key string) string {
	if v := q.Get(key); v != "" {
		return v
	}
	for k, vs := range q {
		if strings.EqualFold(k, key) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// pending records a request of an unregistered serial; what it sent is
// kept for when an admin approves it.
func (h *Handler) pending(ctx context.Context, sn string, x exchange) {
	info := map[string]string{}
	for _, k := range []string{"pushver", "language", "DeviceType", "PushOptionsFlag"} {
		if v := get(x.q, k); v != "" {
			info[k] = v
		}
	}
	if v := get(x.q, "INFO"); v != "" {
		di := zkadms.ParseInfoQuery(v)
		info["firmware"], info["ip"] = di.Firmware, di.IP
	}
	keep := x.method == http.MethodPost && len(x.body) > 0
	records := 0
	if keep && strings.EqualFold(get(x.q, "table"), "ATTLOG") {
		recs, bad := zkadms.ParseATTLOG(x.body)
		records = len(recs) + len(bad)
	}
	req := devices.PendingRequest{At: x.at, Method: x.method, Path: x.path, Query: x.rawQuery, Body: x.body}
	if err := h.svc.RecordPending(context.WithoutCancel(ctx), sn, devices.ProtocolZKTeco, x.ip, req, records, info, keep); err != nil {
		h.log.Error("pending zk device", "serial", sn, "err", err)
	}
}

// replay ingests what a pending device sent before it was approved, in
// order, with the times it arrived.
func (h *Handler) replay(ctx context.Context, d devices.Device, reqs []devices.PendingRequest) error {
	for _, p := range reqs {
		q, _ := url.ParseQuery(p.Query)
		x := exchange{method: p.Method, endpoint: Endpoint(p.Path), path: p.Path, rawQuery: p.Query, q: q, body: p.Body, at: p.At,
			replay: true}
		if x.endpoint == "" {
			continue
		}
		rep := h.handle(ctx, d, x)
		h.svc.LogRequest(ctx, d, devices.RawRequest{At: h.svc.Now(), Method: x.method, Path: x.path + " (replayed)",
			Query: x.rawQuery, Body: x.body, BodySize: len(x.body), Status: rep.status, Response: rep.body})
		if rep.status >= 500 {
			return fmt.Errorf("replay %s %s: %s", p.Method, p.Path, rep.body)
		}
	}
	return nil
}

// handle dispatches one exchange of a registered device.
func (h *Handler) handle(ctx context.Context, d devices.Device, x exchange) reply {
	switch x.endpoint {
	case "cdata":
		if x.method == http.MethodGet {
			return h.handshake(ctx, d, x)
		}
		return h.upload(ctx, d, x, get(x.q, "table"))
	case "fdata":
		return h.upload(ctx, d, x, "ATTPHOTO")
	case "getrequest":
		return h.getrequest(ctx, d, x)
	case "devicecmd":
		return h.devicecmd(ctx, d, x)
	case "rtdata":
		if strings.EqualFold(get(x.q, "type"), "time") {
			return ok(zkadms.RTDataTimeBody(x.at, d.Location()))
		}
		return ok("OK")
	case "registry":
		opts := zkadms.ParseOptions(x.body)
		h.updateInfo(ctx, d, opts)
		return ok("RegistryCode=" + registryCode(d))
	case "push":
		return ok(h.pushParams(d))
	}
	return ok("OK") // ping, querydata, exchange
}

// handshake answers the initial GET /iclock/cdata?options=all with the
// option block, TimeZone from the device's zone at this instant (always
// sent: without it devices fall back to their firmware default). Security
// PUSH (pushver 3.x) devices, registered here, get the registry answer.
func (h *Handler) handshake(ctx context.Context, d devices.Device, x exchange) reply {
	pv := get(x.q, "pushver")
	props := map[string]string{}
	for _, k := range []string{"language", "DeviceType", "PushOptionsFlag"} {
		if v := get(x.q, k); v != "" {
			props[k] = v
		}
	}
	if pv != "" || len(props) > 0 {
		if err := h.svc.UpdateInfo(ctx, d, devices.InfoUpdate{PushVersion: pv, Props: props}); err != nil {
			h.log.Warn("zk handshake info", "device", d.ID, "err", err)
		}
	}
	if strings.HasPrefix(pv, "3.") {
		return ok("registry=ok\nRegistryCode=" + registryCode(d) + "\n" + h.pushParams(d))
	}
	_, off := x.at.In(d.Location()).Zone()
	hs := zkadms.DefaultHandshake(d.Serial, off)
	hs.Delay = h.o.Delay
	return ok(hs.Body())
}

// registryCode is the Security PUSH registry code of a device: stable, and
// of no value to anyone (ADMS has no device authentication to protect).
func registryCode(d devices.Device) string {
	return strings.ReplaceAll(d.ID.String(), "-", "")[:32]
}

func (h *Handler) pushParams(d devices.Device) string {
	return "ServerVersion=3.0.1\nServerName=ADMS\nPushVersion=3.0.1\nErrorDelay=30\nRequestDelay=" + strconv.Itoa(h.o.Delay) +
		"\nTransTimes=00:00;14:00\nTransInterval=1\nTransTables=User Transaction\nRealtime=1\nSessionID=" + registryCode(d) +
		"\nTimeoutSec=10\n"
}

// upload handles POST /iclock/cdata by table.
func (h *Handler) upload(ctx context.Context, d devices.Device, x exchange, table string) reply {
	switch strings.ToUpper(table) {
	case "ATTLOG":
		return h.attlog(ctx, d, x)
	case "OPERLOG", "BIODATA", "USERINFO":
		return h.operlog(ctx, d, x)
	case "ATTPHOTO":
		return h.attphoto(ctx, d, x)
	case "OPTIONS":
		h.updateInfo(ctx, d, zkadms.ParseOptions(x.body))
		return ok("OK")
	case "RTLOG":
		return h.rtlog(ctx, d, x)
	case "":
		// X100-C posts command replies (and INFO) to cdata without a table.
		return h.devicecmd(ctx, d, x)
	}
	// rtstate, IDCARD, ERRORLOG and tables nobody has seen yet: kept in the
	// raw log, acknowledged so the device moves on.
	return ok("OK")
}

// attlog ingests punches. The answer counts the lines stored (new or
// duplicates, kept in quarantine included); lines that could not be read
// are kept in quarantine with their raw text and not counted.
func (h *Handler) attlog(ctx context.Context, d devices.Device, x exchange) reply {
	recs, bad := zkadms.ParseATTLOGMode(x.body, h.o.Field10)
	loc := d.Location()
	rs := make([]devices.Record, len(recs))
	for i, a := range recs {
		r := devices.Record{Index: a.Line, PIN: a.PIN, Time: a.LocalTime, Absolute: a.Epoch, OffsetSec: a.TimeOffsetSec, Seq: a.Seq,
			Raw: a.Raw, Realtime: len(recs) == 1 && len(bad) == 0 && !x.replay}
		wall := a.LocalTime
		if a.Epoch {
			wall = a.LocalTime.In(loc)
			if a.TimeOffsetSec != nil {
				wall = a.LocalTime.In(time.FixedZone("", *a.TimeOffsetSec))
			}
		}
		r.DedupeKey = devices.ZKKey(a.PIN, wall)
		if a.Status != zkadms.StatusUnknown {
			st := a.Status
			r.Status, r.StatusCode = strconv.Itoa(st), &st
		}
		if a.Verify != zkadms.VerifyUnknown {
			r.VerifyMethod = zkadms.VerifyMethod(a.Verify)
		}
		rs[i] = r
	}
	bs := make([]devices.BadRecord, len(bad))
	for i, b := range bad {
		bs[i] = devices.BadRecord{Index: b.Line, Raw: b.Raw, Reason: b.Reason.Error()}
		h.log.Warn("zk ATTLOG line rejected", "device", d.ID, "line", b.Line, "reason", b.Reason)
	}
	out, err := h.svc.Ingest(ctx, d, rs, bs, x.at)
	if err != nil {
		h.log.Error("zk ATTLOG ingest", "device", d.ID, "err", err)
		return errReply
	}
	n := 0
	for _, o := range out {
		if o.Status != devices.OutcomeRejected {
			n++
		}
	}
	return ok(zkadms.OKCount(n))
}

// operlog mirrors the device's users and keeps its op-log and templates;
// it creates no punches.
func (h *Handler) operlog(ctx context.Context, d devices.Device, x exchange) reply {
	ops, bad := zkadms.ParseOPERLOG(x.body)
	var users []devices.DeviceUser
	var events []devices.EventInput
	var deleted []string
	var tmpls []devices.TemplateInput
	for _, o := range ops {
		switch o.Kind {
		case zkadms.KindUSER:
			u, ok := o.User()
			if !ok {
				continue
			}
			pri, grp, ver := u.Pri, u.Grp, u.Verify
			users = append(users, devices.DeviceUser{PIN: u.PIN, Name: u.Name, NameRaw: u.NameRaw, Privilege: &pri, Card: u.Card,
				Group: &grp, TZ: u.TZ, Verify: &ver})
		case zkadms.KindOPLOG:
			op, ok := o.OpLog()
			if !ok {
				continue
			}
			events = append(events, devices.EventInput{Kind: devices.EventOpLog, Type: "oplog_" + strconv.Itoa(op.Type), PIN: op.Who,
				Time: op.Time, Absolute: op.Epoch, DedupeKey: "oplog:" + shortKey(o.Raw), Raw: o.Raw,
				Details: map[string]any{"op_type": op.Type, "operator": op.Operator, "who": op.Who, "values": op.Values}})
			if op.Type == 9 && op.Who != "" {
				deleted = append(deleted, op.Who)
			}
		case zkadms.KindFP, zkadms.KindFACE, zkadms.KindBIODATA:
			if t, ok := template(o); ok {
				tmpls = append(tmpls, t)
			}
		}
	}
	for _, b := range bad {
		h.log.Warn("zk OPERLOG line rejected", "device", d.ID, "line", b.Line, "reason", b.Reason)
	}
	if err := h.svc.UpsertDeviceUsers(ctx, d, users); err != nil {
		h.log.Error("zk OPERLOG users", "device", d.ID, "err", err)
		return errReply
	}
	if err := h.svc.DeleteDeviceUsers(ctx, d, deleted); err != nil {
		h.log.Error("zk OPERLOG users", "device", d.ID, "err", err)
		return errReply
	}
	if _, err := h.svc.StoreEvents(ctx, d, events, x.at); err != nil {
		h.log.Error("zk OPERLOG events", "device", d.ID, "err", err)
		return errReply
	}
	if _, err := h.svc.StoreTemplates(ctx, d, tmpls); err != nil {
		h.log.Error("zk OPERLOG templates", "device", d.ID, "err", err)
		return errReply
	}
	return ok(zkadms.OKCount(len(ops)))
}

// template reads an FP, FACE or BIODATA line.
func template(o zkadms.OperLine) (devices.TemplateInput, bool) {
	pin, _ := o.Get("PIN")
	t := devices.TemplateInput{PIN: pin}
	var data string
	switch o.Kind {
	case zkadms.KindFP:
		t.Kind = devices.TemplateFingerprint
		t.Index = intOf(o, "FID")
		data, _ = o.Get("TMP")
	case zkadms.KindFACE:
		t.Kind = devices.TemplateFace
		t.Index = intOf(o, "FID")
		data, _ = o.Get("TMP")
	case zkadms.KindBIODATA:
		switch intOf(o, "Type") {
		case 1:
			t.Kind = devices.TemplateFingerprint
		case 2, 9:
			t.Kind = devices.TemplateFace
		case 7:
			t.Kind = devices.TemplateFingerVein
		case 8:
			t.Kind = devices.TemplatePalm
		default:
			t.Kind = devices.TemplateOther
		}
		t.Index = intOf(o, "No")
		major, _ := o.Get("MajorVer")
		minor, _ := o.Get("MinorVer")
		t.Format = strings.Trim(major+"."+minor, ".")
		data, _ = o.Get("Tmp")
	}
	if pin == "" || data == "" {
		return t, false
	}
	if b, err := base64.StdEncoding.DecodeString(data); err == nil {
		t.Data = b
	} else {
		t.Data = []byte(data)
	}
	return t, true
}

// intOf reads an integer field of an OPERLOG line (0 when absent).
func intOf(o zkadms.OperLine, key string) int {
	v, _ := o.Get(key)
	n, _ := strconv.Atoi(strings.TrimSpace(v))
	return n
}

// attphoto keeps a punch photo, linked to its punch by (SN, PIN, time).
func (h *Handler) attphoto(ctx context.Context, d devices.Device, x exchange) reply {
	p, err := zkadms.ParseATTPHOTO(x.body)
	if err != nil {
		if errors.Is(err, zkadms.ErrPhotoSize) {
			return reply{status: http.StatusBadRequest, body: "ERROR"} // cut mid-body: let the device send it again
		}
		h.log.Warn("zk ATTPHOTO rejected", "device", d.ID, "err", err)
		return ok("OK")
	}
	name := p.FileName
	if name == "" {
		name = get(x.q, "PIN") // fdata names the photo in the query
	}
	if p.LocalTime.IsZero() && name != "" {
		if pin, t, err := zkadms.ParsePhotoFileName(name); err == nil {
			p.PIN, p.LocalTime = pin, t
		}
	}
	in := devices.PhotoInput{PIN: p.PIN, ContentType: "image/jpeg", Data: p.Image}
	if !p.LocalTime.IsZero() {
		lt := p.LocalTime
		in.LocalTime = &lt
		in.DedupeKey = devices.ZKKey(p.PIN, lt)
		if p.PIN == "" {
			in.DedupeKey = "photo:" + lt.Format("20060102150405") + ":" + shortKey(string(p.Image))
		}
	}
	if !p.IsJPEG() {
		in.ContentType = "application/octet-stream"
	}
	if _, err := h.svc.StorePhoto(ctx, d, in); err != nil {
		if errors.Is(err, devices.ErrNoMediaStore) {
			h.log.Warn("zk ATTPHOTO not kept: no media store", "device", d.ID)
			return ok("OK")
		}
		h.log.Error("zk ATTPHOTO", "device", d.ID, "err", err)
		return errReply
	}
	return ok("OK")
}

// rtlog ingests Security PUSH events: verified opens are punches (keyed by
// the device's record index), the rest door events.
func (h *Handler) rtlog(ctx context.Context, d devices.Device, x exchange) reply {
	evs, bad := zkadms.ParseRTLog(x.body)
	var rs []devices.Record
	var others []devices.EventInput
	for _, e := range evs {
		key := "rt:" + shortKey(e.Raw)
		if e.Index != nil {
			key = devices.SeqKey("rt", *e.Index)
		}
		// A normal verified open is a punch; access-control firmware sends
		// pin=0 with the card number when a card alone opened the door.
		byCard := e.Event == 0 && (e.PIN == "" || e.PIN == "0") && e.CardNo != "" && e.CardNo != "0"
		if !e.IsVerifiedOpen() && !byCard {
			others = append(others, devices.EventInput{Kind: devices.EventDoor, Type: "event_" + strconv.Itoa(e.Event), PIN: e.PIN,
				Time: e.Time, Absolute: e.Epoch, DedupeKey: key, Raw: e.Raw,
				Details: map[string]any{"event": e.Event, "door": e.EventAddr, "inout": e.InOutStatus, "card": e.CardNo}})
			continue
		}
		r := devices.Record{Index: e.Line, PIN: e.PIN, Card: e.CardNo, Time: e.Time, Absolute: e.Epoch, Seq: e.Index, Raw: e.Raw,
			DedupeKey: key, Door: e.EventAddr, Realtime: len(evs) == 1 && !x.replay}
		if e.InOutStatus == 0 || e.InOutStatus == 1 {
			st := e.InOutStatus
			r.Status, r.StatusCode = strconv.Itoa(st), &st
		}
		if v, err := strconv.Atoi(e.VerifyType); err == nil {
			r.VerifyMethod = zkadms.VerifyMethod(v)
		}
		rs = append(rs, r)
	}
	bs := make([]devices.BadRecord, len(bad))
	for i, b := range bad {
		bs[i] = devices.BadRecord{Index: b.Line, Raw: b.Raw, Reason: b.Reason.Error()}
	}
	if _, err := h.svc.Ingest(ctx, d, rs, bs, x.at); err != nil {
		h.log.Error("zk rtlog ingest", "device", d.ID, "err", err)
		return errReply
	}
	if _, err := h.svc.StoreEvents(ctx, d, others, x.at); err != nil {
		h.log.Error("zk rtlog events", "device", d.ID, "err", err)
		return errReply
	}
	return ok("OK")
}

// getrequest is the heartbeat and command poll: INFO= updates what the
// device reported, and queued commands go out once.
func (h *Handler) getrequest(ctx context.Context, d devices.Device, x exchange) reply {
	if v := get(x.q, "INFO"); v != "" {
		di := zkadms.ParseInfoQuery(v)
		u := devices.InfoUpdate{Firmware: di.Firmware, IP: di.IP, UserCount: known(di.UserCount), PunchCount: known(di.AttCount),
			FPCount: known(di.FPCount), FaceCount: known(di.FaceCount)}
		if err := h.svc.UpdateInfo(ctx, d, u); err != nil {
			h.log.Warn("zk INFO", "device", d.ID, "err", err)
		}
	}
	var body string
	cmds, err := h.svc.TakeCommands(ctx, d, 500, func(cs []devices.Command) int {
		zk := make([]zkadms.Command, 0, len(cs))
		for _, c := range cs {
			z, err := c.ZK()
			if err != nil {
				break // validated when queued; stop rather than skip so order holds
			}
			zk = append(zk, z)
		}
		var n int
		body, n = zkadms.FormatCommandsLimit(zk, zkadms.MaxCommandBody)
		return n
	})
	if err != nil {
		h.log.Error("zk getrequest commands", "device", d.ID, "err", err)
		return errReply
	}
	if len(cmds) == 0 {
		return ok("OK")
	}
	return ok(body)
}

func known(v int) *int {
	if v == zkadms.InfoUnknown {
		return nil
	}
	return &v
}

// devicecmd records command replies (batched; INFO replies carry the
// device's properties).
func (h *Handler) devicecmd(ctx context.Context, d devices.Device, x exchange) reply {
	replies := zkadms.ParseDeviceCmdReplies(x.body)
	rs := make([]devices.CommandReply, 0, len(replies))
	for _, r := range replies {
		cr := devices.CommandReply{CmdID: r.ID, Echo: r.CMD}
		if r.ReturnValid {
			v := r.Return
			cr.Return = &v
		}
		if len(r.Props) > 0 {
			cr.Props = map[string]string{}
			for _, p := range r.Props {
				cr.Props[p.Key] = p.Value
			}
			if strings.EqualFold(r.CMD, "INFO") {
				h.updateInfo(ctx, d, cr.Props)
			}
		}
		rs = append(rs, cr)
	}
	unknown, err := h.svc.CompleteCommands(ctx, d, rs)
	if err != nil {
		h.log.Error("zk devicecmd", "device", d.ID, "err", err)
		return errReply
	}
	if len(unknown) > 0 {
		h.log.Info("zk replies to commands this server does not know", "device", d.ID, "ids", unknown)
	}
	return ok("OK")
}

// updateInfo stores device properties (INFO replies, options uploads,
// registry bodies), picking out the ones the device list shows.
func (h *Handler) updateInfo(ctx context.Context, d devices.Device, props map[string]string) {
	if len(props) == 0 {
		return
	}
	u := devices.InfoUpdate{Props: props}
	look := func(keys ...string) string {
		for _, k := range keys {
			for pk, v := range props {
				if strings.EqualFold(pk, k) {
					return v
				}
			}
		}
		return ""
	}
	u.Firmware = look("FWVersion", "FirmVer", "FirmwareVersion")
	u.IP = look("IPAddress", "IP")
	u.PushVersion = look("PushVersion")
	num := func(keys ...string) *int {
		if v := look(keys...); v != "" {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
				return &n
			}
		}
		return nil
	}
	u.UserCount, u.PunchCount = num("UserCount"), num("TransactionCount", "AttCount")
	u.FPCount, u.FaceCount = num("FPCount", "FingerprintCount"), num("FaceCount")
	if err := h.svc.UpdateInfo(ctx, d, u); err != nil {
		h.log.Warn("zk device info", "device", d.ID, "err", err)
	}
}

// shortKey identifies a line by content (records without a natural key).
func shortKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}
