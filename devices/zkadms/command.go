package zkadms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Limits applied to command arguments.
const (
	// MaxNameBytes caps a user name sent to the device. 24 bytes is the
	// name field of the ZK user record on older firmware (8 CJK characters
	// in UTF-8); longer names are cut on a rune boundary rather than
	// rejected by the device.
	MaxNameBytes = 24
	// MaxCommandBody is the SPEC limit for one getrequest answer (about
	// 900 KB); FormatCommandsLimit keeps bodies under it.
	MaxCommandBody = 900 * 1024
	// maxOptionValue caps a SET OPTION value.
	maxOptionValue = 256
)

// Command is one server→device command, delivered in a getrequest answer as
// "C:<id>:<text>". It can only be built by the Cmd* constructors, which
// validate the ID and sanitise the arguments; there is deliberately no
// constructor for SHELL (remote shell on the device) or for arbitrary text.
// The zero Command formats to nothing.
type Command struct {
	id   string
	text string
	echo string
}

// ID returns the command ID the device will echo in ID=.
func (c Command) ID() string { return c.id }

// Text returns the command text after "C:<id>:".
func (c Command) Text() string { return c.text }

// Echo returns the CMD= value the device sends back for this command
// ("DATA", "INFO", "CLEAR_LOG", ...), for matching replies.
func (c Command) Echo() string { return c.echo }

// IsZero reports whether c is the zero Command.
func (c Command) IsZero() bool { return c.id == "" }

// Line returns "C:<id>:<text>" without the trailing LF ("" for the zero
// Command).
func (c Command) Line() string {
	if c.IsZero() {
		return ""
	}
	return "C:" + c.id + ":" + c.text
}

// newCmd validates id and assembles a Command.
func newCmd(id, text, echo string) (Command, error) {
	if !ValidCommandID(id) {
		return Command{}, fmt.Errorf("%w: %.20q", ErrBadCommandID, id)
	}
	return Command{id: id, text: text, echo: echo}, nil
}

// User is the device user record pushed by CmdUpdateUser.
type User struct {
	// PIN is the employee number on the device: 1 to 32 of [A-Za-z0-9].
	PIN string
	// Name is sanitised: control characters (TAB, CR, LF, NUL, ...) are
	// removed, spaces trimmed, and it is cut to MaxNameBytes.
	Name string
	// Pri is the privilege: 0 user, 2 enroller, 6 admin, 10 user-defined,
	// 14 super admin.
	Pri int
	// Passwd is the keypad password: up to 8 digits, usually empty.
	Passwd string
	// Card is a decimal card number (up to 20 digits) or hex bytes in
	// brackets ("[15CD5B07]"); empty for none.
	Card string
	// Verify is the per-user verify mode; nil sends -1 (use the group's
	// mode), which is what an attendance system normally wants.
	Verify *int
}

// CmdUpdateUser creates or updates a user on the device (SPEC, echo "DATA"):
//
//	DATA UPDATE USERINFO PIN=..\tName=..\tPri=..\tPasswd=..\tCard=..\tGrp=1\tTZ=0000000100000000\tVerify=..\tViceCard=
func CmdUpdateUser(id string, u User) (Command, error) {
	if !validCmdPIN(u.PIN) {
		return Command{}, fmt.Errorf("%w: PIN %.40q", ErrBadValue, u.PIN)
	}
	switch u.Pri {
	case 0, 2, 6, 10, 14:
	default:
		return Command{}, fmt.Errorf("%w: Pri %d", ErrBadValue, u.Pri)
	}
	if len(u.Passwd) > 8 || (u.Passwd != "" && !allDigits(u.Passwd)) {
		return Command{}, fmt.Errorf("%w: password must be up to 8 digits", ErrBadValue)
	}
	if !validCard(u.Card) {
		return Command{}, fmt.Errorf("%w: card %.40q", ErrBadValue, u.Card)
	}
	verify := -1
	if u.Verify != nil {
		verify = *u.Verify
		if verify < -1 || verify > 255 {
			return Command{}, fmt.Errorf("%w: Verify %d", ErrBadValue, verify)
		}
	}
	var b strings.Builder
	b.WriteString("DATA UPDATE USERINFO PIN=")
	b.WriteString(u.PIN)
	b.WriteString("\tName=")
	b.WriteString(SanitizeName(u.Name))
	b.WriteString("\tPri=")
	b.WriteString(strconv.Itoa(u.Pri))
	b.WriteString("\tPasswd=")
	b.WriteString(u.Passwd)
	b.WriteString("\tCard=")
	b.WriteString(u.Card)
	b.WriteString("\tGrp=1\tTZ=0000000100000000\tVerify=")
	b.WriteString(strconv.Itoa(verify))
	b.WriteString("\tViceCard=")
	return newCmd(id, b.String(), "DATA")
}

// CmdDeleteUser removes a user and their templates and photo (echo "DATA").
// The SPEC form is DATA DELETE USERINFO; USER DEL and DATA DEL are rejected by
// real firmware with -1002.
func CmdDeleteUser(id, pin string) (Command, error) {
	if !validCmdPIN(pin) {
		return Command{}, fmt.Errorf("%w: PIN %.40q", ErrBadValue, pin)
	}
	return newCmd(id, "DATA DELETE USERINFO PIN="+pin, "DATA")
}

