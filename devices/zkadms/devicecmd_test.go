package zkadms

import (
	"reflect"
	"testing"
)

// reply is the comparable core of a CmdReply.
type reply struct {
	ID     string
	Return int
	Valid  bool
	CMD    string
	Props  []Pair
}

func core(rs []CmdReply) []reply {
	out := make([]reply, len(rs))
	for i, r := range rs {
		out[i] = reply{r.ID, r.Return, r.ReturnValid, r.CMD, r.Props}
	}
	return out
}

func TestParseDeviceCmdReplies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []reply
	}{
		{
			name: "T8BatchedDoneAndFailed",
			body: "ID=101&Return=0&CMD=DATA\nID=102&Return=-10&CMD=DATA\n",
			want: []reply{{"101", 0, true, "DATA", nil}, {"102", -10, true, "DATA", nil}},
		},
		{
			name: "T8InfoMultiLineMB360",
			body: "ID=122&Return=0&CMD=INFO\n~DeviceName=MB360/ID\nMAC=00:17:61:10:79:9f\nTransactionCount=98\nUserCount=143\nFaceCount=141\nIPAddress=172.16.12.182\n~Platform=ZMM220_TFT\nFWVersion=Ver 8.0.4.2-I113-02\nPushVersion=Ver 2.0.36-20180926\n~SerialNumber=CEZU202360241\n",
			want: []reply{{"122", 0, true, "INFO", []Pair{
				{"DeviceName", "MB360/ID"}, {"MAC", "00:17:61:10:79:9f"}, {"TransactionCount", "98"},
				{"UserCount", "143"}, {"FaceCount", "141"}, {"IPAddress", "172.16.12.182"},
				{"Platform", "ZMM220_TFT"}, {"FWVersion", "Ver 8.0.4.2-I113-02"},
				{"PushVersion", "Ver 2.0.36-20180926"}, {"SerialNumber", "CEZU202360241"},
			}}},
		},
		{
			name: "T8SPECStringIDsNoTrailingLF",
			body: "ID=info8487&Return=0&CMD=DATA\nID=info8488&Return=0&CMD=DATA\nID=info8489&Return=0&CMD=DATA\nID=info7464&Return=0&CMD=DATA\nID=fp7464&Return=0&CMD=DATA",
			want: []reply{
				{"info8487", 0, true, "DATA", nil}, {"info8488", 0, true, "DATA", nil},
				{"info8489", 0, true, "DATA", nil}, {"info7464", 0, true, "DATA", nil},
				{"fp7464", 0, true, "DATA", nil},
			},
		},
		{
			name: "S0x90BatchWithNotSupported",
			body: "ID=1&Return=0&CMD=INFO\nID=2&Return=0&CMD=CHECK\nID=3&Return=-1002&CMD=DATA\n",
			want: []reply{{"1", 0, true, "INFO", nil}, {"2", 0, true, "CHECK", nil}, {"3", -1002, true, "DATA", nil}},
		},
		{
			name: "CRLFTerminated",
			body: "ID=7&Return=0&CMD=REBOOT\r\nID=8&Return=0&CMD=CLEAR_LOG\r\n",
			want: []reply{{"7", 0, true, "REBOOT", nil}, {"8", 0, true, "CLEAR_LOG", nil}},
		},
		{
			name: "NewlineSeparatedShellFormWithMultiLineContent",
			body: "ID=32\nReturn=0\nCMD=Shell\nContent=line one\nkey=value inside output\n\nlast\nID=33&Return=0&CMD=DATA\n",
			want: []reply{
				{"32", 0, true, "Shell", []Pair{{"Content", "line one\nkey=value inside output\n\nlast"}}},
				{"33", 0, true, "DATA", nil},
			},
		},
		{
			name: "VerifySumExtraAmpersandPairs",
			body: "ID=40&Return=0&CMD=VERIFY SUM&StartTime=2024-01-01 00:00:00&EndTime=2024-01-02 00:00:00&AttlogSum=17\n",
			want: []reply{{"40", 0, true, "VERIFY SUM", []Pair{{"StartTime", "2024-01-01 00:00:00"}, {"EndTime", "2024-01-02 00:00:00"}, {"AttlogSum", "17"}}}},
		},
		{
			name: "NonIntegerReturnKeptRaw",
			body: "ID=9&Return=ok&CMD=DATA\nID=10&CMD=DATA\n",
			want: []reply{{"9", 0, false, "DATA", nil}, {"10", 0, false, "DATA", nil}},
		},
		{
			name: "LinesBeforeFirstIDDropped",
			body: "stray=1\nnoise\nid=5&return=0&cmd=LOG\n",
			want: []reply{{"5", 0, true, "LOG", nil}},
		},
		{
			name: "EmptyBody",
			body: "",
			want: []reply{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := core(ParseDeviceCmdReplies([]byte(tt.body)))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}

	t.Run("ReturnRawAndSucceeded", func(t *testing.T) {
		t.Parallel()
		rs := ParseDeviceCmdReplies([]byte("ID=1&Return=0&CMD=DATA\nID=2&Return=-10&CMD=DATA\nID=3&Return=x&CMD=DATA"))
		if !rs[0].Succeeded() || rs[1].Succeeded() || rs[2].Succeeded() || rs[2].ReturnRaw != "x" {
			t.Errorf("replies = %+v", rs)
		}
		if rs[1].Line != 2 || rs[1].Raw != "ID=2&Return=-10&CMD=DATA" {
			t.Errorf("line/raw = %d %q", rs[1].Line, rs[1].Raw)
		}
	})

	t.Run("InfoPropertyLookup", func(t *testing.T) {
		t.Parallel()
		rs := ParseDeviceCmdReplies([]byte("ID=122&Return=0&CMD=INFO\n~SerialNumber=CEZU202360241\n"))
		if v, ok := rs[0].Get("serialnumber"); !ok || v != "CEZU202360241" {
			t.Errorf("SerialNumber = %q %v", v, ok)
		}
	})
}

func TestParseInfoQuery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    string
		want DeviceInfo
	}{
		{
			name: "T7HeartbeatInfo",
			v:    "Ver 2.0.12-20150625,0,0,0,192.168.16.27,10,7,15,0,111",
			want: DeviceInfo{Firmware: "Ver 2.0.12-20150625", IP: "192.168.16.27", FPAlgVer: "10", FaceAlgVer: "7", FacesPerUser: 15, FuncBits: "111"},
		},
		{
			name: "MB360FieldExample",
			v:    "Ver 8.0.4.2-I113-02,143,1,109,172.16.12.182,10,7,12,141,111",
			want: DeviceInfo{Firmware: "Ver 8.0.4.2-I113-02", UserCount: 143, FPCount: 1, AttCount: 109, IP: "172.16.12.182", FPAlgVer: "10", FaceAlgVer: "7", FacesPerUser: 12, FaceCount: 141, FuncBits: "111"},
		},
		{
			name: "NewerFirmwareExtraCounts",
			v:    "Ver 6.60,5,5,5,10.0.0.9,10,7,15,2,1111,3,4,5",
			want: DeviceInfo{Firmware: "Ver 6.60", UserCount: 5, FPCount: 5, AttCount: 5, IP: "10.0.0.9", FPAlgVer: "10", FaceAlgVer: "7", FacesPerUser: 15, FaceCount: 2, FuncBits: "1111", Extra: []string{"3", "4", "5"}},
		},
		{
			name: "ShortValueLeavesUnknowns",
			v:    "Ver 1\x00\n,x",
			want: DeviceInfo{Firmware: "Ver 1", UserCount: InfoUnknown, FPCount: InfoUnknown, AttCount: InfoUnknown, FacesPerUser: InfoUnknown, FaceCount: InfoUnknown},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ParseInfoQuery(tt.v); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want map[string]string
	}{
		{"SPECOptionsBody", "FingerFunOn=1,FaceFunOn=1,UserPicURLFunOn=1", map[string]string{"FingerFunOn": "1", "FaceFunOn": "1", "UserPicURLFunOn": "1"}},
		{"TildePrefixesStripped", "DeviceType=acc,~DeviceName=SpeedFace,IPAddress=192.168.1.201", map[string]string{"DeviceType": "acc", "DeviceName": "SpeedFace", "IPAddress": "192.168.1.201"}},
		{"CommaInsideValueSurvives", "TransTimes=00:00,14:05,Delay=10\n", map[string]string{"TransTimes": "00:00,14:05", "Delay": "10"}},
		{"LineSeparatedAndEmpty", "A=1\r\n\r\n,=x,B=2", map[string]string{"A": "1", "B": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ParseOptions([]byte(tt.body)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
