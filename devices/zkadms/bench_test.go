package zkadms

import (
	"fmt"
	"strings"
	"testing"
)

// backlog128 is a full MB10-VL backlog POST: 128 eleven-field lines, LF.
func backlog128() []byte {
	var b strings.Builder
	for i := range 128 {
		fmt.Fprintf(&b, "%d\t2025-01-29 %02d:%02d:%02d\t%d\t15\t0\t0\t0\t0\t0\t0\t%d\n", 40+i%50, 6+i/60, i%60, (i*7)%60, i%2, 10881+i)
	}
	return []byte(b.String())
}

func BenchmarkParseATTLOG(b *testing.B) {
	body := backlog128()
	if recs, bad := ParseATTLOG(body); len(recs) != 128 || len(bad) != 0 {
		b.Fatalf("fixture: %d records, %d bad", len(recs), len(bad))
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ParseATTLOG(body)
	}
	b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkParseDeviceCmdReplies(b *testing.B) {
	body := []byte("ID=122&Return=0&CMD=INFO\n~DeviceName=MB360/ID\nMAC=00:17:61:10:79:9f\nTransactionCount=98\nUserCount=143\nFaceCount=141\nIPAddress=172.16.12.182\n~Platform=ZMM220_TFT\nFWVersion=Ver 8.0.4.2-I113-02\nPushVersion=Ver 2.0.36-20180926\n~SerialNumber=CEZU202360241\nID=101&Return=0&CMD=DATA\nID=102&Return=-10&CMD=DATA\n")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ParseDeviceCmdReplies(body)
	}
}

func BenchmarkHandshakeBody(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		HandshakeBody("0316144680030", 8*3600)
	}
}
