// Package errs is the one error vocabulary the domain packages share with the
// HTTP edge. A domain returns an *Error with a Kind (which the API maps to an
// HTTP status in one table) and a stable machine Code (which clients switch on).
// Anything that is not an *Error is internal: the API logs it and answers 500
// without detail, so SQL or stack traces never reach a client.
package errs

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error for the transport.
type Kind int

// The kinds, each with one HTTP status in api/errors.go.
const (
	Internal        Kind = iota
	Invalid              // 422: the request is well-formed but breaks a rule
	BadRequest           // 400: the request cannot be read
	Unauthenticated      // 401
	Forbidden            // 403
	NotFound             // 404 (also what another tenant's ids get)
	Conflict             // 409
	Gone                 // 410
	TooLarge             // 413
	Unsupported          // 415
	RateLimited          // 429
	Unavailable          // 503
)

// Field is one problem with one input field.
type Field struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is a domain error safe to show to a client.
type Error struct {
	Kind       Kind
	Code       string
	Msg        string
	Fields     []Field
	RetryAfter time.Duration // for RateLimited
	Err        error         // cause, for logs; never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap exposes the cause.
func (e *Error) Unwrap() error { return e.Err }

// New builds an error of kind k with a machine code and a formatted message.
func New(k Kind, code, format string, args ...any) *Error {
	return &Error{Kind: k, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Validation builds an Invalid error with field details.
func Validation(fields ...Field) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Kind: Invalid, Code: "validation_failed", Msg: msg, Fields: fields}
}

// FieldErr is shorthand for a one-field validation error.
func FieldErr(field, code, format string, args ...any) *Error {
	return Validation(Field{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// KindOf returns the kind of err (Internal when it is not an *Error).
func KindOf(err error) Kind {
	if e, ok := As(err); ok {
		return e.Kind
	}
	return Internal
}

// CodeOf returns the machine code of err ("" when it is not an *Error).
func CodeOf(err error) string {
	if e, ok := As(err); ok {
		return e.Code
	}
	return ""
}

// Fields collects field errors while validating, then returns them as one error.
type Fields []Field

// Add records a problem with a field.
func (f *Fields) Add(field, code, format string, args ...any) {
	*f = append(*f, Field{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// Err returns nil when nothing was recorded.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return Validation(f...)
}
