package trustcorpus

import (
	"fmt"
	"math"
	"time"

	"github.com/dakahq/daka/geo"
)

// event is a scheduled punch: who meant to punch what, where, when.
type event struct {
	kind    string
	tap     time.Time
	site    *site
	variant string
	first   bool // the day's first punch (attacks that move the person's day start here)
}

// dayStart is midnight of workday d (weekends skipped).
func dayStart(d int) time.Time {
	return epoch.AddDate(0, 0, d/5*7+d%5)
}

// at is day + a clock time given in minutes after midnight.
func at(day time.Time, mins float64) time.Time { return day.Add(minutes(mins)) }

// schedule is one employee's punches on workday d: arrive around 08:50
// (σ 15 min), leave around 18:10 (σ 25 min), a lunch break out and back in
// on 20 % of days; field staff switch sites before noon (driving at
// 20–45 km/h plus parking); 0.5 % of office days are a trip by high-speed
// rail to Hangzhou or Beijing. 5 % of days are leave.
func (g *gen) schedule(e *employee, d int) []event {
	evs := g.plan(e, d)
	if len(evs) > 0 {
		evs[0].first = true
	}
	return evs
}

func (g *gen) plan(e *employee, d int) []event {
	rng, day := g.rng, dayStart(d)
	if chance(rng, 0.05) {
		return nil
	}
	main := e.sites[0]
	in := at(day, clamp(530+rng.NormFloat64()*15, 465, 600))
	out := at(day, clamp(1090+rng.NormFloat64()*25, 1020, 1260))
	switch {
	case e.field:
		b := e.sites[1+rng.IntN(len(e.sites)-1)]
		outA := at(day, clamp(660+rng.NormFloat64()*20, 600, 720))
		km := geo.DistanceM(main.building, b.building) / 1000
		inB := outA.Add(minutes(km/uniform(rng, 20, 45)*60 + uniform(rng, 5, 20)))
		outB := maxTime(out, inB.Add(30*time.Minute))
		return []event{{"in", in, main, "field", false}, {"out", outA, main, "field", false}, {"in", inB, b, "field", false}, {"out", outB, b, "field", false}}
	case chance(rng, 0.005):
		r := g.w.remote[rng.IntN(len(g.w.remote))]
		outA := at(day, clamp(600+rng.NormFloat64()*15, 570, 640))
		km := geo.DistanceM(main.building, r.building) / 1000
		inR := outA.Add(minutes(km/uniform(rng, 150, 220)*60 + uniform(rng, 60, 120)))
		return []event{{"in", in, main, "trip", false}, {"out", outA, main, "trip", false}, {"in", inR, r, "trip", false},
			{"out", inR.Add(minutes(uniform(rng, 90, 180))), r, "trip", false}}
	case chance(rng, 0.2):
		lo := at(day, clamp(720+rng.NormFloat64()*15, 680, 780))
		li := lo.Add(minutes(uniform(rng, 40, 80)))
		return []event{{"in", in, main, "", false}, {"out", lo, main, "lunch", false}, {"in", li, main, "lunch", false}, {"out", out, main, "", false}}
	}
	return []event{{"in", in, main, "", false}, {"out", out, main, "", false}}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// shot is one punch as the phone produces it, before the server's view is
// assembled by emit.
type shot struct {
	ev       event
	pattern  Pattern
	variant  string
	trueTime time.Time // when the punch really happened (the tap)
	atSite   *site     // the site the phone is physically at (nil: elsewhere)
	indoor   bool
	raw      geo.Point // WGS-84 fix the phone's location stack reports
	acc      float64
	fixAge   time.Duration
	device   string
	clockErr time.Duration // phone clock − true time at the tap
	// uploadClockErr is the clock error at upload (offline punches); it
	// differs from clockErr when the user changed the clock in between.
	uploadClockErr time.Duration
	offline        bool
	reboot         bool
	isMock         bool
	simulated      bool
	rooted         bool
	photo          *geo.PhotoEvidence
	noPhoto        bool      // no photo even if the site requires one
	exifAt         geo.Point // where the camera's location stack says it is
	ping           bool      // a location report, not a punch: history only
}

// genuineShot is an honest punch for ev: the phone is where the employee is.
func (g *gen) genuineShot(e *employee, ev event) shot {
	rng := g.rng
	s := shot{ev: ev, pattern: Genuine, variant: ev.variant, trueTime: ev.tap, atSite: ev.site,
		device: e.device, clockErr: e.clockErr, uploadClockErr: e.clockErr, rooted: e.rooted, fixAge: fixAge(g)}
	// 75 % of punches from inside the building; the rest outside it, within
	// 60 m (entrance, car park, gate) and inside the fence.
	pos, indoor := inDisc(rng, ev.site.building, ev.site.buildingR), true
	if chance(rng, 0.25) {
		for range 20 {
			p := inDisc(rng, ev.site.building, ev.site.buildingR+60)
			if ev.site.fence.SignedDistanceM(p) < 0 {
				pos, indoor = p, geo.DistanceM(p, ev.site.building) <= ev.site.buildingR
				break
			}
		}
	}
	s.indoor = indoor
	s.raw, s.acc = g.measure(e, pos, indoor, ev.site.outlierRate)
	s.exifAt = polar(rng, s.raw, math.Abs(rng.NormFloat64())*s.acc/3)
	if chance(rng, 0.03) { // no signal in the basement: queued, uploaded later
		s.offline, s.variant = true, "offline"
		s.reboot = chance(rng, 0.04)
	}
	return s
}

// fixAge is how old the fix is when the punch is tapped: mostly a fresh fix
// (0.5 s + exponential, mean 3 s), 3.7 % a cached fix 15–110 s old, 0.3 % a
// last-known location 130–900 s old.
func fixAge(g *gen) time.Duration {
	switch r := g.rng.Float64(); {
	case r < 0.003:
		return seconds(uniform(g.rng, 130, 900))
	case r < 0.04:
		return seconds(uniform(g.rng, 15, 110))
	}
	return seconds(0.5 + g.rng.ExpFloat64()*3)
}

// measure is the phone's fix of the true position pos. Reported accuracy:
// log-normal around 7 m outdoors and 20 m indoors, scaled by the phone's
// quality, with an AR(1) residual (ρ = 0.6, σ = 0.45) so consecutive fixes
// are alike; values above 65 m are redrawn in 45–65 m and below 3 m in 3–4 m,
// the range phones report for GNSS and Wi-Fi fixes. The error is a 2-D
// Gaussian with per-axis σ = accuracy / 1.515, so 68 % of fixes lie within
// the accuracy (its documented meaning). With probability outlierRate the
// error is instead 2.5–5× the accuracy in a random direction (urban-canyon
// multipath; the phone does not know). iPhones at a desk without GNSS report
// Wi-Fi fixes as exactly 65 m with a true error of 10–40 m.
func (g *gen) measure(e *employee, pos geo.Point, indoor bool, outlierRate float64) (geo.Point, float64) {
	rng := g.rng
	med := 7.0
	if indoor {
		med = 20
	}
	e.accResid = 0.6*e.accResid + 0.8*rng.NormFloat64()*0.45
	acc := med * e.q * math.Exp(e.accResid)
	if acc > 65 {
		acc = uniform(rng, 45, 65)
	}
	if acc < 3 {
		acc = uniform(rng, 3, 4)
	}
	sigma := acc / 1.515
	if indoor && e.wifiOnlyDesk {
		acc, sigma = 65, uniform(rng, 10, 40)/1.515
	}
	if chance(rng, outlierRate) {
		return polar(rng, pos, uniform(rng, 2.5, 5)*acc), acc
	}
	return offset(pos, rng.NormFloat64()*sigma, rng.NormFloat64()*sigma), acc
}

// wifi is the access point the phone is on: a registered one of the site it
// is physically at (85 % indoors, 30 % just outside, for employees who join
// the office Wi-Fi), else 15 % some unregistered network, else none.
func (g *gen) wifi(e *employee, s shot) *geo.WiFiEvidence {
	rng := g.rng
	if st := s.atSite; st != nil && len(st.bssids) > 0 && e.wifiUser {
		p := 0.3
		if s.indoor {
			p = 0.85
		}
		if chance(rng, p) {
			return &geo.WiFiEvidence{BSSID: st.bssids[rng.IntN(len(st.bssids))]}
		}
	}
	if chance(rng, 0.15) {
		return &geo.WiFiEvidence{BSSID: fmt.Sprintf("5c:%02x:%02x:%02x:%02x:%02x", rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256), rng.IntN(256))}
	}
	return nil
}

// selfie is the photo a phone takes just before the punch (3–40 s): EXIF in
// 85 % of photos, with its offset in 60 % of those, GPS in 40 % (the
// camera's fix, from the same location stack as the punch).
func (g *gen) selfie(s shot, id string) *geo.PhotoEvidence {
	rng := g.rng
	ph := &geo.PhotoEvidence{ID: id, SiteZone: zone}
	if !chance(rng, 0.85) {
		return ph
	}
	capture := s.trueTime.Add(-seconds(uniform(rng, 3, 40)) + s.clockErr)
	ph.CaptureOffsetKnown = chance(rng, 0.6)
	if !ph.CaptureOffsetKnown { // the wall-clock digits only, as EXIF stores them
		capture = wallOnly(capture)
	}
	ph.CaptureTime = &capture
	if chance(rng, 0.4) {
		p := s.exifAt
		ph.GPS = &p
	}
	return ph
}

// wallOnly keeps the local wall-clock reading of t and drops its zone, as an
// EXIF DateTimeOriginal without OffsetTimeOriginal does.
func wallOnly(t time.Time) time.Time {
	t = t.In(zone)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}
