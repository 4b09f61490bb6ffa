package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/dakahq/daka/internal/errs"
)

// The spec's string formats are checked, not just documented: a malformed
// uuid or email is a field error (422) rather than a decode failure later.
func init() {
	openapi3.DefineStringFormat("uuid", `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	openapi3.DefineStringFormatCallback("email", func(v string) error {
		if v == "" {
			return nil // PATCH {"email": ""} clears, like null
		}
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v || a.Name != "" {
			return errors.New("not an email address")
		}
		return nil
	})
}

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
			if strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
				if err := singleJSONValue(c); err != nil {
					return err
				}
			}
			in := &openapi3filter.RequestValidationInput{Request: c.Request(), PathParams: params, Route: route, Options: &o}
			if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
				return requestProblem(err)
			}
			return next(c)
		}
	}
}

// singleJSONValue refuses a JSON body with anything after its one value
// (the validator and the binder would silently read just the first).
func singleJSONValue(c echo.Context) error {
	req := c.Request()
	if req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		if e, ok := errs.As(err); ok {
			return e
		}
		return errs.New(errs.BadRequest, "malformed_request", "the request body cannot be read")
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return errs.New(errs.BadRequest, "malformed_request", "the request body is not valid JSON: %s", trimErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return errs.New(errs.BadRequest, "malformed_request", "the request body has data after its JSON value")
	}
	return nil
}

// requestProblem turns kin-openapi's validation errors into one problem:
// field errors for schema violations, or a whole-request error (malformed
// JSON, wrong content type, missing body) when the body cannot be read.
func requestProblem(err error) error {
	if e, ok := errs.As(err); ok {
		return e // e.g. the body limit tripped while the validator read the body
	}
	var fields []errs.Field
	var whole error
	walkValidation(err, nil, &fields, &whole)
	if whole != nil {
		return whole
	}
	if len(fields) > 0 {
		return errs.Validation(fields...)
	}
	return errs.New(errs.BadRequest, "malformed_request", "%s", trimErr(err))
}

func walkValidation(err error, re *openapi3filter.RequestError, fields *[]errs.Field, whole *error) {
	if *whole != nil {
		return
	}
	switch v := err.(type) {
	case openapi3.MultiError:
		for _, e := range v {
			walkValidation(e, re, fields, whole)
		}
	case *openapi3filter.RequestError:
		msg := v.Reason
		if v.Err != nil {
			msg += " " + v.Err.Error()
		}
		var pe *openapi3filter.ParseError
		switch {
		case v.Parameter != nil && (errors.As(v.Err, &pe) || v.Err == nil):
			*fields = append(*fields, errs.Field{Field: v.Parameter.Name, Code: "invalid_parameter", Message: strings.TrimSpace(msg)})
		case errors.As(v.Err, &pe) || strings.Contains(msg, "failed to decode") || strings.Contains(msg, "invalid character"):
			*whole = errs.New(errs.BadRequest, "malformed_request", "the request body is not valid JSON: %s", trimErr(v.Err))
		case strings.Contains(msg, "header Content-Type has unexpected value") || strings.Contains(msg, "unsupported content type"):
			*whole = errs.New(errs.Unsupported, "unsupported_media_type", "send the body as application/json")
		case errors.Is(v.Err, openapi3filter.ErrInvalidRequired) && v.RequestBody != nil && v.Parameter == nil:
			*whole = errs.New(errs.BadRequest, "malformed_request", "a request body is required")
		case v.Err == nil:
			*whole = errs.New(errs.BadRequest, "malformed_request", "%s", trimErr(v))
		default:
			walkValidation(v.Err, v, fields, whole)
		}
	case *openapi3.SchemaError:
		*fields = append(*fields, schemaField(v, re))
	default:
		if e, ok := errs.As(err); ok {
			*whole = e
			return
		}
		if re != nil && re.Parameter != nil {
			*fields = append(*fields, errs.Field{Field: re.Parameter.Name, Code: "invalid_parameter", Message: trimErr(err)})
			return
		}
		var pe *openapi3filter.ParseError
		if errors.As(err, &pe) {
			*whole = errs.New(errs.BadRequest, "malformed_request", "the request cannot be parsed: %s", trimErr(err))
			return
		}
		*fields = append(*fields, errs.Field{Field: "body", Code: "invalid_value", Message: trimErr(err)})
	}
}

func schemaField(se *openapi3.SchemaError, re *openapi3filter.RequestError) errs.Field {
	field := "body"
	if p := se.JSONPointer(); len(p) > 0 {
		field = pointerToField(p)
	}
	if re != nil && re.Parameter != nil {
		field = re.Parameter.Name
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
	case "uniqueItems":
		code = "duplicate_items"
	}
	if se.SchemaField == "properties" && strings.Contains(se.Reason, "unsupported") {
		code = "unknown_field"
	}
	if code == "unknown_field" || code == "required" {
		field = extraField(field, se)
	}
	return errs.Field{Field: field, Code: code, Message: se.Reason}
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
			switch {
			case field == "body":
				return name
			case field == name || strings.HasSuffix(field, "."+name):
				return field // the pointer already names the property
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
