package trustcorpus

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dakahq/daka/geo"
)

// Pattern labels a punch: Genuine, or the attack that produced it.
type Pattern string

// The labels. TargetPatterns are the attacks the recall target covers, each
// defined by the artefact the corresponding signal looks for; ExtraPatterns
// are generated and reported too, to show what the engine cannot see
// (attacks without those artefacts) and what it neutralises instead of
// flagging.
const (
	Genuine Pattern = "genuine"
	// Teleport: a hidden mock moves the phone to the site right after the
	// phone reported its real, distant position (an app-start ping), faster
	// than any vehicle could: 350–5000 km/h from home, 900–20000 km/h from
	// another city.
	Teleport Pattern = "teleport"
	// TeleportShortHop: the same from a home under 5 km away, where the
	// accuracy-aware distance is below the default impossible-travel floor
	// (TrustPolicy.TravelMinDistanceM); an extra pattern, reported apart.
	TeleportShortHop Pattern = "teleport_short_hop"
	// ConstantCoordinates: a fake-GPS app replays one map-picked point and one
	// accuracy value on every spoofed punch.
	ConstantCoordinates Pattern = "constant_coordinates"
	// MockFlag: a naive mock location that the OS labels as such.
	MockFlag Pattern = "mock_flag"
	// RouteReplay: a recorded genuine fix of an earlier day (1–25 workdays
	// back) replayed exactly.
	RouteReplay Pattern = "route_replay"
	// PhotoReused: a colleague punches at the site for an absent employee with
	// an old photo of them (the same file, a re-encode or a re-shot screen).
	PhotoReused Pattern = "photo_reused"
	// ExifMismatch: a hidden mock at the site plus a photo from the gallery,
	// with EXIF, taken minutes to days earlier, often at home.
	ExifMismatch Pattern = "exif_mismatch"
	// LowPrecision: coordinates typed into a fake-GPS app (3–5 decimals).
	LowPrecision Pattern = "low_precision"
	// NewDeviceFar: someone else's phone logged into the account, punching
	// where that person is, 0.5–30 km away.
	NewDeviceFar Pattern = "new_device_far"
	// StealthMock: attacks without the artefacts the signals look for: a
	// hidden mock imitating a real indoor fix on the usual phone or on a
	// borrowed one used before, or a gallery photo without EXIF.
	StealthMock Pattern = "stealth_mock"
	// OfflineBackdated: the phone's clock set back 20–90 min, the punch queued
	// in airplane mode, the clock restored before upload; half reboot first to
	// defeat the monotonic clock.
	OfflineBackdated Pattern = "offline_backdated"
)

// TargetPatterns are the attacks the recall target covers.
func TargetPatterns() []Pattern {
	return []Pattern{Teleport, ConstantCoordinates, MockFlag, RouteReplay, PhotoReused, ExifMismatch, LowPrecision, NewDeviceFar}
}

// ExtraPatterns are generated and reported but outside the recall target.
func ExtraPatterns() []Pattern { return []Pattern{TeleportShortHop, StealthMock, OfflineBackdated} }

// Punch is one labelled punch of the corpus.
type Punch struct {
	Evidence geo.Evidence
	Pattern  Pattern
	// Variant names the sub-case of the pattern (e.g. "exact" for a reused
	// photo), or the genuine situation ("offline", "field", "trip").
	Variant  string
	Employee int
	Kind     string // in | out
	// TrueTime is when the punch really happened.
	TrueTime time.Time
}

// Config sizes the corpus.
type Config struct {
	Seed uint64
	// Employees in the tenant, of whom CheatersPerPattern × 10 cheat.
	Employees int
	// Workdays simulated (Monday–Friday).
	Workdays int
	// Sites in the city.
	Sites              int
	CheatersPerPattern int
}

// DefaultConfig is the corpus the evaluation uses: 240 employees over six
// working weeks, 8 cheaters per pattern (≈ 18,000 punches).
func DefaultConfig(seed uint64) Config {
	return Config{Seed: seed, Employees: 240, Workdays: 30, Sites: 40, CheatersPerPattern: 8}
}

// Generate builds the corpus for c, in employee order and, per employee, in
// time order. The same Config always gives the same corpus.
func Generate(c Config) []Punch {
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	g := &gen{rng: rng, w: newWorld(rng, max(c.Sites, 2)), cfg: c}
	emps := make([]*employee, c.Employees)
	for i := range emps {
		emps[i] = g.newEmployee(i)
	}
	g.assignCheaters(emps)
	for _, e := range emps {
		for d := range c.Workdays {
			for _, ev := range g.schedule(e, d) {
				g.punch(e, d, ev)
			}
		}
	}
	return g.out
}

