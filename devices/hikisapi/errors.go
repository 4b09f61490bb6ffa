package hikisapi

import "errors"

// Errors returned by ParseEvent. Each is wrapped with detail; test with
// errors.Is.
var (
	// ErrEmptyBody: the request had no body.
	ErrEmptyBody = errors.New("hikisapi: empty body")
	// ErrUnsupportedFormat: the body is neither JSON nor multipart (for
	// example XML, sent when the host is configured with
	// parameterFormatType=XML).
	ErrUnsupportedFormat = errors.New("hikisapi: unsupported body format")
	// ErrNoEvent: no JSON event was found (a multipart body without a JSON
	// part, or JSON without eventType or AccessControllerEvent).
	ErrNoEvent = errors.New("hikisapi: no event in body")
	// ErrMalformedJSON: the event part is not a JSON object.
	ErrMalformedJSON = errors.New("hikisapi: malformed event JSON")
	// ErrPartTooLarge: the JSON part exceeds MaxJSONPart.
	ErrPartTooLarge = errors.New("hikisapi: event part too large")
	// ErrBadDateTime: dateTime is present but is not an ISO 8601 time.
	ErrBadDateTime = errors.New("hikisapi: unparseable dateTime")
)
