package zkadms

// Verification method categories returned by VerifyMethod.
const (
	MethodFingerprint = "fingerprint"
	MethodFace        = "face"
	MethodCard        = "card"
	MethodPassword    = "password"
	MethodPalm        = "palm"
	MethodOther       = "other"
)

// VerifyMethod maps an ATTLOG Verify code to a method category, following
// SPEC Appendix 7 as observed on current firmware (1 = fingerprint and 15 =
// face on MB10-VL / MB560-VL; 4 = card and 25 = palm on SpeedFace-V5L).
//
// The codes are per firmware, so store the raw integer and treat this as a
// display hint. Known ambiguities: 0 is "any method" in the SPEC but
// password on SpeedFace and old black-and-white units, and is reported as
// password; 2 is "PIN (employee number) typed" in the SPEC but card on old
// firmware and the TCP SDK, and is reported as card. Combined modes report
// the strongest factor (fingerprint over card over password; face over
// everything), since the code names the configured mode, not what matched.
// Finger-vein modes (21–24), 200 and unknown codes are MethodOther.
func VerifyMethod(code int) string {
	switch code {
	case 0, 3:
		return MethodPassword
	case 2, 4, 7, 11:
		return MethodCard
	case 1, 5, 6, 8, 9, 10, 12, 13, 14:
		return MethodFingerprint
	case 15, 16, 17, 18, 19, 20:
		return MethodFace
	case 25, 26, 27, 28, 29:
		return MethodPalm
	}
	return MethodOther
}

// Punch state codes (ATTLOG Status).
const (
	StatusCheckIn     = 0
	StatusCheckOut    = 1
	StatusBreakOut    = 2
	StatusBreakIn     = 3
	StatusOvertimeIn  = 4
	StatusOvertimeOut = 5
	StatusNone        = 255
)

// StatusMeaning names an ATTLOG Status code with its factory meaning:
// "check-in", "check-out", "break-out", "break-in", "overtime-in",
// "overtime-out", "none" (255: no state key selected) or "unknown".
//
// The meanings of 0–5 follow the device's state-key configuration and can be
// remapped per device by the customer, so the raw code is what gets stored;
// map it to in/out per device configuration, using this only as a default.
func StatusMeaning(code int) string {
	switch code {
	case StatusCheckIn:
		return "check-in"
	case StatusCheckOut:
		return "check-out"
	case StatusBreakOut:
		return "break-out"
	case StatusBreakIn:
		return "break-in"
	case StatusOvertimeIn:
		return "overtime-in"
	case StatusOvertimeOut:
		return "overtime-out"
	case StatusNone:
		return "none"
	}
	return "unknown"
}

// ReturnMeaning describes a command Return code (SPEC Appendix 1).
func ReturnMeaning(code int) string {
	switch code {
	case 0:
		return "success"
	case -1:
		return "parameter error"
	case -2:
		return "photo size mismatch"
	case -3:
		return "read/write error"
	case -9:
		return "template size mismatch"
	case -10:
		return "PIN does not exist"
	case -11:
		return "bad template format"
	case -12:
		return "bad template"
	case -30:
		return "template algorithm version mismatch"
	case -1001:
		return "capacity exceeded"
	case -1002:
		return "not supported"
	case -1003:
		return "timeout"
	case -1004:
		return "data does not match device configuration"
	case -1005:
		return "busy"
	case -1006:
		return "data too long"
	case -1007:
		return "out of memory"
	case -1008:
		return "failed to fetch server data"
	}
	return "unknown"
}
