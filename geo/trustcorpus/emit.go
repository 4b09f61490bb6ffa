package trustcorpus

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dakahq/daka/geo"
)

// historyWindow and historyCap are what the caller passes as Previous: the
// employee's fixes of the last 30 days, at most 64, newest first.
const (
	historyWindow = 30 * 24 * time.Hour
	historyCap    = 64
)

// punch produces the punch for ev: genuine, or the employee's attack when
// they cheat on this one (40 % of their punches from their start day, never
// on a business trip). A cheater who teleported from another city stays
// there for the day: their later punches that day are hidden mocks too.
func (g *gen) punch(e *employee, d int, ev event) {
	if e.awayDay == d { // in another city since this morning's teleport
		s := g.spoofShot(e, ev)
		s.pattern = StealthMock
		g.stealth(e, ev, &s)
		s.variant = "away_rest_of_day"
		g.emit(e, d, s)
		return
	}
	if e.cheat != "" && d >= e.cheatFrom && ev.variant != "trip" && chance(g.rng, 0.4) {
		if s, ok := g.spoof(e, d, ev); ok {
			g.emit(e, d, s)
			return
		}
	}
	if d == e.switchDay && ev.kind == "in" && e.device == fmt.Sprintf("dev-%03d-0", e.idx) {
		e.device = fmt.Sprintf("dev-%03d-1", e.idx)
	}
	g.emit(e, d, g.genuineShot(e, ev))
}

// emit assembles the server's view of s (what the attendance service would
// pass to geo.Assess), appends it to the corpus unless it is a ping, and
// records it in the employee's history.
func (g *gen) emit(e *employee, d int, s shot) {
	rng := g.rng
	e.seq++
	cpid := fmt.Sprintf("e%03d-%04d", e.idx, e.seq)
	sent, pt := g.transmit(e, s.raw)
	fixTime := s.trueTime.Add(-s.fixAge)
	ev := geo.Evidence{Point: pt, AccuracyM: s.acc, FixTime: &fixTime,
		IsMock: ptr(s.isMock), Rooted: ptr(s.rooted), DevMode: ptr(e.devMode), DeviceID: s.device}
	if sent != pt {
		ev.SentPoint = &sent
	}
	if e.ios {
		ev.Simulated, ev.IsMock = ptr(s.simulated), nil
	}
	latency := seconds(0.2 + rng.ExpFloat64()*0.8)
	client := s.trueTime.Add(s.clockErr)
	ev.ClientTime = &client
	ev.ServerTime = s.trueTime.Add(latency)
	if s.offline {
		g.offline(e, s, &ev, latency)
	}
	ev.Previous, ev.UsualDeviceIDs = e.previous(s.trueTime)
	ev.Geofence, ev.WiFi = g.geofence(e, s, pt)
	if !s.ping && !s.noPhoto && s.ev.site.photo {
		ev.Photo = s.photo
		if ev.Photo == nil {
			ev.Photo = g.selfie(s, cpid+"-photo")
		}
		e.photos = append(e.photos, photoRec{id: ev.Photo.ID, exif: ev.Photo})
	}
	e.hist = append(e.hist, histEntry{fix: geo.Fix{Point: pt, AccuracyM: s.acc, Time: fixTime, ClientPunchID: cpid},
		raw: s.raw, acc: s.acc, day: d, kind: s.ev.kind, device: s.device,
		tapTime: s.trueTime, replayOK: s.pattern == Genuine && !s.ping})
	if !s.ping {
		g.out = append(g.out, Punch{Evidence: ev, Pattern: s.pattern, Variant: s.variant, Employee: e.idx,
			Kind: s.ev.kind, TrueTime: s.trueTime})
	}
}

