package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// The exchanges of terminal-protocols.md Part B, byte for byte, over real
// HTTP through the echo server. Bodies are the design note's Go literals.

// handshakeBody is the SPEC example answer for SN 0316144680030 at +08:00:
// LF separators, no trailing LF, 265 bytes.
const handshakeBody = "GET OPTION FROM: 0316144680030\nATTLOGStamp=None\nOPERLOGStamp=9999\nATTPHOTOStamp=None\nErrorDelay=30\nDelay=10\nTransTimes=00:00;14:05\nTransInterval=1\nTransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\nTimeZone=8\nRealtime=1\nEncrypt=None"

// zkHeaders are what ZK firmware sends (and no Content-Type).
var zkHeaders = []string{"Connection", "close"}

// zkDevice registers a ZKTeco device in Asia/Shanghai and returns its id.
func (b *devBundle) zkDevice(serial string) string {
	b.tb.Helper()
	return b.device(serial, "zkteco-adms", "Asia/Shanghai")["id"].(string)
}

// wantText fails unless w is a text/plain answer with status and body.
func wantText(t testing.TB, w wire, status int, body string) {
	t.Helper()
	if w.Status != status || w.Body != body {
		t.Fatalf("answer %d %q, want %d %q", w.Status, w.Body, status, body)
	}
	if ct := w.Header.Get("Content-Type"); ct != "text/plain" {
		t.Fatalf("Content-Type %q, want text/plain", ct)
	}
	if cl := w.Header.Get("Content-Length"); cl != fmt.Sprint(len(body)) {
		t.Fatalf("Content-Length %q for %d bytes", cl, len(body))
	}
	if _, err := http.ParseTime(w.Header.Get("Date")); err != nil {
		t.Fatalf("Date header %q: %v", w.Header.Get("Date"), err)
	}
}

func TestZK_T1Handshake(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.zkDevice("0316144680030")
	t.Run("SPECExampleIsByteExact", func(t *testing.T) {
		w := b.send("GET", "/iclock/cdata?SN=0316144680030&options=all&pushver=2.2.14&language=83&pushcommkey=4a9594af164f2b9779b59e8554b5df26", nil)
		wantText(t, w, 200, handshakeBody)
		if len(w.Body) != 265 || !strings.HasPrefix(w.Body, "GET OPTION FROM: 0316144680030\n") {
			t.Fatalf("%d bytes", len(w.Body))
		}
		d, err := time.Parse(time.RFC1123, w.Header.Get("Date"))
		if err != nil || d.Location().String() != "GMT" && d.Location() != time.UTC {
			t.Fatalf("Date %q is not RFC1123 GMT: %v", w.Header.Get("Date"), err)
		}
	})
	t.Run("UnknownSerialIs403Error", func(t *testing.T) {
		wantText(t, b.send("GET", "/iclock/cdata?SN=UNKNOWN1&options=all", nil), 403, "ERROR")
	})
	t.Run("MissingSerialIs400", func(t *testing.T) {
		w := b.send("GET", "/iclock/cdata?options=all", nil)
		if w.Status != 400 {
			t.Fatalf("status %d", w.Status)
		}
	})
	t.Run("InvalidSerialIs400", func(t *testing.T) {
		if w := b.send("GET", "/iclock/cdata?SN=a%20b&options=all", nil); w.Status != 400 {
			t.Fatalf("status %d", w.Status)
		}
	})
}

func TestZK_T2SingleRealtimePunchWithoutContentType(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1156", nil)
	b.zkDevice("SERIAL87654321")
	body := "1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n"
	if len(body) != 35 {
		t.Fatalf("the capture is 35 bytes, not %d", len(body))
	}
	w := b.send("POST", "/iclock/cdata?SN=SERIAL87654321&table=ATTLOG&Stamp=9999", []byte(body), "Connection", "close")
	wantText(t, w, 200, "OK: 1")
	var pin, local, zone, verify, raw string
	var status int
	var occurred time.Time
	err := b.pool.QueryRow(context.Background(), `SELECT e.employee_no, to_char(p.device_local_time, 'YYYY-MM-DD HH24:MI:SS'),
		p.device_zone, p.status_code, p.verify_method, p.raw, p.occurred_at
		FROM punches p JOIN employees e ON e.tenant_id = p.tenant_id AND e.id = p.employee_id`).Scan(&pin, &local, &zone, &status, &verify, &raw, &occurred)
	if err != nil {
		t.Fatal(err)
	}
	if pin != "1156" || local != "2024-08-05 12:40:57" || zone != "Asia/Shanghai" || status != 1 || verify != "fingerprint" ||
		raw != "1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t" || !occurred.Equal(time.Date(2024, 8, 5, 4, 40, 57, 0, time.UTC)) {
		t.Fatalf("stored %s %s %s %d %s %q %v", pin, local, zone, status, verify, raw, occurred)
	}
	if p := b.punches("")[0]; p["kind"] != "out" {
		t.Fatalf("status 1 is check-out: %v", p)
	}
}

