package devices

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestDirectionMap(t *testing.T) {
	t.Parallel()
	custom := DirectionMap{Status: map[string]string{"0": "out", "checkIn": "out"}, Doors: map[string]string{"2": "out"}, Default: "out"}
	for _, tc := range []struct {
		name   string
		m      DirectionMap
		status string
		door   int
		kind   string
		known  bool
	}{
		{"FactoryCheckIn", DirectionMap{}, "0", 0, "in", true},
		{"FactoryCheckOut", DirectionMap{}, "1", 0, "out", true},
		{"FactoryBreakOut", DirectionMap{}, "2", 0, "out", true},
		{"FactoryBreakIn", DirectionMap{}, "3", 0, "in", true},
		{"FactoryOvertimeIn", DirectionMap{}, "4", 0, "in", true},
		{"FactoryOvertimeOut", DirectionMap{}, "5", 0, "out", true},
		{"NoStateKeyIsTheDefault", DirectionMap{}, "255", 0, "in", false},
		{"HikvisionCheckOut", DirectionMap{}, "checkOut", 0, "out", true},
		{"HikvisionBreakIn", DirectionMap{}, "breakIn", 0, "in", true},
		{"CustomStatusWins", custom, "0", 0, "out", true},
		{"CustomHikvisionStatus", custom, "checkIn", 0, "out", true},
		{"DoorWhenStatusSaysNothing", custom, "255", 2, "out", true},
		{"CustomDefault", custom, "", 1, "out", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kind, known := tc.m.Direction(tc.status, tc.door)
			if kind != tc.kind || known != tc.known {
				t.Fatalf("Direction(%q, %d) = %s, %t; want %s, %t", tc.status, tc.door, kind, known, tc.kind, tc.known)
			}
		})
	}
	t.Run("ValidateRefusesAnythingButInOrOut", func(t *testing.T) {
		t.Parallel()
		for _, m := range []DirectionMap{{Status: map[string]string{"0": "sideways"}}, {Doors: map[string]string{"x": "in"}},
			{Default: "both"}} {
			if m.Validate() == nil {
				t.Fatalf("%+v validated", m)
			}
		}
		if err := custom.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestParseDeviceTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     time.Time
		abs, ok  bool
	}{
		{"NaiveLocal", "2026-11-20T08:00:05", time.Date(2026, 11, 20, 8, 0, 5, 0, time.UTC), false, true},
		{"NaiveWithSpace", "2026-11-20 08:00:05", time.Date(2026, 11, 20, 8, 0, 5, 0, time.UTC), false, true},
		{"NaiveWithFraction", "2026-11-20T08:00:05.25", time.Date(2026, 11, 20, 8, 0, 5, 250e6, time.UTC), false, true},
		{"RFC3339WithOffset", "2026-11-20T08:00:05+08:00", time.Date(2026, 11, 20, 0, 0, 5, 0, time.UTC), true, true},
		{"RFC3339Zulu", "2026-11-20T00:00:05Z", time.Date(2026, 11, 20, 0, 0, 5, 0, time.UTC), true, true},
		{"DateOnly", "2026-11-20", time.Time{}, false, false},
		{"Garbage", "yesterday", time.Time{}, false, false},
		{"Empty", "", time.Time{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, abs, err := ParseDeviceTime(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("err %v, want ok=%t", err, tc.ok)
			}
			if tc.ok && (!got.Equal(tc.want) || abs != tc.abs) {
				t.Fatalf("%q → %v abs=%t, want %v abs=%t", tc.in, got, abs, tc.want, tc.abs)
			}
		})
	}
}

