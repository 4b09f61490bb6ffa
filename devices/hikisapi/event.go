package hikisapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"
)

// MaxJSONPart is the largest event JSON accepted. Real events are 1–2 KB;
// the bound keeps a hostile part from being decoded.
const MaxJSONPart = 1 << 20

// Event types seen in the eventType field.
const (
	EventTypeAccessController = "AccessControllerEvent"
	EventTypeHeartbeat        = "heartBeat"
)

// jpegMagic starts every JPEG file.
var jpegMagic = []byte{0xFF, 0xD8, 0xFF}

// Event is one ISAPI "HTTP listening" push, normalised.
type Event struct {
	// EventType is the top-level eventType: "AccessControllerEvent",
	// "heartBeat", ...
	EventType string
	// DateTime is the top-level dateTime, which ISAPI sends with its UTC
	// offset ("2026-02-24T19:45:13+08:00"). Zero when absent.
	DateTime time.Time
	// DateTimeNaive is true when dateTime had no offset; DateTime then holds
	// the wall-clock fields in UTC and the caller attaches the device zone.
	DateTimeNaive bool
	// MajorEventType and SubEventType classify the event (5 = access event;
	// see IsPass / IsFail for the sub types).
	MajorEventType, SubEventType int
	// EmployeeNo is employeeNoString, or the legacy integer employeeNo of old
	// firmware; "" for stranger, public-password and door events.
	EmployeeNo string
	CardNo     string
	Name       string
	// SerialNo is the device's event serial (dedupe key with the device);
	// FrontSerialNo is the previous one.
	SerialNo      *int64
	FrontSerialNo *int64
	// AttendanceStatus is checkIn, checkOut, breakIn, breakOut, overtimeIn,
	// overtimeOut or undefined (no attendance key used).
	AttendanceStatus string
	// VerifyMode is currentVerifyMode: the configured mode (face, card, fp,
	// faceOrFpOrCardOrPw, ...), not necessarily what matched.
	VerifyMode   string
	DoorNo       int
	CardReaderNo int
	// MAC, IP, DeviceID and ShortSerial identify the device for cross-checks;
	// the URL token is the real identifier.
	MAC, IP, DeviceID, ShortSerial string
	// CurrentEvent is false for an offline event being re-sent; nil when
	// absent.
	CurrentEvent *bool
	// UnlockType is set on door-unlock events ("password" for a keypad
	// public-password unlock).
	UnlockType string
	// PicturesNumber is how many pictures the device says it attached;
	// PictureURL is set by firmware that links the picture instead.
	PicturesNumber int
	PictureURL     string
	// Picture is the first JPEG part (a copy), nil when absent, disallowed
	// or too large.
	Picture []byte
	// PictureTooLarge is true when a picture part exceeded maxPicture and
	// was dropped (the event itself is kept).
	PictureTooLarge bool
	// Raw is the event JSON as received (a copy).
	Raw json.RawMessage
}

// ParseEvent parses one ISAPI event push. contentType is the request's
// Content-Type (it may be empty or wrong: the body decides); maxPicture caps
// the picture kept in memory (<= 0 keeps none).
//
// Accepted bodies:
//   - plain JSON (one event object; leading BOM/whitespace and trailing
//     bytes after the object are tolerated);
//   - multipart/form-data with any boundary (from the header, or read from
//     the body's first line when the header lacks it or is wrong), where the
//     event is the part named AccessControllerEvent or event_log, else the
//     first JSON-looking part, and the picture is the part named Picture,
//     else the first image/* or JPEG-looking part. Part headers, their
//     Content-Length and the closing boundary may be missing.
//
// XML bodies fail with ErrUnsupportedFormat: configure the host with
// parameterFormatType=JSON.
func ParseEvent(contentType string, body []byte, maxPicture int64) (*Event, error) {
	trimmed := trimLeft(body)
	if len(trimmed) == 0 {
		return nil, ErrEmptyBody
	}
	if trimmed[0] == '{' {
		return decodeEvent(trimmed)
	}
	boundary := ""
	if mt, params, err := mime.ParseMediaType(contentType); err == nil && strings.HasPrefix(mt, "multipart/") {
		boundary = params["boundary"]
	}
	if len(boundary) > maxBoundary {
		boundary = ""
	}
	var parts []part
	if boundary != "" {
		parts = splitMultipart(body, boundary)
	}
	if len(parts) == 0 {
		if b := sniffBoundary(trimmed); b != "" {
			parts = splitMultipart(trimmed, b)
		}
	}
	if len(parts) == 0 {
		if trimmed[0] == '<' {
			return nil, fmt.Errorf("%w: XML (set parameterFormatType=JSON)", ErrUnsupportedFormat)
		}
		return nil, fmt.Errorf("%w: neither JSON nor multipart", ErrUnsupportedFormat)
	}
	js := pickJSON(parts)
	if js == nil {
		return nil, fmt.Errorf("%w: no JSON part among %d", ErrNoEvent, len(parts))
	}
	ev, err := decodeEvent(trimLeft(js.body))
	if err != nil {
		return nil, err
	}
	if pic := pickPicture(parts, js); pic != nil && maxPicture > 0 {
		if int64(len(pic.body)) > maxPicture {
			ev.PictureTooLarge = true
		} else {
			ev.Picture = bytes.Clone(pic.body)
		}
	}
	return ev, nil
}

// pickJSON chooses the event part.
func pickJSON(parts []part) *part {
	for i := range parts {
		if strings.EqualFold(parts[i].name, "AccessControllerEvent") || strings.EqualFold(parts[i].name, "event_log") {
			return &parts[i]
		}
	}
	for i := range parts {
		if strings.Contains(parts[i].ctype, "json") || bytes.HasPrefix(trimLeft(parts[i].body), []byte("{")) {
			return &parts[i]
		}
	}
	return nil
}