func TestZK_T3BatchWithCRLFAndTrailingTab(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1", nil)
	b.zkDevice("BOCK200961014")
	body := "1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\r\n1\t2024-07-28 10:41:21\t0\t1\t\t0\t0\t\r\n4\t2024-07-28 10:41:31\t0\t1\t\t0\t0\t\r\n"
	if len(body) != 99 {
		t.Fatalf("the capture is 99 bytes, not %d", len(body))
	}
	wantText(t, b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", []byte(body)), 200, "OK: 3")
	// Employee 1's two punches are punches; PIN 4 names nobody and is kept.
	if n := b.count(`SELECT count(*) FROM punches`); n != 2 {
		t.Fatalf("%d punches", n)
	}
	if n := b.count(`SELECT count(*) FROM device_quarantine WHERE pin = '4' AND reason = 'unknown_pin'`); n != 1 {
		t.Fatalf("%d quarantined", n)
	}
	if n := b.count(`SELECT (SELECT count(*) FROM punches WHERE raw LIKE '%' || chr(13) || '%' OR dedupe_key LIKE '%' || chr(13) || '%')
		+ (SELECT count(*) FROM device_quarantine WHERE pin LIKE '%' || chr(13) || '%' OR raw LIKE '%' || chr(13) || '%')`); n != 0 {
		t.Fatal("a stored record kept a CR")
	}
}

func TestZK_T6OperlogMirrorsUsersAndMakesNoPunches(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1160", nil)
	id := b.zkDevice("SERIAL87654321")
	oplog := "OPLOG 30\t0\t2024-08-05 12:48:25\t1160\t0\t0\t0\nOPLOG 6\t0\t2024-08-05 12:48:25\t1160\t0\t0\t0\n"
	user := "USER PIN=1160\tName=Isa004\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0\tViceCard=\n"
	if len(oplog) != 83 || len(user) != 91 {
		t.Fatalf("captures are 83 and 91 bytes, not %d and %d", len(oplog), len(user))
	}
	wantText(t, b.send("POST", "/iclock/cdata?SN=SERIAL87654321&table=OPERLOG&OpStamp=9999", []byte(oplog)), 200, "OK: 2")
	wantText(t, b.send("POST", "/iclock/cdata?SN=SERIAL87654321&table=OPERLOG&OpStamp=9999", []byte(user)), 200, "OK: 1")
	r := b.do("GET", "/v1/devices/"+id+"/users", b.ten.Admin, nil)
	want(t, r, 200)
	items := r.M(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["pin"] != "1160" || items[0].(map[string]any)["name"] != "Isa004" {
		t.Fatalf("mirror %s", r.Body)
	}
	if n := b.count(`SELECT count(*) FROM punches`); n != 0 {
		t.Fatalf("OPERLOG made %d punches", n)
	}
	r = b.do("GET", "/v1/device-events?kind=oplog&device_id="+id, b.ten.Admin, nil)
	want(t, r, 200)
	if n := len(r.M(t)["items"].([]any)); n != 2 {
		t.Fatalf("%d op-log events", n)
	}
	// The same upload again is the same op-log (idempotent).
	wantText(t, b.send("POST", "/iclock/cdata?SN=SERIAL87654321&table=OPERLOG&OpStamp=9999", []byte(oplog)), 200, "OK: 2")
	if n := b.count(`SELECT count(*) FROM device_events`); n != 2 {
		t.Fatalf("%d events after a replay", n)
	}
}

// queue queues a command through the admin API.
func (b *devBundle) queue(device string, body map[string]any) {
	b.tb.Helper()
	want(b.tb, b.do("POST", "/v1/devices/"+device+"/commands", b.ten.Admin, body), 201)
}

func TestZK_T7CommandsDeliveredExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	id := b.zkDevice("0316144680030")
	b.queue(id, map[string]any{"type": "user_update", "cmd_id": "101", "pin": "1001", "name": "Jane Doe"})
	b.queue(id, map[string]any{"type": "user_delete", "cmd_id": "102", "pin": "1002"})
	w := b.send("GET", "/iclock/getrequest?SN=0316144680030&INFO=Ver%202.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111", nil)
	wantText(t, w, 200, "C:101:DATA UPDATE USERINFO PIN=1001\tName=Jane Doe\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=\nC:102:DATA DELETE USERINFO PIN=1002\n")
	r := b.do("GET", "/v1/devices/"+id, b.ten.Admin, nil)
	want(t, r, 200)
	d := r.M(t)
	if d["firmware"] != "Ver 2.0.12-20150625" || d["ip"] != "192.168.16.27" || d["user_count"] != 0.0 {
		t.Fatalf("device info %s", r.Body)
	}
	t.Run("NoRedeliveryWhileSent", func(t *testing.T) {
		wantText(t, b.send("GET", "/iclock/getrequest?SN=0316144680030", nil), 200, "OK")
	})
	t.Run("RedeliveredWithTheSameIDWhenUnanswered", func(t *testing.T) {
		b.clock.Advance(101 * time.Second)
		w := b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
		if !strings.HasPrefix(w.Body, "C:101:DATA UPDATE USERINFO PIN=1001") || !strings.Contains(w.Body, "\nC:102:") {
			t.Fatalf("re-delivery %q", w.Body)
		}
		wantText(t, b.send("GET", "/iclock/getrequest?SN=0316144680030", nil), 200, "OK")
	})
	t.Run("ExpiredAfterThreeUnansweredDeliveries", func(t *testing.T) {
		b.clock.Advance(101 * time.Second)
		if w := b.send("GET", "/iclock/getrequest?SN=0316144680030", nil); !strings.HasPrefix(w.Body, "C:101:") {
			t.Fatalf("third delivery %q", w.Body)
		}
		b.clock.Advance(101 * time.Second)
		wantText(t, b.send("GET", "/iclock/getrequest?SN=0316144680030", nil), 200, "OK")
		if n := b.count(`SELECT count(*) FROM device_commands WHERE state = 'expired' AND attempts = 3`); n != 2 {
			t.Fatalf("%d expired", n)
		}
	})
}

func TestZK_T8CommandReplies(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	id := b.zkDevice("0316144680030")
	b.queue(id, map[string]any{"type": "user_update", "cmd_id": "101", "pin": "1001", "name": "Jane Doe"})
	b.queue(id, map[string]any{"type": "user_delete", "cmd_id": "102", "pin": "1002"})
	b.queue(id, map[string]any{"type": "info", "cmd_id": "122"})
	b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
	t.Run("BatchedWithAnError", func(t *testing.T) {
		wantText(t, b.send("POST", "/iclock/devicecmd?SN=0316144680030", []byte("ID=101&Return=0&CMD=DATA\nID=102&Return=-10&CMD=DATA\n")), 200, "OK")
		var state string
		var code *int
		b.pool.QueryRow(context.Background(), `SELECT state, return_code FROM device_commands WHERE cmd_id = '101'`).Scan(&state, &code)
		if state != "done" || code == nil || *code != 0 {
			t.Fatalf("101 %s %v", state, code)
		}
		b.pool.QueryRow(context.Background(), `SELECT state, return_code FROM device_commands WHERE cmd_id = '102'`).Scan(&state, &code)
		if state != "failed" || code == nil || *code != -10 {
			t.Fatalf("102 %s %v", state, code)
		}
		r := b.do("GET", "/v1/devices/"+id+"/commands?state=failed", b.ten.Admin, nil)
		want(t, r, 200)
		item := r.M(t)["items"].([]any)[0].(map[string]any)
		if item["return_code"] != -10.0 || !strings.Contains(fmt.Sprint(item["result"]), "PIN") {
			t.Fatalf("failed command %v", item)
		}
	})
	t.Run("MultiLineInfoStoresTheDeviceProperties", func(t *testing.T) {
		info := "ID=122&Return=0&CMD=INFO\n~DeviceName=MB360/ID\nMAC=00:17:61:10:79:9f\nTransactionCount=98\nUserCount=143\nFaceCount=141\nIPAddress=172.16.12.182\n~Platform=ZMM220_TFT\nFWVersion=Ver 8.0.4.2-I113-02\nPushVersion=Ver 2.0.36-20180926\n~SerialNumber=CEZU202360241\n"
		wantText(t, b.send("POST", "/iclock/devicecmd?SN=0316144680030", []byte(info)), 200, "OK")
		r := b.do("GET", "/v1/devices/"+id, b.ten.Admin, nil)
		want(t, r, 200)
		d := r.M(t)
		props := d["info"].(map[string]any)
		if props["DeviceName"] != "MB360/ID" || props["Platform"] != "ZMM220_TFT" || d["firmware"] != "Ver 8.0.4.2-I113-02" ||
			d["user_count"] != 143.0 || d["face_count"] != 141.0 || d["punch_count"] != 98.0 || d["ip"] != "172.16.12.182" {
			t.Fatalf("device %s", r.Body)
		}
	})
	t.Run("StringIDsAndUnknownIDsAreFine", func(t *testing.T) {
		body := "ID=info8487&Return=0&CMD=DATA\nID=info8488&Return=0&CMD=DATA\nID=info8489&Return=0&CMD=DATA\nID=info7464&Return=0&CMD=DATA\nID=fp7464&Return=0&CMD=DATA"
		wantText(t, b.send("POST", "/iclock/devicecmd?SN=0316144680030", []byte(body)), 200, "OK")
	})
	t.Run("RepliesOnTablelessCdata", func(t *testing.T) {
		b.queue(id, map[string]any{"type": "reboot", "cmd_id": "abc1"})
		b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
		wantText(t, b.send("POST", "/iclock/cdata?SN=0316144680030", []byte("ID=abc1&Return=0&CMD=REBOOT\n")), 200, "OK")
		if n := b.count(`SELECT count(*) FROM device_commands WHERE cmd_id = 'abc1' AND state = 'done'`); n != 1 {
			t.Fatal("the table-less reply was not recorded")
		}
	})
}

func TestZK_Routing(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "7", nil)
	b.zkDevice("CEZU202360241")
	for _, tc := range []struct {
		name, method, path, body, want string
	}{
		{"AspxSuffix", "GET", "/iclock/cdata.aspx?SN=CEZU202360241&options=all", "", "GET OPTION FROM: CEZU202360241\n"},
		{"UpperCasePath", "GET", "/ICLOCK/CDATA?SN=CEZU202360241&options=all", "", "GET OPTION FROM: CEZU202360241\n"},
		{"LowerCaseSN", "GET", "/iclock/cdata?sn=CEZU202360241&options=all", "", "GET OPTION FROM: CEZU202360241\n"},
		{"MB360QueryOrder", "GET", "/iclock/cdata?PushOptionsFlag=2&SN=CEZU202360241&language=69&options=all&pushver=2.4.0", "", "GET OPTION FROM: CEZU202360241\n"},
		{"AttlogOnAspx", "POST", "/iclock/cdata.aspx?SN=CEZU202360241&table=ATTLOG&Stamp=1", "7\t2024-01-01 08:00:00\t0\t1\n", "OK: 1"},
		{"Ping", "GET", "/iclock/ping?SN=CEZU202360241", "", "OK"},
		{"GetrequestAspx", "GET", "/iclock/getrequest.aspx?SN=CEZU202360241", "", "OK"},
		{"Options", "POST", "/iclock/cdata?SN=CEZU202360241&table=options", "FingerFunOn=1,FaceFunOn=1,~DeviceName=MB360/ID", "OK"},
		{"UnknownTableIsAcknowledged", "POST", "/iclock/cdata?SN=CEZU202360241&table=ERRORLOG", "ErrCode=1\n", "OK"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.body != "" {
				body = []byte(tc.body)
			}
			w := b.send(tc.method, tc.path, body)
			if w.Status != 200 || !strings.HasPrefix(w.Body, tc.want) {
				t.Fatalf("%s %s → %d %q", tc.method, tc.path, w.Status, w.Body)
			}
		})
	}
	t.Run("RTDataTime", func(t *testing.T) {
		w := b.send("GET", "/iclock/rtdata?SN=CEZU202360241&type=time", nil)
		if w.Status != 200 || !strings.HasPrefix(w.Body, "DateTime=") || !strings.HasSuffix(w.Body, ",ServerTZ=+0800") {
			t.Fatalf("rtdata %q", w.Body)
		}
	})
	t.Run("UnknownEndpointIs404", func(t *testing.T) {
		if w := b.send("GET", "/iclock/shell?SN=CEZU202360241", nil); w.Status != 404 {
			t.Fatalf("status %d", w.Status)
		}
	})
	t.Run("OptionsAreStored", func(t *testing.T) {
		var v string
		b.pool.QueryRow(context.Background(), `SELECT info->>'FaceFunOn' FROM devices`).Scan(&v)
		if v != "1" {
			t.Fatalf("FaceFunOn %q", v)
		}
	})
}

