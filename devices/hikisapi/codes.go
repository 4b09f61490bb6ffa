package hikisapi

import "strings"

// MajorEvent is the majorEventType of access events (MAJOR_EVENT = 0x05).
const MajorEvent = 5

// SubEventPublicPasswordUnlock (0xd6) is a keypad unlock with a public
// password: a door event tied to no person, so neither a pass nor a fail.
const SubEventPublicPasswordUnlock = 214

// passSubEvents are the MAJOR_EVENT minor codes that mean "a person was
// verified" (HCNetSDK MINOR_* constants). Multi-verify "success" (0x10) is
// left out on purpose: each member of the group already produced their own
// pass event, and counting the group event too would double a punch.
var passSubEvents = map[int]string{
	0x01: "card pass",
	0x02: "card and password pass",
	0x26: "fingerprint pass",
	0x28: "card and fingerprint pass",
	0x2b: "card, fingerprint and password pass",
	0x2e: "fingerprint and password pass",
	0x36: "face and fingerprint pass",
	0x39: "face and password pass",
	0x3c: "face and card pass",
	0x3f: "face, password and fingerprint pass",
	0x42: "face, card and fingerprint pass",
	0x45: "employee no. and fingerprint pass",
	0x48: "employee no., fingerprint and password pass",
	0x4b: "face pass",
	0x4d: "employee no. and face pass",
	0x65: "employee no. and password pass",
	0x69: "person and ID card match",
	0x9c: "QR code pass",
	0xb5: "password pass",
}

// failSubEvents are the MAJOR_EVENT minor codes for a rejected verification
// (logged, never counted as a punch). Timeouts are not included: nobody was
// rejected.
var failSubEvents = map[int]string{
	0x03: "card and password fail",
	0x06: "card has no permission",
	0x07: "card outside valid period",
	0x08: "card expired",
	0x09: "invalid card",
	0x0a: "anti-passback fail",
	0x27: "fingerprint fail",
	0x29: "card and fingerprint fail",
	0x2c: "card, fingerprint and password fail",
	0x2f: "fingerprint and password fail",
	0x31: "fingerprint not enrolled",
	0x37: "face and fingerprint fail",
	0x3a: "face and password fail",
	0x3d: "face and card fail",
	0x40: "face, password and fingerprint fail",
	0x43: "face, card and fingerprint fail",
	0x46: "employee no. and fingerprint fail",
	0x49: "employee no., fingerprint and password fail",
	0x4c: "face fail",
	0x4e: "employee no. and face fail",
	0x50: "face not recognised",
	0x66: "employee no. and password fail",
	0x70: "person and ID card mismatch",
	0x96: "password fail",
	0x97: "password mismatch",
	0x9d: "QR code fail",
}

// IsPass reports whether the event is a successful verification of a person
// (major 5 and a pass sub type): the events that become punches. Pass sub
// types: 1 card, 2 card+password, 38 fingerprint, 40 card+fingerprint,
// 43 card+fingerprint+password, 46 fingerprint+password, 54 face+fingerprint,
// 57 face+password, 60 face+card, 63 face+password+fingerprint,
// 66 face+card+fingerprint, 69 employee no.+fingerprint,
// 72 employee no.+fingerprint+password, 75 face, 77 employee no.+face,
// 101 employee no.+password, 105 person+ID card, 156 QR code, 181 password.
// The caller still needs a non-empty EmployeeNo to attribute the punch.
func (e Event) IsPass() bool {
	_, ok := passSubEvents[e.SubEventType]
	return e.MajorEventType == MajorEvent && ok
}

// IsFail reports whether the event is a rejected verification (major 5 and
// a fail sub type): 3, 6–10 (card problems; 9 invalid card), 39 fingerprint,
// 41, 44, 47, 49, 55, 58, 61, 64, 67, 70, 73, 76 face, 78, 80, 102, 112,
// 150, 151 (password), 157 (QR code). Log these; they are not punches.
func (e Event) IsFail() bool {
	_, ok := failSubEvents[e.SubEventType]
	return e.MajorEventType == MajorEvent && ok
}

// IsHeartbeat reports whether the event is a keep-alive (eventType
// heartBeat, any case): update last-seen only.
func (e Event) IsHeartbeat() bool { return strings.EqualFold(e.EventType, EventTypeHeartbeat) }

// SubEventName describes a major-5 sub type for logs ("face pass",
// "invalid card", ...), or "" when it is not in the pass/fail tables.
func SubEventName(sub int) string {
	if s, ok := passSubEvents[sub]; ok {
		return s
	}
	if sub == SubEventPublicPasswordUnlock {
		return "door unlocked by public password"
	}
	return failSubEvents[sub]
}

// Direction is the punch direction derived from an event.
type Direction string

// Directions; DirectionUnknown means neither the event nor the door map
// says.
const (
	DirectionUnknown     Direction = ""
	DirectionIn          Direction = "in"
	DirectionOut         Direction = "out"
	DirectionBreakIn     Direction = "break-in"
	DirectionBreakOut    Direction = "break-out"
	DirectionOvertimeIn  Direction = "overtime-in"
	DirectionOvertimeOut Direction = "overtime-out"
)

// attendanceDirections maps attendanceStatus values (lower-cased).
var attendanceDirections = map[string]Direction{
	"checkin":     DirectionIn,
	"checkout":    DirectionOut,
	"breakin":     DirectionBreakIn,
	"breakout":    DirectionBreakOut,
	"overtimein":  DirectionOvertimeIn,
	"overtimeout": DirectionOvertimeOut,
}

// Direction returns the direction from attendanceStatus when the user
// pressed an attendance key. For "undefined" (no key used), an empty or an
// unknown value it falls back to doorMap[DoorNo], the per-device door
// configuration (on turnstiles door 1 is usually in and door 2 out), and
// finally DirectionUnknown.
func (e Event) Direction(doorMap map[int]Direction) Direction {
	if d, ok := attendanceDirections[strings.ToLower(strings.TrimSpace(e.AttendanceStatus))]; ok {
		return d
	}
	if d, ok := doorMap[e.DoorNo]; ok {
		return d
	}
	return DirectionUnknown
}
