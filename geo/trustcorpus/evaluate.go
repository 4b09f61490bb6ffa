package trustcorpus

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/dakahq/daka/geo"
)

// verdictOrder is the column order of the report.
var verdictOrder = []geo.Verdict{geo.VerdictAccepted, geo.VerdictFlagged, geo.VerdictNeedsApproval, geo.VerdictRejected}

// Counts tallies the verdicts of a group of punches.
type Counts struct {
	N        int
	Verdicts map[geo.Verdict]int
	// Neutralised counts offline punches whose reconstructed time is within
	// 2 min of the true time: a back-dating attempt that failed even if the
	// verdict is accepted.
	Neutralised int
}

// NotAccepted is the number of punches with any verdict but accepted: for a
// spoof, caught; for a genuine punch, a false alarm.
func (c Counts) NotAccepted() int { return c.N - c.Verdicts[geo.VerdictAccepted] }

// Rate is NotAccepted / N (0 for an empty group).
func (c Counts) Rate() float64 {
	if c.N == 0 {
		return 0
	}
	return float64(c.NotAccepted()) / float64(c.N)
}

func (c *Counts) add(p Punch, v geo.Verdict) {
	if c.Verdicts == nil {
		c.Verdicts = map[geo.Verdict]int{}
	}
	c.N++
	c.Verdicts[v]++
	if r := p.Evidence.ReconstructedTime; p.Evidence.Offline && r != nil && r.Sub(p.TrueTime).Abs() <= 2*time.Minute {
		c.Neutralised++
	}
}

// SignalCount is how often a signal fired on genuine and on spoofed punches.
type SignalCount struct {
	Code             string
	Genuine, Spoofed int
	// GenuineNotAccepted counts the genuine punches not accepted that carry
	// this signal: the false alarms it took part in.
	GenuineNotAccepted int
}

// Report is the outcome of Evaluate.
type Report struct {
	Punches  int
	Genuine  Counts
	Patterns map[Pattern]Counts
	// Variants are the sub-cases per pattern (and genuine situations).
	Variants map[Pattern]map[string]Counts
	// Target is all punches of TargetPatterns together.
	Target  Counts
	Signals []SignalCount
}

// Evaluate assesses every punch under p and tallies the verdicts.
func Evaluate(punches []Punch, p geo.TrustPolicy) Report {
	r := Report{Punches: len(punches), Patterns: map[Pattern]Counts{}, Variants: map[Pattern]map[string]Counts{}}
	sig := map[string]*SignalCount{}
	targets := TargetPatterns()
	for _, pu := range punches {
		a := geo.Assess(pu.Evidence, p)
		c := r.Patterns[pu.Pattern]
		c.add(pu, a.Verdict)
		r.Patterns[pu.Pattern] = c
		if r.Variants[pu.Pattern] == nil {
			r.Variants[pu.Pattern] = map[string]Counts{}
		}
		vc := r.Variants[pu.Pattern][pu.Variant]
		vc.add(pu, a.Verdict)
		r.Variants[pu.Pattern][pu.Variant] = vc
		if pu.Pattern == Genuine {
			r.Genuine.add(pu, a.Verdict)
		} else if slices.Contains(targets, pu.Pattern) {
			r.Target.add(pu, a.Verdict)
		}
		for _, s := range a.Signals {
			sc := sig[s.Code]
			if sc == nil {
				sc = &SignalCount{Code: s.Code}
				sig[s.Code] = sc
			}
			switch {
			case pu.Pattern != Genuine:
				sc.Spoofed++
			case a.Verdict != geo.VerdictAccepted:
				sc.Genuine++
				sc.GenuineNotAccepted++
			default:
				sc.Genuine++
			}
		}
	}
	for _, code := range slices.Sorted(maps.Keys(sig)) {
		r.Signals = append(r.Signals, *sig[code])
	}
	return r
}

// Precision is the share of spoofs among the punches not accepted, counting
// target patterns and genuine punches only, at the given prevalence of
// spoofs (0 < prevalence < 1); prevalence ≤ 0 uses the corpus's own mix.
func (r Report) Precision(prevalence float64) float64 {
	tp, fp := float64(r.Target.NotAccepted()), float64(r.Genuine.NotAccepted())
	if prevalence > 0 && r.Target.N > 0 && r.Genuine.N > 0 {
		tp, fp = r.Target.Rate()*prevalence, r.Genuine.Rate()*(1-prevalence)
	}
	if tp+fp == 0 {
		return 0
	}
	return tp / (tp + fp)
}

// Markdown renders the report as the tables docs/trust.md shows.
func (r Report) Markdown() string {
	var b strings.Builder
	row := func(name string, c Counts, metric string) {
		fmt.Fprintf(&b, "| %s | %d |", name, c.N)
		for _, v := range verdictOrder {
			fmt.Fprintf(&b, " %d |", c.Verdicts[v])
		}
		fmt.Fprintf(&b, " %s |\n", metric)
	}
	pct := func(c Counts) string { return fmt.Sprintf("%.1f %%", 100*c.Rate()) }
	b.WriteString("| pattern | punches | accepted | flagged | needs_approval | rejected | caught (recall) |\n|---|---|---|---|---|---|---|\n")
	for _, p := range TargetPatterns() {
		row(string(p), r.Patterns[p], pct(r.Patterns[p]))
	}
	row("**all target patterns**", r.Target, "**"+pct(r.Target)+"**")
	for _, p := range ExtraPatterns() {
		c := r.Patterns[p]
		m := pct(c)
		if p == OfflineBackdated {
			m += fmt.Sprintf(" (+ time corrected: %d of %d)", c.Neutralised, c.N)
		}
		row(string(p)+" (extra)", c, m)
	}
	row("genuine", r.Genuine, "not accepted: **"+pct(r.Genuine)+"**")
	fmt.Fprintf(&b, "\nPrecision (spoofs among not-accepted punches): %.1f %% at the corpus mix (%d target spoofs, %d genuine), %.1f %% if 1 %% of punches were spoofs.\n",
		100*r.Precision(0), r.Target.N, r.Genuine.N, 100*r.Precision(0.01))
	b.WriteString("\n| pattern | variant | punches | caught |\n|---|---|---|---|\n")
	for _, p := range append(append(TargetPatterns(), ExtraPatterns()...), Genuine) {
		vs := r.Variants[p]
		for _, v := range slices.Sorted(maps.Keys(vs)) {
			name := v
			if name == "" {
				name = "(plain)"
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %s |\n", p, name, vs[v].N, pct(vs[v]))
		}
	}
	b.WriteString("\n| signal | on genuine | on genuine not accepted | on spoofed |\n|---|---|---|---|\n")
	sigs := slices.Clone(r.Signals)
	slices.SortStableFunc(sigs, func(x, y SignalCount) int { return cmp.Compare(y.Genuine+y.Spoofed, x.Genuine+x.Spoofed) })
	for _, s := range sigs {
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d |\n", s.Code, s.Genuine, s.GenuineNotAccepted, s.Spoofed)
	}
	return b.String()
}