func TestDateRecord(t *testing.T) {
	t.Parallel()
	d := Device{Timezone: "Asia/Shanghai"}
	plus330 := 19800
	for _, tc := range []struct {
		name      string
		r         Record
		wantLocal string
		wantZone  string
		wantUTC   string
	}{
		{"WallTimeInTheDeviceZone", Record{Time: time.Date(2024, 8, 5, 12, 40, 57, 0, time.UTC)},
			"2024-08-05T12:40:57", "Asia/Shanghai", "2024-08-05T04:40:57Z"},
		{"TimeOffsetWins", Record{Time: time.Date(2024, 8, 5, 12, 40, 57, 0, time.UTC), OffsetSec: &plus330},
			"2024-08-05T12:40:57", "+05:30", "2024-08-05T07:10:57Z"},
		{"AbsoluteInstantShownInTheZone", Record{Time: time.Date(2024, 8, 5, 4, 40, 57, 0, time.UTC), Absolute: true},
			"2024-08-05T12:40:57", "Asia/Shanghai", "2024-08-05T04:40:57Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			local, zone, inst := dateRecord(d, tc.r)
			if local.Format("2006-01-02T15:04:05") != tc.wantLocal || zone != tc.wantZone || inst.Format(time.RFC3339) != tc.wantUTC {
				t.Fatalf("got %s %s %s", local.Format("2006-01-02T15:04:05"), zone, inst.Format(time.RFC3339))
			}
		})
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	t.Run("CanonicalStringIsDocumented", func(t *testing.T) {
		t.Parallel()
		got := Canonical("post", "/v1/terminal/punches?x=1", "1764000000", "nonce-0123456789ab", []byte(`{"punches":[]}`))
		want := "POST\n/v1/terminal/punches?x=1\n1764000000\nnonce-0123456789ab\n" +
			"09d0cb67b06e859904416aa91c1a6e1fd34aa2e1faa6d040b34a564410fd6354"
		if got != want {
			t.Fatalf("canonical %q", got)
		}
	})
	t.Run("SignatureChangesWithEveryPart", func(t *testing.T) {
		t.Parallel()
		base := Sign("s3cret", "POST", "/a", "1", "n", []byte("b"))
		for _, other := range []string{Sign("other", "POST", "/a", "1", "n", []byte("b")), Sign("s3cret", "GET", "/a", "1", "n", []byte("b")),
			Sign("s3cret", "POST", "/b", "1", "n", []byte("b")), Sign("s3cret", "POST", "/a", "2", "n", []byte("b")),
			Sign("s3cret", "POST", "/a", "1", "m", []byte("b")), Sign("s3cret", "POST", "/a", "1", "n", []byte("c"))} {
			if other == base {
				t.Fatal("a changed part kept the signature")
			}
		}
		if _, err := hex.DecodeString(base); err != nil || len(base) != 64 {
			t.Fatalf("signature %q is not 32 bytes of hex", base)
		}
	})
}

func TestEncryptionKey(t *testing.T) {
	t.Parallel()
	raw := bytes.Repeat([]byte{7}, 32)
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"Hex", hex.EncodeToString(raw), true},
		{"Base64", base64.StdEncoding.EncodeToString(raw), true},
		{"Base64URLUnpadded", base64.RawURLEncoding.EncodeToString(raw), true},
		{"TooShort", hex.EncodeToString(raw[:16]), false},
		{"NotEncoded", "a passphrase is not a key", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tc.in)
			if (err == nil) != tc.ok || (tc.ok && !bytes.Equal(k, raw)) {
				t.Fatalf("ParseKey(%q) = %x, %v", tc.in, k, err)
			}
		})
	}
	t.Run("SealedValuesOpenOnlyWithTheirKeyAndRow", func(t *testing.T) {
		t.Parallel()
		s, err := newSealer(raw)
		if err != nil {
			t.Fatal(err)
		}
		other, _ := newSealer(DeriveKey([]byte("x")))
		sealed := s.seal([]byte("template bytes"), "row-1")
		if bytes.Contains(sealed, []byte("template")) {
			t.Fatal("the plaintext is visible")
		}
		if got, err := s.open(sealed, "row-1"); err != nil || string(got) != "template bytes" {
			t.Fatalf("open: %q %v", got, err)
		}
		if _, err := s.open(sealed, "row-2"); err == nil {
			t.Fatal("a value copied to another row opened")
		}
		if _, err := other.open(sealed, "row-1"); err == nil {
			t.Fatal("another key opened it")
		}
		if _, err := s.open(sealed[:10], "row-1"); err == nil {
			t.Fatal("a truncated value opened")
		}
	})
}

