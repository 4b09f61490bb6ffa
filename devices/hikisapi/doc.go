// Package hikisapi is the pure protocol layer for Hikvision access-control
// terminals (DS-K1T3xx/6xx/67x/68x, DS-K1A) that push events to a server
// configured under ISAPI "HTTP listening"
// (PUT /ISAPI/Event/notification/httpHosts, parameterFormatType=JSON). It
// parses a request body into an Event; it does no I/O, reads no
// configuration and never reads the clock.
//
// # Protocol facts this package relies on
//
//   - The device POSTs each event to the configured URL. The body is either
//     plain JSON with one event, or multipart/form-data (boundary usually
//     MIME_boundary) with a JSON part named AccessControllerEvent (some
//     firmware: event_log) and an optional Picture JPEG part
//     (Content-ID: pictureImage). Part headers and Content-Length are not
//     reliable across firmware, so the multipart reader here is lenient.
//   - Heartbeats are {"eventType":"heartBeat",...}, every 30 s by default.
//   - dateTime is ISO 8601 with the device's UTC offset, e.g.
//     "2026-02-24T19:45:13+08:00".
//   - A punch is majorEventType 5 with a "verify pass" subEventType (75 face,
//     1 card, 38 fingerprint, 77 employee no.+face, 181 password, ...; see
//     Event.IsPass). Fail codes (9, 39, 76, ...) are logged only. Sub type
//     214 is a keypad public-password unlock with an empty employeeNoString:
//     a door event, not a punch.
//   - The person is employeeNoString (a string; "" for strangers and
//     password unlocks); old firmware sends an integer employeeNo.
//   - serialNo is the device's event counter: (device, serialNo) is the
//     dedupe key. frontSerialNo is the previous serial; currentEvent=false
//     marks an offline event being re-sent.
//   - attendanceStatus (checkIn, checkOut, breakIn, breakOut, overtimeIn,
//     overtimeOut) gives direction; "undefined" means no attendance key was
//     used and the per-door configuration decides.
//   - The body carries IP, MAC, deviceID and sometimes shortSerialNumber, but
//     rarely the full serial; the per-device token in the URL identifies the
//     device.
//   - The device ignores the response body; answer 200 quickly.
//
// Sources: Hikvision ISAPI access-control event push as emitted by device
// firmware and mirrored by public device simulators, HCNetSDK MINOR_*
// constants for sub event types, and the Device Network SDK guide for
// attendanceStatus values (see the terminal-protocols design note).
package hikisapi
