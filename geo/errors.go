package geo

import "errors"

// ErrInvalid is returned (wrapped, with the reason) for coordinates, fences or
// reference systems that cannot be used.
var ErrInvalid = errors.New("geo: invalid input")

// Machine-readable reasons carried by FenceError.Code.
const (
	// CodeInvalidKind: Kind is neither Circle nor Polygon.
	CodeInvalidKind = "invalid_kind"
	// CodeMixedShape: a circle with points, or a polygon with a centre or radius.
	CodeMixedShape = "mixed_shape"
	// CodeInvalidCoordinate: a centre or vertex is not a finite, in-range coordinate.
	CodeInvalidCoordinate = "invalid_coordinate"
	// CodeRadiusOutOfRange: the radius is not in (0, MaxRadiusM].
	CodeRadiusOutOfRange = "radius_out_of_range"
	// CodeDegeneratePolygon: fewer than 3 distinct vertices, all on a line, or
	// less than MinAreaM2 enclosed.
	CodeDegeneratePolygon = "degenerate_polygon"
	// CodeTooManyVertices: more than MaxVertices distinct vertices.
	CodeTooManyVertices = "too_many_vertices"
	// CodeSelfIntersecting: edges cross, touch or fold back on each other.
	CodeSelfIntersecting = "self_intersecting"
	// CodeFenceTooLarge: the polygon spans more than MaxExtentM.
	CodeFenceTooLarge = "fence_too_large"
	// CodeCrossesAntimeridian: the fence crosses ±180° or comes within
	// IndexMarginM of it.
	CodeCrossesAntimeridian = "crosses_antimeridian"
	// CodePolarRegion: the fence comes within IndexMarginM of ±MaxAbsLat.
	CodePolarRegion = "polar_region"
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
