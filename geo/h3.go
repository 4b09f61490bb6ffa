package geo

import (
	"fmt"

	"github.com/uber/h3-go/v4"
)

// Every call into github.com/uber/h3-go/v4 (cgo) lives in this file, so that
// the experimental polygon API and the cgo dependency are easy to audit or
// replace. They run only while an Index is built; lookups use cellOf
// (h3cell.go).

// h3PolygonCells covers a lat/lng loop with the cells at res that overlap it
// (containment "overlapping": every cell the polygon touches, so no point of
// the polygon is missed). It fails if more than maxCells would be returned.
// Edges are treated as straight lines in lat/lng, as the H3 library does.
func h3PolygonCells(loop []Point, res, maxCells int) ([]uint64, error) {
	gl := make(h3.GeoLoop, len(loop))
	for i, p := range loop {
		gl[i] = h3.LatLng{Lat: p.Lat, Lng: p.Lng}
	}
	cells, err := h3.PolygonToCellsExperimental(h3.GeoPolygon{GeoLoop: gl}, res, h3.ContainmentOverlapping, int64(maxCells))
	if err != nil {
		return nil, fmt.Errorf("h3 polygon to cells at res %d: %w", res, err)
	}
	out := make([]uint64, 0, len(cells))
	for _, c := range cells {
		if c != 0 {
			out = append(out, uint64(c))
		}
	}
	return out, nil
}

// h3LatLngToCell is the library's own point-to-cell, the reference cellOf
// must agree with.
func h3LatLngToCell(p Point, res int) (uint64, error) {
	c, err := h3.LatLngToCell(h3.LatLng{Lat: p.Lat, Lng: p.Lng}, res)
	if err != nil {
		return 0, fmt.Errorf("h3 lat/lng to cell: %w", err)
	}
	return uint64(c), nil
}

// h3CellCenter is the centre of a cell.
func h3CellCenter(c uint64) (Point, error) {
	ll, err := h3.CellToLatLng(h3.Cell(c))
	if err != nil {
		return Point{}, fmt.Errorf("h3 cell to lat/lng: %w", err)
	}
	return Point{Lat: ll.Lat, Lng: ll.Lng}, nil
}

// h3HexAreaAvgM2 is the average area of a hexagon at res.
func h3HexAreaAvgM2(res int) (float64, error) {
	a, err := h3.HexagonAreaAvgM2(res)
	if err != nil {
		return 0, fmt.Errorf("h3 hexagon area at res %d: %w", res, err)
	}
	return a, nil
}

// h3HexEdgeAvgM is the average hexagon edge length at res.
func h3HexEdgeAvgM(res int) (float64, error) {
	e, err := h3.HexagonEdgeLengthAvgM(res)
	if err != nil {
		return 0, fmt.Errorf("h3 hexagon edge length at res %d: %w", res, err)
	}
	return e, nil
}

// h3CellBoundary is the vertices of a cell's boundary.
func h3CellBoundary(c uint64) ([]Point, error) {
	b, err := h3.CellToBoundary(h3.Cell(c))
	if err != nil {
		return nil, fmt.Errorf("h3 cell boundary: %w", err)
	}
	out := make([]Point, len(b))
	for i, ll := range b {
		out[i] = Point{Lat: ll.Lat, Lng: ll.Lng}
	}
	return out, nil
}