func TestZK_AttlogVariants(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	for _, no := range []string{"2", "3", "46", "1156"} {
		b.createEmployee(b.ten.Admin, no, nil)
	}
	b.zkDevice("CNYG213260182")
	for _, tc := range []struct {
		name, body, key string
		seq             *int64
		kind            string
		signal          string
		occurred        string
	}{
		{"TenFieldsMB560", "2\t2022-07-12 16:00:20\t1\t15\t\t0\t0\t\t\t43\n", "zk:2|2022-07-12T16:00:20", nil, "out", "", "2022-07-12T08:00:20Z"},
		{"ElevenFieldsWithSequenceMB10", "46\t2025-01-29 06:58:48\t0\t15\t0\t0\t0\t0\t0\t0\t10881\n46\t2025-01-29 17:58:48\t1\t15\t0\t0\t0\t0\t0\t0\t10882\n",
			"zk:46|2025-01-29T06:58:48", ptr64(10881), "in", "", "2025-01-28T22:58:48Z"},
		{"Status255FromAFaceUnit", "3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t0\t0\t\n", "zk:3|2023-10-16T08:38:16", nil, "in",
			"direction_unknown", "2023-10-16T00:38:16Z"},
		{"TimeOffset242WinsOverTheZone", "1156\t2024-08-05 12:40:57\t0\t1\t\t0\t0\t0\t0\t0\t+19800\t\n", "zk:1156|2024-08-05T12:40:57", nil, "in",
			"", "2024-08-05T07:10:57Z"},
		{"SlashesInTheDate", "1156\t2024/08/06 09:00:00\t0\t1\n", "zk:1156|2024-08-06T09:00:00", nil, "in", "", "2024-08-06T01:00:00Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lines := strings.Count(tc.body, "\n")
			wantText(t, b.send("POST", "/iclock/cdata?SN=CNYG213260182&table=ATTLOG&Stamp=9999", []byte(tc.body)), 200, fmt.Sprintf("OK: %d", lines))
			var kind, sig string
			var seq *int64
			var occ time.Time
			if err := b.pool.QueryRow(context.Background(), `SELECT kind, device_seq, occurred_at, coalesce((SELECT string_agg(s->>'code', ',')
				FROM jsonb_array_elements(signals) s), '') FROM punches WHERE dedupe_key = $1`, tc.key).Scan(&kind, &seq, &occ, &sig); err != nil {
				t.Fatalf("%s: %v", tc.key, err)
			}
			if kind != tc.kind || occ.UTC().Format(time.RFC3339) != tc.occurred || (tc.seq == nil) != (seq == nil) ||
				(seq != nil && *seq != *tc.seq) || sig != tc.signal {
				t.Fatalf("kind %s occurred %s seq %v signals %q", kind, occ.UTC().Format(time.RFC3339), seq, sig)
			}
		})
	}
}

