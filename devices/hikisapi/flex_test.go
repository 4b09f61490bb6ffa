package hikisapi

import (
	"encoding/json"
	"testing"
)

func TestFlexDecoding(t *testing.T) {
	t.Parallel()
	strs := []struct {
		name string
		in   string
		want string
	}{
		{"PlainString", `"Mateo Versace"`, "Mateo Versace"},
		{"EscapedUnicode", `"Jos\u00e9"`, "José"},
		{"EscapedQuote", `"a\"b"`, `a"b`},
		{"RawUTF8", `"张三"`, "张三"},
		{"InvalidUTF8Replaced", "\"A\xff\"", "A\uFFFD"},
		{"Number", `123123123`, "123123123"},
		{"Bool", `true`, "true"},
		{"Null", `null`, ""},
		{"Object", `{"a":1}`, ""},
	}
	for _, tt := range strs {
		t.Run("String"+tt.name, func(t *testing.T) {
			t.Parallel()
			var v struct {
				F flexString `json:"f"`
			}
			if err := json.Unmarshal([]byte(`{"f":`+tt.in+`}`), &v); err != nil || string(v.F) != tt.want {
				t.Errorf("got %q err %v, want %q", v.F, err, tt.want)
			}
		})
	}
	ints := []struct {
		name   string
		in     string
		want   int64
		wantOK bool
	}{
		{"Number", `1199`, 1199, true},
		{"QuotedNumber", `" 77 "`, 77, true},
		{"IntegralFloat", `2.0`, 2, true},
		{"Exponent", `1e3`, 1000, true},
		{"Fraction", `2.5`, 0, false},
		{"Negative", `-3`, -3, true},
		{"Word", `"one"`, 0, false},
		{"Null", `null`, 0, false},
		{"Huge", `1e30`, 0, false},
		{"Array", `[1]`, 0, false},
	}
	for _, tt := range ints {
		t.Run("Int"+tt.name, func(t *testing.T) {
			t.Parallel()
			var v struct {
				F flexInt64 `json:"f"`
			}
			if err := json.Unmarshal([]byte(`{"f":`+tt.in+`}`), &v); err != nil || v.F.v != tt.want || v.F.ok != tt.wantOK {
				t.Errorf("got %+v err %v, want %d %v", v.F, err, tt.want, tt.wantOK)
			}
		})
	}
	bools := []struct {
		in     string
		want   bool
		wantOK bool
	}{{`true`, true, true}, {`false`, false, true}, {`"true"`, true, true}, {`0`, false, true}, {`1`, true, true}, {`"maybe"`, false, false}, {`null`, false, false}}
	for _, tt := range bools {
		var v struct {
			F flexBool `json:"f"`
		}
		if err := json.Unmarshal([]byte(`{"f":`+tt.in+`}`), &v); err != nil || v.F.v != tt.want || v.F.ok != tt.wantOK {
			t.Errorf("bool %s: got %+v err %v", tt.in, v.F, err)
		}
	}
}