// transmit is the app's path from the OS fix to the server's WGS-84 point:
// some apps send GCJ-02 from a map SDK (converted back at the server), some
// SDKs round to 6 decimals. sent is what went over the wire.
func (g *gen) transmit(e *employee, raw geo.Point) (sent, pt geo.Point) {
	sent = raw
	if e.gcj {
		sent, _ = geo.FromWGS84(raw, geo.GCJ02)
	}
	if e.round6 {
		sent = geo.Point{Lat: math.Round(sent.Lat*1e6) / 1e6, Lng: math.Round(sent.Lng*1e6) / 1e6}
	}
	pt = sent
	if e.gcj {
		pt, _ = geo.ToWGS84(sent, geo.GCJ02)
	}
	return sent, pt
}

// offline fills the offline fields: uploaded 1 min + exponential (mean
// 25 min, at most 10 h) later; the phone keeps its elapsed-realtime clock
// unless it rebooted; 70 % of phones report a boot id.
func (g *gen) offline(e *employee, s shot, ev *geo.Evidence, latency time.Duration) {
	rng := g.rng
	delay := minutes(min(1+rng.ExpFloat64()*25, 600))
	upload := s.trueTime.Add(delay)
	receipt := upload.Add(latency)
	e.uptime += time.Duration(uniform(rng, 1, 20) * float64(time.Hour))
	oc := geo.OfflineClock{
		DeviceWallAtPunch: s.trueTime.Add(s.clockErr), DeviceWallAtUpload: upload.Add(s.uploadClockErr),
		ElapsedAtPunch: e.uptime, ElapsedAtUpload: e.uptime + delay,
		ServerReceipt: receipt, FixTime: ev.FixTime,
	}
	bootP := fmt.Sprintf("boot-%d", e.boot)
	if s.reboot {
		e.boot++
		oc.ElapsedAtUpload = minutes(uniform(rng, 0.5, 1+delay.Minutes()*0.9))
		e.uptime = oc.ElapsedAtUpload
	} else {
		e.uptime += delay
	}
	if chance(rng, 0.7) {
		oc.BootAtPunch, oc.BootAtUpload = bootP, fmt.Sprintf("boot-%d", e.boot)
	}
	t, ok, reason := geo.ReconstructTime(oc)
	ev.Offline, ev.ServerTime = true, receipt
	if !t.IsZero() {
		ev.ReconstructedTime = &t
	}
	if !ok {
		ev.ReconstructionIssue = reason
	}
}

// previous is what the caller passes as Previous and UsualDeviceIDs: the
// fixes of the last 30 days (at most 64, newest first) and the devices they
// came from, plus the phone the employee had before the corpus began.
func (e *employee) previous(now time.Time) ([]geo.Fix, []string) {
	var prev []geo.Fix
	usual := []string{fmt.Sprintf("dev-%03d-0", e.idx)}
	for i := len(e.hist) - 1; i >= 0 && len(prev) < historyCap; i-- {
		h := e.hist[i]
		if now.Sub(h.tapTime) > historyWindow {
			break
		}
		prev = append(prev, h.fix)
		if !slices.Contains(usual, h.device) {
			usual = append(usual, h.device)
		}
	}
	return prev, usual
}

// geofence is the caller's test: the best of the employee's permitted fences
// (local sites and the two trip sites), classified with the service's slack.
func (g *gen) geofence(e *employee, s shot, pt geo.Point) (geo.GeofenceOutcome, *geo.WiFiEvidence) {
	var best *site
	bestD := math.Inf(1)
	for _, st := range append(slices.Clip(e.sites), g.w.remote...) {
		if d := st.fence.SignedDistanceM(pt); d < bestD {
			best, bestD = st, d
		}
	}
	out := geo.GeofenceOutcome{Containment: geo.Classify(bestD, s.acc, slackM), SignedDistanceM: bestD,
		SiteID: best.id, SiteMaxAccuracyM: best.maxAccM}
	w := g.wifi(e, s)
	if w != nil {
		if owner := g.w.owner[w.BSSID]; owner == best.id {
			w.MatchesSite = true
		} else {
			w.OtherSiteID = owner
		}
	}
	return out, w
}

func ptr[T any](v T) *T { return &v }
