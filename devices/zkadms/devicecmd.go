package zkadms

import (
	"strconv"
	"strings"
)

// Return codes from SPEC Appendix 1 that the command queue acts on.
const (
	ReturnOK           = 0
	ReturnParamError   = -1
	ReturnNoSuchPIN    = -10
	ReturnNotSupported = -1002
	ReturnTimeout      = -1003
	ReturnBusy         = -1005
)

// CmdReply is the device's result for one queued command, as posted to
// /iclock/devicecmd (or table-less /iclock/cdata).
type CmdReply struct {
	// Line is the 1-based line number where the reply starts.
	Line int
	// ID is the command ID exactly as echoed (IDs are strings: "101",
	// "info8487"). It may be empty or unknown; the caller logs those.
	ID string
	// Return is the result code (0 success, negative SPEC Appendix 1
	// codes); meaningful only when ReturnValid.
	Return int
	// ReturnRaw is the Return value as sent.
	ReturnRaw string
	// ReturnValid is true when Return= was present and an integer.
	ReturnValid bool
	// CMD is the echoed command word ("DATA", "INFO", "CLEAR_LOG", ...).
	CMD string
	// Props are the other fields: extra &-pairs on the ID line
	// (VERIFY SUM's StartTime/AttlogSum), the Key=Value lines after an INFO
	// reply (leading '~' stripped from keys), and Content for Shell-style
	// replies (multi-line content joined with LF).
	Props []Pair
	// Raw is the reply's lines joined with LF.
	Raw string
}

// Get returns the value of a property (ASCII case-insensitive).
func (r CmdReply) Get(key string) (string, bool) { return lookup(r.Props, key) }

// Succeeded reports whether the device reported success (Return=0).
func (r CmdReply) Succeeded() bool { return r.ReturnValid && r.Return == ReturnOK }

// ParseDeviceCmdReplies parses a devicecmd body into command results.
//
// Forms handled (all may be batched in one POST):
//
//	ID=101&Return=0&CMD=DATA                      one result per line
//	ID=122&Return=0&CMD=INFO\n~DeviceName=..\n..  INFO: Key=Value lines follow
//	ID=32\nReturn=0\nCMD=Shell\nContent=..        newline-separated fields
//
// A line starting with "ID=" (any case) starts a new result; the lines after
// it belong to that result. Once a Content= line has been seen, every
// following line up to the next ID= is more content (shell output may hold
// '=' or be empty). Lines before the first ID= cannot be attributed and are
// dropped.
func ParseDeviceCmdReplies(body []byte) []CmdReply {
	var (
		out []CmdReply
		cur *CmdReply
		raw []string
		// content collects the lines of a Content= value; joined once at
		// flush so a long shell output costs linear time.
		content   []string
		inContent bool
	)
	flush := func() {
		if cur != nil {
			if inContent {
				last := &cur.Props[len(cur.Props)-1]
				last.Value = strings.TrimRight(strings.Join(content, "\n"), "\n")
			}
			cur.Raw = strings.TrimRight(strings.Join(raw, "\n"), "\n")
			out = append(out, *cur)
		}
		cur, raw, content, inContent = nil, raw[:0], content[:0], false
	}
	s := string(body)
	n := 0
	for len(s) > 0 {
		n++
		var line string
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			line, s = s, ""
		}
		line = strings.TrimRight(line, "\r")
		if hasPrefixFold(line, "ID=") {
			flush()
			cur = &CmdReply{Line: n}
			raw = append(raw, line)
			for _, kv := range strings.Split(line, "&") {
				k, v, _ := strings.Cut(kv, "=")
				cur.set(k, v)
			}
			continue
		}
		if cur == nil {
			continue
		}
		if inContent {
			raw = append(raw, line)
			content = append(content, line)
			continue
		}
		if line == "" {
			continue
		}
		raw = append(raw, line)
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		cur.set(k, v)
		if strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(k), "~"), "Content") {
			inContent = true
			content = append(content, v)
		}
	}
	flush()
	return out
}

