package geo

import "math"

// Containment is the accuracy-aware answer to "is this fix inside the fence".
// A fix is a centre point plus an accuracy radius (the platform's 68 %
// confidence radius); Classify compares that circle with the fence.
type Containment string

// The four outcomes, from most to least certain. Policy decides what each
// means; for the foundation release Inside, InsideUncertain and Straddles all
// count as "at the site".
const (
	// Inside: the whole accuracy circle lies inside the fence.
	Inside Containment = "inside"
	// InsideUncertain: the centre is inside (or on the boundary) but the
	// accuracy circle crosses the edge, or the accuracy is unknown.
	InsideUncertain Containment = "inside_uncertain"
	// Straddles: the centre is outside, but no farther from the edge than the
	// accuracy radius, and no farther than the caller's slack cap.
	Straddles Containment = "straddles"
	// Outside: the centre is outside and beyond the straddle band.
	Outside Containment = "outside"
)

// Classify applies the accuracy rule. signedDistM is the distance from the
// fix's centre to the fence boundary, negative inside (see
// Fence.SignedDistanceM); accuracyM is the accuracy radius; maxSlackM caps how
// far outside the fence benefit of the doubt reaches.
//
// With d = signedDistM, a = accuracyM and s = maxSlackM:
//
//	d ≤ −a            → Inside           (circle entirely inside, touching allowed)
//	−a < d ≤ 0        → InsideUncertain  (centre inside or on the boundary)
//	0 < d ≤ min(a, s) → Straddles        (centre outside, circle reaches the edge)
//	otherwise         → Outside
//
// An accuracy that is not a finite number > 0 is unknown: the fix is never
// Inside or Straddles, only InsideUncertain (d ≤ 0) or Outside. A maxSlackM
// that is NaN or ≤ 0 disables Straddles; +Inf means "no cap". A NaN distance
// is Outside.
func Classify(signedDistM, accuracyM, maxSlackM float64) Containment {
	d := signedDistM
	if math.IsNaN(d) {
		return Outside
	}
	if !(accuracyM > 0) || math.IsInf(accuracyM, 1) {
		if d <= 0 {
			return InsideUncertain
		}
		return Outside
	}
	switch {
	case d <= -accuracyM:
		return Inside
	case d <= 0:
		return InsideUncertain
	case maxSlackM > 0 && d <= min(accuracyM, maxSlackM):
		return Straddles
	}
	return Outside
}

// straddleBandM is the largest signed distance Classify can accept for the
// given accuracy and slack: hits lie at d ≤ straddleBandM.
func straddleBandM(accuracyM, maxSlackM float64) float64 {
	if !(accuracyM > 0) || math.IsInf(accuracyM, 1) || !(maxSlackM > 0) {
		return 0
	}
	return min(accuracyM, maxSlackM)
}
