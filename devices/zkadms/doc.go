// Package zkadms is the pure protocol layer of the ZKTeco "ADMS" / PUSH /
// iclock protocol: parsers for what terminals post and formatters for what
// the server answers. It does no I/O, reads no configuration and never reads
// the clock (functions that need "now" take it); the HTTP handler in
// package devices calls it with bodies it has already read and bounded.
//
// # Protocol facts this package relies on
//
//   - The device is always the HTTP client. Bodies often arrive without a
//     Content-Type, so everything here takes raw bytes.
//   - Line framing: LF on most firmware, CRLF on others; the parsers split on
//     LF, strip trailing CRs and skip empty lines.
//   - Field framing: single TABs; empty fields ("\t\t") and a trailing TAB
//     are normal, so whitespace runs are never collapsed.
//   - Punch times (ATTLOG, OPLOG, rtlog) are naive device-local wall time.
//     Parsers return the wall-clock fields in a UTC time.Time; the caller
//     attaches the device's IANA zone (or a 2.4.2 TimeOffset).
//   - PINs are strings: leading zeros and letters are significant.
//   - ATTLOG (attendance PUSH 2.x) is positional:
//     PIN, Time, Status, Verify, WorkCode, Reserved... and, in 2.4.2,
//     MaskFlag, Temperature, ConvTemperature, TimeOffset, ExtendData. Real
//     firmware sends 7, 10, 11 or 12 fields; index 10 is a TimeOffset on 2.4.2
//     but a record counter on the MB10-VL (see ParseATTLOG for the heuristic).
//   - OPERLOG lines start with a type word and one space (OPLOG, USER, FP,
//     FACE, USERPIC, BIOPHOTO; BIODATA for table=BIODATA); OPLOG is
//     positional, the rest key=value. User names are GB2312 on
//     Chinese-language devices.
//   - rtlog (security PUSH 3.x) is key=value TAB-separated, one event per line.
//   - Command replies are "ID=..&Return=..&CMD=.." lines, batched; INFO adds
//     Key=Value lines ('~' prefixes); Shell-like replies put the fields on
//     separate lines. IDs are strings.
//   - ATTPHOTO is a small text header, "CMD=uploadphoto", a NUL, then JPEG
//     bytes (or Base64 when ATTPHOTOBase64=1).
//   - The handshake answer is "GET OPTION FROM: <SN>" plus key=value lines,
//     LF-separated, no trailing LF; TimeZone must always be sent and is an
//     integer: hours when whole and within ±12, otherwise minutes.
//   - Commands are "C:<id>:<text>" lines with a trailing LF; "OK" when none.
//     IDs are 1–16 letters or digits. SHELL is never generated.
//   - ZK's DateTime integer (SET OPTIONS DateTime=, rtdata) is a packed
//     calendar value, not Unix time: 583080894 is 2018-02-22 14:54:54.
//
// Every parser is total: hostile input yields rejected lines or errors,
// never a panic, and every non-empty line of a batch is either accepted or
// reported in a BadLine with its line number, raw bytes and reason.
//
// Sources: ZKTeco "Attendance PUSH Communication Protocol" (SW 2.4.1 /
// 2.4.2), "Security PUSH Communication Protocol" (3.1.2), and field captures
// from X100-C, MB10-VL, MB560-VL, MB360/ID and SpeedFace-V5L units, as
// collected in the terminal-protocols design note.
package zkadms
