package trustcorpus

import (
	"fmt"
	"math"
	"time"

	"github.com/dakahq/daka/geo"
)

// prepareCheat fixes what a cheater's tool keeps constant across punches.
func (g *gen) prepareCheat(e *employee) {
	rng, s := g.rng, e.sites[0]
	switch e.cheat {
	case ConstantCoordinates:
		// A point picked on a map inside the building; pickers hand out 6
		// decimals (Amap, Google "What's here") or a full double.
		e.constPoint = inDisc(rng, s.building, s.buildingR)
		if chance(rng, 0.5) {
			e.constPoint = geo.Point{Lat: math.Round(e.constPoint.Lat*1e6) / 1e6, Lng: math.Round(e.constPoint.Lng*1e6) / 1e6}
		}
		// Appium-style tools default to 1.0 m; others have a fixed setting.
		e.constAcc = []float64{1, 3, 5, 10, 15, 20, 30}[rng.IntN(7)]
	case LowPrecision:
		// Typed from a map app's share text: 3 (25 %), 4 (55 %) or 5 (20 %)
		// decimals.
		p := inDisc(rng, s.building, 0.7*s.buildingR)
		dec := 4
		switch r := rng.Float64(); {
		case r < 0.25:
			dec = 3
		case r >= 0.8:
			dec = 5
		}
		k := math.Pow10(dec)
		e.constPoint = geo.Point{Lat: math.Round(p.Lat*k) / k, Lng: math.Round(p.Lng*k) / k}
		e.constFixed = chance(rng, 0.5)
		e.constAcc = []float64{3, 5, 10}[rng.IntN(3)]
	}
}

// spoof is the cheater's punch for ev, or ok = false when the method does
// not apply (nothing to replay yet, no photo to reuse).
func (g *gen) spoof(e *employee, d int, ev event) (shot, bool) {
	rng := g.rng
	s := g.spoofShot(e, ev)
	home, _ := g.measure(e, e.home, true, 0)
	switch e.cheat {
	case Teleport:
		g.teleportPing(e, d, ev, &s)
	case ConstantCoordinates:
		s.raw, s.acc = e.constPoint, e.constAcc
		s.exifAt = s.raw
	case MockFlag:
		s.isMock, s.simulated = !e.ios, e.ios
	case RouteReplay:
		h, ok := g.replaySource(e, d, ev.kind)
		if !ok {
			return s, false
		}
		s.raw, s.acc = h.raw, h.acc
		s.exifAt = s.raw
		s.variant = fmt.Sprintf("%d_weeks_back", (d-h.day+4)/5)
	case PhotoReused:
		if len(e.photos) == 0 || !ev.site.photo {
			return s, false
		}
		g.buddyPunch(e, ev, &s)
	case ExifMismatch:
		if !ev.site.photo {
			return s, false
		}
		s.photo, s.variant = g.galleryPhoto(e, s, home), "gallery"
	case LowPrecision:
		s.raw, s.acc = e.constPoint, e.constAcc
		if !e.constFixed {
			s.acc = logUniform(rng, 3, 15)
		}
		s.exifAt = s.raw
	case NewDeviceFar:
		// Another person's phone where that person is, 0.5–30 km away.
		s.device = fmt.Sprintf("other-%03d-%d", e.idx, rng.IntN(4))
		s.rooted = false
		far := polar(rng, ev.site.fence.Center, logUniform(rng, 500, 30000))
		s.raw, s.acc = g.measure(e, far, true, 0)
		s.exifAt = s.raw
	case StealthMock:
		g.stealth(e, ev, &s)
	case OfflineBackdated:
		if !ev.first { // arriving late is about the day's first punch
			return s, false
		}
		return g.backdated(e, ev), true
	}
	return s, true
}

// spoofShot is the default attack: the cheater is away and a hidden mock
// puts a plausible fix inside the building; the camera sees the mocked
// position too.
func (g *gen) spoofShot(e *employee, ev event) shot {
	s := shot{ev: ev, pattern: e.cheat, trueTime: ev.tap, device: e.device, clockErr: e.clockErr,
		uploadClockErr: e.clockErr, rooted: e.rooted, fixAge: seconds(uniform(g.rng, 0.3, 2))}
	s.raw, s.acc = g.mockFix(ev.site)
	s.exifAt = s.raw
	return s
}

