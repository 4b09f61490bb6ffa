package attendance

import (
	"math"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dakahq/daka/geo"
	"github.com/dakahq/daka/internal/errs"
)

// Kinds, sources and verdicts of punches.
const (
	KindIn  = "in"
	KindOut = "out"

	SourceApp      = "app"
	SourceTerminal = "terminal"
	SourceMakeup   = "makeup"
	SourceAdmin    = "admin"

	VerdictAccepted      = "accepted"
	VerdictFlagged       = "flagged"
	VerdictNeedsApproval = "needs_approval"
	VerdictRejected      = "rejected"
)

// Signal is one fact the verdict was based on, with the numbers behind it.
type Signal struct {
	Code     string         `json:"code"`
	Message  string         `json:"message"`
	Severity string         `json:"severity"` // info | warning | critical
	Details  map[string]any `json:"details,omitempty"`
}

// Location is a GPS fix as stored: WGS-84 plus what was sent.
type Location struct {
	Lat, Lng  float64 // WGS-84
	AccuracyM *float64
	CRS       geo.CRS // as sent
	SrcLat    float64
	SrcLng    float64
	FixTime   *time.Time
	IsMock    *bool
}

// WiFi is the access point the phone was connected to.
type WiFi struct {
	BSSID string
	SSID  string
}

// AppDevice identifies the phone.
type AppDevice struct {
	ID       string
	Platform string
	Rooted   *bool
	DevMode  *bool
}

// Punch is a stored punch.
type Punch struct {
	ID               uuid.UUID
	TenantID         uuid.UUID
	EmployeeID       uuid.UUID
	Kind             string
	Source           string
	Verdict          string
	ClientPunchID    *uuid.UUID
	OccurredAt       time.Time
	ReceivedAt       time.Time
	ClientTime       *time.Time
	SiteID           *uuid.UUID
	SiteName         *string
	DistanceM        *float64
	Containment      *string
	NearestSiteID    *uuid.UUID
	NearestSiteName  *string
	NearestDistanceM *float64
	Location         *Location
	WiFi             *WiFi
	Device           *AppDevice
	PhotoID          *uuid.UUID
	Signals          []Signal
	Score            float64
	Offline          bool
	DeviceID         *uuid.UUID // the terminal that recorded it (source terminal)
	OfflineClock     *OfflineClock
	FieldVisit       *FieldVisit
}

// NextActions tells the app what it can offer after this punch.
func (p Punch) NextActions() []string {
	if p.Verdict == VerdictRejected {
		return []string{"retry", "makeup_request"}
	}
	return []string{"none"}
}

// NewAppPunch is a punch sent by the mobile app: a GPS fix (Lat, Lng,
// AccuracyM, CRS, FixTime, IsMock), a Wi-Fi access point, or both.
type NewAppPunch struct {
	ClientPunchID uuid.UUID
	Kind          string
	ClientTime    *time.Time
	// NoLocation marks a Wi-Fi-only punch: the fix fields are unset.
	NoLocation bool
	Lat, Lng   float64
	AccuracyM  float64
	CRS        string
	FixTime    *time.Time
	IsMock     *bool
	WiFi       *WiFi
	PhotoID    *uuid.UUID
	Device     *AppDevice
	Offline    *OfflineClock
	FieldVisit *FieldVisit
}

// OfflineClock is what the app reports to date a punch it queued offline.
type OfflineClock struct {
	DeviceTime         time.Time  `json:"device_time"`
	ElapsedMs          *int64     `json:"elapsed_ms,omitempty"`
	DeviceTimeAtUpload *time.Time `json:"device_time_at_upload,omitempty"`
	ElapsedMsAtUpload  *int64     `json:"elapsed_ms_at_upload,omitempty"`
	BootID             string     `json:"boot_id,omitempty"`
	BootIDAtUpload     string     `json:"boot_id_at_upload,omitempty"`
}

// FieldVisit is a field check-in (外勤) at a customer outside the geofences.
type FieldVisit struct {
	Note     string `json:"note"`
	Customer string `json:"customer,omitempty"`
}

// Validate checks what the schema cannot (finite numbers, known systems).
func (n NewAppPunch) Validate() error {
	var f errs.Fields
	if n.ClientPunchID == uuid.Nil {
		f.Add("client_punch_id", "required", "send a UUID chosen by the app")
	}
	if n.Kind != KindIn && n.Kind != KindOut {
		f.Add("kind", "invalid_kind", "kind must be in or out")
	}
	if n.NoLocation && n.WiFi == nil {
		f.Add("location", "required", "send a GPS fix (location), a Wi-Fi access point (wifi), or both")
	}
	if n.FieldVisit != nil && n.NoLocation {
		f.Add("location", "required", "a field check-in needs a GPS fix")
	}
	if n.FieldVisit != nil {
		if l := len([]rune(strings.TrimSpace(n.FieldVisit.Note))); l < 1 || l > 500 {
			f.Add("field_visit.note", "invalid_length", "describe the visit in 1–500 characters")
		}
	}
	if n.NoLocation {
		return f.Err()
	}
	if err := (geo.Point{Lat: n.Lat, Lng: n.Lng}).Validate(); err != nil {
		f.Add("location", "invalid_coordinates", "lat must be in [-90, 90] and lng in [-180, 180]")
	}
	if math.IsNaN(n.AccuracyM) || math.IsInf(n.AccuracyM, 0) || n.AccuracyM < 0 || n.AccuracyM > 100000 {
		f.Add("location.accuracy_m", "invalid_accuracy", "accuracy_m must be between 0 and 100000 metres")
	}
	if n.CRS != "" {
		if _, err := geo.ParseCRS(n.CRS); err != nil {
			f.Add("location.crs", "invalid_crs", "crs must be wgs84, gcj02 or bd09")
		}
	}
	return f.Err()
}
