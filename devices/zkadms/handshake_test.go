package zkadms

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // hermetic zone data for the TimeZone cases
)

// handshakeBody is the SPEC example response, copied from the design note
// (Part A.4) byte for byte.
const handshakeBody = "GET OPTION FROM: 0316144680030\nATTLOGStamp=None\nOPERLOGStamp=9999\nATTPHOTOStamp=None\nErrorDelay=30\nDelay=10\nTransTimes=00:00;14:05\nTransInterval=1\nTransFlag=TransData AttLog\tOpLog\tAttPhoto\tEnrollUser\tChgUser\tEnrollFP\tChgFP\tUserPic\nTimeZone=8\nRealtime=1\nEncrypt=None"

func TestHandshakeBody(t *testing.T) {
	t.Parallel()
	t.Run("T1ByteIdenticalToSPECExample", func(t *testing.T) {
		t.Parallel()
		got := HandshakeBody("0316144680030", 8*3600)
		if got != handshakeBody {
			t.Errorf("got\n%q\nwant\n%q", got, handshakeBody)
		}
		if len(got) != 265 {
			t.Errorf("len = %d, want 265", len(got))
		}
		if !strings.HasPrefix(got, "GET OPTION FROM: 0316144680030\n") || strings.HasSuffix(got, "\n") {
			t.Error("framing differs from SPEC")
		}
	})
	t.Run("HalfHourZoneInMinutes", func(t *testing.T) {
		t.Parallel()
		if got := HandshakeBody("A1", 19800); !strings.Contains(got, "\nTimeZone=330\n") {
			t.Errorf("body = %q", got)
		}
	})
	t.Run("SerialCannotInjectLines", func(t *testing.T) {
		t.Parallel()
		got := HandshakeBody("AB\nEncrypt=1", 0)
		if !strings.HasPrefix(got, "GET OPTION FROM: ABEncrypt1\n") || strings.Count(got, "Encrypt=") != 1 {
			t.Errorf("body = %q", got)
		}
	})
	t.Run("CustomisedHandshake", func(t *testing.T) {
		t.Parallel()
		h := DefaultHandshake("CEZU202360241", -3*3600)
		h.ATTLOGStamp, h.Delay, h.Realtime, h.PushProtVer = "0", 30, false, "2.4.1"
		h.TransTimes = "00:00\r\nEncrypt=1"
		got := h.Body()
		for _, want := range []string{"\nATTLOGStamp=0\n", "\nDelay=30\n", "\nTimeZone=-3\n", "\nRealtime=0\n", "\nEncrypt=None\nPushProtVer=2.4.1", "\nTransTimes=00:00Encrypt=1\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("body %q lacks %q", got, want)
			}
		}
	})
}

func TestTimeZoneFromOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offset int
		want   int
	}{
		{"UTC", 0, 0},
		{"ChinaWholeHours", 8 * 3600, 8},
		{"NewYorkNegativeHours", -5 * 3600, -5},
		{"IndiaHalfHourInMinutes", 5*3600 + 30*60, 330},
		{"NepalQuarterHourInMinutes", 5*3600 + 45*60, 345},
		{"NewfoundlandNegativeMinutes", -(3*3600 + 30*60), -210},
		{"ElevenHoursStillHours", 11 * 3600, 11},
		{"TwelveHoursInMinutes", 12 * 3600, 720},
		{"MinusTwelveInMinutes", -12 * 3600, -720},
		{"ThirteenHoursInMinutes", 13 * 3600, 780},
		{"KiribatiFourteenHours", 14 * 3600, 840},
		{"ChathamQuarterHours", 12*3600 + 45*60, 765},
		{"LMTSecondsRoundedToMinute", 8*3600 + 5*60 + 43, 486},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := TimeZoneFromOffset(tt.offset); got != tt.want {
				t.Errorf("TimeZoneFromOffset(%d) = %d, want %d", tt.offset, got, tt.want)
			}
		})
	}
}