// gen holds the generator's state.
type gen struct {
	rng *rand.Rand
	w   *world
	cfg Config
	out []Punch
}

// employee is one person, their phone and, for cheaters, their method.
type employee struct {
	idx   int
	home  geo.Point
	sites []*site // permitted local sites; sites[0] is the main one
	field bool    // field staff: two sites a day
	// Phone.
	device       string
	ios          bool
	q            float64 // the phone's accuracy factor (1 = typical)
	gcj          bool    // the app sends GCJ-02 (map SDK), converted at the server
	round6       bool    // the SDK rounds coordinates to 6 decimals
	wifiOnlyDesk bool    // iOS at a desk without GNSS: Wi-Fi fixes reported as 65 m
	wifiUser     bool    // joins the office Wi-Fi
	rooted       bool
	devMode      bool
	clockErr     time.Duration // the phone's clock error (auto time: ~0)
	switchDay    int           // the day the employee gets a new phone (-1: never)
	accResid     float64       // AR(1) state of log-accuracy
	boot         int
	uptime       time.Duration
	// History the server has.
	hist   []histEntry
	photos []photoRec
	seq    int
	// Cheating.
	cheat      Pattern
	cheatFrom  int
	constPoint geo.Point
	constAcc   float64
	constFixed bool // LowPrecision: the fake app's accuracy is fixed
	awayDay    int  // the workday the cheater spends in another city (-1: none)
}

// histEntry is a fix the server stored for the employee.
type histEntry struct {
	fix      geo.Fix
	raw      geo.Point // what the phone's location stack reported (WGS-84)
	acc      float64
	day      int
	kind     string
	device   string
	tapTime  time.Time
	replayOK bool // a genuine punch a replay tool could have recorded
}

// photoRec is a photo the employee uploaded, for reuse.
type photoRec struct {
	id   string
	exif *geo.PhotoEvidence
}

func (g *gen) newEmployee(i int) *employee {
	rng := g.rng
	main := g.w.sites[rng.IntN(len(g.w.sites))]
	e := &employee{
		idx:  i,
		home: polar(rng, main.fence.Center, logUniform(rng, 1500, 30000)),
		// Commutes in Shanghai: median ≈ 9 km, from walking distance to 30 km.
		sites:     []*site{main},
		field:     chance(rng, 0.15),
		device:    fmt.Sprintf("dev-%03d-0", i),
		ios:       chance(rng, 0.35),
		q:         clamp(logUniform(rng, 0.7, 1.45), 0.7, 1.45),
		gcj:       chance(rng, 0.3),
		round6:    chance(rng, 0.3),
		wifiUser:  chance(rng, 0.75),
		rooted:    chance(rng, 0.04),
		devMode:   chance(rng, 0.06),
		switchDay: -1,
		uptime:    time.Duration(uniform(rng, 1, 240) * float64(time.Hour)),
		cheatFrom: 1 << 30,
		awayDay:   -1,
	}
	e.wifiOnlyDesk = e.ios && chance(rng, 0.2)
	e.clockErr = seconds(rng.NormFloat64() * 0.8)
	if chance(rng, 0.02) { // automatic time switched off: minutes off
		e.clockErr = minutes(rng.NormFloat64() * 10)
	}
	if chance(rng, 0.05) { // a new phone during the six weeks
		e.switchDay = rng.IntN(max(g.cfg.Workdays, 1))
	}
	if e.field {
		for len(e.sites) < 2+rng.IntN(3) {
			if s := g.w.sites[rng.IntN(len(g.w.sites))]; !slices.Contains(e.sites, s) {
				e.sites = append(e.sites, s)
			}
		}
	}
	return e
}

// assignCheaters gives CheatersPerPattern employees each pattern. Photo
// patterns go to employees whose main site takes photos; nobody cheats in
// two ways.
func (g *gen) assignCheaters(emps []*employee) {
	order := g.rng.Perm(len(emps))
	next := 0
	take := func(ok func(*employee) bool) *employee {
		for k := range order {
			i := order[(next+k)%len(order)]
			if e := emps[i]; e.cheat == "" && ok(e) {
				return e
			}
		}
		return nil
	}
	anyone := func(*employee) bool { return true }
	photo := func(e *employee) bool { return e.sites[0].photo }
	for _, p := range append(TargetPatterns(), StealthMock, OfflineBackdated) {
		for range g.cfg.CheatersPerPattern {
			ok := anyone
			if p == PhotoReused || p == ExifMismatch {
				ok = photo
			}
			e := take(ok)
			if e == nil {
				continue
			}
			next++
			e.cheat, e.cheatFrom = p, 3
			if p == RouteReplay {
				e.cheatFrom = 6
			}
			g.prepareCheat(e)
		}
	}
}
