// Package fcmfake is a local HTTP server that speaks the FCM HTTP v1
// messages:send protocol, for tests and benchmarks that drive the real
// firebase.google.com/go/v4 messaging client:
//
//	fake := fcmfake.New(t)
//	app, _ := firebase.NewApp(ctx, &firebase.Config{ProjectID: "demo-test"},
//	    option.WithoutAuthentication(), option.WithEndpoint(fake.Endpoint()))
//
// Requests arrive at /v1/projects/{project}/messages:send, as at
// fcm.googleapis.com. Each is validated the way FCM does (one target, string
// data values, 4 KB payload), recorded, and answered with success
// (200 {"name": "projects/{project}/messages/{n}"}) or with a scripted FCM
// error carrying the google.firebase.fcm.v1.FcmError detail the SDK's
// predicates (messaging.IsUnregistered, ...) read.
package fcmfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Fault is a scripted FCM error answer.
type Fault string

// The faults the fake can answer with. Each names the FcmError code it sends
// (BadPayload sends only a google.rpc.BadRequest detail, as FCM does for a
// payload it refuses).
const (
	Unregistered     Fault = "UNREGISTERED"       // 404 NOT_FOUND: app uninstalled, token expired
	InvalidToken     Fault = "INVALID_ARGUMENT"   // 400 INVALID_ARGUMENT: not a valid registration token
	BadPayload       Fault = "BAD_PAYLOAD"        // 400 INVALID_ARGUMENT, no FcmError: the message itself is wrong
	SenderIDMismatch Fault = "SENDER_ID_MISMATCH" // 403 PERMISSION_DENIED: the token belongs to another project
	Internal         Fault = "INTERNAL"           // 500 INTERNAL
	QuotaExceeded    Fault = "QUOTA_EXCEEDED"     // 429 RESOURCE_EXHAUSTED
	Unavailable      Fault = "UNAVAILABLE"        // 503 UNAVAILABLE (the SDK itself retries these, slowly)
	ThirdPartyAuth   Fault = "THIRD_PARTY_AUTH_ERROR"
)

type answer struct {
	status    int
	canonical string
	message   string
}