// stealth is an attack that leaves none of the artefacts the signals look
// for: a hidden mock imitating an indoor fix (noise and accuracy from the
// genuine indoor model, root hidden 70 % of the time) on the employee's own
// phone (60 %), on a borrowed phone already used before (20 %, the same
// person's phone each time), or with a gallery photo whose EXIF was stripped
// (20 %, at a photo site).
func (g *gen) stealth(e *employee, ev event, s *shot) {
	rng := g.rng
	s.raw, s.acc = g.measure(e, inDisc(rng, ev.site.building, ev.site.buildingR), true, 0)
	s.fixAge, s.exifAt = fixAge(g), s.raw
	s.rooted = e.rooted && chance(rng, 0.3)
	s.variant = "own_phone"
	switch r := rng.Float64(); {
	case r < 0.2:
		s.device, s.rooted, s.variant = fmt.Sprintf("borrowed-%03d", e.idx), false, "borrowed_phone"
	case r < 0.4 && ev.site.photo:
		s.photo = &geo.PhotoEvidence{ID: fmt.Sprintf("e%03d-gallery-%d", e.idx, e.seq), SiteZone: zone}
		s.variant = "gallery_photo_without_exif"
	}
}

// mockFix is a plausible mocked fix in the building: the tool adds a little
// jitter and reports 3–20 m.
func (g *gen) mockFix(st *site) (geo.Point, float64) {
	acc := logUniform(g.rng, 3, 20)
	p := inDisc(g.rng, st.building, st.buildingR)
	return offset(p, g.rng.NormFloat64()*acc/1.515, g.rng.NormFloat64()*acc/1.515), acc
}

// teleportPing records the phone's real position shortly before the mocked
// punch (the app reports it at start), at an impossible speed away: from
// home at 350–5000 km/h, or (35 % of the day's first punches) from another
// city 50–1200 km away at 900–20000 km/h (a home under 5 km away makes it a TeleportShortHop). At
// least 20 s pass (time to switch the mock on). 20 % of
// pings are network fixes (300–1500 m accuracy).
func (g *gen) teleportPing(e *employee, d int, ev event, s *shot) {
	rng := g.rng
	where, kmh := e.home, logUniform(rng, 350, 5000)
	s.variant = "from_home"
	if ev.first && !chance(rng, 0.65) { // only a day can start in another city
		where, kmh = polar(rng, city, logUniform(rng, 50e3, 1200e3)), logUniform(rng, 900, 20000)
		s.variant, e.awayDay = "from_other_city", d
	}
	dist := geo.DistanceM(where, ev.site.building)
	if dist < 5000 {
		s.pattern, s.variant = TeleportShortHop, ""
	}
	dt := max(seconds(dist/1000/kmh*3600), 20*time.Second)
	p := shot{ev: event{kind: "ping", tap: ev.tap.Add(-dt), site: ev.site}, pattern: Teleport, trueTime: ev.tap.Add(-dt),
		device: s.device, clockErr: e.clockErr, uploadClockErr: e.clockErr, fixAge: seconds(1), ping: true}
	p.raw, p.acc = g.measure(e, where, true, 0)
	if chance(rng, 0.2) {
		p.acc = uniform(rng, 300, 1500)
		p.raw = polar(rng, where, math.Abs(rng.NormFloat64())*p.acc/1.515)
	}
	g.emit(e, d, p)
}

// replaySource picks a genuine punch of the same kind 1–25 workdays back.
func (g *gen) replaySource(e *employee, d int, kind string) (histEntry, bool) {
	back := 1 + g.rng.IntN(25)
	for i := len(e.hist) - 1; i >= 0; i-- {
		if h := e.hist[i]; h.replayOK && h.kind == kind && h.day <= d-back {
			return h, true
		}
	}
	return histEntry{}, false
}

