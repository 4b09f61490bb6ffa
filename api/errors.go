package api

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/internal/errs"
)

// statusOf is the one table from error kinds to HTTP statuses.
var statusOf = map[errs.Kind]int{
	errs.Invalid:         http.StatusUnprocessableEntity,
	errs.BadRequest:      http.StatusBadRequest,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.Forbidden:       http.StatusForbidden,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.Gone:            http.StatusGone,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.Unsupported:     http.StatusUnsupportedMediaType,
	errs.RateLimited:     http.StatusTooManyRequests,
	errs.Unavailable:     http.StatusServiceUnavailable,
}

// problem is an RFC 9457 body.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Code      string       `json:"code"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []errs.Field `json:"errors,omitempty"`
}

// echoCodes names echo's own errors (routing, body limit, bind).
var echoCodes = map[int]string{
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "body_too_large",
	http.StatusUnsupportedMediaType:  "unsupported_media_type",
	http.StatusBadRequest:            "malformed_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusTooManyRequests:       "rate_limited",
	http.StatusServiceUnavailable:    "unavailable",
}

// toProblem turns any error into the problem the client sees; internal
// errors become a bare 500 and are logged with the request id.
func toProblem(err error, log *slog.Logger, reqID string) (problem, *errs.Error) {
	if e, ok := errs.As(err); ok && e.Kind != errs.Internal {
		st := statusOf[e.Kind]
		return problem{Status: st, Code: e.Code, Detail: e.Msg, Errors: e.Fields}, e
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code := echoCodes[he.Code]
		if code == "" {
			code = strings.ToLower(strings.ReplaceAll(http.StatusText(he.Code), " ", "_"))
		}
		detail := fmt.Sprint(he.Message)
		if he.Code >= 500 {
			log.Error("request failed", "request_id", reqID, "err", err)
			detail = "internal error"
		}
		return problem{Status: he.Code, Code: code, Detail: detail}, nil
	}
	log.Error("request failed", "request_id", reqID, "err", err)
	return problem{Status: http.StatusInternalServerError, Code: "internal", Detail: "internal error"}, nil
}

// errorHandler writes every error as application/problem+json.
func (s *Server) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	p, e := toProblem(err, s.log, reqID)
	p.Type = "https://daka.dev/problems/" + p.Code
	p.Title = http.StatusText(p.Status)
	p.RequestID = reqID
	p.Instance = c.Request().URL.Path
	if e != nil && e.Kind == errs.RateLimited && e.RetryAfter > 0 {
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if p.Status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `Bearer realm="daka"`)
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
	c.Response().WriteHeader(p.Status)
	if c.Request().Method == http.MethodHead {
		return
	}
	_ = jsonEncode(c.Response(), p)
}