var answers = map[Fault]answer{
	Unregistered:     {404, "NOT_FOUND", "Requested entity was not found."},
	InvalidToken:     {400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token"},
	BadPayload:       {400, "INVALID_ARGUMENT", "Invalid value at 'message.data[0].value'"},
	SenderIDMismatch: {403, "PERMISSION_DENIED", "SenderId mismatch"},
	Internal:         {500, "INTERNAL", "Internal error encountered."},
	QuotaExceeded:    {429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Send requests'."},
	Unavailable:      {503, "UNAVAILABLE", "The service is currently unavailable."},
	ThirdPartyAuth:   {401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"},
}

// Message is the part of an FCM message tests look at.
type Message struct {
	Token        string            `json:"token"`
	Topic        string            `json:"topic"`
	Condition    string            `json:"condition"`
	Data         map[string]string `json:"data"`
	Notification *struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	} `json:"notification"`
	Android *struct {
		Priority     string `json:"priority"`
		CollapseKey  string `json:"collapse_key"`
		Notification *struct {
			Tag string `json:"tag"`
		} `json:"notification"`
	} `json:"android"`
	APNS *struct {
		Headers map[string]string `json:"headers"`
	} `json:"apns"`
	Webpush *struct {
		Headers map[string]string `json:"headers"`
	} `json:"webpush"`
}

// Call is one recorded messages:send request and the answer it got.
type Call struct {
	At      time.Time
	Project string
	Message Message
	Raw     json.RawMessage // the "message" object as sent
	Header  http.Header
	Status  int
	Name    string // the message name answered on success
}

// Server is a running fake.
type Server struct {
	srv      *httptest.Server
	record   bool
	latency  time.Duration
	mu       sync.Mutex
	scripts  map[string][]Fault // per token, consumed in order
	always   map[string]Fault   // per token, on every call
	calls    []Call
	seq      atomic.Int64
	accepted atomic.Int64
	requests atomic.Int64
}

// Option tunes the fake.
type Option func(*Server)

// WithoutRecording keeps only counters, for benchmarks.
func WithoutRecording() Option { return func(s *Server) { s.record = false } }

// WithLatency delays every answer, to stand in for the network.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// New starts a fake and closes it when the test ends.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := Start(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake; the caller closes it.
func Start(opts ...Option) *Server {
	s := &Server{record: true, scripts: map[string][]Fault{}, always: map[string]Fault{}}
	for _, o := range opts {
		o(s)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// URL is the server's base URL.
func (s *Server) URL() string { return s.srv.URL }

// Endpoint is what to pass to option.WithEndpoint (and DAKA_FCM_ENDPOINT):
// the base URL with /v1, so requests take FCM's real path.
func (s *Server) Endpoint() string { return s.srv.URL + "/v1" }

// Script makes the next calls for token answer these faults, in order;
// later calls succeed.
func (s *Server) Script(token string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scripts[token] = append(s.scripts[token], faults...)
}

// Always makes every call for token answer f ("" clears it).
func (s *Server) Always(token string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == "" {
		delete(s.always, token)
		return
	}
	s.always[token] = f
}

// Calls returns the recorded calls, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Delivered returns the calls for token that were accepted.
func (s *Server) Delivered(token string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Message.Token == token && c.Status == http.StatusOK {
			out = append(out, c)
		}
	}
	return out
}

// Accepted counts accepted messages (kept even without recording).
func (s *Server) Accepted() int64 { return s.accepted.Load() }

// Requests counts every messages:send request.
func (s *Server) Requests() int64 { return s.requests.Load() }

var sendPath = regexp.MustCompile(`^/v1/projects/([^/]+)/messages:send$`)

const maxPayload = 4096

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := sendPath.FindStringSubmatch(r.URL.Path)
	if m == nil {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "no such method: "+r.URL.Path, nil)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "messages:send takes POST", nil)
		return
	}
	s.requests.Add(1)
	var req struct {
		ValidateOnly bool            `json:"validate_only"`
		Message      json.RawMessage `json:"message"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &req) != nil || len(req.Message) == 0 {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received.", nil)
		return
	}
	call := Call{At: time.Now(), Project: m[1], Raw: req.Message, Header: r.Header.Clone()}
	if status, msg := validate(req.Message, &call.Message); status != 0 {
		call.Status = status
		s.finish(call)
		writeError(w, status, "INVALID_ARGUMENT", msg, badRequest("message", msg))
		return
	}
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	if f := s.faultFor(call.Message.Token); f != "" {
		a := answers[f]
		call.Status = a.status
		s.finish(call)
		details := []any{map[string]any{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": string(f)}}
		if f == BadPayload {
			details = badRequest("message.data[0].value", a.message)
		}
		writeError(w, a.status, a.canonical, a.message, details)
		return
	}
	call.Status = http.StatusOK
	call.Name = fmt.Sprintf("projects/%s/messages/0:%d", m[1], s.seq.Add(1))
	if !req.ValidateOnly {
		s.accepted.Add(1)
	}
	s.finish(call)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(map[string]string{"name": call.Name})
}

// validate checks what FCM checks before accepting a message: exactly one
// target, string data values, and a payload within 4 KB.
func validate(raw json.RawMessage, into *Message) (int, string) {
	var loose struct {
		Data         map[string]any  `json:"data"`
		Notification json.RawMessage `json:"notification"`
	}
	if json.Unmarshal(raw, &loose) != nil {
		return http.StatusBadRequest, "Invalid JSON payload received."
	}
	for k, v := range loose.Data {
		if _, ok := v.(string); !ok {
			return http.StatusBadRequest, fmt.Sprintf("Invalid value at 'message.data' (%s): not a string", k)
		}
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return http.StatusBadRequest, "Invalid JSON payload received."
	}
	targets := 0
	for _, t := range []string{into.Token, into.Topic, into.Condition} {
		if t != "" {
			targets++
		}
	}
	if targets != 1 {
		return http.StatusBadRequest, "Exactly one of token, topic or condition must be set."
	}
	size := len(loose.Notification)
	for k, v := range into.Data {
		size += len(k) + len(v)
	}
	if size > maxPayload {
		return http.StatusBadRequest, "Message is too big."
	}
	return 0, ""
}

func (s *Server) faultFor(token string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.always[token]; ok {
		return f
	}
	if q := s.scripts[token]; len(q) > 0 {
		s.scripts[token] = q[1:]
		return q[0]
	}
	return ""
}

func (s *Server) finish(c Call) {
	if !s.record {
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

func badRequest(field, desc string) []any {
	return []any{map[string]any{"@type": "type.googleapis.com/google.rpc.BadRequest",
		"fieldViolations": []any{map[string]string{"field": field, "description": desc}}}}
}

// writeError answers in Google's error envelope, which the SDK parses.
func writeError(w http.ResponseWriter, status int, canonical, msg string, details []any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	e := map[string]any{"code": status, "message": msg, "status": canonical}
	if details != nil {
		e["details"] = details
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": e})
}