// buddyPunch: a colleague at the site punches for the absent employee, on
// the employee's phone (50 %) or their own, with an old photo: the same file
// (50 %, its EXIF intact), a re-encode (35 %, hash distance 0–3, EXIF
// stripped 70 %) or a photo of a screen (15 %, distance 4–14, fresh EXIF).
func (g *gen) buddyPunch(e *employee, ev event, s *shot) {
	rng := g.rng
	buddy := *e
	buddy.q, buddy.wifiOnlyDesk, buddy.ios = logUniform(rng, 0.7, 1.45), false, false
	pos := inDisc(rng, ev.site.building, ev.site.buildingR)
	s.raw, s.acc = g.measure(&buddy, pos, true, ev.site.outlierRate)
	s.atSite, s.indoor, s.fixAge = ev.site, true, fixAge(g)
	s.exifAt = polar(rng, s.raw, math.Abs(rng.NormFloat64())*s.acc/3)
	if chance(rng, 0.5) {
		s.device = fmt.Sprintf("buddy-%03d-%d", e.idx, rng.IntN(3))
		s.rooted = false
	}
	old := e.photos[rng.IntN(len(e.photos))]
	ph := &geo.PhotoEvidence{ID: fmt.Sprintf("e%03d-reuse-%d", e.idx, e.seq), SiteZone: zone}
	switch r := rng.Float64(); {
	case r < 0.5:
		*ph = *old.exif
		ph.ID = fmt.Sprintf("e%03d-reuse-%d", e.idx, e.seq)
		ph.Reused = &geo.PhotoReuse{OfPhotoID: old.id, Exact: true}
		s.variant = "exact"
	case r < 0.85:
		if chance(rng, 0.3) {
			ph.CaptureTime, ph.CaptureOffsetKnown, ph.GPS = old.exif.CaptureTime, old.exif.CaptureOffsetKnown, old.exif.GPS
		}
		ph.Reused = &geo.PhotoReuse{OfPhotoID: old.id, Distance: rng.IntN(4)}
		s.variant = "reencoded"
	default:
		fresh := g.selfie(*s, ph.ID)
		fresh.Reused = &geo.PhotoReuse{OfPhotoID: old.id, Distance: 4 + rng.IntN(11)}
		ph = fresh
		s.variant = "screen_reshot"
	}
	s.photo = ph
}

// galleryPhoto is a photo picked from the gallery instead of taken now,
// with its EXIF (gallery photos without EXIF are a StealthMock variant):
// taken 3 min – 10 days earlier (log-uniform), the offset recorded in 60 %,
// GPS in 60 %, at home (70 %) or elsewhere in the city.
func (g *gen) galleryPhoto(e *employee, s shot, home geo.Point) *geo.PhotoEvidence {
	rng := g.rng
	ph := &geo.PhotoEvidence{ID: fmt.Sprintf("e%03d-gallery-%d", e.idx, e.seq), SiteZone: zone}
	capture := s.trueTime.Add(-minutes(logUniform(rng, 3, 10*24*60)) + s.clockErr)
	ph.CaptureOffsetKnown = chance(rng, 0.6)
	if !ph.CaptureOffsetKnown {
		capture = wallOnly(capture)
	}
	ph.CaptureTime = &capture
	if chance(rng, 0.6) {
		p := home
		if !chance(rng, 0.7) {
			p = offset(city, uniform(rng, -20e3, 20e3), uniform(rng, -20e3, 20e3))
		}
		ph.GPS = &p
	}
	return ph
}

// backdated: on the day's first punch, the employee arrives 20–90 min late, sets the clock back to the
// usual time, punches in airplane mode at the site (a real fix), reboots
// (50 %) to reset the elapsed-realtime clock, restores the clock and uploads.
func (g *gen) backdated(e *employee, ev event) shot {
	rng := g.rng
	s := g.genuineShot(e, ev)
	late := minutes(uniform(rng, 20, 90))
	s.pattern, s.trueTime, s.offline, s.reboot = OfflineBackdated, ev.tap.Add(late), true, chance(rng, 0.5)
	s.clockErr = e.clockErr - late
	s.variant = "same_boot"
	if s.reboot {
		s.variant = "rebooted"
	}
	return s
}