func ptr64(v int64) *int64 { return &v }

func TestZK_BadLinesAreKeptAndTheRestGoesOn(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1", nil)
	id := b.zkDevice("BOCK200961014")
	body := "1\t2024-07-28 01:25:24\t0\t1\n1\tnot a time\t0\t1\n\t2024-07-28 02:00:00\t0\t1\n1\t2024-07-28 10:41:21\t0\t1\n1\t2024-07-2"
	wantText(t, b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", []byte(body)), 200, "OK: 2")
	if n := b.count(`SELECT count(*) FROM punches`); n != 2 {
		t.Fatalf("%d punches", n)
	}
	r := b.do("GET", "/v1/quarantine?reason=unparseable&device_id="+id, b.ten.Admin, nil)
	want(t, r, 200)
	var raws []string
	for _, it := range r.M(t)["items"].([]any) {
		raws = append(raws, it.(map[string]any)["raw"].(string))
	}
	if len(raws) != 3 || !strings.Contains(strings.Join(raws, "|"), "1\tnot a time\t0\t1") || !strings.Contains(strings.Join(raws, "|"), "1\t2024-07-2") {
		t.Fatalf("kept %q", raws)
	}
	// A replay keeps them once.
	b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", []byte(body))
	if n := b.count(`SELECT count(*) FROM device_quarantine`); n != 3 {
		t.Fatalf("%d kept after a replay", n)
	}
}

func TestZK_HistoryReplayCreatesNoDuplicates(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "46", nil)
	b.zkDevice("CNYG213260182")
	var all []string
	for i := 0; i < 300; i++ {
		ts := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * 37 * time.Minute)
		all = append(all, fmt.Sprintf("46\t%s\t%d\t15\t0\t0\t0\t0\t0\t0\t%d", ts.Format("2006-01-02 15:04:05"), i%2, 10000+i))
	}
	post := func(lines []string) string {
		return b.send("POST", "/iclock/cdata?SN=CNYG213260182&table=ATTLOG&Stamp=9999", []byte(strings.Join(lines, "\n")+"\n")).Body
	}
	for i := 0; i < len(all); i += 128 {
		post(all[i:min(i+128, len(all))])
	}
	// The device meets a "new" server pointer and replays everything,
	// in other batch boundaries, some lines realtime.
	for i := 0; i < len(all); i += 100 {
		if got := post(all[i:min(i+100, len(all))]); got != fmt.Sprintf("OK: %d", min(100, len(all)-i)) {
			t.Fatalf("replay answer %q", got)
		}
	}
	if got := post(all[7:8]); got != "OK: 1" {
		t.Fatalf("single replay %q", got)
	}
	if n := b.count(`SELECT count(*) FROM punches`); n != 300 {
		t.Fatalf("%d punches after a replay, want 300", n)
	}
}

// failInserts makes the next punch inserts fail (an outage between the
// device's POST and the commit) until the returned func is called.
func failInserts(t testing.TB, b *devBundle) func() {
	t.Helper()
	ctx := context.Background()
	_, err := b.pool.Exec(ctx, `CREATE TABLE test_outage (on_ boolean);
		INSERT INTO test_outage VALUES (true);
		CREATE FUNCTION test_outage() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF EXISTS (SELECT 1 FROM test_outage WHERE on_) THEN RAISE EXCEPTION 'simulated outage'; END IF; RETURN NEW; END $$;
		CREATE TRIGGER test_outage BEFORE INSERT ON punches FOR EACH ROW EXECUTE FUNCTION test_outage();`)
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := b.pool.Exec(ctx, `UPDATE test_outage SET on_ = false`); err != nil {
			t.Fatal(err)
		}
	}
}

