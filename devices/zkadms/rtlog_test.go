package zkadms

import (
	"errors"
	"testing"
)

func TestParseRTLog(t *testing.T) {
	t.Parallel()

	t.Run("SPECDoorEventWithoutUser", func(t *testing.T) {
		t.Parallel()
		evs, bad := ParseRTLog([]byte("time=2017-01-10 11:49:32\tpin=0\tcardno=0\teventaddr=1\tevent=27\tinoutstatus=1\tverifytype=0\tindex=21"))
		if len(bad) != 0 || len(evs) != 1 {
			t.Fatalf("evs=%+v bad=%v", evs, bad)
		}
		e := evs[0]
		if !e.Time.Equal(wall("2017-01-10 11:49:32")) || e.PIN != "0" || e.CardNo != "0" || e.EventAddr != 1 ||
			e.Event != 27 || e.InOutStatus != 1 || e.VerifyType != "0" || e.Index == nil || *e.Index != 21 {
			t.Errorf("event = %+v", e)
		}
		if e.IsVerifiedOpen() {
			t.Error("event 27 with pin 0 counted as a punch")
		}
	})

	t.Run("VerifiedOpenIsAPunch", func(t *testing.T) {
		t.Parallel()
		evs, _ := ParseRTLog([]byte("time=2024-03-01 08:00:01\tpin=00042\tcardno=0\teventaddr=1\tevent=0\tinoutstatus=0\tverifytype=15\tindex=7\r\n"))
		if !evs[0].IsVerifiedOpen() || evs[0].PIN != "00042" || evs[0].InOutStatus != 0 {
			t.Errorf("event = %+v", evs[0])
		}
	})

	t.Run("BitmaskVerifyTypeKeptAsString", func(t *testing.T) {
		t.Parallel()
		evs, _ := ParseRTLog([]byte("time=2024-03-01 08:00:01\tpin=1\tevent=0\tverifytype=00000000000010\tindex=8\tmaskflag=1\n"))
		if evs[0].VerifyType != "00000000000010" {
			t.Errorf("verifytype = %q", evs[0].VerifyType)
		}
		if v, ok := evs[0].Get("MaskFlag"); !ok || v != "1" {
			t.Errorf("maskflag = %q %v", v, ok)
		}
	})

	t.Run("MissingIntegersAreUnknown", func(t *testing.T) {
		t.Parallel()
		evs, _ := ParseRTLog([]byte("time=2024-03-01 08:00:01\tpin=1\tevent=x\n"))
		e := evs[0]
		if e.Event != RTLogUnknown || e.EventAddr != RTLogUnknown || e.InOutStatus != RTLogUnknown || e.Index != nil || e.IsVerifiedOpen() {
			t.Errorf("event = %+v", e)
		}
	})

	t.Run("RejectedLines", func(t *testing.T) {
		t.Parallel()
		_, bad := ParseRTLog([]byte("pin=1\tevent=0\ntime=soon\tpin=1\ntime=2024-03-01 08:00:01\tpin=1\x01\ntime=2024-03-01 08:00:01\tpin=\xff\n"))
		want := []badWant{{1, ErrTooFewFields}, {2, ErrBadTime}, {3, ErrBadPIN}, {4, ErrInvalidUTF8}}
		if len(bad) != len(want) {
			t.Fatalf("bad = %+v", bad)
		}
		for i := range want {
			if bad[i].Line != want[i].line || !errors.Is(bad[i].Reason, want[i].reason) {
				t.Errorf("bad %d = %d %v, want %d %v", i, bad[i].Line, bad[i].Reason, want[i].line, want[i].reason)
			}
		}
	})
}
