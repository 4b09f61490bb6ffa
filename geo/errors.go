package geo

import "errors"

// ErrInvalid is returned (wrapped, with the reason) for coordinates, fences or
// reference systems that cannot be used.
var ErrInvalid = errors.New("geo: invalid input")

// Machine-readable reasons carried by FenceError.Code.
const (
	CodeInvalidKind         = "invalid_kind"
	CodeMixedShape          = "mixed_shape"
	CodeInvalidCoordinate   = "invalid_coordinate"
	CodeRadiusOutOfRange    = "radius_out_of_range"
	CodeDegeneratePolygon   = "degenerate_polygon"
	CodeTooManyVertices     = "too_many_vertices"
	CodeSelfIntersecting    = "self_intersecting"
	CodeFenceTooLarge       = "fence_too_large"
	CodeCrossesAntimeridian = "crosses_antimeridian"
	CodePolarRegion         = "polar_region"
)

// FenceError is why Fence.Validate rejected a fence: Code for programs (one of
// the Code constants), Msg for people. errors.Is(err, ErrInvalid) is true for
// every FenceError.
type FenceError struct {
	Code string
	Msg  string
}

// Error returns the human-readable reason, prefixed like every ErrInvalid.
func (e *FenceError) Error() string { return ErrInvalid.Error() + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrInvalid) match.
func (e *FenceError) Unwrap() error { return ErrInvalid }