func TestActivationCode(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		c := activationCode()
		if len(c) != 14 || strings.Count(c, "-") != 2 || strings.ContainsAny(c, "01IO") {
			t.Fatalf("code %q", c)
		}
		if seen[c] {
			t.Fatalf("repeated code %q", c)
		}
		seen[c] = true
	}
	c := activationCode()
	if !bytes.Equal(hashCode(c), hashCode(strings.ToLower(strings.ReplaceAll(c, "-", "")))) {
		t.Fatal("case and dashes must not matter")
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	lt := time.Date(2024, 8, 5, 12, 40, 57, 0, time.UTC)
	if got := ZKKey("0042", lt); got != "zk:0042|2024-08-05T12:40:57" {
		t.Fatalf("ZKKey %q", got)
	}
	if SeqKey("seq", 10881) != "seq:10881" {
		t.Fatal("SeqKey")
	}
	if badKey(BadRecord{Raw: "x"}) == badKey(BadRecord{Raw: "y"}) || badKey(BadRecord{Raw: "x", DedupeKey: "k"}) != "k" {
		t.Fatal("badKey")
	}
	_ = uuid.Nil
}

func FuzzParseDeviceTime(f *testing.F) {
	for _, s := range []string{"2026-11-20T08:00:05", "2026-11-20 08:00:05.1", "2026-11-20T08:00:05+08:00", "", "9999-99-99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, abs, err := ParseDeviceTime(s)
		if err != nil {
			return
		}
		if !abs && got.Location() != time.UTC {
			t.Fatalf("a naive time must come back in UTC fields: %v", got)
		}
		if len(s) > 40 {
			t.Fatalf("accepted %d bytes", len(s))
		}
	})
}

func FuzzNativeRecord(f *testing.F) {
	f.Add(int64(1), "1001", "", "2026-11-20T08:00:05", "face")
	f.Add(int64(-1), "", "", "", "")
	f.Add(int64(7), "a\tb", "123", "2026-11-20T08:00:05Z", "palm")
	f.Fuzz(func(t *testing.T, seq int64, pin, card, tm, verify string) {
		r, why := nativeRecord(0, NativePunch{Seq: seq, PIN: pin, Card: card, DeviceTime: tm, Verify: verify})
		if why != "" {
			return
		}
		if r.DedupeKey != SeqKey("seq", seq) || seq < 0 {
			t.Fatalf("key %q for seq %d", r.DedupeKey, seq)
		}
		if r.PIN != "" && !pinRe.MatchString(r.PIN) || r.Card != "" && !cardRe.MatchString(r.Card) {
			t.Fatalf("accepted pin %q card %q", r.PIN, r.Card)
		}
		if r.VerifyMethod != "" && verifyMethods[strings.ToLower(verify)] == "" && r.VerifyMethod != "other" {
			t.Fatalf("verify %q", r.VerifyMethod)
		}
	})
}

func TestNativeRawIsJSON(t *testing.T) {
	t.Parallel()
	st := 1
	id := uuid.MustParse("01a2132d-af13-7424-8e9a-e8348d7d7910")
	for _, p := range []NativePunch{
		{Seq: 7, PIN: "1001", DeviceTime: "2026-11-20T08:00:00", Status: &st, Verify: "face", PhotoID: &id},
		{Seq: -1, PIN: "a\"b\\c\td\x01é", Card: "x"},
	} {
		var back NativePunch
		if err := json.Unmarshal([]byte(p.raw()), &back); err != nil {
			t.Fatalf("%s: %v", p.raw(), err)
		}
		if back.Seq != p.Seq || back.PIN != p.PIN || back.Card != p.Card || back.DeviceTime != p.DeviceTime || back.Verify != p.Verify {
			t.Fatalf("%+v came back as %+v", p, back)
		}
	}
}