// set stores one key=value of a reply.
func (r *CmdReply) set(k, v string) {
	k = strings.TrimPrefix(strings.TrimSpace(k), "~")
	switch {
	case strings.EqualFold(k, "ID"):
		r.ID = strings.TrimSpace(v)
	case strings.EqualFold(k, "Return"):
		r.ReturnRaw = strings.TrimSpace(v)
		n, err := strconv.Atoi(r.ReturnRaw)
		r.Return, r.ReturnValid = n, err == nil
	case strings.EqualFold(k, "CMD"):
		r.CMD = strings.TrimSpace(v)
	case k == "":
	default:
		r.Props = append(r.Props, Pair{Key: k, Value: v})
	}
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// InfoUnknown is the value of a DeviceInfo count that is absent or not an
// integer.
const InfoUnknown = -1

// maxInfoField bounds each text field of DeviceInfo: the values are shown in
// the admin UI and stored, and come from an unauthenticated query string.
const maxInfoField = 128

// DeviceInfo is the device summary a getrequest poll carries in
// INFO=FW,UserCount,FPCount,AttCount,IP,FPAlgVer,FaceAlgVer,FacesPerUser,
// FaceCount,FuncBits[,CardCount,UserPicCount,AttPhotoCount,...].
type DeviceInfo struct {
	// Firmware is the FW field, e.g. "Ver 8.0.4.2-I113-02".
	Firmware  string
	UserCount int
	FPCount   int
	AttCount  int
	// IP is the device's own address as it reports it (not verified).
	IP           string
	FPAlgVer     string
	FaceAlgVer   string
	FacesPerUser int
	FaceCount    int
	// FuncBits is the capability bit string, e.g. "111".
	FuncBits string
	// Extra holds fields after FuncBits (CardCount, UserPicCount,
	// AttPhotoCount on newer firmware) as sent.
	Extra []string
}

// ParseInfoQuery parses the (already URL-decoded) INFO= value of a
// getrequest poll. Missing or non-integer counts are InfoUnknown; text fields
// have control characters removed and are capped at 128 bytes. It never
// fails: a short value just leaves later fields unknown.
func ParseInfoQuery(v string) DeviceInfo {
	f := strings.SplitN(v, ",", min(strings.Count(v, ",")+1, maxFields))
	at := func(i int) string {
		if i < len(f) {
			return cleanText(f[i], maxInfoField)
		}
		return ""
	}
	num := func(i int) int { return atoiOr(at(i), InfoUnknown, InfoUnknown) }
	d := DeviceInfo{
		Firmware:     at(0),
		UserCount:    num(1),
		FPCount:      num(2),
		AttCount:     num(3),
		IP:           at(4),
		FPAlgVer:     at(5),
		FaceAlgVer:   at(6),
		FacesPerUser: num(7),
		FaceCount:    num(8),
		FuncBits:     at(9),
	}
	for i := 10; i < len(f); i++ {
		d.Extra = append(d.Extra, at(i))
	}
	return d
}

// ParseOptions parses a table=options body (and the Security-PUSH registry
// body): comma-separated key=value pairs, keys possibly prefixed with '~'
// (stripped). LF also separates pairs. A piece without '=' continues the
// previous value, so values that themselves contain commas survive. Later
// duplicates overwrite earlier ones.
func ParseOptions(body []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(body), "\n") {
		line = strings.TrimRight(line, "\r")
		key := ""
		var val []string // the current value's comma pieces, joined once
		put := func() {
			if key != "" {
				out[key] = strings.Join(val, ",")
			}
		}
		for _, piece := range strings.Split(line, ",") {
			k, v, ok := strings.Cut(piece, "=")
			if !ok {
				if key != "" {
					val = append(val, piece)
				}
				continue
			}
			put()
			key = strings.TrimPrefix(strings.TrimSpace(k), "~")
			val = append(val[:0], strings.TrimSpace(v))
		}
		put()
	}
	return out
}

// cleanText trims s, removes control characters and caps it at max bytes
// (on a rune boundary).
func cleanText(s string, max int) string {
	s = strings.TrimSpace(s)
	if hasControl(s) {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return -1
			}
			return r
		}, s)
	}
	return truncate(s, max)
}

// truncate cuts s to at most max bytes without splitting a UTF-8 sequence.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// isRuneStart reports whether b can begin a UTF-8 sequence.
func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