func TestZK_OutageMidBatchIsRetriedExactlyOnce(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1", nil)
	b.zkDevice("BOCK200961014")
	body := []byte("1\t2024-07-28 01:25:24\t0\t1\n1\t2024-07-28 10:41:21\t1\t1\n")
	recover := failInserts(t, b)
	wantText(t, b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", body), 500, "ERROR")
	if n := b.count(`SELECT count(*) FROM punches`); n != 0 {
		t.Fatalf("a failed batch left %d punches", n)
	}
	recover()
	wantText(t, b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", body), 200, "OK: 2")
	wantText(t, b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", body), 200, "OK: 2")
	if n := b.count(`SELECT count(*) FROM punches`); n != 2 {
		t.Fatalf("%d punches, want 2", n)
	}
}

func TestZK_UnknownSerialBecomesAPendingDeviceIngestedOnApproval(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1", nil)
	body := []byte("1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\r\n1\t2024-07-28 10:41:21\t1\t1\t\t0\t0\t\r\n")
	wantText(t, b.send("GET", "/iclock/cdata?SN=NEWDEVICE1&options=all&pushver=2.4.0&language=69", nil), 403, "ERROR")
	for range 3 { // the device retries after ErrorDelay; kept once
		wantText(t, b.send("POST", "/iclock/cdata?SN=NEWDEVICE1&table=ATTLOG&Stamp=9999", body), 403, "ERROR")
	}
	r := b.do("GET", "/v1/devices/pending", b.ten.Admin, nil)
	want(t, r, 200)
	items := r.M(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("pending %s", r.Body)
	}
	p := items[0].(map[string]any)
	if p["serial"] != "NEWDEVICE1" || p["protocol"] != "zkteco-adms" || p["records"] != 2.0 || p["requests"] != 4.0 ||
		p["info"].(map[string]any)["pushver"] != "2.4.0" {
		t.Fatalf("pending device %v", p)
	}
	if n := b.count(`SELECT count(*) FROM punches`); n != 0 {
		t.Fatal("an unregistered device made punches")
	}
	r = b.do("POST", "/v1/devices/pending/NEWDEVICE1/approve", b.ten.Admin, map[string]any{"site_id": b.site, "timezone": "Asia/Shanghai", "name": "Gate"})
	want(t, r, 201)
	if m := r.M(t); m["replayed"] != 1.0 || m["device"].(map[string]any)["serial"] != "NEWDEVICE1" {
		t.Fatalf("approval %s", r.Body)
	}
	if n := b.count(`SELECT count(*) FROM punches`); n != 2 {
		t.Fatalf("%d punches after approval", n)
	}
	var received time.Time
	b.pool.QueryRow(context.Background(), `SELECT min(received_at) FROM punches`).Scan(&received)
	if received.After(b.clock.Now()) {
		t.Fatal("replayed punches keep the time they first arrived")
	}
	wantText(t, b.send("POST", "/iclock/cdata?SN=NEWDEVICE1&table=ATTLOG&Stamp=9999", body), 200, "OK: 2")
	if n := b.count(`SELECT count(*) FROM punches`); n != 2 {
		t.Fatalf("%d punches after the device's own retry", n)
	}
	r = b.do("GET", "/v1/devices/pending", b.ten.Admin, nil)
	if n := len(r.M(t)["items"].([]any)); n != 0 {
		t.Fatalf("%d still pending", n)
	}
	t.Run("AnotherTenantCannotClaimARegisteredSerial", func(t *testing.T) {
		other := b.newTenant("other")
		site := b.createSite(other.Admin, circleSite("X", 0, 0))
		r := b.do("POST", "/v1/devices", other.Admin, map[string]any{"serial": "NEWDEVICE1", "protocol": "zkteco-adms",
			"site_id": site, "timezone": "UTC"})
		want(t, r, 422, "validation_failed")
	})
}

func TestZK_DisabledDeviceRecordsAreKeptUntilEnabled(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1", nil)
	id := b.zkDevice("BOCK200961014")
	want(t, b.do("POST", "/v1/devices/"+id+"/disable", b.ten.Admin, nil), 200)
	wantText(t, b.send("POST", "/iclock/cdata?SN=BOCK200961014&table=ATTLOG&Stamp=9999", []byte("1\t2024-07-28 01:25:24\t0\t1\n")), 200, "OK: 1")
	if n := b.count(`SELECT count(*) FROM device_quarantine WHERE reason = 'device_disabled'`); n != 1 {
		t.Fatalf("%d kept", n)
	}
	r := b.do("POST", "/v1/devices/"+id+"/enable", b.ten.Admin, nil)
	want(t, r, 200)
	if n := b.count(`SELECT count(*) FROM punches`); n != 1 {
		t.Fatalf("%d punches after enabling", n)
	}
	if n := b.count(`SELECT count(*) FROM device_quarantine WHERE resolved_at IS NULL`); n != 0 {
		t.Fatal("the quarantined record stayed open")
	}
}

func TestZK_TimeRules(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "1", nil)
	b.device("NYC1", "zkteco-adms", "America/New_York")
	now := b.clock.Now()
	future := now.Add(2 * time.Hour).In(mustLoc(t, "America/New_York"))
	recent := now.Add(-time.Minute).In(mustLoc(t, "America/New_York"))
	for _, tc := range []struct {
		name, line, signal, verdict string
	}{
		{"DSTSummerIsUTCMinus4", "1\t2024-07-01 09:00:00\t0\t1", "", "accepted"},
		{"DSTWinterIsUTCMinus5", "1\t2024-01-15 09:00:00\t0\t1", "", "accepted"},
		{"Before2010IsFlaggedNotDropped", "1\t2000-01-01 00:00:05\t0\t1", "implausible_device_time", "flagged"},
		{"FutureIsFlagged", "1\t" + future.Format("2006-01-02 15:04:05") + "\t0\t1", "implausible_device_time", "flagged"},
		{"RealtimeIsAccepted", "1\t" + recent.Format("2006-01-02 15:04:05") + "\t1\t1", "", "accepted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantText(t, b.send("POST", "/iclock/cdata?SN=NYC1&table=ATTLOG", []byte(tc.line+"\n")), 200, "OK: 1")
			var verdict, sigs string
			var occ time.Time
			local := strings.Split(tc.line, "\t")[1]
			if err := b.pool.QueryRow(context.Background(), `SELECT verdict, signals::text, occurred_at FROM punches
				WHERE device_local_time = $1::timestamp`, local).Scan(&verdict, &sigs, &occ); err != nil {
				t.Fatal(err)
			}
			if verdict != tc.verdict || (tc.signal != "" && !strings.Contains(sigs, tc.signal)) {
				t.Fatalf("verdict %s signals %s", verdict, sigs)
			}
			wall, _ := time.ParseInLocation("2006-01-02 15:04:05", local, mustLoc(t, "America/New_York"))
			if !occ.Equal(wall) {
				t.Fatalf("occurred %v, want %v", occ, wall)
			}
		})
	}
	t.Run("DeviceClockAheadIsFlaggedDeviceClockSkew", func(t *testing.T) {
		// A real-time record 20 minutes ahead says the clock is off; the
		// next records are flagged for it.
		ahead := now.Add(20 * time.Minute).In(mustLoc(t, "America/New_York"))
		b.send("POST", "/iclock/cdata?SN=NYC1&table=ATTLOG", []byte("1\t"+ahead.Format("2006-01-02 15:04:05")+"\t0\t1\n"))
		var off int64
		b.pool.QueryRow(context.Background(), `SELECT clock_offset_ms FROM devices WHERE serial = 'NYC1'`).Scan(&off)
		if off < 19*60*1000 {
			t.Fatalf("offset %d ms", off)
		}
		b.send("POST", "/iclock/cdata?SN=NYC1&table=ATTLOG", []byte("1\t2024-02-01 09:00:00\t0\t1\n"))
		var sigs string
		b.pool.QueryRow(context.Background(), `SELECT signals::text FROM punches WHERE device_local_time = '2024-02-01 09:00:00'`).Scan(&sigs)
		if !strings.Contains(sigs, "device_clock_skew") {
			t.Fatalf("signals %s", sigs)
		}
	})
}

func mustLoc(t testing.TB, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// tinyJPEG is a tiny JPEG-looking payload (SOI, APP0, EOI): terminals' photos
// are stored as sent.
var tinyJPEG = []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, 0xd9}

func TestZK_AttphotoIsStoredAndLinkedToItsPunch(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "123", nil)
	b.zkDevice("0316144680030")
	photo := func(name string) []byte {
		return append([]byte(fmt.Sprintf("PIN=%s\nSN=0316144680030\nsize=%d\nCMD=uploadphoto\x00", name, len(tinyJPEG))), tinyJPEG...)
	}
	t.Run("PhotoAfterPunch", func(t *testing.T) {
		wantText(t, b.send("POST", "/iclock/cdata?SN=0316144680030&table=ATTLOG", []byte("123\t2018-11-21 17:34:55\t0\t15\n")), 200, "OK: 1")
		wantText(t, b.send("POST", "/iclock/cdata?SN=0316144680030&table=ATTPHOTO&Stamp=1", photo("20181121173455-123.jpg")), 200, "OK")
		if n := b.count(`SELECT count(*) FROM device_photos ph JOIN punches p ON p.id = ph.punch_id AND p.dedupe_key = 'zk:123|2018-11-21T17:34:55'`); n != 1 {
			t.Fatal("the photo is not linked to its punch")
		}
	})
	t.Run("PhotoBeforePunch", func(t *testing.T) {
		wantText(t, b.send("POST", "/iclock/fdata?SN=0316144680030&table=ATTPHOTO", photo("20181121180000-123.jpg")), 200, "OK")
		wantText(t, b.send("POST", "/iclock/cdata?SN=0316144680030&table=ATTLOG", []byte("123\t2018-11-21 18:00:00\t1\t15\n")), 200, "OK: 1")
		if n := b.count(`SELECT count(*) FROM device_photos ph JOIN punches p ON p.id = ph.punch_id AND p.dedupe_key = 'zk:123|2018-11-21T18:00:00'`); n != 1 {
			t.Fatal("the punch did not pick up its photo")
		}
	})
	t.Run("ThePhotoIsInTheMediaStore", func(t *testing.T) {
		var key string
		b.pool.QueryRow(context.Background(), `SELECT storage_key FROM device_photos LIMIT 1`).Scan(&key)
		got, err := os.ReadFile(filepath.Join(b.media, filepath.FromSlash(key)))
		if err != nil || string(got) != string(tinyJPEG) {
			t.Fatalf("stored photo: %v", err)
		}
	})
	t.Run("ResentPhotoIsStoredOnce", func(t *testing.T) {
		b.send("POST", "/iclock/cdata?SN=0316144680030&table=ATTPHOTO", photo("20181121173455-123.jpg"))
		if n := b.count(`SELECT count(*) FROM device_photos`); n != 2 {
			t.Fatalf("%d photos", n)
		}
	})
	t.Run("CutPhotoIsRefusedSoTheDeviceResends", func(t *testing.T) {
		cut := photo("20181121190000-123.jpg")
		if w := b.send("POST", "/iclock/cdata?SN=0316144680030&table=ATTPHOTO", cut[:len(cut)-5]); w.Status == 200 {
			t.Fatal("a cut photo was acknowledged")
		}
	})
}

