package fcmfake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/dakahq/daka/internal/fcmfake"
)

func post(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer %q is not JSON", b)
	}
	return resp.StatusCode, m
}

func TestServer(t *testing.T) {
	t.Parallel()
	fake := fcmfake.New(t)
	send := fake.Endpoint() + "/projects/p1/messages:send"
	for _, tc := range []struct {
		name, url, body string
		status          int
		errStatus       string
	}{
		{"AcceptsAMessageToAToken", send, `{"message":{"token":"a","data":{"k":"v"},"notification":{"title":"t"}}}`, 200, ""},
		{"AcceptsATopic", send, `{"message":{"topic":"news"}}`, 200, ""},
		{"RefusesTwoTargets", send, `{"message":{"token":"a","topic":"news"}}`, 400, "INVALID_ARGUMENT"},
		{"RefusesNoTarget", send, `{"message":{"data":{"k":"v"}}}`, 400, "INVALID_ARGUMENT"},
		{"RefusesDataThatIsNotAString", send, `{"message":{"token":"a","data":{"k":1}}}`, 400, "INVALID_ARGUMENT"},
		{"RefusesAPayloadOver4KB", send, `{"message":{"token":"a","data":{"k":"` + strings.Repeat("x", 4100) + `"}}}`, 400, "INVALID_ARGUMENT"},
		{"RefusesBrokenJSON", send, `{"message":`, 400, "INVALID_ARGUMENT"},
		{"AnswersNotFoundOffThePath", fake.URL() + "/projects/p1/messages:send", `{"message":{"token":"a"}}`, 404, "NOT_FOUND"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, m := post(t, tc.url, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, m)
			}
			if tc.status == 200 {
				if name, _ := m["name"].(string); !strings.HasPrefix(name, "projects/p1/messages/") {
					t.Errorf("name %v", m)
				}
				return
			}
			if e, _ := m["error"].(map[string]any); e == nil || e["status"] != tc.errStatus || e["code"] != float64(tc.status) {
				t.Errorf("error %v", m)
			}
		})
	}
}

func TestScripts(t *testing.T) {
	t.Parallel()
	fake := fcmfake.New(t)
	send := fake.Endpoint() + "/projects/p1/messages:send"
	fake.Script("a", fcmfake.Internal, fcmfake.Unregistered)
	fake.Always("b", fcmfake.QuotaExceeded)
	want := []struct {
		token  string
		status int
		code   string
	}{{"a", 500, "INTERNAL"}, {"a", 404, "UNREGISTERED"}, {"a", 200, ""}, {"b", 429, "QUOTA_EXCEEDED"}, {"b", 429, "QUOTA_EXCEEDED"}}
	for i, w := range want {
		status, m := post(t, send, `{"message":{"token":"`+w.token+`"}}`)
		if status != w.status {
			t.Fatalf("call %d: status %d, want %d", i, status, w.status)
		}
		if w.code != "" {
			details := m["error"].(map[string]any)["details"].([]any)
			d := details[0].(map[string]any)
			if d["@type"] != "type.googleapis.com/google.firebase.fcm.v1.FcmError" || d["errorCode"] != w.code {
				t.Errorf("call %d: details %v", i, details)
			}
		}
	}
	if n := len(fake.Calls()); n != 5 || fake.Accepted() != 1 || len(fake.Delivered("a")) != 1 || fake.Requests() != 5 {
		t.Errorf("calls %d, accepted %d, requests %d", n, fake.Accepted(), fake.Requests())
	}
}
