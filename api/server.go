// Package api is Daka's HTTP edge: the echo server, its middleware, and the
// handlers that implement the interface generated from openapi/openapi.yaml.
// Handlers convert, call a domain service, and convert back; every error is
// returned and turned into an RFC 9457 problem in one place (errors.go).
package api

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/dakahq/daka/attendance"
	"github.com/dakahq/daka/devices"
	"github.com/dakahq/daka/notify"
	"github.com/dakahq/daka/openapi"
	"github.com/dakahq/daka/org"
)

// Deps are the services the API serves.
type Deps struct {
	Org        *org.Service
	Attendance *attendance.Service
	// Requests files requests and runs approvals; nil: one over Attendance
	// without notifications.
	Requests *attendance.Requests
	Logger   *slog.Logger
	Registry *prometheus.Registry // nil: a private one
	Version  string
	// QuietAccessLog logs only failed requests (for benchmarks and tests).
	QuietAccessLog bool
	// MaxBodyBytes caps JSON bodies (default 1 MiB); imports get 20 MiB.
	MaxBodyBytes int64
	// TrustedProxies are the CIDRs whose X-Forwarded-For is believed. Without
	// them the client address is the TCP peer, so it cannot be spoofed to
	// dodge login throttling.
	TrustedProxies []string
	// Media serves the local photo store's signed URLs under /v1/media/
	// (localstore's Handler); nil when photos live in S3.
	Media http.Handler
	// Devices serves terminals: the admin device API, the native terminal
	// API and the ZKTeco/Hikvision push endpoints (nil: none of them).
	Devices *devices.Service
	// Notify serves the inbox, push tokens and webhooks (nil: those routes
	// answer 503 notifications_unavailable).
	Notify *notify.Service
}

// Server implements StrictServerInterface.
type Server struct {
	org     *org.Service
	att     *attendance.Service
	req     *attendance.Requests
	log     *slog.Logger
	metrics *metrics
	reg     *prometheus.Registry
	version string
	quiet   bool
	dev     *devices.Service
	notify  *notify.Service
}

var _ StrictServerInterface = (*Server)(nil)

// New builds the echo instance with every route, middleware and the docs.
func New(d Deps) (*echo.Echo, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	if d.MaxBodyBytes <= 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.Requests == nil && d.Attendance != nil {
		d.Requests = attendance.NewRequests(d.Attendance, attendance.RequestOptions{})
	}
	if d.Requests != nil && d.Attendance != nil {
		d.Attendance.RoutePunchApprovals(d.Requests)
	}
	s := &Server{org: d.Org, att: d.Attendance, req: d.Requests, log: d.Logger, reg: d.Registry, version: d.Version, quiet: d.QuietAccessLog}
	s.dev = d.Devices
	s.notify = d.Notify
	s.metrics = newMetrics(d.Registry)

	doc, err := Spec()
	if err != nil {
		return nil, err
	}
	router, err := NewRouter(doc)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.errorHandler
	e.IPExtractor = echo.ExtractIPDirect()
	if len(d.TrustedProxies) > 0 {
		var opts []echo.TrustOption
		for _, cidr := range d.TrustedProxies {
			_, n, err := net.ParseCIDR(cidr)
			if err != nil {
				return nil, fmt.Errorf("api: trusted proxy %q: %w", cidr, err)
			}
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	limits := map[string]int64{"/v1/employees/import": 20 << 20}
	addPhotoLimits(limits, d.Attendance)
	addTerminalLimits(limits)
	e.Use(requestID, s.accessLog, recoverer(s.log), s.terminalAuth,
		exceptMedia(bodyLimit(d.MaxBodyBytes, limits)),
		s.validateRequests(router), s.authenticate)

	RegisterHandlers(e, NewStrictHandler(s, nil))
	mountMedia(e, d.Media)
	mountTerminals(e, s, d.Devices)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})))
	e.GET("/openapi.yaml", func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", openapi.Spec)
	})
	mountDocs(e)
	return e, nil
}

// recoverer turns a handler panic into a logged 500 instead of a dropped connection.
func recoverer(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					log.Error("panic", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "panic", r)
					err = echo.NewHTTPError(http.StatusInternalServerError, "internal error")
				}
			}()
			return next(c)
		}
	}
}

// GetHealth answers while the process runs.
func (s *Server) GetHealth(ctx context.Context, _ GetHealthRequestObject) (GetHealthResponseObject, error) {
	return GetHealth200JSONResponse{Status: "ok", Version: &s.version}, nil
}

// GetReady answers 200 when the database does.
func (s *Server) GetReady(ctx context.Context, _ GetReadyRequestObject) (GetReadyResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.org.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "err", err)
		return nil, errUnavailable()
	}
	return GetReady200JSONResponse{Status: "ready", Version: &s.version}, nil
}
