package zkadms

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func must(c Command, err error) Command {
	if err != nil {
		panic(err)
	}
	return c
}

func TestFormatCommands(t *testing.T) {
	t.Parallel()

	t.Run("T7UpsertAndDeleteByteExact", func(t *testing.T) {
		t.Parallel()
		cmds := []Command{
			must(CmdUpdateUser("101", User{PIN: "1001", Name: "Jane Doe"})),
			must(CmdDeleteUser("102", "1002")),
		}
		want := "C:101:DATA UPDATE USERINFO PIN=1001\tName=Jane Doe\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=\nC:102:DATA DELETE USERINFO PIN=1002\n"
		if got := FormatCommands(cmds); got != want {
			t.Errorf("got\n%q\nwant\n%q", got, want)
		}
	})

	t.Run("NothingPendingIsOK", func(t *testing.T) {
		t.Parallel()
		if got := FormatCommands(nil); got != "OK" {
			t.Errorf("got %q", got)
		}
		if got := FormatCommands([]Command{{}}); got != "OK" {
			t.Errorf("zero command: got %q", got)
		}
	})

	t.Run("EverySupportedCommand", func(t *testing.T) {
		t.Parallel()
		start := wall("2015-07-29 00:00:00")
		end := wall("2015-07-30 00:00:00")
		tests := []struct {
			cmd      Command
			wantLine string
			wantEcho string
		}{
			{must(CmdInfo("1")), "C:1:INFO", "INFO"},
			{must(CmdCheck("2")), "C:2:CHECK", "CHECK"},
			{must(CmdLog("3")), "C:3:LOG", "LOG"},
			{must(CmdReboot("4")), "C:4:REBOOT", "REBOOT"},
			{must(CmdClearLog("5")), "C:5:CLEAR LOG", "CLEAR_LOG"},
			{must(CmdSetOption("6", "Delay", "30")), "C:6:SET OPTION Delay=30", "SET OPTION"},
			{must(CmdQueryAttLog("7", start, end)), "C:7:DATA QUERY ATTLOG StartTime=2015-07-29 00:00:00\tEndTime=2015-07-30 00:00:00", "DATA"},
			{must(CmdQueryUser("8", "1001")), "C:8:DATA QUERY USERINFO PIN=1001", "DATA"},
			{must(CmdDeleteUser("info8487", "0042")), "C:info8487:DATA DELETE USERINFO PIN=0042", "DATA"},
			{must(CmdUpdateUser("A9", User{PIN: "7", Name: "Boss", Pri: 14, Passwd: "1234", Card: "[15CD5B07]", Verify: iptr(15)})),
				"C:A9:DATA UPDATE USERINFO PIN=7\tName=Boss\tPri=14\tPasswd=1234\tCard=[15CD5B07]\tGrp=1\tTZ=0000000100000000\tVerify=15\tViceCard=", "DATA"},
		}
		for _, tt := range tests {
			if tt.cmd.Line() != tt.wantLine || tt.cmd.Echo() != tt.wantEcho {
				t.Errorf("line %q echo %q, want %q %q", tt.cmd.Line(), tt.cmd.Echo(), tt.wantLine, tt.wantEcho)
			}
			if got := FormatCommands([]Command{tt.cmd}); got != tt.wantLine+"\n" {
				t.Errorf("FormatCommands = %q", got)
			}
		}
	})

	t.Run("NameSanitisedCannotInjectACommand", func(t *testing.T) {
		t.Parallel()
		c := must(CmdUpdateUser("1", User{PIN: "5", Name: " Eve\tPri=14\r\nC:2:SHELL rm\x00 "}))
		body := FormatCommands([]Command{c})
		if strings.Count(body, "\n") != 1 || strings.Count(body, "\t") != 8 || strings.Contains(body, "\r") || strings.Contains(body, "\x00") {
			t.Errorf("body = %q", body)
		}
		if !strings.Contains(body, "Name=EvePri=14C:2:SHELL rm") {
			t.Errorf("unexpected name rendering in %q", body)
		}
	})

	t.Run("LongNameCutOnRuneBoundary", func(t *testing.T) {
		t.Parallel()
		got := SanitizeName(strings.Repeat("张", 10)) // 30 bytes
		if got != strings.Repeat("张", 8) {
			t.Errorf("got %q (%d bytes)", got, len(got))
		}
	})
}

func TestCommandValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		build   func() (Command, error)
		wantErr error
	}{
		{"EmptyID", func() (Command, error) { return CmdInfo("") }, ErrBadCommandID},
		{"IDTooLong", func() (Command, error) { return CmdInfo(strings.Repeat("1", 17)) }, ErrBadCommandID},
		{"IDWithColon", func() (Command, error) { return CmdInfo("1:REBOOT") }, ErrBadCommandID},
		{"IDWithNewline", func() (Command, error) { return CmdInfo("1\nC") }, ErrBadCommandID},
		{"EmptyPIN", func() (Command, error) { return CmdDeleteUser("1", "") }, ErrBadValue},
		{"PINWithTab", func() (Command, error) { return CmdDeleteUser("1", "1\tName=x") }, ErrBadValue},
		{"PINTooLong", func() (Command, error) { return CmdQueryUser("1", strings.Repeat("9", 33)) }, ErrBadValue},
		{"UnknownPrivilege", func() (Command, error) { return CmdUpdateUser("1", User{PIN: "1", Pri: 3}) }, ErrBadValue},
		{"PasswordNotDigits", func() (Command, error) { return CmdUpdateUser("1", User{PIN: "1", Passwd: "ab\tc"}) }, ErrBadValue},
		{"PasswordTooLong", func() (Command, error) { return CmdUpdateUser("1", User{PIN: "1", Passwd: "123456789"}) }, ErrBadValue},
		{"CardNotNumeric", func() (Command, error) { return CmdUpdateUser("1", User{PIN: "1", Card: "12\t3"}) }, ErrBadValue},
		{"CardOddHex", func() (Command, error) { return CmdUpdateUser("1", User{PIN: "1", Card: "[15C]"}) }, ErrBadValue},
		{"VerifyOutOfRange", func() (Command, error) { return CmdUpdateUser("1", User{PIN: "1", Verify: iptr(-2)}) }, ErrBadValue},
		{"OptionKeyWithEquals", func() (Command, error) { return CmdSetOption("1", "A=B", "1") }, ErrBadValue},
		{"OptionValueWithNewline", func() (Command, error) { return CmdSetOption("1", "Delay", "1\nC:2:REBOOT") }, ErrBadValue},
		{"OptionValueTooLong", func() (Command, error) { return CmdSetOption("1", "Delay", strings.Repeat("1", 257)) }, ErrBadValue},
		{"QueryEndBeforeStart", func() (Command, error) {
			return CmdQueryAttLog("1", time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		}, ErrBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tt.build()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !c.IsZero() {
				t.Errorf("invalid input produced a command %q", c.Line())
			}
		})
	}
	t.Run("TildeOptionKeyAllowed", func(t *testing.T) {
		t.Parallel()
		if _, err := CmdSetOption("1", "~ZKFPVersion", "10"); err != nil {
			t.Error(err)
		}
	})
	t.Run("DecimalCardAllowed", func(t *testing.T) {
		t.Parallel()
		if _, err := CmdUpdateUser("1", User{PIN: "1", Card: "123456789"}); err != nil {
			t.Error(err)
		}
	})
}

func TestFormatCommandsLimit(t *testing.T) {
	t.Parallel()
	a := must(CmdInfo("1"))  // "C:1:INFO\n" = 9 bytes
	b := must(CmdCheck("2")) // "C:2:CHECK\n" = 10 bytes
	c := must(CmdLog("3"))
	tests := []struct {
		name     string
		max      int
		wantBody string
		wantN    int
	}{
		{"AllFit", 100, "C:1:INFO\nC:2:CHECK\nC:3:LOG\n", 3},
		{"StopsBeforeOverflow", 19, "C:1:INFO\nC:2:CHECK\n", 2},
		{"OversizedFirstStillSent", 3, "C:1:INFO\n", 1},
		{"NoLimit", -1, "C:1:INFO\nC:2:CHECK\nC:3:LOG\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body, n := FormatCommandsLimit([]Command{a, b, c}, tt.max)
			if body != tt.wantBody || n != tt.wantN {
				t.Errorf("got %q %d, want %q %d", body, n, tt.wantBody, tt.wantN)
			}
		})
	}
}

func TestValidCommandID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]bool{
		"101": true, "info8487": true, "fp7464": true, "A": true, strings.Repeat("Z", 16): true,
		"": false, strings.Repeat("Z", 17): false, "1-2": false, "1 2": false, "１": false,
	} {
		if got := ValidCommandID(id); got != want {
			t.Errorf("ValidCommandID(%q) = %v", id, got)
		}
	}
}
