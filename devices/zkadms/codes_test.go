package zkadms

import "testing"

func TestVerifyMethod(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code int
		want string
	}{
		{"FingerprintOnMB10VL", 1, MethodFingerprint},
		{"FaceOnMB10VL", 15, MethodFace},
		{"CardOnSpeedFace", 4, MethodCard},
		{"PalmOnSpeedFace", 25, MethodPalm},
		{"ZeroIsPasswordOrUnknown", 0, MethodPassword},
		{"PasswordMode", 3, MethodPassword},
		{"TwoIsCardOrPIN", 2, MethodCard},
		{"CardPlusFingerprintIsFingerprint", 10, MethodFingerprint},
		{"FaceCombosAreFace", 19, MethodFace},
		{"FingerVeinIsOther", 22, MethodOther},
		{"OtherCode200", 200, MethodOther},
		{"Negative", -1, MethodOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := VerifyMethod(tt.code); got != tt.want {
				t.Errorf("VerifyMethod(%d) = %q, want %q", tt.code, got, tt.want)
			}
		})
	}
}

func TestStatusMeaning(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{
		0: "check-in", 1: "check-out", 2: "break-out", 3: "break-in", 4: "overtime-in", 5: "overtime-out",
		255: "none", 6: "unknown", StatusUnknown: "unknown",
	} {
		if got := StatusMeaning(code); got != want {
			t.Errorf("StatusMeaning(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestReturnMeaning(t *testing.T) {
	t.Parallel()
	for code, want := range map[int]string{0: "success", -10: "PIN does not exist", -1002: "not supported", 42: "unknown"} {
		if got := ReturnMeaning(code); got != want {
			t.Errorf("ReturnMeaning(%d) = %q, want %q", code, got, want)
		}
	}
}
