package zkadms

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func wall(s string) time.Time {
	t, err := time.Parse(zkLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

func i64(v int64) *int64 { return &v }
func iptr(v int) *int    { return &v }

// att builds the expected record; Line and Raw are checked separately.
func att(pin, ts string, status, verify int, extra ...string) AttRecord {
	r := AttRecord{PIN: pin, LocalTime: wall(ts), Status: status, Verify: verify}
	if len(extra) > 0 {
		r.Extra = extra
	}
	return r
}

func withSeq(r AttRecord, v int64) AttRecord  { r.Seq = &v; return r }
func withOff(r AttRecord, v int) AttRecord    { r.TimeOffsetSec = &v; return r }
func withWC(r AttRecord, wc string) AttRecord { r.WorkCode = wc; return r }

type badWant struct {
	line   int
	reason error
}

func TestParseATTLOG(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		want  []AttRecord
		lines []int // expected Line of each record
		bad   []badWant
	}{
		{
			name:  "T2SingleRealtimePunchX100C",
			body:  "1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n",
			want:  []AttRecord{att("1156", "2024-08-05 12:40:57", 1, 1, "0", "0")},
			lines: []int{1},
		},
		{
			name: "T3BatchCRLFTrailingTab",
			body: "1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\r\n1\t2024-07-28 10:41:21\t0\t1\t\t0\t0\t\r\n4\t2024-07-28 10:41:31\t0\t1\t\t0\t0\t\r\n",
			want: []AttRecord{
				att("1", "2024-07-28 01:25:24", 0, 1, "0", "0"),
				att("1", "2024-07-28 10:41:21", 0, 1, "0", "0"),
				att("4", "2024-07-28 10:41:31", 0, 1, "0", "0"),
			},
			lines: []int{1, 2, 3},
		},
		{
			name:  "MB560VLTenFieldsUnknownTenth",
			body:  "2\t2022-07-12 16:00:20\t1\t15\t\t0\t0\t\t\t43\n",
			want:  []AttRecord{att("2", "2022-07-12 16:00:20", 1, 15, "0", "0", "", "", "43")},
			lines: []int{1},
		},
		{
			name:  "MB10VLElevenFieldsSequence",
			body:  "46\t2025-01-29 06:58:48\t0\t15\t0\t0\t0\t0\t0\t0\t10881\n",
			want:  []AttRecord{withSeq(withWC(att("46", "2025-01-29 06:58:48", 0, 15, "0", "0", "0", "0", "0", "10881"), "0"), 10881)},
			lines: []int{1},
		},
		{
			name: "MB10VLBacklogSequencesIncrement",
			body: "46\t2025-01-29 06:58:48\t0\t15\t0\t0\t0\t0\t0\t0\t10881\n47\t2025-01-29 06:59:02\t1\t15\t0\t0\t0\t0\t0\t0\t10882\n",
			want: []AttRecord{
				withSeq(withWC(att("46", "2025-01-29 06:58:48", 0, 15, "0", "0", "0", "0", "0", "10881"), "0"), 10881),
				withSeq(withWC(att("47", "2025-01-29 06:59:02", 1, 15, "0", "0", "0", "0", "0", "10882"), "0"), 10882),
			},
			lines: []int{1, 2},
		},
		{
			name:  "FaceUnitStatus255TrailingTab",
			body:  "3\t2023-10-16 08:38:16\t255\t15\t0\t0\t0\t255\t0\t0\t\n",
			want:  []AttRecord{withWC(att("3", "2023-10-16 08:38:16", 255, 15, "0", "0", "255", "0", "0"), "0")},
			lines: []int{1},
		},
		{
			name:  "SPEC242SignedTimeOffsetPositive",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t36.5\t97.7\t+28800\t\n",
			want:  []AttRecord{withOff(att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "36.5", "97.7", "+28800"), 28800)},
			lines: []int{1},
		},
		{
			name:  "SPEC242SignedTimeOffsetNegative",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t0\t0\t-18000\teyJncHMiOjF9\n",
			want:  []AttRecord{withOff(att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "-18000", "eyJncHMiOjF9"), -18000)},
			lines: []int{1},
		},
		{
			name:  "SignedZeroIsUTCOffset",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t0\t0\t+0\n",
			want:  []AttRecord{withOff(att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "+0"), 0)},
			lines: []int{1},
		},
		{
			name:  "SignedButNotAnOffsetIsIgnored",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t0\t0\t+28801\n",
			want:  []AttRecord{att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "+28801")},
			lines: []int{1},
		},
		{
			name:  "SignedBeyondFourteenHoursIsIgnored",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t0\t0\t+54000\n",
			want:  []AttRecord{att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "+54000")},
			lines: []int{1},
		},
		{
			name:  "UnsignedMultipleOf900SingleLineIsOffset",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t0\t0\t19800\n",
			want:  []AttRecord{withOff(att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "19800"), 19800)},
			lines: []int{1},
		},
		{
			name:  "UnsignedZeroIsIgnored",
			body:  "7\t2025-03-01 09:00:00\t0\t15\t0\t0\t0\t0\t0\t0\t0\n",
			want:  []AttRecord{withWC(att("7", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "0"), "0")},
			lines: []int{1},
		},
		{
			name: "BatchWithAnyNonOffsetValueIsAllSequence",
			body: "1\t2025-01-29 06:58:48\t0\t15\t0\t0\t0\t0\t0\t0\t10800\n2\t2025-01-29 06:58:50\t0\t15\t0\t0\t0\t0\t0\t0\t10801\n",
			want: []AttRecord{
				withSeq(withWC(att("1", "2025-01-29 06:58:48", 0, 15, "0", "0", "0", "0", "0", "10800"), "0"), 10800),
				withSeq(withWC(att("2", "2025-01-29 06:58:50", 0, 15, "0", "0", "0", "0", "0", "10801"), "0"), 10801),
			},
			lines: []int{1, 2},
		},
		{
			name: "BatchOfEqualOffsetsIsAllOffset",
			body: "1\t2025-03-01 09:00:00\t0\t15\t\t0\t0\t0\t0\t0\t28800\n2\t2025-03-01 09:01:00\t1\t15\t\t0\t0\t0\t0\t0\t28800\n",
			want: []AttRecord{
				withOff(att("1", "2025-03-01 09:00:00", 0, 15, "0", "0", "0", "0", "0", "28800"), 28800),
				withOff(att("2", "2025-03-01 09:01:00", 1, 15, "0", "0", "0", "0", "0", "28800"), 28800),
			},
			lines: []int{1, 2},
		},
		{
			name:  "PINKeepsLeadingZeros",
			body:  "000123\t2024-08-05 12:40:57\t0\t1\n",
			want:  []AttRecord{att("000123", "2024-08-05 12:40:57", 0, 1)},
			lines: []int{1},
		},
		{
			name:  "AlphanumericPINTrimmed",
			body:  " A12b \t2024-08-05 12:40:57\t0\t1\n",
			want:  []AttRecord{att("A12b", "2024-08-05 12:40:57", 0, 1)},
			lines: []int{1},
		},
		{
			name:  "SlashDateTolerated",
			body:  "5\t2024/08/05 12:40:57\t0\t1\n",
			want:  []AttRecord{att("5", "2024-08-05 12:40:57", 0, 1)},
			lines: []int{1},
		},
		{
			name:  "SingleDigitDatePartsTolerated",
			body:  "5\t2024/8/5 7:04:09\t0\t1\n",
			want:  []AttRecord{att("5", "2024-08-05 07:04:09", 0, 1)},
			lines: []int{1},
		},
		{
			name:  "EmptyStatusIsZero",
			body:  "5\t2024-08-05 12:40:57\t\t15\n",
			want:  []AttRecord{att("5", "2024-08-05 12:40:57", 0, 15)},
			lines: []int{1},
		},
		{
			name:  "NonIntegerStatusAndVerifyKeptAsUnknown",
			body:  "5\t2024-08-05 12:40:57\tx\ty\n",
			want:  []AttRecord{att("5", "2024-08-05 12:40:57", StatusUnknown, VerifyUnknown)},
			lines: []int{1},
		},
		{
			name:  "PINAndTimeOnly",
			body:  "5\t2024-08-05 12:40:57",
			want:  []AttRecord{att("5", "2024-08-05 12:40:57", 0, 0)},
			lines: []int{1},
		},
		{
			name:  "EmptyLinesSkippedButCounted",
			body:  "\n\r\n5\t2024-08-05 12:40:57\t0\t1\n\n",
			want:  []AttRecord{att("5", "2024-08-05 12:40:57", 0, 1)},
			lines: []int{3},
		},
		{
			name: "BadLinesDoNotStopTheBatch",
			body: "1\t2024-07-28 01:25:24\t0\t1\n\t2024-07-28 01:25:25\t0\t1\nonlyonefield\n2\tyesterday\t0\t1\n3\t2024-07-28 01:25:26\t0\t1\n4\t2024-07-2",
			want: []AttRecord{
				att("1", "2024-07-28 01:25:24", 0, 1),
				att("3", "2024-07-28 01:25:26", 0, 1),
			},
			lines: []int{1, 5},
			bad:   []badWant{{2, ErrEmptyPIN}, {3, ErrTooFewFields}, {4, ErrBadTime}, {6, ErrBadTime}},
		},
		{
			name: "WhitespaceIsNeverCollapsed",
			body: "1\t\t2024-07-28 01:25:24\t0\n1 2024-07-28 01:25:24 0 1\n",
			bad:  []badWant{{1, ErrBadTime}, {2, ErrTooFewFields}},
		},
		{
			name: "PINTooLong",
			body: strings.Repeat("9", 33) + "\t2024-07-28 01:25:24\t0\t1\n",
			bad:  []badWant{{1, ErrPINTooLong}},
		},
		{
			name: "PINWithControlCharacter",
			body: "1\x002\t2024-07-28 01:25:24\t0\t1\n",
			bad:  []badWant{{1, ErrBadPIN}},
		},
		{
			name: "InvalidUTF8RejectedRawKept",
			body: "1\xff\t2024-07-28 01:25:24\t0\t1\n",
			bad:  []badWant{{1, ErrInvalidUTF8}},
		},
		{
			name: "ImpossibleDateRejected",
			body: "1\t2024-02-30 01:25:24\t0\t1\n1\t2024-13-01 01:25:24\t0\t1\n",
			bad:  []badWant{{1, ErrBadTime}, {2, ErrBadTime}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, bad := ParseATTLOG([]byte(tt.body))
			if len(got) != len(tt.want) {
				t.Fatalf("got %d records, want %d (bad: %+v)", len(got), len(tt.want), bad)
			}
			for i := range got {
				if got[i].Line != tt.lines[i] {
					t.Errorf("record %d: Line = %d, want %d", i, got[i].Line, tt.lines[i])
				}
				if strings.HasSuffix(got[i].Raw, "\r") || strings.ContainsAny(got[i].PIN, "\r\n\t") {
					t.Errorf("record %d keeps a line terminator: %q / %q", i, got[i].Raw, got[i].PIN)
				}
				g := got[i]
				g.Line, g.Raw = 0, ""
				if !reflect.DeepEqual(g, tt.want[i]) {
					t.Errorf("record %d:\n got %s\nwant %s", i, fmtRec(g), fmtRec(tt.want[i]))
				}
			}
			if len(bad) != len(tt.bad) {
				t.Fatalf("got %d bad lines %+v, want %d", len(bad), bad, len(tt.bad))
			}
			for i, b := range bad {
				if b.Line != tt.bad[i].line || !errors.Is(b.Reason, tt.bad[i].reason) {
					t.Errorf("bad %d = line %d %v, want line %d %v", i, b.Line, b.Reason, tt.bad[i].line, tt.bad[i].reason)
				}
			}
		})
	}
}