// pickPicture chooses the picture part (never the event part).
func pickPicture(parts []part, js *part) *part {
	for i := range parts {
		if &parts[i] != js && strings.EqualFold(parts[i].name, "Picture") && len(parts[i].body) > 0 {
			return &parts[i]
		}
	}
	for i := range parts {
		if &parts[i] != js && (strings.HasPrefix(parts[i].ctype, "image/") || bytes.HasPrefix(parts[i].body, jpegMagic)) && len(parts[i].body) > 0 {
			return &parts[i]
		}
	}
	return nil
}

// trimLeft drops a UTF-8 BOM and leading whitespace.
func trimLeft(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	return bytes.TrimLeft(b, " \t\r\n")
}

// wireEvent is the top level of the ISAPI JSON.
type wireEvent struct {
	IPAddress         flexString      `json:"ipAddress"`
	MACAddress        flexString      `json:"macAddress"`
	DateTime          flexString      `json:"dateTime"`
	EventType         flexString      `json:"eventType"`
	DeviceID          flexString      `json:"deviceID"`
	ShortSerialNumber flexString      `json:"shortSerialNumber"`
	ACE               json.RawMessage `json:"AccessControllerEvent"`
}

// wireACE is the AccessControllerEvent object.
type wireACE struct {
	MajorEventType    flexInt    `json:"majorEventType"`
	SubEventType      flexInt    `json:"subEventType"`
	Name              flexString `json:"name"`
	CardReaderNo      flexInt    `json:"cardReaderNo"`
	DoorNo            flexInt    `json:"doorNo"`
	EmployeeNoString  flexString `json:"employeeNoString"`
	EmployeeNo        flexString `json:"employeeNo"`
	CardNo            flexString `json:"cardNo"`
	SerialNo          flexInt64  `json:"serialNo"`
	FrontSerialNo     flexInt64  `json:"frontSerialNo"`
	AttendanceStatus  flexString `json:"attendanceStatus"`
	CurrentVerifyMode flexString `json:"currentVerifyMode"`
	CurrentEvent      flexBool   `json:"currentEvent"`
	UnlockType        flexString `json:"unlockType"`
	PicturesNumber    flexInt    `json:"picturesNumber"`
	PictureURL        flexString `json:"pictureURL"`
}

// decodeEvent decodes the first JSON value of b into an Event.
func decodeEvent(b []byte) (*Event, error) {
	if len(b) > MaxJSONPart {
		return nil, fmt.Errorf("%w: %d bytes", ErrPartTooLarge, len(b))
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("%w: not an object", ErrMalformedJSON)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var w wireEvent
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformedJSON, err)
	}
	raw := b[:dec.InputOffset()]
	ev := &Event{
		EventType:   strings.TrimSpace(string(w.EventType)),
		IP:          string(w.IPAddress),
		MAC:         string(w.MACAddress),
		DeviceID:    string(w.DeviceID),
		ShortSerial: string(w.ShortSerialNumber),
		Raw:         json.RawMessage(bytes.Clone(raw)),
	}
	hasACE := len(w.ACE) > 0 && w.ACE[0] == '{'
	if hasACE {
		var a wireACE
		if err := json.Unmarshal(w.ACE, &a); err != nil {
			return nil, fmt.Errorf("%w: AccessControllerEvent: %w", ErrMalformedJSON, err)
		}
		ev.MajorEventType = int(a.MajorEventType)
		ev.SubEventType = int(a.SubEventType)
		ev.Name = string(a.Name)
		ev.CardReaderNo = int(a.CardReaderNo)
		ev.DoorNo = int(a.DoorNo)
		ev.EmployeeNo = strings.TrimSpace(string(a.EmployeeNoString))
		if legacy := strings.TrimSpace(string(a.EmployeeNo)); ev.EmployeeNo == "" && legacy != "" && legacy != "0" {
			ev.EmployeeNo = legacy
		}
		ev.CardNo = strings.TrimSpace(string(a.CardNo))
		if a.SerialNo.ok {
			v := a.SerialNo.v
			ev.SerialNo = &v
		}
		if a.FrontSerialNo.ok {
			v := a.FrontSerialNo.v
			ev.FrontSerialNo = &v
		}
		ev.AttendanceStatus = string(a.AttendanceStatus)
		ev.VerifyMode = string(a.CurrentVerifyMode)
		if a.CurrentEvent.ok {
			v := a.CurrentEvent.v
			ev.CurrentEvent = &v
		}
		ev.UnlockType = string(a.UnlockType)
		ev.PicturesNumber = int(a.PicturesNumber)
		ev.PictureURL = string(a.PictureURL)
	}
	if ev.EventType == "" {
		if !hasACE {
			return nil, fmt.Errorf("%w: no eventType", ErrNoEvent)
		}
		ev.EventType = EventTypeAccessController
	}
	if s := strings.TrimSpace(string(w.DateTime)); s != "" {
		t, naive, err := parseDateTime(s)
		if err != nil {
			return nil, err
		}
		ev.DateTime, ev.DateTimeNaive = t, naive
	}
	return ev, nil
}

// Layouts tried for dateTime, with offset first.
var (
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999-0700", "2006-01-02T15:04:05.999999999-07"}
	naiveLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"}
)

// parseDateTime parses an ISAPI dateTime.
func parseDateTime(s string) (time.Time, bool, error) {
	if len(s) > 64 {
		return time.Time{}, false, fmt.Errorf("%w: %.40q", ErrBadDateTime, s)
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, false, nil
		}
	}
	for _, l := range naiveLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%w: %.40q", ErrBadDateTime, s)
}