func TestZK_RTLogFromAccessControlFirmware(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.createEmployee(b.ten.Admin, "5", nil)
	b.zkDevice("ACC0001")
	body := "time=2017-01-10 11:49:32\tpin=5\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=1\tverifytype=15\tindex=21\n" +
		"time=2017-01-10 11:49:40\tpin=0\tcardno=0\teventaddr=1\tevent=27\tinoutstatus=1\tverifytype=0\tindex=22\n"
	for range 2 {
		wantText(t, b.send("POST", "/iclock/cdata?SN=ACC0001&table=rtlog", []byte(body)), 200, "OK")
	}
	var kind, key string
	if err := b.pool.QueryRow(context.Background(), `SELECT kind, dedupe_key FROM punches`).Scan(&kind, &key); err != nil {
		t.Fatal(err)
	}
	if kind != "out" || key != "rt:21" {
		t.Fatalf("punch %s %s", kind, key)
	}
	if n := b.count(`SELECT count(*) FROM device_events WHERE type = 'event_27'`); n != 1 {
		t.Fatalf("%d door events", n)
	}
}

func TestZK_RawRequestLog(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	id := b.zkDevice("0316144680030")
	b.send("GET", "/iclock/cdata?SN=0316144680030&options=all&pushver=2.2.14", nil)
	b.send("POST", "/iclock/cdata?SN=0316144680030&table=NEWTABLE", []byte(strings.Repeat("x", 5000)))
	r := b.do("GET", "/v1/devices/"+id+"/requests", b.ten.Admin, nil)
	want(t, r, 200)
	items := r.M(t)["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("%d logged", len(items))
	}
	post, get := items[0].(map[string]any), items[1].(map[string]any)
	if post["method"] != "POST" || post["query"] != "SN=0316144680030&table=NEWTABLE" || post["body_bytes"] != 5000.0 ||
		len(post["body"].(string)) != 4096 || post["response"] != "OK" || post["status"] != 200.0 {
		t.Fatalf("logged POST %v", post)
	}
	if get["path"] != "/iclock/cdata" || get["response"] != handshakeBody {
		t.Fatalf("logged GET %v", get)
	}
}

