package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dakahq/daka/internal/errs"
	"github.com/dakahq/daka/org"
)

type actorKey struct{}

// actorFrom returns the authenticated actor of a request.
func actorFrom(ctx context.Context) org.Actor {
	a, _ := ctx.Value(actorKey{}).(org.Actor)
	return a
}

// requestID takes X-Request-Id from the client when it is sane, else makes one.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if len(id) < 8 || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return r <= ' ' || r > '~' }) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), ipKey{}, c.RealIP())))
		return next(c)
	}
}

// metrics are the HTTP-level Prometheus series.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	punches  *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "daka_http_requests_total",
			Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "daka_http_request_duration_seconds",
			Help: "HTTP request latency by method and route.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)},
			[]string{"method", "route"}),
	}
	m.punches = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "daka_punches_total",
		Help: "Punches recorded, by source and verdict."}, []string{"source", "verdict"})
	reg.MustRegister(m.requests, m.duration, m.punches)
	return m
}

// accessLog logs one line per request and records its metrics. Routes are
// echo's patterns, so ids never explode the label space.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		st := c.Response().Status
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(st)).Inc()
		s.metrics.duration.WithLabelValues(c.Request().Method, route).Observe(d.Seconds())
		a := actorFrom(c.Request().Context())
		lvl := slog.LevelInfo
		if st >= 500 {
			lvl = slog.LevelError
		}
		if s.quiet && st < 400 {
			return nil
		}
		s.log.LogAttrs(c.Request().Context(), lvl, "request",
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method), slog.String("path", c.Request().URL.Path),
			slog.Int("status", st), slog.Duration("duration", d), slog.String("ip", c.RealIP()),
			slog.String("tenant", a.TenantID.String()), slog.String("actor", a.EmployeeID.String()))
		return nil
	}
}

// authenticate enforces the spec's security requirement of the matched
// route: a valid bearer token unless the operation declares `security: []`.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		route := routeFrom(c.Request().Context())
		if route == nil {
			return next(c)
		}
		sec := route.Spec.Security
		if route.Operation.Security != nil {
			sec = *route.Operation.Security
		}
		if len(sec) == 0 {
			return next(c)
		}
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || token == "" {
			return errs.New(errs.Unauthenticated, "unauthenticated", "send Authorization: Bearer <access token>")
		}
		a, err := s.org.Authenticate(strings.TrimSpace(token))
		if err != nil {
			return err
		}
		a.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
		a.ClientIP = c.RealIP()
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), actorKey{}, a)))
		return next(c)
	}
}

// bodyLimit caps request bodies: uploads get their own, larger limit.
func bodyLimit(def int64, perPath map[string]int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			limit := def
			if l, ok := perPath[c.Request().URL.Path]; ok {
				limit = l
			}
			req := c.Request()
			if req.ContentLength > limit {
				return errs.New(errs.TooLarge, "body_too_large", "the request body is larger than %d bytes", limit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = &limitedBody{rc: req.Body, left: limit, limit: limit}
			}
			return next(c)
		}
	}
}

// limitedBody fails a read past the limit with a TooLarge error (bodies sent
// chunked have no Content-Length to check up front).
type limitedBody struct {
	rc    io.ReadCloser
	left  int64
	limit int64
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, _ := l.rc.Read(one[:]); n > 0 {
			return 0, errs.New(errs.TooLarge, "body_too_large", "the request body is larger than %d bytes", l.limit)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

func jsonEncode(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
