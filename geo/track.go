package geo

import (
	"math"
	"time"
)

// TrackPoint is one GPS fix of a field day's track (WGS-84).
type TrackPoint struct {
	Point
	AccuracyM float64
	Time      time.Time
}

// Stop is a place where the employee stayed: every fix between Start and End
// lies within the stop radius of Center.
type Stop struct {
	Center     Point
	Start, End time.Time
	Fixes      int
}

// Duration is how long the stop lasted.
func (s Stop) Duration() time.Duration { return s.End.Sub(s.Start) }

// local projects p to metres east/north of origin (equirectangular: exact
// enough over the few kilometres between consecutive fixes).
func local(origin, p Point) (x, y float64) {
	const rad = math.Pi / 180
	x = (p.Lng - origin.Lng) * rad * EarthRadiusM * math.Cos(origin.Lat*rad)
	y = (p.Lat - origin.Lat) * rad * EarthRadiusM
	return x, y
}

// SimplifyTrack drops fixes that add less than toleranceM of shape
// (Douglas–Peucker), keeping the first and the last. Points must be in time
// order; the result shares no memory with pts.
func SimplifyTrack(pts []TrackPoint, toleranceM float64) []TrackPoint {
	if len(pts) <= 2 {
		return append([]TrackPoint(nil), pts...)
	}
	keep := make([]bool, len(pts))
	keep[0], keep[len(pts)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(pts) - 1}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.b-s.a < 2 {
			continue
		}
		ax, ay := 0.0, 0.0
		bx, by := local(pts[s.a].Point, pts[s.b].Point)
		worst, at := -1.0, -1
		for i := s.a + 1; i < s.b; i++ {
			px, py := local(pts[s.a].Point, pts[i].Point)
			if d := segmentDistance(px, py, ax, ay, bx, by); d > worst {
				worst, at = d, i
			}
		}
		if worst > toleranceM {
			keep[at] = true
			stack = append(stack, span{s.a, at}, span{at, s.b})
		}
	}
	out := make([]TrackPoint, 0, len(pts))
	for i, k := range keep {
		if k {
			out = append(out, pts[i])
		}
	}
	return out
}

// segmentDistance is the planar distance from p to the segment a–b.
func segmentDistance(px, py, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((px-ax)*dx+(py-ay)*dy)/l2))
	}
	return math.Hypot(px-(ax+t*dx), py-(ay+t*dy))
}

// TrackDistanceM is the distance travelled along a track. GPS jitter is not
// travel: a fix counts only once it has moved farther from the last counted
// fix than their accuracies together (at least minStepM), so a phone lying
// on a desk for an hour adds nothing.
func TrackDistanceM(pts []TrackPoint, minStepM float64) float64 {
	if len(pts) < 2 {
		return 0
	}
	total := 0.0
	last := pts[0]
	for _, p := range pts[1:] {
		d := DistanceM(last.Point, p.Point)
		if d > math.Max(minStepM, last.AccuracyM+p.AccuracyM) {
			total += d
			last = p
		}
	}
	return total
}

// DetectStops finds the places where the track stayed within radiusM for at
// least minDuration: a stop grows while the next fix is within radiusM of its
// running centre, and is kept if it lasted long enough.
func DetectStops(pts []TrackPoint, radiusM float64, minDuration time.Duration) []Stop {
	var stops []Stop
	i := 0
	for i < len(pts) {
		c := pts[i].Point
		n := 1
		j := i + 1
		for j < len(pts) && DistanceM(c, pts[j].Point) <= radiusM {
			// Running mean of the member fixes.
			c.Lat += (pts[j].Lat - c.Lat) / float64(n+1)
			c.Lng += (pts[j].Lng - c.Lng) / float64(n+1)
			n++
			j++
		}
		if pts[j-1].Time.Sub(pts[i].Time) >= minDuration {
			stops = append(stops, Stop{Center: c, Start: pts[i].Time, End: pts[j-1].Time, Fixes: n})
			i = j
			continue
		}
		i++
	}
	return stops
}