func TestZK_EmployeeChangesQueueUserCommands(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.zkDevice("0316144680030")
	// Changes made through the API reach the terminal in the same commit
	// (org calls the devices hook inside the change's transaction).
	var empID string
	patch := func(fields map[string]any) {
		t.Helper()
		want(t, b.do("PATCH", "/v1/employees/"+empID, b.ten.Admin, fields), 200)
	}
	t.Run("NewEmployeeIsPushed", func(t *testing.T) {
		empID = b.createEmployee(b.ten.Admin, "1001", map[string]any{"name": "Jane Doe", "card_no": "123456789"})
		wantText(t, b.send("GET", "/iclock/getrequest?SN=0316144680030", nil), 200,
			"C:101:DATA UPDATE USERINFO PIN=1001\tName=Jane Doe\tPri=0\tPasswd=\tCard=123456789\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=\n")
	})
	t.Run("RenameIsPushed", func(t *testing.T) {
		patch(map[string]any{"name": "Jane Roe"})
		w := b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
		if !strings.HasPrefix(w.Body, "C:102:DATA UPDATE USERINFO PIN=1001\tName=Jane Roe\t") {
			t.Fatalf("%q", w.Body)
		}
	})
	t.Run("EmailChangeIsNot", func(t *testing.T) {
		patch(map[string]any{"email": "jane@example.com"})
		wantText(t, b.send("GET", "/iclock/getrequest?SN=0316144680030", nil), 200, "OK")
	})
	t.Run("NewEmployeeNumberDeletesTheOldPIN", func(t *testing.T) {
		patch(map[string]any{"employee_no": "2001"})
		w := b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
		if !strings.HasPrefix(w.Body, "C:103:DATA DELETE USERINFO PIN=1001\nC:104:DATA UPDATE USERINFO PIN=2001\t") {
			t.Fatalf("%q", w.Body)
		}
	})
	t.Run("LeavingDeletesTheUser", func(t *testing.T) {
		patch(map[string]any{"status": "left"})
		wantText(t, b.send("GET", "/iclock/getrequest?SN=0316144680030", nil), 200, "C:105:DATA DELETE USERINFO PIN=2001\n")
	})
	t.Run("SyncUsersPushesEveryone", func(t *testing.T) {
		b.createEmployee(b.ten.Admin, "3001", map[string]any{"name": "A"})
		b.createEmployee(b.ten.Admin, "3002", map[string]any{"name": "B"})
		w := b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
		if strings.Count(w.Body, "DATA UPDATE USERINFO") != 2 {
			t.Fatalf("new employees are pushed as they are created: %q", w.Body)
		}
		var dev string
		if err := b.pool.QueryRow(context.Background(), `SELECT id FROM devices`).Scan(&dev); err != nil {
			t.Fatal(err)
		}
		r := b.do("POST", "/v1/devices/"+dev+"/commands", b.ten.Admin, map[string]any{"type": "sync_users"})
		want(t, r, 201)
		// Everyone active and permitted at the device's site: the admin and
		// the two new ones (2001 has left).
		if n := len(r.M(t)["items"].([]any)); n != 3 {
			t.Fatalf("%d commands", n)
		}
		w = b.send("GET", "/iclock/getrequest?SN=0316144680030", nil)
		if strings.Count(w.Body, "DATA UPDATE USERINFO") != 3 || !strings.Contains(w.Body, "PIN=3002\tName=B\t") {
			t.Fatalf("%q", w.Body)
		}
	})
}

// zkSim is a ZKTeco device speaking ADMS over real HTTP: it keeps its own
// log of punches and a pointer to what the server acknowledged, posts in
// real time when it can and in 128-line batches when it has a backlog,
// polls for commands and answers them, the way MB-series firmware does.
type zkSim struct {
	t       testing.TB
	b       *devBundle
	sn      string
	log     []string // every punch the device recorded, in order
	pointer int      // punches the server acknowledged
	users   map[string]string
	posts   int
	refused int
}

func newZKSim(t testing.TB, b *devBundle, sn string) *zkSim {
	s := &zkSim{t: t, b: b, sn: sn, users: map[string]string{}}
	w := b.send("GET", "/iclock/cdata?SN="+sn+"&options=all&pushver=2.4.1&language=69", nil, zkHeaders...)
	if w.Status != 200 || !strings.Contains(w.Body, "TimeZone=8") {
		t.Fatalf("handshake %d %q", w.Status, w.Body)
	}
	return s
}

// punch records a punch on the device and pushes what is pending.
func (s *zkSim) punch(pin string, at time.Time, status int) {
	s.log = append(s.log, fmt.Sprintf("%s\t%s\t%d\t15\t0\t0\t0\t0\t0\t0\t%d", pin, at.Format("2006-01-02 15:04:05"), status, len(s.log)+1))
	s.push()
}

// push uploads everything after the pointer: one line in real time, 128 per
// POST for a backlog. A non-OK answer leaves the pointer where it is.
func (s *zkSim) push() bool {
	for s.pointer < len(s.log) {
		end := min(s.pointer+128, len(s.log))
		body := strings.Join(s.log[s.pointer:end], "\n") + "\n"
		w := s.b.send("POST", "/iclock/cdata?SN="+s.sn+"&table=ATTLOG&Stamp=9999", []byte(body), zkHeaders...)
		s.posts++
		if w.Status != 200 || w.Body != fmt.Sprintf("OK: %d", end-s.pointer) {
			s.refused++
			return false
		}
		s.pointer = end
	}
	return true
}

// replay re-sends the whole history, as a device does for a server it has
// not seen before.
func (s *zkSim) replay() {
	s.pointer = 0
	if !s.push() {
		s.t.Fatal("history replay refused")
	}
}

