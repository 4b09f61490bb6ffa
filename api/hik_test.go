package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// hikEvent is the C.2 face-terminal payload (terminal-protocols.md Part C).
const hikEvent = `{
  "ipAddress": "192.168.100.55",
  "portNo": 8000,
  "protocol": "HTTP",
  "macAddress": "e0:ca:3c:fc:a7:ce",
  "channelID": 1,
  "dateTime": "2026-02-24T19:45:13+08:00",
  "activePostCount": 1,
  "eventType": "AccessControllerEvent",
  "eventState": "active",
  "eventDescription": "Access Controller Event",
  "deviceID": "Default",
  "AccessControllerEvent": {
    "deviceName": "Access Controller",
    "majorEventType": 5,
    "subEventType": 75,
    "name": "Mateo Versace",
    "cardReaderKind": 1,
    "cardReaderNo": 1,
    "doorNo": 1,
    "verifyNo": 136,
    "employeeNoString": "123123123",
    "serialNo": 1199,
    "userType": "normal",
    "currentVerifyMode": "face",
    "frontSerialNo": 1198,
    "attendanceStatus": "undefined",
    "label": "",
    "statusValue": 0,
    "mask": "unknown",
    "helmet": "unknown",
    "picturesNumber": 1,
    "purePwdVerifyEnable": true,
    "FaceRect": {"height": 0.304, "width": 0.171, "x": 0.369, "y": 0.68}
  }
}`

// hikMultipart frames a JSON event and a picture the way the firmware does
// (C.2 wire framing).
func hikMultipart(event string, picture []byte) []byte {
	var b strings.Builder
	b.WriteString("--MIME_boundary\r\n")
	b.WriteString("Content-Disposition: form-data; name=\"AccessControllerEvent\"\r\n")
	b.WriteString("Content-Type: application/json\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n\r\n", len(event))
	b.WriteString(event + "\r\n")
	b.WriteString("--MIME_boundary\r\n")
	b.WriteString("Content-Disposition: form-data; name=\"Picture\"; filename=\"Picture.jpg\"\r\n")
	b.WriteString("Content-Type: image/jpeg\r\n")
	fmt.Fprintf(&b, "Content-Length: %d\r\n", len(picture))
	b.WriteString("Content-ID: pictureImage\r\n\r\n")
	b.WriteString(string(picture) + "\r\n")
	b.WriteString("--MIME_boundary--\r\n")
	return []byte(b.String())
}

// hikDevice registers a Hikvision device and returns its id and token.
func (b *devBundle) hikDevice(serial string, extra ...map[string]any) (string, string) {
	b.tb.Helper()
	d := b.device(serial, "hikvision-isapi", "Asia/Shanghai", extra...)
	tok, _ := d["token"].(string)
	if len(tok) < 40 {
		b.tb.Fatalf("a Hikvision device gets a URL token: %v", d)
	}
	return d["id"].(string), tok
}

func hikEventWith(serial int, sub int, status string, current string) string {
	e := strings.Replace(hikEvent, `"serialNo": 1199`, fmt.Sprintf(`"serialNo": %d`, serial), 1)
	e = strings.Replace(e, `"subEventType": 75`, fmt.Sprintf(`"subEventType": %d`, sub), 1)
	e = strings.Replace(e, `"attendanceStatus": "undefined"`, `"attendanceStatus": "`+status+`"`+current, 1)
	return e
}