func fmtRec(r AttRecord) string {
	s := fmt.Sprintf("%s %s status=%d verify=%d wc=%q extra=%q", r.PIN, r.LocalTime.Format(zkLayout), r.Status, r.Verify, r.WorkCode, r.Extra)
	if r.Seq != nil {
		s += fmt.Sprintf(" seq=%d", *r.Seq)
	}
	if r.TimeOffsetSec != nil {
		s += fmt.Sprintf(" off=%d", *r.TimeOffsetSec)
	}
	return s
}

func TestParseATTLOGRawAndEpoch(t *testing.T) {
	t.Parallel()
	t.Run("PartBVectorLengths", func(t *testing.T) {
		t.Parallel()
		// T2 arrives with Content-Length: 35, T3 is a 99-byte capture.
		t2 := "1156\t2024-08-05 12:40:57\t1\t1\t\t0\t0\t\n"
		t3 := "1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\r\n1\t2024-07-28 10:41:21\t0\t1\t\t0\t0\t\r\n4\t2024-07-28 10:41:31\t0\t1\t\t0\t0\t\r\n"
		if len(t2) != 35 || len(t3) != 99 {
			t.Errorf("vectors are %d and %d bytes", len(t2), len(t3))
		}
		if r, _ := ParseATTLOG([]byte(t3)); OKCount(len(r)) != "OK: 3" {
			t.Errorf("T3 acknowledgement = %q", OKCount(len(r)))
		}
	})
	t.Run("RawIsTheLineWithoutCR", func(t *testing.T) {
		t.Parallel()
		got, _ := ParseATTLOG([]byte("1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t\r\n"))
		if want := "1\t2024-07-28 01:25:24\t0\t1\t\t0\t0\t"; got[0].Raw != want {
			t.Errorf("Raw = %q, want %q", got[0].Raw, want)
		}
	})
	t.Run("InvalidUTF8BadLineKeepsRawBytes", func(t *testing.T) {
		t.Parallel()
		_, bad := ParseATTLOG([]byte("1\xff\t2024-07-28 01:25:24\r\n"))
		if want := "1\xff\t2024-07-28 01:25:24"; bad[0].Raw != want {
			t.Errorf("Raw = %q, want %q", bad[0].Raw, want)
		}
	})
	t.Run("EpochIntegerIsAnInstant", func(t *testing.T) {
		t.Parallel()
		got, bad := ParseATTLOG([]byte("5\t1722861657\t0\t1\n"))
		if len(bad) != 0 || len(got) != 1 {
			t.Fatalf("got %v bad %v", got, bad)
		}
		if !got[0].Epoch || !got[0].LocalTime.Equal(time.Unix(1722861657, 0)) {
			t.Errorf("got %v epoch=%v", got[0].LocalTime, got[0].Epoch)
		}
	})
	t.Run("WallTimeIsNaiveUTCFields", func(t *testing.T) {
		t.Parallel()
		got, _ := ParseATTLOG([]byte("5\t2024-08-05 12:40:57\n"))
		if got[0].Epoch || got[0].LocalTime.Location() != time.UTC || got[0].LocalTime.Hour() != 12 {
			t.Errorf("got %v epoch=%v", got[0].LocalTime, got[0].Epoch)
		}
	})
	t.Run("EpochOutside2000To2100Rejected", func(t *testing.T) {
		t.Parallel()
		_, bad := ParseATTLOG([]byte("5\t99999999999\n5\t0\n5\t946684799\n"))
		if len(bad) != 3 || !errors.Is(bad[0].Reason, ErrBadTime) || !errors.Is(bad[1].Reason, ErrBadTime) || !errors.Is(bad[2].Reason, ErrBadTime) {
			t.Errorf("bad = %v", bad)
		}
	})
	t.Run("MidLineCRIsContentNotATerminator", func(t *testing.T) {
		t.Parallel()
		got, bad := ParseATTLOG([]byte("5\t2024-08-05 12:40:57\r \t0\r\n"))
		if len(bad) != 0 || got[0].Raw != "5\t2024-08-05 12:40:57\r \t0" {
			t.Errorf("got %+v bad %v", got, bad)
		}
	})
}

