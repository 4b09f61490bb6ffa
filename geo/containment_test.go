package geo

import (
	"math"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	inf, nan := math.Inf(1), math.NaN()
	tests := []struct {
		name                  string
		dist, accuracy, slack float64
		want                  Containment
	}{
		{"CircleWellInside", -80, 20, 50, Inside},
		{"CircleTouchesEdgeFromInside", -20, 20, 50, Inside},
		{"CentreInsideCircleCrossesEdge", -19.9, 20, 50, InsideUncertain},
		{"CentreOnBoundary", 0, 20, 50, InsideUncertain},
		{"CentreJustOutside", 0.1, 20, 50, Straddles},
		{"CentreOutsideByAccuracy", 20, 20, 50, Straddles},
		{"CentreOutsideBeyondAccuracy", 20.1, 20, 50, Outside},
		{"SlackCapsWideAccuracy", 60, 200, 50, Outside},
		{"SlackCapEdge", 50, 200, 50, Straddles},
		{"ZeroSlackDisablesStraddles", 1, 20, 0, Outside},
		{"NegativeSlackDisablesStraddles", 1, 20, -5, Outside},
		{"NaNSlackDisablesStraddles", 1, 20, nan, Outside},
		{"InfiniteSlackMeansAccuracyOnly", 150, 200, inf, Straddles},
		{"ZeroAccuracyIsUnknownInside", -100, 0, 50, InsideUncertain},
		{"ZeroAccuracyIsUnknownOutside", 1, 0, 50, Outside},
		{"NegativeAccuracyIsUnknown", -100, -3, 50, InsideUncertain},
		{"NaNAccuracyIsUnknown", 5, nan, 50, Outside},
		{"InfiniteAccuracyIsUnknown", -100, inf, inf, InsideUncertain},
		{"NaNDistanceIsOutside", nan, 20, 50, Outside},
		{"MinusInfinityIsInside", math.Inf(-1), 20, 50, Inside},
		{"PlusInfinityIsOutside", inf, 20, inf, Outside},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tt.dist, tt.accuracy, tt.slack); got != tt.want {
				t.Errorf("Classify(%v, %v, %v) = %s, want %s", tt.dist, tt.accuracy, tt.slack, got, tt.want)
			}
		})
	}
}

// TestStraddleBandMatchesClassify: straddleBandM is the largest distance
// Classify accepts, which the index relies on to skip candidates.
func TestStraddleBandMatchesClassify(t *testing.T) {
	t.Parallel()
	inf, nan := math.Inf(1), math.NaN()
	for _, acc := range []float64{-1, 0, 0.5, 20, 300, inf, nan} {
		for _, slack := range []float64{-1, 0, 10, 50, 1000, inf, nan} {
			band := straddleBandM(acc, slack)
			if got := Classify(band, acc, slack); got == Outside {
				t.Errorf("acc %v slack %v: band %v classified Outside", acc, slack, band)
			}
			if got := Classify(math.Nextafter(band, inf), acc, slack); got != Outside {
				t.Errorf("acc %v slack %v: just beyond band %v classified %s", acc, slack, band, got)
			}
		}
	}
}
