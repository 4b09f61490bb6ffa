package geo

import "errors"

// ErrInvalid is returned (wrapped, with the reason) for coordinates, fences or
// reference systems that cannot be used.
var ErrInvalid = errors.New("geo: invalid input")
