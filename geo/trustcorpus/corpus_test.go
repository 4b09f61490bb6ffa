package trustcorpus_test

import (
	"reflect"
	"testing"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/geo/trustcorpus"
)

// The weights of geo.DefaultTrustPolicy were designed while looking at the
// corpus of designSeed; evalSeed was drawn afterwards and is what the
// targets are asserted on.
const (
	designSeed = 20250303
	evalSeed   = 77031
)

// Targets from the issue: recall over the target patterns, and the share of
// genuine punches with any verdict but accepted (flagged counts as a false
// alarm: the issue says "≤ 1 % of genuine punches flagged").
const (
	minRecall          = 0.95
	maxGenuineNotAccep = 0.01
)

// TestCorpusPrecisionRecall runs the default policy over the evaluation
// corpus and asserts the targets. Run with -v for the tables docs/trust.md
// shows, for both seeds.
func TestCorpusPrecisionRecall(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		seed   uint64
		assert bool
	}{{"Design", designSeed, false}, {"Evaluation", evalSeed, true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			punches := trustcorpus.Generate(trustcorpus.DefaultConfig(c.seed))
			r := trustcorpus.Evaluate(punches, geo.DefaultTrustPolicy())
			t.Logf("seed %d, %d punches:\n%s", c.seed, r.Punches, r.Markdown())
			for _, p := range append(trustcorpus.TargetPatterns(), trustcorpus.ExtraPatterns()...) {
				if r.Patterns[p].N < 30 {
					t.Errorf("pattern %s has only %d punches", p, r.Patterns[p].N)
				}
			}
			if !c.assert {
				return
			}
			if got := r.Target.Rate(); got < minRecall {
				t.Errorf("recall over target patterns %.3f < %.2f", got, minRecall)
			}
			if got := r.Genuine.Rate(); got > maxGenuineNotAccep {
				t.Errorf("genuine punches not accepted %.4f > %.2f", got, maxGenuineNotAccep)
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	c := trustcorpus.Config{Seed: 5, Employees: 40, Workdays: 8, Sites: 6, CheatersPerPattern: 2}
	a, b := trustcorpus.Generate(c), trustcorpus.Generate(c)
	if len(a) == 0 || !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs differ (%d vs %d punches)", len(a), len(b))
	}
	c.Seed = 6
	if reflect.DeepEqual(a, trustcorpus.Generate(c)) {
		t.Fatal("another seed gave the same corpus")
	}
}

// TestGenuinePunchesAreMostlyAtTheSite checks the generator's genuine model
// against its own description: nearly all genuine fixes are at the site, a
// few straddle or fall outside (urban-canyon outliers), accuracies lie in
// 3–65 m.
func TestGenuinePunchesAreMostlyAtTheSite(t *testing.T) {
	t.Parallel()
	n, at, outside := 0, 0, 0
	for _, p := range trustcorpus.Generate(trustcorpus.DefaultConfig(designSeed)) {
		if p.Pattern != trustcorpus.Genuine {
			continue
		}
		n++
		switch p.Evidence.Geofence.Containment {
		case geo.Inside, geo.InsideUncertain:
			at++
		case geo.Outside:
			outside++
		}
		if a := p.Evidence.AccuracyM; a < 3 || a > 65 {
			t.Fatalf("genuine accuracy %v outside 3–65 m", a)
		}
	}
	if n < 10000 || float64(at)/float64(n) < 0.99 || outside == 0 || float64(outside)/float64(n) > 0.005 {
		t.Fatalf("%d genuine: %d at the site, %d outside", n, at, outside)
	}
}
