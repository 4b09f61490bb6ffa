package zkadms

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// nonEmptyLines counts the lines a parser must account for.
func nonEmptyLines(body []byte) (n int, idLines int) {
	for _, l := range strings.Split(string(body), "\n") {
		l = strings.TrimRight(l, "\r")
		if l != "" {
			n++
		}
		if hasPrefixFold(l, "ID=") {
			idLines++
		}
	}
	return n, idLines
}

var attlogSeeds = []string{
	"1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n",
	"1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\r\n1\t2024-07-28 10:41:21\t0\t1\t\t0\t0\t\r\n4\t2024-07-28 10:41:31\t0\t1\t\t0\t0\t\r\n",
	"2\t2022-07-12 16:00:20\t1\t15\t\t0\t0\t\t\t43\n",
	"46\t2025-01-29 06:58:48\t0\t15\t0\t0\t0\t0\t0\t0\t10881\n",
	"3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t0\t0\t\n",
	"7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t36.5\t97.7\t+28800\teyJ9\n",
	"5\t1722861657\t0\t1\n\n\xff\t2024/8/5 7:04:09\n",
}

func FuzzParseATTLOG(f *testing.F) {
	for _, s := range attlogSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		recs, bad := ParseATTLOG(body)
		lines, _ := nonEmptyLines(body)
		if len(recs)+len(bad) != lines {
			t.Fatalf("%d records + %d bad != %d non-empty lines", len(recs), len(bad), lines)
		}
		prev := 0
		for _, r := range recs {
			if checkPIN(r.PIN) != nil || strings.TrimSpace(r.PIN) != r.PIN {
				t.Fatalf("accepted PIN %q", r.PIN)
			}
			if !utf8.ValidString(r.Raw) || strings.Contains(r.Raw, "\n") || strings.HasSuffix(r.Raw, "\r") {
				t.Fatalf("raw %q", r.Raw)
			}
			if r.Line <= prev {
				t.Fatalf("line numbers not increasing: %d after %d", r.Line, prev)
			}
			prev = r.Line
			if r.Seq != nil && r.TimeOffsetSec != nil {
				t.Fatal("both Seq and TimeOffsetSec set")
			}
			if o := r.TimeOffsetSec; o != nil && (*o%900 != 0 || *o > 14*3600 || *o < -14*3600) {
				t.Fatalf("offset %d", *o)
			}
		}
	})
}

func FuzzParseOPERLOG(f *testing.F) {
	for _, s := range []string{
		"OPLOG 30\t0\t2024-08-05 12:48:25\t1160\t0\t0\t0\nOPLOG 6\t0\t2024-08-05 12:48:25\t1160\t0\t0\t0\n",
		"USER PIN=1160\tName=Isa004\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0\tViceCard=\n",
		"USER PIN=88\tName=\xd5\xc5\xc8\xfd\tPri=14\n",
		"FP PIN=1\tFID=0\tSize=4\tValid=1\tTMP=QUJD\r\nBIODATA Pin=9\tTmp=AA==\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ops, bad := ParseOPERLOG(body)
		lines, _ := nonEmptyLines(body)
		if len(ops)+len(bad) != lines {
			t.Fatalf("%d ops + %d bad != %d lines", len(ops), len(bad), lines)
		}
		for _, o := range ops {
			if o.Kind == "" {
				t.Fatal("empty kind")
			}
			if u, ok := o.User(); ok && (checkPIN(u.PIN) != nil || !utf8.ValidString(u.Name)) {
				t.Fatalf("user %+v", u)
			}
			if _, ok := o.OpLog(); ok != (o.Kind == KindOPLOG) {
				t.Fatalf("OpLog accessor mismatch for kind %q", o.Kind)
			}
		}
	})
}

func FuzzParseRTLog(f *testing.F) {
	f.Add([]byte("time=2017-01-10 11:49:32\tpin=0\tcardno=0\teventaddr=1\tevent=27\tinoutstatus=1\tverifytype=0\tindex=21"))
	f.Add([]byte("time=2024-03-01 08:00:01\tpin=00042\tevent=0\tindex=7\r\npin=1\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, bad := ParseRTLog(body)
		lines, _ := nonEmptyLines(body)
		if len(evs)+len(bad) != lines {
			t.Fatalf("%d events + %d bad != %d lines", len(evs), len(bad), lines)
		}
		for _, e := range evs {
			if e.PIN != "" && checkPIN(e.PIN) != nil {
				t.Fatalf("PIN %q", e.PIN)
			}
		}
	})
}

func FuzzParseDeviceCmdReplies(f *testing.F) {
	for _, s := range []string{
		"ID=101&Return=0&CMD=DATA\nID=102&Return=-10&CMD=DATA\n",
		"ID=122&Return=0&CMD=INFO\n~DeviceName=MB360/ID\nMAC=00:17:61:10:79:9f\n",
		"ID=info8487&Return=0&CMD=DATA\nID=fp7464&Return=0&CMD=DATA",
		"ID=32\nReturn=0\nCMD=Shell\nContent=a\nb=c\n\nID=33&Return=x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		rs := ParseDeviceCmdReplies(body)
		_, ids := nonEmptyLines(body)
		if len(rs) != ids {
			t.Fatalf("%d replies for %d ID= lines", len(rs), ids)
		}
		for _, r := range rs {
			if r.ReturnValid && r.ReturnRaw == "" {
				t.Fatal("valid return without raw text")
			}
		}
	})
}

func FuzzParseATTPHOTO(f *testing.F) {
	f.Add(photoBody("PIN=20181121173455-123.jpg\nSN=0316144680030\nsize=22\nCMD=uploadphoto\x00", tinyJPEG))
	f.Add(photoBody("PIN=20240805124057-7.jpg\nSN=X\n", tinyJPEG))
	f.Add([]byte("PIN=20240805124057-7.jpg\nsize=22\nCMD=realupload\x00/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := ParseATTPHOTO(body)
		if err != nil {
			return
		}
		if len(p.Image) == 0 {
			t.Fatal("success without image")
		}
		if p.Size >= 0 && !p.Base64 && len(p.Image) != p.Size {
			t.Fatalf("image %d bytes, declared %d", len(p.Image), p.Size)
		}
		if p.PIN != "" && checkPIN(p.PIN) != nil {
			t.Fatalf("PIN %q", p.PIN)
		}
	})
}
