// Package hikhttp serves Hikvision ISAPI "HTTP listening" pushes at
// /hik/events/{token}: a plain net/http handler that package api mounts.
// The token (the secret path segment the admin configured as the device's
// URL) identifies the device; the body is JSON or multipart (an event JSON
// part and a Picture), parsed by the pure hikisapi package whatever the
// Content-Type claims.
//
// Pass events (major 5 with a verify-pass sub type) become punches, keyed
// by (device, serialNo) so re-sent offline events are duplicates; failed
// verifications are stored as alarms (verification_failed); heartbeats
// only mark the device seen; other events are door events. The answer is
// 200 "OK" once stored: the device does not read it, and refusing what it
// sent would only make it send again. Unreadable bodies are kept raw in
// quarantine.
package hikhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/devices/hikisapi"
	"github.com/dakahq/daka/internal/errs"
)

// Prefix is where the handler is mounted.
const Prefix = "/hik/events/"

// MaxBody bounds a push (an event with a snapshot is tens of KB).
const MaxBody = 10 << 20

// MaxPicture bounds the snapshot kept from a push.
const MaxPicture = devices.MaxPhotoBytes

// Options configure the Handler.
type Options struct {
	// ClientIP returns the device's address (default: the TCP peer).
	ClientIP func(*http.Request) string
}

// Handler serves /hik/events/{token}.
type Handler struct {
	svc *devices.Service
	o   Options
	log *slog.Logger
}

// New returns a Handler.
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
	return &Handler{svc: svc, o: o, log: svc.Logger()}
}

// Token returns the token of a /hik/events/{token} path, or "".
func Token(path string) string {
	if !strings.HasPrefix(path, Prefix) {
		return ""
	}
	t := strings.TrimSuffix(path[len(Prefix):], "/")
	if t == "" || len(t) > 128 || strings.ContainsAny(t, "/?#") {
		return ""
	}
	return t
}

func write(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := Token(r.URL.Path)
	if tok == "" {
		write(w, http.StatusNotFound, "not found")
		return
	}
	ctx := r.Context()
	d, err := h.svc.DeviceByToken(ctx, tok)
	switch {
	case errs.KindOf(err) == errs.NotFound || (err == nil && d.Protocol != devices.ProtocolHikvision):
		h.log.Warn("hikvision push with an unknown token", "ip", h.o.ClientIP(r))
		write(w, http.StatusNotFound, "not found")
		return
	case err != nil:
		h.log.Error("hikvision device lookup", "err", err)
		write(w, http.StatusInternalServerError, "error")
		return
	}
	at := h.svc.Now()
	var body []byte
	if r.Body != nil {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			status := http.StatusBadRequest
			if errors.As(err, &mbe) {
				status = http.StatusRequestEntityTooLarge
			}
			write(w, status, "error")
			h.svc.LogRequest(context.WithoutCancel(ctx), d, devices.RawRequest{At: at, Method: r.Method, Path: Prefix + "{token}",
				Query: r.URL.RawQuery, Body: body, BodySize: len(body), Status: status, Response: "error"})
			return
		}
	}
	status, resp := http.StatusOK, "OK"
	if len(body) > 0 {
		if err := h.Push(ctx, d, r.Header.Get("Content-Type"), body, at); err != nil {
			h.log.Error("hikvision push", "device", d.ID, "err", err)
			status, resp = http.StatusInternalServerError, "error"
		}
	}
	h.svc.Touch(ctx, d, h.o.ClientIP(r))
	// The token is a credential: it is not written to the log.
	h.svc.LogRequest(ctx, d, devices.RawRequest{At: at, Method: r.Method, Path: Prefix + "{token}",
		Query: r.URL.RawQuery, Body: body, BodySize: len(body), Status: status, Response: resp})
	write(w, status, resp)
}