// CmdQueryUser asks the device to upload one user; the answer arrives as an
// OPERLOG USER line (echo "DATA").
func CmdQueryUser(id, pin string) (Command, error) {
	if !validCmdPIN(pin) {
		return Command{}, fmt.Errorf("%w: PIN %.40q", ErrBadValue, pin)
	}
	return newCmd(id, "DATA QUERY USERINFO PIN="+pin, "DATA")
}

// CmdQueryAttLog asks the device to re-upload punches between start and end
// (device wall-clock fields of the two times are used as they are); they
// arrive as ordinary table=ATTLOG POSTs. An empty log answers Return=-1.
func CmdQueryAttLog(id string, start, end time.Time) (Command, error) {
	if end.Before(start) {
		return Command{}, fmt.Errorf("%w: end before start", ErrBadValue)
	}
	return newCmd(id, "DATA QUERY ATTLOG StartTime="+start.Format(zkLayout)+"\tEndTime="+end.Format(zkLayout), "DATA")
}

// CmdInfo asks for the device's properties; the reply carries Key=Value
// lines (see ParseDeviceCmdReplies).
func CmdInfo(id string) (Command, error) { return newCmd(id, "INFO", "INFO") }

// CmdCheck makes the device re-read the handshake options (stamps set to 0
// there then force a full re-upload).
func CmdCheck(id string) (Command, error) { return newCmd(id, "CHECK", "CHECK") }

// CmdLog makes the device upload new data now.
func CmdLog(id string) (Command, error) { return newCmd(id, "LOG", "LOG") }

// CmdReboot restarts the device.
func CmdReboot(id string) (Command, error) { return newCmd(id, "REBOOT", "REBOOT") }

// CmdClearLog erases the punches stored on the device (echo "CLEAR_LOG").
// Only send it once every punch is known to be stored server-side.
func CmdClearLog(id string) (Command, error) { return newCmd(id, "CLEAR LOG", "CLEAR_LOG") }

// CmdSetOption sets one device option: SET OPTION <Key>=<Value>. The key must
// be a plain identifier (optionally '~'-prefixed) and the value must not hold
// control characters or exceed 256 bytes; both are rejected rather than
// altered, since a silently changed option is worse than none.
func CmdSetOption(id, key, value string) (Command, error) {
	if !validOptionKey(key) {
		return Command{}, fmt.Errorf("%w: option key %.40q", ErrBadValue, key)
	}
	if len(value) > maxOptionValue || hasControl(value) {
		return Command{}, fmt.Errorf("%w: option value for %s", ErrBadValue, key)
	}
	return newCmd(id, "SET OPTION "+key+"="+value, "SET OPTION")
}

// FormatCommands renders a getrequest answer: one "C:<id>:<text>" line per
// command, each ending in LF. Zero Commands are skipped. With nothing to send
// the answer is exactly "OK".
func FormatCommands(cmds []Command) string {
	body, _ := FormatCommandsLimit(cmds, -1)
	return body
}

// FormatCommandsLimit is FormatCommands stopping before the body would exceed
// maxBytes (no limit when maxBytes < 0). It returns how many leading commands
// were included, so the caller marks only those as sent. A first command
// longer than maxBytes is still included on its own, so the queue cannot
// stall.
func FormatCommandsLimit(cmds []Command, maxBytes int) (body string, n int) {
	var b strings.Builder
	for _, c := range cmds {
		if !c.IsZero() {
			line := c.Line()
			if maxBytes >= 0 && b.Len() > 0 && b.Len()+len(line)+1 > maxBytes {
				break
			}
			b.WriteString(line)
			b.WriteByte('\n')
		}
		n++
	}
	if b.Len() == 0 {
		return "OK", n
	}
	return b.String(), n
}

// SanitizeName makes a user name safe for a TAB-separated command: control
// characters (TAB, CR, LF, NUL and the rest of C0, DEL) are removed, invalid
// UTF-8 is replaced, spaces are trimmed and the result is cut to
// MaxNameBytes on a rune boundary.
func SanitizeName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, name)
	return strings.TrimSpace(truncate(strings.TrimSpace(name), MaxNameBytes))
}

// validCmdPIN reports whether pin can be sent in a command: 1 to MaxPINLen of
// [A-Za-z0-9].
func validCmdPIN(pin string) bool {
	if pin == "" || len(pin) > MaxPINLen {
		return false
	}
	for i := 0; i < len(pin); i++ {
		c := pin[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validCard accepts "", up to 20 decimal digits, or 1 to 16 hex bytes in
// brackets.
func validCard(card string) bool {
	switch {
	case card == "":
		return true
	case allDigits(card):
		return len(card) <= 20
	case len(card) >= 4 && len(card) <= 34 && card[0] == '[' && card[len(card)-1] == ']':
		hex := card[1 : len(card)-1]
		if len(hex)%2 != 0 {
			return false
		}
		for i := 0; i < len(hex); i++ {
			c := hex[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
		return true
	}
	return false
}

// validOptionKey accepts ~?[A-Za-z][A-Za-z0-9_]{0,63}.
func validOptionKey(k string) bool {
	k = strings.TrimPrefix(k, "~")
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		case i > 0 && (c >= '0' && c <= '9' || c == '_'):
		default:
			return false
		}
	}
	return true
}
