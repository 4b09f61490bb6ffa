package hikisapi

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// faceEventJSON is the C.2 face-terminal payload (subEventType 75).
const faceEventJSON = `{
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

// k1t673dxJSON is the DS-K1T673DX variant (HTTPS, short serial, combined
// verify mode).
const k1t673dxJSON = `{"ipAddress":"10.20.0.14","ipv6Address":"fe80::a6d5:c2ff:fe4e:339e","portNo":443,"protocol":"HTTPS","macAddress":"a4:d5:c2:4e:33:9e","channelID":1,"dateTime":"2026-03-02T08:59:41+05:00","activePostCount":1,"eventType":"AccessControllerEvent","eventState":"active","eventDescription":"Access Controller Event","shortSerialNumber":"FY0597362","AccessControllerEvent":{"deviceName":"DS-K1T673DX-NamDPI","majorEventType":5,"subEventType":75,"name":"Dilnoza K","cardReaderNo":1,"employeeNoString":"00417","serialNo":25523,"userType":"normal","currentVerifyMode":"faceOrFpOrCardOrPw","frontSerialNo":25522,"label":"","mask":"no","helmet":"unknown","picturesNumber":1,"purePwdVerifyEnable":true,"FaceRect":{"height":0.051,"width":0.092,"x":0.012,"y":0.511}}}`

// publicPasswordJSON is a keypad public-password unlock (subEventType 214).
const publicPasswordJSON = `{"eventType":"AccessControllerEvent","dateTime":"2026-06-02T13:23:29+08:00","AccessControllerEvent":{"majorEventType":5,"subEventType":214,"employeeNoString":"","mask":"unknown","unlockType":"password","deviceNo":"10010100000","currentEvent":false,"picturesNumber":1}}`

// heartbeatJSON is a keep-alive.
const heartbeatJSON = `{"ipAddress":"192.168.100.55","macAddress":"e0:ca:3c:fc:a7:ce","dateTime":"2026-02-24T19:45:43+08:00","activePostCount":1,"eventType":"heartBeat","eventState":"active","eventDescription":"heartBeat"}`

// tinyJPEG is a byte run that starts like a JPEG.
var tinyJPEG = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")

// c2Multipart frames a JSON event and a picture the way the C.2 wire framing
// shows (CRLF, Content-Length, Content-ID).
func c2Multipart(js string, pic []byte) []byte {
	var b bytes.Buffer
	b.WriteString("--MIME_boundary\r\n")
	b.WriteString("Content-Disposition: form-data; name=\"AccessControllerEvent\"\r\n")
	b.WriteString("Content-Type: application/json\r\n")
	b.WriteString("Content-Length: " + strconv.Itoa(len(js)) + "\r\n\r\n")
	b.WriteString(js + "\r\n")
	if pic != nil {
		b.WriteString("--MIME_boundary\r\n")
		b.WriteString("Content-Disposition: form-data; name=\"Picture\"; filename=\"Picture.jpg\"\r\n")
		b.WriteString("Content-Type: image/jpeg\r\n")
		b.WriteString("Content-Length: " + strconv.Itoa(len(pic)) + "\r\n")
		b.WriteString("Content-ID: pictureImage\r\n\r\n")
		b.Write(pic)
		b.WriteString("\r\n")
	}
	b.WriteString("--MIME_boundary--\r\n")
	return b.Bytes()
}

const multipartCT = "multipart/form-data; boundary=MIME_boundary"

func TestParseEventC2FacePass(t *testing.T) {
	t.Parallel()
	check := func(t *testing.T, ev *Event) {
		t.Helper()
		wantTime := time.Date(2026, 2, 24, 11, 45, 13, 0, time.UTC)
		if !ev.DateTime.Equal(wantTime) || ev.DateTimeNaive {
			t.Errorf("DateTime = %v naive=%v", ev.DateTime, ev.DateTimeNaive)
		}
		if _, off := ev.DateTime.Zone(); off != 8*3600 {
			t.Errorf("offset = %d, want +08:00 kept", off)
		}
		if ev.EventType != EventTypeAccessController || ev.MajorEventType != 5 || ev.SubEventType != 75 {
			t.Errorf("type = %q %d/%d", ev.EventType, ev.MajorEventType, ev.SubEventType)
		}
		if ev.EmployeeNo != "123123123" || ev.Name != "Mateo Versace" || ev.CardNo != "" {
			t.Errorf("person = %q %q %q", ev.EmployeeNo, ev.Name, ev.CardNo)
		}
		if ev.SerialNo == nil || *ev.SerialNo != 1199 || ev.FrontSerialNo == nil || *ev.FrontSerialNo != 1198 {
			t.Errorf("serials = %v %v", ev.SerialNo, ev.FrontSerialNo)
		}
		if ev.AttendanceStatus != "undefined" || ev.VerifyMode != "face" || ev.DoorNo != 1 || ev.CardReaderNo != 1 {
			t.Errorf("status/mode/door = %q %q %d %d", ev.AttendanceStatus, ev.VerifyMode, ev.DoorNo, ev.CardReaderNo)
		}
		if ev.MAC != "e0:ca:3c:fc:a7:ce" || ev.IP != "192.168.100.55" || ev.DeviceID != "Default" || ev.ShortSerial != "" {
			t.Errorf("device = %q %q %q %q", ev.MAC, ev.IP, ev.DeviceID, ev.ShortSerial)
		}
		if ev.CurrentEvent != nil || ev.PicturesNumber != 1 {
			t.Errorf("currentEvent=%v pictures=%d", ev.CurrentEvent, ev.PicturesNumber)
		}
		if !ev.IsPass() || ev.IsFail() || ev.IsHeartbeat() {
			t.Errorf("pass=%v fail=%v hb=%v", ev.IsPass(), ev.IsFail(), ev.IsHeartbeat())
		}
		if !bytes.Contains(ev.Raw, []byte(`"Mateo Versace"`)) {
			t.Errorf("raw = %s", ev.Raw)
		}
	}
	t.Run("PlainJSON", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("application/json", []byte(faceEventJSON), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		check(t, ev)
		if ev.Picture != nil {
			t.Error("picture from a JSON body")
		}
	})
	t.Run("MultipartWithPicture", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent(multipartCT, c2Multipart(faceEventJSON, tinyJPEG), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		check(t, ev)
		if !bytes.Equal(ev.Picture, tinyJPEG) || ev.PictureTooLarge {
			t.Errorf("picture = %x (too large %v)", ev.Picture, ev.PictureTooLarge)
		}
	})
}

func TestParseEventVariants(t *testing.T) {
	t.Parallel()

	t.Run("DSK1T673DX", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("application/json; charset=utf-8", []byte(k1t673dxJSON), 0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.ShortSerial != "FY0597362" || ev.VerifyMode != "faceOrFpOrCardOrPw" || ev.EmployeeNo != "00417" || *ev.SerialNo != 25523 {
			t.Errorf("event = %+v", ev)
		}
		if !ev.IsPass() || ev.DoorNo != 0 || ev.AttendanceStatus != "" {
			t.Errorf("pass=%v door=%d status=%q", ev.IsPass(), ev.DoorNo, ev.AttendanceStatus)
		}
		if _, off := ev.DateTime.Zone(); off != 5*3600 {
			t.Errorf("offset = %d", off)
		}
	})

	t.Run("PublicPasswordUnlock214IsNotAPunch", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("application/json", []byte(publicPasswordJSON), 0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.SubEventType != SubEventPublicPasswordUnlock || ev.EmployeeNo != "" || ev.UnlockType != "password" {
			t.Errorf("event = %+v", ev)
		}
		if ev.CurrentEvent == nil || *ev.CurrentEvent {
			t.Errorf("currentEvent = %v, want false", ev.CurrentEvent)
		}
		if ev.IsPass() || ev.IsFail() || SubEventName(ev.SubEventType) != "door unlocked by public password" {
			t.Errorf("pass=%v fail=%v name=%q", ev.IsPass(), ev.IsFail(), SubEventName(ev.SubEventType))
		}
	})

	t.Run("Heartbeat", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("application/json", []byte(heartbeatJSON), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !ev.IsHeartbeat() || ev.IsPass() || ev.DateTime.IsZero() || ev.MAC != "e0:ca:3c:fc:a7:ce" {
			t.Errorf("event = %+v", ev)
		}
	})

	t.Run("HeartbeatInMultipartLowercaseType", func(t *testing.T) {
		t.Parallel()
		body := "--MIME_boundary\r\nContent-Type: application/json\r\n\r\n{\"eventType\":\"heartbeat\"}\r\n--MIME_boundary--\r\n"
		ev, err := ParseEvent(multipartCT, []byte(body), 0)
		if err != nil || !ev.IsHeartbeat() || !ev.DateTime.IsZero() {
			t.Fatalf("ev=%+v err=%v", ev, err)
		}
	})

	t.Run("EventLogPartNameAndFailCode", func(t *testing.T) {
		t.Parallel()
		js := `{"eventType":"AccessControllerEvent","dateTime":"2026-07-07T22:55:56-03:00","AccessControllerEvent":{"majorEventType":5,"subEventType":9,"cardNo":"0012345678","currentVerifyMode":"cardOrFaceOrFp","serialNo":42}}`
		body := "--b1\r\nContent-Disposition: form-data; name=\"event_log\"\r\n\r\n" + js + "\r\n--b1--\r\n"
		ev, err := ParseEvent("multipart/form-data; boundary=b1", []byte(body), 1024)
		if err != nil {
			t.Fatal(err)
		}
		if !ev.IsFail() || ev.IsPass() || ev.CardNo != "0012345678" || SubEventName(9) != "invalid card" {
			t.Errorf("event = %+v", ev)
		}
		if _, off := ev.DateTime.Zone(); off != -3*3600 {
			t.Errorf("offset = %d", off)
		}
	})

	t.Run("LegacyIntegerEmployeeNoAndStringNumbers", func(t *testing.T) {
		t.Parallel()
		js := `{"eventType":"AccessControllerEvent","dateTime":"2021-05-01T08:00:00+07:00","AccessControllerEvent":{"majorEventType":"5","subEventType":"38","employeeNo":1024,"serialNo":"77","doorNo":2.0,"currentEvent":"true","cardReaderNo":null}}`
		ev, err := ParseEvent("", []byte(js), 0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.EmployeeNo != "1024" || !ev.IsPass() || *ev.SerialNo != 77 || ev.DoorNo != 2 || ev.CurrentEvent == nil || !*ev.CurrentEvent || ev.CardReaderNo != 0 {
			t.Errorf("event = %+v", ev)
		}
	})

	t.Run("EmployeeNoStringWinsOverLegacy", func(t *testing.T) {
		t.Parallel()
		js := `{"eventType":"AccessControllerEvent","AccessControllerEvent":{"majorEventType":5,"subEventType":1,"employeeNoString":"A-7","employeeNo":7}}`
		ev, err := ParseEvent("", []byte(js), 0)
		if err != nil || ev.EmployeeNo != "A-7" {
			t.Fatalf("ev=%+v err=%v", ev, err)
		}
	})

	t.Run("OddFieldTypesDoNotDropTheEvent", func(t *testing.T) {
		t.Parallel()
		js := `{"eventType":"AccessControllerEvent","dateTime":"2026-02-24T19:45:13+08:00","AccessControllerEvent":{"majorEventType":5,"subEventType":75,"employeeNoString":{"x":1},"serialNo":[1],"name":12,"doorNo":"one","currentEvent":"maybe"}}`
		ev, err := ParseEvent("", []byte(js), 0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.EmployeeNo != "" || ev.SerialNo != nil || ev.Name != "12" || ev.DoorNo != 0 || ev.CurrentEvent != nil || !ev.IsPass() {
			t.Errorf("event = %+v", ev)
		}
	})

	t.Run("NaiveDateTimeFlagged", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("", []byte(`{"eventType":"heartBeat","dateTime":"2026-02-24T19:45:13"}`), 0)
		if err != nil || !ev.DateTimeNaive || ev.DateTime.Hour() != 19 {
			t.Fatalf("ev=%+v err=%v", ev, err)
		}
	})

	t.Run("CompactOffsetAccepted", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("", []byte(`{"eventType":"heartBeat","dateTime":"2026-02-24T19:45:13+0800"}`), 0)
		if err != nil || ev.DateTimeNaive || !ev.DateTime.Equal(time.Date(2026, 2, 24, 11, 45, 13, 0, time.UTC)) {
			t.Fatalf("ev=%+v err=%v", ev, err)
		}
	})

	t.Run("EventTypeInferredFromObject", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("", []byte(`{"AccessControllerEvent":{"majorEventType":5,"subEventType":181,"employeeNoString":"9"}}`), 0)
		if err != nil || ev.EventType != EventTypeAccessController || !ev.IsPass() {
			t.Fatalf("ev=%+v err=%v", ev, err)
		}
	})

	t.Run("BOMAndTrailingBytesTolerated", func(t *testing.T) {
		t.Parallel()
		ev, err := ParseEvent("text/plain", []byte("\xEF\xBB\xBF \r\n"+heartbeatJSON+"\x00\x00garbage"), 0)
		if err != nil || !ev.IsHeartbeat() || !bytes.HasSuffix(ev.Raw, []byte("}")) {
			t.Fatalf("ev=%+v err=%v", ev, err)
		}
	})
}

func TestParseEventMultipartTolerance(t *testing.T) {
	t.Parallel()
	picPart := func(nl string) string {
		return "--X" + nl + "Content-Disposition: form-data; name=\"Picture\"" + nl + "Content-Type: image/jpeg" + nl + nl + string(tinyJPEG) + nl
	}
	tests := []struct {
		name    string
		ct      string
		body    string
		wantPic bool
	}{
		{
			name:    "LFOnlyLineBreaks",
			ct:      "multipart/form-data; boundary=X",
			body:    "--X\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\n\n" + faceEventJSON + "\n" + picPart("\n") + "--X--\n",
			wantPic: true,
		},
		{
			name: "QuotedBoundaryAndPreamble",
			ct:   `multipart/form-data; boundary="X"`,
			body: "preamble text\r\n--X\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n\r\n" + faceEventJSON + "\r\n--X--\r\nepilogue",
		},
		{
			name: "PartWithoutAnyHeaders",
			ct:   "multipart/form-data; boundary=X",
			body: "--X\r\n" + faceEventJSON + "\r\n--X--\r\n",
		},
		{
			name: "PartWithEmptyHeaderBlock",
			ct:   "multipart/form-data; boundary=X",
			body: "--X\r\n\r\n" + faceEventJSON + "\r\n--X--\r\n",
		},
		{
			name: "HeadersWithoutBlankLine",
			ct:   "multipart/form-data; boundary=X",
			body: "--X\r\nContent-Type: application/json\r\n" + faceEventJSON + "\r\n--X--\r\n",
		},
		{
			name:    "MissingClosingBoundary",
			ct:      "multipart/form-data; boundary=X",
			body:    "--X\r\nContent-Type: application/json\r\n\r\n" + faceEventJSON + "\r\n" + picPart("\r\n"),
			wantPic: true,
		},
		{
			name:    "BoundaryMissingFromHeader",
			ct:      "multipart/form-data",
			body:    "--X\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n\r\n" + faceEventJSON + "\r\n" + picPart("\r\n") + "--X--\r\n",
			wantPic: true,
		},
		{
			name: "WrongBoundaryInHeader",
			ct:   "multipart/form-data; boundary=MIME_boundary",
			body: "--X\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n\r\n" + faceEventJSON + "\r\n--X--\r\n",
		},
		{
			name: "NoContentTypeAtAll",
			ct:   "",
			body: "--X\r\n\r\n" + faceEventJSON + "\r\n--X--\r\n",
		},
		{
			name:    "PictureFirstAndUnnamedJPEG",
			ct:      "multipart/form-data; boundary=X",
			body:    "--X\r\n\r\n" + string(tinyJPEG) + "\r\n--X\r\nContent-Type: application/json\r\n\r\n" + faceEventJSON + "\r\n--X--\r\n",
			wantPic: true,
		},
		{
			name:    "UnnamedFirstJSONLookingPart",
			ct:      "multipart/form-data; boundary=X",
			body:    "--X\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\nhello\r\n--X\r\nContent-Disposition: form-data; name=\"data\"\r\n\r\n" + faceEventJSON + "\r\n" + picPart("\r\n") + "--X--",
			wantPic: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := ParseEvent(tt.ct, []byte(tt.body), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if ev.EmployeeNo != "123123123" || !ev.IsPass() {
				t.Errorf("event = %+v", ev)
			}
			if gotPic := ev.Picture != nil; gotPic != tt.wantPic || (gotPic && !bytes.Equal(ev.Picture, tinyJPEG)) {
				t.Errorf("picture = %x, want present=%v", ev.Picture, tt.wantPic)
			}
		})
	}
}

func TestParseEventPictureLimits(t *testing.T) {
	t.Parallel()
	body := c2Multipart(faceEventJSON, tinyJPEG)
	tests := []struct {
		name        string
		max         int64
		wantPic     bool
		wantTooLong bool
	}{
		{"FitsExactly", int64(len(tinyJPEG)), true, false},
		{"TooLargeDroppedEventKept", int64(len(tinyJPEG)) - 1, false, true},
		{"ZeroKeepsNoPicture", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := ParseEvent(multipartCT, body, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if (ev.Picture != nil) != tt.wantPic || ev.PictureTooLarge != tt.wantTooLong {
				t.Errorf("picture %d bytes, too large %v", len(ev.Picture), ev.PictureTooLarge)
			}
		})
	}
	t.Run("PictureDoesNotAliasBody", func(t *testing.T) {
		t.Parallel()
		b := bytes.Clone(body)
		ev, _ := ParseEvent(multipartCT, b, 1<<20)
		for i := range b {
			b[i] = 0
		}
		if !bytes.Equal(ev.Picture, tinyJPEG) || !bytes.Contains(ev.Raw, []byte("Mateo")) {
			t.Error("event aliases the request body")
		}
	})
}

func TestParseEventMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ct   string
		body string
		want error
	}{
		{"EmptyBody", "application/json", "", ErrEmptyBody},
		{"WhitespaceOnly", "application/json", " \r\n\t", ErrEmptyBody},
		{"XMLNotification", "application/xml", `<?xml version="1.0"?><EventNotificationAlert/>`, ErrUnsupportedFormat},
		{"PlainText", "text/plain", "OK", ErrUnsupportedFormat},
		{"TruncatedJSON", "application/json", `{"eventType":"AccessControllerEvent","AccessControllerEvent":{"majorEventType":5`, ErrMalformedJSON},
		{"JSONWithoutEvent", "application/json", `{"hello":"world"}`, ErrNoEvent},
		{"JSONArray", "application/json", `[{"eventType":"heartBeat"}]`, ErrUnsupportedFormat},
		{"BadDateTime", "application/json", `{"eventType":"heartBeat","dateTime":"yesterday"}`, ErrBadDateTime},
		{"MultipartWithoutJSONPart", multipartCT, "--MIME_boundary\r\nContent-Type: image/jpeg\r\n\r\n" + string(tinyJPEG) + "\r\n--MIME_boundary--\r\n", ErrNoEvent},
		{"MultipartOnlyClosingBoundary", multipartCT, "--MIME_boundary--\r\n", ErrUnsupportedFormat},
		{"MultipartNamedPartNotJSON", multipartCT, "--MIME_boundary\r\nContent-Disposition: form-data; name=\"AccessControllerEvent\"\r\n\r\n<xml/>\r\n--MIME_boundary--", ErrMalformedJSON},
		{"OversizedJSON", "application/json", `{"eventType":"heartBeat","pad":"` + strings.Repeat("x", MaxJSONPart) + `"}`, ErrPartTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev, err := ParseEvent(tt.ct, []byte(tt.body), 1024)
			if !errors.Is(err, tt.want) || ev != nil {
				t.Errorf("ev=%v err=%v, want %v", ev, err, tt.want)
			}
		})
	}
}

func TestDirection(t *testing.T) {
	t.Parallel()
	doors := map[int]Direction{1: DirectionIn, 2: DirectionOut}
	tests := []struct {
		name   string
		status string
		door   int
		doors  map[int]Direction
		want   Direction
	}{
		{"CheckIn", "checkIn", 2, doors, DirectionIn},
		{"CheckOut", "checkOut", 1, doors, DirectionOut},
		{"BreakIn", "breakIn", 0, nil, DirectionBreakIn},
		{"BreakOut", "breakOut", 0, nil, DirectionBreakOut},
		{"OvertimeIn", "overtimeIn", 0, nil, DirectionOvertimeIn},
		{"OvertimeOut", "overtimeOut", 0, nil, DirectionOvertimeOut},
		{"CaseInsensitive", "CHECKOUT", 0, nil, DirectionOut},
		{"UndefinedFallsBackToDoorOne", "undefined", 1, doors, DirectionIn},
		{"UndefinedFallsBackToDoorTwo", "undefined", 2, doors, DirectionOut},
		{"AbsentStatusFallsBack", "", 2, doors, DirectionOut},
		{"UnknownDoorIsUnknown", "undefined", 3, doors, DirectionUnknown},
		{"NoDoorMapIsUnknown", "undefined", 1, nil, DirectionUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := Event{AttendanceStatus: tt.status, DoorNo: tt.door}
			if got := e.Direction(tt.doors); got != tt.want {
				t.Errorf("Direction = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPassAndFailCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		major     int
		sub       int
		pass      bool
		fail      bool
		wantLabel string
	}{
		{"CardPass", 5, 1, true, false, "card pass"},
		{"FingerprintPass", 5, 38, true, false, "fingerprint pass"},
		{"FacePass", 5, 75, true, false, "face pass"},
		{"EmployeeNoAndFacePass", 5, 77, true, false, "employee no. and face pass"},
		{"PasswordPass", 5, 181, true, false, "password pass"},
		{"InvalidCard", 5, 9, false, true, "invalid card"},
		{"FingerprintFail", 5, 39, false, true, "fingerprint fail"},
		{"FaceFail", 5, 76, false, true, "face fail"},
		{"MultiVerifySuccessNotCounted", 5, 0x10, false, false, ""},
		{"DoorOpenNormalIsNeither", 5, 0x19, false, false, ""},
		{"PassCodeUnderOtherMajor", 3, 75, false, false, "face pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := Event{MajorEventType: tt.major, SubEventType: tt.sub}
			if e.IsPass() != tt.pass || e.IsFail() != tt.fail || SubEventName(tt.sub) != tt.wantLabel {
				t.Errorf("pass=%v fail=%v label=%q", e.IsPass(), e.IsFail(), SubEventName(tt.sub))
			}
		})
	}
}