func TestTimeZoneOption(t *testing.T) {
	t.Parallel()
	winter := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC)
	summer := time.Date(2025, 7, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		zone string
		now  time.Time
		want int
	}{
		{"Shanghai", "Asia/Shanghai", winter, 8},
		{"Kolkata", "Asia/Kolkata", winter, 330},
		{"Kathmandu", "Asia/Kathmandu", winter, 345},
		{"StJohnsStandard", "America/St_Johns", winter, -210},
		{"StJohnsDaylight", "America/St_Johns", summer, -150},
		{"BerlinWinter", "Europe/Berlin", winter, 1},
		{"BerlinSummerFollowsDST", "Europe/Berlin", summer, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			if got := TimeZoneOption(loc, tt.now); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
	t.Run("NilLocationIsUTC", func(t *testing.T) {
		t.Parallel()
		if got := TimeZoneOption(nil, winter); got != 0 {
			t.Errorf("got %d", got)
		}
	})
}

func TestZKTime(t *testing.T) {
	t.Parallel()
	t.Run("SPECWorkedExample", func(t *testing.T) {
		t.Parallel()
		ts := wall("2018-02-22 14:54:54")
		if got := EncodeZKTime(ts); got != 583080894 {
			t.Errorf("encode = %d", got)
		}
		got, err := DecodeZKTime(583080894)
		if err != nil || !got.Equal(ts) {
			t.Errorf("decode = %v %v", got, err)
		}
	})
	t.Run("RoundTripEveryMonthEnd", func(t *testing.T) {
		t.Parallel()
		for m := time.January; m <= time.December; m++ {
			ts := time.Date(2024, m+1, 0, 23, 59, 59, 0, time.UTC) // last day of m
			got, err := DecodeZKTime(EncodeZKTime(ts))
			if err != nil || !got.Equal(ts) {
				t.Errorf("%v: got %v %v", ts, got, err)
			}
		}
	})
	t.Run("UsesWallFieldsOfTheLocation", func(t *testing.T) {
		t.Parallel()
		loc := time.FixedZone("+8", 8*3600)
		if EncodeZKTime(time.Date(2018, 2, 22, 14, 54, 54, 0, loc)) != 583080894 {
			t.Error("encoding must not convert to UTC")
		}
	})
	t.Run("NonexistentDayRejected", func(t *testing.T) {
		t.Parallel()
		feb30 := int64((18*12*31 + 1*31 + 29) * 86400) // 2018-02-30
		if _, err := DecodeZKTime(feb30); !errors.Is(err, ErrBadZKTime) {
			t.Errorf("err = %v", err)
		}
		if _, err := DecodeZKTime(-1); !errors.Is(err, ErrBadZKTime) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestRTDataTimeBody(t *testing.T) {
	t.Parallel()
	now := time.Date(2018, 2, 22, 6, 54, 54, 0, time.UTC)
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	stJohns, _ := time.LoadLocation("America/St_Johns")
	tests := []struct {
		name string
		loc  *time.Location
		want string
	}{
		{"ShanghaiUTCEncoded", shanghai, "DateTime=583052094,ServerTZ=+0800"},
		{"NegativeHalfHour", stJohns, "DateTime=583052094,ServerTZ=-0330"},
		{"NilIsUTC", nil, "DateTime=583052094,ServerTZ=+0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RTDataTimeBody(now, tt.loc); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOKCount(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n    int
		want string
	}{{1, "OK: 1"}, {3, "OK: 3"}, {128, "OK: 128"}, {0, "OK: 0"}, {-2, "OK: 0"}} {
		if got := OKCount(tt.n); got != tt.want {
			t.Errorf("OKCount(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestValidSerial(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sn   string
		want bool
	}{
		{"0316144680030", true},
		{"BOCK200961014", true},
		{"CEZU202360241", true},
		{"SERIAL87654321", true},
		{"a_b-C9", true},
		{strings.Repeat("A", 64), true},
		{"", false},
		{strings.Repeat("A", 65), false},
		{"AB CD", false},
		{"AB\n", false},
		{"ÄB", false},
		{"../etc", false},
	}
	for _, tt := range tests {
		t.Run(tt.sn, func(t *testing.T) {
			t.Parallel()
			if got := ValidSerial(tt.sn); got != tt.want {
				t.Errorf("ValidSerial(%q) = %v", tt.sn, got)
			}
		})
	}
}