func TestHik_Events(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "123123123", nil)
	id, tok := b.hikDevice("FY0597362")
	url := "/hik/events/" + tok
	t.Run("JSONFacePassIsAPunch", func(t *testing.T) {
		w := b.send("POST", url, []byte(hikEvent), "Content-Type", "application/json")
		if w.Status != 200 {
			t.Fatalf("%d %q", w.Status, w.Body)
		}
		ps := b.punches("")
		if len(ps) != 1 {
			t.Fatalf("%d punches", len(ps))
		}
		p := ps[0]
		if p["occurred_at"] != "2026-02-24T11:45:13Z" || p["kind"] != "in" {
			t.Fatalf("punch %v", p)
		}
		var key, zone, verify string
		b.pool.QueryRow(context.Background(), `SELECT dedupe_key, device_zone, verify_method FROM punches`).Scan(&key, &zone, &verify)
		if key != "hik:1199" || zone != "+08:00" || verify != "face" {
			t.Fatalf("stored %s %s %s", key, zone, verify)
		}
	})
	t.Run("ResentEventIsADuplicate", func(t *testing.T) {
		b.send("POST", url, []byte(hikEventWith(1199, 75, "undefined", `, "currentEvent": false`)), "Content-Type", "application/json")
		if n := b.count(`SELECT count(*) FROM punches`); n != 1 {
			t.Fatalf("%d punches", n)
		}
	})
	t.Run("MultipartWithPictureIsAPunchWithItsPhoto", func(t *testing.T) {
		body := hikMultipart(hikEventWith(1200, 75, "checkOut", ""), tinyJPEG)
		w := b.send("POST", url, body, "Content-Type", "multipart/form-data; boundary=MIME_boundary")
		if w.Status != 200 {
			t.Fatalf("%d %q", w.Status, w.Body)
		}
		var kind string
		if err := b.pool.QueryRow(context.Background(), `SELECT p.kind FROM punches p JOIN device_photos ph ON ph.punch_id = p.id
			WHERE p.dedupe_key = 'hik:1200'`).Scan(&kind); err != nil || kind != "out" {
			t.Fatalf("punch with photo: %s %v", kind, err)
		}
	})
	t.Run("MultipartWithoutContentTypeHeader", func(t *testing.T) {
		w := b.send("POST", url, hikMultipart(hikEventWith(1201, 1, "checkIn", ""), tinyJPEG))
		if w.Status != 200 || b.count(`SELECT count(*) FROM punches WHERE dedupe_key = 'hik:1201'`) != 1 {
			t.Fatalf("%d %q", w.Status, w.Body)
		}
	})
	t.Run("FailedVerificationIsAnAlarm", func(t *testing.T) {
		b.send("POST", url, []byte(hikEventWith(1202, 76, "undefined", "")), "Content-Type", "application/json")
		r := b.do("GET", "/v1/device-events?kind=alarm", b.ten.Admin, nil)
		want(t, r, 200)
		items := r.M(t)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["type"] != "verification_failed" || items[0].(map[string]any)["device_id"] != id {
			t.Fatalf("alarms %s", r.Body)
		}
		if n := b.count(`SELECT count(*) FROM punches WHERE dedupe_key = 'hik:1202'`); n != 0 {
			t.Fatal("a failed verification is not a punch")
		}
	})
	t.Run("PublicPasswordUnlockIsADoorEvent", func(t *testing.T) {
		e := strings.Replace(hikEventWith(1203, 214, "undefined", ""), `"employeeNoString": "123123123"`, `"employeeNoString": ""`, 1)
		b.send("POST", url, []byte(e), "Content-Type", "application/json")
		if n := b.count(`SELECT count(*) FROM device_events WHERE kind = 'door' AND dedupe_key = 'hik:1203'`); n != 1 {
			t.Fatal("no door event")
		}
	})
	t.Run("HeartbeatMarksTheDeviceSeen", func(t *testing.T) {
		b.advance(time.Hour)
		w := b.send("POST", url, []byte(`{"ipAddress":"192.168.100.55","dateTime":"2026-02-24T20:45:13+08:00","eventType":"heartBeat","eventState":"active"}`),
			"Content-Type", "application/json")
		if w.Status != 200 {
			t.Fatalf("%d", w.Status)
		}
		r := b.do("GET", "/v1/devices/"+id, b.ten.Admin, nil)
		want(t, r, 200)
		if d := r.M(t); d["status"] != "online" || d["last_seen_at"] != b.clock.Now().Format(time.RFC3339) {
			t.Fatalf("device %v", d)
		}
	})
	t.Run("XMLIsKeptRawAndAcknowledged", func(t *testing.T) {
		w := b.send("POST", url, []byte(`<EventNotificationAlert><eventType>AccessControllerEvent</eventType></EventNotificationAlert>`),
			"Content-Type", "application/xml")
		if w.Status != 200 || b.count(`SELECT count(*) FROM device_quarantine WHERE reason = 'unparseable' AND raw LIKE '<EventNotificationAlert>%'`) != 1 {
			t.Fatalf("%d %q", w.Status, w.Body)
		}
	})
	t.Run("UnknownTokenIs404", func(t *testing.T) {
		if w := b.send("POST", "/hik/events/not-a-token", []byte(hikEvent)); w.Status != 404 {
			t.Fatalf("%d", w.Status)
		}
	})
	t.Run("RotatedTokenReplacesTheOld", func(t *testing.T) {
		r := b.do("POST", "/v1/devices/"+id+"/rotate", b.ten.Admin, nil)
		want(t, r, 200)
		fresh := r.M(t)["token"].(string)
		if w := b.send("POST", url, []byte(hikEventWith(1300, 75, "undefined", ""))); w.Status != 404 {
			t.Fatalf("the old token still works: %d", w.Status)
		}
		if w := b.send("POST", "/hik/events/"+fresh, []byte(hikEventWith(1300, 75, "undefined", ""))); w.Status != 200 {
			t.Fatalf("the new token: %d", w.Status)
		}
	})
	t.Run("TheTokenIsNotInTheRawLog", func(t *testing.T) {
		if n := b.count(`SELECT count(*) FROM device_requests WHERE path LIKE '%' || $1 || '%' OR query LIKE '%' || $1 || '%'`, tok); n != 0 {
			t.Fatal("the token was logged")
		}
	})
}

func TestHik_UnknownEmployeeIsQuarantined(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	_, tok := b.hikDevice("FY0597363")
	b.send("POST", "/hik/events/"+tok, []byte(hikEvent), "Content-Type", "application/json")
	r := b.do("GET", "/v1/quarantine", b.ten.Admin, nil)
	want(t, r, 200)
	items := r.M(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("%s", r.Body)
	}
	q := items[0].(map[string]any)
	if q["pin"] != "123123123" || q["reason"] != "unknown_pin" || q["occurred_at"] != "2026-02-24T11:45:13Z" {
		t.Fatalf("quarantined %v", q)
	}
}
