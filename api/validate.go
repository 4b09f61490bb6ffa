package api

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/internal/errs"
)

// Spec loads the embedded OpenAPI document.
func Spec() (*openapi3.T, error) {
	doc, err := GetSwagger()
	if err != nil {
		return nil, fmt.Errorf("api: spec: %w", err)
	}
	doc.Servers = nil // match paths only, whatever host the server runs on
	return doc, nil
}

// NewRouter builds the kin-openapi router used to validate requests (and, in
// tests, responses) against the spec.
func NewRouter(doc *openapi3.T) (routers.Router, error) {
	return gorillamux.NewRouter(doc)
}

type routeKey struct{}

// routeFrom returns the spec route matched for this request, if any.
func routeFrom(ctx context.Context) *routers.Route {
	r, _ := ctx.Value(routeKey{}).(*routers.Route)
	return r
}

// validateRequests checks every request to a spec'd route against the spec
// before a handler sees it: path and query parameters, and JSON bodies
// (unknown fields, types, ranges). Multipart uploads are validated by their
// handlers, which stream them instead of buffering them here.
func (s *Server) validateRequests(router routers.Router) echo.MiddlewareFunc {
	opts := &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		MultiError:         true,
		KeepValidatedValue: true,
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			route, params, err := router.FindRoute(req)
			if err != nil {
				return next(c) // not a spec'd route (docs, metrics, terminals) or 404/405 from echo
			}
			ctx := context.WithValue(req.Context(), routeKey{}, route)
			c.SetRequest(req.WithContext(ctx))
			o := *opts
			ct := req.Header.Get(echo.HeaderContentType)
			if strings.HasPrefix(ct, "multipart/") {
				o.ExcludeRequestBody = true
			}
			in := &openapi3filter.RequestValidationInput{Request: c.Request(), PathParams: params, Route: route, Options: &o}
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				return requestProblem(err)
			}
			return next(c)
		}
	}
}

// requestProblem turns kin-openapi's validation errors into field errors.
func requestProblem(err error) error {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		var fields []errs.Field
		for _, e := range me {
			if p := requestProblem(e); p != nil {
				if pe, ok := errs.As(p); ok {
					if pe.Kind != errs.Invalid {
						return pe
					}
					fields = append(fields, pe.Fields...)
				}
			}
		}
		if len(fields) > 0 {
			return errs.Validation(fields...)
		}
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) || (re.RequestBody != nil && re.Err != nil && strings.Contains(re.Err.Error(), "failed to decode")) {
			return errs.New(errs.BadRequest, "malformed_request", "the request body is not valid JSON: %s", trimErr(re.Err))
		}
		if errors.Is(re.Err, openapi3filter.ErrInvalidRequired) && re.RequestBody != nil {
			return errs.New(errs.BadRequest, "malformed_request", "a request body is required")
		}
		if re.Err != nil && (strings.Contains(re.Err.Error(), "header Content-Type has unexpected value") ||
			strings.Contains(re.Err.Error(), "unsupported content type")) {
			return errs.New(errs.Unsupported, "unsupported_media_type", "send the body as application/json")
		}
		field := "body"
		if re.Parameter != nil {
			field = re.Parameter.Name
		}
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			if p := se.JSONPointer(); len(p) > 0 {
				field = pointerToField(p)
				if re.Parameter != nil {
					field = re.Parameter.Name
				}
			}
			code := "invalid_value"
			switch se.SchemaField {
			case "required":
				code = "required"
			case "additionalProperties":
				code = "unknown_field"
			case "type":
				code = "invalid_type"
			case "enum":
				code = "invalid_enum"
			case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
				code = "out_of_range"
			case "maxLength", "maxItems", "minLength", "minItems":
				code = "invalid_length"
			case "pattern", "format":
				code = "invalid_format"
			}
			if se.SchemaField == "additionalProperties" || se.SchemaField == "required" {
				field = extraField(field, se)
			}
			return errs.Validation(errs.Field{Field: field, Code: code, Message: se.Reason})
		}
		msg := trimErr(re.Err)
		if re.Parameter != nil {
			return errs.Validation(errs.Field{Field: field, Code: "invalid_parameter", Message: msg})
		}
		return errs.Validation(errs.Field{Field: field, Code: "invalid_value", Message: msg})
	}
	var se *openapi3filter.SecurityRequirementsError
	if errors.As(err, &se) {
		return errs.New(errs.Unauthenticated, "unauthenticated", "sign in first")
	}
	return errs.New(errs.BadRequest, "malformed_request", "%s", trimErr(err))
}

// pointerToField renders ["geofences","0","radius_m"] as geofences[0].radius_m.
func pointerToField(p []string) string {
	var b strings.Builder
	for _, s := range p {
		if s == "" {
			continue
		}
		if isIndex(s) {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}

func isIndex(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// extraField names the offending property for required/unknown-field errors,
// whose pointer is the enclosing object.
func extraField(field string, se *openapi3.SchemaError) string {
	reason := se.Reason
	if i := strings.Index(reason, `"`); i >= 0 {
		if j := strings.Index(reason[i+1:], `"`); j >= 0 {
			name := reason[i+1 : i+1+j]
			if field == "body" {
				return name
			}
			return field + "." + name
		}
	}
	return field
}

func trimErr(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