// poll asks for commands and answers each: user commands change the
// device's users; a delete of a user it does not have fails with -10.
func (s *zkSim) poll() int {
	w := s.b.send("GET", "/iclock/getrequest?SN="+s.sn+"&INFO=Ver%208.0.4.2,"+fmt.Sprint(len(s.users))+",0,"+fmt.Sprint(len(s.log))+",10.0.0.9,10,7,15,0,111", nil, zkHeaders...)
	if w.Status != 200 {
		s.t.Fatalf("poll %d %q", w.Status, w.Body)
	}
	if w.Body == "OK" {
		return 0
	}
	var replies []string
	for _, line := range strings.Split(strings.TrimSuffix(w.Body, "\n"), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || parts[0] != "C" {
			s.t.Fatalf("command line %q", line)
		}
		id, text := parts[1], parts[2]
		ret, echo := 0, "DATA"
		switch {
		case strings.HasPrefix(text, "DATA UPDATE USERINFO PIN="):
			f := strings.Split(strings.TrimPrefix(text, "DATA UPDATE USERINFO "), "\t")
			s.users[strings.TrimPrefix(f[0], "PIN=")] = strings.TrimPrefix(f[1], "Name=")
		case strings.HasPrefix(text, "DATA DELETE USERINFO PIN="):
			pin := strings.TrimPrefix(text, "DATA DELETE USERINFO PIN=")
			if _, ok := s.users[pin]; !ok {
				ret = -10
			}
			delete(s.users, pin)
		default:
			echo = strings.Fields(text)[0]
		}
		replies = append(replies, fmt.Sprintf("ID=%s&Return=%d&CMD=%s", id, ret, echo))
	}
	w = s.b.send("POST", "/iclock/devicecmd?SN="+s.sn, []byte(strings.Join(replies, "\n")+"\n"), zkHeaders...)
	if w.Status != 200 || w.Body != "OK" {
		s.t.Fatalf("devicecmd %d %q", w.Status, w.Body)
	}
	return len(replies)
}

// TestZK_DeviceSimulatorDay drives a day of one terminal: real-time
// punches of 30 employees and 2 strangers, command polls, user changes, an
// outage in the middle of the day (the device keeps its backlog and
// retries), and at night a replay of the whole history. Everything is
// stored exactly once.
func TestZK_DeviceSimulatorDay(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	for i := 1; i <= 30; i++ {
		b.createEmployee(b.ten.Admin, fmt.Sprint(i), map[string]any{"name": fmt.Sprintf("Worker %d", i)})
	}
	id := b.zkDevice("CNYG213260182")
	sim := newZKSim(t, b, "CNYG213260182")
	sh := mustLoc(t, "Asia/Shanghai")
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, sh)
	type ev struct {
		at     time.Time
		pin    string
		status int
	}
	var evs []ev
	for i := 1; i <= 32; i++ {
		pin := fmt.Sprint(i)
		in := day.Add(8*time.Hour + time.Duration(i*97%3600)*time.Second)
		evs = append(evs, ev{in, pin, 0}, ev{in.Add(4 * time.Hour), pin, 2}, ev{in.Add(5 * time.Hour), pin, 3},
			ev{in.Add(9*time.Hour + time.Duration(i)*time.Minute), pin, 1})
	}
	slices.SortFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
	b.queue(id, map[string]any{"type": "sync_users"})
	var heal func()
	commands := 0
	for i, e := range evs {
		switch i {
		case 40:
			heal = failInserts(t, b) // the database goes away mid-morning
		case 60:
			heal() // back; the device's next push sends its backlog
		}
		sim.punch(e.pin, e.at, e.status)
		if i%10 == 0 {
			commands += sim.poll()
		}
		if i == 70 {
			b.queue(id, map[string]any{"type": "user_delete", "pin": "999"})
			b.queue(id, map[string]any{"type": "info"})
		}
	}
	commands += sim.poll()
	if !sim.push() || sim.pointer != len(evs) {
		t.Fatalf("the backlog never drained: %d of %d", sim.pointer, len(evs))
	}
	if sim.refused < 15 {
		t.Fatalf("only %d refused posts during the outage", sim.refused)
	}
	sim.replay()
	const known, strangers = 30 * 4, 2 * 4
	if n := b.count(`SELECT count(*) FROM punches`); n != known {
		t.Fatalf("%d punches, want %d", n, known)
	}
	if n := b.count(`SELECT count(*) FROM device_quarantine WHERE reason = 'unknown_pin'`); n != strangers {
		t.Fatalf("%d quarantined, want %d", n, strangers)
	}
	if n := b.count(`SELECT count(*) FROM punches WHERE kind = 'out'`); n != 30*2 {
		t.Fatalf("%d out punches (check-out and break-out), want 60", n)
	}
	// Every command answered: the sync's user records (admin + 30), the
	// delete of a user the device never had (failed, -10) and INFO.
	if n := b.count(`SELECT count(*) FROM device_commands WHERE state = 'done'`); n != 32 || commands != 33 {
		t.Fatalf("%d done of %d answered", n, commands)
	}
	if n := b.count(`SELECT count(*) FROM device_commands WHERE state = 'failed' AND return_code = -10`); n != 1 {
		t.Fatal("the failed delete is not recorded")
	}
	if len(sim.users) != 31 {
		t.Fatalf("the device holds %d users", len(sim.users))
	}
	r := b.do("GET", "/v1/devices/"+id, b.ten.Admin, nil)
	want(t, r, 200)
	if d := r.M(t); d["status"] != "online" || d["firmware"] != "Ver 8.0.4.2" || d["punch_count"] != float64(len(evs)) {
		t.Fatalf("device %v", d)
	}
	t.Logf("%d punches in %d posts (%d refused during the outage), %d commands", len(evs), sim.posts, sim.refused, commands)
}

func TestZK_SecurityPushRegistry(t *testing.T) {
	t.Parallel()
	b := setupDevices(t)
	b.zkDevice("ACCF20M")
	w := b.send("GET", "/iclock/cdata?SN=ACCF20M&options=all&pushver=3.1.2&DeviceType=acc", nil)
	if w.Status != 200 || !strings.HasPrefix(w.Body, "registry=ok\nRegistryCode=") || !strings.Contains(w.Body, "\nSessionID=") {
		t.Fatalf("%d %q", w.Status, w.Body)
	}
	code := strings.SplitN(strings.SplitN(w.Body, "RegistryCode=", 2)[1], "\n", 2)[0]
	wantText(t, b.send("POST", "/iclock/registry?SN=ACCF20M", []byte("DeviceType=acc,~DeviceName=F20/M,FirmVer=AC Ver 5.7.8,IPAddress=10.0.0.7")), 200,
		"RegistryCode="+code)
	if w := b.send("POST", "/iclock/push?SN=ACCF20M", nil); w.Status != 200 || !strings.HasPrefix(w.Body, "ServerVersion=3.0.1\n") {
		t.Fatalf("%d %q", w.Status, w.Body)
	}
	var fw, name string
	b.pool.QueryRow(context.Background(), `SELECT firmware, info->>'DeviceName' FROM devices`).Scan(&fw, &name)
	if fw != "AC Ver 5.7.8" || name != "F20/M" {
		t.Fatalf("%q %q", fw, name)
	}
}
