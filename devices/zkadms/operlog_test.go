package zkadms

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseOPERLOG(t *testing.T) {
	t.Parallel()

	t.Run("T6OpLogLinesX100C", func(t *testing.T) {
		t.Parallel()
		body := "OPLOG 30\t0\t2024-08-05 12:48:25\t1160\t0\t0\t0\nOPLOG 6\t0\t2024-08-05 12:48:25\t1160\t0\t0\t0\n"
		if len(body) != 83 {
			t.Fatalf("vector is %d bytes, want 83", len(body))
		}
		ops, bad := ParseOPERLOG([]byte(body))
		if len(ops) != 2 || len(bad) != 0 {
			t.Fatalf("ops=%d bad=%v", len(ops), bad)
		}
		want := []OpLog{
			{Type: 30, Operator: "0", Time: wall("2024-08-05 12:48:25"), Who: "1160", Values: [3]string{"0", "0", "0"}},
			{Type: 6, Operator: "0", Time: wall("2024-08-05 12:48:25"), Who: "1160", Values: [3]string{"0", "0", "0"}},
		}
		for i, o := range ops {
			if o.Kind != KindOPLOG {
				t.Errorf("op %d kind = %q", i, o.Kind)
			}
			got, ok := o.OpLog()
			if !ok || !reflect.DeepEqual(got, want[i]) {
				t.Errorf("op %d = %+v, want %+v", i, got, want[i])
			}
			if _, ok := o.User(); ok {
				t.Errorf("op %d has a User accessor result", i)
			}
		}
	})

	t.Run("T6UserLineX100C", func(t *testing.T) {
		t.Parallel()
		body := "USER PIN=1160\tName=Isa004\tPri=0\tPasswd=\tCard=\tGrp=1\tTZ=0000000100000000\tVerify=0\tViceCard=\n"
		if len(body) != 91 {
			t.Fatalf("vector is %d bytes, want 91", len(body))
		}
		ops, bad := ParseOPERLOG([]byte(body))
		if len(ops) != 1 || len(bad) != 0 {
			t.Fatalf("ops=%d bad=%v", len(ops), bad)
		}
		u, ok := ops[0].User()
		want := UserLine{PIN: "1160", Name: "Isa004", NameRaw: []byte("Isa004"), NameCharset: "utf-8", Grp: 1, TZ: "0000000100000000"}
		if !ok || !reflect.DeepEqual(u, want) {
			t.Errorf("user = %+v, want %+v", u, want)
		}
	})

	t.Run("OneSpaceAfterTypeWordKeepsEmptyFirstField", func(t *testing.T) {
		t.Parallel()
		ops, _ := ParseOPERLOG([]byte("FP PIN=1\tFID=0\tSize=4\tValid=1\tTMP=QUJD\n"))
		if len(ops) != 1 || ops[0].Kind != KindFP {
			t.Fatalf("ops = %+v", ops)
		}
		if v, _ := ops[0].Get("tmp"); v != "QUJD" {
			t.Errorf("TMP = %q", v)
		}
	})

	t.Run("Base64ValuesKeepEqualsSigns", func(t *testing.T) {
		t.Parallel()
		ops, _ := ParseOPERLOG([]byte("FACE PIN=7\tFID=0\tValid=1\tSize=8\tTMP=SGk=\nUSERPIC PIN=7\tFileName=7.jpg\tSize=4\tContent=QQ==\n"))
		if v, _ := ops[0].Get("TMP"); v != "SGk=" {
			t.Errorf("FACE TMP = %q", v)
		}
		if v, _ := ops[1].Get("Content"); v != "QQ==" || ops[1].Kind != KindUSERPIC {
			t.Errorf("USERPIC Content = %q kind %q", v, ops[1].Kind)
		}
	})

	t.Run("BioPhotoAndBiodataKinds", func(t *testing.T) {
		t.Parallel()
		ops, bad := ParseOPERLOG([]byte("BIOPHOTO PIN=9\tFileName=9.jpg\tType=9\tSize=4\tContent=QUJD\r\nBIODATA Pin=9\tNo=0\tIndex=0\tValid=1\tDuress=0\tType=9\tMajorVer=5\tMinorVer=8\tFormat=0\tTmp=AAA=\r\n"))
		if len(bad) != 0 || len(ops) != 2 {
			t.Fatalf("ops=%+v bad=%v", ops, bad)
		}
		if ops[0].Kind != KindBIOPHOTO || ops[1].Kind != KindBIODATA {
			t.Errorf("kinds = %q %q", ops[0].Kind, ops[1].Kind)
		}
		if v, _ := ops[1].Get("PIN"); v != "9" {
			t.Errorf("BIODATA Pin via PIN lookup = %q", v)
		}
		if v, _ := ops[1].Get("Tmp"); v != "AAA=" {
			t.Errorf("Tmp = %q", v)
		}
	})

	t.Run("GB2312NameDecodedRawKept", func(t *testing.T) {
		t.Parallel()
		raw := "\xd5\xc5\xc8\xfd" // 张三 in GB2312
		ops, bad := ParseOPERLOG([]byte("USER PIN=88\tName=" + raw + "\tPri=14\tPasswd=123\tCard=[15CD5B07]\tGrp=1\tTZ=0000000100000000\tVerify=-1\tViceCard=\n"))
		if len(bad) != 0 {
			t.Fatalf("bad = %v", bad)
		}
		u, _ := ops[0].User()
		if u.Name != "张三" || string(u.NameRaw) != raw || u.NameCharset != "gb18030" {
			t.Errorf("name = %q raw %q charset %q", u.Name, u.NameRaw, u.NameCharset)
		}
		if u.Pri != 14 || u.Passwd != "123" || u.Card != "[15CD5B07]" || u.Verify != -1 {
			t.Errorf("user = %+v", u)
		}
	})

	t.Run("UndecodableNameRepaired", func(t *testing.T) {
		t.Parallel()
		ops, _ := ParseOPERLOG([]byte("USER PIN=88\tName=A\xff\xff\n"))
		u, _ := ops[0].User()
		if u.Name != "A\uFFFD" || u.NameCharset != "" || string(u.NameRaw) != "A\xff\xff" {
			t.Errorf("name = %q charset %q raw %q", u.Name, u.NameCharset, u.NameRaw)
		}
	})

	t.Run("PrivilegeKeyAccepted", func(t *testing.T) {
		t.Parallel()
		ops, _ := ParseOPERLOG([]byte("USER PIN=1\tName=x\tPrivilege=6\n"))
		if u, _ := ops[0].User(); u.Pri != 6 {
			t.Errorf("Pri = %d", u.Pri)
		}
	})

	t.Run("UnknownUpperCaseKindKept", func(t *testing.T) {
		t.Parallel()
		ops, bad := ParseOPERLOG([]byte("WORKCODE PIN=1\tCODE=7\n"))
		if len(bad) != 0 || len(ops) != 1 || ops[0].Kind != "WORKCODE" {
			t.Errorf("ops=%+v bad=%v", ops, bad)
		}
	})

	t.Run("RejectedLines", func(t *testing.T) {
		t.Parallel()
		body := "garbage\nOPLOG x\t0\t2024-08-05 12:48:25\nOPLOG 30\t0\tnot-a-time\nOPLOG 30\t0\nUSER Name=nobody\nlower case\n OPLOG 1\t0\t2024-08-05 12:48:25\n"
		ops, bad := ParseOPERLOG([]byte(body))
		if len(ops) != 0 {
			t.Errorf("ops = %+v", ops)
		}
		want := []badWant{{1, ErrNoKind}, {2, ErrBadOpType}, {3, ErrBadTime}, {4, ErrTooFewFields}, {5, ErrEmptyPIN}, {6, ErrNoKind}, {7, ErrNoKind}}
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
