package hikisapi

import (
	"bytes"
	"testing"
)

func FuzzParseEvent(f *testing.F) {
	f.Add(multipartCT, c2Multipart(faceEventJSON, tinyJPEG))
	f.Add("application/json", []byte(k1t673dxJSON))
	f.Add("", []byte(publicPasswordJSON))
	f.Add("application/json", []byte(heartbeatJSON))
	f.Add("multipart/form-data; boundary=X", []byte("--X\nContent-Type: application/json\n{\"eventType\":\"heartBeat\"}\n--X\n\n\xff\xd8\xff\n"))
	f.Add("multipart/form-data", []byte("--X\r\n\r\n{}\r\n--X--"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		orig := bytes.Clone(body)
		ev, err := ParseEvent(ct, body, 64)
		if !bytes.Equal(body, orig) {
			t.Fatal("ParseEvent modified its input")
		}
		if err != nil {
			if ev != nil {
				t.Fatal("event returned with an error")
			}
			return
		}
		if ev.EventType == "" || len(ev.Raw) == 0 || ev.Raw[0] != '{' {
			t.Fatalf("event without type or raw JSON: %+v", ev)
		}
		if len(ev.Picture) > 64 || (ev.PictureTooLarge && ev.Picture != nil) {
			t.Fatalf("picture limit not applied: %d bytes", len(ev.Picture))
		}
		if ev.IsPass() && ev.IsFail() {
			t.Fatal("both pass and fail")
		}
	})
}