func TestParseATTLOGMode(t *testing.T) {
	t.Parallel()
	line := "7\t2025-03-01 09:00:00\t0\t15\t0\t0\t0\t0\t0\t0\t28800\n"
	tests := []struct {
		name    string
		mode    Field10Mode
		wantSeq *int64
		wantOff *int
	}{
		{"AutoReadsMultipleOf900AsOffset", Field10Auto, nil, iptr(28800)},
		{"SeqForcesCounter", Field10Seq, i64(28800), nil},
		{"TimeOffsetForcesOffset", Field10TimeOffset, nil, iptr(28800)},
		{"IgnoreLeavesBothNil", Field10Ignore, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := ParseATTLOGMode([]byte(line), tt.mode)
			if !reflect.DeepEqual(got[0].Seq, tt.wantSeq) || !reflect.DeepEqual(got[0].TimeOffsetSec, tt.wantOff) {
				t.Errorf("seq=%v off=%v, want %v %v", got[0].Seq, got[0].TimeOffsetSec, tt.wantSeq, tt.wantOff)
			}
		})
	}
	t.Run("TimeOffsetModeAcceptsUnsignedZero", func(t *testing.T) {
		t.Parallel()
		got, _ := ParseATTLOGMode([]byte("7\t2025-03-01 09:00:00\t0\t15\t0\t0\t0\t0\t0\t0\t0\n"), Field10TimeOffset)
		if got[0].TimeOffsetSec == nil || *got[0].TimeOffsetSec != 0 {
			t.Errorf("off = %v", got[0].TimeOffsetSec)
		}
	})
}
