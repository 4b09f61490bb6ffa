package geo

import (
	"fmt"
	"math"
)

// EarthRadiusM is the mean Earth radius used for great-circle distances.
// H3 and most mobile SDKs use the same value, so distances agree with theirs.
const EarthRadiusM = 6371008.8

// Point is a position in degrees. Unless a function says otherwise it is WGS-84.
type Point struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Validate reports whether p is a finite coordinate inside the valid ranges.
func (p Point) Validate() error {
	switch {
	case math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) || math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0):
		return fmt.Errorf("%w: coordinate is not a finite number", ErrInvalid)
	case p.Lat < -90 || p.Lat > 90:
		return fmt.Errorf("%w: latitude %v outside [-90, 90]", ErrInvalid, p.Lat)
	case p.Lng < -180 || p.Lng > 180:
		return fmt.Errorf("%w: longitude %v outside [-180, 180]", ErrInvalid, p.Lng)
	}
	return nil
}

// DistanceM is the great-circle (haversine) distance between a and b in metres.
func DistanceM(a, b Point) float64 {
	const rad = math.Pi / 180
	lat1, lat2 := a.Lat*rad, b.Lat*rad
	dLat := lat2 - lat1
	dLng := (b.Lng - a.Lng) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1)*math.Cos(lat2)*math.Sin(dLng/2)*math.Sin(dLng/2)
	if h > 1 {
		h = 1
	}
	return 2 * EarthRadiusM * math.Asin(math.Sqrt(h))
}