// Push stores one event push of device d.
func (h *Handler) Push(ctx context.Context, d devices.Device, contentType string, body []byte, at time.Time) error {
	ev, err := hikisapi.ParseEvent(contentType, body, MaxPicture)
	if err != nil {
		raw := string(body)
		if len(raw) > 64<<10 {
			raw = raw[:64<<10]
		}
		h.log.Warn("hikvision push unreadable", "device", d.ID, "err", err)
		_, err := h.svc.Ingest(ctx, d, nil, []devices.BadRecord{{Raw: raw, Reason: err.Error(), DedupeKey: "hik:bad:" + hash(body)}}, at)
		return err
	}
	if ev.IsHeartbeat() {
		return nil
	}
	key := "hik:" + hash(ev.Raw)
	if ev.SerialNo != nil {
		key = devices.SeqKey("hik", *ev.SerialNo)
	}
	t, abs, off := eventTime(ev, at)
	switch {
	case ev.IsPass() && (ev.EmployeeNo != "" || ev.CardNo != ""):
		rec := devices.Record{PIN: ev.EmployeeNo, Card: ev.CardNo, Time: t, Absolute: abs, OffsetSec: off, Door: ev.DoorNo,
			Raw: string(ev.Raw), DedupeKey: key, Seq: ev.SerialNo, VerifyMethod: verifyMethod(ev),
			Realtime: ev.CurrentEvent != nil && *ev.CurrentEvent}
		if s := ev.AttendanceStatus; s != "" && !strings.EqualFold(s, "undefined") {
			rec.Status = s
		}
		code := ev.SubEventType
		rec.StatusCode = &code
		if len(ev.Picture) > 0 {
			if err := h.photo(ctx, d, ev, key, t); err != nil {
				return err
			}
		}
		_, err := h.svc.Ingest(ctx, d, []devices.Record{rec}, nil, at)
		return err
	case ev.IsFail():
		return h.event(ctx, d, ev, devices.EventAlarm, "verification_failed", key, t, abs, off, at)
	default:
		typ := fmt.Sprintf("major_%d_sub_%d", ev.MajorEventType, ev.SubEventType)
		if ev.EventType != "" && !strings.EqualFold(ev.EventType, hikisapi.EventTypeAccessController) {
			typ = ev.EventType
		}
		return h.event(ctx, d, ev, devices.EventDoor, typ, key, t, abs, off, at)
	}
}

func (h *Handler) event(ctx context.Context, d devices.Device, ev *hikisapi.Event, kind, typ, key string, t time.Time, abs bool, off *int,
	at time.Time) error {
	in := devices.EventInput{Kind: kind, Type: typ, PIN: ev.EmployeeNo, Time: t, Absolute: abs, OffsetSec: off, DedupeKey: key,
		Raw: string(ev.Raw), Details: map[string]any{"major": ev.MajorEventType, "sub": ev.SubEventType,
			"description": hikisapi.SubEventName(ev.SubEventType), "door": ev.DoorNo, "card": ev.CardNo, "name": ev.Name}}
	if len(ev.Picture) > 0 {
		if id, err := h.svc.StorePhoto(ctx, d, devices.PhotoInput{DedupeKey: key, PIN: ev.EmployeeNo, ContentType: "image/jpeg",
			Data: ev.Picture}); err == nil {
			in.PhotoID = &id
		} else if !errors.Is(err, devices.ErrNoMediaStore) {
			return err
		}
	}
	_, err := h.svc.StoreEvents(ctx, d, []devices.EventInput{in}, at)
	return err
}

func (h *Handler) photo(ctx context.Context, d devices.Device, ev *hikisapi.Event, key string, t time.Time) error {
	_, err := h.svc.StorePhoto(ctx, d, devices.PhotoInput{DedupeKey: key, PIN: ev.EmployeeNo, LocalTime: &t, ContentType: "image/jpeg",
		Data: ev.Picture})
	if errors.Is(err, devices.ErrNoMediaStore) {
		h.log.Warn("hikvision picture not kept: no media store", "device", d.ID)
		return nil
	}
	return err
}

// eventTime: dateTime with its offset is an instant; without one it is the
// device's wall time; absent, the receipt time.
func eventTime(ev *hikisapi.Event, at time.Time) (t time.Time, absolute bool, offset *int) {
	if ev.DateTime.IsZero() {
		return at, true, nil
	}
	if ev.DateTimeNaive {
		return ev.DateTime, false, nil
	}
	_, off := ev.DateTime.Zone()
	return ev.DateTime, true, &off
}

// verifyMethod is what matched, from the sub type (the configured mode is
// not what was used).
func verifyMethod(ev *hikisapi.Event) string {
	switch ev.SubEventType {
	case 1, 2, 60, 105:
		return "card"
	case 38, 40, 43, 46, 54, 69, 72:
		return "fingerprint"
	case 75, 77, 57, 63, 66:
		return "face"
	case 101, 181:
		return "password"
	}
	m := strings.ToLower(ev.VerifyMode)
	switch {
	case m == "face":
		return "face"
	case m == "card":
		return "card"
	case m == "fp" || m == "fingerprint":
		return "fingerprint"
	}
	return "other"
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}
